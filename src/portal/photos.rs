//! Product photos in the portal: upload (decoded and resized off the request workers),
//! alt text in zh and en, and removal.

use super::input::bounded;
use super::{authorized, Owned, Portal};
use crate::accounts::authz::Action;
use crate::db::portal as q;
use crate::domain::account::Principal;
use crate::error::AppError;
use crate::media::photos::{self, PhotoError, VARIANT_WIDTHS};

/// Alt text of a photo.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct AltInput {
    #[serde(default)]
    pub alt_zh: String,
    #[serde(default)]
    pub alt_en: String,
}

/// A picture stored by [`Portal::save_photo`].
#[derive(Debug, Clone)]
pub struct SavedPhoto {
    /// The copy pages show, under the store's root.
    pub main: String,
    /// The widths stored, comma-separated.
    pub widths: String,
    /// The directory holding every copy.
    pub dir: String,
    pub width: i32,
    pub height: i32,
}

impl From<PhotoError> for AppError {
    fn from(e: PhotoError) -> Self {
        match e {
            PhotoError::TooLarge { .. } => AppError::TooLarge { key: e.message_key() },
            PhotoError::Io(io) => AppError::Internal(anyhow::anyhow!("storing a photo: {io}")),
            other => AppError::BadRequest { field: "photo", key: other.message_key() },
        }
    }
}

impl Portal {
    /// Checks the user may add photos to the product, before the upload is read.
    pub async fn may_edit_product(&self, who: &Principal, product: i64) -> Result<(), AppError> {
        let who = who.clone();
        self.db.run(move |conn| authorized(conn, &who, Action::EditProducts, Owned::Product(product)).map(|_| ())).await
    }

    /// The product a photo belongs to, for a user who may edit it.
    pub async fn photo_product(&self, who: &Principal, photo: i64) -> Result<i64, AppError> {
        let who = who.clone();
        self.db
            .run(move |conn| {
                authorized(conn, &who, Action::EditProducts, Owned::Photo(photo))?;
                Ok(q::image_owner(conn, photo)?.ok_or(AppError::NotFound)?.0)
            })
            .await
    }

    /// Processes and stores an uploaded photo; returns the new photo's id. Nothing is left
    /// on disk when the file is refused.
    pub async fn add_photo(
        &self,
        who: &Principal,
        product: i64,
        bytes: Vec<u8>,
        alt: AltInput,
    ) -> Result<i64, AppError> {
        let alt_zh = bounded("alt_zh", &alt.alt_zh, 200)?;
        let alt_en = bounded("alt_en", &alt.alt_en, 300)?;
        self.may_edit_product(who, product).await?;
        let saved = self.save_photo(bytes, &format!("p{product}")).await?;
        let (main, widths, dir) = (saved.main, saved.widths, saved.dir);
        let (w, h) = (saved.width, saved.height);
        let (who, now) = (who.clone(), self.now());
        let result = self
            .db
            .run(move |conn| {
                // Two uploads at once may pick the same position; the loser takes the next.
                let mut attempt = 0;
                loop {
                    let inserted = crate::db::tx::write(&mut *conn, |t| {
                        let id = q::insert_photo(t, product, &main, w, h, (&alt_zh, &alt_en), &widths)?;
                        super::products::reopen_review(t, &who, product, now)?;
                        Ok::<_, AppError>(id)
                    });
                    match inserted {
                        Err(AppError::Conflict { .. }) if attempt < 3 => attempt += 1,
                        other => return other,
                    }
                }
            })
            .await;
        if result.is_err() {
            self.forget_photo(&dir).await;
        }
        result
    }

    /// Checks, turns upright, strips and stores an uploaded picture under a fresh key that
    /// starts with `prefix` (a few at a time, off the async workers: decoding takes up to
    /// `max_alloc` of memory and every core for a while). The caller records it, and deletes
    /// `dir` from the store if recording fails.
    pub async fn save_photo(&self, bytes: Vec<u8>, prefix: &str) -> Result<SavedPhoto, AppError> {
        let limits = self.photo_limits.clone();
        let _permit = self.uploads.acquire().await.map_err(|e| AppError::Internal(e.into()))?;
        let processed = actix_web::web::block(move || photos::process(&bytes, &limits)).await??;
        let key = format!("{prefix}-{}", crate::accounts::secrets::new_token().to_lowercase().replace('_', "-"));
        let key: String = key.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(40).collect();
        let stored = photos::store(&processed, &self.storage.photos, &key).await?;
        // Pages show the widest copy up to 800 px.
        let largest = stored
            .variant_widths
            .iter()
            .copied()
            .filter(|w| *w <= 800)
            .max()
            .or(stored.variant_widths.first().copied());
        let main = format!("{}/{}", stored.dir, photos::variant_file(largest.unwrap_or(VARIANT_WIDTHS[0]), "jpg"));
        let widths = stored.variant_widths.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        Ok(SavedPhoto { main, widths, dir: stored.dir, width: stored.width as i32, height: stored.height as i32 })
    }

    /// Deletes a stored photo's files (after recording it failed).
    pub async fn forget_photo(&self, dir: &str) {
        let _ = self.storage.photos.delete_dir(dir).await;
    }

    /// Sets a photo's alt text; returns its product's id.
    pub async fn set_photo_alt(&self, who: &Principal, photo: i64, alt: AltInput) -> Result<i64, AppError> {
        let alt_zh = bounded("alt_zh", &alt.alt_zh, 200)?;
        let alt_en = bounded("alt_en", &alt.alt_en, 300)?;
        let who = who.clone();
        self.db
            .run(move |conn| {
                authorized(conn, &who, Action::EditProducts, Owned::Photo(photo))?;
                let (product, _) = q::image_owner(conn, photo)?.ok_or(AppError::NotFound)?;
                q::set_photo_alt(conn, photo, &alt_zh, &alt_en)?;
                Ok(product)
            })
            .await
    }

    /// Removes a photo and its files; returns its product's id.
    pub async fn delete_photo(&self, who: &Principal, photo: i64) -> Result<i64, AppError> {
        let (who, now) = (who.clone(), self.now());
        let (product, path) = self
            .db
            .run(move |conn| {
                authorized(conn, &who, Action::EditProducts, Owned::Photo(photo))?;
                let (product, _) = q::image_owner(conn, photo)?.ok_or(AppError::NotFound)?;
                crate::db::tx::write(&mut *conn, |t| {
                    let path = q::delete_photo(t, photo)?;
                    super::products::reopen_review(t, &who, product, now)?;
                    Ok((product, path))
                })
            })
            .await?;
        // Uploaded photos live in their own directory; demo pictures are shared files and stay.
        if let Some(dir) =
            path.as_deref().and_then(|p| p.rsplit_once('/')).map(|(d, _)| d).filter(|d| d.starts_with("photos/"))
        {
            if let Err(e) = self.storage.photos.delete_dir(dir).await {
                tracing::warn!(error = %e, dir, "could not remove a deleted photo's files");
            }
        }
        Ok(product)
    }
}

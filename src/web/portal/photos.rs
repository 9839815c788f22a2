//! Photo upload (multipart: `photo`, `alt_zh`, `alt_en`), alt text and removal. The upload is
//! read only after the user is known to be allowed, and never beyond the byte limit.

use super::{body, done, is_api};
use crate::error::AppError;
use crate::portal::photos::AltInput;
use crate::state::AppState;
use crate::web::forms::{answer, FormState};
use crate::web::session::SignedIn;
use actix_multipart::Multipart;
use actix_web::{web, Either, HttpRequest, HttpResponse};
use futures_util::StreamExt;

/// The multipart form of a product photo.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Only describes the form for the API document; the handler reads it field by field.
pub struct PhotoUpload {
    /// The picture: JPEG, PNG or WebP.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    photo: Vec<u8>,
    /// What the picture shows, in Chinese (up to 200 characters).
    #[schema(max_length = 200)]
    alt_zh: Option<String>,
    /// What the picture shows, in English (up to 300 characters).
    #[schema(max_length = 300)]
    alt_en: Option<String>,
}

/// The multipart form of a payment voucher.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Only describes the form for the API document; the handler reads it field by field.
pub struct VoucherUpload {
    /// A photo of the voucher: JPEG, PNG or WebP.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    photo: Vec<u8>,
}

#[utoipa::path(post, path = "/api/v1/portal/products/{id}/photos", description = "Upload a photo as multipart/form-data: photo (JPEG, PNG or WebP), alt_zh, alt_en. It is turned upright, stripped of metadata and stored in 320/800/1600 px JPEG and WebP.", request_body(content = PhotoUpload, content_type = "multipart/form-data"), params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Created), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 413, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    mut form: Multipart,
) -> Result<HttpResponse, AppError> {
    let id = *id;
    state.portal.may_edit_product(&who.0, id).await?;
    let mut typed = FormState::new("u");
    let result = async {
        let mut fields = read_photo_form(&mut form, state.portal.photo_limits().max_bytes).await?;
        let text = |f: &mut std::collections::HashMap<String, Vec<u8>>, name: &str| {
            f.remove(name).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
        };
        let alt = AltInput { alt_zh: text(&mut fields, "alt_zh"), alt_en: text(&mut fields, "alt_en") };
        // A refused photo must be chosen again (a browser never refills a file field); the
        // descriptions are kept.
        typed = typed.clone().with("alt_zh", alt.alt_zh.clone()).with("alt_en", alt.alt_en.clone());
        let bytes = photo_of(&mut fields)?;
        let photo_id = state.portal.add_photo(&who.0, id, bytes, alt).await?;
        Ok(done(&req, format!("/portal/products/{id}"), crate::web::replies::Created { id: photo_id }))
    }
    .await;
    let form = (!is_api(&req)).then_some(typed);
    answer(&state, &req, result, form, |form| {
        let refused = super::products::Refused { upload: Some(form), ..Default::default() };
        super::products::product_page(&state, &req, &who, id, refused)
    })
    .await
}

/// Reads a multipart form with a `photo` field (at most `limit` bytes) and a few short text
/// fields (4 KiB each), never beyond those limits.
pub(crate) async fn read_photo_form(
    form: &mut Multipart,
    limit: usize,
) -> Result<std::collections::HashMap<String, Vec<u8>>, AppError> {
    // These forms have a few fields; a flood of them is not a photo upload.
    let too_many = AppError::BadRequest { field: "photo", key: "error.bad_request" };
    let parts = read_parts(form, 8, too_many, |name| if name == "photo" { limit } else { 4096 }).await?;
    Ok(parts.into_iter().collect())
}

/// Reads every part of a multipart form, in order: at most `max_parts` parts (else
/// `too_many`), each of at most `cap(name)` bytes, never reading beyond those limits.
pub(crate) async fn read_parts(
    form: &mut Multipart,
    max_parts: usize,
    too_many: AppError,
    cap: impl Fn(&str) -> usize,
) -> Result<Vec<(String, Vec<u8>)>, AppError> {
    let mut out = Vec::new();
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|_| AppError::BadRequest { field: "photo", key: "photo.damaged" })?;
        if out.len() >= max_parts {
            return Err(too_many);
        }
        let name = field.name().unwrap_or("").to_owned();
        let cap = cap(&name);
        let mut buf = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| AppError::BadRequest { field: "photo", key: "photo.damaged" })?;
            if buf.len() + chunk.len() > cap {
                return Err(AppError::TooLarge { key: "photo.too_large" });
            }
            buf.extend_from_slice(&chunk);
        }
        out.push((name, buf));
    }
    Ok(out)
}

/// The `photo` field of a form read by [`read_photo_form`]; required.
pub(crate) fn photo_of(fields: &mut std::collections::HashMap<String, Vec<u8>>) -> Result<Vec<u8>, AppError> {
    fields
        .remove("photo")
        .filter(|b| !b.is_empty())
        .ok_or(AppError::BadRequest { field: "photo", key: "error.required" })
}

#[utoipa::path(post, path = "/api/v1/portal/photos/{id}", description = "Set a photo's alt text.", request_body = crate::portal::photos::AltInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn set_alt(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: Either<web::Json<AltInput>, web::Form<AltInput>>,
) -> Result<HttpResponse, AppError> {
    let product = state.portal.set_photo_alt(&who.0, *id, body(input)).await?;
    Ok(done(&req, format!("/portal/products/{product}"), crate::web::replies::DONE))
}

#[utoipa::path(post, path = "/api/v1/portal/photos/{id}/delete", description = "Remove a photo and its files.", request_body = crate::web::portal::products::Confirmation, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    raw: web::Bytes,
) -> Result<HttpResponse, AppError> {
    if let Some(ask) = super::products::ask_first(&req, &raw, format!("/portal/photos/{id}/delete")) {
        return Ok(ask);
    }
    let product = state.portal.delete_photo(&who.0, *id).await?;
    Ok(done(&req, format!("/portal/products/{product}"), crate::web::replies::DONE))
}

/// `/portal/photos/{id}/delete`: asks before deleting, showing the photo.
pub async fn delete_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let product = state.portal.photo_product(&who.0, *id).await?;
    let edit = state.portal.product(&who.0, product).await?;
    let photo = edit.photos.iter().find(|p| p.id == *id).ok_or(AppError::NotFound)?;
    let text = state.renderer.i18n().text(crate::i18n::Lang::of_request(&req), "confirm.delete_photo_text");
    super::products::confirm_page(
        &state,
        &req,
        "delete_photo",
        text,
        format!("/portal/photos/{id}/delete"),
        format!("/portal/products/{product}"),
        Some(format!("/media/{}", photo.path)),
    )
}

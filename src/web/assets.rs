//! Files: the stylesheet and icons compiled into the binary, and product photos from the
//! media directory.

use crate::error::AppError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use rust_embed::RustEmbed;
use std::path::{Component, Path, PathBuf};

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/static/"]
struct Static;

fn content_type(path: &str) -> String {
    mime_guess::from_path(path).first_or_octet_stream().to_string()
}

/// `GET /static/{path}`
pub async fn static_file(path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let file = Static::get(&path).ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(content_type(&path))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(file.data.into_owned()))
}

/// A path under `root` made only of normal components, or `None` (no `..`, no absolute paths).
fn confined(root: &Path, rel: &str) -> Option<PathBuf> {
    let rel = Path::new(rel);
    rel.components().all(|c| matches!(c, Component::Normal(_))).then(|| root.join(rel))
}

/// `GET /media/{path}`
pub async fn media_file(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let full = confined(&state.config.media_dir, &path).ok_or(AppError::NotFound)?;
    let bytes = web::block(move || std::fs::read(full)).await?.map_err(|_| AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(content_type(&path))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_paths_stay_inside_the_root() {
        let root = Path::new("/data/media");
        assert_eq!(confined(root, "demo/a.jpg"), Some(PathBuf::from("/data/media/demo/a.jpg")));
        assert_eq!(confined(root, "../secret"), None);
        assert_eq!(confined(root, "/etc/passwd"), None);
        assert_eq!(confined(root, "demo/../../x"), None);
    }
}

//! Files: the stylesheet and icons compiled into the binary, and product photos from the
//! media directory.

use crate::domain::listing::query_value;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/static/"]
struct Static;

fn content_type(path: &str) -> String {
    mime_guess::from_path(path).first_or_octet_stream().to_string()
}

/// The first 12 hex digits of a static file's SHA-256 (computed when the binary was built).
fn version_of(file: &rust_embed::EmbeddedFile) -> String {
    file.metadata.sha256_hash()[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// The URL of a static file that names its content (`/static/css/site.css?v=…`), so that it
/// can be kept for a year: a changed file gets a new URL.
pub fn versioned_url(path: &str) -> Option<String> {
    static URLS: OnceLock<HashMap<String, String>> = OnceLock::new();
    let urls = URLS.get_or_init(|| {
        Static::iter()
            .filter_map(|p| Static::get(&p).map(|f| (p.to_string(), format!("/static/{p}?v={}", version_of(&f)))))
            .collect()
    });
    urls.get(path).cloned()
}

/// `GET /static/{path}`: kept a year when asked for by its current version, an hour otherwise.
pub async fn static_file(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let file = Static::get(&path).ok_or(AppError::NotFound)?;
    let asked = query_value(&super::query_pairs(&req), "v").map(str::to_owned);
    let cache = if asked.as_deref() == Some(version_of(&file).as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type(&path))
        .insert_header((header::CACHE_CONTROL, cache))
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

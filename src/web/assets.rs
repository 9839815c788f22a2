//! Files: the stylesheet and icons compiled into the binary, and product photos from the
//! store ([`crate::storage`]).

use crate::domain::listing::query_value;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;
use std::collections::HashMap;
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

/// A static file's text (a stylesheet inlined into a document that must stand alone).
pub fn text(path: &str) -> Option<String> {
    Static::get(path).map(|f| String::from_utf8_lossy(&f.data).into_owned())
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

/// `GET /media/{path}`: a photo from the store (any node's upload), or 404. The store refuses
/// keys with `..`, empty or hidden parts.
pub async fn media_file(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let bytes = state.storage.photos.get(&path).await?;
    Ok(HttpResponse::Ok()
        .content_type(content_type(&path))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(bytes))
}

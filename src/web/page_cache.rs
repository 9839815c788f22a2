//! The storefront's page cache: anonymous storefront pages kept rendered in each node's memory,
//! served again without touching the database or the templates, and revalidated with `ETag`s.
//!
//! A page is kept with the [`CatalogueVersion`] it was drawn from. Each node re-reads the
//! version (one small query) at most once per `GONGFANG_PAGE_CACHE_REFRESH_MS`; database
//! triggers bump it in the same transaction as any change to workshops, workers, products,
//! makers or images, so a stock change, a price change or a withdrawn consent reaches every
//! node's pages within that time, however many nodes share the database. Search pages also
//! wait on the search index, which has no such counter: they are kept no longer than the same
//! interval.
//!
//! Only anonymous GETs are cached (no session cookie, no bearer token): nothing personal is
//! kept. A page with a form carries this browser's CSRF token; it is kept with a marker in the
//! token's place and filled in per request, and such pages are `private` so that no shared
//! cache hands one browser's token to another. Pages without one are `public, no-cache`: a CDN
//! may keep them and must revalidate, which costs it a 304.

use crate::catalog::{Catalog, CatalogueVersion};
use crate::config::PageCacheConfig;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::session::{CsrfToken, SESSION_COOKIE};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse};
use bytes::{Bytes, BytesMut};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The response header that says whether a page came from the cache (`hit`) or was drawn (`miss`).
pub const CACHE_HEADER: &str = "x-page-cache";

/// One rendered page.
struct Page {
    version: CatalogueVersion,
    stored: Instant,
    /// The body split where the CSRF token goes (one part when the page has no form).
    parts: Vec<Bytes>,
    /// A hash of the parts, for the `ETag`.
    hash: u64,
    content_language: HeaderValue,
}

impl Page {
    fn len(&self) -> usize {
        self.parts.iter().map(Bytes::len).sum()
    }

    fn has_token(&self) -> bool {
        self.parts.len() > 1
    }

    /// The body with `token` in the marker's places.
    fn body(&self, token: &str) -> Bytes {
        match self.parts.as_slice() {
            [one] => one.clone(),
            parts => {
                let mut out = BytesMut::with_capacity(self.len() + token.len() * (parts.len() - 1));
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(token.as_bytes());
                    }
                    out.extend_from_slice(part);
                }
                out.freeze()
            }
        }
    }

    /// A weak validator (weak because compression may change the bytes, not the page): the
    /// page's hash, and the token's when the page carries one.
    fn etag(&self, token: &str) -> String {
        if self.has_token() {
            format!("W/\"{:016x}-{:016x}\"", self.hash, hash_of(&[token.as_bytes()]))
        } else {
            format!("W/\"{:016x}\"", self.hash)
        }
    }
}

fn hash_of(parts: &[&[u8]]) -> u64 {
    // SipHash with fixed keys: the same page hashes the same on every node of one build, so a
    // CDN's `If-None-Match` is answered alike by all of them.
    let mut h = std::hash::DefaultHasher::new();
    for p in parts {
        p.hash(&mut h);
    }
    h.finish()
}

#[derive(Clone)]
struct PageWeight;

impl quick_cache::Weighter<String, Arc<Page>> for PageWeight {
    fn weight(&self, key: &String, page: &Arc<Page>) -> u64 {
        (key.len() + page.len() + 256) as u64
    }
}

/// The last version read, and when.
#[derive(Clone, Copy)]
struct Seen {
    version: CatalogueVersion,
    at: Instant,
}

/// Rendered anonymous storefront pages of this node.
pub struct PageCache {
    pages: Option<quick_cache::sync::Cache<String, Arc<Page>, PageWeight>>,
    refresh: Duration,
    seen: RwLock<Option<Seen>>,
    /// One reader of the version at a time; the others wait for its answer.
    reading: tokio::sync::Mutex<()>,
}

impl PageCache {
    pub fn new(config: &PageCacheConfig) -> PageCache {
        let pages = (config.capacity_bytes > 0).then(|| {
            let estimated = usize::try_from(config.capacity_bytes / 40_000).unwrap_or(1024).max(16);
            quick_cache::sync::Cache::with_weighter(estimated, config.capacity_bytes, PageWeight)
        });
        PageCache { pages, refresh: config.refresh, seen: RwLock::new(None), reading: tokio::sync::Mutex::new(()) }
    }

    fn fresh_seen(&self) -> Option<CatalogueVersion> {
        let seen = (*self.seen.read().ok()?)?;
        (seen.at.elapsed() < self.refresh).then_some(seen.version)
    }

    /// The catalogue's version as of at most `refresh` ago.
    async fn version(&self, catalog: &Catalog) -> Option<CatalogueVersion> {
        if let Some(v) = self.fresh_seen() {
            return Some(v);
        }
        let _reading = self.reading.lock().await;
        if let Some(v) = self.fresh_seen() {
            return Some(v);
        }
        // Timed from before the read, so the bound holds from when the answer was true.
        let at = Instant::now();
        match catalog.version().await {
            Ok(version) => {
                if let Ok(mut seen) = self.seen.write() {
                    *seen = Some(Seen { version, at });
                }
                Some(version)
            }
            Err(e) => {
                // Pages are then drawn afresh, as if there were no cache.
                tracing::warn!(error = %e, "page cache: cannot read the catalogue version");
                None
            }
        }
    }

    fn get(&self, key: &str, version: CatalogueVersion, max_age: Option<Duration>) -> Option<Arc<Page>> {
        let page = self.pages.as_ref()?.get(key)?;
        let young = max_age.is_none_or(|age| page.stored.elapsed() < age);
        (page.version == version && young).then_some(page)
    }
}

/// Middleware for catalogue pages: kept until the catalogue changes.
pub async fn catalogue_page(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    serve(req, next, false).await
}

/// Middleware for search pages: also kept no longer than the refresh interval, since the
/// search index catches up with the catalogue on its own time.
pub async fn search_page(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    serve(req, next, true).await
}

/// Whether the request is an anonymous GET: no session, no bearer token.
fn anonymous_get(req: &ServiceRequest) -> bool {
    req.method() == Method::GET
        && req.cookie(SESSION_COOKIE).is_none()
        && !req.headers().contains_key(header::AUTHORIZATION)
}

async fn serve(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    searching: bool,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let Some(state) = state.filter(|s| s.pages.pages.is_some() && anonymous_get(&req)) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let cache = &state.pages;
    let Some(version) = cache.version(&state.catalog).await else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let lang = Lang::of_request(req.request());
    let key = format!("{}:{}", lang.code(), req.uri());
    let token = req.extensions().get::<CsrfToken>().map(|t| t.0.clone()).unwrap_or_default();
    let max_age = searching.then_some(cache.refresh);
    if let Some(page) = cache.get(&key, version, max_age) {
        let res = respond(req.request(), &page, &token, "hit");
        return Ok(req.into_response(res));
    }
    let res = next.call(req).await?;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if res.status() != StatusCode::OK || !html || res.headers().contains_key(header::SET_COOKIE) {
        return Ok(res.map_into_boxed_body());
    }
    let (req, res) = res.into_parts();
    let content_language =
        res.headers().get(header::CONTENT_LANGUAGE).cloned().unwrap_or_else(|| HeaderValue::from_static("zh-CN"));
    let body = actix_web::body::to_bytes(res.into_body()).await.map_err(|e| {
        let e: Box<dyn std::error::Error> = e.into();
        actix_web::error::ErrorInternalServerError(e.to_string())
    })?;
    let parts = split_at_token(body, &token);
    let hash = hash_of(&parts.iter().map(|p| p.as_ref()).collect::<Vec<_>>());
    let page = Arc::new(Page { version, stored: Instant::now(), parts, hash, content_language });
    if let Some(pages) = &cache.pages {
        pages.insert(key, page.clone());
    }
    let res = respond(&req, &page, &token, "miss");
    Ok(ServiceResponse::new(req, res))
}

/// The body cut at each occurrence of `token` (whole when there is none).
fn split_at_token(body: Bytes, token: &str) -> Vec<Bytes> {
    if token.is_empty() {
        return vec![body];
    }
    let mut parts = Vec::new();
    let mut start = 0;
    for at in memchr::memmem::find_iter(&body, token.as_bytes()) {
        parts.push(body.slice(start..at));
        start = at + token.len();
    }
    parts.push(body.slice(start..));
    parts
}

/// The page as a response to this request: a 304 when the browser (or CDN) already has it.
fn respond(req: &actix_web::HttpRequest, page: &Page, token: &str, how: &'static str) -> HttpResponse {
    let etag = page.etag(token);
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').map(str::trim).any(|t| t == "*" || weak_eq(t, &etag)));
    // A page that sets the language cookie, or carries a browser's token, is that browser's.
    let private = page.has_token() || crate::i18n::query_lang(req.query_string()).is_some();
    let cache_control = if private { "private, no-cache" } else { "public, no-cache" };
    let mut res = if matches { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::VARY, "Accept-Language, Cookie"))
        .insert_header((header::CONTENT_LANGUAGE, page.content_language.clone()))
        .insert_header((CACHE_HEADER, how));
    if matches {
        return res.finish();
    }
    res.content_type(header::ContentType::html()).body(page.body(token))
}

/// RFC 9110's weak comparison: equal once any `W/` is dropped.
fn weak_eq(a: &str, b: &str) -> bool {
    a.trim_start_matches("W/") == b.trim_start_matches("W/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_cut_at_every_token_and_joined_again_with_another() {
        let body = Bytes::from_static(b"<form><input value=\"TOKEN\"></form><form>TOKEN</form>!");
        let parts = split_at_token(body, "TOKEN");
        assert_eq!(parts.len(), 3);
        let page = Page {
            version: CatalogueVersion { changes: 1, today: chrono::NaiveDate::MIN },
            stored: Instant::now(),
            hash: 7,
            parts,
            content_language: HeaderValue::from_static("zh-CN"),
        };
        assert_eq!(page.body("abc"), Bytes::from_static(b"<form><input value=\"abc\"></form><form>abc</form>!"));
        assert_ne!(page.etag("abc"), page.etag("abd"));
        assert_eq!(split_at_token(Bytes::from_static(b"no form"), "TOKEN").len(), 1);
        assert_eq!(split_at_token(Bytes::from_static(b"no token"), "").len(), 1);
    }

    #[test]
    fn validators_compare_weakly() {
        assert!(weak_eq("W/\"ab\"", "\"ab\""));
        assert!(!weak_eq("W/\"ab\"", "W/\"ac\""));
    }
}

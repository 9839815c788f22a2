//! HTTP handlers, thin: extract, call the catalogue or search, render. No SQL here.

pub mod api;
pub mod assets;
pub mod auth;
pub mod buyer_orders;
pub mod custom_orders;
pub mod custom_pages;
pub mod errors;
pub mod favourites;
pub mod forms;
pub mod input;
pub mod lang;
pub mod messages;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod organisations;
pub mod page_cache;
pub mod pages;
pub mod panics;
pub mod payouts;
pub mod places;
pub mod portal;
pub mod replies;
pub mod reports;
pub mod reviews;
pub mod search;
pub mod session;
pub mod shop;
pub mod trace;

use crate::domain::listing::{query_value, FieldError, PageRequest};
use actix_web::HttpRequest;

/// The query-string pairs of a request (malformed ones dropped; the query extractor's error
/// handler rejects a query that does not decode at all).
pub fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    crate::i18n::url_pairs(req.query_string())
}

/// `page` and `per_page` from the query string.
pub fn page_request(req: &HttpRequest) -> Result<PageRequest, FieldError> {
    let pairs = query_pairs(req);
    PageRequest::parse(query_value(&pairs, "page"), query_value(&pairs, "per_page"))
}

//! Every URL of the application, in one table.

use crate::web::{api, assets, ops, pages, places, search, trace};
use actix_web::web;

/// Registers all routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg
        // Operations.
        .route("/healthz", web::get().to(ops::healthz))
        .route("/readyz", web::get().to(ops::readyz))
        // Storefront.
        .route("/", web::get().to(pages::home))
        .route("/products", web::get().to(pages::products))
        .route("/products/{slug}", web::get().to(pages::product))
        .route("/workshops", web::get().to(places::workshops))
        .route("/workshops/{slug}", web::get().to(places::workshop))
        .route("/artisans/{id}", web::get().to(places::artisan))
        .route("/regions", web::get().to(places::regions))
        .route("/regions/{code}", web::get().to(places::region))
        .route("/crafts", web::get().to(places::crafts))
        .route("/crafts/{id}", web::get().to(places::craft))
        .route("/search", web::get().to(search::search_page))
        // Provenance: the page behind a product tag, and the tag's QR code.
        .route("/t/{code:[0-9A-Za-z]+}.png", web::get().to(trace::qr_png_route))
        .route("/t/{code:[0-9A-Za-z]+}", web::get().to(trace::trace_page))
        // JSON API.
        .route("/api/openapi.json", web::get().to(api::openapi))
        .route("/api/v1/products", web::get().to(api::products))
        .route("/api/v1/products/{slug}", web::get().to(api::product))
        .route("/api/v1/workshops/{slug}", web::get().to(api::workshop))
        .route("/api/v1/regions/{code}", web::get().to(api::region))
        .route("/api/v1/search", web::get().to(search::api_search))
        .route("/api/v1/search/suggest", web::get().to(search::api_suggest))
        // Files.
        .route("/static/{path:.*}", web::get().to(assets::static_file))
        .route("/media/{path:.*}", web::get().to(assets::media_file));
}

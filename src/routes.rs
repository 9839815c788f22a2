//! Every URL of the application, in one table.

use crate::web::portal::{actions, orders, photos};
use crate::web::{api, assets, auth, ops, pages, places, portal, search, shop, trace};
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
        // Cart, checkout and the buyer's orders (pages and JSON).
        .route("/cart", web::get().to(shop::cart))
        .route("/cart/items", web::post().to(shop::add_item))
        .route("/cart/items/{product_id}", web::post().to(shop::set_item))
        .route("/checkout", web::get().to(shop::checkout_page))
        .route("/checkout", web::post().to(shop::checkout))
        .route("/orders", web::get().to(shop::orders))
        .route("/orders/{number}", web::get().to(shop::order))
        .route("/orders/{number}/pay", web::get().to(shop::pay))
        .route("/orders/{number}/pay", web::post().to(shop::pay))
        .route("/orders/{number}/cancel", web::post().to(shop::cancel))
        .route("/orders/{number}/lines/{line}/return", web::post().to(shop::request_return))
        .route("/shipments/{id}/delivered", web::post().to(shop::delivered))
        .route("/api/v1/cart", web::get().to(shop::cart))
        .route("/api/v1/cart/items", web::post().to(shop::add_item))
        .route("/api/v1/cart/items/{product_id}", web::post().to(shop::set_item))
        .route("/api/v1/checkout", web::post().to(shop::checkout))
        .route("/api/v1/orders", web::get().to(shop::orders))
        .route("/api/v1/orders/{number}", web::get().to(shop::order))
        .route("/api/v1/orders/{number}/pay", web::post().to(shop::pay))
        .route("/api/v1/orders/{number}/cancel", web::post().to(shop::cancel))
        .route("/api/v1/orders/{number}/lines/{line}/return", web::post().to(shop::request_return))
        .route("/api/v1/shipments/{id}/delivered", web::post().to(shop::delivered))
        // Stripe's webhook (signed by Stripe; exempt from the CSRF check).
        .route("/webhooks/stripe", web::post().to(shop::stripe_webhook))
        // Accounts.
        .route("/login", web::get().to(auth::login_page))
        .route("/login", web::post().to(auth::login))
        .route("/logout", web::post().to(auth::logout))
        .route("/register", web::get().to(auth::register_page))
        .route("/register", web::post().to(auth::register))
        .route("/account", web::get().to(auth::account))
        .route("/forgot", web::get().to(auth::forgot_page))
        .route("/forgot", web::post().to(auth::forgot))
        .route("/reset/{token}", web::get().to(auth::reset_page))
        .route("/reset/{token}", web::post().to(auth::reset))
        .route("/invite/{token}", web::get().to(auth::invitation_page))
        .route("/invite/{token}", web::post().to(auth::accept_invitation))
        .route("/api/v1/auth/session", web::get().to(auth::session))
        .route("/api/v1/auth/login", web::post().to(auth::login))
        .route("/api/v1/auth/logout", web::post().to(auth::logout))
        .route("/api/v1/auth/register", web::post().to(auth::register))
        .route("/api/v1/auth/tokens", web::post().to(auth::create_token))
        .route("/api/v1/auth/password-reset", web::post().to(auth::forgot))
        .route("/api/v1/auth/password-reset/{token}", web::post().to(auth::reset))
        .route("/api/v1/invitations/{token}", web::post().to(auth::accept_invitation))
        // The workshop portal: each action under /portal (forms) and /api/v1/portal (JSON).
        .route("/portal", web::get().to(portal::home))
        .route("/portal/review", web::get().to(portal::review_queue))
        .route("/portal/workshops/{id}", web::get().to(portal::workshop))
        .route("/portal/workshops/{id}/workers", web::get().to(portal::workers))
        .route("/portal/workshops/{id}/products", web::get().to(portal::products))
        .route("/portal/workers/{id}", web::get().to(portal::worker))
        .route("/portal/products/{id}", web::get().to(portal::product))
        .route("/portal/workshops/{id}/orders", web::get().to(orders::queue))
        .route("/portal/orders", web::get().to(orders::search))
        .route("/portal/orders/{number}/slip", web::get().to(orders::packing_slip))
        .route("/api/v1/portal/workshops/{id}/orders", web::get().to(orders::queue))
        .route("/api/v1/portal/orders", web::get().to(orders::search))
        .route("/api/v1/portal/workshops", web::get().to(portal::home))
        .route("/api/v1/portal/review", web::get().to(portal::review_queue))
        .route("/api/v1/portal/workshops/{id}", web::get().to(portal::workshop))
        .route("/api/v1/portal/workshops/{id}/workers", web::get().to(portal::workers))
        .route("/api/v1/portal/workshops/{id}/products", web::get().to(portal::products))
        .route("/api/v1/portal/workers/{id}", web::get().to(portal::worker))
        .route("/api/v1/portal/products/{id}", web::get().to(portal::product));
    for base in ["/portal", "/api/v1/portal"] {
        let at = |path: &str| format!("{base}{path}");
        cfg.route(&at("/invitations"), web::post().to(auth::invite))
            .route(&at("/workshops/{id}/profile"), web::post().to(actions::update_profile))
            .route(&at("/workshops/{id}/certification"), web::post().to(actions::certify))
            .route(&at("/workshops/{id}/payout-account"), web::post().to(actions::payout_account))
            .route(&at("/workshops/{id}/workers"), web::post().to(actions::create_worker))
            .route(&at("/workshops/{id}/products"), web::post().to(actions::create_product))
            .route(&at("/workers/{id}"), web::post().to(actions::update_worker))
            .route(&at("/workers/{id}/consent"), web::post().to(actions::consent))
            .route(&at("/workers/{id}/household-status"), web::post().to(actions::household_status))
            .route(&at("/workers/{id}/secrets"), web::post().to(actions::secret))
            .route(&at("/products/{id}"), web::post().to(actions::update_product))
            .route(&at("/products/{id}/makers"), web::post().to(actions::makers))
            .route(&at("/products/{id}/archive"), web::post().to(actions::archive))
            .route(&at("/products/{id}/submit"), web::post().to(actions::submit))
            .route(&at("/products/{id}/duplicate"), web::post().to(actions::duplicate))
            .route(&at("/products/{id}/review"), web::post().to(actions::review))
            .route(&at("/products/{id}/photos"), web::post().to(photos::upload))
            .route(&at("/photos/{id}"), web::post().to(photos::set_alt))
            .route(&at("/photos/{id}/delete"), web::post().to(photos::delete))
            .route(&at("/shipments/{id}/ship"), web::post().to(orders::ship))
            .route(&at("/shipments/{id}/refund-shipping"), web::post().to(orders::refund_shipping))
            .route(&at("/orders/{number}/confirm-payment"), web::post().to(orders::confirm_payment))
            .route(&at("/lines/{id}/refund"), web::post().to(orders::refund_line))
            .route(&at("/refunds/{id}/decide"), web::post().to(orders::decide));
    }
    cfg
        // Files.
        .route("/static/{path:.*}", web::get().to(assets::static_file))
        .route("/media/{path:.*}", web::get().to(assets::media_file));
}

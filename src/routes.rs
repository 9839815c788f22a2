//! Every URL of the application, in one table.

use crate::web::portal::{actions, orders, photos, products};
use crate::web::{
    api, assets, auth, favourites, openapi, ops, page_cache, pages, panics, payouts, places, portal, reports, search,
    shop, trace,
};
use actix_web::middleware::from_fn;
use actix_web::{guard, web};

/// A storefront page that the page cache keeps for anonymous visitors (GET only, like `.route`).
macro_rules! cached {
    ($path:expr, $handler:expr) => {
        web::resource($path).guard(guard::Get()).wrap(from_fn(page_cache::catalogue_page)).to($handler)
    };
    (search: $path:expr, $handler:expr) => {
        web::resource($path).guard(guard::Get()).wrap(from_fn(page_cache::search_page)).to($handler)
    };
}

/// Registers all routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg
        // Operations.
        .route("/healthz", web::get().to(ops::healthz))
        .route("/readyz", web::get().to(ops::readyz))
        .route("/metrics", web::get().to(crate::web::metrics::metrics))
        // Test-only hooks: 404 unless the configuration turns them on (tests only).
        .route("/test-hooks/panic-inside-write", web::post().to(panics::test_hook_panic_inside_write))
        .route("/test-hooks/panic-in-handler", web::post().to(panics::test_hook_panic_in_handler))
        // Storefront: pages the page cache keeps for anonymous visitors.
        .service(cached!("/", pages::home))
        .service(cached!("/products", pages::products))
        .service(cached!("/products/{slug}", pages::product))
        .service(cached!("/workshops", places::workshops))
        .service(cached!("/workshops/{slug}", places::workshop))
        .service(cached!("/artisans/{id}", places::artisan))
        .service(cached!("/regions", places::regions))
        .service(cached!("/regions/{code}", places::region))
        .service(cached!("/crafts", places::crafts))
        .service(cached!("/crafts/{id}", places::craft))
        .service(cached!(search: "/search", search::search_page))
        // Provenance: the page behind a product tag, and the tag's QR code.
        .route("/t/{code:[0-9A-Za-z]+}.png", web::get().to(trace::qr_png_route))
        .service(cached!("/t/{code:[0-9A-Za-z]+}", trace::trace_page))
        // JSON API.
        .route("/api/openapi.json", web::get().to(openapi::serve))
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
        // Favourites and follows (pages and JSON).
        .route("/favourites", web::get().to(favourites::list))
        .route("/favourites/{product_id}", web::post().to(favourites::keep))
        .route("/favourites/{product_id}/remove", web::post().to(favourites::remove))
        .route("/workshops/{slug}/follow", web::post().to(favourites::follow))
        .route("/workshops/{slug}/unfollow", web::post().to(favourites::unfollow))
        .route("/api/v1/favourites", web::get().to(favourites::list))
        .route("/api/v1/favourites/{product_id}", web::post().to(favourites::keep))
        .route("/api/v1/favourites/{product_id}/remove", web::post().to(favourites::remove))
        .route("/api/v1/workshops/{slug}/follow", web::post().to(favourites::follow))
        .route("/api/v1/workshops/{slug}/unfollow", web::post().to(favourites::unfollow))
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
        .route("/api/v1/orders/{number}/impact", web::get().to(payouts::impact))
        // Reports: the officials' dashboard and exports, and the public impact pages.
        .route("/officials", web::get().to(reports::dashboard))
        .route("/officials/export", web::get().to(reports::export))
        .route("/api/v1/reports", web::get().to(reports::dashboard))
        .route("/api/v1/reports/export", web::get().to(reports::export))
        .route("/impact", web::get().to(reports::impact_country))
        .route("/impact/regions/{code}", web::get().to(reports::impact_region))
        .route("/impact/workshops/{slug}", web::get().to(reports::impact_workshop))
        .route("/api/v1/impact", web::get().to(reports::impact_country))
        .route("/api/v1/impact/regions/{code}", web::get().to(reports::impact_region))
        .route("/api/v1/impact/workshops/{slug}", web::get().to(reports::impact_workshop))
        // Payouts: each payout's wage statement, the workshop's records of paying each worker,
        // and the worker's no-login acknowledgement.
        .route("/payouts/{id}", web::get().to(payouts::payout))
        .route("/api/v1/payouts/{id}", web::get().to(payouts::payout))
        .route("/statements/{id}/disbursement", web::post().to(payouts::disbursement))
        .route("/statements/{id}/ack-code", web::post().to(payouts::ack_code))
        .route("/statements/{id}/voucher", web::post().to(payouts::voucher_upload))
        .route("/statements/{id}/voucher", web::get().to(payouts::voucher))
        .route("/api/v1/statements/{id}/voucher", web::post().to(payouts::voucher_upload))
        .route("/api/v1/statements/{id}/disbursement", web::post().to(payouts::disbursement))
        .route("/api/v1/statements/{id}/ack-code", web::post().to(payouts::ack_code))
        .route("/ack", web::get().to(payouts::ack_form))
        .route("/ack/{code}", web::get().to(payouts::ack_page))
        .route("/ack/{code}", web::post().to(payouts::acknowledge))
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
        .route("/portal/workshops/{id}/products/new", web::get().to(products::new_product))
        .route("/portal/products/{id}", web::get().to(products::product))
        .route("/portal/products/{id}/archive", web::get().to(products::archive_page))
        .route("/portal/orders/{number}/refuse-cod", web::get().to(orders::refuse_cod_page))
        .route("/portal/photos/{id}/delete", web::get().to(photos::delete_page))
        .route("/portal/workshops/{id}/orders", web::get().to(orders::queue))
        .route("/portal/orders", web::get().to(orders::search))
        .route("/portal/orders/{number}/slip", web::get().to(orders::packing_slip))
        .route("/portal/payouts", web::get().to(payouts::list))
        .route("/portal/payouts/bank-file", web::get().to(payouts::bank_file))
        .route("/api/v1/portal/payouts", web::get().to(payouts::list))
        .route("/portal/workshops/{id}/income", web::get().to(payouts::income))
        .route("/api/v1/portal/workshops/{id}/income", web::get().to(payouts::income))
        .route("/api/v1/portal/workshops/{id}/orders", web::get().to(orders::queue))
        .route("/api/v1/portal/orders", web::get().to(orders::search))
        .route("/api/v1/portal/workshops", web::get().to(portal::home))
        .route("/api/v1/portal/review", web::get().to(portal::review_queue))
        .route("/api/v1/portal/workshops/{id}", web::get().to(portal::workshop))
        .route("/api/v1/portal/workshops/{id}/workers", web::get().to(portal::workers))
        .route("/api/v1/portal/workshops/{id}/products", web::get().to(portal::products))
        .route("/api/v1/portal/workers/{id}", web::get().to(portal::worker))
        .route("/api/v1/portal/products/{id}", web::get().to(products::product));
    for base in ["/portal", "/api/v1/portal"] {
        let at = |path: &str| format!("{base}{path}");
        cfg.route(&at("/invitations"), web::post().to(auth::invite))
            .route(&at("/workshops/{id}/profile"), web::post().to(actions::update_profile))
            .route(&at("/workshops/{id}/certification"), web::post().to(actions::certify))
            .route(&at("/workshops/{id}/payout-account"), web::post().to(actions::payout_account))
            .route(&at("/workshops/{id}/workers"), web::post().to(actions::create_worker))
            .route(&at("/workshops/{id}/products"), web::post().to(products::create_product))
            .route(&at("/workers/{id}"), web::post().to(actions::update_worker))
            .route(&at("/workers/{id}/consent"), web::post().to(actions::consent))
            .route(&at("/workers/{id}/household-status"), web::post().to(actions::household_status))
            .route(&at("/workers/{id}/secrets"), web::post().to(actions::secret))
            .route(&at("/products/{id}"), web::post().to(products::update_product))
            .route(&at("/products/{id}/makers"), web::post().to(products::makers))
            .route(&at("/products/{id}/archive"), web::post().to(products::archive))
            .route(&at("/products/{id}/submit"), web::post().to(products::submit))
            .route(&at("/products/{id}/duplicate"), web::post().to(products::duplicate))
            .route(&at("/products/{id}/review"), web::post().to(products::review))
            .route(&at("/products/{id}/photos"), web::post().to(photos::upload))
            .route(&at("/photos/{id}"), web::post().to(photos::set_alt))
            .route(&at("/photos/{id}/delete"), web::post().to(photos::delete))
            .route(&at("/shipments/{id}/ship"), web::post().to(orders::ship))
            .route(&at("/shipments/{id}/refund-shipping"), web::post().to(orders::refund_shipping))
            .route(&at("/orders/{number}/confirm-payment"), web::post().to(orders::confirm_payment))
            .route(&at("/orders/{number}/accept-cod"), web::post().to(orders::accept_cod))
            .route(&at("/orders/{number}/refuse-cod"), web::post().to(orders::refuse_cod))
            .route(&at("/lines/{id}/refund"), web::post().to(orders::refund_line))
            .route(&at("/refunds/{id}/decide"), web::post().to(orders::decide))
            .route(&at("/payouts/run"), web::post().to(payouts::run))
            .route(&at("/payouts/send-transfers"), web::post().to(payouts::send_transfers))
            .route(&at("/payouts/{id}/mark"), web::post().to(payouts::mark))
            .route(&at("/workshops/{id}/stripe-account"), web::post().to(payouts::stripe_account));
    }
    cfg
        // Files.
        .route("/static/{path:.*}", web::get().to(assets::static_file))
        .route("/media/{path:.*}", web::get().to(assets::media_file));
}

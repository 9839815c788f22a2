//! The buyer's side of orders: the cart (an anonymous browser's cart, and its favourites, live
//! behind the `gf_cart` cookie and join the account at login), checkout, the order history and
//! order page, paying, cancelling, confirming receipt and asking for a return; and Stripe's
//! webhook.
//! Each action serves a form post (answered with a redirect) and a JSON call.

use super::forms::{answer, FormState, Submission};
use super::portal::{done, is_api};
use super::session::{cookie, removal, SignedIn, Viewer};
use crate::accounts::secrets::{new_token, token_hash};
use crate::db::carts::CartOwner;
use crate::domain::address::{AddressInput, ShippingAddress};
use crate::domain::order::PaymentMethod;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::orders::checkout::CheckoutRequest;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use tera::Context;

/// The anonymous cart's cookie.
pub const CART_COOKIE: &str = "gf_cart";

/// The cart (and favourites) of the signed-in user, or of this browser (if it has a token).
pub(super) fn browser_owner(req: &HttpRequest, viewer: &Viewer) -> Option<CartOwner> {
    match &viewer.0 {
        Some(p) => Some(CartOwner::User(p.user_id.get())),
        None => req.cookie(CART_COOKIE).map(|c| CartOwner::Browser(token_hash(c.value()))),
    }
}

/// [`browser_owner`], or a new browser token with the cookie that carries it.
pub(super) fn owner_or_new(
    req: &HttpRequest,
    state: &AppState,
    viewer: &Viewer,
) -> (CartOwner, Option<actix_web::cookie::Cookie<'static>>) {
    match browser_owner(req, viewer) {
        Some(o) => (o, None),
        None => {
            let token = new_token();
            (CartOwner::Browser(token_hash(&token)), Some(cookie(req, state, CART_COOKIE, token).into_owned()))
        }
    }
}

/// Moves this browser's cart and favourites into the account that just signed in; returns
/// the cookie that removes the browser's token, if there was one.
pub async fn merge_browser_cart(
    req: &HttpRequest,
    state: &AppState,
    user: i64,
) -> Result<Option<actix_web::cookie::Cookie<'static>>, AppError> {
    let Some(token) = req.cookie(CART_COOKIE) else { return Ok(None) };
    let hash = token_hash(token.value());
    state.orders.merge_cart(CartOwner::Browser(hash.clone()), user).await?;
    state.favourites.merge(hash, user).await?;
    Ok(Some(removal(req, state, CART_COOKIE).into_owned()))
}

#[utoipa::path(get, path = "/api/v1/cart", description = "The cart: one parcel per workshop with subtotal and shipping, and each line's problems.", responses((status = 200, body = crate::orders::cart::CartView)), security((), ("bearer" = []), ("session" = [])))]
pub async fn cart(state: web::Data<AppState>, req: HttpRequest, viewer: Viewer) -> Result<HttpResponse, AppError> {
    cart_page(&state, &req, &viewer, None).await
}

/// The cart (JSON for the API), with the quantity a refused line was given and its message.
async fn cart_page(
    state: &AppState,
    req: &HttpRequest,
    viewer: &Viewer,
    refused: Option<(i64, FormState)>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_request(req);
    let view = match browser_owner(req, viewer) {
        Some(o) => state.orders.cart(o, lang).await?,
        None => Default::default(),
    };
    if is_api(req) {
        return Ok(HttpResponse::Ok().json(view));
    }
    let mut ctx = Context::new();
    ctx.insert("cart", &view);
    ctx.insert("signed_in", &viewer.0.is_some());
    let (line, form) = refused.map_or((None, FormState::default()), |(line, form)| (Some(line), form));
    ctx.insert("refused_line", &line);
    ctx.insert("refused", &form);
    state.renderer.page(req, lang, "shop/cart.html", ctx)
}

/// A product and quantity for the cart.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CartItemInput {
    pub product_id: i64,
    #[serde(default = "one", deserialize_with = "crate::portal::input::loose_i64")]
    pub quantity: i64,
}

fn one() -> i64 {
    1
}

#[utoipa::path(post, path = "/api/v1/cart/items", description = "Add pieces of a product to the cart (checked against stock or the made-to-order limit).", request_body = CartItemInput, responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 404, description = "No product with this id on sale", body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security((), ("bearer" = []), ("session" = [])))]
pub async fn add_item(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
    input: Submission<CartItemInput>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let result = async {
        let input = input?;
        let (owner, fresh) = owner_or_new(&req, &state, &viewer);
        state.orders.add_to_cart(owner, input.product_id, input.quantity).await?;
        let mut res = done(&req, "/cart".into(), crate::web::replies::DONE);
        if let Some(c) = fresh {
            let _ = res.add_cookie(&c);
        }
        Ok(res)
    }
    .await;
    // A refusal (too many, sold out) is said on the product's page, beside the quantity.
    answer(&state, &req, result, form, |form| async {
        let id = form.value("product_id").and_then(|v| v.trim().parse::<i64>().ok()).ok_or(AppError::NotFound)?;
        let detail = state.catalog.product_by_id(id).await?;
        super::pages::product_page(&state, &req, Lang::of_request(&req), &detail, form.prefixed("cart"))
    })
    .await
}

/// A new quantity for a product in the cart.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct QuantityInput {
    #[serde(deserialize_with = "crate::portal::input::loose_i64")]
    pub quantity: i64,
}

#[utoipa::path(post, path = "/api/v1/cart/items/{product_id}", description = "Set a product's quantity in the cart; 0 removes it.", request_body = QuantityInput, params(("product_id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security((), ("bearer" = []), ("session" = [])))]
pub async fn set_item(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
    product: web::Path<i64>,
    input: Submission<QuantityInput>,
) -> Result<HttpResponse, AppError> {
    let product = *product;
    let (input, form) = input.split();
    let form = form.map(|f| f.prefixed(&format!("q{product}")));
    let result = async {
        let owner = browser_owner(&req, &viewer).ok_or(AppError::NotFound)?;
        state.orders.set_in_cart(owner, product, input?.quantity).await?;
        Ok(done(&req, "/cart".into(), crate::web::replies::DONE))
    }
    .await;
    // A refused quantity is said beside that line's field, with what was typed.
    answer(&state, &req, result, form, |f| cart_page(&state, &req, &viewer, Some((product, f)))).await
}

/// The checkout page: address form, parcels and totals.
pub async fn checkout_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
) -> Result<HttpResponse, AppError> {
    checkout_form(&state, &req, &who, FormState::default()).await
}

/// The checkout form, empty or with the address as typed and its message. The province
/// list starts at the kept county's province (the script re-selects the county itself).
async fn checkout_form(
    state: &AppState,
    req: &HttpRequest,
    who: &SignedIn,
    form: FormState,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_request(req);
    let view = state.orders.cart(CartOwner::User(who.0.user_id.get()), lang).await?;
    let form = form.anchor("county_code", "county").anchor("country", "country");
    let mut ctx = Context::new();
    ctx.insert("cart", &view);
    // One key per rendering of the form: a double submit or a retry after a timeout finds
    // the order the first submit made.
    ctx.insert("idempotency_key", &new_token());
    ctx.insert("provinces", &state.catalog.reference().provinces());
    ctx.insert("stripe", &state.orders.payments().stripe_enabled());
    let config = state.orders.config();
    ctx.insert(
        "hold",
        &serde_json::json!({
            "stripe_minutes": config.reservation.as_secs() / 60,
            "bank_transfer_days": config.bank_transfer_days,
            "cod_accept_hours": config.cod_accept_hours,
        }),
    );
    let county =
        form.value("county_code").map(str::trim).filter(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()));
    ctx.insert("kept_province", &county.map(|c| format!("{}0000", &c[..2])));
    ctx.insert("form", &form);
    state.renderer.page(req, lang, "shop/checkout.html", ctx)
}

/// What checkout takes: the address, the payment method, the idempotency key and, for API
/// clients, optionally the items (else the cart).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({
    "recipient": "阿说 木呷", "phone": "138 0013 8000", "country": "CN", "county_code": "513432",
    "line": "光明镇 光明路 1 号", "postal_code": "616750", "payment_method": "bank_transfer",
    "idempotency_key": "app-20261205-0001", "items": [{ "product_id": 1, "quantity": 1 }]
}))]
pub struct CheckoutInput {
    #[serde(flatten)]
    pub address: AddressInput,
    /// `bank_transfer` (default), `cash_on_delivery` (one workshop's pieces, to an address in
    /// mainland China) or `stripe` (when online payment is configured).
    #[serde(default)]
    #[schema(pattern = "^(bank_transfer|cash_on_delivery|stripe)?$")]
    pub payment_method: String,
    /// Makes a retry safe: the same key answers the same order. Also accepted as the
    /// `Idempotency-Key` header, which wins when both are sent.
    #[serde(default)]
    #[schema(required = true, min_length = 8, max_length = 100, pattern = "^[A-Za-z0-9_-]{8,100}$")]
    pub idempotency_key: String,
    /// `[{product_id, quantity}]`; the cart when absent.
    #[serde(default)]
    pub items: Option<Vec<CartItemInput>>,
}

#[utoipa::path(post, path = "/api/v1/checkout", description = "Place an order. Stock is taken at once and held: 30 minutes for online payment, days for a bank transfer, until the workshop answers for cash on delivery (the order's `deadline`); a retry with the same idempotency key returns the same order (200 instead of 201). Sold-out items give 409 with a message.", request_body = CheckoutInput, params(("Idempotency-Key" = Option<String>, Header, description = "The idempotency key, instead of the body's", min_length = 8, max_length = 100)), responses((status = 201, body = crate::orders::checkout::Placed), (status = 200, body = crate::orders::checkout::Placed), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn checkout(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    input: Submission<CheckoutInput>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let result = place_order(&state, &req, &who, input).await;
    answer(&state, &req, result, form, |form| checkout_form(&state, &req, &who, form)).await
}

async fn place_order(
    state: &AppState,
    req: &HttpRequest,
    who: &SignedIn,
    input: Result<CheckoutInput, AppError>,
) -> Result<HttpResponse, AppError> {
    let input = input?;
    let address =
        ShippingAddress::parse(&input.address).map_err(|e| AppError::BadRequest { field: e.field, key: e.key })?;
    let payment_method = match input.payment_method.as_str() {
        "" => PaymentMethod::BankTransfer,
        m => PaymentMethod::parse(m)
            .ok_or(AppError::BadRequest { field: "payment_method", key: "checkout.error.method" })?,
    };
    let header_key = req.headers().get("Idempotency-Key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let request = CheckoutRequest {
        items: input.items.map(|items| items.into_iter().map(|i| (i.product_id, i.quantity)).collect()),
        address,
        payment_method,
        idempotency_key: header_key.unwrap_or(input.idempotency_key),
        lang: Lang::of_request(req),
    };
    let placed = state.orders.checkout(&who.0, request).await?;
    if is_api(req) {
        let mut res = if placed.created { HttpResponse::Created() } else { HttpResponse::Ok() };
        return Ok(res.json(&placed));
    }
    let to = if payment_method == PaymentMethod::Stripe {
        format!("/orders/{}/pay", placed.number)
    } else {
        format!("/orders/{}", placed.number)
    };
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish())
}

#[utoipa::path(get, path = "/api/v1/orders", description = "The signed-in buyer's orders, newest first (20 a page).", params(("page" = Option<u32>, Query, description = "1-based page, at most 10000", minimum = 1, maximum = 10000)), responses((status = 200, body = crate::orders::views::OrderPage), (status = 401, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn orders(state: web::Data<AppState>, req: HttpRequest, who: SignedIn) -> Result<HttpResponse, AppError> {
    let page = i64::from(super::page_request(&req)?.page);
    let list = state.orders.my_orders(&who.0, page).await?;
    if is_api(&req) {
        return Ok(HttpResponse::Ok().json(list));
    }
    let ctx = Context::from_serialize(&list).map_err(anyhow::Error::from)?;
    state.renderer.page(&req, Lang::of_request(&req), "shop/orders.html", ctx)
}

#[utoipa::path(get, path = "/api/v1/orders/{number}", description = "An order with its parcels, lines, makers, payment and refunds (the buyer, staff of a workshop in it, operators).", params(("number" = String, Path)), responses((status = 200, body = crate::orders::views::OrderView), (status = 401, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn order(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    number: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = number.into_inner();
    if is_api(&req) {
        let view = state.orders.order_view(&who.0, number, Lang::of_request(&req)).await?;
        return Ok(HttpResponse::Ok().json(view));
    }
    order_page(&state, &req, &who, number, None).await
}

/// A form of the order page that was refused, drawn again with what was typed: `name` is the
/// form's (`confirm`, `ship-{parcel id}`, `return-{line id}`, `refund-{line id}`), and the
/// prefix of its element ids.
pub struct FailedForm {
    name: String,
    state: FormState,
}

impl FailedForm {
    pub fn new(name: String, form: FormState) -> FailedForm {
        FailedForm { state: form.prefixed(&name), name }
    }
}

/// The order page, with `failed` drawn again with its message beside its field.
pub async fn order_page(
    state: &AppState,
    req: &HttpRequest,
    who: &SignedIn,
    number: String,
    failed: Option<FailedForm>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_request(req);
    let view = state.orders.order_view(&who.0, number.clone(), lang).await?;
    let mut ctx = Context::new();
    if view.viewer != "workshop" {
        ctx.insert("impact", &state.payouts.impact(&who.0, number).await?);
    }
    ctx.insert("order", &view);
    ctx.insert("blank", &FormState::new("order"));
    if let Some(failed) = failed {
        ctx.insert("failed", &serde_json::json!({ "form": failed.name, "state": failed.state }));
    }
    state.renderer.page(req, lang, "shop/order.html", ctx)
}

#[utoipa::path(post, path = "/api/v1/orders/{number}/pay", description = "Start (or resume) paying a Stripe order: answers the PaymentIntent's client secret for Stripe.js.", params(("number" = String, Path)), responses((status = 200, body = crate::orders::stripe_events::PaymentStart), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError), (status = 503, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn pay(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    number: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = number.into_inner();
    let start = state.orders.start_payment(&who.0, number.clone()).await?;
    if is_api(&req) {
        return Ok(HttpResponse::Ok().json(start));
    }
    let mut ctx = Context::new();
    ctx.insert("payment", &start);
    ctx.insert("number", &number);
    let mut res = state.renderer.page(&req, Lang::of_request(&req), "shop/pay.html", ctx)?;
    // Stripe.js must come from Stripe and talks to it from frames of its own; this page alone
    // widens the site's policy for that (the default header is only added when none is set).
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data: https://*.stripe.com; style-src 'self' 'unsafe-inline'; \
             script-src 'self' https://js.stripe.com; frame-src https://js.stripe.com https://hooks.stripe.com; \
             connect-src 'self' https://api.stripe.com; frame-ancestors 'none'",
        ),
    );
    Ok(res)
}

#[utoipa::path(post, path = "/api/v1/orders/{number}/cancel", description = "Cancel an unpaid order (buyer, operator); its stock goes back.", params(("number" = String, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn cancel(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    number: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = number.into_inner();
    state.orders.cancel(&who.0, number.clone()).await?;
    Ok(done(&req, format!("/orders/{number}"), crate::web::replies::DONE))
}

#[utoipa::path(post, path = "/api/v1/shipments/{id}/delivered", description = "Say a parcel arrived (the buyer, its workshop, an operator).", params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn delivered(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    state.orders.deliver(&who.0, *id).await?;
    let back = super::errors::back_link(&req).unwrap_or_else(|| "/orders".into());
    Ok(done(&req, back, crate::web::replies::DONE))
}

/// A return request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReturnInput {
    #[serde(deserialize_with = "crate::portal::input::loose_i64")]
    pub quantity: i64,
    #[serde(default)]
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/orders/{number}/lines/{line}/return", description = "Ask to return pieces of a delivered line within the return window (not made-to-order pieces). Answers {id}.", request_body = ReturnInput, params(("number" = String, Path), ("line" = i64, Path)), responses((status = 200, body = crate::web::replies::Created), (status = 400, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn request_return(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    path: web::Path<(String, i64)>,
    input: Submission<ReturnInput>,
) -> Result<HttpResponse, AppError> {
    let (number, line) = path.into_inner();
    let (input, form) = input.split();
    let result = async {
        let input = input?;
        let id = state.orders.request_return(&who.0, number.clone(), line, input.quantity, &input.reason).await?;
        Ok(done(&req, format!("/orders/{number}"), crate::web::replies::Created { id }))
    }
    .await;
    answer(&state, &req, result, form, |form| {
        let failed = FailedForm::new(format!("return-{line}"), form);
        order_page(&state, &req, &who, number.clone(), Some(failed))
    })
    .await
}

/// Stripe's webhook (outside the JSON API: Stripe calls it, verified by its signature).
pub async fn stripe_webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let signature = req.headers().get("Stripe-Signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    let payload = std::str::from_utf8(&payload)
        .map_err(|_| AppError::BadRequest { field: "body", key: "payment.error.signature" })?;
    let outcome = state.orders.stripe_webhook(payload, signature).await?;
    Ok(HttpResponse::Ok().json(json!({ "outcome": outcome })))
}

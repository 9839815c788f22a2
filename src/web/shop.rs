//! The buyer's cart and checkout: the cart (an anonymous browser's cart, and its favourites,
//! live behind the `gf_cart` cookie and join the account at login) and placing an order. The
//! orders themselves are in [`super::buyer_orders`].
//! Each action serves a form post (answered with a redirect) and a JSON call.

use super::forms::{answer, FormState, Submission};
use super::portal::{done, is_api};
use super::session::{cookie, removal, SignedIn, Viewer};
use crate::accounts::secrets::{new_token, token_hash};
use crate::db::carts::{CartKey, CartOwner};
use crate::domain::address::{AddressInput, ShippingAddress};
use crate::domain::ids::VariantId;
use crate::domain::order::PaymentMethod;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::orders::checkout::CheckoutRequest;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
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
    refused: Option<(CartKey, FormState)>,
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
    ctx.insert("refused_line", &line.map(|l| l.product));
    ctx.insert("refused_variant", &line.and_then(|l| l.variant).map(VariantId::get));
    ctx.insert("refused", &form);
    state.renderer.page(req, lang, "shop/cart.html", ctx)
}

/// A product and quantity for the cart.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CartItemInput {
    pub product_id: i64,
    /// The chosen variant, for a product with variants (its page lists them).
    #[serde(default, deserialize_with = "crate::portal::input::opt_i64")]
    pub variant_id: Option<i64>,
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
        state.orders.add_to_cart(owner, input.line(), input.quantity).await?;
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

impl CartItemInput {
    /// The cart line it names.
    fn line(&self) -> CartKey {
        CartKey { product: self.product_id, variant: self.variant_id.map(VariantId) }
    }
}

/// A new quantity for a product (one variant of it) in the cart.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct QuantityInput {
    /// The line's variant, for a product with variants.
    #[serde(default, deserialize_with = "crate::portal::input::opt_i64")]
    pub variant_id: Option<i64>,
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
    // The line the form was for, even when its quantity was refused: a form names its variant.
    let variant = form
        .as_ref()
        .and_then(|f| f.value("variant_id"))
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or_else(|| input.as_ref().ok().and_then(|i| i.variant_id));
    let line = CartKey { product, variant: variant.map(VariantId) };
    let prefix = match variant {
        Some(v) => format!("q{product}-{v}"),
        None => format!("q{product}"),
    };
    let form = form.map(|f| f.prefixed(&prefix));
    let result = async {
        let owner = browser_owner(&req, &viewer).ok_or(AppError::NotFound)?;
        state.orders.set_in_cart(owner, line, input?.quantity).await?;
        Ok(done(&req, "/cart".into(), crate::web::replies::DONE))
    }
    .await;
    // A refused quantity is said beside that line's field, with what was typed.
    answer(&state, &req, result, form, |f| cart_page(&state, &req, &viewer, Some((line, f)))).await
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
    ctx.insert("organisation", &state.organisations.of(&who.0).await?);
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
    /// `[{product_id, variant_id, quantity}]`; the cart when absent.
    #[serde(default)]
    pub items: Option<Vec<CartItemInput>>,
    /// Buy for the buyer's organisation: the order carries its invoice request (发票).
    #[serde(default, deserialize_with = "crate::portal::input::flag")]
    pub for_organisation: bool,
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
        items: input.items.map(|items| items.into_iter().map(|i| (i.line(), i.quantity)).collect()),
        address,
        payment_method,
        idempotency_key: header_key.unwrap_or(input.idempotency_key),
        lang: Lang::of_request(req),
        for_organisation: input.for_organisation,
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

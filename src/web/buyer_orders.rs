//! The buyer's orders: the order history and order page (which staff see too, with their
//! forms), paying, cancelling, confirming receipt and asking for a return; and Stripe's
//! webhook. Each action serves a form post (answered with a redirect) and a JSON call.

use super::forms::{answer, FormState, Submission};
use super::portal::{done, is_api};
use super::session::SignedIn;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use tera::Context;

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
        ctx.insert("impact", &state.payouts.impact(&who.0, number.clone()).await?);
    }
    ctx.insert("order", &view);
    // Only after the view: that read decided who may see the order.
    ctx.insert("invoice", &state.organisations.order_invoice(number.clone()).await?);
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

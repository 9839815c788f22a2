//! Orders in the portal: a workshop's queue (to confirm, to ship, shipped, delivered), the
//! packing slip with each piece's trace code, shipping, payment confirmation, refunds and
//! return decisions; and the operators' order search.

use super::{body, done, is_api, In};
use crate::db::order_views::QueueFilter;
use crate::domain::order::OrderStatus;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::orders::refunds::RefundTarget;
use crate::orders::views::OrderPart;
use crate::state::AppState;
use crate::web::buyer_orders::{order_page, FailedForm};
use crate::web::forms::{answer, Submission};
use crate::web::session::SignedIn;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tera::Context;

fn filter(req: &HttpRequest) -> Result<(QueueFilter, &'static str), AppError> {
    let pairs = crate::i18n::url_pairs(req.query_string());
    Ok(match crate::domain::listing::query_value(&pairs, "show").unwrap_or("to_ship") {
        "to_confirm" => (QueueFilter::ToConfirm, "to_confirm"),
        "to_ship" => (QueueFilter::ToShip, "to_ship"),
        "shipped" => (QueueFilter::Shipped, "shipped"),
        "delivered" => (QueueFilter::Delivered, "delivered"),
        _ => return Err(AppError::BadRequest { field: "show", key: "order.error.unknown_status" }),
    })
}

#[utoipa::path(get, path = "/api/v1/portal/workshops/{id}/orders", description = "The workshop's order queue: show=to_confirm|to_ship|shipped|delivered (20 a page).", params(("id" = i64, Path), ("show" = Option<String>, Query), ("page" = Option<u32>, Query, description = "1-based page, at most 10000", minimum = 1, maximum = 10000)), responses((status = 200, body = crate::orders::views::OrderPage), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn queue(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (filter, name) = filter(&req)?;
    let page = i64::from(crate::web::page_request(&req)?.page);
    let list = state.orders.workshop_queue(&who.0, *id, filter, page).await?;
    if is_api(&req) {
        return Ok(HttpResponse::Ok().json(list));
    }
    let mut ctx = Context::from_serialize(&list).map_err(anyhow::Error::from)?;
    ctx.insert("workshop_id", &*id);
    ctx.insert("show", name);
    state.renderer.page(&req, Lang::of_request(&req), "portal/orders.html", ctx)
}

/// The packing slip of an order's parcels that the user may see: each piece with its trace
/// code, the address, and nothing about money beyond the line prices.
pub async fn packing_slip(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    number: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_request(&req);
    let view = state.orders.order_view(&who.0, number.into_inner(), lang).await?;
    if view.viewer == "buyer" {
        return Err(AppError::NotFound);
    }
    let mut ctx = Context::new();
    ctx.insert("order", &view);
    ctx.insert("public_url", &state.config.public_url);
    state.renderer.page(&req, lang, "portal/packing_slip.html", ctx)
}

/// A parcel handed to the carrier.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ShipInput {
    pub carrier: String,
    pub tracking_number: String,
}

#[utoipa::path(post, path = "/api/v1/portal/shipments/{id}/ship", description = "Ship a paid parcel with carrier and tracking number; the buyer gets an e-mail.", request_body = ShipInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn ship(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: Submission<ShipInput>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let id = id.into_inner();
    let result = async {
        let input = input?;
        state.orders.ship(&who.0, id, &input.carrier, &input.tracking_number).await?;
        let back = crate::web::errors::back_link(&req).unwrap_or_else(|| "/portal".into());
        Ok(done(&req, back, crate::web::replies::DONE))
    }
    .await;
    answer(&state, &req, result, form, |form| async {
        let number = state.orders.number_of(OrderPart::Parcel(id)).await?;
        let failed = FailedForm::new(format!("ship-{id}"), form);
        order_page(&state, &req, &who, number, Some(failed)).await
    })
    .await
}

/// An offline payment's reference.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PaymentInput {
    pub reference: String,
}

#[utoipa::path(post, path = "/api/v1/portal/orders/{number}/confirm-payment", description = "Confirm an offline payment: a bank transfer with the bank's reference (operators only), or cash on delivery with the courier's remittance number once the parcel has shipped (its workshop's staff or an operator; the parcel counts as delivered).", request_body = PaymentInput, params(("number" = String, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn confirm_payment(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    number: web::Path<String>,
    input: Submission<PaymentInput>,
) -> Result<HttpResponse, AppError> {
    let number = number.into_inner();
    let (input, form) = input.split();
    let result = async {
        state.orders.confirm_offline_payment(&who.0, number.clone(), &input?.reference).await?;
        Ok(done(&req, format!("/orders/{number}"), crate::web::replies::DONE))
    }
    .await;
    answer(&state, &req, result, form, |form| {
        let failed = FailedForm::new("confirm".into(), form);
        order_page(&state, &req, &who, number.clone(), Some(failed))
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/portal/orders/{number}/accept-cod", description = "Accept a cash-on-delivery order (its workshop's staff, or an operator): it may then ship unpaid, and is paid at the door.", params(("number" = String, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn accept_cod(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    number: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = number.into_inner();
    state.orders.answer_cash_on_delivery(&who.0, number.clone(), true).await?;
    Ok(done(&req, format!("/orders/{number}"), crate::web::replies::DONE))
}

/// `/portal/orders/{number}/refuse-cod`: asks before refusing cash on delivery (or recording
/// that the buyer did not pay at the door).
pub async fn refuse_cod_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    number: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = number.into_inner();
    let lang = Lang::of_request(&req);
    let view = state.orders.order_view(&who.0, number.clone(), lang).await?;
    if !view.can.refuse {
        return Err(AppError::NotFound);
    }
    let accepted = view.order.status == OrderStatus::Accepted.as_str();
    let what = if accepted { "not_collected" } else { "refuse_cod" };
    let text = state.renderer.i18n().format(lang, &format!("confirm.{what}_text"), &[("number", &number)]);
    let (action, back) = (format!("/portal/orders/{number}/refuse-cod"), format!("/orders/{number}"));
    super::products::confirm_page(&state, &req, what, text, action, back, None)
}

#[utoipa::path(post, path = "/api/v1/portal/orders/{number}/refuse-cod", description = "Refuse a cash-on-delivery order, or record that a shipped one was not paid at the door: the order is cancelled, its stock goes back (and, refused before it left, the buyer is told). A form post must come from the confirmation page (`confirm=yes`).", request_body = crate::web::portal::products::Confirmation, params(("number" = String, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn refuse_cod(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    number: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let number = number.into_inner();
    if let Some(ask) = super::products::ask_first(&req, &raw, format!("/portal/orders/{number}/refuse-cod")) {
        return Ok(ask);
    }
    state.orders.answer_cash_on_delivery(&who.0, number.clone(), false).await?;
    Ok(done(&req, format!("/orders/{number}"), crate::web::replies::DONE))
}

/// A staff refund of part of a line.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RefundInput {
    /// Pieces taken back (0 for a price adjustment).
    #[serde(default, deserialize_with = "crate::portal::input::opt_i64")]
    pub quantity: Option<i64>,
    /// The amount in yuan (`"12.50"`); by default the pieces' price.
    #[serde(default)]
    pub amount_yuan: Option<String>,
    /// The amount in fen (JSON clients); wins over `amount_yuan`.
    #[serde(default, deserialize_with = "crate::portal::input::opt_i64")]
    pub amount_fen: Option<i64>,
    #[serde(default)]
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/portal/lines/{id}/refund", description = "Refund part of an order line (operators; the workshop's manager). Stripe payments are refunded through Stripe by the order worker. Answers {id}.", request_body = RefundInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Created), (status = 400, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn refund_line(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: Submission<RefundInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (input, form) = input.split();
    let result = async {
        let input = input?;
        let amount = match (input.amount_fen, input.amount_yuan.as_deref().map(str::trim).filter(|s| !s.is_empty())) {
            (Some(fen), _) => Some(crate::domain::Fen(fen)),
            (None, Some(yuan)) => Some(
                crate::domain::Fen::parse_typed_yuan(yuan)
                    .ok_or(AppError::BadRequest { field: "amount_yuan", key: "error.not_amount" })?,
            ),
            (None, None) => None,
        };
        let target = RefundTarget::Line { line: id, quantity: input.quantity.unwrap_or(0), amount };
        let refund = state.orders.refund(&who.0, target, &input.reason).await?;
        let back = crate::web::errors::back_link(&req).unwrap_or_else(|| "/portal".into());
        Ok(done(&req, back, crate::web::replies::Created { id: refund }))
    }
    .await;
    answer(&state, &req, result, form, |form| async {
        let number = state.orders.number_of(OrderPart::Line(id)).await?;
        let failed = FailedForm::new(format!("refund-{id}"), form);
        order_page(&state, &req, &who, number, Some(failed)).await
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/portal/shipments/{id}/refund-shipping", description = "Refund what is left of a parcel's shipping fee. Answers {id}.", params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Created), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn refund_shipping(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let refund = state.orders.refund(&who.0, RefundTarget::Shipping { shipment: *id }, "").await?;
    let back = crate::web::errors::back_link(&req).unwrap_or_else(|| "/portal".into());
    Ok(done(&req, back, crate::web::replies::Created { id: refund }))
}

/// A decision on a return request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DecisionInput {
    /// `approve` or `reject`.
    pub decision: String,
}

#[utoipa::path(post, path = "/api/v1/portal/refunds/{id}/decide", description = "Approve (refund) or reject a buyer's return request.", request_body = DecisionInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn decide(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: In<DecisionInput>,
) -> Result<HttpResponse, AppError> {
    let approve = match body(input).decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(AppError::BadRequest { field: "decision", key: "refund.error.decision" }),
    };
    state.orders.decide_return(&who.0, *id, approve).await?;
    let back = crate::web::errors::back_link(&req).unwrap_or_else(|| "/portal".into());
    Ok(done(&req, back, crate::web::replies::DONE))
}

#[utoipa::path(get, path = "/api/v1/portal/orders", description = "Operators search orders by number, buyer e-mail or recipient (q) and status.", params(("q" = Option<String>, Query), ("status" = Option<String>, Query), ("page" = Option<u32>, Query, description = "1-based page, at most 10000", minimum = 1, maximum = 10000)), responses((status = 200, body = crate::orders::views::OrderPage), (status = 400, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn search(state: web::Data<AppState>, req: HttpRequest, who: SignedIn) -> Result<HttpResponse, AppError> {
    let pairs = crate::i18n::url_pairs(req.query_string());
    let text = crate::domain::listing::query_value(&pairs, "q").map(|t| t.chars().take(100).collect::<String>());
    let status = crate::domain::listing::query_value(&pairs, "status").map(str::to_owned);
    let page = i64::from(crate::web::page_request(&req)?.page);
    let list = state.orders.search(&who.0, text.clone(), status.clone(), page).await?;
    if is_api(&req) {
        return Ok(HttpResponse::Ok().json(list));
    }
    let mut ctx = Context::from_serialize(&list).map_err(anyhow::Error::from)?;
    // Not `q`: the site-wide search box in the header fills itself from that.
    ctx.insert("query", &text.unwrap_or_default());
    ctx.insert("status", &status.unwrap_or_default());
    state.renderer.page(&req, Lang::of_request(&req), "portal/order_search.html", ctx)
}

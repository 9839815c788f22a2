//! Custom orders' actions, each for a form post (answered by a redirect, or the page drawn
//! again with what was typed) and a JSON call: a buyer's request to a workshop, the
//! workshop's quote, the buyer's answer, each milestone's payment, progress photos, shipping,
//! receipt and cancellation. The pages are in [`super::custom_pages`]; the rules in
//! [`crate::custom_orders`].

use super::custom_pages::{draw, draw_request, Forms};
use super::errors::ApiError;
use super::forms::{answer, FormState, Submission};
use super::pages::PageQuery;
use super::portal::photos::read_parts;
use super::portal::product_makers::{editing_rows, form_makers, grouped};
use super::portal::{body, done, is_api, In};
use super::replies::{Created, Done, DONE};
use super::session::SignedIn;
use crate::custom_orders::milestones::PayInput;
use crate::custom_orders::views::{CustomPage, CustomView};
use crate::custom_orders::{MilestoneInput, QuoteInput};
use crate::domain::address::AddressInput;
use crate::domain::custom_order::RequestInput;
use crate::domain::ids::CustomOrderId;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;
use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

/// The order that pays a milestone.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MilestoneOrder {
    /// Its number: pay it by Stripe at `/api/v1/orders/{number}/pay`, or by bank transfer.
    pub number: String,
}

/// The piece's parcel.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ShipInput {
    #[serde(default)]
    pub carrier: String,
    #[serde(default)]
    pub tracking_number: String,
}

/// A progress photo (multipart/form-data).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Only describes the form for the API document; the handler reads it field by field.
pub struct ProgressUpload {
    /// The photo (JPEG, PNG or WebP); its metadata is stripped.
    #[schema(value_type = String, format = Binary)]
    photo: Vec<u8>,
    /// What it shows (up to 500 characters).
    note: Option<String>,
    /// The milestone it belongs to (by default the next unpaid one).
    position: Option<i32>,
}

#[utoipa::path(post, path = "/api/v1/workshops/{slug}/custom", operation_id = "request_custom_piece", description = "A signed-in buyer asks a workshop that takes custom work for a piece: a description, and optionally a budget in yuan and a wanted-by date (after today, China time). A workshop that takes none answers 409.", request_body = RequestInput, params(("slug" = String, Path)), responses((status = 200, description = "The custom order", body = Created), (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn request(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    slug: web::Path<String>,
    input: Submission<RequestInput>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let form = form.map(|f| f.prefixed("custom").scoped("custom"));
    let result = async {
        let id = state.custom_orders.request(&who.0, &slug, input?, Lang::of_request(&req)).await?;
        Ok(done(&req, format!("/custom/{id}"), Created { id: id.get() }))
    }
    .await;
    answer(&state, &req, result, form, |form| draw_request(&state, &req, &slug, form)).await
}

/// A button's action (accept, decline, receive, cancel): a redirect back to the page, or the
/// page with the refusal above its buttons.
async fn act(
    state: &AppState,
    req: &HttpRequest,
    who: &SignedIn,
    id: CustomOrderId,
    result: Result<(), AppError>,
) -> Result<HttpResponse, AppError> {
    let result = result.map(|()| done(req, format!("/custom/{id}"), DONE));
    let form = (!is_api(req)).then(|| FormState::new("actions"));
    answer(state, req, result, form, |form| {
        draw(state, req, who, id, Forms { actions: Some(form), ..Forms::default() })
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/custom", operation_id = "custom_orders", description = "The signed-in user's custom orders, newest first, 20 a page: a buyer's own, or their workshop's for its staff.", params(("page" = Option<u32>, Query)), responses((status = 200, body = CustomPage), (status = 401, body = ApiError), (status = 403, body = ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    who: SignedIn,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(state.custom_orders.list(&who.0, query.page()).await?))
}

#[utoipa::path(get, path = "/api/v1/custom/{id}", operation_id = "custom_order", description = "One custom order with its quote, milestones (each with the order that pays it) and progress photos: for its buyer, its workshop's staff and operators; anyone else gets 404.", params(("id" = i64, Path)), responses((status = 200, body = CustomView), (status = 401, body = ApiError), (status = 404, body = ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn view(state: web::Data<AppState>, who: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(state.custom_orders.view(&who.0, CustomOrderId(*id)).await?))
}

#[utoipa::path(post, path = "/api/v1/custom/{id}/quote", operation_id = "quote_custom_piece", description = "The workshop's manager quotes a requested piece: the piece as a product is described (title, heritage item, `price` in yuan, `lead_time_days`, wage rule, `makers` with shares adding up to 10,000 basis points), the `milestones` (`percent` of the price and `due`: `acceptance` first, `before_shipping` last, `progress` between) and a `note`. The milestones' amounts add up to the price exactly.", request_body = QuoteInput, params(("id" = i64, Path)), responses((status = 200, body = Done), (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn quote(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: Submission<QuoteInput>,
) -> Result<HttpResponse, AppError> {
    let id = CustomOrderId(*id);
    let (input, form) = input.split();
    let form = form.map(|f| {
        grouped(f.prefixed("quote").scoped("custom")).group("percent", "milestones").group("due", "milestones")
    });
    if let Some(form) = form.clone().filter(editing_rows) {
        return draw(&state, &req, &who, id, Forms { quote: Some(form), ..Forms::default() }).await;
    }
    let result = async {
        let mut input = input?;
        if let Some(form) = &form {
            read_tables(&mut input, form)?;
        }
        state.custom_orders.quote(&who.0, id, input).await?;
        Ok(done(&req, format!("/custom/{id}"), DONE))
    }
    .await;
    answer(&state, &req, result, form, |form| {
        draw(&state, &req, &who, id, Forms { quote: Some(form), ..Forms::default() })
    })
    .await
}

/// Reads the quote form's tables into `input`: the makers, and the milestones' rows that were
/// filled.
fn read_tables(input: &mut QuoteInput, form: &FormState) -> Result<(), AppError> {
    input.piece.makers = form_makers(form, true)?;
    let (percents, dues) = (form.values("percent"), form.values("due"));
    input.milestones = percents
        .iter()
        .zip(dues)
        .filter(|(p, _)| !p.trim().is_empty())
        .map(|(p, d)| MilestoneInput { percent: p.trim().to_owned(), due: d.clone() })
        .collect();
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/custom/{id}/accept", operation_id = "accept_custom_quote", description = "The buyer accepts the quote; the first milestone falls due.", params(("id" = i64, Path)), responses((status = 200, body = Done), (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn accept(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = CustomOrderId(*id);
    act(&state, &req, &who, id, state.custom_orders.accept(&who.0, id).await).await
}

#[utoipa::path(post, path = "/api/v1/custom/{id}/decline", operation_id = "decline_custom_order", description = "The workshop's manager declines a request, or the buyer a quote.", params(("id" = i64, Path)), responses((status = 200, body = Done), (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn decline(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = CustomOrderId(*id);
    act(&state, &req, &who, id, state.custom_orders.decline(&who.0, id).await).await
}

#[utoipa::path(post, path = "/api/v1/custom/{id}/pay", operation_id = "pay_custom_milestone", description = "The buyer pays the next milestone that has fallen due (a `progress` milestone once its progress photo is posted): an order of one line at the milestone's amount is made, or the one already waiting is answered again. The first payment needs the `address`; later ones reuse it.", request_body = PayInput, params(("id" = i64, Path)), responses((status = 200, body = MilestoneOrder), (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn pay(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: Submission<PayInput>,
) -> Result<HttpResponse, AppError> {
    let id = CustomOrderId(*id);
    let (input, form) = input.split();
    let form = form.map(|f| f.prefixed("pay").scoped("custom").anchor("county_code", "county"));
    let result = async {
        let mut input = input?;
        if let Some(form) = form.as_ref().filter(|f| !f.value("recipient").unwrap_or("").trim().is_empty()) {
            input.address = Some(address_of(form));
        }
        let stripe = input.payment_method.trim() == "stripe";
        let number = state.custom_orders.pay(&who.0, id, input).await?;
        // Paying by card goes on to Stripe; a bank transfer's order page says where to send it.
        let to = if stripe { format!("/orders/{number}/pay") } else { format!("/orders/{number}") };
        Ok(done(&req, to, MilestoneOrder { number }))
    }
    .await;
    answer(&state, &req, result, form, |form| {
        draw(&state, &req, &who, id, Forms { pay: Some(form), ..Forms::default() })
    })
    .await
}

/// The address fields of the payment form (the checkout's).
fn address_of(form: &FormState) -> AddressInput {
    let text = |name: &str| form.value(name).unwrap_or("").to_owned();
    AddressInput {
        recipient: text("recipient"),
        phone: text("phone"),
        country: text("country"),
        county_code: text("county_code"),
        region: text("region"),
        line: text("line"),
        postal_code: text("postal_code"),
    }
}

#[utoipa::path(post, path = "/api/v1/custom/{id}/progress", operation_id = "post_custom_progress", description = "The workshop's staff post a progress photo (multipart/form-data: `photo`, `note`, `position`). The first one marks the work begun, which the cancellation rule reads.", request_body(content = ProgressUpload, content_type = "multipart/form-data"), params(("id" = i64, Path)), responses((status = 200, body = Created), (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 413, body = ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn progress(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    mut form: Multipart,
) -> Result<HttpResponse, AppError> {
    let id = CustomOrderId(*id);
    let mut typed = FormState::new("progress").scoped("custom");
    let result = async {
        let limit = state.portal.photo_limits().max_bytes;
        let too_many = AppError::BadRequest { field: "photo", key: "photo.one" };
        let parts = read_parts(&mut form, 3, too_many, |name| if name == "photo" { limit } else { 4096 }).await?;
        let (mut photo, mut note, mut position) = (None, String::new(), None);
        for (name, bytes) in parts {
            match name.as_str() {
                "photo" if !bytes.is_empty() => photo = Some(bytes),
                "note" => note = String::from_utf8_lossy(&bytes).into_owned(),
                "position" => {
                    let text = String::from_utf8_lossy(&bytes).trim().to_owned();
                    typed = typed.clone().with("position", text.clone());
                    if !text.is_empty() {
                        position =
                            Some(text.parse::<i32>().map_err(|_| AppError::BadRequest {
                                field: "position",
                                key: "custom.error.position",
                            })?);
                    }
                }
                _ => {}
            }
        }
        // A refused photo must be chosen again (a browser never refills a file field).
        typed = typed.clone().with("note", note.clone());
        let posted = state.custom_orders.post_progress(&who.0, id, position, photo, &note).await?;
        Ok(done(&req, format!("/custom/{id}#progress"), Created { id: posted }))
    }
    .await;
    let form = (!is_api(&req)).then_some(typed);
    answer(&state, &req, result, form, |form| {
        draw(&state, &req, &who, id, Forms { progress: Some(form), ..Forms::default() })
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/custom/{id}/ship", operation_id = "ship_custom_piece", description = "The workshop's staff ship the piece once every milestone is paid.", request_body = ShipInput, params(("id" = i64, Path)), responses((status = 200, body = Done), (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn ship(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: In<ShipInput>,
) -> Result<HttpResponse, AppError> {
    let (id, input) = (CustomOrderId(*id), body(input));
    let typed = FormState::new("ship")
        .with("carrier", input.carrier.clone())
        .with("tracking_number", input.tracking_number.clone());
    let result = state
        .custom_orders
        .ship(&who.0, id, &input.carrier, &input.tracking_number)
        .await
        .map(|()| done(&req, format!("/custom/{id}"), DONE));
    let form = (!is_api(&req)).then_some(typed);
    answer(&state, &req, result, form, |form| {
        draw(&state, &req, &who, id, Forms { ship: Some(form), ..Forms::default() })
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/custom/{id}/received", operation_id = "receive_custom_piece", description = "The piece arrived (its buyer, its workshop's staff or an operator say so); the return window starts.", params(("id" = i64, Path)), responses((status = 200, body = Done), (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn received(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = CustomOrderId(*id);
    act(&state, &req, &who, id, state.custom_orders.receive(&who.0, id).await).await
}

#[utoipa::path(post, path = "/api/v1/custom/{id}/cancel", operation_id = "cancel_custom_order", description = "Cancels a custom order by the stated rule. Before acceptance the buyer withdraws. Once accepted and before shipping: the workshop's manager's cancellation, or the buyer's before any progress photo, refunds every paid milestone in full; the buyer's after work has begun keeps what was paid.", params(("id" = i64, Path)), responses((status = 200, body = Done), (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn cancel(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = CustomOrderId(*id);
    act(&state, &req, &who, id, state.custom_orders.cancel(&who.0, id).await).await
}

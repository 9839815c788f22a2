//! Institutional buyers on the web: the buyer's organisation page (`/account/organisation`,
//! JSON at `/api/v1/organisation`) with its registration, members, CSV upload into the cart
//! and the purchase report and its CSV export; the workshop's invoice number on a parcel; and
//! the officials' list of institutional purchases into their region.

use crate::domain::organisation::OrganisationInput;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::forms::{answer, FormState, Submission};
use crate::web::portal::{done, is_api};
use crate::web::session::{SignedIn, Viewer as Session};
use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tera::Context;

/// The largest CSV of order lines read (a few hundred lines fit in far less).
const CSV_LIMIT: usize = 256 * 1024;

/// The page, with one of its forms as typed when it was refused.
async fn draw(
    state: &AppState,
    req: &HttpRequest,
    who: &SignedIn,
    refused: Option<(&str, FormState)>,
) -> Result<HttpResponse, AppError> {
    let page = state.organisations.page(&who.0).await?;
    let mut ctx = Context::new();
    let form_of = |p: &str| match &refused {
        Some((which, form)) if *which == p => form.clone(),
        _ => FormState::new(p).scoped("organisation"),
    };
    ctx.insert("register", &form_of("o"));
    ctx.insert("member_form", &form_of("m"));
    ctx.insert("upload", &form_of("c"));
    ctx.insert("page", &page);
    state.renderer.page(req, Lang::of_request(req), "account/organisation.html", ctx)
}

#[utoipa::path(get, path = "/api/v1/organisation", operation_id = "organisation_page", description = "The signed-in buyer's organisation (消费帮扶): its details, members, the parcels of its orders with their invoice numbers, and what it bought by the journal (the part to key support areas and 三区三州, wages, and the poor-household part when at least 3 makers stand on each side). `organisation` is null for a buyer in none.", responses((status = 200, body = crate::organisations::OrganisationPage), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// The buyer's organisation page.
pub async fn page(state: web::Data<AppState>, req: HttpRequest, who: SignedIn) -> Result<HttpResponse, AppError> {
    if is_api(&req) {
        let page = state.organisations.page(&who.0).await?;
        return Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "private, no-store")).json(page));
    }
    draw(&state, &req, &who, None).await
}

#[utoipa::path(post, path = "/api/v1/organisation", operation_id = "register_organisation", description = "Register the buyer's organisation, the buyer its administrator. The credit code is checked by its check character; a wrong one is a 400 naming `credit_code` with the reason.", request_body = crate::domain::organisation::OrganisationInput, responses((status = 200, body = crate::web::replies::Created), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// Registers an organisation.
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    input: Submission<OrganisationInput>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let form = form.map(|f| f.prefixed("o").scoped("organisation"));
    let result = async {
        let id = state.organisations.register(&who.0, input?).await?;
        Ok(done(&req, "/account/organisation".into(), crate::web::replies::Created { id }))
    }
    .await;
    answer(&state, &req, result, form, |f| draw(&state, &req, &who, Some(("o", f)))).await
}

/// A colleague to add, by the e-mail of their buyer's account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = OrganisationMemberInput)]
pub struct MemberInput {
    pub email: String,
}

#[utoipa::path(post, path = "/api/v1/organisation/members", operation_id = "add_organisation_member", description = "Add a buyer (by the e-mail of their account) to the administrator's organisation, to buy for it.", request_body = MemberInput, responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// Adds a member.
pub async fn add_member(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    input: Submission<MemberInput>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let form = form.map(|f| f.prefixed("m").scoped("organisation"));
    let result = async {
        state.organisations.add_member(&who.0, &input?.email).await?;
        Ok(done(&req, "/account/organisation".into(), crate::web::replies::DONE))
    }
    .await;
    answer(&state, &req, result, form, |f| draw(&state, &req, &who, Some(("m", f)))).await
}

/// The multipart form of an uploaded order.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Only describes the form for the API document; the handler reads it field by field.
pub struct LinesUpload {
    /// A CSV (UTF-8) with a heading row naming `product` (or 产品编号), `quantity` (数量) and
    /// optionally `variant` (款式编号), then one line per row.
    #[schema(value_type = String, format = Binary, content_media_type = "text/csv")]
    lines: Vec<u8>,
}

#[utoipa::path(post, path = "/api/v1/organisation/lines", operation_id = "upload_order_lines", description = "Put the lines of a CSV (multipart field `lines`) into the member's cart, all or none; a line that cannot go in is a 400 naming `lines` with its row. The member then checks out with `for_organisation`.", request_body(content = LinesUpload, content_type = "multipart/form-data"), responses((status = 200, body = crate::web::replies::Created), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 413, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// Uploads order lines into the cart.
pub async fn upload_lines(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    mut form: Multipart,
) -> Result<HttpResponse, AppError> {
    let result =
        async {
            let too_many = AppError::BadRequest { field: "lines", key: "error.bad_request" };
            let parts = crate::web::portal::photos::read_parts(&mut form, 4, too_many, |n| {
                if n == "lines" {
                    CSV_LIMIT
                } else {
                    4096
                }
            })
            .await
            .map_err(|e| match e {
                AppError::TooLarge { .. } => AppError::TooLarge { key: "error.csv_too_large" },
                _ => AppError::BadRequest { field: "lines", key: "error.csv_heading" },
            })?;
            let csv = parts
                .into_iter()
                .find(|(name, _)| name == "lines")
                .map(|(_, bytes)| bytes)
                .ok_or(AppError::BadRequest { field: "lines", key: "error.required" })?;
            let n = state.organisations.upload_lines(&who.0, &csv).await?;
            Ok(done(&req, "/cart".into(), crate::web::replies::Created { id: i64::try_from(n).unwrap_or(i64::MAX) }))
        }
        .await;
    let form = (!is_api(&req)).then(|| FormState::new("c").scoped("organisation"));
    answer(&state, &req, result, form, |f| draw(&state, &req, &who, Some(("c", f)))).await
}

#[utoipa::path(get, path = "/api/v1/organisation/purchases.csv", operation_id = "organisation_purchases_csv", description = "What the organisation bought, by workshop, as CSV (UTF-8 with BOM): human headings in the reader's language, money in yuan, totals with the part to key support areas and 三区三州, wages and the poor-household part.", responses((status = 200, description = "The file, as an attachment", content((String = "text/csv"))), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// The purchase report as CSV.
pub async fn purchases_csv(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
) -> Result<HttpResponse, AppError> {
    let page = state.organisations.page(&who.0).await?;
    let (Some(org), Some(p)) = (page.organisation, page.purchases) else { return Err(AppError::NotFound) };
    let lang = Lang::of_request(&req);
    let bytes = crate::organisations::purchases::csv(&org, &p, state.renderer.i18n(), lang)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"gongfang-purchases-{}.csv\"", org.credit_code),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// The invoice number a workshop issued for a parcel.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct InvoiceInput {
    /// 8 digits (paper) or 20 (全电发票).
    pub invoice_number: String,
}

#[utoipa::path(post, path = "/api/v1/portal/shipments/{id}/invoice", operation_id = "record_parcel_invoice", description = "Record the invoice number (8 or 20 digits) the workshop issued for a parcel of an order that asked for an invoice (its staff, operators).", request_body = InvoiceInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// Records a parcel's invoice number.
pub async fn record_invoice(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: Submission<InvoiceInput>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let id = id.into_inner();
    let result = async {
        state.organisations.record_invoice(&who.0, id, &input?.invoice_number).await?;
        let back = crate::web::errors::back_link(&req).unwrap_or_else(|| "/portal".into());
        Ok(done(&req, back, crate::web::replies::DONE))
    }
    .await;
    answer(&state, &req, result, form, |form| async {
        let number = state.orders.number_of(crate::orders::views::OrderPart::Parcel(id)).await?;
        let failed = crate::web::buyer_orders::FailedForm::new(format!("invoice-{id}"), form);
        crate::web::buyer_orders::order_page(&state, &req, &who, number, Some(failed)).await
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/reports/institutional", operation_id = "institutional_purchases", description = "Institutional purchases (消费帮扶) into a region in a period (`2026`, `2026-Q4`, `2026-11`; this year by default): by organisation, what it bought of the region's workshops, the wages and the poor-household part, by the journal. Officials for their region or one inside it, operators any.", params(("region" = Option<String>, Query), ("period" = Option<String>, Query)), responses((status = 200, body = crate::organisations::purchases::Institutional), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// Institutional purchases into the official's region.
pub async fn institutional(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Session,
) -> Result<HttpResponse, AppError> {
    let pairs = super::query_pairs(&req);
    let value = |name: &str| crate::domain::listing::query_value(&pairs, name).map(str::to_owned);
    let list = state.organisations.institutional(who.0.as_ref(), value("region"), value("period")).await?;
    if is_api(&req) {
        return Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "private, no-store")).json(&list));
    }
    let mut ctx = Context::new();
    ctx.insert("i", &list);
    let mut page = state.renderer.page(&req, Lang::of_request(&req), "officials/institutional.html", ctx)?;
    page.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("private, no-store"));
    Ok(page)
}

//! Payouts on the web: the operators' runs, bank files and marks, Stripe connections and
//! transfer retries; each payout's wage statement (the manager, operators, officials in
//! scope) with the workshop's disbursement records and acknowledgement codes; each
//! workshop's monthly worker income; the worker's no-login acknowledgement page; and the
//! buyer's impact receipt.

use super::forms::{answer, FormState, Submission};
use super::portal::{body, done, is_api, In};
use super::session::SignedIn;
use crate::domain::ledger::PayoutPeriod;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::payouts::disbursements::DisbursementInput;
use crate::payouts::rails::BatchFormat;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use tera::Context;

fn period_of(text: Option<&str>) -> Result<Option<PayoutPeriod>, AppError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => {
            PayoutPeriod::parse(t).map(Some).ok_or(AppError::BadRequest { field: "period", key: "payout.error.period" })
        }
    }
}

fn query(req: &HttpRequest, name: &str) -> Option<String> {
    crate::domain::listing::query_value(&super::query_pairs(req), name).map(str::to_owned)
}

/// A page of payouts (50 a page; `more` when another follows).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PayoutList {
    pub payouts: Vec<ListedPayout>,
    pub page: i64,
    pub more: bool,
}

/// A payout with its workshop's names.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListedPayout {
    pub payout: crate::db::payouts::PayoutRow,
    pub workshop_name_zh: String,
    pub workshop_name_en: String,
}

#[utoipa::path(get, path = "/api/v1/portal/payouts", description = "Payouts (50 a page): every workshop's for operators (optionally one period, YYYY-MM), the manager's own workshop's.", params(("period" = Option<String>, Query), ("page" = Option<u32>, Query, description = "1-based page, at most 10000", minimum = 1, maximum = 10000)), responses((status = 200, body = PayoutList), (status = 400, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn list(state: web::Data<AppState>, req: HttpRequest, who: SignedIn) -> Result<HttpResponse, AppError> {
    let period = period_of(query(&req, "period").as_deref())?;
    let page = i64::from(super::page_request(&req)?.page);
    let mut rows = state.payouts.list(&who.0, period, page).await?;
    let more = rows.len() > 50;
    rows.truncate(50);
    let payouts: Vec<_> = rows
        .into_iter()
        .map(|(payout, workshop_name_zh, workshop_name_en)| ListedPayout { payout, workshop_name_zh, workshop_name_en })
        .collect();
    if is_api(&req) {
        return Ok(HttpResponse::Ok().json(PayoutList { payouts, page, more }));
    }
    let mut ctx = Context::new();
    ctx.insert("payouts", &payouts);
    ctx.insert("page", &page);
    ctx.insert("more", &more);
    ctx.insert("period", &period.map(|p| p.to_string()).unwrap_or_default());
    ctx.insert("last_period", &PayoutPeriod::of(state.payouts.today()).previous().to_string());
    ctx.insert("is_operator", &(who.0.role == crate::domain::account::Role::Operator));
    state.renderer.page(&req, Lang::of_request(&req), "portal/payouts.html", ctx)
}

/// A payout run's month.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RunInput {
    /// `YYYY-MM`; the month must have ended.
    pub period: String,
}

#[utoipa::path(post, path = "/api/v1/portal/payouts/run", description = "Settle what is due and create each workshop's payout for the month (operators). Running a month twice creates nothing new. Answers the run's report.", request_body = RunInput, responses((status = 200, body = crate::payouts::run::RunReport), (status = 400, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn run(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    input: In<RunInput>,
) -> Result<HttpResponse, AppError> {
    if who.0.role != crate::domain::account::Role::Operator {
        return Err(AppError::Forbidden { key: "error.forbidden" });
    }
    let period = period_of(Some(&body(input).period))?
        .ok_or(AppError::BadRequest { field: "period", key: "payout.error.period" })?;
    let report = state.payouts.run(period, Some(who.0.user_id)).await?;
    Ok(done(&req, format!("/portal/payouts?period={period}"), report))
}

/// Marks a bank payout sent or confirmed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MarkInput {
    /// `sent` or `confirmed`.
    pub status: String,
    /// The bank's reference.
    pub reference: String,
}

#[utoipa::path(post, path = "/api/v1/portal/payouts/{id}/mark", description = "Mark a bank payout sent, then confirmed, with the bank's reference (operators).", request_body = MarkInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn mark(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: In<MarkInput>,
) -> Result<HttpResponse, AppError> {
    let input = body(input);
    let confirmed = match input.status.as_str() {
        "sent" => false,
        "confirmed" => true,
        _ => return Err(AppError::BadRequest { field: "status", key: "payout.error.mark" }),
    };
    state.payouts.mark(&who.0, *id, confirmed, &input.reference).await?;
    Ok(done(&req, format!("/payouts/{}", *id), crate::web::replies::DONE))
}

#[utoipa::path(post, path = "/api/v1/portal/payouts/send-transfers", description = "Send the Stripe transfers still pending (operators); a failed transfer is retried with the same idempotency key. Answers {sent, failed}.", responses((status = 200, body = crate::web::replies::TransfersSent), (status = 403, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn send_transfers(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
) -> Result<HttpResponse, AppError> {
    if who.0.role != crate::domain::account::Role::Operator {
        return Err(AppError::Forbidden { key: "error.forbidden" });
    }
    let (sent, failed) = state.payouts.send_transfers(None).await?;
    Ok(done(&req, "/portal/payouts".into(), crate::web::replies::TransfersSent { sent, failed }))
}

/// The bank batch file of a period (operators): `?period=YYYY-MM&format=csv|xlsx`.
pub async fn bank_file(state: web::Data<AppState>, req: HttpRequest, who: SignedIn) -> Result<HttpResponse, AppError> {
    let period = period_of(query(&req, "period").as_deref())?
        .ok_or(AppError::BadRequest { field: "period", key: "payout.error.period" })?;
    let format = BatchFormat::parse(query(&req, "format").as_deref().unwrap_or("csv"))
        .ok_or(AppError::BadRequest { field: "format", key: "payout.error.format" })?;
    let bytes = state.payouts.bank_file(&who.0, period, format).await?;
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"gongfang-payouts-{period}.{}\"", format.extension()),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// A workshop's Stripe connected account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StripeAccountInput {
    /// An existing `acct_…` id; empty to create an Express account.
    #[serde(default)]
    pub account: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/portal/workshops/{id}/stripe-account", description = "Pay a workshop by Stripe Connect transfer (operators): records its connected account, or creates one. Answers {account}.", request_body = StripeAccountInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::StripeAccount), (status = 400, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 503, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn stripe_account(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: In<StripeAccountInput>,
) -> Result<HttpResponse, AppError> {
    let account = state.payouts.connect_stripe(&who.0, *id, body(input).account).await?;
    Ok(done(&req, format!("/portal/workshops/{}", *id), crate::web::replies::StripeAccount { account }))
}

#[utoipa::path(get, path = "/api/v1/payouts/{id}", description = "A payout with its wage statement: per worker the amount, the order lines behind it with the household status on each sale date, how it was paid and whether it was acknowledged (the manager, operators, officials in scope; audited).", params(("id" = i64, Path)), responses((status = 200, body = crate::payouts::statements::PayoutView), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn payout(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    if is_api(&req) {
        return Ok(HttpResponse::Ok().json(state.payouts.payout(&who.0, *id).await?));
    }
    payout_page(&state, &req, &who, *id, None).await
}

/// A payout's page, with the record of one statement line as typed and its message if it
/// was refused.
async fn payout_page(
    state: &AppState,
    req: &HttpRequest,
    who: &SignedIn,
    id: i64,
    refused: Option<(i64, FormState)>,
) -> Result<HttpResponse, AppError> {
    let view = state.payouts.payout(&who.0, id).await?;
    let mut ctx = Context::new();
    ctx.insert("view", &view);
    ctx.insert("today", &state.payouts.today().to_string());
    ctx.insert("is_operator", &(who.0.role == crate::domain::account::Role::Operator));
    let (statement, form) = refused.map_or((None, FormState::default()), |(s, f)| (Some(s), f));
    ctx.insert("refused_statement", &statement);
    ctx.insert("refused", &form);
    ctx.insert("fresh", &FormState::default());
    state.renderer.page(req, Lang::of_request(req), "payouts/payout.html", ctx)
}

#[utoipa::path(post, path = "/api/v1/statements/{id}/disbursement", description = "The workshop records how it paid a worker their statement line: method (bank, wechat, alipay, cash), reference and date (the manager or operators; once).", request_body = DisbursementInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn disbursement(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: Submission<DisbursementInput>,
) -> Result<HttpResponse, AppError> {
    let statement = *id;
    let (input, form) = input.split();
    let form = form.map(|f| f.prefixed(&format!("d{statement}")));
    let result = async {
        state.payouts.record_disbursement(&who.0, statement, input?, None).await?;
        let back = super::errors::back_link(&req).unwrap_or_else(|| "/portal/payouts".into());
        Ok(done(&req, back, crate::web::replies::DONE))
    }
    .await;
    // The form names its payout, so a refusal can be drawn on that payout's page.
    let payout = form.as_ref().and_then(|f| f.value("payout_id")).and_then(|p| p.parse::<i64>().ok());
    match payout {
        Some(payout) => {
            answer(&state, &req, result, form, |f| payout_page(&state, &req, &who, payout, Some((statement, f)))).await
        }
        None => result,
    }
}

#[utoipa::path(post, path = "/api/v1/statements/{id}/voucher", description = "Attach a photo of the payment voucher to a recorded disbursement, as multipart/form-data field photo (JPEG, PNG or WebP; the manager or operators). It is stripped of metadata and kept private.", request_body(content = crate::web::portal::photos::VoucherUpload, content_type = "multipart/form-data"), params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError), (status = 413, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn voucher_upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    mut form: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    // The upload is read only once the user is known to be allowed.
    state.payouts.may_attach_voucher(&who.0, *id).await?;
    let mut fields = super::portal::photos::read_photo_form(&mut form, state.portal.photo_limits().max_bytes).await?;
    let bytes = super::portal::photos::photo_of(&mut fields)?;
    state.payouts.attach_voucher(&who.0, *id, bytes).await?;
    let back = super::errors::back_link(&req).unwrap_or_else(|| "/portal/payouts".into());
    Ok(done(&req, back, crate::web::replies::DONE))
}

/// The voucher photo of a statement line, for those who may read the statement.
pub async fn voucher(state: web::Data<AppState>, who: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let bytes = state.payouts.voucher(&who.0, *id).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/jpeg")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

#[utoipa::path(post, path = "/api/v1/statements/{id}/ack-code", description = "Make a one-time acknowledgement code for a statement line, to send the worker by SMS or WeChat (the manager or operators). Answers {code, link}; the code is shown only now.", params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::AckCode), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn ack_code(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (code, link) = state.payouts.ack_code(&who.0, *id).await?;
    if is_api(&req) {
        return Ok(HttpResponse::Ok().json(crate::web::replies::AckCode { code, link }));
    }
    let mut ctx = Context::new();
    ctx.insert("code", &code);
    ctx.insert("link", &link);
    ctx.insert("back", &super::errors::back_link(&req).unwrap_or_else(|| "/portal/payouts".into()));
    state.renderer.page(&req, Lang::of_request(&req), "payouts/ack_code.html", ctx)
}

#[utoipa::path(get, path = "/api/v1/portal/workshops/{id}/income", description = "Each worker's income by month: attributed in the journal, stated, disbursed and acknowledged (the manager, operators, officials in scope; audited).", params(("id" = i64, Path)), responses((status = 200, body = Vec<crate::payouts::statements::WorkerIncome>), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn income(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let workers = state.payouts.income(&who.0, *id).await?;
    if is_api(&req) {
        return Ok(HttpResponse::Ok().json(workers));
    }
    let mut ctx = Context::new();
    ctx.insert("workers", &workers);
    ctx.insert("workshop_id", &*id);
    state.renderer.page(&req, Lang::of_request(&req), "portal/income.html", ctx)
}

/// A typed acknowledgement code.
#[derive(Debug, Deserialize)]
pub struct CodeInput {
    #[serde(default)]
    pub code: String,
}

/// `/ack`: the form where a worker types the code from their SMS (`?code=` opens it).
pub async fn ack_form(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    if let Some(code) = query(&req, "code").and_then(|c| crate::payouts::acks::normalise_code(&c)) {
        return Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, format!("/ack/{code}"))).finish());
    }
    state.renderer.page(&req, Lang::of_request(&req), "payouts/ack.html", Context::new())
}

/// `/ack/{code}`: the worker's own statement line, and the button that confirms receipt.
/// An unknown, used or expired code is not found.
pub async fn ack_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let line = state.payouts.ack_view(&code).await?;
    let mut ctx = Context::new();
    ctx.insert("line", &line);
    ctx.insert("code", &*code);
    state.renderer.page(&req, Lang::of_request(&req), "payouts/ack.html", ctx)
}

/// The worker confirms receipt; the code then stops working.
pub async fn acknowledge(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let line = state.payouts.acknowledge(&code).await?;
    let mut ctx = Context::new();
    ctx.insert("line", &line);
    ctx.insert("thanked", &true);
    state.renderer.page(&req, Lang::of_request(&req), "payouts/ack.html", ctx)
}

#[utoipa::path(get, path = "/api/v1/orders/{number}/impact", description = "The order's impact receipt: of what was paid, how much went to the wages of how many makers, where, and how many from poor households by the configured statuses (kind exact only when at least 3 are and 3 are not, else withheld; maker counts below 3 as fewer_than). Null before payment; a paid order whose wages rounded to nothing has wages_fen 0.", params(("number" = String, Path)), responses((status = 200, body = Option<crate::payouts::impact::ImpactReceipt>), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn impact(
    state: web::Data<AppState>,
    who: SignedIn,
    number: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(state.payouts.impact(&who.0, number.into_inner()).await?))
}

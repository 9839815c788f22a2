//! Messages: a buyer's question about a piece or an order, the buyer's threads, the portal's
//! threads (a workshop's; an operator's reported ones), one thread with its answer and report
//! forms. Each action serves a form post and a JSON call; the thread page is the same for
//! both sides, under `/messages/{id}` for the buyer and `/portal/messages/{id}` for staff.

use super::forms::{answer, FormState};
use super::pages::Pager;
use super::portal::{body, done, is_api};
use super::session::SignedIn;
use crate::domain::message::{MessageInput, ReportInput, MAX_BODY};
use crate::domain::WorkshopId;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::messages::Ask;
use crate::state::AppState;
use actix_web::{web, Either, HttpRequest, HttpResponse};
use serde::Deserialize;
use tera::Context;

/// A question about an order: which workshop, and the text.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct OrderQuestion {
    /// The workshop asked; needed when the order holds pieces of several.
    #[serde(default, deserialize_with = "crate::portal::input::opt_i64")]
    pub workshop_id: Option<i64>,
    /// The text (1 to 2,000 characters).
    #[serde(default)]
    pub body: String,
}

/// `?page=` of a list.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    #[serde(default, deserialize_with = "crate::portal::input::opt_i64")]
    page: Option<i64>,
    #[serde(default, deserialize_with = "crate::portal::input::opt_i64")]
    workshop: Option<i64>,
}

impl PageQuery {
    fn page(&self) -> u32 {
        self.page.and_then(|p| u32::try_from(p).ok()).unwrap_or(1).max(1)
    }
}

/// Where a thread lives for the side that reads it.
fn thread_url(req: &HttpRequest, id: i64) -> String {
    if req.path().starts_with("/portal") || req.path().starts_with("/api/v1/portal") {
        format!("/portal/messages/{id}")
    } else {
        format!("/messages/{id}")
    }
}

/// The question form: about a piece (`slug`) or an order (`number`, with its workshops).
async fn draw_ask(
    state: &AppState,
    req: &HttpRequest,
    who: &SignedIn,
    about: &Ask,
    form: FormState,
) -> Result<HttpResponse, AppError> {
    let mut ctx = Context::new();
    match about {
        Ask::Product(slug) => ctx.insert("product", &state.catalog.product(slug).await?.product),
        Ask::Order(number, _) => {
            ctx.insert("number", number);
            ctx.insert("workshops", &state.messages.order_workshops(&who.0, number).await?);
        }
    }
    ctx.insert("form", &form);
    ctx.insert("max_body", &MAX_BODY);
    state.renderer.page(req, Lang::of_request(req), "shop/ask.html", ctx)
}

/// `GET /products/{slug}/ask`: the question form about a piece.
pub async fn ask_product_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    draw_ask(&state, &req, &who, &Ask::Product(slug.into_inner()), FormState::new("ask")).await
}

/// `GET /orders/{number}/ask`: the question form about an order (`?workshop=` picks one).
pub async fn ask_order_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    number: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let mut form = FormState::new("ask");
    if let Some(w) = query.workshop {
        form = form.with("workshop_id", w.to_string());
    }
    draw_ask(&state, &req, &who, &Ask::Order(number.into_inner(), None), form).await
}

/// Sends a question, and answers with its thread (form: a redirect to it; JSON: its id).
async fn ask(
    state: &AppState,
    req: &HttpRequest,
    who: &SignedIn,
    about: Ask,
    input: OrderQuestion,
) -> Result<HttpResponse, AppError> {
    let mut typed = FormState::new("ask").with("body", input.body.clone());
    if let Some(w) = input.workshop_id {
        typed = typed.with("workshop_id", w.to_string());
    }
    let about = match about {
        Ask::Order(number, _) => Ask::Order(number, input.workshop_id.map(WorkshopId)),
        other => other,
    };
    let result = state
        .messages
        .ask(&who.0, about.clone(), MessageInput { body: input.body })
        .await
        .map(|id| done(req, format!("/messages/{id}"), crate::web::replies::Created { id }));
    let form = (!is_api(req)).then_some(typed);
    answer(state, req, result, form, |form| draw_ask(state, req, who, &about, form)).await
}

#[utoipa::path(post, path = "/api/v1/products/{slug}/messages", operation_id = "ask_about_product", description = "A signed-in buyer asks the workshop of a listed piece a question; it joins the buyer's thread about the piece, or opens one. The workshop's managers get an e-mail notice. At most 20 messages an hour and 10 new threads a day (429 with Retry-After beyond).", request_body = MessageInput, params(("slug" = String, Path)), responses((status = 200, description = "The thread", body = crate::web::replies::Created), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 429, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn ask_product(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    slug: web::Path<String>,
    input: Either<web::Json<MessageInput>, web::Form<MessageInput>>,
) -> Result<HttpResponse, AppError> {
    let input = OrderQuestion { workshop_id: None, body: body(input).body };
    ask(&state, &req, &who, Ask::Product(slug.into_inner()), input).await
}

#[utoipa::path(post, path = "/api/v1/orders/{number}/messages", operation_id = "ask_about_order", description = "A buyer asks a workshop of their order a question (`workshop_id` is needed when the order holds pieces of several workshops); it joins the thread about the order, or opens one. Limits as for a question about a piece.", request_body = OrderQuestion, params(("number" = String, Path)), responses((status = 200, description = "The thread", body = crate::web::replies::Created), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 429, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn ask_order(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    number: web::Path<String>,
    input: Either<web::Json<OrderQuestion>, web::Form<OrderQuestion>>,
) -> Result<HttpResponse, AppError> {
    ask(&state, &req, &who, Ask::Order(number.into_inner(), None), body(input)).await
}

#[utoipa::path(get, path = "/api/v1/messages", operation_id = "message_threads", description = "The signed-in user's threads, newest activity first, 20 a page: a buyer's own; a workshop's for its staff; the reported ones for operators.", params(("page" = Option<u32>, Query)), responses((status = 200, body = crate::messages::views::ThreadPage), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = state.messages.list(&who.0, query.page()).await?;
    if is_api(&req) {
        return Ok(HttpResponse::Ok().json(page));
    }
    let mut ctx = Context::new();
    ctx.insert("pager", &Pager::of(&req, page.page, page.page_count, page.total));
    ctx.insert("threads", &page.threads);
    ctx.insert("portal", &req.path().starts_with("/portal"));
    ctx.insert("operator", &matches!(who.0.role, crate::domain::account::Role::Operator));
    state.renderer.page(&req, Lang::of_request(&req), "messages.html", ctx)
}

/// A thread's page, with a refused answer or report (`reply`, `report`) drawn again.
async fn draw_thread(
    state: &AppState,
    req: &HttpRequest,
    who: &SignedIn,
    id: i64,
    failed: Option<(&str, FormState)>,
) -> Result<HttpResponse, AppError> {
    let thread = state.messages.thread(&who.0, id).await?;
    if is_api(req) {
        return Ok(HttpResponse::Ok().json(thread));
    }
    let mut ctx = Context::new();
    ctx.insert("t", &thread);
    ctx.insert("here", &thread_url(req, id));
    ctx.insert("max_body", &MAX_BODY);
    let (reply, report) = match failed {
        Some(("report", f)) => (FormState::new("reply"), f),
        Some((_, f)) => (f, FormState::new("report")),
        None => (FormState::new("reply"), FormState::new("report")),
    };
    ctx.insert("reply", &reply);
    ctx.insert("report", &report);
    state.renderer.page(req, Lang::of_request(req), "message_thread.html", ctx)
}

#[utoipa::path(get, path = "/api/v1/messages/{id}", operation_id = "message_thread", description = "A thread and its messages, oldest first, for its buyer or its workshop's staff (an operator: a reported thread); reading it marks it read for the reader's side. Anyone else gets 404.", params(("id" = i64, Path)), responses((status = 200, body = crate::messages::views::ThreadView), (status = 401, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn thread(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    draw_thread(&state, &req, &who, *id, None).await
}

#[utoipa::path(post, path = "/api/v1/messages/{id}", operation_id = "write_message", description = "Add a message to a thread: its buyer, or its workshop's staff answering. The other side gets an e-mail notice. At most 20 messages an hour (429 with Retry-After beyond).", request_body = MessageInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 429, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn write(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: Either<web::Json<MessageInput>, web::Form<MessageInput>>,
) -> Result<HttpResponse, AppError> {
    let (id, input) = (*id, body(input));
    let typed = FormState::new("reply").with("body", input.body.clone());
    let to = thread_url(&req, id);
    let result = state
        .messages
        .write(&who.0, id, input)
        .await
        .map(|()| done(&req, format!("{to}#latest"), crate::web::replies::DONE));
    let form = (!is_api(&req)).then_some(typed);
    answer(&state, &req, result, form, |form| draw_thread(&state, &req, &who, id, Some(("reply", form)))).await
}

#[utoipa::path(post, path = "/api/v1/messages/{id}/report", operation_id = "report_thread", description = "Report a thread to operators (its buyer or its workshop's staff), with a reason that goes to the audit log; a second report changes nothing.", request_body = ReportInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn report(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: Either<web::Json<ReportInput>, web::Form<ReportInput>>,
) -> Result<HttpResponse, AppError> {
    let (id, input) = (*id, body(input));
    let typed = FormState::new("report").with("reason", input.reason.clone());
    let to = thread_url(&req, id);
    let result = state.messages.report(&who.0, id, input).await.map(|()| done(&req, to, crate::web::replies::DONE));
    let form = (!is_api(&req)).then_some(typed);
    answer(&state, &req, result, form, |form| draw_thread(&state, &req, &who, id, Some(("report", form)))).await
}

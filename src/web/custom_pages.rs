//! The custom order pages: the buyer's request form on a workshop that takes custom work,
//! the lists (the buyer's under `/custom`, the workshop's under `/portal/custom`), and one
//! custom order's page. The page is the same for both sides, as a message thread's is; what it
//! offers follows the reader and the status: the quote form (the workshop's manager), accept
//! or decline (the buyer), the next milestone's payment, progress photos, shipping, receipt
//! and cancellation. Each form's refusal draws the page again with what was typed.

use super::forms::FormState;
use super::pages::{PageQuery, Pager};
use super::portal::products::form_context;
use super::session::SignedIn;
use crate::custom_orders::views::CustomView;
use crate::domain::account::Role;
use crate::domain::custom_order::CustomStatus;
use crate::domain::ids::CustomOrderId;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use tera::Context;

/// The forms of a custom order's page, one of them perhaps refused and kept as typed.
#[derive(Default)]
pub(crate) struct Forms {
    pub quote: Option<FormState>,
    pub pay: Option<FormState>,
    pub progress: Option<FormState>,
    pub ship: Option<FormState>,
    /// Accept, decline, receive or cancel: buttons whose refusal shows above them.
    pub actions: Option<FormState>,
}

/// The request form, empty or as typed.
pub(crate) async fn draw_request(
    state: &AppState,
    req: &HttpRequest,
    slug: &str,
    form: FormState,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_request(req);
    let page = state.catalog.workshop(slug).await?;
    if !page.workshop.accepts_custom {
        return Err(AppError::NotFound);
    }
    let mut ctx = Context::new();
    ctx.insert("w", &page.workshop);
    ctx.insert("form", &form.scoped("custom"));
    state.renderer.page(req, lang, "custom/request.html", ctx)
}

/// `GET /workshops/{slug}/custom`: the buyer's request form.
pub async fn request_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    _who: SignedIn,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    draw_request(&state, &req, &slug, FormState::new("custom")).await
}

/// `GET /custom` (a buyer's) and `/portal/custom` (a workshop's staff's): the custom orders.
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = query.page();
    let found = state.custom_orders.list(&who.0, page).await?;
    let mut ctx = Context::new();
    ctx.insert("pager", &Pager::of(&req, found.page, found.page_count, found.total));
    ctx.insert("items", &found.items);
    ctx.insert("portal", &req.path().starts_with("/portal"));
    state.renderer.page(&req, Lang::of_request(&req), "custom/list.html", ctx)
}

/// `GET /custom/{id}`: one custom order, for its buyer or its workshop's staff.
pub async fn page(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    draw(&state, &req, &who, CustomOrderId(*id), Forms::default()).await
}

/// The custom order's page with its forms, a refused one as typed.
pub(crate) async fn draw(
    state: &AppState,
    req: &HttpRequest,
    who: &SignedIn,
    id: CustomOrderId,
    forms: Forms,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_request(req);
    let view: CustomView = state.custom_orders.view(&who.0, id).await?;
    let manager = matches!(who.0.role, Role::Manager(_) | Role::Operator);
    let workshop_side = view.viewer == "workshop";
    let status = CustomStatus::parse(&view.summary.status);
    let quoting = workshop_side && manager && status == Some(CustomStatus::Requested);
    let (mut ctx, milestone_rows) = if quoting {
        let form = forms.quote.unwrap_or_else(|| {
            FormState::new("quote")
                .with("wage_rule", "share_of_net")
                .with("role", "lead")
                .with_all("percent", vec!["30".into(), String::new(), "70".into()])
                .with_all("due", vec!["acceptance".into(), "progress".into(), "before_shipping".into()])
        });
        let rows = milestone_rows(&form);
        (form_context(state, who, view.summary.workshop_id, form).await?, rows)
    } else {
        (Context::new(), Vec::new())
    };
    ctx.insert("milestone_rows", &milestone_rows);
    ctx.insert("custom_piece", &true);
    ctx.insert("c", &view);
    ctx.insert("manager", &manager);
    ctx.insert("stripe", &state.orders.payments().stripe_enabled());
    ctx.insert("provinces", &state.catalog.reference().provinces());
    let pay = forms.pay.unwrap_or_else(|| FormState::new("pay")).anchor("county_code", "county");
    let county =
        pay.value("county_code").map(str::trim).filter(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()));
    ctx.insert("kept_province", &county.map(|c| format!("{}0000", &c[..2])));
    ctx.insert("pay", &pay);
    ctx.insert("progress_form", &forms.progress.unwrap_or_else(|| FormState::new("progress")).scoped("custom"));
    ctx.insert("ship", &forms.ship.unwrap_or_else(|| FormState::new("ship")));
    ctx.insert("actions", &forms.actions.unwrap_or_else(|| FormState::new("actions")));
    ctx.insert("upload_limit_mb", &(state.portal.photo_limits().max_bytes / (1024 * 1024)));
    state.renderer.page(req, lang, "custom/order.html", ctx)
}

/// One row of the quote's milestones table as drawn.
#[derive(Debug, serde::Serialize)]
struct MilestoneRow {
    percent: String,
    due: String,
}

/// The quote form's milestones table: what was typed, in four rows (blank rows are left out
/// when the quote is read).
fn milestone_rows(form: &FormState) -> Vec<MilestoneRow> {
    let at = |list: &[String], i: usize| list.get(i).cloned().unwrap_or_default();
    (0..crate::custom_orders::MILESTONE_ROWS)
        .map(|i| MilestoneRow { percent: at(form.values("percent"), i), due: at(form.values("due"), i) })
        .collect()
}

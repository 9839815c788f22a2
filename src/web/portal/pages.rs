//! The portal pages that hold several forms (the operators' home, a workshop, its roster, a
//! worker), drawn with each form's values: the record as it is, or, for the one form just
//! refused, what was typed and its messages.

use crate::error::AppError;
use crate::i18n::Lang;
use crate::portal::profile::WorkshopView;
use crate::portal::workers::WorkerView;
use crate::state::AppState;
use crate::web::forms::FormState;
use crate::web::session::SignedIn;
use actix_web::{HttpRequest, HttpResponse};
use tera::Context;

fn page(state: &AppState, req: &HttpRequest, template: &str, ctx: Context) -> Result<HttpResponse, AppError> {
    state.renderer.page(req, Lang::of_request(req), template, ctx)
}

fn is_operator(who: &SignedIn) -> bool {
    who.0.role == crate::domain::account::Role::Operator
}

/// The invitation form (an operator's on the home page, a manager's on the workshop page).
fn invite_form() -> FormState {
    FormState::new("i").scoped("invite")
}

/// `/portal` for operators: every workshop, and the invitation of managers and officials.
pub(crate) async fn home_page(
    state: &AppState,
    req: &HttpRequest,
    who: &SignedIn,
    invite: Option<FormState>,
) -> Result<HttpResponse, AppError> {
    let workshops = state.portal.workshops(&who.0).await?;
    let mut ctx = Context::new();
    ctx.insert("is_operator", &is_operator(who));
    ctx.insert("workshops", &workshops);
    ctx.insert("invite", &invite.unwrap_or_else(invite_form));
    page(state, req, "portal/home.html", ctx)
}

/// Which form of a workshop's page was refused, if any.
#[derive(Default)]
pub(crate) struct WorkshopForms {
    pub certification: Option<FormState>,
    pub profile: Option<FormState>,
    pub payout: Option<FormState>,
    pub invite: Option<FormState>,
}

fn certification_values(w: &WorkshopView) -> FormState {
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    FormState::new("c")
        .with("cert_number", w.cert_number.clone().unwrap_or_default())
        .with("cert_authority", w.cert_authority.clone().unwrap_or_default())
        .with("cert_issued_on", date(w.cert_issued_on))
        .with("cert_last_confirmed_on", date(w.cert_last_confirmed_on))
}

fn profile_values(w: &WorkshopView) -> FormState {
    let form = FormState::new("w")
        .scoped("workshop")
        .with("name_zh", w.name_zh.clone())
        .with("name_en", w.name_en.clone())
        .with("story_zh", w.story_zh.clone())
        .with("story_en", w.story_en.clone());
    if w.accepts_custom {
        form.with("accepts_custom", "on")
    } else {
        form
    }
}

/// A workshop's page: certification, profile, payout account and the invitation of editors.
pub(crate) async fn workshop_page(
    state: &AppState,
    req: &HttpRequest,
    who: &SignedIn,
    id: i64,
    refused: WorkshopForms,
) -> Result<HttpResponse, AppError> {
    let view = state.portal.workshop(&who.0, id).await?;
    let mut ctx = Context::new();
    ctx.insert("role", who.0.role.name());
    ctx.insert("certification", &refused.certification.unwrap_or_else(|| certification_values(&view)));
    ctx.insert("profile", &refused.profile.unwrap_or_else(|| profile_values(&view)));
    ctx.insert("payout", &refused.payout.unwrap_or_else(|| FormState::new("b")));
    ctx.insert("invite", &refused.invite.unwrap_or_else(invite_form));
    ctx.insert("workshop", &view);
    page(state, req, "portal/workshop.html", ctx)
}

/// The roster, with the form that adds a worker (empty, or as typed).
pub(crate) async fn workers_page(
    state: &AppState,
    req: &HttpRequest,
    who: &SignedIn,
    workshop: i64,
    form: Option<FormState>,
) -> Result<HttpResponse, AppError> {
    let list = state.portal.workers(&who.0, workshop).await?;
    let mut ctx = Context::new();
    ctx.insert("workshop_id", &workshop);
    ctx.insert("levels", &crate::domain::product::InheritorLevel::ALL);
    ctx.insert("role", who.0.role.name());
    ctx.insert("form", &form.unwrap_or_else(|| FormState::default().with("inheritor_level", "craftsman")));
    ctx.insert("workers", &list);
    page(state, req, "portal/workers.html", ctx)
}

/// Which form of a worker's page was refused, if any.
#[derive(Default)]
pub(crate) struct WorkerForms {
    pub edit: Option<FormState>,
    pub status: Option<FormState>,
    /// The form of one sealed number (`id_number` or `bank_account`).
    pub secret: Option<FormState>,
}

fn worker_values(v: &WorkerView) -> FormState {
    let w = &v.worker;
    FormState::default()
        .with("name_zh", w.name_zh.clone())
        .with("name_latin", w.name_latin.clone())
        .with("story_zh", w.story_zh.clone())
        .with("story_en", w.story_en.clone())
        .with("inheritor_level", w.inheritor_level.clone())
        .with("home_county_code", w.home_county_code.clone().unwrap_or_default())
        .with("joined_on", w.joined_on.to_string())
        .with("left_on", w.left_on.map(|d| d.to_string()).unwrap_or_default())
}

/// A worker's page: consent, household status, sealed numbers and the edit form.
pub(crate) async fn worker_page(
    state: &AppState,
    req: &HttpRequest,
    who: &SignedIn,
    id: i64,
    refused: WorkerForms,
) -> Result<HttpResponse, AppError> {
    let view = state.portal.worker(&who.0, id).await?;
    let mut ctx = Context::new();
    ctx.insert("levels", &crate::domain::product::InheritorLevel::ALL);
    ctx.insert("statuses", &["registered_poor", "lifted_out", "monitored", "not_poor"]);
    ctx.insert("role", who.0.role.name());
    ctx.insert("form", &refused.edit.unwrap_or_else(|| worker_values(&view)));
    ctx.insert("status_form", &refused.status.unwrap_or_else(|| FormState::new("s")));
    let which = refused.secret.as_ref().and_then(|f| f.value("field")).unwrap_or_default().to_owned();
    for field in ["id_number", "bank_account"] {
        let form = match &refused.secret {
            Some(secret) if which == field => secret.clone(),
            _ => FormState::new(field),
        };
        ctx.insert(format!("{field}_form"), &form);
    }
    ctx.insert("worker", &view);
    page(state, req, "portal/worker.html", ctx)
}

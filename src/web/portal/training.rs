//! A workshop's training records in the portal: the list of sessions with their attendees and,
//! for its manager, the form that records one (the participants ticked from the roster).

use super::{done, is_api};
use crate::domain::training::{OrganiserKind, TrainingInput};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::forms::{answer, FormState, Submission};
use crate::web::pages::PageQuery;
use crate::web::pages::Pager;
use crate::web::session::SignedIn;
use actix_web::{web, HttpRequest, HttpResponse};
use tera::Context;

/// The training page: the sessions (a page of them) and the form, blank or as typed.
async fn draw(
    state: &AppState,
    req: &HttpRequest,
    who: &SignedIn,
    workshop: i64,
    page: u32,
    form: FormState,
) -> Result<HttpResponse, AppError> {
    let found = state.portal.trainings(&who.0, workshop, page).await?;
    let roster = state.portal.workers(&who.0, workshop).await?;
    let current: Vec<_> = roster.into_iter().filter(|w| w.current).collect();
    let mut ctx = Context::new();
    ctx.insert("workshop_id", &workshop);
    ctx.insert("role", who.0.role.name());
    ctx.insert("pager", &Pager::of(req, found.page, found.page_count, found.total));
    ctx.insert("sessions", &found.sessions);
    ctx.insert("roster", &current);
    ctx.insert("kinds", &OrganiserKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>());
    ctx.insert("form", &form);
    state.renderer.page(req, Lang::of_request(req), "portal/training.html", ctx)
}

#[utoipa::path(get, path = "/api/v1/portal/workshops/{id}/training", operation_id = "training_sessions", description = "A workshop's training sessions, newest first, 20 a page, each with its attendees (its staff, operators).", params(("id" = i64, Path), ("page" = Option<i64>, Query)), responses((status = 200, body = crate::portal::training::TrainingPage), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// A workshop's training sessions with their attendees.
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = query.page();
    if is_api(&req) {
        return Ok(HttpResponse::Ok().json(state.portal.trainings(&who.0, *id, page).await?));
    }
    draw(&state, &req, &who, *id, page, FormState::new("t").scoped("training")).await
}

#[utoipa::path(post, path = "/api/v1/portal/workshops/{id}/training", operation_id = "record_training", description = "Record a training session with the workers who took part, each on the roster for some day of it (manager, operator); answers {id}.", request_body = crate::domain::training::TrainingInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Created), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// Records a training session and the workers who took part.
pub async fn record(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    workshop: web::Path<i64>,
    input: Submission<TrainingInput>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let form = form.map(|f| f.prefixed("t").scoped("training"));
    let result = async {
        let mut input = input?;
        if let Some(form) = &form {
            // A form ticks one `worker` box per participant.
            input.workers = form
                .values("worker")
                .iter()
                .map(|w| w.parse().map_err(|_| AppError::BadRequest { field: "workers", key: "error.choice" }))
                .collect::<Result<_, _>>()?;
        }
        let id = state.portal.record_training(&who.0, *workshop, input).await?.get();
        Ok(done(&req, format!("/portal/workshops/{workshop}/training"), crate::web::replies::Created { id }))
    }
    .await;
    answer(&state, &req, result, form, |f| draw(&state, &req, &who, *workshop, 1, f)).await
}

//! Workstations and design credit in the portal: the workstations page (operators register
//! workstations and designers there), and a product's "designed with" form with the
//! designer's share.

use super::{done, is_api};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::portal::designers::{DesignInput, DesignerInput, WorkstationInput};
use crate::portal::products::DesignEdit;
use crate::state::AppState;
use crate::web::forms::{answer, FormState, Submission};
use crate::web::session::SignedIn;
use actix_web::{web, HttpRequest, HttpResponse};
use tera::Context;

/// The design form filled with a product's credit as it is.
pub(crate) fn design_values(d: &DesignEdit) -> FormState {
    let id = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let percent = if d.designer_bp > 0 {
        crate::web::portal::product_makers::percent_text(d.designer_bp.into())
    } else {
        String::new()
    };
    FormState::new("d")
        .scoped("design")
        .with("designer_id", id(d.designer_id))
        .with("workstation_id", id(d.workstation_id))
        .with("designer_percent", percent)
}

/// The workstations page, with the operator's two forms (one perhaps refused, as typed).
async fn draw(
    state: &AppState,
    req: &HttpRequest,
    who: &SignedIn,
    station: Option<FormState>,
    designer: Option<FormState>,
) -> Result<HttpResponse, AppError> {
    let list = state.portal.workstations(&who.0).await?;
    let mut ctx = Context::new();
    ctx.insert("is_operator", &(who.0.role == crate::domain::account::Role::Operator));
    ctx.insert("list", &list);
    ctx.insert("station", &station.unwrap_or_else(|| FormState::new("ws").scoped("workstation")));
    ctx.insert("designer", &designer.unwrap_or_else(|| FormState::new("ds").scoped("designer")));
    state.renderer.page(req, Lang::of_request(req), "portal/workstations.html", ctx)
}

#[utoipa::path(get, path = "/api/v1/portal/workstations", operation_id = "workstations", description = "The traditional-craft workstations and their designers, which a product may credit (workshop staff, operators).", responses((status = 200, body = crate::portal::designers::Workstations), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// The workstations and their designers.
pub async fn list(state: web::Data<AppState>, req: HttpRequest, who: SignedIn) -> Result<HttpResponse, AppError> {
    if is_api(&req) {
        return Ok(HttpResponse::Ok().json(state.portal.workstations(&who.0).await?));
    }
    draw(&state, &req, &who, None, None).await
}

#[utoipa::path(post, path = "/api/v1/portal/workstations", operation_id = "add_workstation", description = "Register a workstation (operators): its name and the region it sits in; answers {id}.", request_body = crate::portal::designers::WorkstationInput, responses((status = 200, body = crate::web::replies::Created), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// Registers a workstation.
pub async fn add_workstation(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    input: Submission<WorkstationInput>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let form = form.map(|f| f.prefixed("ws").scoped("workstation"));
    let result = async {
        let id = state.portal.add_workstation(&who.0, input?).await?;
        Ok(done(&req, "/portal/workstations".into(), crate::web::replies::Created { id }))
    }
    .await;
    answer(&state, &req, result, form, |f| draw(&state, &req, &who, Some(f), None)).await
}

#[utoipa::path(post, path = "/api/v1/portal/designers", operation_id = "add_designer", description = "Add a designer to a workstation (operators); answers {id}.", request_body = crate::portal::designers::DesignerInput, responses((status = 200, body = crate::web::replies::Created), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// Adds a designer to a workstation.
pub async fn add_designer(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    input: Submission<DesignerInput>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let form = form.map(|f| f.prefixed("ds").scoped("designer"));
    let result = async {
        let id = state.portal.add_designer(&who.0, input?).await?;
        Ok(done(&req, "/portal/workstations".into(), crate::web::replies::Created { id }))
    }
    .await;
    answer(&state, &req, result, form, |f| draw(&state, &req, &who, None, Some(f))).await
}

#[utoipa::path(post, path = "/api/v1/portal/products/{id}/design", operation_id = "set_product_design", description = "Credit a designer (or a workstation) on a product, and give the designer a share of each sale's net (`designer_bp` or `designer_percent`; with the wage share at most 100%). The share is frozen on each order line and posted to the designer's own account, never counted as a worker's wage. A live product goes back to review.", request_body = crate::portal::designers::DesignInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// Sets a product's design credit and share.
pub async fn design(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: Submission<DesignInput>,
) -> Result<HttpResponse, AppError> {
    let id = *id;
    let (input, form) = input.split();
    let form = form.map(|f| f.prefixed("d").scoped("design"));
    let result = async {
        state.portal.set_design(&who.0, id, input?).await?;
        Ok(done(&req, format!("/portal/products/{id}"), crate::web::replies::DONE))
    }
    .await;
    answer(&state, &req, result, form, |f| {
        let refused = super::products::Refused { design: Some(f), ..Default::default() };
        super::products::product_page(&state, &req, &who, id, refused)
    })
    .await
}

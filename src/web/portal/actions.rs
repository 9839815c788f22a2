//! The portal's state-changing actions, each serving a form post and a JSON call.

use super::pages::{self, WorkerForms, WorkshopForms};
use super::{body, done, In};
use crate::error::AppError;
use crate::portal::profile::{CertificationInput, PayoutAccountInput, ProfileInput};
use crate::portal::workers::{ConsentInput, SecretInput, StatusInput, WorkerInput};
use crate::state::AppState;
use crate::web::forms::{answer, Submission};
use crate::web::session::SignedIn;
use actix_web::{web, HttpRequest, HttpResponse};

#[utoipa::path(post, path = "/api/v1/portal/workshops/{id}/profile", description = "Edit the workshop's profile and story (manager, operator).", request_body = crate::portal::profile::ProfileInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn update_profile(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: Submission<ProfileInput>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let form = form.map(|f| f.prefixed("w").scoped("workshop"));
    let result = async {
        state.portal.update_profile(&who.0, *id, input?).await?;
        Ok(done(&req, format!("/portal/workshops/{id}"), crate::web::replies::DONE))
    }
    .await;
    answer(&state, &req, result, form, |f| {
        let profile = Some(f);
        pages::workshop_page(&state, &req, &who, *id, WorkshopForms { profile, ..WorkshopForms::default() })
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/portal/workshops/{id}/certification", description = "Record the certificate and yearly confirmation (operator).", request_body = crate::portal::profile::CertificationInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn certify(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: Submission<CertificationInput>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let form = form.map(|f| f.prefixed("c"));
    let result = async {
        state.portal.certify(&who.0, *id, input?).await?;
        Ok(done(&req, format!("/portal/workshops/{id}"), crate::web::replies::DONE))
    }
    .await;
    answer(&state, &req, result, form, |f| {
        let certification = Some(f);
        pages::workshop_page(&state, &req, &who, *id, WorkshopForms { certification, ..WorkshopForms::default() })
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/portal/workshops/{id}/payout-account", description = "Seal the payout bank account (manager, operator); shown masked.", request_body = crate::portal::profile::PayoutAccountInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn payout_account(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: Submission<PayoutAccountInput>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let form = form.map(|f| f.prefixed("b"));
    let result = async {
        state.portal.set_payout_account(&who.0, *id, input?).await?;
        Ok(done(&req, format!("/portal/workshops/{id}"), crate::web::replies::DONE))
    }
    .await;
    answer(&state, &req, result, form, |f| {
        let payout = Some(f);
        pages::workshop_page(&state, &req, &who, *id, WorkshopForms { payout, ..WorkshopForms::default() })
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/portal/workshops/{id}/workers", description = "Add a worker to the roster; answers {id}.", request_body = crate::portal::workers::WorkerInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Created), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn create_worker(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    workshop: web::Path<i64>,
    input: Submission<WorkerInput>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let result = async {
        let id = state.portal.create_worker(&who.0, *workshop, input?).await?;
        Ok(done(&req, format!("/portal/workers/{id}"), crate::web::replies::Created { id }))
    }
    .await;
    answer(&state, &req, result, form, |f| pages::workers_page(&state, &req, &who, *workshop, Some(f))).await
}

#[utoipa::path(post, path = "/api/v1/portal/workers/{id}", description = "Edit a worker's roster fields.", request_body = crate::portal::workers::WorkerInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn update_worker(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: Submission<WorkerInput>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let result = async {
        state.portal.update_worker(&who.0, *id, input?).await?;
        Ok(done(&req, format!("/portal/workers/{id}"), crate::web::replies::DONE))
    }
    .await;
    answer(&state, &req, result, form, |f| {
        pages::worker_page(&state, &req, &who, *id, WorkerForms { edit: Some(f), ..WorkerForms::default() })
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/portal/workers/{id}/consent", description = "Give or withdraw one consent item (name, photo, story).", request_body = crate::portal::workers::ConsentInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn consent(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: In<ConsentInput>,
) -> Result<HttpResponse, AppError> {
    state.portal.set_consent(&who.0, *id, body(input)).await?;
    Ok(done(&req, format!("/portal/workers/{id}"), crate::web::replies::DONE))
}

#[utoipa::path(post, path = "/api/v1/portal/workers/{id}/household-status", description = "Record a verified household status.", request_body = crate::portal::workers::StatusInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn household_status(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: Submission<StatusInput>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let form = form.map(|f| f.prefixed("s"));
    let result = async {
        state.portal.add_status(&who.0, *id, input?).await?;
        Ok(done(&req, format!("/portal/workers/{id}"), crate::web::replies::DONE))
    }
    .await;
    answer(&state, &req, result, form, |f| {
        pages::worker_page(&state, &req, &who, *id, WorkerForms { status: Some(f), ..WorkerForms::default() })
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/portal/workers/{id}/secrets", description = "Seal a worker's ID or bank number.", request_body = crate::portal::workers::SecretInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn secret(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: Submission<SecretInput>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    // Each number has its own form; the message goes to the one that was sent.
    let form = form.map(|f| match f.value("field") {
        Some("bank_account") => f.prefixed("bank_account").scoped("bank_account"),
        _ => f.prefixed("id_number").scoped("id_number"),
    });
    let result = async {
        state.portal.set_secret(&who.0, *id, input?).await?;
        Ok(done(&req, format!("/portal/workers/{id}"), crate::web::replies::DONE))
    }
    .await;
    answer(&state, &req, result, form, |f| {
        pages::worker_page(&state, &req, &who, *id, WorkerForms { secret: Some(f), ..WorkerForms::default() })
    })
    .await
}

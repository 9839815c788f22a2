//! The portal's state-changing actions, each serving a form post and a JSON call.

use super::{body, done, In};
use crate::error::AppError;
use crate::portal::products::{MakerInput, ProductInput, ReviewInput};
use crate::portal::profile::{CertificationInput, PayoutAccountInput, ProfileInput};
use crate::portal::workers::{ConsentInput, SecretInput, StatusInput, WorkerInput};
use crate::state::AppState;
use crate::web::session::SignedIn;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

/// The makers of a product, as JSON.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct MakersBody {
    pub makers: Vec<MakerInput>,
}

#[utoipa::path(post, path = "/api/v1/portal/workshops/{id}/profile", description = "Edit the workshop's profile and story (manager, operator).", request_body = crate::portal::profile::ProfileInput, params(("id" = i64, Path)), responses((status = 200), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn update_profile(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: In<ProfileInput>,
) -> Result<HttpResponse, AppError> {
    state.portal.update_profile(&who.0, *id, body(input)).await?;
    Ok(done(&req, format!("/portal/workshops/{id}"), json!({"ok": true})))
}

#[utoipa::path(post, path = "/api/v1/portal/workshops/{id}/certification", description = "Record the certificate and yearly confirmation (operator).", request_body = crate::portal::profile::CertificationInput, params(("id" = i64, Path)), responses((status = 200), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn certify(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: In<CertificationInput>,
) -> Result<HttpResponse, AppError> {
    state.portal.certify(&who.0, *id, body(input)).await?;
    Ok(done(&req, format!("/portal/workshops/{id}"), json!({"ok": true})))
}

#[utoipa::path(post, path = "/api/v1/portal/workshops/{id}/payout-account", description = "Seal the payout bank account (manager, operator); shown masked.", request_body = crate::portal::profile::PayoutAccountInput, params(("id" = i64, Path)), responses((status = 200), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn payout_account(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: In<PayoutAccountInput>,
) -> Result<HttpResponse, AppError> {
    state.portal.set_payout_account(&who.0, *id, body(input)).await?;
    Ok(done(&req, format!("/portal/workshops/{id}"), json!({"ok": true})))
}

#[utoipa::path(post, path = "/api/v1/portal/workshops/{id}/workers", description = "Add a worker to the roster; answers {id}.", request_body = crate::portal::workers::WorkerInput, params(("id" = i64, Path)), responses((status = 200), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn create_worker(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    workshop: web::Path<i64>,
    input: In<WorkerInput>,
) -> Result<HttpResponse, AppError> {
    let id = state.portal.create_worker(&who.0, *workshop, body(input)).await?;
    Ok(done(&req, format!("/portal/workers/{id}"), json!({"id": id})))
}

#[utoipa::path(post, path = "/api/v1/portal/workers/{id}", description = "Edit a worker's roster fields.", request_body = crate::portal::workers::WorkerInput, params(("id" = i64, Path)), responses((status = 200), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn update_worker(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: In<WorkerInput>,
) -> Result<HttpResponse, AppError> {
    state.portal.update_worker(&who.0, *id, body(input)).await?;
    Ok(done(&req, format!("/portal/workers/{id}"), json!({"ok": true})))
}

#[utoipa::path(post, path = "/api/v1/portal/workers/{id}/consent", description = "Give or withdraw one consent item (name, photo, story).", request_body = crate::portal::workers::ConsentInput, params(("id" = i64, Path)), responses((status = 200), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn consent(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: In<ConsentInput>,
) -> Result<HttpResponse, AppError> {
    state.portal.set_consent(&who.0, *id, body(input)).await?;
    Ok(done(&req, format!("/portal/workers/{id}"), json!({"ok": true})))
}

#[utoipa::path(post, path = "/api/v1/portal/workers/{id}/household-status", description = "Record a verified household status.", request_body = crate::portal::workers::StatusInput, params(("id" = i64, Path)), responses((status = 200), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn household_status(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: In<StatusInput>,
) -> Result<HttpResponse, AppError> {
    state.portal.add_status(&who.0, *id, body(input)).await?;
    Ok(done(&req, format!("/portal/workers/{id}"), json!({"ok": true})))
}

#[utoipa::path(post, path = "/api/v1/portal/workers/{id}/secrets", description = "Seal a worker's ID or bank number.", request_body = crate::portal::workers::SecretInput, params(("id" = i64, Path)), responses((status = 200), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn secret(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: In<SecretInput>,
) -> Result<HttpResponse, AppError> {
    state.portal.set_secret(&who.0, *id, body(input)).await?;
    Ok(done(&req, format!("/portal/workers/{id}"), json!({"ok": true})))
}

#[utoipa::path(post, path = "/api/v1/portal/workshops/{id}/products", description = "Create a draft product; answers {id}.", request_body = crate::portal::products::ProductInput, params(("id" = i64, Path)), responses((status = 200), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn create_product(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    workshop: web::Path<i64>,
    input: In<ProductInput>,
) -> Result<HttpResponse, AppError> {
    let id = state.portal.create_product(&who.0, *workshop, body(input)).await?;
    Ok(done(&req, format!("/portal/products/{id}"), json!({"id": id})))
}

#[utoipa::path(post, path = "/api/v1/portal/products/{id}", description = "Edit a product (not once archived).", request_body = crate::portal::products::ProductInput, params(("id" = i64, Path)), responses((status = 200), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn update_product(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: In<ProductInput>,
) -> Result<HttpResponse, AppError> {
    state.portal.update_product(&who.0, *id, body(input)).await?;
    Ok(done(&req, format!("/portal/products/{id}"), json!({"ok": true})))
}

#[utoipa::path(post, path = "/api/v1/portal/products/{id}/makers", description = "Replace the makers; shares in basis points sum to 10000, makers are current workers.", request_body = crate::web::portal::actions::MakersBody, params(("id" = i64, Path)), responses((status = 200), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// The makers, as JSON `{"makers": [{worker_id, role, share_bp}]}` or as form rows of
/// `worker_id`, `role` and `share` (a percentage), blank rows ignored.
pub async fn makers(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    raw: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let makers = if super::is_api(&req) {
        serde_json::from_slice::<MakersBody>(&raw)
            .map_err(|_| AppError::BadRequest { field: "makers", key: "error.bad_request" })?
            .makers
    } else {
        form_makers(std::str::from_utf8(&raw).unwrap_or(""))?
    };
    state.portal.set_makers(&who.0, *id, makers).await?;
    Ok(done(&req, format!("/portal/products/{id}"), json!({"ok": true})))
}

fn form_makers(form: &str) -> Result<Vec<MakerInput>, AppError> {
    let pairs = crate::i18n::url_pairs(form);
    let all = |k: &str| pairs.iter().filter(|(key, _)| key == k).map(|(_, v)| v.trim().to_owned()).collect::<Vec<_>>();
    let (workers, roles, shares) = (all("worker_id"), all("role"), all("share"));
    let mut out = Vec::new();
    for (i, w) in workers.iter().enumerate() {
        if w.is_empty() {
            continue;
        }
        let worker_id = w.parse().map_err(|_| AppError::BadRequest { field: "worker_id", key: "error.choice" })?;
        let share = shares.get(i).map(String::as_str).unwrap_or("");
        let share_bp = crate::domain::Fen::parse_yuan(share)
            .map(|f| f.get())
            .ok_or(AppError::BadRequest { field: "share", key: "error.percent" })?;
        out.push(MakerInput { worker_id, role: roles.get(i).cloned().unwrap_or_else(|| "maker".into()), share_bp });
    }
    Ok(out)
}

#[utoipa::path(post, path = "/api/v1/portal/products/{id}/archive", description = "Archive a product.", params(("id" = i64, Path)), responses((status = 200), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn archive(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    state.portal.archive_product(&who.0, *id).await?;
    Ok(done(&req, format!("/portal/products/{id}"), json!({"status": "archived"})))
}

#[utoipa::path(post, path = "/api/v1/portal/products/{id}/submit", description = "Send a draft for review.", params(("id" = i64, Path)), responses((status = 200), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    state.portal.submit_product(&who.0, *id).await?;
    Ok(done(&req, format!("/portal/products/{id}"), json!({"status": "in_review"})))
}

#[utoipa::path(post, path = "/api/v1/portal/products/{id}/duplicate", description = "Copy a product as a new draft; answers {id}.", params(("id" = i64, Path)), responses((status = 200), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn duplicate(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let new_id = state.portal.duplicate_product(&who.0, *id).await?;
    Ok(done(&req, format!("/portal/products/{new_id}"), json!({"id": new_id})))
}

#[utoipa::path(post, path = "/api/v1/portal/products/{id}/review", description = "Approve or reject with a reason (operator).", request_body = crate::portal::products::ReviewInput, params(("id" = i64, Path)), responses((status = 200), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn review(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: In<ReviewInput>,
) -> Result<HttpResponse, AppError> {
    state.portal.review_product(&who.0, *id, body(input)).await?;
    Ok(done(&req, "/portal/review".to_owned(), json!({"ok": true})))
}

//! The portal's state-changing actions, each serving a form post and a JSON call.

use super::{body, done};
use crate::error::AppError;
use crate::portal::products::{MakerInput, ProductInput, ReviewInput};
use crate::portal::profile::{CertificationInput, PayoutAccountInput, ProfileInput};
use crate::portal::workers::{ConsentInput, SecretInput, StatusInput, WorkerInput};
use crate::state::AppState;
use crate::web::session::SignedIn;
use actix_web::{web, Either, HttpRequest, HttpResponse};
use serde_json::json;

type In<T> = Either<web::Json<T>, web::Form<T>>;

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
        #[derive(serde::Deserialize)]
        struct Body {
            makers: Vec<MakerInput>,
        }
        serde_json::from_slice::<Body>(&raw)
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

pub async fn archive(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    state.portal.archive_product(&who.0, *id).await?;
    Ok(done(&req, format!("/portal/products/{id}"), json!({"status": "archived"})))
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    state.portal.submit_product(&who.0, *id).await?;
    Ok(done(&req, format!("/portal/products/{id}"), json!({"status": "in_review"})))
}

pub async fn duplicate(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let new_id = state.portal.duplicate_product(&who.0, *id).await?;
    Ok(done(&req, format!("/portal/products/{new_id}"), json!({"id": new_id})))
}

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

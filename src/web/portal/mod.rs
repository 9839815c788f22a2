//! The workshop portal (`/portal`, mobile-first) and its JSON twin under `/api/v1/portal`.
//! Every action is one handler serving both: a form post answers with a redirect to the page
//! that shows the result, a JSON call with the result. Authorisation is in the portal service.

pub mod actions;
pub mod designers;
pub mod orders;
pub mod pages;
pub mod photos;
pub(crate) mod product_makers;
mod product_variants;
pub mod products;
pub mod training;

use super::session::SignedIn;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, Either, HttpRequest, HttpResponse};
use serde::Serialize;
use tera::Context;

pub(crate) fn is_api(req: &HttpRequest) -> bool {
    req.path().starts_with("/api/")
}

/// A JSON body or a form, read the same way ([`body`]).
pub(crate) type In<T> = Either<web::Json<T>, web::Form<T>>;

pub(crate) fn body<T>(input: Either<web::Json<T>, web::Form<T>>) -> T {
    match input {
        Either::Left(j) => j.into_inner(),
        Either::Right(f) => f.into_inner(),
    }
}

/// A JSON body read from the raw bytes of a handler that also takes a form; a body that is
/// not the expected JSON is a 400 naming `field`.
pub(crate) fn json_of<T: serde::de::DeserializeOwned>(raw: &[u8], field: &'static str) -> Result<T, AppError> {
    serde_json::from_slice(raw).map_err(|_| AppError::BadRequest { field, key: "error.bad_request" })
}

/// The answer to an action: JSON for the API, otherwise a redirect to `to`.
pub(crate) fn done(req: &HttpRequest, to: String, json: impl Serialize) -> HttpResponse {
    if is_api(req) {
        HttpResponse::Ok().json(json)
    } else {
        HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
    }
}

/// A page for people, or the same data as JSON.
fn show(
    state: &AppState,
    req: &HttpRequest,
    template: &str,
    name: &str,
    data: impl Serialize,
    extra: Context,
) -> Result<HttpResponse, AppError> {
    if is_api(req) {
        return Ok(HttpResponse::Ok().json(data));
    }
    let mut ctx = extra;
    ctx.insert(name, &data);
    state.renderer.page(req, Lang::of_request(req), template, ctx)
}

#[utoipa::path(get, path = "/api/v1/portal/workshops", description = "The workshops the user may open: their own, or all for operators.", responses((status = 200, body = Vec<crate::portal::profile::WorkshopView>), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// `/portal`: staff go to their workshop; operators see every workshop and the review queue.
pub async fn home(state: web::Data<AppState>, req: HttpRequest, who: SignedIn) -> Result<HttpResponse, AppError> {
    if let (Some(own), false) = (who.0.role.workshop(), is_api(&req)) {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/portal/workshops/{own}")))
            .finish());
    }
    if is_api(&req) {
        return Ok(HttpResponse::Ok().json(state.portal.workshops(&who.0).await?));
    }
    pages::home_page(&state, &req, &who, None).await
}

#[utoipa::path(get, path = "/api/v1/portal/workshops/{id}", operation_id = "portal_workshop", params(("id" = i64, Path)), responses((status = 200, body = crate::portal::profile::WorkshopView), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// A workshop's dashboard: profile, certification, links to products and workers.
pub async fn workshop(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    if is_api(&req) {
        return Ok(HttpResponse::Ok().json(state.portal.workshop(&who.0, *id).await?));
    }
    pages::workshop_page(&state, &req, &who, *id, pages::WorkshopForms::default()).await
}

#[utoipa::path(get, path = "/api/v1/portal/workshops/{id}/workers", description = "The roster; household status only for managers and operators.", params(("id" = i64, Path)), responses((status = 200, body = Vec<crate::portal::workers::WorkerView>), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn workers(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    if is_api(&req) {
        return Ok(HttpResponse::Ok().json(state.portal.workers(&who.0, *id).await?));
    }
    pages::workers_page(&state, &req, &who, *id, None).await
}

#[utoipa::path(get, path = "/api/v1/portal/workers/{id}", description = "One worker; for managers and operators with status history and masked numbers (the access is audited).", params(("id" = i64, Path)), responses((status = 200, body = crate::portal::workers::WorkerView), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn worker(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    if is_api(&req) {
        return Ok(HttpResponse::Ok().json(state.portal.worker(&who.0, *id).await?));
    }
    pages::worker_page(&state, &req, &who, *id, pages::WorkerForms::default()).await
}

#[utoipa::path(get, path = "/api/v1/portal/workshops/{id}/products", operation_id = "portal_products", description = "A workshop's products, every status (its staff, operators).", params(("id" = i64, Path)), responses((status = 200, body = Vec<crate::db::catalog::ProductRow>), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn products(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let list = state.portal.products(&who.0, *id).await?;
    let mut ctx = Context::new();
    ctx.insert("workshop_id", &*id);
    show(&state, &req, "portal/products.html", "products", list, ctx)
}

#[utoipa::path(get, path = "/api/v1/portal/review", description = "Products waiting for review (operator).", responses((status = 200, body = Vec<crate::db::catalog::ProductRow>), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// The operators' review queue.
pub async fn review_queue(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
) -> Result<HttpResponse, AppError> {
    let list = state.portal.review_queue(&who.0).await?;
    show(&state, &req, "portal/review.html", "products", list, Context::new())
}

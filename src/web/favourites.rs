//! Favourites and follows: keeping a piece (signed in, or on this browser until it signs in)
//! and following a workshop (signed in). Each action serves a form post (answered with a
//! redirect to the favourites page) and a JSON call. The storefront's cached pages carry only
//! the buttons; what a buyer keeps is on `/favourites`, which is never cached.

use super::portal::{done, is_api};
use super::session::{SignedIn, Viewer};
use super::shop::{browser_owner, owner_or_new};
use crate::domain::ProductId;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use tera::Context;

#[utoipa::path(get, path = "/api/v1/favourites", operation_id = "list_favourites", description = "The pieces kept (on the account, or this browser's before sign-in) and the workshops followed, newest first; pieces no longer listed are left out.", responses((status = 200, body = crate::favourites::FavouritesView)), security((), ("bearer" = []), ("session" = [])))]
pub async fn list(state: web::Data<AppState>, req: HttpRequest, viewer: Viewer) -> Result<HttpResponse, AppError> {
    let view = state.favourites.view(browser_owner(&req, &viewer)).await?;
    if is_api(&req) {
        return Ok(HttpResponse::Ok().json(view));
    }
    let mut ctx = Context::new();
    ctx.insert("favourites", &view);
    ctx.insert("signed_in", &viewer.0.is_some());
    state.renderer.page(&req, Lang::of_request(&req), "favourites.html", ctx)
}

#[utoipa::path(post, path = "/api/v1/favourites/{product_id}", operation_id = "keep_favourite", description = "Keep a listed piece among the favourites (again is harmless); a browser that is not signed in keeps it until it signs in. At most 500.", params(("product_id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 404, description = "No listed piece with this id", body = crate::web::errors::ApiError), (status = 409, description = "500 pieces kept already", body = crate::web::errors::ApiError)), security((), ("bearer" = []), ("session" = [])))]
pub async fn keep(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
    product: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (owner, fresh) = owner_or_new(&req, &state, &viewer);
    state.favourites.set(owner, ProductId(*product), true).await?;
    let mut res = done(&req, "/favourites".into(), crate::web::replies::DONE);
    if let Some(c) = fresh {
        let _ = res.add_cookie(&c);
    }
    Ok(res)
}

#[utoipa::path(post, path = "/api/v1/favourites/{product_id}/remove", operation_id = "remove_favourite", description = "Drop a piece from the favourites (one not kept is no error).", params(("product_id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 404, description = "The id is not a number", body = crate::web::errors::ApiError)), security((), ("bearer" = []), ("session" = [])))]
pub async fn remove(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
    product: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    if let Some(owner) = browser_owner(&req, &viewer) {
        state.favourites.set(owner, ProductId(*product), false).await?;
    }
    Ok(done(&req, "/favourites".into(), crate::web::replies::DONE))
}

#[utoipa::path(post, path = "/api/v1/workshops/{slug}/follow", operation_id = "follow_workshop", description = "Follow a listed workshop (again is harmless).", params(("slug" = String, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 401, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn follow(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    state.favourites.follow(who.0.user_id.get(), &slug, true).await?;
    Ok(done(&req, "/favourites".into(), crate::web::replies::DONE))
}

#[utoipa::path(post, path = "/api/v1/workshops/{slug}/unfollow", operation_id = "unfollow_workshop", description = "Stop following a workshop.", params(("slug" = String, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 401, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn unfollow(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    state.favourites.follow(who.0.user_id.get(), &slug, false).await?;
    Ok(done(&req, "/favourites".into(), crate::web::replies::DONE))
}

//! Pages about who and where: workshops, artisans, regions and heritage crafts.

use super::page_request;
use super::pages::Pager;
use crate::catalog::views::RegionRef;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use tera::Context;

/// `GET /workshops`
pub async fn workshops(state: web::Data<AppState>, req: HttpRequest, lang: Lang) -> Result<HttpResponse, AppError> {
    let page = page_request(&req)?;
    let workshops = state.catalog.workshops(page).await?;
    let mut ctx = Context::new();
    ctx.insert("pager", &Pager::of(&req, workshops.page, workshops.page_count, workshops.total));
    ctx.insert("workshops", &workshops);
    state.renderer.page(&req, lang, "workshops.html", ctx)
}

/// `GET /workshops/{slug}`
pub async fn workshop(
    state: web::Data<AppState>,
    req: HttpRequest,
    lang: Lang,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let page = state.catalog.workshop(&slug).await?;
    let mut ctx = Context::new();
    ctx.insert("page", &page);
    state.renderer.page(&req, lang, "workshop.html", ctx)
}

/// `GET /artisans/{id}`: only for workers who consented to publish their name.
pub async fn artisan(
    state: web::Data<AppState>,
    req: HttpRequest,
    lang: Lang,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let page = state.catalog.artisan(*id).await?;
    let mut ctx = Context::new();
    ctx.insert("page", &page);
    state.renderer.page(&req, lang, "artisan.html", ctx)
}

/// `GET /regions`: the provinces and the key areas.
pub async fn regions(state: web::Data<AppState>, req: HttpRequest, lang: Lang) -> Result<HttpResponse, AppError> {
    let reference = state.catalog.reference();
    let provinces: Vec<RegionRef> = reference.provinces().into_iter().map(RegionRef::from_region).collect();
    let key_areas: Vec<_> = reference.key_areas();
    let mut ctx = Context::new();
    ctx.insert("provinces", &provinces);
    ctx.insert("key_areas", &key_areas);
    state.renderer.page(&req, lang, "regions.html", ctx)
}

/// `GET /regions/{code}`
pub async fn region(
    state: web::Data<AppState>,
    req: HttpRequest,
    lang: Lang,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let page_req = page_request(&req)?;
    let page = state.catalog.region(&code, page_req).await?;
    let mut ctx = Context::new();
    ctx.insert("pager", &Pager::for_products(&req, &page.products));
    ctx.insert("page", &page);
    state.renderer.page(&req, lang, "region.html", ctx)
}

/// `GET /crafts`: every heritage item in the reference data.
pub async fn crafts(state: web::Data<AppState>, req: HttpRequest, lang: Lang) -> Result<HttpResponse, AppError> {
    let items: Vec<_> = state.catalog.reference().heritage_items().collect();
    let mut ctx = Context::new();
    ctx.insert("items", &items);
    state.renderer.page(&req, lang, "crafts.html", ctx)
}

/// `GET /crafts/{id}`
pub async fn craft(
    state: web::Data<AppState>,
    req: HttpRequest,
    lang: Lang,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let page_req = page_request(&req)?;
    let page = state.catalog.craft(*id, page_req).await?;
    let mut ctx = Context::new();
    ctx.insert("pager", &Pager::for_products(&req, &page.products));
    ctx.insert("page", &page);
    state.renderer.page(&req, lang, "craft.html", ctx)
}

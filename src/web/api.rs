//! The catalogue's reads under `/api/v1`: the same as the storefront's pages, as JSON. The
//! document that describes the whole API is in [`super::openapi`].

use super::{page_request, query_pairs};
use crate::catalog::views::ProductDetail;
use crate::catalog::{ProductPage, RegionPage, WorkshopPage};
use crate::domain::listing::ProductQuery;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::errors::ApiError;
use actix_web::{web, HttpRequest, HttpResponse};

/// List products with filters and pagination.
#[utoipa::path(
    get,
    path = "/api/v1/products",
    params(
        ("province" = Option<String>, Query, description = "Province code, e.g. 510000"),
        ("prefecture" = Option<String>, Query, description = "Prefecture code, e.g. 513400"),
        ("county" = Option<String>, Query, description = "County code, e.g. 513432"),
        ("heritage" = Option<i64>, Query, description = "Heritage item id"),
        ("workshop" = Option<String>, Query, description = "Workshop slug"),
        ("min_price" = Option<String>, Query, description = "Lowest price in yuan, e.g. 99.5"),
        ("max_price" = Option<String>, Query, description = "Highest price in yuan"),
        ("in_stock" = Option<bool>, Query, description = "Only pieces with ready stock"),
        ("category" = Option<String>, Query, description = "lacquerware, embroidery, thangka, silver, metalwork, textiles, ceramics, paper, prints, carving, incense, other"),
        ("sanqu_sanzhou" = Option<bool>, Query, description = "Only workshops in the 三区三州 deep-poverty areas"),
        ("key_support_area" = Option<bool>, Query, description = "Only workshops in heritage poverty-alleviation key support areas"),
        ("poverty_county" = Option<bool>, Query, description = "Only workshops in former national poverty counties"),
        ("sort" = Option<String>, Query, description = "featured (default), newest, price_asc, price_desc, best_selling"),
        ("page" = Option<u32>, Query, description = "1-based page, at most 10000", minimum = 1, maximum = 10000),
        ("per_page" = Option<u32>, Query, description = "Items per page, default 24, capped at 100", minimum = 1),
    ),
    responses(
        (status = 200, body = ProductPage),
        (status = 400, body = ApiError, description = "A parameter is malformed; `field` names it"),
    )
)]
pub async fn products(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let query = ProductQuery::parse(&query_pairs(&req))?;
    Ok(HttpResponse::Ok().json(state.catalog.products(query).await?))
}

/// One product with its provenance.
#[utoipa::path(get, path = "/api/v1/products/{slug}", params(("slug" = String, Path)),
    responses((status = 200, body = ProductDetail), (status = 404, body = ApiError)))]
pub async fn product(state: web::Data<AppState>, slug: web::Path<String>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(state.catalog.product(&slug).await?))
}

/// A workshop, its named artisans and its products.
#[utoipa::path(get, path = "/api/v1/workshops/{slug}", params(("slug" = String, Path)),
    responses((status = 200, body = WorkshopPage), (status = 404, body = ApiError)))]
pub async fn workshop(state: web::Data<AppState>, slug: web::Path<String>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(state.catalog.workshop(&slug).await?))
}

/// A region: its place, flags, the regions below it, its workshops and a page of products.
#[utoipa::path(get, path = "/api/v1/regions/{code}",
    params(("code" = String, Path, description = "GB/T 2260 code"), ("page" = Option<u32>, Query, description = "1-based page, at most 10000", minimum = 1, maximum = 10000), ("per_page" = Option<u32>, Query, description = "Items per page, capped at 100", minimum = 1)),
    responses((status = 200, body = RegionPage), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
pub async fn region(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let page = page_request(&req)?;
    Ok(HttpResponse::Ok().json(state.catalog.region(&code, page).await?))
}

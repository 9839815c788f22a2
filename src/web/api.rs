//! The JSON API under `/api/v1`: the same reads as the storefront, and its OpenAPI document.

use super::{page_request, query_pairs};
use crate::catalog::reference::{AreaFlags, HeritageItem, Region};
use crate::catalog::views::{
    ArtisanView, Certification, HeritageRef, ImageView, MakerView, Place, ProductDetail, ProductView, RegionRef, Text,
    WageView, WorkshopRef, WorkshopView,
};
use crate::catalog::{ProductPage, RegionCount, RegionPage, WorkshopList, WorkshopPage};
use crate::domain::listing::ProductQuery;
use crate::domain::Currency;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::errors::{ApiError, ApiErrorBody};
use actix_web::{web, HttpRequest, HttpResponse};
use utoipa::OpenApi;

/// The OpenAPI description of `/api/v1`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gongfang API",
        description = "Heritage crafts traced to the workshops and artisans who made them. Amounts are integer fen (1/100 yuan)."
    ),
    paths(
        products, product, workshop, region, crate::web::search::api_search, crate::web::search::api_suggest,
        crate::web::auth::session, crate::web::auth::login, crate::web::auth::create_token, crate::web::auth::logout,
        crate::web::auth::register, crate::web::auth::forgot, crate::web::auth::reset, crate::web::auth::invite,
        crate::web::auth::accept_invitation,
        crate::web::portal::home, crate::web::portal::workshop, crate::web::portal::workers, crate::web::portal::worker,
        crate::web::portal::products, crate::web::portal::products::product, crate::web::portal::review_queue,
        crate::web::portal::actions::update_profile, crate::web::portal::actions::certify,
        crate::web::portal::actions::payout_account, crate::web::portal::actions::create_worker,
        crate::web::portal::actions::update_worker, crate::web::portal::actions::consent,
        crate::web::portal::actions::household_status, crate::web::portal::actions::secret,
        crate::web::portal::products::create_product, crate::web::portal::products::update_product,
        crate::web::portal::products::makers, crate::web::portal::products::archive, crate::web::portal::products::submit,
        crate::web::portal::products::duplicate, crate::web::portal::products::review,
        crate::web::portal::photos::upload, crate::web::portal::photos::set_alt, crate::web::portal::photos::delete,
        crate::web::shop::cart, crate::web::shop::add_item, crate::web::shop::set_item, crate::web::shop::checkout,
        crate::web::shop::orders, crate::web::shop::order, crate::web::shop::pay, crate::web::shop::cancel,
        crate::web::shop::delivered, crate::web::shop::request_return,
        crate::web::portal::orders::queue, crate::web::portal::orders::ship, crate::web::portal::orders::confirm_payment,
        crate::web::portal::orders::accept_cod, crate::web::portal::orders::refuse_cod,
        crate::web::portal::orders::refund_line, crate::web::portal::orders::refund_shipping,
        crate::web::portal::orders::decide, crate::web::portal::orders::search,
        crate::web::payouts::list, crate::web::payouts::run, crate::web::payouts::mark,
        crate::web::payouts::send_transfers, crate::web::payouts::stripe_account, crate::web::payouts::payout,
        crate::web::payouts::disbursement, crate::web::payouts::voucher_upload, crate::web::payouts::ack_code, crate::web::payouts::income,
        crate::web::payouts::impact,
        crate::web::reports::dashboard, crate::web::reports::export, crate::web::reports::impact_country,
        crate::web::reports::impact_region, crate::web::reports::impact_workshop,
    ),
    modifiers(&Security),
    components(schemas(
        ProductPage,
        ProductView,
        ProductDetail,
        WorkshopPage,
        WorkshopList,
        WorkshopView,
        WorkshopRef,
        ArtisanView,
        MakerView,
        ImageView,
        WageView,
        Place,
        RegionRef,
        RegionPage,
        RegionCount,
        Region,
        AreaFlags,
        HeritageRef,
        HeritageItem,
        Certification,
        Text,
        Currency,
        ApiError,
        ApiErrorBody,
        crate::search::SearchPage,
        crate::search::Suggestion,
        crate::web::auth::Credentials,
        crate::web::auth::Registration,
        crate::web::auth::EmailOnly,
        crate::web::auth::NewPasswordInput,
        crate::web::auth::UserView,
        crate::web::auth::SessionView,
        crate::accounts::invitations::InviteInput,
        crate::portal::profile::WorkshopView,
        crate::portal::profile::ProfileInput,
        crate::portal::profile::CertificationInput,
        crate::portal::profile::PayoutAccountInput,
        crate::portal::workers::WorkerInput,
        crate::portal::workers::WorkerView,
        crate::portal::workers::ConsentInput,
        crate::portal::workers::StatusInput,
        crate::portal::workers::SecretInput,
        crate::portal::products::ProductInput,
        crate::portal::products::MakerInput,
        crate::portal::products::ReviewInput,
        crate::portal::products::ProductEdit,
        crate::portal::photos::AltInput,
        crate::web::portal::products::MakersBody,
        crate::web::portal::products::Confirmation
    ))
)]
pub struct ApiDoc;

/// The two ways to call the portal API: a bearer token (`POST /api/v1/auth/tokens`), or the
/// session cookie plus the `X-CSRF-Token` header from `GET /api/v1/auth/session`.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "gf_session",
                "The session cookie; state-changing calls also send X-CSRF-Token",
            ))),
        );
    }
}

/// `GET /api/openapi.json`
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

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
        ("page" = Option<u32>, Query, description = "1-based page, at most 10000"),
        ("per_page" = Option<u32>, Query, description = "Items per page, default 24, capped at 100"),
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
    params(("code" = String, Path, description = "GB/T 2260 code"), ("page" = Option<u32>, Query), ("per_page" = Option<u32>, Query)),
    responses((status = 200, body = RegionPage), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
pub async fn region(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let page = page_request(&req)?;
    Ok(HttpResponse::Ok().json(state.catalog.region(&code, page).await?))
}

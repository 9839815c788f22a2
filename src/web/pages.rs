//! The storefront's main pages: home, the product list with its filters, and a product.

use super::forms::FormState;
use super::query_pairs;
use crate::catalog::{Card, ProductPage, WorkshopScope};
use crate::domain::listing::{query_value, ProductQuery, ProductSort};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::render::url_with;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use tera::Context;

/// `GET /`
pub async fn home(state: web::Data<AppState>, req: HttpRequest, lang: Lang) -> Result<HttpResponse, AppError> {
    let page = state.catalog.home().await?;
    let mut ctx = Context::new();
    ctx.insert("page", &page);
    state.renderer.page(&req, lang, "home.html", ctx)
}

/// The most workshops a place's filter lists (a county has a handful, a prefecture dozens).
const MAX_WORKSHOP_CHOICES: i64 = 200;

/// Links for a pager.
#[derive(Debug, Serialize)]
pub struct Pager {
    pub page: u32,
    pub page_count: u32,
    pub total: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// Links to the pages around `page` of `page_count`, keeping the other query parameters.
    pub fn of(req: &HttpRequest, page: u32, page_count: u32, total: i64) -> Pager {
        let link = |n: u32| url_with(req, &[("page", Some(&n.to_string())), ("lang", None)]);
        Pager {
            page,
            page_count,
            total,
            prev: (page > 1).then(|| link((page - 1).min(page_count))),
            next: (page < page_count).then(|| link(page + 1)),
        }
    }

    pub fn for_products(req: &HttpRequest, p: &ProductPage) -> Pager {
        Pager::of(req, p.page, p.page_count, p.total)
    }
}

/// `?page=` of a list.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    #[serde(default, deserialize_with = "crate::portal::input::opt_i64")]
    page: Option<i64>,
}

impl PageQuery {
    /// The page asked for: 1 when absent or not a page number.
    pub fn page(&self) -> u32 {
        self.page.and_then(|p| u32::try_from(p).ok()).unwrap_or(1).max(1)
    }
}

/// The values a filter form shows as chosen, as the user typed them.
#[derive(Debug, Serialize, Default)]
struct Chosen {
    province: String,
    prefecture: String,
    county: String,
    heritage: String,
    workshop: String,
    workshop_name: String,
    min_price: String,
    max_price: String,
    in_stock: bool,
    sort: String,
}

/// `GET /products`
pub async fn products(state: web::Data<AppState>, req: HttpRequest, lang: Lang) -> Result<HttpResponse, AppError> {
    let pairs = query_pairs(&req);
    let query = ProductQuery::parse(&pairs)?;
    let filter = query.filter.clone();
    // A list of workshops to choose from only where a place makes it short (or to show the one
    // chosen by a link); elsewhere the form has a field matched by name. A list of every
    // workshop in the country would be most of the page.
    let scope = match (filter.county.or(filter.prefecture), &filter.workshop) {
        (Some(place), _) => Some(WorkshopScope::InRegion(place)),
        (None, Some(slug)) => Some(WorkshopScope::Named(vec![slug.to_string()])),
        (None, None) => None,
    };
    let choices = async {
        match scope {
            Some(scope) => state.catalog.workshop_choices(scope, MAX_WORKSHOP_CHOICES).await,
            None => Ok(Vec::new()),
        }
    };
    let (page, workshops) = futures_util::future::try_join(state.catalog.browse(query), choices).await?;

    let options = state.catalog.filter_options(&filter);
    let codes = |c: Option<crate::domain::RegionCode>| c.map(|c| c.to_string()).unwrap_or_default();
    let get = |k: &str| query_value(&pairs, k).unwrap_or_default().to_owned();
    let chosen = Chosen {
        province: codes(filter.province),
        prefecture: codes(filter.prefecture),
        county: codes(filter.county),
        heritage: filter.heritage.map(|h| h.to_string()).unwrap_or_default(),
        workshop: filter.workshop.as_ref().map(|s| s.to_string()).unwrap_or_default(),
        workshop_name: filter.workshop_name.clone().unwrap_or_default(),
        min_price: get("min_price"),
        max_price: get("max_price"),
        in_stock: filter.in_stock,
        sort: filter.sort.as_str().to_owned(),
    };
    let sorts: Vec<&str> = ProductSort::ALL.iter().map(|s| s.as_str()).collect();

    let mut ctx = Context::new();
    ctx.insert("pager", &Pager::for_products(&req, &page));
    ctx.insert("total", &page.total);
    ctx.insert("total_is_at_least", &page.total_is_at_least);
    ctx.insert("cards", &Card::all(&page.items));
    ctx.insert("chosen", &chosen);
    ctx.insert("options", &options);
    ctx.insert("workshops", &workshops);
    ctx.insert("sorts", &sorts);
    state.renderer.page(&req, lang, "products.html", ctx)
}

/// `GET /products/{slug}`
pub async fn product(
    state: web::Data<AppState>,
    req: HttpRequest,
    lang: Lang,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let detail = state.catalog.product(&slug).await?;
    product_page(&state, &req, lang, &detail, FormState::new("cart"))
}

/// A product's page, with its add-to-cart form drawn from `cart_form` (what was typed, and the
/// message of a refused attempt).
pub fn product_page(
    state: &AppState,
    req: &HttpRequest,
    lang: Lang,
    detail: &crate::catalog::views::ProductDetail,
    cart_form: FormState,
) -> Result<HttpResponse, AppError> {
    let mut ctx = Context::new();
    ctx.insert("trace_url", &format!("{}/t/{}", state.config.public_url, detail.product.trace_code));
    ctx.insert("p", detail);
    ctx.insert("cart_form", &cart_form);
    state.renderer.page(req, lang, "product.html", ctx)
}

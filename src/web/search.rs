//! Search: the `/search` page with its facet sidebar, and the JSON endpoints for search and
//! search-as-you-type suggestions.

use super::pages::Pager;
use super::query_pairs;
use crate::catalog::reference::Reference;
use crate::domain::listing::{query_value, SearchQuery, SearchSort};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::render::url_with;
use crate::search::document::PRICE_BANDS;
use crate::search::{SearchError, SearchPage, Suggestion};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use std::collections::HashMap;
use tera::Context;

/// Searches offered when one finds nothing: one per script a buyer might type in.
const EXAMPLES: [&str; 6] = ["唐卡", "漆器", "刺绣", "miaoyin", "Liangshan", "carpet"];

/// The filter parameters, as `/api/v1/products` takes them.
const FILTERS: [&str; 12] = [
    "province",
    "prefecture",
    "county",
    "heritage",
    "category",
    "workshop",
    "min_price",
    "max_price",
    "in_stock",
    "sanqu_sanzhou",
    "key_support_area",
    "poverty_county",
];

/// How many suggestions the search box shows.
const SUGGESTIONS: usize = 6;

/// Searches products.
#[utoipa::path(
    get,
    path = "/api/v1/search",
    params(
        ("q" = Option<String>, Query, description = "What to look for, in Chinese, English or pinyin; empty lists everything"),
        ("province" = Option<String>, Query), ("prefecture" = Option<String>, Query), ("county" = Option<String>, Query),
        ("heritage" = Option<i64>, Query), ("category" = Option<String>, Query), ("workshop" = Option<String>, Query),
        ("min_price" = Option<String>, Query), ("max_price" = Option<String>, Query), ("in_stock" = Option<bool>, Query),
        ("sanqu_sanzhou" = Option<bool>, Query), ("key_support_area" = Option<bool>, Query), ("poverty_county" = Option<bool>, Query),
        ("sort" = Option<String>, Query, description = "relevance (default), newest, price_asc, price_desc, best_selling, top_rated"),
        ("page" = Option<u32>, Query, description = "1-based page, at most 10000", minimum = 1, maximum = 10000), ("per_page" = Option<u32>, Query, description = "Items per page, capped at 100", minimum = 1),
    ),
    responses(
        (status = 200, body = SearchPage, description = "Hits carry the product fields of /api/v1/products plus `highlight`"),
        (status = 400, body = crate::web::errors::ApiError),
        (status = 503, body = crate::web::errors::ApiError, description = "Search is briefly unavailable"),
    )
)]
pub async fn api_search(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let query = SearchQuery::parse(&query_pairs(&req))?;
    Ok(HttpResponse::Ok().json(state.search.search(query).await?))
}

/// Suggestions for what has been typed so far.
#[utoipa::path(get, path = "/api/v1/search/suggest", params(("q" = String, Query)),
    responses((status = 200, body = Vec<Suggestion>), (status = 503, body = crate::web::errors::ApiError)))]
pub async fn api_suggest(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let pairs = query_pairs(&req);
    let text: String = query_value(&pairs, "q").unwrap_or_default().chars().take(100).collect();
    Ok(HttpResponse::Ok().json(state.search.suggest(&text, SUGGESTIONS).await?))
}

/// One value in the facet sidebar.
#[derive(Debug, Serialize)]
struct FacetValue {
    label: String,
    count: u64,
    /// The page with this value chosen, or (when chosen) without it.
    url: String,
    chosen: bool,
}

/// One facet group in the sidebar.
#[derive(Debug, Serialize)]
struct FacetGroup {
    name: &'static str,
    values: Vec<FacetValue>,
}

fn region_label(reference: &Reference, code: &str, lang: Lang) -> String {
    reference
        .region(code)
        .map_or_else(|| code.to_owned(), |r| if lang == Lang::Zh { r.name_zh.clone() } else { r.name_pinyin.clone() })
}

fn band_bounds(key: &str) -> Option<(String, Option<String>)> {
    PRICE_BANDS.iter().find_map(|(from, to)| {
        let k = crate::search::document::price_band(*from);
        (k == key).then(|| (format!("{}", from / 100), to.map(|t| format!("{}.99", t / 100 - 1))))
    })
}

/// "¥1,000–3,000" for the band `1000-3000` (whole yuan, grouped like every amount on a page).
fn band_label(key: &str) -> String {
    let grouped = |yuan: &str| match yuan.parse::<i64>().ok().and_then(|y| y.checked_mul(100)) {
        Some(fen) => crate::domain::Fen(fen).yuan_grouped().trim_end_matches(".00").to_owned(),
        None => yuan.to_owned(),
    };
    match key.split_once('-') {
        Some((from, "")) => format!("¥{}+", grouped(from)),
        Some((from, to)) => format!("¥{}–{}", grouped(from), grouped(to)),
        None => key.to_owned(),
    }
}

/// The most values a facet lists: the most common ones. Across the country a search can match
/// thousands of workshops and hundreds of counties; listing them all made the page 80 KB.
const FACET_VALUES_SHOWN: usize = 12;

/// The values of facet `name` the sidebar lists: the most common first, at most
/// [`FACET_VALUES_SHOWN`], and the chosen one even when it is rarer.
fn shown_values<'a>(
    name: &str,
    counts: &'a std::collections::BTreeMap<String, u64>,
    pairs: &[(String, String)],
) -> Vec<(&'a String, &'a u64)> {
    let mut entries: Vec<(&String, &u64)> = counts.iter().collect();
    entries.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let chosen = query_value(pairs, name);
    let mut shown: Vec<(&String, &u64)> = entries.iter().take(FACET_VALUES_SHOWN).copied().collect();
    if let Some(c) = entries.iter().skip(FACET_VALUES_SHOWN).find(|(v, _)| Some(v.as_str()) == chosen) {
        shown.push(*c);
    }
    shown
}

/// The sidebar: each facet's values with counts, as links that add or remove the filter.
fn facet_groups(
    req: &HttpRequest,
    pairs: &[(String, String)],
    page: &SearchPage,
    reference: &Reference,
    workshop_names: &HashMap<String, (String, String)>,
    category_names: &HashMap<String, String>,
    lang: Lang,
) -> Vec<FacetGroup> {
    let mut groups = Vec::new();
    for name in ["category", "province", "prefecture", "county", "heritage", "workshop", "price_band", "in_stock"] {
        let Some(counts) = page.facets.get(name) else { continue };
        // Price bands read cheapest first; other values most common first.
        let mut entries = shown_values(name, counts, pairs);
        if name == "price_band" {
            entries.sort_by_key(|(key, _)| key.split('-').next().and_then(|n| n.parse::<u64>().ok()));
        }
        let values: Vec<FacetValue> = entries
            .into_iter()
            .filter(|(v, _)| name != "in_stock" || v.as_str() == "true")
            .map(|(value, count)| {
                let (label, chosen, url) = match name {
                    "price_band" => {
                        let (lo, hi) = band_bounds(value).unwrap_or_default();
                        let chosen = query_value(pairs, "min_price") == Some(lo.as_str())
                            && query_value(pairs, "max_price") == hi.as_deref();
                        let url = if chosen {
                            url_with(req, &[("min_price", None), ("max_price", None), ("page", None)])
                        } else {
                            url_with(req, &[("min_price", Some(&lo)), ("max_price", hi.as_deref()), ("page", None)])
                        };
                        (band_label(value), chosen, url)
                    }
                    _ => {
                        let chosen = query_value(pairs, name) == Some(value.as_str());
                        let url = url_with(req, &[(name, (!chosen).then_some(value.as_str())), ("page", None)]);
                        let label = match name {
                            "province" | "prefecture" | "county" => region_label(reference, value, lang),
                            "heritage" => value.parse().ok().and_then(|id| reference.heritage_item(id)).map_or_else(
                                || value.clone(),
                                |h| if lang == Lang::Zh { h.name_zh.clone() } else { h.name_en.clone() },
                            ),
                            "workshop" => workshop_names.get(value).map_or_else(
                                || value.clone(),
                                |(zh, en)| if lang == Lang::Zh { zh.clone() } else { en.clone() },
                            ),
                            "category" => category_names.get(value).cloned().unwrap_or_else(|| value.clone()),
                            _ => String::new(),
                        };
                        (label, chosen, url)
                    }
                };
                FacetValue { label, count: *count, url, chosen }
            })
            .collect();
        if !values.is_empty() {
            groups.push(FacetGroup { name, values });
        }
    }
    groups
}

/// `GET /search`
pub async fn search_page(state: web::Data<AppState>, req: HttpRequest, lang: Lang) -> Result<HttpResponse, AppError> {
    let pairs = query_pairs(&req);
    let query = SearchQuery::parse(&pairs)?;
    let text = query.text.clone();
    let sort = query.sort;
    let mut ctx = Context::new();
    ctx.insert("q", &text);
    ctx.insert("sort", sort.as_str());
    ctx.insert("sorts", &SearchSort::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    ctx.insert("filtered", &FILTERS.iter().any(|f| query_value(&pairs, f).is_some()));
    let clear: Vec<(&str, Option<&str>)> =
        FILTERS.iter().map(|f| (*f, None)).chain([("page", None), ("sort", None)]).collect();
    ctx.insert("clear_url", &url_with(&req, &clear));
    let status = match state.search.search(query).await {
        Ok(page) => {
            // Names for just the workshops in the facet, not every workshop in the country.
            let slugs: Vec<String> = page
                .facets
                .get("workshop")
                .map(|f| shown_values("workshop", f, &pairs).into_iter().map(|(slug, _)| slug.clone()).collect())
                .unwrap_or_default();
            let limit = i64::try_from(slugs.len()).unwrap_or(i64::MAX);
            let names: HashMap<String, (String, String)> = if slugs.is_empty() {
                HashMap::new()
            } else {
                let scope = crate::catalog::WorkshopScope::Named(slugs);
                let found = state.catalog.workshop_choices(scope, limit).await?;
                found.into_iter().map(|w| (w.slug, (w.name.zh, w.name.en))).collect()
            };
            let categories: HashMap<String, String> = crate::domain::product::ProductCategory::ALL
                .iter()
                .map(|c| (c.as_str().to_owned(), state.renderer.i18n().text(lang, &format!("category.{}", c.as_str()))))
                .collect();
            let groups = facet_groups(&req, &pairs, &page, state.catalog.reference(), &names, &categories, lang);
            ctx.insert("facets", &groups);
            ctx.insert("pager", &Pager::of(&req, page.page, page.page_count, i64::try_from(page.total).unwrap_or(0)));
            ctx.insert("page", &page);
            ctx.insert("unavailable", &false);
            StatusCode::OK
        }
        Err(SearchError::Unavailable(cause) | SearchError::Failed(cause)) => {
            // Browsing still works: say so, and never pretend there were no results.
            tracing::warn!(%cause, "search unavailable");
            ctx.insert("unavailable", &true);
            StatusCode::SERVICE_UNAVAILABLE
        }
    };
    let examples: Vec<(&str, String)> = EXAMPLES
        .iter()
        .map(|e| (*e, format!("/search?{}", serde_urlencoded::to_string([("q", e)]).unwrap_or_default())))
        .collect();
    ctx.insert("examples", &examples);
    let mut res = state.renderer.page(&req, lang, "search.html", ctx)?;
    *res.status_mut() = status;
    res.extensions_mut().insert(crate::web::errors::CompletePage);
    Ok(res)
}

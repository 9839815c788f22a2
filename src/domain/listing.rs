//! The product-list query a buyer or API client sends, parsed once into typed filters.
//! Each rejection names the field and the problem so that it can be told to the user in
//! their own language.

use super::money::Fen;
use super::product::ProductCategory;
use super::region::{RegionCode, RegionLevel};
use super::slug::Slug;

/// Items per page when none is asked for.
pub const DEFAULT_PER_PAGE: u32 = 24;
/// The most items one page may hold; larger requests are capped, not refused.
pub const MAX_PER_PAGE: u32 = 100;
/// Pages past this are refused: nobody pages this far, and deep offsets are slow.
pub const MAX_PAGE: u32 = 10_000;

/// The last non-empty value of a query parameter, trimmed. An HTML form sends `province=`
/// for "any", so an empty value counts as absent.
pub fn query_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, v)| k == name && !v.trim().is_empty()).map(|(_, v)| v.trim())
}

/// A problem with one query parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub problem: Problem,
}

/// What was wrong with a parameter. Each has a message in every language (`error.*` keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    NotAPositiveWholeNumber,
    PageTooLarge,
    NotARegionCode,
    WrongRegionLevel,
    NotAnAmount,
    NotASlug,
    NotAnId,
    NotABoolean,
    MinAboveMax,
    UnknownSort,
    UnknownCategory,
    QueryTooLong,
}

impl Problem {
    /// The message key in the i18n catalogue.
    pub fn message_key(self) -> &'static str {
        match self {
            Problem::NotAPositiveWholeNumber => "error.not_positive_integer",
            Problem::PageTooLarge => "error.page_too_large",
            Problem::NotARegionCode => "error.not_region_code",
            Problem::WrongRegionLevel => "error.wrong_region_level",
            Problem::NotAnAmount => "error.not_amount",
            Problem::NotASlug => "error.not_slug",
            Problem::NotAnId => "error.not_id",
            Problem::NotABoolean => "error.not_boolean",
            Problem::MinAboveMax => "error.min_above_max",
            Problem::UnknownSort => "error.unknown_sort",
            Problem::UnknownCategory => "error.unknown_category",
            Problem::QueryTooLong => "error.query_too_long",
        }
    }
}

/// A page request: 1-based page number and page size (already capped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl PageRequest {
    pub fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }

    /// Number of pages for `total` items (at least one, so an empty list has page 1 of 1).
    pub fn page_count(self, total: i64) -> u32 {
        let per = i64::from(self.per_page);
        u32::try_from(((total + per - 1) / per).max(1)).unwrap_or(u32::MAX)
    }

    /// Parses `page` and `per_page`; absent means page 1 and the default size.
    pub fn parse(page: Option<&str>, per_page: Option<&str>) -> Result<PageRequest, FieldError> {
        let page = match page.filter(|s| !s.is_empty()) {
            None => 1,
            Some(s) => positive_int(s, "page")?,
        };
        if page > MAX_PAGE {
            return Err(FieldError { field: "page", problem: Problem::PageTooLarge });
        }
        let per_page = match per_page.filter(|s| !s.is_empty()) {
            None => DEFAULT_PER_PAGE,
            Some(s) => positive_int(s, "per_page")?.min(MAX_PER_PAGE),
        };
        Ok(PageRequest { page, per_page })
    }
}

fn positive_int(s: &str, field: &'static str) -> Result<u32, FieldError> {
    s.trim()
        .parse::<u32>()
        .ok()
        .filter(|v| *v >= 1)
        .ok_or(FieldError { field, problem: Problem::NotAPositiveWholeNumber })
}

/// Product-list sort orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProductSort {
    /// Featured first, then newest.
    #[default]
    Featured,
    Newest,
    PriceAsc,
    PriceDesc,
    BestSelling,
}

impl ProductSort {
    pub const ALL: [ProductSort; 5] = [
        ProductSort::Featured,
        ProductSort::Newest,
        ProductSort::PriceAsc,
        ProductSort::PriceDesc,
        ProductSort::BestSelling,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProductSort::Featured => "featured",
            ProductSort::Newest => "newest",
            ProductSort::PriceAsc => "price_asc",
            ProductSort::PriceDesc => "price_desc",
            ProductSort::BestSelling => "best_selling",
        }
    }
}

/// Filters on the product list. Absent fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductFilter {
    pub province: Option<RegionCode>,
    pub prefecture: Option<RegionCode>,
    pub county: Option<RegionCode>,
    pub heritage: Option<i64>,
    pub category: Option<ProductCategory>,
    pub workshop: Option<Slug>,
    /// Workshops whose Chinese or English name contains this text (the list page's field for
    /// when no place narrows the workshops to a short list).
    pub workshop_name: Option<String>,
    pub min_price: Option<Fen>,
    pub max_price: Option<Fen>,
    /// Only pieces with ready stock.
    pub in_stock: bool,
    /// Only workshops in the key areas: 三区三州, the national key counties for rural
    /// revitalisation support, or former poverty counties (flags from any level).
    pub areas: AreaFilter,
    pub sort: ProductSort,
}

/// Key-area flags to filter on; each one set narrows the list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AreaFilter {
    pub sanqu_sanzhou: bool,
    pub key_support_area: bool,
    pub poverty_county: bool,
}

impl AreaFilter {
    pub fn any(self) -> bool {
        self.sanqu_sanzhou || self.key_support_area || self.poverty_county
    }
}

/// A parsed product-list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductQuery {
    pub filter: ProductFilter,
    pub page: PageRequest,
}

impl ProductQuery {
    /// Parses the query-string pairs of `/products` and `/api/v1/products`. Empty values
    /// count as absent (an HTML form sends `province=` for "any"); unknown names are ignored.
    pub fn parse(pairs: &[(String, String)]) -> Result<ProductQuery, FieldError> {
        let sort = match query_value(pairs, "sort") {
            None => ProductSort::default(),
            Some(s) => ProductSort::ALL
                .into_iter()
                .find(|o| o.as_str() == s)
                .ok_or(FieldError { field: "sort", problem: Problem::UnknownSort })?,
        };
        let filter = ProductFilter { sort, ..ProductFilter::parse(pairs)? };
        let page = PageRequest::parse(query_value(pairs, "page"), query_value(pairs, "per_page"))?;
        Ok(ProductQuery { filter, page })
    }
}

impl ProductFilter {
    /// Parses the filter parameters shared by the product list and search (all but `sort`).
    pub fn parse(pairs: &[(String, String)]) -> Result<ProductFilter, FieldError> {
        let get = |name: &str| query_value(pairs, name);
        let region = |field: &'static str, level: RegionLevel| -> Result<Option<RegionCode>, FieldError> {
            match get(field) {
                None => Ok(None),
                Some(s) => {
                    let code = RegionCode::parse(s).ok_or(FieldError { field, problem: Problem::NotARegionCode })?;
                    if code.level() != level {
                        return Err(FieldError { field, problem: Problem::WrongRegionLevel });
                    }
                    Ok(Some(code))
                }
            }
        };
        let amount = |field: &'static str| -> Result<Option<Fen>, FieldError> {
            get(field)
                .map(|s| Fen::parse_yuan(s).ok_or(FieldError { field, problem: Problem::NotAnAmount }))
                .transpose()
        };
        let flag = |field: &'static str| -> Result<bool, FieldError> {
            match get(field) {
                None => Ok(false),
                Some("1" | "true" | "on" | "yes") => Ok(true),
                Some("0" | "false" | "off" | "no") => Ok(false),
                Some(_) => Err(FieldError { field, problem: Problem::NotABoolean }),
            }
        };
        let province = region("province", RegionLevel::Province)?;
        let prefecture = region("prefecture", RegionLevel::Prefecture)?;
        let county = region("county", RegionLevel::County)?;
        let heritage = get("heritage")
            .map(|s| {
                s.parse::<i64>()
                    .ok()
                    .filter(|v| *v >= 1)
                    .ok_or(FieldError { field: "heritage", problem: Problem::NotAnId })
            })
            .transpose()?;
        let category = get("category")
            .map(|s| {
                ProductCategory::parse(s).ok_or(FieldError { field: "category", problem: Problem::UnknownCategory })
            })
            .transpose()?;
        let workshop = get("workshop")
            .map(|s| Slug::parse(s).ok_or(FieldError { field: "workshop", problem: Problem::NotASlug }))
            .transpose()?;
        let workshop_name = get("workshop_name").map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        if workshop_name.as_ref().is_some_and(|n| n.chars().count() > MAX_WORKSHOP_NAME_CHARS) {
            return Err(FieldError { field: "workshop_name", problem: Problem::QueryTooLong });
        }
        let min_price = amount("min_price")?;
        let max_price = amount("max_price")?;
        if let (Some(lo), Some(hi)) = (min_price, max_price) {
            if lo > hi {
                return Err(FieldError { field: "min_price", problem: Problem::MinAboveMax });
            }
        }
        Ok(ProductFilter {
            province,
            prefecture,
            county,
            heritage,
            category,
            workshop,
            workshop_name,
            min_price,
            max_price,
            in_stock: flag("in_stock")?,
            areas: AreaFilter {
                sanqu_sanzhou: flag("sanqu_sanzhou")?,
                key_support_area: flag("key_support_area")?,
                poverty_county: flag("poverty_county")?,
            },
            sort: ProductSort::default(),
        })
    }
}

/// The longest workshop name to look for, in characters.
pub const MAX_WORKSHOP_NAME_CHARS: usize = 50;

/// The longest search text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// Search result orders. Relevance is the default; the rest sort like the product list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchSort {
    #[default]
    Relevance,
    Newest,
    PriceAsc,
    PriceDesc,
    BestSelling,
    /// The best average rating first (unrated pieces last).
    TopRated,
}

impl SearchSort {
    pub const ALL: [SearchSort; 6] = [
        SearchSort::Relevance,
        SearchSort::Newest,
        SearchSort::PriceAsc,
        SearchSort::PriceDesc,
        SearchSort::BestSelling,
        SearchSort::TopRated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SearchSort::Relevance => "relevance",
            SearchSort::Newest => "newest",
            SearchSort::PriceAsc => "price_asc",
            SearchSort::PriceDesc => "price_desc",
            SearchSort::BestSelling => "best_selling",
            SearchSort::TopRated => "top_rated",
        }
    }
}

/// A parsed search request: the text, the product-list filters, an order and a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// Trimmed; may be empty (then every listed product matches and facets still count).
    pub text: String,
    pub filter: ProductFilter,
    pub sort: SearchSort,
    pub page: PageRequest,
}

impl SearchQuery {
    /// Parses `q`, the product-list filters, `sort`, `page` and `per_page`.
    pub fn parse(pairs: &[(String, String)]) -> Result<SearchQuery, FieldError> {
        let text = query_value(pairs, "q").unwrap_or_default().to_owned();
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(FieldError { field: "q", problem: Problem::QueryTooLong });
        }
        let sort = match query_value(pairs, "sort") {
            None | Some("featured") => SearchSort::default(),
            Some(s) => SearchSort::ALL
                .into_iter()
                .find(|o| o.as_str() == s)
                .ok_or(FieldError { field: "sort", problem: Problem::UnknownSort })?,
        };
        let filter = ProductFilter::parse(pairs)?;
        let page = PageRequest::parse(query_value(pairs, "page"), query_value(pairs, "per_page"))?;
        Ok(SearchQuery { text, filter, sort, page })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &[(&str, &str)]) -> Result<ProductQuery, FieldError> {
        let pairs: Vec<(String, String)> = s.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        ProductQuery::parse(&pairs)
    }

    #[test]
    fn defaults_and_caps() {
        let d = q(&[]).map(|q| q.page);
        assert_eq!(d, Ok(PageRequest { page: 1, per_page: DEFAULT_PER_PAGE }));
        let capped = q(&[("per_page", "5000")]).map(|q| q.page.per_page);
        assert_eq!(capped, Ok(MAX_PER_PAGE));
        assert_eq!(q(&[("province", "")]).map(|q| q.filter.province), Ok(None));
    }

    #[test]
    fn rejections_name_the_field() {
        let field = |r: Result<ProductQuery, FieldError>| r.err().map(|e| (e.field, e.problem));
        assert_eq!(field(q(&[("page", "0")])), Some(("page", Problem::NotAPositiveWholeNumber)));
        assert_eq!(field(q(&[("page", "-3")])), Some(("page", Problem::NotAPositiveWholeNumber)));
        assert_eq!(field(q(&[("page", "99999")])), Some(("page", Problem::PageTooLarge)));
        assert_eq!(field(q(&[("per_page", "x")])), Some(("per_page", Problem::NotAPositiveWholeNumber)));
        assert_eq!(field(q(&[("province", "5134")])), Some(("province", Problem::NotARegionCode)));
        assert_eq!(field(q(&[("province", "513400")])), Some(("province", Problem::WrongRegionLevel)));
        assert_eq!(field(q(&[("min_price", "abc")])), Some(("min_price", Problem::NotAnAmount)));
        assert_eq!(field(q(&[("min_price", "50"), ("max_price", "10")])), Some(("min_price", Problem::MinAboveMax)));
        assert_eq!(field(q(&[("in_stock", "maybe")])), Some(("in_stock", Problem::NotABoolean)));
        assert_eq!(field(q(&[("workshop", "../etc")])), Some(("workshop", Problem::NotASlug)));
        assert_eq!(field(q(&[("sort", "random")])), Some(("sort", Problem::UnknownSort)));
        assert_eq!(field(q(&[("category", "weapons")])), Some(("category", Problem::UnknownCategory)));
        assert_eq!(field(q(&[("sanqu_sanzhou", "2")])), Some(("sanqu_sanzhou", Problem::NotABoolean)));
    }

    #[test]
    fn search_queries() {
        let pairs = |s: &[(&str, &str)]| -> Vec<(String, String)> {
            s.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
        };
        let parsed =
            SearchQuery::parse(&pairs(&[("q", "  苗绣 "), ("category", "embroidery"), ("key_support_area", "1")]));
        let parsed = parsed.map(|s| (s.text, s.filter.category, s.filter.areas.key_support_area, s.sort));
        assert_eq!(parsed, Ok(("苗绣".into(), Some(ProductCategory::Embroidery), true, SearchSort::Relevance)));
        let long = "绣".repeat(MAX_QUERY_CHARS + 1);
        assert_eq!(SearchQuery::parse(&pairs(&[("q", &long)])).err().map(|e| e.field), Some("q"));
        assert_eq!(SearchQuery::parse(&pairs(&[("sort", "featured")])).map(|s| s.sort), Ok(SearchSort::Relevance));
    }

    #[test]
    fn page_count() {
        let p = PageRequest { page: 1, per_page: 24 };
        assert_eq!(p.page_count(0), 1);
        assert_eq!(p.page_count(24), 1);
        assert_eq!(p.page_count(25), 2);
        assert_eq!(PageRequest { page: 3, per_page: 10 }.offset(), 20);
    }
}

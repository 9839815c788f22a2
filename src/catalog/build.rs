//! Views built from catalogue rows: a page of products (counting as far as its pager needs),
//! product cards with their makers and pictures loaded in two queries, and a product's full
//! page with its suggestions, variants and newest reviews.

use super::pages::ProductPage;
use super::reference::Reference;
use super::views::{self, ProductDetail, ProductView, WorkshopView};
use crate::db::catalog as q;
use crate::db::DbConn;
use crate::domain::listing::{PageRequest, ProductFilter};
use crate::domain::review::ReviewSort;
use crate::error::AppError;
use chrono::NaiveDate;
use std::collections::HashMap;

/// How far a storefront page counts matches past the page it shows, in pages: enough for its
/// pager, and the same cost for a county's handful of pieces as for the whole country's.
const PAGES_COUNTED_AHEAD: i64 = 10;

/// How many matches a page of products counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Counting {
    /// Every one (the API's `total`).
    All,
    /// Up to [`PAGES_COUNTED_AHEAD`] pages past this one (the storefront's pages).
    Ahead,
}

pub(super) fn product_page(
    conn: &mut DbConn,
    reference: &Reference,
    filter: &ProductFilter,
    page: PageRequest,
    today: NaiveDate,
    counting: Counting,
) -> Result<ProductPage, AppError> {
    let areas = reference.flagged_regions(filter.areas);
    let per_page = i64::from(page.per_page);
    let cap = match counting {
        Counting::All => None,
        Counting::Ahead => {
            Some(page.offset().saturating_add(per_page.saturating_mul(PAGES_COUNTED_AHEAD)).saturating_add(1))
        }
    };
    let (rows, counted) = q::list_products(conn, filter, &areas, page, today, cap)?;
    // One more than the pages ahead is counted, to know that there are more.
    let more = cap.is_some_and(|c| counted >= c);
    let total = if more { counted.saturating_sub(1) } else { counted };
    Ok(ProductPage {
        items: assemble(conn, reference, rows)?,
        total,
        total_is_at_least: more,
        page: page.page,
        per_page: page.per_page,
        page_count: page.page_count(total),
    })
}

/// Builds views for product rows, loading all their makers and images in two queries.
pub(crate) fn assemble(
    conn: &mut DbConn,
    reference: &Reference,
    rows: Vec<(q::ProductRow, q::WorkshopRow)>,
) -> Result<Vec<ProductView>, AppError> {
    let ids: Vec<i64> = rows.iter().map(|(p, _)| p.id).collect();
    let makers = q::makers_of(conn, &ids)?;
    let images = q::images_of(conn, &ids)?;
    let mut makers_by: HashMap<i64, Vec<&q::MakerRow>> = HashMap::new();
    for m in &makers {
        makers_by.entry(m.product_id).or_default().push(m);
    }
    let mut images_by: HashMap<i64, Vec<&q::ImageRow>> = HashMap::new();
    for i in &images {
        images_by.entry(i.product_id).or_default().push(i);
    }
    Ok(rows
        .iter()
        .map(|(p, w)| {
            ProductView::build(
                reference,
                p,
                w,
                makers_by.get(&p.id).map(Vec::as_slice).unwrap_or_default(),
                images_by.get(&p.id).map(Vec::as_slice).unwrap_or_default(),
            )
        })
        .collect())
}

/// How many pieces each of a product page's suggestions shows.
const RELATED: i64 = 4;

/// How many of its newest reviews a product's page shows.
const REVIEWS_SHOWN: i64 = 3;

pub(super) fn detail(
    conn: &mut DbConn,
    reference: &Reference,
    (p, w): (q::ProductRow, q::WorkshopRow),
    today: NaiveDate,
) -> Result<ProductDetail, AppError> {
    let crafts: Vec<i64> = q::crafts_of_workshops(conn, &[w.id])?.into_iter().map(|(_, h)| h).collect();
    let profile = WorkshopView::build(reference, &w, &crafts, today);
    let heritage = reference.heritage_item(p.heritage_item_id).cloned();
    let description = views::Text::new(&p.description_zh, &p.description_en);
    let materials = views::Text::new(&p.materials_zh, &p.materials_en);
    // The suggestions' makers and pictures in one read for all three.
    let [workshop, craft, county] = q::related(conn, &p, &w, today, RELATED)?;
    let (n_workshop, n_craft) = (workshop.len(), craft.len());
    let mut all = assemble(conn, reference, [workshop, craft, county].concat())?;
    let county = all.split_off(n_workshop + n_craft);
    let craft = all.split_off(n_workshop);
    let related = views::Related { workshop: all, craft, county };
    let id = crate::domain::ProductId(p.id);
    let options = crate::db::variants::options_of(conn, id)?;
    let variants =
        crate::db::variants::variants_of(conn, &[id], true)?.iter().map(views::VariantView::from_row).collect();
    let (rows, _) = crate::db::reviews::page(conn, id, ReviewSort::Newest, 0, REVIEWS_SHOWN)?;
    let photos = crate::db::reviews::photos_of(conn, &rows.iter().map(|r| r.id).collect::<Vec<_>>())?;
    let reviews = crate::reviews::views(reference, rows, &photos);
    let credit = crate::db::designers::credit(conn, id)?;
    let mut views = assemble(conn, reference, vec![(p, w)])?;
    let product = views.pop().ok_or(AppError::NotFound)?;
    Ok(ProductDetail {
        credit,
        product,
        description,
        materials,
        workshop_profile: profile,
        heritage,
        related,
        options,
        variants,
        reviews,
    })
}

//! Reads for the storefront, the JSON API and the search index: products with their
//! workshop, makers and images ([`rows`] for the row types, [`places`] for workshops,
//! workers and reference rows). The listing rule is written here, once, for SQL.

mod places;
mod rows;

pub use places::*;
pub use rows::*;

use super::schema::{product_images, product_makers, products, workers, workshops};
use super::DbConn;
use crate::domain::listing::{PageRequest, ProductFilter, ProductSort};
use chrono::{Months, NaiveDate};
use diesel::prelude::*;

type Backend = <DbConn as Connection>::Backend;

diesel::define_sql_function! {
    /// SQL's `lower()`: PostgreSQL's LIKE is case-sensitive, SQLite's only for non-ASCII.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The earliest last-confirmation date that keeps a workshop certified on `today`: two
/// missed yearly confirmations (24 months) and it has lapsed. Mirrors
/// [`crate::domain::certification::certification_status`] in SQL.
pub fn lapse_cutoff(today: NaiveDate) -> NaiveDate {
    today.checked_sub_months(Months::new(24)).unwrap_or(today)
}

/// A workshop that may sell: active, and certified within the last two years. The one place
/// this rule is written for SQL.
#[diesel::dsl::auto_type]
fn workshop_is_listed(cutoff: NaiveDate) -> _ {
    let active: &'static str = "active";
    workshops::status
        .eq(active)
        .and(workshops::cert_issued_on.ge(cutoff).or(workshops::cert_last_confirmed_on.ge(cutoff)))
}

type ListedQuery<'a> = diesel::dsl::IntoBoxed<'a, diesel::dsl::InnerJoin<products::table, workshops::table>, Backend>;

/// Products a buyer may see: active, from an active workshop whose certification has not lapsed.
fn listed(today: NaiveDate) -> ListedQuery<'static> {
    products::table
        .inner_join(workshops::table)
        .filter(products::status.eq("active"))
        .filter(workshop_is_listed(lapse_cutoff(today)))
        .into_boxed()
}

/// Region codes carrying each key-area flag the filter asks for (resolved from the reference
/// data, since flags apply from any level of a workshop's place).
#[derive(Debug, Clone, Default)]
pub struct FlaggedRegions(pub Vec<Vec<String>>);

fn filtered<'a>(filter: &'a ProductFilter, areas: &'a FlaggedRegions, today: NaiveDate) -> ListedQuery<'a> {
    let mut q = listed(today);
    for codes in &areas.0 {
        q = q.filter(
            workshops::province_code
                .eq_any(codes)
                .or(workshops::prefecture_code.eq_any(codes).assume_not_null())
                .or(workshops::county_code.eq_any(codes)),
        );
    }
    if let Some(c) = filter.category {
        q = q.filter(products::category.eq(c.as_str()));
    }
    if let Some(c) = &filter.province {
        // The product's copy of its workshop's province: the sorted indexes carry it.
        q = q.filter(products::province_code.eq(c.to_string()));
    }
    if let Some(c) = &filter.prefecture {
        q = q.filter(workshops::prefecture_code.eq(c.to_string()));
    }
    if let Some(c) = &filter.county {
        q = q.filter(workshops::county_code.eq(c.to_string()));
    }
    if let Some(h) = filter.heritage {
        q = q.filter(products::heritage_item_id.eq(h));
    }
    if let Some(s) = &filter.workshop {
        q = q.filter(workshops::slug.eq(s.as_str()));
    }
    if let Some(name) = &filter.workshop_name {
        // Matched literally: LIKE's wildcards are taken out of what was typed.
        let pattern = format!("%{}%", name.replace(['%', '_', '\\'], "").to_lowercase());
        q = q.filter(lower(workshops::name_zh).like(pattern.clone()).or(lower(workshops::name_en).like(pattern)));
    }
    if let Some(p) = filter.min_price {
        q = q.filter(products::price_fen.ge(p.get()));
    }
    if let Some(p) = filter.max_price {
        q = q.filter(products::price_fen.le(p.get()));
    }
    if filter.in_stock {
        q = q.filter(products::stock.gt(0));
    }
    q
}

/// One page of listed products matching `filter`, and how many match: all of them, or with
/// `count_up_to`, no more than that many (counting every match grows with the catalogue).
pub fn list_products(
    conn: &mut DbConn,
    filter: &ProductFilter,
    areas: &FlaggedRegions,
    page: PageRequest,
    today: NaiveDate,
    count_up_to: Option<i64>,
) -> QueryResult<(Vec<(ProductRow, WorkshopRow)>, i64)> {
    let total: i64 = match count_up_to {
        None => filtered(filter, areas, today).count().get_result(conn)?,
        Some(cap) => {
            let ids: Vec<i64> = filtered(filter, areas, today).select(products::id).limit(cap).load(conn)?;
            i64::try_from(ids.len()).unwrap_or(cap)
        }
    };
    // Sort and page on the narrow id alone, then load the wide rows of just that page:
    // sorting whole rows (descriptions, stories) costs more than the second query.
    let q = filtered(filter, areas, today);
    let q = match filter.sort {
        ProductSort::Featured => q.order((products::featured.desc(), products::created_at.desc(), products::id.desc())),
        ProductSort::Newest => q.order((products::created_at.desc(), products::id.desc())),
        ProductSort::PriceAsc => q.order((products::price_fen.asc(), products::id.asc())),
        ProductSort::PriceDesc => q.order((products::price_fen.desc(), products::id.desc())),
        ProductSort::BestSelling => q.order((products::sold_count.desc(), products::id.desc())),
    };
    let ids: Vec<i64> = q.select(products::id).limit(i64::from(page.per_page)).offset(page.offset()).load(conn)?;
    let mut rows = listed_products_by_ids(conn, &ids, today)?;
    rows.sort_by_key(|(p, _)| ids.iter().position(|id| *id == p.id));
    Ok((rows, total))
}

/// How a listed product is found.
#[derive(Debug, Clone)]
pub enum ProductKey {
    Slug(String),
    /// Upper case, as printed on the piece.
    TraceCode(String),
    Id(i64),
}

/// A listed product by slug, trace code or id.
pub fn listed_product(
    conn: &mut DbConn,
    key: &ProductKey,
    today: NaiveDate,
) -> QueryResult<Option<(ProductRow, WorkshopRow)>> {
    let q = listed(today);
    let q = match key {
        ProductKey::Slug(slug) => q.filter(products::slug.eq(slug.clone())),
        ProductKey::TraceCode(code) => q.filter(products::trace_code.eq(code.clone())),
        ProductKey::Id(id) => q.filter(products::id.eq(*id)),
    };
    q.select((ProductRow::as_select(), WorkshopRow::as_select())).first(conn).optional()
}

/// Makers of the given products, lead first then by share.
pub fn makers_of(conn: &mut DbConn, product_ids: &[i64]) -> QueryResult<Vec<MakerRow>> {
    if product_ids.is_empty() {
        return Ok(Vec::new());
    }
    let q = product_makers::table.inner_join(workers::table).into_boxed();
    // One product (a product page) by `=`: SQLite caches that statement, never an `IN` list.
    let q = match product_ids {
        [id] => q.filter(product_makers::product_id.eq(*id)),
        _ => q.filter(product_makers::product_id.eq_any(product_ids.to_vec())),
    };
    let rows: Vec<(i64, String, i32, WorkerPublicRow)> = q
        .order((product_makers::product_id, product_makers::share_bp.desc(), workers::id))
        .select((
            product_makers::product_id,
            product_makers::role,
            product_makers::share_bp,
            WorkerPublicRow::as_select(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(product_id, role, share_bp, worker)| MakerRow { product_id, role, share_bp, worker })
        .collect())
}

/// Images of the given products, in display order.
pub fn images_of(conn: &mut DbConn, product_ids: &[i64]) -> QueryResult<Vec<ImageRow>> {
    if product_ids.is_empty() {
        return Ok(Vec::new());
    }
    let q = product_images::table.into_boxed();
    let q = match product_ids {
        [id] => q.filter(product_images::product_id.eq(*id)),
        _ => q.filter(product_images::product_id.eq_any(product_ids.to_vec())),
    };
    q.order((product_images::product_id, product_images::position)).select(ImageRow::as_select()).load(conn)
}

/// Ids of every product a worker helped make (listed or not; callers filter).
pub fn product_ids_made_by(conn: &mut DbConn, worker_id: i64) -> QueryResult<Vec<i64>> {
    product_makers::table.filter(product_makers::worker_id.eq(worker_id)).select(product_makers::product_id).load(conn)
}

/// Listed products by id (any order).
pub fn listed_products_by_ids(
    conn: &mut DbConn,
    ids: &[i64],
    today: NaiveDate,
) -> QueryResult<Vec<(ProductRow, WorkshopRow)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    listed(today)
        .filter(products::id.eq_any(ids.to_vec()))
        .order(products::id)
        .select((ProductRow::as_select(), WorkshopRow::as_select()))
        .load(conn)
}

/// What a product's page suggests next, each at most `limit` listed pieces, newest first:
/// more from its workshop, the same craft from other workshops, and other workshops' pieces
/// from the same county. Each reads through an index (workshop, heritage item, county).
pub fn related(
    conn: &mut DbConn,
    product: &ProductRow,
    workshop: &WorkshopRow,
    today: NaiveDate,
    limit: i64,
) -> QueryResult<[Vec<(ProductRow, WorkshopRow)>; 3]> {
    let pick = (ProductRow::as_select(), WorkshopRow::as_select());
    let same_workshop = listed(today)
        .filter(products::workshop_id.eq(workshop.id))
        .filter(products::id.ne(product.id))
        .order(products::id.desc())
        .limit(limit)
        .select(pick)
        .load(conn)?;
    let same_craft = listed(today)
        .filter(products::heritage_item_id.eq(product.heritage_item_id))
        .filter(products::workshop_id.ne(workshop.id))
        .order(products::id.desc())
        .limit(limit)
        .select(pick)
        .load(conn)?;
    let same_county = listed(today)
        .filter(workshops::county_code.eq(workshop.county_code.clone()))
        .filter(products::workshop_id.ne(workshop.id))
        .order(products::id.desc())
        .limit(limit)
        .select(pick)
        .load(conn)?;
    Ok([same_workshop, same_craft, same_county])
}

/// Ids of listed products after `after`, in id order (a rebuild reads the catalogue in pages).
pub fn listed_ids_after(conn: &mut DbConn, after: i64, limit: i64, today: NaiveDate) -> QueryResult<Vec<i64>> {
    listed(today).filter(products::id.gt(after)).order(products::id).select(products::id).limit(limit).load(conn)
}

/// How many products are listed.
pub fn count_listed(conn: &mut DbConn, today: NaiveDate) -> QueryResult<i64> {
    listed(today).count().get_result(conn)
}

/// Whether the database answers.
pub fn ping(conn: &mut DbConn) -> QueryResult<()> {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("1")).execute(conn).map(|_| ())
}

/// The storefront's change counter: the sum over its shards, which triggers bump in the same
/// transaction as every change to workshops, workers, products, makers and images (see the
/// `storefront_changes` migration). Equal sums mean an unchanged catalogue.
pub fn storefront_changes(conn: &mut DbConn) -> QueryResult<i64> {
    use super::schema::storefront_changes::dsl;
    let sum: Option<i64> = dsl::storefront_changes
        .select(diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>(
            "CAST(SUM(changes) AS BIGINT)",
        ))
        .first(conn)?;
    Ok(sum.unwrap_or(0))
}

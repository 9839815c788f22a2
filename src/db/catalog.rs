//! Reads for the storefront and the JSON API: products with their workshop, makers and
//! images; workshops; workers; region and heritage reference rows.

use super::schema::{
    heritage_item_regions, heritage_items, product_images, product_makers, products, regions, workers,
    workshop_heritage_items, workshops,
};
use super::DbConn;
use crate::domain::listing::{PageRequest, ProductFilter, ProductSort};
use chrono::{Months, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

type Backend = <DbConn as Connection>::Backend;

/// A region row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = regions)]
pub struct RegionRow {
    pub code: String,
    pub name_zh: String,
    pub name_pinyin: String,
    pub short_name_zh: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub sanqu_sanzhou: bool,
    pub sanqu_group: Option<String>,
    pub key_support_area: bool,
    pub poverty_county: bool,
    pub poverty_exit_year: Option<i32>,
}

/// A heritage item row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = heritage_items)]
pub struct HeritageRow {
    pub id: i64,
    pub code: String,
    pub list_number: Option<String>,
    pub name_zh: String,
    pub name_en: String,
    pub category: String,
    pub level: String,
    pub batch: Option<String>,
    pub declared_region_zh: Option<String>,
    pub revitalization_catalogue: Option<String>,
    pub sources: String,
    pub notes: Option<String>,
}

/// A workshop row (payout details, once they exist, live elsewhere).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = workshops)]
pub struct WorkshopRow {
    pub id: i64,
    pub slug: String,
    pub name_zh: String,
    pub name_en: String,
    pub county_code: String,
    pub prefecture_code: Option<String>,
    pub province_code: String,
    pub story_zh: String,
    pub story_en: String,
    pub cert_number: Option<String>,
    pub cert_authority: Option<String>,
    pub cert_issued_on: Option<NaiveDate>,
    pub cert_last_confirmed_on: Option<NaiveDate>,
    pub commission_bp: i32,
    pub status: String,
    pub featured: bool,
    pub is_demo: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A product row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = products)]
pub struct ProductRow {
    pub id: i64,
    pub slug: String,
    pub trace_code: String,
    pub workshop_id: i64,
    pub heritage_item_id: i64,
    pub title_zh: String,
    pub title_en: String,
    pub description_zh: String,
    pub description_en: String,
    pub materials_zh: String,
    pub materials_en: String,
    pub price_fen: i64,
    pub currency: String,
    pub stock: i64,
    pub made_to_order: bool,
    pub lead_time_days: Option<i32>,
    pub wage_rule: String,
    pub wage_bp: Option<i32>,
    pub piece_rate_fen: Option<i64>,
    pub status: String,
    pub featured: bool,
    pub sold_count: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub category: String,
}

/// A worker's public-facing columns. Household status is deliberately not here.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = workers)]
pub struct WorkerPublicRow {
    pub id: i64,
    pub workshop_id: i64,
    pub name_zh: String,
    pub name_latin: String,
    pub story_zh: String,
    pub story_en: String,
    pub photo_path: Option<String>,
    pub consent_name: bool,
    pub consent_photo: bool,
    pub consent_story: bool,
    pub inheritor_level: String,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
}

/// One maker of one product, with the worker's consent flags.
#[derive(Debug, Clone)]
pub struct MakerRow {
    pub product_id: i64,
    pub role: String,
    pub share_bp: i32,
    pub worker: WorkerPublicRow,
}

/// A product image.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = product_images)]
pub struct ImageRow {
    pub id: i64,
    pub product_id: i64,
    pub position: i32,
    pub path: String,
    pub width: i32,
    pub height: i32,
    pub alt_zh: String,
    pub alt_en: String,
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
        q = q.filter(workshops::province_code.eq(c.to_string()));
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

/// One page of listed products matching `filter`, and the total that match.
pub fn list_products(
    conn: &mut DbConn,
    filter: &ProductFilter,
    areas: &FlaggedRegions,
    page: PageRequest,
    today: NaiveDate,
) -> QueryResult<(Vec<(ProductRow, WorkshopRow)>, i64)> {
    let total: i64 = filtered(filter, areas, today).count().get_result(conn)?;
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

/// A listed product by slug.
pub fn product_by_slug(
    conn: &mut DbConn,
    slug: &str,
    today: NaiveDate,
) -> QueryResult<Option<(ProductRow, WorkshopRow)>> {
    listed(today)
        .filter(products::slug.eq(slug.to_owned()))
        .select((ProductRow::as_select(), WorkshopRow::as_select()))
        .first(conn)
        .optional()
}

/// A listed product by trace code.
pub fn product_by_trace_code(
    conn: &mut DbConn,
    code: &str,
    today: NaiveDate,
) -> QueryResult<Option<(ProductRow, WorkshopRow)>> {
    listed(today)
        .filter(products::trace_code.eq(code.to_owned()))
        .select((ProductRow::as_select(), WorkshopRow::as_select()))
        .first(conn)
        .optional()
}

/// Makers of the given products, lead first then by share.
pub fn makers_of(conn: &mut DbConn, product_ids: &[i64]) -> QueryResult<Vec<MakerRow>> {
    if product_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, String, i32, WorkerPublicRow)> = product_makers::table
        .inner_join(workers::table)
        .filter(product_makers::product_id.eq_any(product_ids.to_vec()))
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
    product_images::table
        .filter(product_images::product_id.eq_any(product_ids.to_vec()))
        .order((product_images::product_id, product_images::position))
        .select(ImageRow::as_select())
        .load(conn)
}

/// An active (not suspended) workshop by slug, whatever its certification: the page says
/// when it has lapsed.
pub fn workshop_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<WorkshopRow>> {
    workshops::table
        .filter(workshops::slug.eq(slug))
        .filter(workshops::status.eq("active"))
        .select(WorkshopRow::as_select())
        .first(conn)
        .optional()
}

/// Which listed workshops to read.
#[derive(Debug, Clone)]
pub enum WorkshopScope {
    All,
    /// In a region: by its code at its level.
    InRegion(crate::domain::RegionCode),
    /// Practising a heritage item.
    Practising(i64),
}

type WorkshopQuery = diesel::dsl::IntoBoxed<'static, workshops::table, Backend>;

fn listed_workshops_query(today: NaiveDate, scope: &WorkshopScope) -> WorkshopQuery {
    let q = workshops::table.filter(workshop_is_listed(lapse_cutoff(today))).into_boxed();
    match scope {
        WorkshopScope::All => q,
        WorkshopScope::InRegion(code) => {
            let c = code.to_string();
            match code.level() {
                crate::domain::RegionLevel::Province => q.filter(workshops::province_code.eq(c)),
                crate::domain::RegionLevel::Prefecture => q.filter(workshops::prefecture_code.eq(c)),
                crate::domain::RegionLevel::County => q.filter(workshops::county_code.eq(c)),
            }
        }
        WorkshopScope::Practising(item) => q.filter(
            workshops::id.eq_any(
                workshop_heritage_items::table
                    .filter(workshop_heritage_items::heritage_item_id.eq(*item))
                    .select(workshop_heritage_items::workshop_id),
            ),
        ),
    }
}

/// A page of the workshops whose certification keeps them in the storefront, featured first,
/// and how many there are in all.
pub fn listed_workshops(
    conn: &mut DbConn,
    today: NaiveDate,
    scope: &WorkshopScope,
    page: PageRequest,
) -> QueryResult<(Vec<WorkshopRow>, i64)> {
    let total: i64 = listed_workshops_query(today, scope).count().get_result(conn)?;
    let rows = listed_workshops_query(today, scope)
        .order((workshops::featured.desc(), workshops::province_code, workshops::county_code, workshops::id))
        .select(WorkshopRow::as_select())
        .limit(i64::from(page.per_page))
        .offset(page.offset())
        .load(conn)?;
    Ok((rows, total))
}

/// Heritage item ids practised by each of the given workshops.
pub fn crafts_of_workshops(conn: &mut DbConn, workshop_ids: &[i64]) -> QueryResult<Vec<(i64, i64)>> {
    workshop_heritage_items::table
        .filter(workshop_heritage_items::workshop_id.eq_any(workshop_ids.to_vec()))
        .select((workshop_heritage_items::workshop_id, workshop_heritage_items::heritage_item_id))
        .order((workshop_heritage_items::workshop_id, workshop_heritage_items::heritage_item_id))
        .load(conn)
}

/// Current workers of a workshop who consented to show their name.
pub fn named_workers_of(conn: &mut DbConn, workshop_id: i64) -> QueryResult<Vec<WorkerPublicRow>> {
    workers::table
        .filter(workers::workshop_id.eq(workshop_id))
        .filter(workers::consent_name.eq(true))
        .filter(workers::left_on.is_null())
        .order(workers::id)
        .select(WorkerPublicRow::as_select())
        .load(conn)
}

/// A worker who consented to show their name, with their workshop.
pub fn named_worker(conn: &mut DbConn, id: i64) -> QueryResult<Option<(WorkerPublicRow, WorkshopRow)>> {
    workers::table
        .inner_join(workshops::table)
        .filter(workers::id.eq(id))
        .filter(workers::consent_name.eq(true))
        .filter(workshops::status.eq("active"))
        .select((WorkerPublicRow::as_select(), WorkshopRow::as_select()))
        .first(conn)
        .optional()
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

/// Ids of listed products after `after`, in id order (a rebuild reads the catalogue in pages).
pub fn listed_ids_after(conn: &mut DbConn, after: i64, limit: i64, today: NaiveDate) -> QueryResult<Vec<i64>> {
    listed(today).filter(products::id.gt(after)).order(products::id).select(products::id).limit(limit).load(conn)
}

/// How many products are listed.
pub fn count_listed(conn: &mut DbConn, today: NaiveDate) -> QueryResult<i64> {
    listed(today).count().get_result(conn)
}

/// All regions (reference data, loaded once at start).
pub fn all_regions(conn: &mut DbConn) -> QueryResult<Vec<RegionRow>> {
    regions::table.order(regions::code).select(RegionRow::as_select()).load(conn)
}

/// `(heritage item id, region code)`.
pub type HeritageRegion = (i64, String);

/// All heritage items and the region codes of each.
pub fn all_heritage_items(conn: &mut DbConn) -> QueryResult<(Vec<HeritageRow>, Vec<HeritageRegion>)> {
    let items = heritage_items::table.order(heritage_items::id).select(HeritageRow::as_select()).load(conn)?;
    let regions = heritage_item_regions::table
        .select((heritage_item_regions::heritage_item_id, heritage_item_regions::region_code))
        .order((heritage_item_regions::heritage_item_id, heritage_item_regions::region_code))
        .load(conn)?;
    Ok((items, regions))
}

/// `(county, prefecture, province, listed workshops)`: one row per county that has any.
pub type WorkshopsInCounty = (String, Option<String>, String, i64);

/// How many listed workshops each county holds, grouped in the database so that the rows
/// are bounded by the counties, not by the workshops (for region and key-area counts).
pub fn workshop_counts_by_county(conn: &mut DbConn, today: NaiveDate) -> QueryResult<Vec<WorkshopsInCounty>> {
    workshops::table
        .filter(workshop_is_listed(lapse_cutoff(today)))
        .group_by((workshops::county_code, workshops::prefecture_code, workshops::province_code))
        .select((
            workshops::county_code,
            workshops::prefecture_code,
            workshops::province_code,
            diesel::dsl::count_star(),
        ))
        .load(conn)
}

/// `(slug, name_zh, name_en)` of every listed workshop, by name.
pub fn listed_workshop_names(conn: &mut DbConn, today: NaiveDate) -> QueryResult<Vec<(String, String, String)>> {
    listed_workshops_query(today, &WorkshopScope::All)
        .order(workshops::slug)
        .select((workshops::slug, workshops::name_zh, workshops::name_en))
        .load(conn)
}

/// Whether the database answers.
pub fn ping(conn: &mut DbConn) -> QueryResult<()> {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("1")).execute(conn).map(|_| ())
}

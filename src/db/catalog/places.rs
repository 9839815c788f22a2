//! Workshops, workers, regions and heritage items: the places and people products are
//! traced to.

use super::rows::{HeritageRow, RegionRow, WorkerPublicRow, WorkshopRow};
use super::{lapse_cutoff, workshop_is_listed, Backend};
use crate::db::schema::{heritage_item_regions, heritage_items, regions, workers, workshop_heritage_items, workshops};
use crate::db::DbConn;
use crate::domain::listing::PageRequest;
use chrono::NaiveDate;
use diesel::prelude::*;

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
    /// These, by slug.
    Named(Vec<String>),
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
        WorkshopScope::Named(slugs) => q.filter(workshops::slug.eq_any(slugs.clone())),
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
    let q = workshop_heritage_items::table.into_boxed();
    // One workshop by `=`: SQLite caches that statement, never an `IN` list.
    let q = match workshop_ids {
        [id] => q.filter(workshop_heritage_items::workshop_id.eq(*id)),
        _ => q.filter(workshop_heritage_items::workshop_id.eq_any(workshop_ids.to_vec())),
    };
    q.select((workshop_heritage_items::workshop_id, workshop_heritage_items::heritage_item_id))
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
pub fn listed_workshop_names(
    conn: &mut DbConn,
    today: NaiveDate,
    scope: &WorkshopScope,
    limit: i64,
) -> QueryResult<Vec<(String, String, String)>> {
    listed_workshops_query(today, scope)
        .order(workshops::slug)
        .limit(limit)
        .select((workshops::slug, workshops::name_zh, workshops::name_en))
        .load(conn)
}

//! Queries and writes of the workshop portal: which workshop a row belongs to (for the
//! authorisation check), the roster with its sensitive columns, products as their editors
//! see them, makers and photos. Callers wrap writes and their audit entries in one transaction.

use super::catalog::{ProductRow, WorkshopRow};
use super::schema::{product_images, product_makers, products, regions, worker_household_statuses, workers, workshops};
use super::writes::{NewMaker, NewProduct};
use super::DbConn;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

pub fn workshop_exists(conn: &mut DbConn, id: crate::domain::WorkshopId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(workshops::table.find(id.get()))).get_result(conn)
}

pub fn region_exists(conn: &mut DbConn, code: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(regions::table.find(code))).get_result(conn)
}

pub fn workshop(conn: &mut DbConn, id: i64) -> QueryResult<Option<WorkshopRow>> {
    workshops::table.find(id).select(WorkshopRow::as_select()).first(conn).optional()
}

/// Every workshop, by name (for operators).
pub fn all_workshops(conn: &mut DbConn) -> QueryResult<Vec<WorkshopRow>> {
    workshops::table.order(workshops::name_zh).select(WorkshopRow::as_select()).load(conn)
}

/// The workshop a product belongs to.
pub fn product_workshop(conn: &mut DbConn, product: i64) -> QueryResult<Option<i64>> {
    products::table.find(product).select(products::workshop_id).first(conn).optional()
}

/// The workshop a worker belongs to.
pub fn worker_workshop(conn: &mut DbConn, worker: i64) -> QueryResult<Option<i64>> {
    workers::table.find(worker).select(workers::workshop_id).first(conn).optional()
}

/// The product and workshop a photo belongs to.
pub fn image_owner(conn: &mut DbConn, image: i64) -> QueryResult<Option<(i64, i64)>> {
    product_images::table
        .inner_join(products::table)
        .filter(product_images::id.eq(image))
        .select((products::id, products::workshop_id))
        .first(conn)
        .optional()
}

/// The editable text of a workshop's profile.
#[derive(Debug, Clone, AsChangeset, serde::Deserialize)]
#[diesel(table_name = workshops)]
pub struct ProfileChange {
    pub name_zh: String,
    pub name_en: String,
    pub story_zh: String,
    pub story_en: String,
    pub accepts_custom: bool,
}

pub fn update_profile(conn: &mut DbConn, id: i64, change: &ProfileChange, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(workshops::table.find(id)).set((change, workshops::updated_at.eq(now))).execute(conn)
}

/// A workshop's certificate and its latest yearly confirmation.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = workshops, treat_none_as_null = true)]
pub struct CertificationChange {
    pub cert_number: Option<String>,
    pub cert_authority: Option<String>,
    pub cert_issued_on: Option<NaiveDate>,
    pub cert_last_confirmed_on: Option<NaiveDate>,
}

pub fn update_certification(
    conn: &mut DbConn,
    id: i64,
    change: &CertificationChange,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(workshops::table.find(id)).set((change, workshops::updated_at.eq(now))).execute(conn)
}

pub fn set_payout_account(conn: &mut DbConn, id: i64, sealed: Option<String>) -> QueryResult<usize> {
    diesel::update(workshops::table.find(id)).set(workshops::payout_account_enc.eq(sealed)).execute(conn)
}

pub fn payout_account(conn: &mut DbConn, id: i64) -> QueryResult<Option<String>> {
    workshops::table.find(id).select(workshops::payout_account_enc).first(conn)
}

/// A worker as the workshop's manager sees them.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = workers)]
pub struct WorkerRow {
    pub id: i64,
    pub workshop_id: i64,
    pub name_zh: String,
    pub name_latin: String,
    pub story_zh: String,
    pub story_en: String,
    pub consent_name: bool,
    pub consent_photo: bool,
    pub consent_story: bool,
    pub inheritor_level: String,
    pub home_county_code: Option<String>,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    #[serde(skip)]
    pub id_number_enc: Option<String>,
    #[serde(skip)]
    pub bank_account_enc: Option<String>,
}

pub fn workers_of(conn: &mut DbConn, workshop: i64) -> QueryResult<Vec<WorkerRow>> {
    workers::table
        .filter(workers::workshop_id.eq(workshop))
        .order((workers::left_on.is_not_null(), workers::id))
        .select(WorkerRow::as_select())
        .load(conn)
}

pub fn worker(conn: &mut DbConn, id: i64) -> QueryResult<Option<WorkerRow>> {
    workers::table.find(id).select(WorkerRow::as_select()).first(conn).optional()
}

/// The roster fields a manager edits.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = workers, treat_none_as_null = true)]
pub struct WorkerChange {
    pub name_zh: String,
    pub name_latin: String,
    pub story_zh: String,
    pub story_en: String,
    pub inheritor_level: String,
    pub home_county_code: Option<String>,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
}

pub fn update_worker(conn: &mut DbConn, id: i64, change: &WorkerChange, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(workers::table.find(id)).set((change, workers::updated_at.eq(now))).execute(conn)
}

/// Sets one consent flag (`name`, `photo` or `story`).
pub fn set_consent(conn: &mut DbConn, id: i64, item: &str, given: bool, now: NaiveDateTime) -> QueryResult<usize> {
    let target = workers::table.find(id);
    let stamp = workers::consent_updated_at.eq(now);
    match item {
        "name" => diesel::update(target).set((workers::consent_name.eq(given), stamp)).execute(conn),
        "photo" => diesel::update(target).set((workers::consent_photo.eq(given), stamp)).execute(conn),
        "story" => diesel::update(target).set((workers::consent_story.eq(given), stamp)).execute(conn),
        _ => Ok(0),
    }
}

/// Seals or clears a worker's ID or bank number (`id_number` or `bank_account`).
pub fn set_worker_secret(conn: &mut DbConn, id: i64, field: &str, sealed: Option<String>) -> QueryResult<usize> {
    let target = workers::table.find(id);
    match field {
        "id_number" => diesel::update(target).set(workers::id_number_enc.eq(sealed)).execute(conn),
        "bank_account" => diesel::update(target).set(workers::bank_account_enc.eq(sealed)).execute(conn),
        _ => Ok(0),
    }
}

/// One entry of a worker's household-status history.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = worker_household_statuses)]
pub struct StatusRow {
    pub id: i64,
    pub status: String,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub verified_by: String,
    pub verified_on: NaiveDate,
}

pub fn status_history(conn: &mut DbConn, worker: i64) -> QueryResult<Vec<StatusRow>> {
    worker_household_statuses::table
        .filter(worker_household_statuses::worker_id.eq(worker))
        .order(worker_household_statuses::valid_from.desc())
        .select(StatusRow::as_select())
        .load(conn)
}

/// The workers of a workshop who are on the roster on `day`.
pub fn current_worker_ids(conn: &mut DbConn, workshop: i64, day: NaiveDate) -> QueryResult<Vec<i64>> {
    workers::table
        .filter(workers::workshop_id.eq(workshop))
        .filter(workers::joined_on.le(day))
        .filter(workers::left_on.is_null().or(workers::left_on.gt(day)))
        .select(workers::id)
        .load(conn)
}

/// A workshop's products, newest first, any status.
pub fn products_of(conn: &mut DbConn, workshop: i64) -> QueryResult<Vec<ProductRow>> {
    products::table
        .filter(products::workshop_id.eq(workshop))
        .order(products::id.desc())
        .select(ProductRow::as_select())
        .load(conn)
}

/// Products waiting for review, oldest first.
pub fn products_in_review(conn: &mut DbConn) -> QueryResult<Vec<ProductRow>> {
    products::table
        .filter(products::status.eq("in_review"))
        .order(products::updated_at)
        .select(ProductRow::as_select())
        .load(conn)
}

pub fn product(conn: &mut DbConn, id: i64) -> QueryResult<Option<ProductRow>> {
    products::table.find(id).select(ProductRow::as_select()).first(conn).optional()
}

pub fn review_note(conn: &mut DbConn, id: i64) -> QueryResult<Option<String>> {
    products::table.find(id).select(products::review_note).first(conn)
}

pub fn insert_product(conn: &mut DbConn, p: &NewProduct) -> QueryResult<i64> {
    diesel::insert_into(products::table).values(p).returning(products::id).get_result(conn)
}

/// The fields an editor changes.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = products, treat_none_as_null = true)]
pub struct ProductChange {
    pub heritage_item_id: i64,
    pub category: String,
    pub title_zh: String,
    pub title_en: String,
    pub description_zh: String,
    pub description_en: String,
    pub materials_zh: String,
    pub materials_en: String,
    pub price_fen: i64,
    pub stock: i64,
    pub made_to_order: bool,
    pub lead_time_days: Option<i32>,
    pub wage_rule: String,
    pub wage_bp: Option<i32>,
    pub piece_rate_fen: Option<i64>,
}

pub fn update_product(conn: &mut DbConn, id: i64, change: &ProductChange, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(products::table.find(id)).set((change, products::updated_at.eq(now))).execute(conn)
}

/// Moves a product from status `from` to `to`, with the reviewer's note (or none). Returns 0
/// when the product was no longer in `from` (someone else moved it first).
pub fn set_status(
    conn: &mut DbConn,
    id: i64,
    (from, to): (&str, &str),
    note: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let status = to;
    diesel::update(products::table.find(id).filter(products::status.eq(from)))
        .set((products::status.eq(status), products::review_note.eq(note), products::updated_at.eq(now)))
        .execute(conn)
}

/// A product's makers as (worker, role, share in basis points).
pub fn makers(conn: &mut DbConn, product: i64) -> QueryResult<Vec<(i64, String, i32)>> {
    product_makers::table
        .filter(product_makers::product_id.eq(product))
        .order(product_makers::worker_id)
        .select((product_makers::worker_id, product_makers::role, product_makers::share_bp))
        .load(conn)
}

/// Replaces a product's makers.
pub fn replace_makers(conn: &mut DbConn, product: i64, makers: &[NewMaker]) -> QueryResult<usize> {
    diesel::delete(product_makers::table.filter(product_makers::product_id.eq(product))).execute(conn)?;
    for m in makers {
        diesel::insert_into(product_makers::table).values(m).execute(conn)?;
    }
    Ok(makers.len())
}

/// A stored photo of a product.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = product_images)]
pub struct PhotoRow {
    pub id: i64,
    pub position: i32,
    pub path: String,
    pub width: i32,
    pub height: i32,
    pub alt_zh: String,
    pub alt_en: String,
    pub variant_widths: String,
}

pub fn photos(conn: &mut DbConn, product: i64) -> QueryResult<Vec<PhotoRow>> {
    product_images::table
        .filter(product_images::product_id.eq(product))
        .order(product_images::position)
        .select(PhotoRow::as_select())
        .load(conn)
}

/// Adds a photo after the product's others; returns its id.
#[allow(clippy::too_many_arguments)]
pub fn insert_photo(
    conn: &mut DbConn,
    product: i64,
    path: &str,
    width: i32,
    height: i32,
    alt: (&str, &str),
    variant_widths: &str,
) -> QueryResult<i64> {
    let last: Option<i32> = product_images::table
        .filter(product_images::product_id.eq(product))
        .select(diesel::dsl::max(product_images::position))
        .first(conn)?;
    diesel::insert_into(product_images::table)
        .values((
            product_images::product_id.eq(product),
            product_images::position.eq(last.map_or(0, |p| p + 1)),
            product_images::path.eq(path),
            product_images::width.eq(width),
            product_images::height.eq(height),
            product_images::alt_zh.eq(alt.0),
            product_images::alt_en.eq(alt.1),
            product_images::variant_widths.eq(variant_widths),
        ))
        .returning(product_images::id)
        .get_result(conn)
}

pub fn set_photo_alt(conn: &mut DbConn, id: i64, alt_zh: &str, alt_en: &str) -> QueryResult<usize> {
    diesel::update(product_images::table.find(id))
        .set((product_images::alt_zh.eq(alt_zh), product_images::alt_en.eq(alt_en)))
        .execute(conn)
}

/// Removes a photo row; returns its path so the caller can remove the files.
pub fn delete_photo(conn: &mut DbConn, id: i64) -> QueryResult<Option<String>> {
    let path: Option<String> = product_images::table.find(id).select(product_images::path).first(conn).optional()?;
    diesel::delete(product_images::table.find(id)).execute(conn)?;
    Ok(path)
}

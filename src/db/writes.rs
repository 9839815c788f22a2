//! Inserts for the catalogue: workshops, workers and their household status, products with
//! makers and images. Used by the demo seed now and by the workshop portal later.

use super::schema::{
    product_images, product_makers, products, worker_household_statuses, workers, workshop_heritage_items, workshops,
};
use super::DbConn;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// A new workshop.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = workshops)]
pub struct NewWorkshop {
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

/// A new worker.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = workers)]
pub struct NewWorker {
    pub workshop_id: i64,
    pub name_zh: String,
    pub name_latin: String,
    pub story_zh: String,
    pub story_en: String,
    pub photo_path: Option<String>,
    pub consent_name: bool,
    pub consent_photo: bool,
    pub consent_story: bool,
    pub consent_updated_at: NaiveDateTime,
    pub inheritor_level: String,
    pub home_county_code: Option<String>,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// One verified household status of a worker for a span of time.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = worker_household_statuses)]
pub struct NewHouseholdStatus {
    pub worker_id: i64,
    pub status: String,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub verified_by: String,
    pub verified_on: NaiveDate,
    pub created_at: NaiveDateTime,
}

/// A new product.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = products)]
pub struct NewProduct {
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

/// A maker of a product.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = product_makers)]
pub struct NewMaker {
    pub product_id: i64,
    pub worker_id: i64,
    pub role: String,
    pub share_bp: i32,
}

/// A product image already stored under the media directory.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = product_images)]
pub struct NewImage {
    pub product_id: i64,
    pub position: i32,
    pub path: String,
    /// Widths of the stored copies (`<dir>/<w>.jpg` and `.webp`), comma-separated.
    pub variant_widths: String,
    pub width: i32,
    pub height: i32,
    pub alt_zh: String,
    pub alt_en: String,
}

/// Inserts a workshop and the heritage items it practises; returns its id.
pub fn insert_workshop(conn: &mut DbConn, w: &NewWorkshop, heritage_item_ids: &[i64]) -> QueryResult<i64> {
    let id: i64 = diesel::insert_into(workshops::table).values(w).returning(workshops::id).get_result(conn)?;
    for h in heritage_item_ids {
        diesel::insert_into(workshop_heritage_items::table)
            .values((workshop_heritage_items::workshop_id.eq(id), workshop_heritage_items::heritage_item_id.eq(h)))
            .execute(conn)?;
    }
    Ok(id)
}

/// Inserts a worker with their household-status history; returns the worker's id.
pub fn insert_worker(conn: &mut DbConn, w: &NewWorker, history: &[NewHouseholdStatus]) -> QueryResult<i64> {
    let id: i64 = diesel::insert_into(workers::table).values(w).returning(workers::id).get_result(conn)?;
    for h in history {
        let row = NewHouseholdStatus { worker_id: id, ..h.clone() };
        diesel::insert_into(worker_household_statuses::table).values(&row).execute(conn)?;
    }
    Ok(id)
}

/// Adds one entry to a worker's household-status history.
pub fn insert_status(conn: &mut DbConn, row: &NewHouseholdStatus) -> QueryResult<usize> {
    diesel::insert_into(worker_household_statuses::table).values(row).execute(conn)
}

/// Inserts a product with its makers and images; returns the product's id.
pub fn insert_product(conn: &mut DbConn, p: &NewProduct, makers: &[NewMaker], images: &[NewImage]) -> QueryResult<i64> {
    let id: i64 = diesel::insert_into(products::table).values(p).returning(products::id).get_result(conn)?;
    for m in makers {
        diesel::insert_into(product_makers::table).values(&NewMaker { product_id: id, ..m.clone() }).execute(conn)?;
    }
    for i in images {
        diesel::insert_into(product_images::table).values(&NewImage { product_id: id, ..i.clone() }).execute(conn)?;
    }
    Ok(id)
}

/// Whether a workshop with this slug exists.
pub fn workshop_exists(conn: &mut DbConn, slug: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(workshops::table.filter(workshops::slug.eq(slug)))).get_result(conn)
}

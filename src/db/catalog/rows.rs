//! The catalogue's row types, as diesel selects them.

use crate::db::schema::{heritage_items, product_images, products, regions, workers, workshops};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

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
    /// Whether it takes custom work (custom orders in milestones).
    pub accepts_custom: bool,
    pub featured: bool,
    pub is_demo: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A product row (serialised as is for the portal, which shows every column).
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
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
    #[serde(serialize_with = "crate::clock::china_time")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::china_time")]
    pub updated_at: NaiveDateTime,
    pub category: String,
    /// How many visible reviews rate it, and their ratings' sum.
    pub rating_count: i64,
    pub rating_sum: i64,
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
    /// The widths of an uploaded photo's resized copies, e.g. `320,800,1600`; empty for a
    /// single picture (the demo's).
    pub variant_widths: String,
}

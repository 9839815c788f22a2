//! The rows of the national dataset as they are inserted: ids assigned here (from the
//! table's current maximum) so that a whole batch of orders, lines, refunds and entries can be
//! written with multi-row inserts and no RETURNING round trips. The seed runs alone (it is a
//! command), so nothing else takes ids meanwhile; PostgreSQL's sequences are moved past the
//! new ids at the end ([`finish_sequences`]).

use crate::db::schema::{
    journal_entries, journal_postings, order_line_makers, order_lines, orders, payments, product_makers, products,
    refunds, shipments, users, worker_household_statuses, workers, workshop_heritage_items, workshops,
};
use crate::db::DbConn;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

/// Bound parameters per statement: under SQLite's 32,766 (PostgreSQL takes rows by COPY).
const PARAMS: usize = 30_000;

/// Inserts rows: on PostgreSQL by one binary `COPY FROM`, on SQLite by multi-row inserts of as
/// many rows as fit `PARAMS` for `columns` columns.
macro_rules! bulk {
    ($conn:expr, $table:expr, $rows:expr, $columns:expr) => {{
        match &mut *$conn {
            DbConn::Postgresql(pg) => diesel::copy_from($table).from_insertable(&$rows[..]).execute(pg),
            DbConn::Sqlite(lite) => {
                let mut n = 0usize;
                for chunk in $rows.chunks((PARAMS / $columns).max(1)) {
                    n += diesel::insert_into($table).values(chunk).execute(lite)?;
                }
                Ok::<usize, diesel::result::Error>(n)
            }
        }
    }};
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = workshops)]
#[diesel(treat_none_as_default_value = false)]
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
    pub status: &'static str,
    pub featured: bool,
    pub is_demo: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = workshop_heritage_items)]
#[diesel(treat_none_as_default_value = false)]
pub struct CraftRow {
    pub workshop_id: i64,
    pub heritage_item_id: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = workers)]
#[diesel(treat_none_as_default_value = false)]
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
    pub consent_updated_at: NaiveDateTime,
    pub inheritor_level: &'static str,
    pub home_county_code: Option<String>,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = worker_household_statuses)]
#[diesel(treat_none_as_default_value = false)]
pub struct StatusRow {
    pub id: i64,
    pub worker_id: i64,
    pub status: &'static str,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub verified_by: String,
    pub verified_on: NaiveDate,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = products)]
#[diesel(treat_none_as_default_value = false)]
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
    pub currency: &'static str,
    pub stock: i64,
    pub made_to_order: bool,
    pub lead_time_days: Option<i32>,
    pub wage_rule: &'static str,
    pub wage_bp: Option<i32>,
    pub piece_rate_fen: Option<i64>,
    pub status: &'static str,
    pub featured: bool,
    pub sold_count: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub category: &'static str,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = product_makers)]
#[diesel(treat_none_as_default_value = false)]
pub struct ProductMakerRow {
    pub product_id: i64,
    pub worker_id: i64,
    pub role: &'static str,
    pub share_bp: i32,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
#[diesel(treat_none_as_default_value = false)]
pub struct BuyerRow {
    pub id: i64,
    pub email: String,
    pub password_hash: &'static str,
    pub display_name: String,
    pub lang: &'static str,
    pub role: &'static str,
    pub is_demo: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = orders)]
#[diesel(treat_none_as_default_value = false)]
pub struct OrderRow {
    pub id: i64,
    pub number: String,
    pub user_id: i64,
    pub idempotency_key: String,
    pub request_digest: &'static str,
    pub status: &'static str,
    pub payment_method: &'static str,
    pub currency: &'static str,
    pub items_fen: i64,
    pub shipping_fen: i64,
    pub total_fen: i64,
    pub refunded_fen: i64,
    pub buyer_email: String,
    pub lang: &'static str,
    pub recipient: &'static str,
    pub phone: &'static str,
    pub country: &'static str,
    pub region_code: Option<String>,
    pub region_text: String,
    pub address_line: &'static str,
    pub postal_code: &'static str,
    pub reserved_until: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub paid_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = shipments)]
#[diesel(treat_none_as_default_value = false)]
pub struct ShipmentRow {
    pub id: i64,
    pub order_id: i64,
    pub workshop_id: i64,
    pub status: &'static str,
    pub shipping_fen: i64,
    pub carrier: Option<&'static str>,
    pub tracking_number: Option<String>,
    pub shipped_at: Option<NaiveDateTime>,
    pub delivered_at: Option<NaiveDateTime>,
    pub delivered_by: Option<&'static str>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = order_lines)]
#[diesel(treat_none_as_default_value = false)]
pub struct LineRow {
    pub id: i64,
    pub order_id: i64,
    pub shipment_id: i64,
    pub product_id: i64,
    pub workshop_id: i64,
    pub heritage_item_id: i64,
    pub county_code: String,
    pub title_zh: String,
    pub title_en: String,
    pub trace_code: String,
    pub unit_price_fen: i64,
    pub quantity: i32,
    pub commission_bp: i32,
    pub wage_rule: &'static str,
    pub wage_bp: Option<i32>,
    pub piece_rate_fen: Option<i64>,
    pub made_to_order: bool,
    pub lead_time_days: Option<i32>,
    pub refunded_quantity: i32,
    pub refunded_fen: i64,
    pub settled_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = order_line_makers)]
#[diesel(treat_none_as_default_value = false)]
pub struct LineMakerRow {
    pub order_line_id: i64,
    pub worker_id: i64,
    pub role: &'static str,
    pub share_bp: i32,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = payments)]
#[diesel(treat_none_as_default_value = false)]
pub struct PaymentRow {
    pub id: i64,
    pub order_id: i64,
    pub provider: &'static str,
    pub provider_ref: String,
    pub amount_fen: i64,
    pub currency: &'static str,
    pub status: &'static str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = refunds)]
#[diesel(treat_none_as_default_value = false)]
pub struct RefundRow {
    pub id: i64,
    pub order_id: i64,
    pub order_line_id: Option<i64>,
    pub quantity: i32,
    pub amount_fen: i64,
    pub reason: &'static str,
    pub status: &'static str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = journal_entries)]
#[diesel(treat_none_as_default_value = false)]
pub struct EntryRow {
    pub id: i64,
    pub kind: &'static str,
    pub order_line_id: i64,
    pub workshop_id: i64,
    pub refund_id: Option<i64>,
    pub posted_at: NaiveDateTime,
}

/// A posting as `crate::db::ledger::NewPosting` writes it; its `None`s are bound as NULL
/// (not as DEFAULT), which keeps SQLite's multi-row insert one statement.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = journal_postings)]
#[diesel(treat_none_as_default_value = false)]
pub struct PostingRow {
    pub entry_id: i64,
    pub order_line_id: i64,
    pub account: &'static str,
    pub worker_id: Option<i64>,
    pub household_status: Option<&'static str>,
    pub amount_fen: i64,
}

/// The catalogue part: workshops, their crafts, workers, statuses, products and makers.
#[derive(Debug, Default)]
pub struct CatalogueRows {
    pub workshops: Vec<WorkshopRow>,
    pub crafts: Vec<CraftRow>,
    pub workers: Vec<WorkerRow>,
    pub statuses: Vec<StatusRow>,
    pub products: Vec<ProductRow>,
    pub makers: Vec<ProductMakerRow>,
}

impl CatalogueRows {
    /// Inserts everything, parents first, in the caller's transaction.
    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<usize> {
        let mut n = bulk!(conn, workshops::table, self.workshops, 19)?;
        n += bulk!(conn, workshop_heritage_items::table, self.crafts, 2)?;
        n += bulk!(conn, workers::table, self.workers, 16)?;
        n += bulk!(conn, worker_household_statuses::table, self.statuses, 8)?;
        n += bulk!(conn, products::table, self.products, 25)?;
        n += bulk!(conn, product_makers::table, self.makers, 4)?;
        Ok(n)
    }
}

/// One transaction's worth of sales.
#[derive(Debug, Default)]
pub struct SalesRows {
    pub orders: Vec<OrderRow>,
    pub shipments: Vec<ShipmentRow>,
    pub lines: Vec<LineRow>,
    pub makers: Vec<LineMakerRow>,
    pub payments: Vec<PaymentRow>,
    pub refunds: Vec<RefundRow>,
    pub entries: Vec<EntryRow>,
    pub postings: Vec<PostingRow>,
}

impl SalesRows {
    /// Inserts everything, parents first, in the caller's transaction.
    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<()> {
        bulk!(conn, orders::table, self.orders, 25)?;
        bulk!(conn, shipments::table, self.shipments, 10)?;
        bulk!(conn, order_lines::table, self.lines, 21)?;
        bulk!(conn, order_line_makers::table, self.makers, 4)?;
        bulk!(conn, payments::table, self.payments, 9)?;
        bulk!(conn, refunds::table, self.refunds, 9)?;
        bulk!(conn, journal_entries::table, self.entries, 6)?;
        bulk!(conn, journal_postings::table, self.postings, 6)?;
        Ok(())
    }
}

/// Inserts the generated buyers.
pub fn insert_buyers(conn: &mut DbConn, rows: &[BuyerRow]) -> QueryResult<usize> {
    bulk!(conn, users::table, rows, 9)
}

#[derive(QueryableByName)]
struct Max {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The tables whose ids the seed assigns.
pub const ID_TABLES: [&str; 11] = [
    "workshops",
    "workers",
    "worker_household_statuses",
    "products",
    "users",
    "orders",
    "shipments",
    "order_lines",
    "payments",
    "refunds",
    "journal_entries",
];

/// The next free id of a table (one of [`ID_TABLES`]).
pub fn next_id(conn: &mut DbConn, table: &str) -> QueryResult<i64> {
    let row: Max = diesel::sql_query(format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS id FROM {table}"))
        .get_result(conn)?;
    Ok(row.id + 1)
}

/// Moves PostgreSQL's id sequences past the ids the seed assigned (SQLite's AUTOINCREMENT
/// bookkeeping follows explicit ids by itself).
pub fn finish_sequences(conn: &mut DbConn) -> QueryResult<()> {
    if let DbConn::Postgresql(_) = conn {
        for table in ID_TABLES {
            diesel::sql_query(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table})) \
                 WHERE EXISTS (SELECT 1 FROM {table})"
            ))
            .execute(conn)?;
        }
    }
    Ok(())
}

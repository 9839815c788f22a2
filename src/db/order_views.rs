//! Reads of orders for pages and the API: an order with its parcels, lines and makers; a
//! buyer's history; a workshop's queue; the operators' search.

use super::schema::{order_line_makers, order_lines, orders, shipments, workers, workshops};
use super::DbConn;
use crate::domain::order::OrderStatus;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// An order row as pages show it.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = orders)]
pub struct OrderRow {
    pub id: i64,
    pub number: String,
    pub user_id: i64,
    pub status: String,
    pub payment_method: String,
    pub currency: String,
    pub items_fen: i64,
    pub shipping_fen: i64,
    pub total_fen: i64,
    pub refunded_fen: i64,
    pub buyer_email: String,
    pub lang: String,
    pub recipient: String,
    pub phone: String,
    pub country: String,
    pub region_code: Option<String>,
    pub region_text: String,
    pub address_line: String,
    pub postal_code: String,
    #[serde(serialize_with = "crate::clock::china_time")]
    pub reserved_until: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::china_time")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::china_time_opt")]
    pub paid_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::china_time_opt")]
    pub cancelled_at: Option<NaiveDateTime>,
    pub cancel_reason: Option<String>,
}

/// A parcel with its workshop's names.
#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct ShipmentRow {
    pub id: i64,
    pub order_id: i64,
    pub workshop_id: i64,
    pub status: String,
    pub shipping_fen: i64,
    pub shipping_refunded_fen: i64,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    #[serde(serialize_with = "crate::clock::china_time_opt")]
    pub shipped_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::china_time_opt")]
    pub delivered_at: Option<NaiveDateTime>,
    pub delivered_by: Option<String>,
    pub workshop_slug: String,
    pub workshop_name_zh: String,
    pub workshop_name_en: String,
}

/// An order line as sold.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = order_lines)]
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
    pub wage_rule: String,
    pub wage_bp: Option<i32>,
    pub piece_rate_fen: Option<i64>,
    pub made_to_order: bool,
    pub lead_time_days: Option<i32>,
    pub refunded_quantity: i32,
    pub refunded_fen: i64,
    /// The variant sold, its SKU and label as they were (none for a product without variants).
    pub variant_id: Option<i64>,
    pub sku: Option<String>,
    pub variant_zh: Option<String>,
    pub variant_en: Option<String>,
}

/// A maker of a line, with what they agreed may be shown of them.
#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct LineMakerRow {
    pub order_line_id: i64,
    pub worker_id: i64,
    pub role: String,
    pub share_bp: i32,
    pub name_zh: String,
    pub name_latin: String,
    pub consent_name: bool,
}

pub fn order_by_number(conn: &mut DbConn, number: &str) -> QueryResult<Option<OrderRow>> {
    orders::table.filter(orders::number.eq(number)).select(OrderRow::as_select()).first(conn).optional()
}

pub fn order_by_id(conn: &mut DbConn, id: i64) -> QueryResult<OrderRow> {
    orders::table.find(id).select(OrderRow::as_select()).first(conn)
}

pub fn shipments_of(conn: &mut DbConn, order: i64) -> QueryResult<Vec<ShipmentRow>> {
    shipments::table
        .inner_join(workshops::table)
        .filter(shipments::order_id.eq(order))
        .order(shipments::id)
        .select(shipment_columns())
        .load(conn)
}

pub fn shipment(conn: &mut DbConn, id: i64) -> QueryResult<Option<ShipmentRow>> {
    shipments::table
        .inner_join(workshops::table)
        .filter(shipments::id.eq(id))
        .select(shipment_columns())
        .first(conn)
        .optional()
}

#[allow(clippy::type_complexity)]
fn shipment_columns() -> (
    shipments::id,
    shipments::order_id,
    shipments::workshop_id,
    shipments::status,
    shipments::shipping_fen,
    shipments::shipping_refunded_fen,
    shipments::carrier,
    shipments::tracking_number,
    shipments::shipped_at,
    shipments::delivered_at,
    shipments::delivered_by,
    workshops::slug,
    workshops::name_zh,
    workshops::name_en,
) {
    (
        shipments::id,
        shipments::order_id,
        shipments::workshop_id,
        shipments::status,
        shipments::shipping_fen,
        shipments::shipping_refunded_fen,
        shipments::carrier,
        shipments::tracking_number,
        shipments::shipped_at,
        shipments::delivered_at,
        shipments::delivered_by,
        workshops::slug,
        workshops::name_zh,
        workshops::name_en,
    )
}

pub fn lines_of(conn: &mut DbConn, order: i64) -> QueryResult<Vec<LineRow>> {
    order_lines::table
        .filter(order_lines::order_id.eq(order))
        .order(order_lines::id)
        .select(LineRow::as_select())
        .load(conn)
}

pub fn line(conn: &mut DbConn, id: i64) -> QueryResult<Option<LineRow>> {
    order_lines::table.find(id).select(LineRow::as_select()).first(conn).optional()
}

pub fn makers_of_lines(conn: &mut DbConn, lines: &[i64]) -> QueryResult<Vec<LineMakerRow>> {
    order_line_makers::table
        .inner_join(workers::table)
        .filter(order_line_makers::order_line_id.eq_any(lines.to_vec()))
        .order((order_line_makers::order_line_id, order_line_makers::share_bp.desc(), order_line_makers::worker_id))
        .select((
            order_line_makers::order_line_id,
            order_line_makers::worker_id,
            order_line_makers::role,
            order_line_makers::share_bp,
            workers::name_zh,
            workers::name_latin,
            workers::consent_name,
        ))
        .load(conn)
}

/// A buyer's orders, newest first.
pub fn orders_of_user(conn: &mut DbConn, user: i64, offset: i64, limit: i64) -> QueryResult<Vec<OrderRow>> {
    orders::table
        .filter(orders::user_id.eq(user))
        .order(orders::id.desc())
        .offset(offset)
        .limit(limit)
        .select(OrderRow::as_select())
        .load(conn)
}

/// Which parcels a workshop's queue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueFilter {
    /// Waiting on someone: unpaid bank transfers, cash on delivery to accept, and cash on
    /// delivery shipped whose money the workshop confirms.
    ToConfirm,
    /// Paid (or cash on delivery accepted), not shipped.
    ToShip,
    Shipped,
    Delivered,
}

/// A workshop's parcels with their orders, oldest first (the next to pack at the top).
pub fn workshop_queue(
    conn: &mut DbConn,
    workshop: i64,
    filter: QueueFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<(i64, OrderRow)>> {
    let query = shipments::table.inner_join(orders::table).filter(shipments::workshop_id.eq(workshop)).into_boxed();
    let query = match filter {
        QueueFilter::ToConfirm => query.filter(
            orders::status
                .eq_any([OrderStatus::PendingPayment.as_str(), OrderStatus::AwaitingAcceptance.as_str()])
                .or(orders::status.eq(OrderStatus::Accepted.as_str()).and(shipments::status.eq("shipped"))),
        ),
        QueueFilter::ToShip => {
            let shippable: Vec<&str> = OrderStatus::ALL.iter().filter(|s| s.may_ship()).map(|s| s.as_str()).collect();
            query.filter(shipments::status.eq("pending")).filter(orders::status.eq_any(shippable))
        }
        QueueFilter::Shipped => query.filter(shipments::status.eq("shipped")),
        QueueFilter::Delivered => query.filter(shipments::status.eq("delivered")),
    };
    let query = if filter == QueueFilter::Delivered { query.order(orders::id.desc()) } else { query.order(orders::id) };
    query.offset(offset).limit(limit).select((shipments::id, OrderRow::as_select())).load(conn)
}

/// Operators' search: by order number, buyer e-mail or recipient, and status; newest first.
pub fn search_orders(
    conn: &mut DbConn,
    text: Option<&str>,
    status: Option<&str>,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<OrderRow>> {
    let mut query = orders::table.into_boxed();
    if let Some(t) = text {
        let pattern = format!("%{}%", t.replace(['%', '_'], ""));
        query = query.filter(
            orders::number
                .eq(t.to_owned())
                .or(orders::buyer_email.like(pattern.clone()))
                .or(orders::recipient.like(pattern)),
        );
    }
    if let Some(s) = status {
        query = query.filter(orders::status.eq(s.to_owned()));
    }
    query.order(orders::id.desc()).offset(offset).limit(limit).select(OrderRow::as_select()).load(conn)
}

/// The workshops whose parcels an order holds.
pub fn order_workshops(conn: &mut DbConn, order: i64) -> QueryResult<Vec<i64>> {
    shipments::table
        .filter(shipments::order_id.eq(order))
        .order(shipments::workshop_id)
        .select(shipments::workshop_id)
        .load(conn)
}

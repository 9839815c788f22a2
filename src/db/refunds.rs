//! Refunds and return requests, and what a completed refund adds to its line, parcel and order.

use super::schema::{order_lines, orders, refunds, shipments};
use super::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A refund row.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = refunds)]
pub struct RefundRow {
    pub id: i64,
    pub order_id: i64,
    pub order_line_id: Option<i64>,
    pub shipment_id: Option<i64>,
    pub quantity: i32,
    pub amount_fen: i64,
    pub reason: String,
    pub status: String,
    pub provider_ref: Option<String>,
    #[serde(serialize_with = "crate::clock::china_time")]
    pub created_at: NaiveDateTime,
}

/// A new refund or return request.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = refunds)]
pub struct NewRefund {
    pub order_id: i64,
    pub order_line_id: Option<i64>,
    pub shipment_id: Option<i64>,
    pub quantity: i32,
    pub amount_fen: i64,
    pub reason: String,
    pub status: String,
    pub requested_by: Option<i64>,
    pub decided_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert_refund(conn: &mut DbConn, refund: &NewRefund) -> QueryResult<i64> {
    diesel::insert_into(refunds::table).values(refund).returning(refunds::id).get_result(conn)
}

pub fn refund(conn: &mut DbConn, id: i64) -> QueryResult<Option<RefundRow>> {
    refunds::table.find(id).select(RefundRow::as_select()).first(conn).optional()
}

pub fn refunds_of(conn: &mut DbConn, order: i64) -> QueryResult<Vec<RefundRow>> {
    refunds::table.filter(refunds::order_id.eq(order)).order(refunds::id).select(RefundRow::as_select()).load(conn)
}

/// Moves a refund from `from` to `to`; false when it was not in `from`.
pub fn move_refund(
    conn: &mut DbConn,
    id: i64,
    from: &str,
    to: &str,
    decided_by: Option<i64>,
    provider_ref: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let target = refunds::table.filter(refunds::id.eq(id)).filter(refunds::status.eq(from));
    let n = match (decided_by, provider_ref) {
        (Some(by), _) => diesel::update(target)
            .set((refunds::status.eq(to), refunds::decided_by.eq(Some(by)), refunds::updated_at.eq(now)))
            .execute(conn)?,
        (None, Some(r)) => diesel::update(target)
            .set((refunds::status.eq(to), refunds::provider_ref.eq(Some(r)), refunds::updated_at.eq(now)))
            .execute(conn)?,
        (None, None) => {
            diesel::update(target).set((refunds::status.eq(to), refunds::updated_at.eq(now))).execute(conn)?
        }
    };
    Ok(n == 1)
}

/// Adds a succeeded refund to its line (or parcel) and its order's totals.
pub fn apply_refund(conn: &mut DbConn, r: &RefundRow, now: NaiveDateTime) -> QueryResult<()> {
    if let Some(line) = r.order_line_id {
        diesel::update(order_lines::table.find(line))
            .set((
                order_lines::refunded_fen.eq(order_lines::refunded_fen + r.amount_fen),
                order_lines::refunded_quantity.eq(order_lines::refunded_quantity + r.quantity),
            ))
            .execute(conn)?;
    }
    if let Some(shipment) = r.shipment_id {
        diesel::update(shipments::table.find(shipment))
            .set(shipments::shipping_refunded_fen.eq(shipments::shipping_refunded_fen + r.amount_fen))
            .execute(conn)?;
    }
    diesel::update(orders::table.find(r.order_id))
        .set((orders::refunded_fen.eq(orders::refunded_fen + r.amount_fen), orders::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// The sum of a line's refunds that are approved or done (what may no longer be refunded).
pub fn committed_refunds_of_line(conn: &mut DbConn, line: i64) -> QueryResult<(i64, i64)> {
    let rows: Vec<(i64, i32)> = refunds::table
        .filter(refunds::order_line_id.eq(line))
        .filter(refunds::status.eq_any(["pending", "succeeded", "requested"]))
        .select((refunds::amount_fen, refunds::quantity))
        .load(conn)?;
    Ok(rows.iter().fold((0, 0), |(a, q), (amount, qty)| (a + amount, q + i64::from(*qty))))
}

/// The sum of a parcel's shipping refunds that are approved or done.
pub fn committed_refunds_of_shipping(conn: &mut DbConn, shipment: i64) -> QueryResult<i64> {
    let rows: Vec<i64> = refunds::table
        .filter(refunds::shipment_id.eq(shipment))
        .filter(refunds::status.eq_any(["pending", "succeeded"]))
        .select(refunds::amount_fen)
        .load(conn)?;
    Ok(rows.iter().sum())
}

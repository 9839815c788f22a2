//! Orders in the database: what checkout reads and writes (the conditional stock update, the
//! order with its frozen lines, makers and parcels) and status changes that only apply from the
//! expected status. Payments and webhook events are in [`super::payments`], refunds in
//! [`super::refunds`], reads for pages in [`super::order_views`].
//!
//! **Lock order.** Every write transaction that changes an order takes its locks in one
//! order, so that two of them never wait on each other in a circle (PostgreSQL would answer
//! one with "deadlock detected"; `db::tx` retries it, but it should not happen):
//! 1. the order row ([`lock_order`]), before anything of the order is read for a decision;
//! 2. its lines, parcels and refunds;
//! 3. stock, product by product in id order, and payments;
//! 4. the journal and its roll-up rows, in key order (`payouts::ledger`);
//! 5. the journal's chain head, then the audit log's (`payouts::seal`, `db::audit`): an audit
//!    entry is appended after any posting in the same transaction.

use super::schema::{order_line_makers, order_lines, orders, product_makers, products, shipments, workshops};
use super::DbConn;
use crate::domain::order::{CancelReason, OrderStatus, PaymentMethod};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// Locks an order's row for the rest of the transaction (step 1 of the lock order above) and
/// reads it afresh. SQLite's writer holds the database lock already.
pub fn lock_order(conn: &mut DbConn, id: i64) -> QueryResult<super::order_views::OrderRow> {
    if let DbConn::Postgresql(pg) = conn {
        diesel::sql_query("SELECT id FROM orders WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::BigInt, _>(id)
            .execute(pg)?;
    }
    super::order_views::order_by_id(conn, id)
}

/// A product as checkout needs it: price, stock and everything a line freezes.
#[derive(Debug, Clone, Queryable)]
pub struct SaleProduct {
    pub id: i64,
    pub workshop_id: i64,
    pub heritage_item_id: i64,
    pub title_zh: String,
    pub title_en: String,
    pub trace_code: String,
    pub price_fen: i64,
    pub currency: String,
    pub stock: i64,
    pub made_to_order: bool,
    pub lead_time_days: Option<i32>,
    pub wage_rule: String,
    pub wage_bp: Option<i32>,
    pub piece_rate_fen: Option<i64>,
    pub status: String,
    pub county_code: String,
    pub commission_bp: i32,
    pub workshop_status: String,
    pub shipping_flat_fen: i64,
    pub free_shipping_over_fen: Option<i64>,
    pub cert_issued_on: Option<NaiveDate>,
    pub cert_last_confirmed_on: Option<NaiveDate>,
    /// The designer credited with a share of the net, and the share (0 for none).
    pub designer_id: Option<i64>,
    pub designer_bp: i32,
}

/// The products of a checkout, by id.
pub fn sale_products(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<SaleProduct>> {
    products::table
        .inner_join(workshops::table)
        .filter(products::id.eq_any(ids.to_vec()))
        .order(products::id)
        .select((
            products::id,
            products::workshop_id,
            products::heritage_item_id,
            products::title_zh,
            products::title_en,
            products::trace_code,
            products::price_fen,
            products::currency,
            products::stock,
            products::made_to_order,
            products::lead_time_days,
            products::wage_rule,
            products::wage_bp,
            products::piece_rate_fen,
            products::status,
            workshops::county_code,
            workshops::commission_bp,
            workshops::status,
            workshops::shipping_flat_fen,
            workshops::free_shipping_over_fen,
            workshops::cert_issued_on,
            workshops::cert_last_confirmed_on,
            products::designer_id,
            products::designer_bp,
        ))
        .load(conn)
}

/// `(product_id, worker_id, role, share_bp)` of the given products.
pub fn makers_of(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<(i64, i64, String, i32)>> {
    product_makers::table
        .filter(product_makers::product_id.eq_any(ids.to_vec()))
        .order((product_makers::product_id, product_makers::worker_id))
        .select((product_makers::product_id, product_makers::worker_id, product_makers::role, product_makers::share_bp))
        .load(conn)
}

/// Takes `quantity` from a product's stock if that much is there and the product is on sale:
/// one conditional `UPDATE`, so concurrent buyers can never take the same piece. Returns
/// whether it did.
pub fn take_stock(conn: &mut DbConn, product: i64, quantity: i64) -> QueryResult<bool> {
    let n = diesel::update(
        products::table
            .filter(products::id.eq(product))
            .filter(products::stock.ge(quantity))
            .filter(products::status.eq("active")),
    )
    .set((products::stock.eq(products::stock - quantity), products::sold_count.eq(products::sold_count + quantity)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Counts a made-to-order sale (no stock to take) if the product is on sale.
pub fn count_made_to_order(conn: &mut DbConn, product: i64, quantity: i64) -> QueryResult<bool> {
    let n = diesel::update(
        products::table
            .filter(products::id.eq(product))
            .filter(products::made_to_order.eq(true))
            .filter(products::status.eq("active")),
    )
    .set(products::sold_count.eq(products::sold_count + quantity))
    .execute(conn)?;
    Ok(n == 1)
}

/// Gives back what a cancelled order took.
pub fn give_back_stock(conn: &mut DbConn, product: i64, quantity: i64, made_to_order: bool) -> QueryResult<usize> {
    let target = products::table.filter(products::id.eq(product));
    if made_to_order {
        diesel::update(target).set(products::sold_count.eq(products::sold_count - quantity)).execute(conn)
    } else {
        diesel::update(target)
            .set((
                products::stock.eq(products::stock + quantity),
                products::sold_count.eq(products::sold_count - quantity),
            ))
            .execute(conn)
    }
}

/// The order a user's idempotency key made, with the digest of the request that made it.
pub fn by_idempotency_key(conn: &mut DbConn, user: i64, key: &str) -> QueryResult<Option<(String, String)>> {
    orders::table
        .filter(orders::user_id.eq(user))
        .filter(orders::idempotency_key.eq(key))
        .select((orders::number, orders::request_digest))
        .first(conn)
        .optional()
}

/// A new order row.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = orders)]
pub struct NewOrder {
    pub number: String,
    pub user_id: i64,
    pub idempotency_key: String,
    pub request_digest: String,
    pub status: String,
    pub payment_method: String,
    pub currency: String,
    pub items_fen: i64,
    pub shipping_fen: i64,
    pub total_fen: i64,
    pub buyer_email: String,
    pub lang: String,
    pub recipient: String,
    pub phone: String,
    pub country: String,
    pub region_code: Option<String>,
    pub region_text: String,
    pub address_line: String,
    pub postal_code: String,
    pub reserved_until: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert_order(conn: &mut DbConn, order: &NewOrder) -> QueryResult<i64> {
    diesel::insert_into(orders::table).values(order).returning(orders::id).get_result(conn)
}

pub fn insert_shipment(conn: &mut DbConn, order: i64, workshop: i64, shipping_fen: i64) -> QueryResult<i64> {
    diesel::insert_into(shipments::table)
        .values((
            shipments::order_id.eq(order),
            shipments::workshop_id.eq(workshop),
            shipments::status.eq("pending"),
            shipments::shipping_fen.eq(shipping_fen),
        ))
        .returning(shipments::id)
        .get_result(conn)
}

/// A new order line: the product as it was sold.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = order_lines)]
pub struct NewLine {
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
    /// The variant sold, with its SKU and label as they were (`None` for a product without
    /// variants).
    pub variant_id: Option<i64>,
    pub sku: Option<String>,
    pub variant_zh: Option<String>,
    pub variant_en: Option<String>,
    /// The designer's share frozen with the other terms (0 bp for none).
    pub designer_id: Option<i64>,
    pub designer_bp: i32,
}

pub fn insert_line(conn: &mut DbConn, line: &NewLine) -> QueryResult<i64> {
    diesel::insert_into(order_lines::table).values(line).returning(order_lines::id).get_result(conn)
}

pub fn insert_line_maker(conn: &mut DbConn, line: i64, worker: i64, role: &str, share_bp: i32) -> QueryResult<usize> {
    diesel::insert_into(order_line_makers::table)
        .values((
            order_line_makers::order_line_id.eq(line),
            order_line_makers::worker_id.eq(worker),
            order_line_makers::role.eq(role),
            order_line_makers::share_bp.eq(share_bp),
        ))
        .execute(conn)
}

/// Moves an order from `from` to `to`; returns false when it was not in `from` (someone else
/// moved it first), so that a move happens once however many requests race for it.
pub fn move_order(conn: &mut DbConn, id: i64, from: &str, to: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let target = orders::table.filter(orders::id.eq(id)).filter(orders::status.eq(from));
    let n = match to {
        "paid" => diesel::update(target)
            .set((orders::status.eq(to), orders::paid_at.eq(Some(now)), orders::updated_at.eq(now)))
            .execute(conn)?,
        "accepted" => diesel::update(target)
            .set((orders::status.eq(to), orders::accepted_at.eq(Some(now)), orders::updated_at.eq(now)))
            .execute(conn)?,
        _ => diesel::update(target).set((orders::status.eq(to), orders::updated_at.eq(now))).execute(conn)?,
    };
    Ok(n == 1)
}

/// Cancels an unpaid order with its reason; false when it was no longer unpaid.
pub fn cancel_order(conn: &mut DbConn, id: i64, reason: CancelReason, now: NaiveDateTime) -> QueryResult<bool> {
    let open: Vec<&str> = OrderStatus::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect();
    let n = diesel::update(orders::table.filter(orders::id.eq(id)).filter(orders::status.eq_any(open)))
        .set((
            orders::status.eq("cancelled"),
            orders::cancelled_at.eq(Some(now)),
            orders::cancel_reason.eq(Some(reason.as_str())),
            orders::updated_at.eq(now),
        ))
        .execute(conn)?;
    if n == 1 {
        diesel::update(shipments::table.filter(shipments::order_id.eq(id)))
            .set(shipments::status.eq("cancelled"))
            .execute(conn)?;
    }
    Ok(n == 1)
}

/// What a line took from stock, to give it back.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = order_lines)]
pub struct LineQuantity {
    pub product_id: i64,
    pub variant_id: Option<i64>,
    pub quantity: i32,
    pub made_to_order: bool,
}

/// What an order's lines took from stock, by product then variant (the lock order of
/// checkout).
pub fn line_quantities(conn: &mut DbConn, order: i64) -> QueryResult<Vec<LineQuantity>> {
    order_lines::table
        .filter(order_lines::order_id.eq(order))
        .order((order_lines::product_id, order_lines::variant_id))
        .select(LineQuantity::as_select())
        .load(conn)
}

/// Marks a parcel shipped, if it was pending.
pub fn ship(conn: &mut DbConn, shipment: i64, carrier: &str, tracking: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(shipments::table.filter(shipments::id.eq(shipment)).filter(shipments::status.eq("pending")))
        .set((
            shipments::status.eq("shipped"),
            shipments::carrier.eq(Some(carrier)),
            shipments::tracking_number.eq(Some(tracking)),
            shipments::shipped_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Marks a parcel delivered, if it was shipped.
pub fn deliver(conn: &mut DbConn, shipment: i64, by: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(shipments::table.filter(shipments::id.eq(shipment)).filter(shipments::status.eq("shipped")))
        .set((
            shipments::status.eq("delivered"),
            shipments::delivered_at.eq(Some(now)),
            shipments::delivered_by.eq(Some(by)),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Unpaid orders whose reservation ran out by `now`.
pub fn expired(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<i64>> {
    use super::schema::payments;
    // An order with a Stripe PaymentIntent is asked about at Stripe first
    // (`Orders::settle_expired_intents`), never cancelled blind.
    let has_intent = payments::table.filter(payments::order_id.eq(orders::id)).filter(payments::provider.eq("stripe"));
    // An accepted cash-on-delivery order is on its way to the buyer: it no longer expires.
    let holding = [OrderStatus::PendingPayment.as_str(), OrderStatus::AwaitingAcceptance.as_str()];
    orders::table
        .filter(orders::status.eq_any(holding))
        .filter(orders::reserved_until.le(now))
        .filter(diesel::dsl::not(diesel::dsl::exists(has_intent)))
        .order(orders::id)
        .limit(limit)
        .select(orders::id)
        .load(conn)
}

/// Bank-transfer orders still unpaid whose hold runs out before `by` (and has not yet), whose
/// buyer has not been reminded.
pub fn due_for_reminder(conn: &mut DbConn, now: NaiveDateTime, by: NaiveDateTime, limit: i64) -> QueryResult<Vec<i64>> {
    orders::table
        .filter(orders::status.eq(OrderStatus::PendingPayment.as_str()))
        .filter(orders::payment_method.eq(PaymentMethod::BankTransfer.as_str()))
        .filter(orders::reminded_at.is_null())
        .filter(orders::reserved_until.gt(now))
        .filter(orders::reserved_until.le(by))
        .order(orders::id)
        .limit(limit)
        .select(orders::id)
        .load(conn)
}

/// Claims an order's one reminder: false when it was sent already (by this node or another)
/// or the order has moved on.
pub fn claim_reminder(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        orders::table
            .filter(orders::id.eq(id))
            .filter(orders::status.eq(OrderStatus::PendingPayment.as_str()))
            .filter(orders::reminded_at.is_null()),
    )
    .set(orders::reminded_at.eq(Some(now)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Parcels shipped before `before` that nobody has confirmed. A cash-on-delivery parcel not
/// yet paid is left alone: its workshop confirms delivery with the money.
pub fn due_for_auto_delivery(conn: &mut DbConn, before: NaiveDateTime, limit: i64) -> QueryResult<Vec<i64>> {
    let unpaid = orders::table
        .filter(orders::id.eq(shipments::order_id))
        .filter(orders::status.eq(OrderStatus::Accepted.as_str()));
    shipments::table
        .filter(diesel::dsl::not(diesel::dsl::exists(unpaid)))
        .filter(shipments::status.eq("shipped"))
        .filter(shipments::shipped_at.lt(before))
        .order(shipments::id)
        .limit(limit)
        .select(shipments::id)
        .load(conn)
}

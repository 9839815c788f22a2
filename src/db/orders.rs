//! Orders in the database: what checkout reads and writes (the conditional stock update, the
//! order with its frozen lines, makers and parcels), status changes that only apply from the
//! expected status, payments, refunds and processed webhook events. Reads for pages are in
//! [`super::order_views`].

use super::schema::{
    order_line_makers, order_lines, orders, payments, product_makers, products, refunds, shipments, webhook_events,
    workshops,
};
use super::DbConn;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

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
        _ => diesel::update(target).set((orders::status.eq(to), orders::updated_at.eq(now))).execute(conn)?,
    };
    Ok(n == 1)
}

/// Cancels an unpaid order with its reason; false when it was no longer unpaid.
pub fn cancel_order(conn: &mut DbConn, id: i64, reason: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(orders::table.filter(orders::id.eq(id)).filter(orders::status.eq("pending_payment")))
        .set((
            orders::status.eq("cancelled"),
            orders::cancelled_at.eq(Some(now)),
            orders::cancel_reason.eq(Some(reason)),
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

/// `(product_id, quantity, made_to_order)` of an order's lines, to give stock back.
pub fn line_quantities(conn: &mut DbConn, order: i64) -> QueryResult<Vec<(i64, i32, bool)>> {
    order_lines::table
        .filter(order_lines::order_id.eq(order))
        .order(order_lines::product_id)
        .select((order_lines::product_id, order_lines::quantity, order_lines::made_to_order))
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
    orders::table
        .filter(orders::status.eq("pending_payment"))
        .filter(orders::reserved_until.le(now))
        .order(orders::id)
        .limit(limit)
        .select(orders::id)
        .load(conn)
}

/// Parcels shipped before `before` that nobody has confirmed.
pub fn due_for_auto_delivery(conn: &mut DbConn, before: NaiveDateTime, limit: i64) -> QueryResult<Vec<i64>> {
    shipments::table
        .filter(shipments::status.eq("shipped"))
        .filter(shipments::shipped_at.lt(before))
        .order(shipments::id)
        .limit(limit)
        .select(shipments::id)
        .load(conn)
}

// ---- payments ----

/// A payment row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = payments)]
pub struct PaymentRow {
    pub id: i64,
    pub order_id: i64,
    pub provider: String,
    pub provider_ref: String,
    pub amount_fen: i64,
    pub currency: String,
    pub status: String,
}

pub fn payment_of(conn: &mut DbConn, order: i64) -> QueryResult<Option<PaymentRow>> {
    payments::table.filter(payments::order_id.eq(order)).select(PaymentRow::as_select()).first(conn).optional()
}

pub fn payment_by_ref(conn: &mut DbConn, provider: &str, reference: &str) -> QueryResult<Option<PaymentRow>> {
    payments::table
        .filter(payments::provider.eq(provider))
        .filter(payments::provider_ref.eq(reference))
        .select(PaymentRow::as_select())
        .first(conn)
        .optional()
}

/// A new payment row.
#[derive(Debug, Clone)]
pub struct NewPayment<'a> {
    pub order_id: i64,
    pub provider: &'a str,
    pub provider_ref: &'a str,
    pub amount_fen: i64,
    pub currency: &'a str,
    pub status: &'a str,
    pub confirmed_by: Option<i64>,
}

pub fn insert_payment(conn: &mut DbConn, p: &NewPayment<'_>, now: NaiveDateTime) -> QueryResult<i64> {
    diesel::insert_into(payments::table)
        .values((
            payments::order_id.eq(p.order_id),
            payments::provider.eq(p.provider),
            payments::provider_ref.eq(p.provider_ref),
            payments::amount_fen.eq(p.amount_fen),
            payments::currency.eq(p.currency),
            payments::status.eq(p.status),
            payments::confirmed_by.eq(p.confirmed_by),
            payments::created_at.eq(now),
            payments::updated_at.eq(now),
        ))
        .returning(payments::id)
        .get_result(conn)
}

/// Sets a payment's status unless it is one of `unless` (a succeeded payment is never marked
/// failed by a late event). Returns whether it changed.
pub fn set_payment_status(
    conn: &mut DbConn,
    id: i64,
    status: &str,
    unless: &[&str],
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let keep: Vec<String> = unless.iter().map(|s| (*s).to_owned()).collect();
    let n = diesel::update(
        payments::table
            .filter(payments::id.eq(id))
            .filter(payments::status.ne(status))
            .filter(payments::status.ne_all(keep)),
    )
    .set((payments::status.eq(status), payments::updated_at.eq(now)))
    .execute(conn)?;
    Ok(n == 1)
}

// ---- refunds ----

/// A refund row.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
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

// ---- webhooks ----

/// Records a webhook event by its id; false when it was recorded before (a duplicate).
/// Runs in a savepoint, so that on PostgreSQL the unique violation does not spoil the
/// transaction around it.
pub fn record_event(
    conn: &mut DbConn,
    id: &str,
    provider: &str,
    kind: &str,
    object_ref: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let inserted = conn.transaction(|c| {
        diesel::insert_into(webhook_events::table)
            .values((
                webhook_events::event_id.eq(id),
                webhook_events::provider.eq(provider),
                webhook_events::kind.eq(kind),
                webhook_events::object_ref.eq(object_ref),
                webhook_events::received_at.eq(now),
            ))
            .execute(c)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Events recorded for an object (a PaymentIntent), for tests and support.
pub fn events_for(conn: &mut DbConn, object_ref: &str) -> QueryResult<i64> {
    webhook_events::table.filter(webhook_events::object_ref.eq(object_ref)).count().get_result(conn)
}

//! Payments (one per order: a Stripe PaymentIntent or an offline receipt) and the webhook
//! events already processed.

use super::schema::{payments, webhook_events};
use super::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

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
    let inserted = crate::db::tx::savepoint(conn, |c| {
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

/// Unpaid orders whose reservation has run out and that have a Stripe PaymentIntent:
/// `(order, intent)`. Stripe is asked about each before it is cancelled.
pub fn expired_with_intent(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<(i64, String)>> {
    use super::schema::orders;
    payments::table
        .inner_join(orders::table)
        .filter(orders::status.eq("pending_payment"))
        .filter(orders::reserved_until.le(now))
        .filter(payments::provider.eq("stripe"))
        .order(orders::id)
        .limit(limit)
        .select((orders::id, payments::provider_ref))
        .load(conn)
}

/// A Stripe payment as the reconciliation compares it.
#[derive(Debug, Clone, Queryable)]
pub struct StripePaymentRow {
    pub order_id: i64,
    pub number: String,
    pub order_status: String,
    pub payment_status: String,
    pub intent: String,
    pub amount_fen: i64,
}

/// The Stripe payments of orders placed since `since`, oldest first.
pub fn stripe_payments_since(conn: &mut DbConn, since: NaiveDateTime) -> QueryResult<Vec<StripePaymentRow>> {
    use super::schema::orders;
    payments::table
        .inner_join(orders::table)
        .filter(payments::provider.eq("stripe"))
        .filter(orders::created_at.ge(since))
        .order(orders::id)
        .select((
            orders::id,
            orders::number,
            orders::status,
            payments::status,
            payments::provider_ref,
            payments::amount_fen,
        ))
        .load(conn)
}

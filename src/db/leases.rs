//! Named leases, so that one app node at a time runs a sweep or a scheduled job when several
//! share one database. A lease is a row: its holder and when it runs out. Taking it is one
//! conditional update (or the first insert), in its own write transaction, so two nodes never
//! both hold it; a holder that dies simply lets it run out.

use super::schema::leases;
use super::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The order worker's round: expiry, reminders, automatic delivery, refunds, purges.
pub const ORDER_SWEEP: &str = "orders.sweep";
/// A payout run (`payouts run`, or the operator's button).
pub const PAYOUT_RUN: &str = "payouts.run";

/// Takes (or renews) the lease `name` for `holder` until `now + ttl`; false when another
/// holder has it and it has not run out. Call it in its own write transaction.
pub fn take(
    conn: &mut DbConn,
    name: &str,
    holder: &str,
    now: NaiveDateTime,
    ttl: chrono::TimeDelta,
) -> QueryResult<bool> {
    let until = now + ttl;
    let renewed = diesel::update(
        leases::table.filter(leases::name.eq(name)).filter(leases::expires_at.le(now).or(leases::holder.eq(holder))),
    )
    .set((leases::holder.eq(holder), leases::expires_at.eq(until)))
    .execute(conn)?;
    if renewed == 1 {
        return Ok(true);
    }
    // No row yet, or another holder's live one. The insert meets a unique name in the second
    // case (or when another node inserted first); the savepoint keeps the transaction usable.
    super::tx::insert_if_absent(conn, |c| {
        diesel::insert_into(leases::table)
            .values((leases::name.eq(name), leases::holder.eq(holder), leases::expires_at.eq(until)))
            .execute(c)
    })
}

/// Gives the lease back, if `holder` has it, so another node need not wait for it to run out.
pub fn release(conn: &mut DbConn, name: &str, holder: &str) -> QueryResult<usize> {
    diesel::delete(leases::table.filter(leases::name.eq(name)).filter(leases::holder.eq(holder))).execute(conn)
}

/// Who holds the lease now, if anyone.
pub fn holder(conn: &mut DbConn, name: &str, now: NaiveDateTime) -> QueryResult<Option<String>> {
    leases::table
        .filter(leases::name.eq(name))
        .filter(leases::expires_at.gt(now))
        .select(leases::holder)
        .first(conn)
        .optional()
}

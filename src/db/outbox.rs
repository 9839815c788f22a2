//! The outbox: side effects recorded in the same transaction as the change that causes them,
//! and delivered afterwards by the background worker. Search updates are written by database
//! triggers (see the `search` migration), so no change can forget them. A delivered row is
//! marked done and purged a day later; a failed one waits for its next attempt.
//!
//! Several app nodes share one database, so a row is [`claim`]ed before it is delivered: the
//! claim holds it for one node for a [`LEASE`], and a node that dies mid-delivery gives it
//! back when the lease runs out (a redelivered e-mail keeps its Message-ID).

use super::schema::outbox;
use super::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Products whose search document may have changed; the key is the product id.
pub const SEARCH_TOPIC: &str = "search.product";

/// A row waiting for delivery.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub topic: String,
    pub item_key: String,
    pub attempts: i32,
}

/// How long a claimed row stays with the node that claimed it. Every delivery has a timeout
/// (SMTP 10 s, Stripe's client its own) and batches are small, so a live node finishes well
/// within it; a node that died gives its rows back when it runs out.
pub const LEASE: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// The due rows of a topic, oldest first (a query, so each backend can add its locking).
macro_rules! due_ids {
    ($topic:expr, $now:expr, $limit:expr) => {
        outbox::table
            .filter(outbox::topic.eq($topic))
            .filter(outbox::done_at.is_null())
            .filter(outbox::available_at.le($now))
            .order(outbox::id)
            .limit($limit)
            .select(outbox::id)
    };
}

/// Claims up to `limit` rows of a topic that are due at `now`, oldest first, for the node
/// `node`: each is held back until `now + lease`, so no other node delivers it meanwhile.
/// Call it in its own write transaction; on PostgreSQL the rows another node is claiming at
/// the same moment are skipped, not waited for.
pub fn claim(
    conn: &mut DbConn,
    topic: &str,
    node: &str,
    now: NaiveDateTime,
    lease: chrono::TimeDelta,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    let ids: Vec<i64> = match conn {
        DbConn::Postgresql(c) => due_ids!(topic, now, limit).for_update().skip_locked().load(c)?,
        // SQLite's write transaction (BEGIN IMMEDIATE) already excludes every other writer.
        DbConn::Sqlite(c) => due_ids!(topic, now, limit).load(c)?,
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
        .set((outbox::available_at.eq(now + lease), outbox::claimed_by.eq(node)))
        .execute(conn)?;
    outbox::table.filter(outbox::id.eq_any(&ids)).order(outbox::id).select(OutboxRow::as_select()).load(conn)
}

/// Records a side effect to deliver (call inside the transaction of the change).
pub fn insert(conn: &mut DbConn, topic: &str, item_key: &str) -> QueryResult<usize> {
    let now = super::now();
    diesel::insert_into(outbox::table)
        .values((
            outbox::topic.eq(topic),
            outbox::item_key.eq(item_key),
            outbox::available_at.eq(now),
            outbox::created_at.eq(now),
        ))
        .execute(conn)
}

/// Marks rows delivered.
pub fn mark_done(conn: &mut DbConn, ids: &[i64], now: NaiveDateTime) -> QueryResult<usize> {
    // A row already done keeps its time: nodes following the search log mark what the first
    // of them applied, and the purge counts from then.
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids.to_vec())).filter(outbox::done_at.is_null()))
        .set(outbox::done_at.eq(Some(now)))
        .execute(conn)
}

/// Counts a failed attempt and holds the rows back until `next`.
pub fn retry_later(conn: &mut DbConn, ids: &[i64], next: NaiveDateTime, error: &str) -> QueryResult<usize> {
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids.to_vec())))
        .set((
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::available_at.eq(next),
            outbox::last_error.eq(error),
            outbox::claimed_by.eq(None::<String>),
        ))
        .execute(conn)
}

/// Gives claimed rows back, due again at `at`, without counting an attempt (the rest of a
/// batch whose delivery stopped at a failure).
pub fn unclaim(conn: &mut DbConn, ids: &[i64], at: NaiveDateTime) -> QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids.to_vec())).filter(outbox::done_at.is_null()))
        .set((outbox::available_at.eq(at), outbox::claimed_by.eq(None::<String>)))
        .execute(conn)
}

/// What waits per topic: undelivered rows, and when the oldest was recorded.
pub fn backlog(conn: &mut DbConn) -> QueryResult<Vec<(String, i64, Option<NaiveDateTime>)>> {
    outbox::table
        .filter(outbox::done_at.is_null())
        .group_by(outbox::topic)
        .select((outbox::topic, diesel::dsl::count_star(), diesel::dsl::min(outbox::created_at)))
        .load(conn)
}

/// Rows not yet delivered.
pub fn pending(conn: &mut DbConn, topic: &str) -> QueryResult<i64> {
    outbox::table.filter(outbox::topic.eq(topic)).filter(outbox::done_at.is_null()).count().get_result(conn)
}

/// Rows not yet delivered, and when the oldest was made.
pub fn pending_since(conn: &mut DbConn, topic: &str) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    outbox::table
        .filter(outbox::topic.eq(topic))
        .filter(outbox::done_at.is_null())
        .select((diesel::dsl::count_star(), diesel::dsl::min(outbox::created_at)))
        .first(conn)
}

/// The newest row id of a topic (0 when there is none).
pub fn last_id(conn: &mut DbConn, topic: &str) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::topic.eq(topic))
        .select(diesel::dsl::max(outbox::id))
        .first::<Option<i64>>(conn)
        .map(Option::unwrap_or_default)
}

/// Queues every product for the search index (after an index was created empty).
pub fn queue_all_products(conn: &mut DbConn) -> QueryResult<usize> {
    diesel::sql_query(format!(
        "INSERT INTO outbox (topic, item_key) SELECT '{SEARCH_TOPIC}', CAST(id AS TEXT) FROM products"
    ))
    .execute(conn)
}

/// Queues again every search change recorded after row `after`, delivered or not: a
/// rebuild read the catalogue from that point on, so those changes may be missing from it.
pub fn replay_search_after(conn: &mut DbConn, after: i64) -> QueryResult<usize> {
    diesel::sql_query(format!(
        "INSERT INTO outbox (topic, item_key) SELECT topic, item_key FROM outbox \
         WHERE topic = '{SEARCH_TOPIC}' AND id > {after}"
    ))
    .execute(conn)
}

/// Settles undelivered rows up to `through`: a rebuild that read the catalogue after them
/// already holds what they would deliver.
pub fn settle_through(conn: &mut DbConn, topic: &str, through: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        outbox::table.filter(outbox::topic.eq(topic)).filter(outbox::id.le(through)).filter(outbox::done_at.is_null()),
    )
    .set(outbox::done_at.eq(Some(now)))
    .execute(conn)
}

/// Deletes delivered rows older than `before`.
pub fn purge_done(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(outbox::table.filter(outbox::done_at.lt(before))).execute(conn)
}

//! The search changes in the outbox read as a log, in commit order. A node that keeps its own
//! index (the embedded engine) follows the log from its own position, so every node applies
//! every change; Meilisearch, shared by all nodes, is fed by claims instead ([`super::outbox`]).
//!
//! Row ids are handed out before commit. On PostgreSQL a row with a smaller id can therefore
//! become visible after one with a larger id, and a reader keeping an id cursor would skip it
//! for good. Each row records its transaction's id (`txid`), and a reader takes only rows of
//! transactions older than every transaction still running (the snapshot's xmin): nothing can
//! then appear behind its position. SQLite has one writer at a time, so ids become visible in
//! order and `txid` is always 0.

use super::outbox::SEARCH_TOPIC;
use super::schema::outbox;
use super::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A place in the log: every change at or before it has been read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LogPosition {
    pub txid: i64,
    pub id: i64,
}

impl LogPosition {
    /// Before the first change.
    pub const START: LogPosition = LogPosition { txid: i64::MIN, id: i64::MIN };
}

#[derive(QueryableByName)]
struct Horizon {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    xmin: i64,
}

/// The oldest transaction still running (PostgreSQL); rows of older ones are all visible.
fn horizon(conn: &mut DbConn) -> QueryResult<Option<i64>> {
    match conn {
        DbConn::Postgresql(c) => {
            let h: Horizon = diesel::sql_query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin")
                .get_result(c)?;
            Ok(Some(h.xmin))
        }
        DbConn::Sqlite(_) => Ok(None),
    }
}

/// A position that misses no change committed from now on: a reader that fills its index from
/// the catalogue after taking it, then follows the log from it, ends up with everything.
pub fn head(conn: &mut DbConn) -> QueryResult<LogPosition> {
    match horizon(conn)? {
        // Every transaction before xmin is finished, so the catalogue read next holds its
        // changes; later ones are read again from the log (applying twice is harmless).
        Some(xmin) => Ok(LogPosition { txid: xmin.saturating_sub(1), id: i64::MAX }),
        None => {
            let last: Option<i64> = outbox::table
                .filter(outbox::topic.eq(SEARCH_TOPIC))
                .select(diesel::dsl::max(outbox::id))
                .first(conn)?;
            Ok(LogPosition { txid: 0, id: last.unwrap_or(0) })
        }
    }
}

/// Up to `limit` changes after `after`, in log order, each with its position and the product
/// it names; only changes whose transactions are finished.
pub fn read_after(conn: &mut DbConn, after: LogPosition, limit: i64) -> QueryResult<Vec<(LogPosition, String)>> {
    let horizon = horizon(conn)?.unwrap_or(i64::MAX);
    let rows: Vec<(i64, i64, String)> = outbox::table
        .filter(outbox::topic.eq(SEARCH_TOPIC))
        .filter(outbox::txid.gt(after.txid).or(outbox::txid.eq(after.txid).and(outbox::id.gt(after.id))))
        .filter(outbox::txid.lt(horizon))
        .order((outbox::txid, outbox::id))
        .limit(limit)
        .select((outbox::txid, outbox::id, outbox::item_key))
        .load(conn)?;
    Ok(rows.into_iter().map(|(txid, id, key)| (LogPosition { txid, id }, key)).collect())
}

/// How many changes lie after `after` (finished or not), and when the oldest was made: what a
/// node following the log has still to apply.
pub fn behind(conn: &mut DbConn, after: LogPosition) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    outbox::table
        .filter(outbox::topic.eq(SEARCH_TOPIC))
        .filter(outbox::txid.gt(after.txid).or(outbox::txid.eq(after.txid).and(outbox::id.gt(after.id))))
        .select((diesel::dsl::count_star(), diesel::dsl::min(outbox::created_at)))
        .first(conn)
}

//! The tables behind the sealed journal (see `payouts::seal`): the chain heads, and the
//! entries' positions and hashes.

use super::ledger::{EntryRow, LineTermsRow};
use super::schema::{chain_heads, journal_entries, order_lines};
use super::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The journal's chain, by its name in `chain_heads`.
pub const JOURNAL: &str = "journal";

/// Locks a chain's head for this transaction (an UPDATE locks the row on PostgreSQL; SQLite's
/// writer already holds its lock) and reads it: `(last position, last hash)`.
pub fn lock_head(conn: &mut DbConn, chain: &str) -> QueryResult<(i64, String)> {
    diesel::update(chain_heads::table.find(chain)).set(chain_heads::seq.eq(chain_heads::seq)).execute(conn)?;
    chain_heads::table.find(chain).select((chain_heads::seq, chain_heads::hash)).first(conn)
}

/// Moves a chain's head (inside the transaction that locked it).
pub fn set_head(conn: &mut DbConn, chain: &str, seq: i64, hash: &str) -> QueryResult<usize> {
    diesel::update(chain_heads::table.find(chain))
        .set((chain_heads::seq.eq(seq), chain_heads::hash.eq(hash)))
        .execute(conn)
}

/// Journal entries not sealed yet, oldest first.
pub fn unsealed(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<EntryRow>> {
    journal_entries::table
        .filter(journal_entries::chain_seq.is_null())
        .order(journal_entries::id)
        .limit(limit)
        .select(EntryRow::as_select())
        .load(conn)
}

/// Seals one entry at its chain position.
pub fn seal(conn: &mut DbConn, entry: i64, seq: i64, prev_hash: &str, hash: &str) -> QueryResult<usize> {
    diesel::update(journal_entries::table.find(entry))
        .set((
            journal_entries::chain_seq.eq(Some(seq)),
            journal_entries::prev_hash.eq(Some(prev_hash)),
            journal_entries::hash.eq(Some(hash)),
        ))
        .execute(conn)
}

/// A sealed entry as `audit verify` reads it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = journal_entries)]
pub struct SealedRow {
    #[diesel(embed)]
    pub entry: EntryRow,
    pub chain_seq: Option<i64>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

/// Sealed entries after a chain position, in chain order.
pub fn sealed_after(conn: &mut DbConn, after: i64, limit: i64) -> QueryResult<Vec<SealedRow>> {
    journal_entries::table
        .filter(journal_entries::chain_seq.gt(after))
        .order(journal_entries::chain_seq)
        .limit(limit)
        .select(SealedRow::as_select())
        .load(conn)
}

/// How many entries are not sealed.
pub fn unsealed_count(conn: &mut DbConn) -> QueryResult<i64> {
    journal_entries::table.filter(journal_entries::chain_seq.is_null()).count().get_result(conn)
}

/// The frozen terms of some lines.
pub fn terms_of_lines(conn: &mut DbConn, lines: &[i64]) -> QueryResult<Vec<LineTermsRow>> {
    let mut out = Vec::with_capacity(lines.len());
    for chunk in lines.chunks(2_000) {
        out.extend(
            order_lines::table.filter(order_lines::id.eq_any(chunk)).select(LineTermsRow::as_select()).load(conn)?,
        );
    }
    Ok(out)
}

/// The time an entry's hash covers: microseconds, which both backends keep.
pub fn hashed_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// A chain's head without locking it: `(last position, last hash)`.
pub fn head(conn: &mut DbConn, chain: &str) -> QueryResult<(i64, String)> {
    chain_heads::table.find(chain).select((chain_heads::seq, chain_heads::hash)).first(conn)
}

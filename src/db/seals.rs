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

/// A chain position and hashes of one entry, as [`seal_many`] writes them.
#[derive(Debug, Clone)]
pub struct Seal {
    pub entry: i64,
    pub seq: i64,
    /// Hex, as [`crate::payouts::seal`] makes it.
    pub prev_hash: String,
    pub hash: String,
}

/// Seals many entries in one statement (one UPDATE per entry was most of posting's cost).
/// The hashes are hex digits the seal computed, never input, so they are written as literals.
pub fn seal_many(conn: &mut DbConn, seals: &[Seal]) -> QueryResult<usize> {
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(bad) = seals.iter().find(|s| !hex(&s.prev_hash) || !hex(&s.hash)) {
        return Err(diesel::result::Error::QueryBuilderError(
            format!("entry {}: a seal's hashes must be hex digits", bad.entry).into(),
        ));
    }
    let mut n = 0;
    for chunk in seals.chunks(500) {
        let values = chunk
            .iter()
            .map(|s| format!("({}, {}, '{}', '{}')", s.entry, s.seq, s.prev_hash, s.hash))
            .collect::<Vec<_>>()
            .join(", ");
        n += diesel::sql_query(format!(
            "WITH v (id, seq, prev, hash) AS (VALUES {values}) UPDATE journal_entries \
             SET chain_seq = v.seq, prev_hash = v.prev, hash = v.hash FROM v WHERE journal_entries.id = v.id"
        ))
        .execute(conn)?;
    }
    Ok(n)
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

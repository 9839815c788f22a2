//! The audit log: an append-only, hash-chained record of sensitive changes and accesses.
//! Each entry's hash covers its own fields and the previous entry's hash, so editing or
//! removing any past row breaks every link after it; [`verify`] finds the first break.
//! Entries say who, when and what changed, never the sensitive values themselves.

use super::schema::audit_log;
use super::DbConn;
use crate::domain::account::UserId;
use chrono::{NaiveDateTime, SubsecRound};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The audit log's row in `chain_heads`.
const AUDIT_CHAIN: &str = "audit";

/// What happened, before it is chained.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub actor: Option<UserId>,
    /// Dotted verb, e.g. `worker.consent` or `user.role`.
    pub action: &'static str,
    /// What it happened to, e.g. `worker:12`.
    pub subject: String,
    /// What changed, as JSON without sensitive values.
    pub detail: serde_json::Value,
}

impl AuditEvent {
    pub fn new(actor: Option<UserId>, action: &'static str, subject: String, detail: serde_json::Value) -> Self {
        AuditEvent { actor, action, subject, detail }
    }
}

/// A stored entry.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub seq: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRow {
    /// The hash this row should carry, from its fields and `prev_hash`.
    pub fn expected_hash(&self) -> String {
        let canonical = format!(
            "{}\n{}\n{}\n{}\n{}\n{}\n{}",
            self.seq,
            self.at.format("%Y-%m-%dT%H:%M:%S%.6f"),
            self.actor_id.map_or_else(String::new, |a| a.to_string()),
            self.action,
            self.subject,
            self.detail,
            self.prev_hash
        );
        Sha256::digest(canonical.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Appends an entry. Call it inside the transaction that makes the change, so that the
/// change and its record commit together.
pub fn append(conn: &mut DbConn, event: AuditEvent, now: NaiveDateTime) -> QueryResult<i64> {
    // Appends take turns on the chain's head row (locked until commit), so each sees the one
    // before and the chain never forks, on any number of nodes.
    super::seals::lock_head(conn, AUDIT_CHAIN)?;
    let head: Option<(i64, String)> = audit_log::table
        .order(audit_log::seq.desc())
        .select((audit_log::seq, audit_log::hash))
        .first(conn)
        .optional()?;
    let (seq, prev_hash) = head.map_or((1, GENESIS.to_owned()), |(s, h)| (s + 1, h));
    let mut row = AuditRow {
        seq,
        // Both backends keep microseconds, so the hash reads back the same on either.
        at: now.trunc_subsecs(6),
        actor_id: event.actor.map(UserId::get),
        action: event.action.to_owned(),
        subject: event.subject,
        detail: event.detail.to_string(),
        prev_hash,
        hash: String::new(),
    };
    row.hash = row.expected_hash();
    diesel::insert_into(audit_log::table).values(&row).execute(conn)?;
    super::seals::set_head(conn, AUDIT_CHAIN, seq, &row.hash)?;
    Ok(seq)
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Entries checked.
    pub entries: i64,
    /// The first entry that does not hold, and why.
    pub first_broken: Option<(i64, String)>,
}

/// Walks the chain from the start and names the first entry whose hash, link or sequence
/// number does not hold.
pub fn verify(conn: &mut DbConn) -> QueryResult<Verification> {
    let mut expected_prev = GENESIS.to_owned();
    let mut expected_seq = 1;
    let mut entries = 0;
    loop {
        let batch: Vec<AuditRow> = audit_log::table
            .filter(audit_log::seq.ge(expected_seq))
            .order(audit_log::seq)
            .limit(1000)
            .select(AuditRow::as_select())
            .load(conn)?;
        if batch.is_empty() {
            return Ok(Verification { entries, first_broken: None });
        }
        for row in batch {
            let problem = if row.seq != expected_seq {
                Some(format!("entry {expected_seq} is missing"))
            } else if row.prev_hash != expected_prev {
                Some("its link to the previous entry does not match".to_owned())
            } else if row.hash != row.expected_hash() {
                Some("its contents do not match its hash".to_owned())
            } else {
                None
            };
            if let Some(why) = problem {
                return Ok(Verification { entries, first_broken: Some((expected_seq.min(row.seq), why)) });
            }
            entries += 1;
            expected_seq += 1;
            expected_prev = row.hash;
        }
    }
}

/// The newest entries about a subject, newest first (for the portal's history views).
pub fn for_subject(conn: &mut DbConn, subject: &str, limit: i64) -> QueryResult<Vec<AuditRow>> {
    audit_log::table
        .filter(audit_log::subject.eq(subject))
        .order(audit_log::seq.desc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)
}

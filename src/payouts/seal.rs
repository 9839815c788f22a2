//! Sealed books: the journal as a hash chain. Each entry's hash covers its own fields, its
//! postings (account, worker, household status, amount), the frozen terms of its line (unit
//! price, quantity, commission, wage rule, maker shares), its chain position and the hash
//! before it. Recomputing the postings from the terms (`verify`) catches a rewrite of either;
//! the seal catches a consistent rewrite of both, and of the household status on a posting.
//!
//! Entries are sealed by [`seal_pending`] in the transaction that posts them, after taking
//! the chain's head lock, so appends from many nodes take turns and never fork the chain.

use super::ledger::makers_by_line;
use crate::db::ledger::{self as lq, EntryRow, LineTermsRow, PostingRow};
use crate::db::seals::{self as q, JOURNAL};
use crate::db::DbConn;
use crate::error::AppError;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

const BATCH: i64 = 1_000;

/// The hash of an entry at chain position `seq` after `prev_hash`.
pub fn entry_hash(
    seq: i64,
    prev_hash: &str,
    e: &EntryRow,
    line: &LineTermsRow,
    makers: &[(i64, i32)],
    postings: &[&PostingRow],
) -> String {
    let opt = |v: Option<i64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
    let mut text = format!(
        "gongfang journal v1\nseq {seq}\nprev {prev_hash}\nentry {} {} line {} workshop {} refund {} at {}\n\
         terms price {} quantity {} commission_bp {} rule {} wage_bp {} piece_rate {}\n",
        e.id,
        e.kind,
        e.order_line_id,
        e.workshop_id,
        opt(e.refund_id),
        q::hashed_time(e.posted_at),
        line.unit_price_fen,
        line.quantity,
        line.commission_bp,
        line.wage_rule,
        opt(line.wage_bp.map(i64::from)),
        opt(line.piece_rate_fen),
    );
    // A design share is hashed only where there is one, so the lines before it was added keep
    // their hashes.
    if let (Some(designer), bp) = (line.designer_id, line.designer_bp) {
        text.push_str(&format!("designer {designer} {bp}\n"));
    }
    let mut makers = makers.to_vec();
    makers.sort_unstable();
    for (worker, bp) in makers {
        text.push_str(&format!("maker {worker} {bp}\n"));
    }
    let mut lines: Vec<String> = postings
        .iter()
        .map(|p| {
            let designer = p.designer_id.map_or_else(String::new, |d| format!(" designer {d}"));
            format!(
                "posting {} {} {} {}{designer}\n",
                p.account,
                opt(p.worker_id),
                p.household_status.as_deref().unwrap_or("-"),
                p.amount_fen
            )
        })
        .collect();
    lines.sort_unstable();
    text.extend(lines);
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// What an entry's hash is computed from, loaded for a batch of entries.
struct Context {
    terms: HashMap<i64, LineTermsRow>,
    makers: HashMap<i64, Vec<(i64, i32)>>,
    postings: HashMap<i64, Vec<PostingRow>>,
}

impl Context {
    fn load(conn: &mut DbConn, entries: &[&EntryRow]) -> Result<Context, AppError> {
        let mut lines: Vec<i64> = entries.iter().map(|e| e.order_line_id).collect();
        lines.sort_unstable();
        lines.dedup();
        let ids: Vec<i64> = entries.iter().map(|e| e.id).collect();
        let mut postings: HashMap<i64, Vec<PostingRow>> = HashMap::new();
        for p in lq::postings_of_entries(conn, &ids)? {
            postings.entry(p.entry_id).or_default().push(p);
        }
        Ok(Context {
            terms: q::terms_of_lines(conn, &lines)?.into_iter().map(|t| (t.id, t)).collect(),
            makers: makers_by_line(conn, &lines)?,
            postings,
        })
    }

    /// The hash `e` must carry at `seq` after `prev`; None when its line is gone.
    fn hash(&self, seq: i64, prev: &str, e: &EntryRow) -> Option<String> {
        let line = self.terms.get(&e.order_line_id)?;
        let makers = self.makers.get(&e.order_line_id).map(Vec::as_slice).unwrap_or_default();
        let postings: Vec<&PostingRow> = self.postings.get(&e.id).map(|v| v.iter().collect()).unwrap_or_default();
        Some(entry_hash(seq, prev, e, line, makers, &postings))
    }
}

/// Seals every entry not sealed yet, in the order they were written, under the chain's head
/// lock. Call it inside the transaction that wrote them (posting does). Returns how many.
pub fn seal_pending(conn: &mut DbConn) -> Result<usize, AppError> {
    seal_up_to(conn, usize::MAX)
}

/// As [`seal_pending`], at most `max` entries (a bulk load seals in several transactions).
pub fn seal_up_to(conn: &mut DbConn, max: usize) -> Result<usize, AppError> {
    let (mut seq, mut prev) = q::lock_head(conn, JOURNAL)?;
    let mut sealed = 0;
    while sealed < max {
        let batch = q::unsealed(conn, BATCH.min(i64::try_from(max - sealed).unwrap_or(BATCH)))?;
        if batch.is_empty() {
            break;
        }
        let refs: Vec<&EntryRow> = batch.iter().collect();
        let context = Context::load(conn, &refs)?;
        let mut seals = Vec::with_capacity(batch.len());
        for e in &batch {
            let next = seq.checked_add(1).ok_or_else(|| AppError::Internal(anyhow::anyhow!("chain overflow")))?;
            let hash = context
                .hash(next, &prev, e)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("journal entry {} has no order line", e.id)))?;
            seals.push(q::Seal { entry: e.id, seq: next, prev_hash: prev.clone(), hash: hash.clone() });
            (seq, prev) = (next, hash);
        }
        let written = q::seal_many(conn, &seals)?;
        if written != seals.len() {
            return Err(AppError::Internal(anyhow::anyhow!("sealed {written} of {} entries", seals.len())));
        }
        sealed += written;
    }
    if sealed > 0 {
        q::set_head(conn, JOURNAL, seq, &prev)?;
    }
    Ok(sealed)
}

/// What [`verify`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SealCheck {
    /// Entries whose seal holds.
    pub entries: i64,
    /// The first entry that breaks the chain, and why.
    pub first_broken: Option<String>,
}

/// Walks the chain from the start and names the first entry whose position, link or hash
/// does not hold, or that was never sealed.
pub fn verify(conn: &mut DbConn) -> Result<SealCheck, AppError> {
    let mut out = SealCheck::default();
    let (mut seq, mut prev) = (0, crate::db::audit::GENESIS.to_owned());
    loop {
        let batch = q::sealed_after(conn, seq, BATCH)?;
        if batch.is_empty() {
            break;
        }
        let refs: Vec<&EntryRow> = batch.iter().map(|r| &r.entry).collect();
        let context = Context::load(conn, &refs)?;
        for row in &batch {
            let e = &row.entry;
            let at = seq + 1;
            let name = format!("journal entry {} (line {}, chain position {at})", e.id, e.order_line_id);
            let problem = if row.chain_seq != Some(at) {
                Some(format!("journal chain position {at} is missing"))
            } else if row.prev_hash.as_deref() != Some(prev.as_str()) {
                Some(format!("{name}: its link to the entry before does not match"))
            } else if row.hash.is_none() || context.hash(at, &prev, e) != row.hash {
                Some(format!(
                    "{name}: its postings or its line's frozen terms (price, quantity, commission, wage rule, maker shares, household status) no longer match its seal"
                ))
            } else {
                None
            };
            if let Some(problem) = problem {
                out.first_broken = Some(problem);
                return Ok(out);
            }
            out.entries += 1;
            (seq, prev) = (at, row.hash.clone().unwrap_or_default());
        }
    }
    let (head_seq, head_hash) = crate::db::seals::head(conn, JOURNAL)?;
    if (head_seq, head_hash.as_str()) != (seq, prev.as_str()) {
        out.first_broken = Some(format!("the journal chain ends at position {seq}, but its head says {head_seq}"));
        return Ok(out);
    }
    let unsealed = q::unsealed_count(conn)?;
    if unsealed > 0 {
        out.first_broken = Some(format!("{unsealed} journal entries are not sealed"));
    }
    Ok(out)
}

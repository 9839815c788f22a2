//! The journal and payout check behind `gongfang audit verify`: every entry balances and
//! holds exactly the postings the money rules give for its line's frozen terms (captures,
//! shipping, and each refund in order); every payout equals the sum of the entries it paid,
//! all settled and posted before its cutoff; and every wage statement equals the wages in
//! those entries. Each problem names the row.

use super::ledger::{line_terms, makers_by_line};
use crate::db::ledger::{self as q, EntryRow, PostingRow};
use crate::db::payouts as pq;
use crate::db::DbConn;
use crate::domain::ledger::{self as rules, EntryKind, Labelled};
use crate::domain::Fen;
use crate::error::AppError;
use std::collections::{BTreeMap, HashMap};

/// What the check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerCheck {
    pub entries: usize,
    pub postings: usize,
    pub payouts: usize,
    pub statements: usize,
    /// The problems found (at most [`MAX_PROBLEMS`]), each naming its row.
    pub problems: Vec<String>,
}

/// How many problems are listed before the check stops looking.
pub const MAX_PROBLEMS: usize = 50;

const BATCH: i64 = 2_000;

/// An account, and the worker or designer it belongs to.
type Key = (String, Option<i64>, Option<i64>);

fn expected_map(postings: &[Labelled]) -> BTreeMap<Key, i64> {
    let mut m = BTreeMap::new();
    for p in postings {
        let key = (p.posting.account.as_str().to_owned(), p.posting.worker_id, p.posting.designer_id);
        *m.entry(key).or_insert(0) += p.posting.amount.get();
    }
    m.retain(|_, v| *v != 0);
    m
}

fn key_of(p: &PostingRow) -> Key {
    (p.account.clone(), p.worker_id, p.designer_id)
}

/// Compares an entry's stored postings with what the rules give; the first difference, naming
/// the posting row where there is one.
fn compare(entry: &EntryRow, stored: &[&PostingRow], expected: &[Labelled]) -> Option<String> {
    let sum: i64 = stored.iter().map(|p| p.amount_fen).sum();
    let balance =
        if sum == 0 { String::new() } else { format!("; the entry does not balance: its postings sum to {sum} fen") };
    let want = expected_map(expected);
    for p in stored {
        let key = key_of(p);
        let stored_sum: i64 = stored.iter().filter(|o| key_of(o) == key).map(|o| o.amount_fen).sum();
        if want.get(&key).copied().unwrap_or(0) != stored_sum {
            return Some(format!(
                "journal posting {} (entry {}, line {}, {}{}) holds {} fen; the rules give {} fen{balance}",
                p.id,
                entry.id,
                entry.order_line_id,
                p.account,
                p.worker_id.map(|w| format!(" of worker {w}")).unwrap_or_default(),
                p.amount_fen,
                want.get(&key).copied().unwrap_or(0)
            ));
        }
    }
    for (key, amount) in &want {
        if !stored.iter().any(|p| key_of(p) == *key) {
            return Some(format!(
                "journal entry {} (line {}) lacks its {} posting of {amount} fen",
                entry.id, entry.order_line_id, key.0
            ));
        }
    }
    if sum != 0 {
        return Some(format!("journal entry {} (line {}){balance}", entry.id, entry.order_line_id));
    }
    None
}

/// Recomputes the journal, the payouts and the statements (their poor-household parts by the
/// configured statuses, `rule`); `progress` counts lines.
pub fn check(
    conn: &mut DbConn,
    rule: &crate::domain::employment_rule::RuleConfig,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<LedgerCheck, AppError> {
    let mut out = LedgerCheck::default();
    let mut after = 0;
    loop {
        let lines = q::terms_after(conn, after, BATCH)?;
        let Some(last) = lines.last() else { break };
        after = last.id;
        let ids: Vec<i64> = lines.iter().map(|l| l.id).collect();
        let entries = q::entries_of_lines(conn, &ids)?;
        if entries.is_empty() {
            continue;
        }
        let entry_ids: Vec<i64> = entries.iter().map(|e| e.id).collect();
        let postings = q::postings_of_entries(conn, &entry_ids)?;
        let mut by_entry: HashMap<i64, Vec<&PostingRow>> = HashMap::new();
        for p in &postings {
            by_entry.entry(p.entry_id).or_default().push(p);
        }
        let makers = makers_by_line(conn, &ids)?;
        let refund_ids: Vec<i64> = entries.iter().filter_map(|e| e.refund_id).collect();
        let refunds: HashMap<i64, i64> = q::refund_amounts(conn, &refund_ids)?.into_iter().collect();
        let mut shipment_ids: Vec<i64> = lines.iter().map(|l| l.shipment_id).collect();
        shipment_ids.dedup();
        let fees: HashMap<i64, i64> = q::shipping_fees(conn, &shipment_ids)?.into_iter().collect();
        let terms: HashMap<i64, _> = lines.iter().map(|l| (l.id, l)).collect();
        let mut kept: HashMap<i64, Fen> = HashMap::new();
        for e in &entries {
            out.entries += 1;
            let stored = by_entry.get(&e.id).cloned().unwrap_or_default();
            out.postings += stored.len();
            let Some(row) = terms.get(&e.order_line_id) else { continue };
            let t = line_terms(row, makers.get(&row.id).map(Vec::as_slice).unwrap_or_default())?;
            let none = |_: i64| None;
            let expected = match EntryKind::parse(&e.kind) {
                Some(EntryKind::Capture) => rules::attribution_postings(&t.attribute(t.gross()), &none),
                Some(EntryKind::Shipping) => {
                    rules::shipping_postings(Fen(fees.get(&row.shipment_id).copied().unwrap_or(0)))
                }
                Some(EntryKind::Refund) => {
                    let before = *kept.entry(row.id).or_insert(t.gross());
                    let amount = e.refund_id.and_then(|r| refunds.get(&r)).copied().unwrap_or(0);
                    let after = Fen(before.get() - amount);
                    kept.insert(row.id, after);
                    rules::refund_postings(&t, before, after, &none)
                }
                Some(EntryKind::ShippingRefund) => {
                    let amount = e.refund_id.and_then(|r| refunds.get(&r)).copied().unwrap_or(0);
                    rules::shipping_postings(Fen(-amount))
                }
                None => Vec::new(),
            };
            if let Some(problem) = compare(e, &stored, &expected) {
                out.problems.push(problem);
                if out.problems.len() >= MAX_PROBLEMS {
                    return Ok(out);
                }
            }
        }
        if let Some(bar) = progress {
            bar.inc(lines.len() as u64);
        }
    }
    check_payouts(conn, rule, &mut out)?;
    Ok(out)
}

fn check_payouts(
    conn: &mut DbConn,
    rule: &crate::domain::employment_rule::RuleConfig,
    out: &mut LedgerCheck,
) -> Result<(), AppError> {
    let mut after = 0;
    loop {
        let ids = pq::all_ids(conn, after, 500)?;
        let Some(last) = ids.last() else { return Ok(()) };
        after = *last;
        for id in ids {
            out.payouts += 1;
            let Some(p) = pq::payout(conn, id)? else { continue };
            let paid = pq::paid_sum(conn, id)?;
            let expected_amount = if p.status == "carried" { 0 } else { p.amount_fen };
            if paid != expected_amount {
                out.problems.push(format!(
                    "payout {id} (workshop {}, {}) records {} fen; its journal entries sum to {paid} fen",
                    p.workshop_id, p.period, p.amount_fen
                ));
            }
            let outside = pq::entries_outside_cutoff(conn, id, p.cutoff)?;
            if outside > 0 {
                out.problems.push(format!("payout {id} pays {outside} entries not settled before its cutoff"));
            }
            let want: Vec<(i64, i64, i64, i32)> = super::run::statement_lines(id, &pq::paid_wages(conn, id)?, rule)
                .into_iter()
                .map(|s| (s.worker_id, s.amount_fen, s.poor_household_fen, s.line_count))
                .collect();
            let stored = pq::stored_statement(conn, id)?;
            out.statements += stored.len();
            if want != stored {
                let worker = want
                    .iter()
                    .zip(&stored)
                    .find(|(a, b)| a != b)
                    .map(|(a, _)| a.0)
                    .or_else(|| want.get(stored.len()).or(stored.get(want.len())).map(|r| r.0));
                out.problems.push(format!(
                    "payout {id}: the wage statement{} differs from the journal",
                    worker.map(|w| format!(" line of worker {w}")).unwrap_or_default()
                ));
            }
            if out.problems.len() >= MAX_PROBLEMS {
                return Ok(());
            }
        }
    }
}

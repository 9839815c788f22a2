//! Posting to the journal, inside the transaction that captures a payment or completes a
//! refund: each line's attribution from the terms frozen on it (see
//! [`crate::domain::ledger`]), each parcel's shipping, and the exact reversal of each refund.

use crate::db::ledger::{self as q, LineTermsRow, NewEntry, NewPosting};
use crate::db::refunds::RefundRow;
use crate::db::DbConn;
use crate::domain::attribution::{DesignerShare, MakerShare, ShareBp, WageRule};
use crate::domain::household::HouseholdStatus;
use crate::domain::ledger::{self as rules, EntryKind, Labelled, LineTerms};
use crate::domain::Fen;
use crate::error::AppError;
use chrono::{NaiveDate, NaiveDateTime};
use std::collections::HashMap;

/// The terms of a stored line, with its makers, as the domain rules take them.
pub fn line_terms(row: &LineTermsRow, makers: &[(i64, i32)]) -> Result<LineTerms, AppError> {
    let bad = |what: &str| AppError::Internal(anyhow::anyhow!("order line {}: {what}", row.id));
    let rule = match (row.wage_rule.as_str(), row.wage_bp, row.piece_rate_fen) {
        ("share_of_net", Some(bp), _) => {
            WageRule::ShareOfNet { wage_bp: ShareBp::new(i64::from(bp)).ok_or_else(|| bad("wage_bp"))? }
        }
        ("piece_rate", _, Some(fen)) => WageRule::PieceRate { per_unit: Fen(fen) },
        _ => return Err(bad("wage rule")),
    };
    Ok(LineTerms {
        unit_price: Fen(row.unit_price_fen),
        quantity: i64::from(row.quantity),
        commission: ShareBp::new(i64::from(row.commission_bp)).ok_or_else(|| bad("commission_bp"))?,
        rule,
        makers: makers
            .iter()
            .map(|(w, bp)| {
                Ok(MakerShare { worker_id: *w, share_bp: ShareBp::new(i64::from(*bp)).ok_or_else(|| bad("share_bp"))? })
            })
            .collect::<Result<_, AppError>>()?,
        designer: match (row.designer_id, row.designer_bp) {
            (Some(designer_id), bp) if bp > 0 => Some(DesignerShare {
                designer_id,
                share_bp: ShareBp::new(i64::from(bp)).ok_or_else(|| bad("designer_bp"))?,
            }),
            _ => None,
        },
    })
}

/// Maker shares grouped by line.
pub fn makers_by_line(conn: &mut DbConn, lines: &[i64]) -> Result<HashMap<i64, Vec<(i64, i32)>>, AppError> {
    let mut out: HashMap<i64, Vec<(i64, i32)>> = HashMap::new();
    for (line, worker, bp) in q::makers_of_lines(conn, lines)? {
        out.entry(line).or_default().push((worker, bp));
    }
    Ok(out)
}

/// The status names as `'static` text (what the postings store).
fn status_word(s: &str) -> Option<&'static str> {
    HouseholdStatus::parse(s).map(HouseholdStatus::as_str)
}

/// Posts the capture of every line of these orders, and each parcel's shipping, dated
/// `now`; makers' household statuses are those valid on `sale_day`. Lines already captured
/// are left alone, so posting twice posts once. Returns the number of entries written.
pub fn post_captures(
    conn: &mut DbConn,
    orders: &[i64],
    now: NaiveDateTime,
    sale_day: NaiveDate,
) -> Result<usize, AppError> {
    let sales: Vec<(i64, NaiveDateTime, NaiveDate)> = orders.iter().map(|o| (*o, now, sale_day)).collect();
    post_captures_each(conn, &sales)
}

/// As [`post_captures`] for orders paid at different moments: `(order, when paid, sale day in
/// China)` each, posted in the order given, in one write (as a bulk load needs).
pub fn post_captures_each(conn: &mut DbConn, sales: &[(i64, NaiveDateTime, NaiveDate)]) -> Result<usize, AppError> {
    let orders: Vec<i64> = sales.iter().map(|s| s.0).collect();
    let lines = q::terms_of_orders(conn, &orders)?;
    if lines.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = lines.iter().map(|l| l.id).collect();
    let makers = makers_by_line(conn, &ids)?;
    let mut workers: Vec<i64> = makers.values().flatten().map(|(w, _)| *w).collect();
    workers.sort_unstable();
    workers.dedup();
    // Each maker's status on each sale day.
    let mut days: Vec<NaiveDate> = sales.iter().map(|s| s.2).collect();
    days.sort_unstable();
    days.dedup();
    let mut statuses: HashMap<(NaiveDate, i64), &'static str> = HashMap::new();
    for day in days {
        for (w, s) in q::statuses_on(conn, &workers, day)? {
            if let Some(s) = status_word(&s) {
                statuses.insert((day, w), s);
            }
        }
    }
    let workshop_of: HashMap<i64, i64> = lines.iter().map(|l| (l.id, l.workshop_id)).collect();
    // A retry (a duplicate confirmation or webhook) finds what was posted and skips it.
    let already: std::collections::HashSet<(i64, String)> = q::posted_lines(conn, &ids)?.into_iter().collect();
    let shipping = q::shipping_of_orders(conn, &orders)?;
    let order_of: HashMap<i64, i64> = lines.iter().map(|l| (l.id, l.order_id)).collect();
    let mut pending: Vec<(NewEntry, Vec<Labelled>)> = Vec::with_capacity(lines.len() + orders.len());
    // Orders paid at the same moment are posted together: their lines, then their parcels.
    for group in sales.chunk_by(|a, b| (a.1, a.2) == (b.1, b.2)) {
        let (now, day) = (group[0].1, group[0].2);
        let group_orders: std::collections::HashSet<i64> = group.iter().map(|s| s.0).collect();
        let ours = |order: i64| group_orders.contains(&order);
        let status_of = |w: i64| statuses.get(&(day, w)).copied();
        for line in lines.iter().filter(|l| ours(l.order_id)) {
            if already.contains(&(line.id, EntryKind::Capture.as_str().to_owned())) {
                continue;
            }
            let terms = line_terms(line, makers.get(&line.id).map(Vec::as_slice).unwrap_or_default())?;
            let postings = rules::attribution_postings(&terms.attribute(terms.gross()), &status_of);
            pending.push((entry(EntryKind::Capture, line.id, line.workshop_id, None, now), postings));
        }
        for (_shipment, fen, first_line) in &shipping {
            let of_group = order_of.get(first_line).is_some_and(|o| ours(*o));
            if of_group && *fen > 0 && !already.contains(&(*first_line, EntryKind::Shipping.as_str().to_owned())) {
                let workshop = workshop_of.get(first_line).copied().unwrap_or_default();
                pending.push((
                    entry(EntryKind::Shipping, *first_line, workshop, None, now),
                    rules::shipping_postings(Fen(*fen)),
                ));
            }
        }
    }
    write(conn, pending)
}

fn entry(kind: EntryKind, line: i64, workshop: i64, refund: Option<i64>, now: NaiveDateTime) -> NewEntry {
    NewEntry { kind: kind.as_str(), order_line_id: line, workshop_id: workshop, refund_id: refund, posted_at: now }
}

/// Writes entries and their postings, checking each balances first.
fn write(conn: &mut DbConn, pending: Vec<(NewEntry, Vec<Labelled>)>) -> Result<usize, AppError> {
    if let Some((e, _)) = pending.iter().find(|(_, p)| !rules::balanced(p)) {
        return Err(AppError::Internal(anyhow::anyhow!("unbalanced {} entry for line {}", e.kind, e.order_line_id)));
    }
    let entries: Vec<NewEntry> = pending.iter().map(|(e, _)| e.clone()).collect();
    let ids: HashMap<(i64, String, Option<i64>), i64> = q::insert_entries(conn, &entries)?
        .into_iter()
        .map(|(id, line, kind, refund)| ((line, kind, refund), id))
        .collect();
    let mut postings = Vec::with_capacity(pending.len() * 6);
    for (e, labelled) in &pending {
        let id = ids
            .get(&(e.order_line_id, e.kind.to_owned(), e.refund_id))
            .copied()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("entry for line {} not returned", e.order_line_id)))?;
        postings.extend(labelled.iter().map(|l| NewPosting {
            entry_id: id,
            order_line_id: e.order_line_id,
            account: l.posting.account.as_str(),
            worker_id: l.posting.worker_id,
            household_status: l.household_status,
            amount_fen: l.posting.amount.get(),
            designer_id: l.posting.designer_id,
        }));
    }
    q::insert_postings(conn, &postings)?;
    // The reports' roll-up moves with the journal, in the same transaction, so it never drifts.
    let mut written: Vec<i64> = ids.values().copied().collect();
    // Roll-up rows are locked in one order, so two postings to the same months never deadlock.
    written.sort_unstable();
    crate::db::reports::roll_up(conn, &written)?;
    // Sealed last: the chain's head lock is the last lock a posting takes.
    super::seal::seal_pending(conn)?;
    Ok(pending.len())
}

/// Posts the reversal of a refund that has just succeeded, before its amount is added to the
/// line (`refunded_fen` still holds the earlier refunds). A refund of an uncaptured line, or
/// one already posted, posts nothing.
pub fn post_refund(conn: &mut DbConn, r: &RefundRow, now: NaiveDateTime) -> Result<usize, AppError> {
    if q::refund_posted(conn, r.id)? {
        return Ok(0);
    }
    if let Some(line) = r.order_line_id {
        if !q::entry_exists(conn, line, EntryKind::Capture.as_str())? {
            return Ok(0);
        }
        let row = q::terms_of_line(conn, line)?;
        let makers = makers_by_line(conn, &[line])?;
        let terms = line_terms(&row, makers.get(&line).map(Vec::as_slice).unwrap_or_default())?;
        let statuses: HashMap<i64, &'static str> = q::captured_statuses(conn, line)?
            .into_iter()
            .filter_map(|(w, s)| s.as_deref().and_then(status_word).map(|s| (w, s)))
            .collect();
        let before = Fen(terms.gross().get() - row.refunded_fen);
        let after = Fen(before.get() - r.amount_fen);
        let postings = rules::refund_postings(&terms, before, after, &|w| statuses.get(&w).copied());
        return write(conn, vec![(entry(EntryKind::Refund, line, row.workshop_id, Some(r.id), now), postings)]);
    }
    if let Some(shipment) = r.shipment_id {
        let Some(first) = q::first_line_of_shipment(conn, shipment)? else { return Ok(0) };
        if !q::entry_exists(conn, first, EntryKind::Shipping.as_str())? {
            return Ok(0);
        }
        let workshop = q::terms_of_line(conn, first)?.workshop_id;
        let postings = rules::shipping_postings(Fen(-r.amount_fen));
        return write(conn, vec![(entry(EntryKind::ShippingRefund, first, workshop, Some(r.id), now), postings)]);
    }
    Ok(0)
}

//! The national dataset's journal: for each sale the entries `crate::payouts::ledger`
//! posts (each line's capture from its frozen terms, with each maker's household status on
//! the sale date, then each parcel's shipping on its first line), and for each refund, when
//! its day comes, the exact reversal `post_refund` posts (labelled with the statuses of the
//! capture). The rules are the domain's own ([`crate::domain::ledger`]); only the writing is
//! done in bulk.

use super::rows::{EntryRow, PostingRow, RefundRow, SalesRows};
use crate::domain::ledger::{self as rules, Account, EntryKind, Labelled, LineTerms};
use crate::domain::Fen;
use crate::seed::generate::Dice;
use chrono::{NaiveDateTime, TimeDelta};
use std::collections::BTreeMap;

/// The refunds a line will get: `(when, amount, pieces returned)`, in time order.
#[derive(Debug, Clone, Default)]
pub struct RefundPlan {
    parts: Vec<(NaiveDateTime, i64, i32)>,
}

/// Percent of lines with a refund.
const REFUND_PERCENT: u64 = 3;

impl RefundPlan {
    /// Draws a line's refunds: none for most; a return of some or all pieces within the
    /// return window after delivery, or a partial refund by agreement; sometimes a second
    /// refund of the rest. Nothing after `now`.
    pub fn draw(
        dice: &mut Dice,
        gross: i64,
        quantity: i32,
        made_to_order: bool,
        paid_at: NaiveDateTime,
        delivered_at: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> RefundPlan {
        let mut parts = Vec::new();
        if gross <= 0 || !dice.chance(REFUND_PERCENT) {
            return RefundPlan { parts };
        }
        let minutes = |dice: &mut Dice| TimeDelta::minutes(dice.below(720) as i64);
        let (at, amount, pieces) = match delivered_at {
            Some(d) if !made_to_order && dice.chance(70) => {
                let k = if quantity >= 2 && dice.chance(35) {
                    1 + dice.below(quantity as u64 - 1) as i32
                } else {
                    quantity
                };
                (
                    d + TimeDelta::days(1 + dice.below(5) as i64) + minutes(dice),
                    gross / i64::from(quantity) * i64::from(k),
                    k,
                )
            }
            _ => {
                let share = 10 + dice.below(31) as i64;
                (paid_at + TimeDelta::days(3 + dice.below(27) as i64) + minutes(dice), (gross * share / 100).max(1), 0)
            }
        };
        if at > now {
            return RefundPlan { parts };
        }
        parts.push((at, amount, pieces));
        let later = at + TimeDelta::days(1 + dice.below(5) as i64);
        if amount < gross && later <= now && dice.chance(15) {
            parts.push((later, gross - amount, quantity - pieces));
        }
        RefundPlan { parts }
    }

    /// `(fen, pieces)` refunded in all.
    pub fn totals(&self) -> (i64, i32) {
        self.parts.iter().fold((0, 0), |(a, q), (_, amount, pieces)| (a + amount, q + pieces))
    }

    pub fn last_at(&self) -> Option<NaiveDateTime> {
        self.parts.last().map(|p| p.0)
    }
}

/// A line sold in an order: `(line id, workshop id, frozen terms, its refunds)`.
pub type Capture = (i64, i64, LineTerms, RefundPlan);

/// A refund waiting for its day.
struct Pending {
    order: i64,
    line: i64,
    workshop: i64,
    terms: LineTerms,
    /// What the buyer had kept of the line before this refund.
    kept_before: i64,
    amount: i64,
    pieces: i32,
    /// Each maker's household status as the capture labelled it.
    statuses: Vec<(i64, Option<&'static str>)>,
}

/// Entry and refund ids, and the refunds not yet due.
pub struct Journal {
    next_entry: i64,
    next_refund: i64,
    pending: BTreeMap<(NaiveDateTime, u64), Pending>,
    seq: u64,
    pub refunds_written: usize,
}

fn posting_rows(entry_id: i64, line: i64, labelled: &[Labelled]) -> impl Iterator<Item = PostingRow> + '_ {
    labelled.iter().map(move |l| PostingRow {
        entry_id,
        order_line_id: line,
        account: l.posting.account.as_str(),
        worker_id: l.posting.worker_id,
        household_status: l.household_status,
        amount_fen: l.posting.amount.get(),
    })
}

/// An entry's fields; its id is given when it is appended.
fn head(kind: EntryKind, line: i64, workshop: i64, refund: Option<i64>, at: NaiveDateTime) -> EntryRow {
    EntryRow {
        id: 0,
        kind: kind.as_str(),
        order_line_id: line,
        workshop_id: workshop,
        refund_id: refund,
        posted_at: at,
    }
}

impl Journal {
    pub fn new(next_entry: i64, next_refund: i64) -> Journal {
        Journal { next_entry, next_refund, pending: BTreeMap::new(), seq: 0, refunds_written: 0 }
    }

    /// Appends an entry (`head` without its id) and its postings, checking they balance.
    fn entry(&mut self, rows: &mut SalesRows, head: EntryRow, postings: &[Labelled]) -> anyhow::Result<()> {
        let line = head.order_line_id;
        anyhow::ensure!(rules::balanced(postings), "unbalanced {} entry for line {line}", head.kind);
        let id = self.next_entry;
        self.next_entry += 1;
        rows.entries.push(EntryRow { id, ..head });
        rows.postings.extend(posting_rows(id, line, postings));
        Ok(())
    }

    /// Posts an order's capture at `at`, as `post_captures` does: each line (in id order),
    /// then each parcel's shipping on its first line; and schedules the lines' refunds.
    pub fn capture(
        &mut self,
        rows: &mut SalesRows,
        order: i64,
        at: NaiveDateTime,
        lines: Vec<Capture>,
        parcels: &[(i64, i64, i64)],
        status_of: &dyn Fn(i64) -> Option<&'static str>,
    ) -> anyhow::Result<()> {
        for (line, workshop, terms, refunds) in lines {
            let postings = rules::attribution_postings(&terms.attribute(terms.gross()), status_of);
            self.entry(rows, head(EntryKind::Capture, line, workshop, None, at), &postings)?;
            let statuses: Vec<(i64, Option<&'static str>)> = postings
                .iter()
                .filter(|p| p.posting.account == Account::WagesPayable)
                .filter_map(|p| p.posting.worker_id.map(|w| (w, p.household_status)))
                .collect();
            let mut kept = terms.gross().get();
            for (when, amount, pieces) in refunds.parts {
                self.seq += 1;
                let pending = Pending {
                    order,
                    line,
                    workshop,
                    terms: terms.clone(),
                    kept_before: kept,
                    amount,
                    pieces,
                    statuses: statuses.clone(),
                };
                self.pending.insert((when, self.seq), pending);
                kept -= amount;
            }
        }
        for (first_line, workshop, fee) in parcels {
            if *fee > 0 {
                let postings = rules::shipping_postings(Fen(*fee));
                self.entry(rows, head(EntryKind::Shipping, *first_line, *workshop, None, at), &postings)?;
            }
        }
        Ok(())
    }

    /// Writes the refunds due by `upto` (their rows, entries and reversals), oldest first.
    pub fn refunds_due(&mut self, rows: &mut SalesRows, upto: NaiveDateTime) -> anyhow::Result<()> {
        while let Some(entry) = self.pending.first_entry() {
            if entry.key().0 > upto {
                break;
            }
            let (when, _) = *entry.key();
            let p = entry.remove();
            let id = self.next_refund;
            self.next_refund += 1;
            rows.refunds.push(RefundRow {
                id,
                order_id: p.order,
                order_line_id: Some(p.line),
                quantity: p.pieces,
                amount_fen: p.amount,
                reason: if p.pieces > 0 {
                    "七天无理由退货（生成）"
                } else {
                    "协商部分退款（生成）"
                },
                status: "succeeded",
                created_at: when,
                updated_at: when,
            });
            let status = |w: i64| p.statuses.iter().find(|(x, _)| *x == w).and_then(|(_, s)| *s);
            let postings = rules::refund_postings(&p.terms, Fen(p.kept_before), Fen(p.kept_before - p.amount), &status);
            self.entry(rows, head(EntryKind::Refund, p.line, p.workshop, Some(id), when), &postings)?;
            self.refunds_written += 1;
        }
        Ok(())
    }
}

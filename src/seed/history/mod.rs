//! A year of the demo's history (`seed --demo` and `serve --demo`), so every dashboard,
//! receipt and statement has something true to show: day by day over the twelve months
//! before today (China time), orders of the demo workshops' products — more before Double
//! Eleven and in December, fewer at the Spring Festival — placed and paid, shipped and
//! delivered, a few returned or refunded in part; each month's payout run, the operator's
//! bank transfers, and each workshop recording how it paid every worker, whose
//! acknowledgements follow.
//!
//! Everything goes through the application's own rules: orders are frozen as checkout
//! freezes them and captured by [`crate::payouts::ledger::post_captures`]; refunds are
//! reversed by [`crate::payouts::ledger::post_refund`]; payouts, disbursements and
//! acknowledgements are the payouts service's own steps, each on a clock set to the moment it
//! happens. So `gongfang audit verify` recomputes all of it from the journal.
//!
//! Deterministic (a fixed seed, relative to today), and **idempotent**: a finished history is
//! recorded in the audit log and never added twice; one that did not finish is refused.

mod plan;
mod sales;
mod wages;

use crate::catalog::reference::Reference;
use crate::clock::Clock;
use crate::db::audit::{self, AuditEvent};
use crate::db::schema::{audit_log, orders};
use crate::db::{Db, DbConn};
use crate::domain::account::Principal;
use crate::domain::ledger::PayoutPeriod;
use crate::error::AppError;
use crate::payouts::Payouts;
use crate::seed::generate::Dice;
use crate::seed::spec::DemoCatalog;
use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta, TimeZone};
use diesel::prelude::*;
use plan::{plan_sales, Plan};
use sales::{Buyer, Item, RefundPlan};
use std::collections::{BTreeMap, HashMap};

/// The audit action that records a finished history.
const AUDIT_ACTION: &str = "seed.demo_history";
/// Days of history before today.
const DAYS: u64 = 365;

/// What the history added.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryReport {
    pub orders: usize,
    pub lines: usize,
    pub refunds: usize,
    pub payout_runs: usize,
    pub disbursements: usize,
    pub acknowledgements: usize,
}

/// Something that happens on a day of the history.
#[derive(Debug, Clone)]
enum Event {
    /// A planned sale (its index).
    Sale(usize),
    Ship(i64),
    /// A parcel arrives: confirmed by the buyer, or automatically.
    Deliver(i64, bool),
    Refund(RefundPlan),
    /// The payout run of a month.
    Run(PayoutPeriod),
    /// The operator marks a bank payout sent (false) or confirmed (true).
    Mark(i64, bool),
    /// A workshop (by id) records paying a statement line.
    Disburse(i64, i64),
    /// A worker uses their code.
    Acknowledge(String),
}

/// The China date of a UTC instant.
fn china_day(at: NaiveDateTime) -> NaiveDate {
    (at + TimeDelta::hours(8)).date()
}

/// The UTC instant of a China date at `hour:minute`.
fn china_time(day: NaiveDate, minutes: i64) -> NaiveDateTime {
    day.and_hms_opt(0, 0, 0).unwrap_or_default() - TimeDelta::hours(8) + TimeDelta::minutes(minutes)
}

fn fixed(at: NaiveDateTime) -> Clock {
    Clock::Fixed(chrono::Utc.from_utc_datetime(&at))
}

/// Whether a finished history is there; an error for one that did not finish.
fn already_there(conn: &mut DbConn) -> anyhow::Result<bool> {
    let done: i64 = audit_log::table.filter(audit_log::action.eq(AUDIT_ACTION)).count().get_result(conn)?;
    if done > 0 {
        return Ok(true);
    }
    let started: i64 = orders::table.filter(orders::idempotency_key.like("demo-history-%")).count().get_result(conn)?;
    anyhow::ensure!(
        started == 0,
        "the database holds {started} orders of a demo history that did not finish: seed a fresh database"
    );
    Ok(false)
}

/// Adds the year of history to the demo, once. `payouts` is the application's service (its
/// clock is set for each step); `clock` says what today is.
pub fn seed_history(
    db: &Db,
    payouts: &Payouts,
    reference: &Reference,
    clock: Clock,
    progress: bool,
) -> anyhow::Result<HistoryReport> {
    let mut pooled = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let conn: &mut DbConn = &mut pooled;
    if already_there(conn)? {
        return Ok(HistoryReport::default());
    }
    let now = clock.now().naive_utc();
    let today = clock.today();
    let catalogue = sales::catalogue(conn)?;
    let operator = principal(conn, "operator@demo.gongfang.cn")?;
    let (Some(operator), false) = (operator, catalogue.is_empty()) else {
        return Ok(HistoryReport::default());
    };
    let manager = principal(conn, "manager@demo.gongfang.cn")?;
    let demo = DemoCatalog::load()?;
    let start = today - TimeDelta::days(DAYS as i64);
    let (demo_buyer, buyers) = crate::db::tx::write(&mut *conn, |c| {
        sales::buyers(c, reference, &demo.surnames, &demo.given_names, china_time(start, 9 * 60))
    })?;
    let plans = plan_sales(&catalogue, buyers.len(), demo_buyer.is_some(), start, today, now);

    let mut queue: BTreeMap<(NaiveDateTime, u64), Event> = BTreeMap::new();
    let mut seq = 0u64;
    let mut push = |queue: &mut BTreeMap<(NaiveDateTime, u64), Event>, at: NaiveDateTime, e: Event| {
        seq += 1;
        queue.insert((at, seq), e);
    };
    for (i, p) in plans.iter().enumerate() {
        push(&mut queue, p.paid_at, Event::Sale(i));
    }
    let mut period = PayoutPeriod::of(start);
    while period < PayoutPeriod::of(today) {
        // The 2nd of the next month, 10:00 China time.
        push(&mut queue, period.cutoff() + TimeDelta::hours(34), Event::Run(period));
        period = PayoutPeriod::parse(&next_month(period)).unwrap_or(PayoutPeriod::of(today));
    }

    let ctx = Context {
        catalogue: &catalogue,
        plans: &plans,
        buyers: &buyers,
        demo_buyer: demo_buyer.as_ref(),
        operator: &operator,
        manager: manager.as_ref(),
        payouts,
    };
    let bar = if progress { indicatif::ProgressBar::new(DAYS + 1) } else { indicatif::ProgressBar::hidden() };
    bar.set_message("history");
    let mut report = HistoryReport::default();
    let mut dice = Dice(0x0068_6973_746f_7279);
    let mut last_day = start;
    while let Some((&(at, _), _)) = queue.first_key_value() {
        if at > now {
            break;
        }
        let day = china_day(at);
        // A payout run takes its own transactions; the other events of a day share one.
        if let Some(Event::Run(period)) = queue.first_key_value().map(|(_, e)| e.clone()) {
            queue.pop_first();
            report.payout_runs += 1;
            for (when, e) in run(conn, &ctx, period, at, &mut dice)? {
                push(&mut queue, when, e);
            }
            continue;
        }
        let mut todays = Vec::new();
        while let Some((&(t, _), e)) = queue.first_key_value() {
            if t > now || china_day(t) != day || matches!(e, Event::Run(_)) {
                break;
            }
            if let Some(((t, _), e)) = queue.pop_first() {
                todays.push((t, e));
            }
        }
        let seed = dice.0;
        let (spawned, counts, after) = crate::db::tx::write(&mut *conn, |c| {
            let mut d = Dice(seed);
            let (spawned, counts) = ctx.day(c, &todays, &mut d)?;
            Ok::<_, AppError>((spawned, counts, d.0))
        })?;
        dice = Dice(after);
        report.orders += counts.orders;
        report.lines += counts.lines;
        report.refunds += counts.refunds;
        report.disbursements += counts.disbursements;
        report.acknowledgements += counts.acknowledgements;
        for (when, e) in spawned {
            push(&mut queue, when, e);
        }
        bar.inc((day - last_day).num_days().max(0) as u64);
        last_day = day;
    }
    bar.finish_and_clear();
    let detail = serde_json::to_value(&report)?;
    crate::db::tx::write(&mut *conn, |c| {
        audit::append(c, AuditEvent::new(None, AUDIT_ACTION, "database".into(), detail.clone()), now)
    })?;
    Ok(report)
}

fn next_month(p: PayoutPeriod) -> String {
    let end = china_day(p.cutoff());
    format!("{:04}-{:02}", end.year(), end.month())
}

fn principal(conn: &mut DbConn, email: &str) -> anyhow::Result<Option<Principal>> {
    Ok(crate::db::accounts::user_by_email(conn, email)?.and_then(|u| u.principal()))
}

/// What a day added.
#[derive(Debug, Default)]
struct Counts {
    orders: usize,
    lines: usize,
    refunds: usize,
    disbursements: usize,
    acknowledgements: usize,
}

/// What the events of a day need.
struct Context<'a> {
    catalogue: &'a [(i64, Vec<Item>)],
    plans: &'a [Plan],
    buyers: &'a [Buyer],
    demo_buyer: Option<&'a Buyer>,
    operator: &'a Principal,
    manager: Option<&'a Principal>,
    payouts: &'a Payouts,
}

type Spawned = Vec<(NaiveDateTime, Event)>;

impl Context<'_> {
    /// Who keeps a workshop's books: its manager, or the operator for workshops without one.
    fn keeper(&self, workshop: i64) -> &Principal {
        match self.manager {
            Some(m) if m.role.workshop().is_some_and(|w| w.get() == workshop) => m,
            _ => self.operator,
        }
    }

    /// Applies a day's events in time order (in one transaction); returns what they lead to.
    fn day(
        &self,
        conn: &mut DbConn,
        events: &[(NaiveDateTime, Event)],
        dice: &mut Dice,
    ) -> Result<(Spawned, Counts), AppError> {
        let mut spawned = Vec::new();
        let mut counts = Counts::default();
        let operator = self.operator.user_id.get();
        // Orders paid but not yet captured: posted together before anything else touches
        // the journal, so entries keep their time order.
        let mut paid: Vec<(sales::Placed, NaiveDateTime, NaiveDate)> = Vec::new();
        let flush = |conn: &mut DbConn, paid: &mut Vec<(sales::Placed, NaiveDateTime, NaiveDate)>| {
            let refs: Vec<_> = paid.iter().map(|(p, at, day)| (p, *at, *day)).collect();
            sales::capture(conn, &refs, operator)?;
            paid.clear();
            Ok::<_, AppError>(())
        };
        for (at, event) in events {
            let at = *at;
            if !matches!(event, Event::Sale(_) | Event::Ship(_) | Event::Deliver(..)) {
                flush(conn, &mut paid)?;
            }
            match event {
                Event::Sale(i) => {
                    let plan = &self.plans[*i];
                    let buyer = match plan.buyer {
                        Some(b) => &self.buyers[b],
                        None => self.demo_buyer.unwrap_or(&self.buyers[0]),
                    };
                    let lines = plan.lines.iter().map(|(w, k, n)| (&self.catalogue[*w].1[*k], *n)).collect::<Vec<_>>();
                    let sale = sales::Sale { buyer, paid_at: at, day: plan.day, lines, serial: *i };
                    let placed = sales::place(conn, &sale, operator, dice)?;
                    counts.orders += 1;
                    counts.lines += placed.lines.len();
                    spawned.extend(follow_sale(&placed, buyer.id, at, dice));
                    paid.push((placed, at, plan.day));
                }
                Event::Ship(s) => {
                    sales::ship(conn, *s, at)?;
                }
                Event::Deliver(s, by_buyer) => {
                    sales::deliver(conn, *s, *by_buyer, at)?;
                }
                Event::Refund(r) => {
                    sales::refund(conn, r, operator, at)?;
                    counts.refunds += 1;
                }
                Event::Mark(payout, confirmed) => {
                    let reference = format!("CNAPS{}{payout:06}", china_day(at).format("%Y%m%d"));
                    match self.payouts.with_clock(fixed(at)).mark_in(
                        conn,
                        self.operator,
                        *payout,
                        *confirmed,
                        &reference,
                    ) {
                        Ok(()) | Err(AppError::Conflict { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
                Event::Disburse(statement, workshop) => {
                    let payouts = self.payouts.with_clock(fixed(at));
                    let d = wages::disbursement(dice, *statement, at);
                    if let Some(code) = wages::record(&payouts, conn, self.keeper(*workshop), *statement, &d)? {
                        counts.disbursements += 1;
                        // Most workers confirm within days; a few never do.
                        if dice.chance(88) {
                            let when = at + TimeDelta::hours(20 + dice.below(24 * 9) as i64);
                            spawned.push((when, Event::Acknowledge(code)));
                        }
                    }
                }
                Event::Acknowledge(code) => match self.payouts.with_clock(fixed(at)).acknowledge_in(conn, code) {
                    Ok(_) => counts.acknowledgements += 1,
                    Err(AppError::NotFound) => {}
                    Err(e) => return Err(e),
                },
                Event::Run(_) => {}
            }
        }
        flush(conn, &mut paid)?;
        Ok((spawned, counts))
    }
}

/// What follows a sale: each parcel shipped (made-to-order pieces after their lead time) and
/// delivered days later, and now and then a refund of a line after delivery, within the
/// return window.
fn follow_sale(placed: &sales::Placed, buyer: i64, at: NaiveDateTime, dice: &mut Dice) -> Spawned {
    let mut out = Vec::new();
    let mut delivered_at = HashMap::new();
    for (shipment, _, made, lead) in &placed.parcels {
        let wait = if *made { *lead * 24 } else { 12 + dice.below(60) as i64 };
        let shipped = at + TimeDelta::hours(wait);
        let delivered = shipped + TimeDelta::hours(40 + dice.below(96) as i64);
        out.push((shipped, Event::Ship(*shipment)));
        out.push((delivered, Event::Deliver(*shipment, dice.chance(70))));
        delivered_at.insert(*shipment, delivered);
    }
    for (line, shipment, gross, quantity, made_to_order) in &placed.lines {
        let Some(delivered) = delivered_at.get(shipment) else { continue };
        if !dice.chance(4) {
            continue;
        }
        let when = *delivered + TimeDelta::hours(20 + dice.below(100) as i64);
        let (pieces, amount, reason) = if !made_to_order && dice.chance(65) {
            let k =
                if *quantity > 1 && dice.chance(50) { 1 + dice.below(*quantity as u64 - 1) as i64 } else { *quantity };
            (k, gross * k / quantity, sales::RETURN_REASON)
        } else {
            let share = 10 + dice.below(21) as i64;
            (0, (gross * share / 100).max(1), sales::ADJUSTMENT_REASONS[dice.below(3) as usize])
        };
        out.push((
            when,
            Event::Refund(RefundPlan {
                order: placed.order,
                line: *line,
                quantity: i32::try_from(pieces).unwrap_or(0),
                amount_fen: amount,
                reason,
                requested_by: buyer,
            }),
        ));
    }
    out
}

/// A month's payout run at `at`, then what follows it: the operator sends each bank payout
/// the next day and the bank confirms it the day after; each workshop pays most of its
/// workers over the following week, and the rest weeks later.
fn run(
    conn: &mut DbConn,
    ctx: &Context<'_>,
    period: PayoutPeriod,
    at: NaiveDateTime,
    dice: &mut Dice,
) -> Result<Spawned, AppError> {
    ctx.payouts.with_clock(fixed(at)).run_blocking(period, Some(ctx.operator.user_id), None)?;
    let mut out = Vec::new();
    for (payout, workshop) in wages::payouts_of(conn, &period.to_string())? {
        out.push((at + TimeDelta::hours(22 + dice.below(4) as i64), Event::Mark(payout, false)));
        out.push((at + TimeDelta::hours(48 + dice.below(6) as i64), Event::Mark(payout, true)));
        for statement in wages::statements_of(conn, payout)? {
            // Most within the week; some weeks later (a worker away, a cash payment).
            let hours = if dice.chance(15) { 24 * 21 + dice.below(24 * 21) } else { 50 + dice.below(24 * 7) };
            let when = at + TimeDelta::hours(hours as i64);
            out.push((when, Event::Disburse(statement, workshop)));
        }
    }
    Ok(out)
}

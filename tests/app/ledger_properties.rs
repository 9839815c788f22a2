//! Property tests of the ledger on the real database (SQLite, and PostgreSQL in the second
//! pass): thousands of random orders — random prices, quantities, commission and wage rules,
//! 1 to 7 makers with random shares — captured, delivered at random times, refunded in part or
//! whole before and after settlement, and paid out over three months. The invariants are
//! recomputed here from the stored rows:
//! - every journal entry sums to zero;
//! - per line, the makers' postings sum to the wage pool of what the buyer kept, and every
//!   account holds the attribution of what was kept (zero after a full refund);
//! - no payout exceeds the workshop's settled balance at its cutoff, less what was paid before;
//! - the wage statements sum to the wages of the paid entries, and with the unpaid rest to the
//!   wage pools net of refunds;
//! - `audit verify`'s recomputation finds nothing.

use crate::support::TestApp;
use chrono::{NaiveDateTime, TimeZone};
use diesel::prelude::*;
use gongfang::clock::Clock;
use gongfang::db::schema::{journal_entries, journal_postings, order_lines, payout_entries, payouts, wage_statements};
use gongfang::domain::ledger::PayoutPeriod;
use gongfang::payouts::generate::{self, Catalogue, RefundOf};
use gongfang::seed::generate::Dice;
use proptest::test_runner::{Config, TestRunner};
use std::collections::{BTreeMap, HashMap};

fn clock(t: NaiveDateTime) -> Clock {
    Clock::Fixed(chrono::Utc.from_utc_datetime(&t))
}

fn month_after(p: PayoutPeriod) -> PayoutPeriod {
    PayoutPeriod::of(p.cutoff().date() + chrono::Days::new(1))
}

fn first_day_after(p: PayoutPeriod, days: u64) -> NaiveDateTime {
    (p.cutoff() + chrono::TimeDelta::hours(8)).date().and_hms_opt(4, 0, 0).unwrap()
        + chrono::TimeDelta::days(days as i64)
}

/// One scenario of `orders` random orders sold in `month`, with its own dice.
fn scenario(app: &TestApp, seed: u64, month: PayoutPeriod, orders: usize) {
    let mut dice = Dice(seed);
    let sold_at = first_day_after(month.previous(), 2);
    let mut conn = app.db.conn().unwrap();
    let cat = Catalogue::load(&mut conn, sold_at).unwrap();
    let specs: Vec<_> = (0..orders).map(|_| generate::random_order(&mut dice, &cat, 4, 7)).collect();
    let written = gongfang::db::tx::write(&mut conn, |c| {
        let w = generate::write_paid_orders(c, &cat, &specs, &format!("P{seed:x}-{month}"), sold_at)?;
        let ids: Vec<i64> = w.iter().map(|o| o.order).collect();
        for chunk in ids.chunks(200) {
            gongfang::payouts::ledger::post_captures(c, chunk, sold_at, sold_at.date())?;
        }
        Ok::<_, gongfang::error::AppError>(w)
    })
    .unwrap();
    // Deliveries at random times over about six weeks; a tenth never arrive.
    let mut by_day: BTreeMap<u64, Vec<i64>> = BTreeMap::new();
    for o in &written {
        for s in &o.shipments {
            if !dice.chance(10) {
                by_day.entry(dice.below(45)).or_default().push(*s);
            }
        }
    }
    for (d, ids) in &by_day {
        generate::deliver(&mut conn, ids, sold_at + chrono::TimeDelta::days(*d as i64)).unwrap();
    }
    let terms: HashMap<i64, (i64, i64)> = order_lines::table
        .filter(order_lines::order_id.eq_any(written.iter().map(|o| o.order).collect::<Vec<_>>()))
        .select((order_lines::id, order_lines::unit_price_fen, order_lines::quantity))
        .load::<(i64, i64, i32)>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|(id, price, qty)| (id, (price * i64::from(qty), i64::from(qty))))
        .collect();
    let mut refunded: HashMap<i64, (i64, i64)> = HashMap::new();
    let mut shipping_refunded: std::collections::HashSet<i64> = Default::default();
    // Refunds: early ones (before settlement), and late ones after the first payout.
    let mut refund_round = |dice: &mut Dice, at: NaiveDateTime, percent: u64| {
        let orders_service = app.orders.with_clock(clock(at));
        for o in &written {
            for line in &o.lines {
                if !dice.chance(percent) {
                    continue;
                }
                let (gross, qty) = terms[line];
                let (done_fen, done_qty) = refunded.get(line).copied().unwrap_or((0, 0));
                let left = gross - done_fen;
                if left <= 0 {
                    continue;
                }
                // A third refund everything left; the rest a random part.
                let amount = if dice.chance(33) { left } else { 1 + dice.below(left as u64) as i64 };
                let quantity = if amount == left { qty - done_qty } else { 0 };
                let of = RefundOf::Line { line: *line, quantity: quantity as i32, amount };
                gongfang::db::tx::write(&mut conn, |c| generate::refund(&orders_service, c, o.order, of, at)).unwrap();
                refunded.insert(*line, (done_fen + amount, done_qty + quantity));
            }
            for s in &o.shipments {
                if dice.chance(percent / 3) && shipping_refunded.insert(*s) {
                    let fee: i64 = gongfang::db::schema::shipments::table
                        .find(*s)
                        .select(gongfang::db::schema::shipments::shipping_fen)
                        .first(&mut conn)
                        .unwrap();
                    let of = RefundOf::Shipping { shipment: *s, amount: fee };
                    gongfang::db::tx::write(&mut conn, |c| generate::refund(&orders_service, c, o.order, of, at))
                        .unwrap();
                }
            }
        }
    };
    refund_round(&mut dice, sold_at + chrono::TimeDelta::days(1), 15);
    let run = |period: PayoutPeriod| {
        let payouts = app.payouts.with_clock(clock(first_day_after(period, 1)));
        payouts.run_blocking(period, None, None).unwrap()
    };
    let first = run(month);
    assert!(first.created > 0, "the first month pays someone: {first:?}");
    // Late refunds: some lines were already paid out, so balances may turn negative.
    refund_round(&mut dice, first_day_after(month, 3), 10);
    let second = run(month_after(month));
    // Refunds in the third month find no new sales settling then: balances below zero carry.
    refund_round(&mut dice, first_day_after(month_after(month), 3), 10);
    let third = run(month_after(month_after(month)));
    // Running a month again creates nothing.
    let again = run(month_after(month));
    assert_eq!((again.created, again.carried), (0, 0), "{again:?} after {second:?} {third:?}");
}

fn check_invariants(app: &TestApp) {
    let mut conn = app.db.conn().unwrap();
    // Every entry sums to zero.
    let postings: Vec<(i64, i64, String, Option<i64>, i64)> = journal_postings::table
        .select((
            journal_postings::entry_id,
            journal_postings::order_line_id,
            journal_postings::account,
            journal_postings::worker_id,
            journal_postings::amount_fen,
        ))
        .load(&mut conn)
        .unwrap();
    let mut per_entry: HashMap<i64, i64> = HashMap::new();
    for p in &postings {
        *per_entry.entry(p.0).or_default() += p.4;
    }
    assert!(per_entry.len() > 2_000, "thousands of entries: {}", per_entry.len());
    let unbalanced: Vec<_> = per_entry.iter().filter(|(_, sum)| **sum != 0).collect();
    assert!(unbalanced.is_empty(), "entries that do not sum to zero: {unbalanced:?}");

    // Per line: the postings hold the attribution of what was kept.
    let mut per_line: HashMap<i64, BTreeMap<(String, Option<i64>), i64>> = HashMap::new();
    for (_, line, account, worker, amount) in &postings {
        *per_line.entry(*line).or_default().entry((account.clone(), *worker)).or_default() += amount;
    }
    let lines = gongfang::db::ledger::terms_after(&mut conn, 0, i64::MAX).unwrap();
    let makers =
        gongfang::payouts::ledger::makers_by_line(&mut conn, &lines.iter().map(|l| l.id).collect::<Vec<_>>()).unwrap();
    let shipping: HashMap<i64, i64> = journal_entries::table
        .inner_join(journal_postings::table)
        .filter(journal_entries::kind.eq_any(["shipping", "shipping_refund"]))
        .filter(journal_postings::account.eq("workshop_payable"))
        .select((journal_entries::order_line_id, journal_postings::amount_fen))
        .load::<(i64, i64)>(&mut conn)
        .unwrap()
        .into_iter()
        .fold(HashMap::new(), |mut m, (l, a)| {
            *m.entry(l).or_default() += a;
            m
        });
    let (mut pools_net, mut full_refunds, mut checked) = (0i64, 0, 0);
    for l in &lines {
        let Some(stored) = per_line.get(&l.id) else { continue };
        checked += 1;
        let terms =
            gongfang::payouts::ledger::line_terms(l, makers.get(&l.id).map(Vec::as_slice).unwrap_or_default()).unwrap();
        let kept = gongfang::domain::Fen(terms.gross().get() - l.refunded_fen);
        let a = terms.attribute(kept);
        let wages: i64 = stored.iter().filter(|((acc, _), _)| acc == "wages_payable").map(|(_, v)| v).sum();
        assert_eq!(wages, a.wage_pool.get(), "line {}: Σ shares = wage pool of the kept {kept:?}", l.id);
        let ship = shipping.get(&l.id).copied().unwrap_or(0);
        assert_eq!(
            stored.get(&("platform_commission".into(), None)).copied().unwrap_or(0),
            a.commission.get(),
            "line {}",
            l.id
        );
        assert_eq!(
            stored.get(&("workshop_payable".into(), None)).copied().unwrap_or(0),
            a.workshop_keeps().get() + ship,
            "line {}",
            l.id
        );
        for (worker, share) in &a.shares {
            assert_eq!(
                stored.get(&("wages_payable".into(), Some(*worker))).copied().unwrap_or(0),
                share.get(),
                "line {} worker {worker}",
                l.id
            );
        }
        if kept.get() == 0 {
            full_refunds += 1;
            let nonzero: Vec<_> =
                stored.iter().filter(|((acc, _), v)| **v != 0 && !(acc != "wages_payable" && ship != 0)).collect();
            assert!(nonzero.is_empty(), "line {} was refunded in full but keeps {nonzero:?}", l.id);
        }
        pools_net += a.wage_pool.get();
    }
    assert!(checked > 2_000 && full_refunds > 10, "{checked} lines checked, {full_refunds} refunded in full");

    // No payout exceeds the settled balance at its cutoff, less what was paid before it.
    let all: Vec<(i64, i64, NaiveDateTime, i64, String)> = payouts::table
        .order(payouts::id)
        .select((payouts::id, payouts::workshop_id, payouts::cutoff, payouts::amount_fen, payouts::status))
        .load(&mut conn)
        .unwrap();
    let entries: Vec<(i64, i64, NaiveDateTime, Option<NaiveDateTime>)> = journal_entries::table
        .inner_join(order_lines::table)
        .select((
            journal_entries::id,
            journal_entries::workshop_id,
            journal_entries::posted_at,
            order_lines::settled_at,
        ))
        .load(&mut conn)
        .unwrap();
    let payable: HashMap<i64, i64> = postings
        .iter()
        .filter(|p| p.2 == "workshop_payable" || p.2 == "wages_payable")
        .fold(HashMap::new(), |mut m, p| {
            *m.entry(p.0).or_default() += p.4;
            m
        });
    let mut paid_before: HashMap<i64, i64> = HashMap::new();
    let (mut carried, mut paid) = (0, 0);
    for (id, workshop, cutoff, amount, status) in &all {
        let settled: i64 = entries
            .iter()
            .filter(|e| e.1 == *workshop && e.2 < *cutoff && e.3.is_some_and(|s| s < *cutoff))
            .map(|e| payable.get(&e.0).copied().unwrap_or(0))
            .sum();
        let before = paid_before.entry(*workshop).or_default();
        let balance = settled - *before;
        if status == "carried" {
            carried += 1;
            assert!(*amount <= 0 && balance <= 0, "payout {id}: carried {amount} with balance {balance}");
        } else {
            paid += 1;
            assert!(*amount > 0 && *amount <= balance, "payout {id} pays {amount} of a settled balance of {balance}");
            assert_eq!(*amount, balance, "payout {id} pays the whole settled balance");
            *before += amount;
        }
    }
    assert!(paid > 10 && carried > 0, "{paid} payouts and {carried} carried (late refunds)");

    // The statements sum to the wages of the paid entries, and with the unpaid rest to the
    // wage pools net of refunds.
    let stated: i64 =
        wage_statements::table.select(wage_statements::amount_fen).load::<i64>(&mut conn).unwrap().iter().sum();
    let paid_entries: std::collections::HashSet<i64> =
        payout_entries::table.select(payout_entries::entry_id).load::<i64>(&mut conn).unwrap().into_iter().collect();
    let (mut wages_paid, mut wages_unpaid) = (0, 0);
    for p in postings.iter().filter(|p| p.2 == "wages_payable") {
        if paid_entries.contains(&p.0) {
            wages_paid += p.4;
        } else {
            wages_unpaid += p.4;
        }
    }
    assert_eq!(stated, wages_paid);
    assert_eq!(stated + wages_unpaid, pools_net);

    let check =
        gongfang::payouts::verify::check(&mut conn, &gongfang::domain::employment_rule::RuleConfig::default(), None)
            .unwrap();
    assert!(check.problems.is_empty(), "{:?}", check.problems);
    assert_eq!(check.entries, per_entry.len());
}

#[tokio::test]
async fn the_ledger_keeps_its_invariants_over_thousands_of_random_orders() {
    let app = TestApp::spawn().await;
    let cases: u32 = std::env::var("TEST_LEDGER_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(4);
    let app = std::sync::Arc::new(app);
    let shared = app.clone();
    tokio::task::spawn_blocking(move || {
        let mut runner =
            TestRunner::new(Config { cases, max_shrink_iters: 0, failure_persistence: None, ..Config::default() });
        let case = std::sync::atomic::AtomicU32::new(0);
        runner
            .run(&proptest::prelude::any::<u64>(), |seed| {
                // Each case sells in its own quarter, so its payout months are its own.
                let case = case.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let start = PayoutPeriod::parse(&format!("{}-{:02}", 2027 + case / 4, 1 + 3 * (case % 4))).unwrap();
                scenario(&shared, seed, start, 500);
                Ok(())
            })
            .unwrap();
        check_invariants(&shared);
    })
    .await
    .unwrap();
    drop(app);
}

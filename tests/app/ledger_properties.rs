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
//! - a line that sold a variant was priced at that variant's price (a third of the products
//!   are given sizes at random prices first, through the editor's write path);
//! - custom orders in milestones (issue 20), made through the API at random prices, schedules,
//!   makers and wage rules, with a random number of milestones paid, then received or
//!   cancelled by either side before or after work began: each quote's milestones add up to
//!   its price, each paid milestone is a line attributed like any other (the checks above
//!   cover it), and each cancellation refunded exactly what the stated rule says;
//! - `audit verify`'s recomputation finds nothing.

use crate::support::TestApp;
use crate::users::User;
use chrono::{NaiveDateTime, TimeZone};
use diesel::prelude::*;
use gongfang::clock::Clock;
use gongfang::db::schema::{
    journal_entries, journal_postings, order_lines, payout_entries, payouts, product_variants, products,
    wage_statements,
};
use gongfang::domain::ledger::PayoutPeriod;
use gongfang::payouts::generate::{self, Catalogue, RefundOf};
use gongfang::seed::generate::Dice;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};
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

/// Gives every third product two to four sizes at random prices, as an editor's saved list.
fn give_variants(app: &TestApp, seed: u64) {
    use gongfang::domain::variant::{check, OptionInput, VariantInput, VariantsInput};
    let mut dice = Dice(seed);
    let mut conn = app.db.conn().unwrap();
    let ids: Vec<i64> = products::table.order(products::id).select(products::id).load(&mut conn).unwrap();
    let now = first_day_after(PayoutPeriod::parse("2026-12").unwrap(), 0);
    gongfang::db::tx::write(&mut conn, |c| {
        for id in ids.iter().step_by(3) {
            let sizes = 2 + dice.below(3);
            let input = VariantsInput {
                options: vec![OptionInput { name_zh: "尺寸".into(), name_en: "Size".into() }],
                variants: (0..sizes)
                    .map(|i| VariantInput {
                        sku: format!("P{id}-{i}"),
                        value1_zh: format!("{}号", i + 1),
                        value1_en: format!("No. {}", i + 1),
                        price_fen: 1 + dice.below(2_000_000) as i64,
                        stock: 10,
                        ..VariantInput::default()
                    })
                    .collect(),
            };
            let checked = check(&input, false)?;
            gongfang::db::variants::replace(c, gongfang::domain::ids::ProductId(*id), &checked, now)?;
        }
        Ok::<_, gongfang::error::AppError>(())
    })
    .unwrap();
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

/// The demo users a custom order needs: buyer, manager, editor, operator.
struct Roles {
    buyer: User,
    manager: User,
    editor: User,
    operator: User,
}

/// `bp` basis points as the percent a quote is typed in: 3350 → "33.50".
fn percent(bp: i64) -> String {
    format!("{}.{:02}", bp / 100, bp % 100)
}

/// Random parts of 10,000 in `n` pieces, each above nothing.
fn parts(dice: &mut Dice, n: usize) -> Vec<i64> {
    let mut cuts: Vec<i64> = (1..n).map(|_| 1 + dice.below(9_999) as i64).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut bounds = vec![0];
    bounds.extend(cuts);
    bounds.push(10_000);
    bounds.windows(2).map(|w| w[1] - w[0]).collect()
}

/// `count` custom orders with the demo workshop, each at a random price and schedule, with a
/// random number of milestones paid and a random end. Checks each quote's split and each
/// cancellation's refunds against the stated rule; returns how many milestones were paid.
async fn custom_scenario(app: &TestApp, seed: u64, count: usize) -> usize {
    use crate::custom_orders::{heritage_item, line_of, pay_next, post_progress, three_workers};
    // Signed in afresh: the clock has moved on since the last case.
    let who = Roles {
        buyer: User::demo(app, "buyer").await,
        manager: User::demo(app, "manager").await,
        editor: User::demo(app, "editor").await,
        operator: User::demo(app, "operator").await,
    };
    let mut dice = Dice(seed ^ 0xC0FFEE);
    let workshop = who.manager.workshop_id().await;
    let workers = three_workers(app, workshop);
    let mut paid_milestones = 0;
    for k in 0..count {
        let (status, made) = who
            .buyer
            .post_json(
                "/api/v1/workshops/xide-yi-lacquer/custom",
                &json!({"description": format!("定制 {seed:x}-{k}")}),
            )
            .await;
        assert_eq!(status, 200, "{made}");
        let id = made["id"].as_i64().unwrap();
        let price = 1 + dice.below(5_000_000) as i64;
        let n = 1 + dice.below(4) as usize;
        let shares = parts(&mut dice, n);
        let n = shares.len();
        let milestones: Vec<Value> = shares
            .iter()
            .enumerate()
            .map(|(i, bp)| {
                let due = if i + 1 == n {
                    "before_shipping"
                } else if i == 0 && dice.chance(70) {
                    "acceptance"
                } else {
                    "progress"
                };
                json!({"percent": percent(*bp), "due": due})
            })
            .collect();
        let makers_n = 1 + dice.below(3) as usize;
        let maker_parts = parts(&mut dice, makers_n);
        let makers: Vec<Value> = maker_parts
            .iter()
            .zip(&workers)
            .map(|(bp, w)| json!({"worker_id": w, "role": "maker", "share_bp": bp}))
            .collect();
        let quote = json!({
            "title_zh": "定制", "title_en": "Custom piece", "heritage_item_id": heritage_item(app, workshop),
            "price": percent(price), "lead_time_days": 1 + dice.below(365), "wage_rule": "share_of_net",
            "wage_bp": 1 + dice.below(10_000), "makers": makers, "milestones": milestones,
        });
        let (status, body) = who.manager.post_json(&format!("/api/v1/custom/{id}/quote"), &quote).await;
        assert_eq!(status, 200, "seed {seed}: {body} for {quote}");
        let (_, view) = who.buyer.get_json(&format!("/api/v1/custom/{id}")).await;
        let amounts: Vec<i64> =
            view["milestones"].as_array().unwrap().iter().map(|m| m["amount_fen"].as_i64().unwrap()).collect();
        assert_eq!(amounts.iter().sum::<i64>(), price, "seed {seed}: the milestones add up to the price: {view}");
        assert_eq!(who.buyer.post_json(&format!("/api/v1/custom/{id}/accept"), &json!({})).await.0, 200);

        // Some milestones paid, in order; a progress milestone after its photo.
        let to_pay = dice.below(n as u64 + 1) as usize;
        let mut numbers = Vec::new();
        for (i, m) in milestones.iter().take(to_pay).enumerate() {
            if m["due"] == "progress" {
                assert_eq!(post_progress(&who.editor, id, "进度").await, 200);
            }
            numbers.push(pay_next(&who.buyer, &who.operator, id, i == 0).await);
        }
        paid_milestones += numbers.len();
        if to_pay == n && dice.chance(50) {
            let parcel = json!({"carrier": "EMS", "tracking_number": format!("EA{id:09}CN")});
            assert_eq!(who.manager.post_json(&format!("/api/v1/custom/{id}/ship"), &parcel).await.0, 200);
            assert_eq!(who.buyer.post_json(&format!("/api/v1/custom/{id}/received"), &json!({})).await.0, 200);
            continue;
        }
        if dice.chance(50) {
            assert_eq!(post_progress(&who.editor, id, "开工").await, 200);
        }
        let (_, view) = who.buyer.get_json(&format!("/api/v1/custom/{id}")).await;
        let begun = view["work_begun"].as_bool().unwrap();
        let by_buyer = dice.chance(50);
        let canceller = if by_buyer { &who.buyer } else { &who.manager };
        let (status, body) = canceller.post_json(&format!("/api/v1/custom/{id}/cancel"), &json!({})).await;
        assert_eq!(status, 200, "seed {seed}: {body}");
        // The stated rule: the workshop's cancellation, or the buyer's before work began,
        // gives back every paid milestone whole; otherwise nothing is given back.
        let refund_all = !by_buyer || !begun;
        let mut conn = app.db.conn().unwrap();
        for number in &numbers {
            let (line, gross) = line_of(app, number);
            let refunded: i64 =
                order_lines::table.find(line).select(order_lines::refunded_fen).first(&mut conn).unwrap();
            let want = if refund_all { gross } else { 0 };
            assert_eq!(refunded, want, "seed {seed}: milestone order {number} (buyer {by_buyer}, begun {begun})");
        }
    }
    paid_milestones
}

/// A workstation with three designers, so that about a third of the generated lines give a
/// designer a share of their net.
fn give_designers(app: &TestApp) {
    let mut conn = app.db.conn().unwrap();
    let now = crate::support::test_clock().now().naive_utc();
    let station = gongfang::db::designers::insert_workstation(&mut conn, "性质测试工作站", "", "513400", now).unwrap();
    for name in ["甲", "乙", "丙"] {
        gongfang::db::designers::insert_designer(&mut conn, station, name, "", now).unwrap();
    }
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
    let (mut pools_net, mut full_refunds, mut checked, mut designed) = (0i64, 0, 0, 0i64);
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
        assert_eq!(
            stored.get(&("designer_payable".into(), None)).copied().unwrap_or(0),
            a.designer_fen().get(),
            "line {}: the designer's share of the kept {kept:?}",
            l.id
        );
        designed += i64::from(a.designer.is_some_and(|(_, f)| f.get() > 0));
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
    assert!(designed > 300, "only {designed} lines gave a designer a share");

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

    // A line that sold a variant was priced at it.
    let sold: Vec<(i64, i64, i64)> = order_lines::table
        .inner_join(product_variants::table.on(order_lines::variant_id.eq(product_variants::id.nullable())))
        .select((order_lines::id, order_lines::unit_price_fen, product_variants::price_fen))
        .load(&mut conn)
        .unwrap();
    assert!(sold.len() > 500, "variants were sold: {}", sold.len());
    let mispriced: Vec<_> = sold.iter().filter(|(_, line, variant)| line != variant).collect();
    assert!(mispriced.is_empty(), "lines priced apart from their variant: {mispriced:?}");

    let check =
        gongfang::payouts::verify::check(&mut conn, &gongfang::domain::employment_rule::RuleConfig::default(), None)
            .unwrap();
    assert!(check.problems.is_empty(), "{:?}", check.problems);
    assert_eq!(check.entries, per_entry.len());
}

#[tokio::test]
async fn the_ledger_keeps_its_invariants_over_thousands_of_random_orders() {
    // The app's own clock is moved to each case's sale day, so that custom orders made
    // through the API are sold, paid and settled in the case's months, before its payouts.
    let (app_clock, time) = Clock::manual(crate::support::test_clock().now());
    let app = TestApp::spawn_with_clock(app_clock).await;
    let cases: u32 = std::env::var("TEST_LEDGER_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(4);
    let app = std::sync::Arc::new(app);
    let shared = app.clone();
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let milestones = std::sync::atomic::AtomicUsize::new(0);
        let mut runner =
            TestRunner::new(Config { cases, max_shrink_iters: 0, failure_persistence: None, ..Config::default() });
        let case = std::sync::atomic::AtomicU32::new(0);
        give_variants(&shared, u64::from(cases));
        give_designers(&shared);
        runner
            .run(&proptest::prelude::any::<u64>(), |seed| {
                // Each case sells in its own quarter, so its payout months are its own.
                let case = case.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let start = PayoutPeriod::parse(&format!("{}-{:02}", 2027 + case / 4, 1 + 3 * (case % 4))).unwrap();
                let sale_day = first_day_after(start.previous(), 2).and_utc();
                time.advance((sale_day - app_clock.now()).max(chrono::TimeDelta::zero()));
                let paid = runtime.block_on(custom_scenario(&shared, seed, 12));
                milestones.fetch_add(paid, std::sync::atomic::Ordering::SeqCst);
                scenario(&shared, seed, start, 500);
                Ok(())
            })
            .unwrap();
        let milestones = milestones.into_inner();
        assert!(milestones >= 10, "only {milestones} milestones were paid");
        check_invariants(&shared);
    })
    .await
    .unwrap();
    drop(app);
}

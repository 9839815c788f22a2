//! Issue 15's privacy items: one definition of a poor household (the configured statuses) for
//! statements, receipts and reports; a paid order whose wages rounded to nothing has a receipt
//! of ¥0; and no public page or receipt lets a reader deduce a named artisan's household
//! status, checked by working out from every published figure what each artisan's workshop
//! could hold, as a reader with a spreadsheet would.

use crate::orders::{checkout_body, stocked_product};
use crate::support::TestApp;
use crate::users::User;
use chrono::TimeZone;
use diesel::prelude::*;
use gongfang::clock::Clock;
use gongfang::db::schema::{journal_entries, journal_postings, order_lines, orders, payouts, shipments, workers};
use gongfang::domain::household::HouseholdStatus;
use gongfang::domain::ledger::PayoutPeriod;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The current workers of a workshop, in id order.
fn current_workers(app: &TestApp, workshop: i64) -> Vec<i64> {
    let mut conn = app.db.conn().unwrap();
    workers::table
        .filter(workers::workshop_id.eq(workshop))
        .filter(workers::left_on.is_null())
        .order(workers::id)
        .select(workers::id)
        .load(&mut conn)
        .unwrap()
}

/// Makes `makers` (worker, status, share in basis points) the product's makers, with those
/// household statuses since 2020.
fn set_makers(app: &TestApp, product: i64, makers: &[(i64, &str, i64)]) {
    let mut sql = format!("DELETE FROM product_makers WHERE product_id = {product};");
    for (worker, status, share) in makers {
        sql.push_str(&format!(
            "INSERT INTO product_makers (product_id, worker_id, role, share_bp) VALUES ({product}, {worker}, 'maker', {share});
             DELETE FROM worker_household_statuses WHERE worker_id = {worker};
             INSERT INTO worker_household_statuses (worker_id, status, valid_from, valid_until, verified_by, verified_on, created_at) VALUES
               ({worker}, '{status}', '2020-01-01', NULL, 'county office', '2020-01-02', '2020-01-02 00:00:00');"
        ));
    }
    app.execute(&sql);
}

/// Checks out `product` × 1 as the buyer and confirms the payment; returns the order number.
async fn paid_order(buyer: &User, operator: &User, product: i64, key: &str) -> String {
    let (status, order) =
        buyer.post_json("/api/v1/checkout", &checkout_body(&[(product, 1)], key, "bank_transfer")).await;
    assert_eq!(status, 201, "{order}");
    let number = order["number"].as_str().unwrap().to_owned();
    let (_, impact) = buyer.get_json(&format!("/api/v1/orders/{number}/impact")).await;
    assert_eq!(impact, Value::Null, "nothing is attributed before the money arrives");
    let (status, body) = operator
        .post_json(&format!("/api/v1/portal/orders/{number}/confirm-payment"), &json!({"reference": key}))
        .await;
    assert_eq!(status, 200, "{body}");
    number
}

#[tokio::test]
async fn the_configured_poor_statuses_decide_statements_receipts_and_reports() {
    // Only registered poor households count: lifted-out and monitored ones do not.
    let app = TestApp::spawn_config(true, |c| c.reports.counted = vec![HouseholdStatus::RegisteredPoor]).await;
    let manager = User::demo(&app, "manager").await;
    let operator = User::demo(&app, "operator").await;
    let buyer = User::demo(&app, "buyer").await;
    let workshop = manager.workshop_id().await;
    let (product, _, _) = stocked_product(&app, Some(workshop), None);
    let people = current_workers(&app, workshop);
    assert!(people.len() >= 6, "the demo workshop has six current workers: {people:?}");
    let statuses = ["registered_poor", "registered_poor", "registered_poor", "lifted_out", "monitored", "lifted_out"];
    let makers: Vec<(i64, &str, i64)> =
        people.iter().zip(statuses).enumerate().map(|(i, (w, s))| (*w, s, if i == 5 { 1670 } else { 1666 })).collect();
    set_makers(&app, product, &makers);
    let counted: BTreeSet<i64> = makers.iter().filter(|m| m.1 == "registered_poor").map(|m| m.0).collect();

    let number = paid_order(&buyer, &operator, product, "poor-statuses-1").await;
    // The receipt: 3 of the 6 makers count (under the built-in rule all 6 would, and "6 of 6"
    // is never told).
    let (_, impact) = buyer.get_json(&format!("/api/v1/orders/{number}/impact")).await;
    assert_eq!(impact["makers"], json!({"kind": "exact", "value": 6}), "{impact}");
    assert_eq!(impact["poor_household_makers"], json!({"kind": "exact", "value": 3}), "{impact}");

    // Shipped, delivered, settled after the window, paid out in December's run.
    let shipment: i64 = {
        let mut conn = app.db.conn().unwrap();
        shipments::table.select(shipments::id).first(&mut conn).unwrap()
    };
    let (status, _) = manager
        .post_json(
            &format!("/api/v1/portal/shipments/{shipment}/ship"),
            &json!({"carrier": "SF", "tracking_number": "SF200"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = buyer.post_json(&format!("/api/v1/shipments/{shipment}/delivered"), &json!({})).await;
    assert_eq!(status, 200);
    let january = app.payouts.with_clock(Clock::Fixed(chrono::Utc.with_ymd_and_hms(2027, 1, 2, 4, 0, 0).unwrap()));
    let december = PayoutPeriod::parse("2026-12").unwrap();
    let report =
        tokio::task::spawn_blocking(move || january.run_blocking(december, None, None).unwrap()).await.unwrap();
    assert_eq!(report.created, 1, "{report:?}");
    let payout: i64 = {
        let mut conn = app.db.conn().unwrap();
        payouts::table.select(payouts::id).first(&mut conn).unwrap()
    };
    let (status, view) = manager.get_json(&format!("/api/v1/payouts/{payout}")).await;
    assert_eq!(status, 200, "{view}");
    let (mut wages, mut poor) = (0, 0);
    for s in view["statements"].as_array().unwrap() {
        let (worker, amount, part) = (
            s["worker_id"].as_i64().unwrap(),
            s["amount_fen"].as_i64().unwrap(),
            s["poor_household_fen"].as_i64().unwrap(),
        );
        assert!(amount > 0);
        assert_eq!(part, if counted.contains(&worker) { amount } else { 0 }, "worker {worker}: {s}");
        wages += amount;
        poor += part;
    }
    assert!(poor > 0 && poor < wages);

    // The officials' report of the sale's month says the same.
    let (status, d) = operator.get_json(&format!("/api/v1/reports?workshop={workshop}&period=2026-11")).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["totals"]["wages_fen"], wages, "{}", d["totals"]);
    assert_eq!(d["totals"]["poor_wages_fen"], poor, "{}", d["totals"]);
    // Headcount: of the workshop's current workers only the three registered poor count.
    assert_eq!(d["totals"]["poor_workers"], 3, "{}", d["totals"]);
}

#[tokio::test]
async fn a_paid_order_whose_wages_round_to_nothing_has_a_receipt_of_zero() {
    let app = TestApp::spawn().await;
    let operator = User::demo(&app, "operator").await;
    let buyer = User::demo(&app, "buyer").await;
    let (product, _, _) = stocked_product(&app, None, None);
    // ¥1.00 with a wage of 0.01% of the net: the pool is round(92 × 1 / 10,000) = 0.
    app.execute(&format!(
        "UPDATE products SET price_fen = 100, wage_rule = 'share_of_net', wage_bp = 1, piece_rate_fen = NULL WHERE id = {product};"
    ));
    let number = paid_order(&buyer, &operator, product, "zero-wages-1").await;
    let (status, impact) = buyer.get_json(&format!("/api/v1/orders/{number}/impact")).await;
    assert_eq!(status, 200);
    assert_eq!(impact["wages_fen"], 0, "{impact}");
    assert!(impact["paid_fen"].as_i64().unwrap() >= 100, "{impact}");
    assert_eq!(impact["makers"], json!({"kind": "exact", "value": 0}), "{impact}");
    let (_, page) = buyer.page(&format!("/orders/{number}?lang=en")).await;
    assert!(
        page.contains("¥0.00 went to makers&#x27; wages") || page.contains("¥0.00 went to makers' wages"),
        "{page}"
    );
    let (_, page) = buyer.page(&format!("/orders/{number}?lang=zh")).await;
    assert!(page.contains("¥0.00 成为手艺人的工资"), "{page}");
}

/// What a reader can know of a number: at least `lo`, at most `hi`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Range {
    lo: i64,
    hi: i64,
}

const UNKNOWN: Range = Range { lo: 0, hi: 1 << 40 };

impl Range {
    fn of(v: &Value) -> Range {
        v.as_i64().map_or(UNKNOWN, |n| Range { lo: n, hi: n })
    }

    fn narrow(&mut self, lo: i64, hi: i64) -> bool {
        let before = *self;
        self.lo = self.lo.max(lo);
        self.hi = self.hi.min(hi).min(UNKNOWN.hi);
        *self != before
    }
}

/// The quantities of a place: workers, poor, not poor, wages, poor wages, other wages.
const W: usize = 0;
const P: usize = 1;
const N: usize = 2;
const M: usize = 3;
const PM: usize = 4;
const NM: usize = 5;

#[derive(Debug, Clone)]
struct Place {
    children: Vec<usize>,
    vars: [Range; 6],
    workshop: Option<i64>,
}

/// `a = b + c`, narrowed both ways.
fn sum3(v: &mut [Range; 6], a: usize, b: usize, c: usize) -> bool {
    let (ra, rb, rc) = (v[a], v[b], v[c]);
    let mut changed = v[a].narrow(rb.lo + rc.lo, rb.hi + rc.hi);
    changed |= v[b].narrow(ra.lo - rc.hi, ra.hi - rc.lo);
    changed |= v[c].narrow(ra.lo - rb.hi, ra.hi - rb.lo);
    changed
}

/// Narrows every place's ranges from the published figures until nothing changes: each place
/// is the sum of its rows, workers are poor plus not poor, wages are poor plus other wages, and
/// nobody of a kind earns nothing of that kind's wages... and vice versa.
fn deduce(places: &mut [Place]) {
    for _ in 0..200 {
        let mut changed = false;
        for i in 0..places.len() {
            let v = &mut places[i].vars;
            changed |= sum3(v, W, P, N);
            changed |= sum3(v, M, PM, NM);
            for (heads, money) in [(P, PM), (N, NM)] {
                if v[heads].hi == 0 {
                    changed |= v[money].narrow(0, 0);
                }
                if v[money].lo > 0 {
                    changed |= v[heads].narrow(1, UNKNOWN.hi);
                }
            }
            let children = places[i].children.clone();
            if children.is_empty() {
                continue;
            }
            for k in 0..6 {
                let lo: i64 = children.iter().map(|c| places[*c].vars[k].lo).sum();
                let hi: i64 = children.iter().map(|c| places[*c].vars[k].hi.min(UNKNOWN.hi)).sum();
                changed |= places[i].vars[k].narrow(lo, hi);
                let parent = places[i].vars[k];
                for c in &children {
                    let others_lo = lo - places[*c].vars[k].lo;
                    let others_hi = hi - places[*c].vars[k].hi;
                    changed |= places[*c].vars[k].narrow(parent.lo - others_hi, parent.hi - others_lo);
                }
            }
        }
        if !changed {
            return;
        }
    }
}

/// Walks every public page of a period from the country down: the places and their figures as
/// published.
async fn walk(app: &TestApp, period: &str) -> Vec<Place> {
    let mut places = vec![Place { children: Vec::new(), vars: [UNKNOWN; 6], workshop: None }];
    let mut pages = vec![(0, format!("/api/v1/impact?period={period}"))];
    while let Some((at, path)) = pages.pop() {
        let (status, page) = app.json(&path).await;
        assert_eq!(status, 200, "{path}: {page}");
        let vars = |r: &Value| {
            let mut v = [UNKNOWN; 6];
            v[W] = Range::of(&r["workers"]);
            v[P] = Range::of(&r["poor_workers"]);
            v[M] = Range::of(&r["wages_fen"]);
            v[PM] = Range::of(&r["poor_wages_fen"]);
            v
        };
        if at == 0 {
            places[0].vars = vars(&page["total"]);
        }
        for r in page["rows"].as_array().unwrap() {
            // The rule itself, row by row: a poor-household count is shown only with 3 on
            // each side and wages on both sides.
            if let (Some(w), Some(p)) = (r["workers"].as_i64(), r["poor_workers"].as_i64()) {
                let (m, pm) = (r["wages_fen"].as_i64().unwrap(), r["poor_wages_fen"].as_i64().unwrap());
                assert!(w == 0 || (p >= 3 && w - p >= 3 && (m == 0 || (pm > 0 && pm < m))), "{path}: {r}");
            }
            let link = r["link"].as_str().unwrap();
            let workshop = link.starts_with("/impact/workshops/").then(|| r["key"].as_str().unwrap().parse().unwrap());
            places.push(Place { children: Vec::new(), vars: vars(r), workshop });
            let id = places.len() - 1;
            places[at].children.push(id);
            if workshop.is_none() {
                pages.push((id, format!("/api/v1{link}")));
            }
        }
    }
    places
}

/// The poor-household counts a receipt leaves possible for `makers` makers.
fn possible(count: &Value, makers: i64) -> Vec<i64> {
    (0..=makers)
        .filter(|p| match count["kind"].as_str().unwrap() {
            "exact" => count["value"].as_i64() == Some(*p),
            "fewer_than" => *p > 0 && *p < count["value"].as_i64().unwrap(),
            "withheld" => true,
            other => panic!("unknown count kind {other}"),
        })
        .collect()
}

#[tokio::test]
async fn no_public_page_or_receipt_tells_a_named_artisans_status() {
    let app = TestApp::spawn().await;
    // A workshop that names its artisans where everyone is from a poor household: "6 of 6"
    // would tell each named artisan's status.
    let all_poor: i64 = {
        let mut conn = app.db.conn().unwrap();
        workers::table
            .filter(workers::consent_name.eq(true))
            .order(workers::id)
            .select(workers::workshop_id)
            .first(&mut conn)
            .unwrap()
    };
    app.execute(&format!(
        "UPDATE worker_household_statuses SET status = 'registered_poor' WHERE worker_id IN \
         (SELECT id FROM workers WHERE workshop_id = {all_poor})"
    ));
    crate::reports::generated_sales(&app, 5);
    let operator = User::demo(&app, "operator").await;
    let buyer = User::demo(&app, "buyer").await;
    // Two one-maker pieces by named artisans of two other workshops, one from a poor household
    // and one not.
    let products_of_others = |not: Vec<i64>| {
        use gongfang::db::schema::products;
        let mut conn = app.db.conn().unwrap();
        products::table
            .filter(products::status.eq("active"))
            .filter(products::made_to_order.eq(false))
            .filter(products::stock.ge(3))
            .filter(products::workshop_id.ne_all(not))
            .order(products::id)
            .select((products::id, products::workshop_id))
            .first::<(i64, i64)>(&mut conn)
            .unwrap()
    };
    let (first, first_workshop) = products_of_others(vec![all_poor]);
    let (second, _) = products_of_others(vec![all_poor, first_workshop]);
    for (product, status, key) in [(first, "registered_poor", "one-maker-1"), (second, "not_poor", "one-maker-2")] {
        let mut conn = app.db.conn().unwrap();
        let workshop: i64 = gongfang::db::schema::products::table
            .find(product)
            .select(gongfang::db::schema::products::workshop_id)
            .first(&mut conn)
            .unwrap();
        let maker = current_workers(&app, workshop)[0];
        app.execute(&format!("UPDATE workers SET consent_name = TRUE WHERE id = {maker}"));
        set_makers(&app, product, &[(maker, status, 10_000)]);
        paid_order(&buyer, &operator, product, key).await;
    }

    // Every receipt, as its buyer sees it, with the maker count a buyer knows from the
    // product pages.
    let mut conn = app.db.conn().unwrap();
    let numbers: Vec<(i64, String)> = orders::table
        .filter(orders::paid_at.is_not_null())
        .select((orders::id, orders::number))
        .load(&mut conn)
        .unwrap();
    assert!(numbers.len() > 100, "{} paid orders", numbers.len());
    let mut one_maker = 0;
    for (id, number) in &numbers {
        let wages: Vec<(Option<i64>, i64)> = journal_postings::table
            .inner_join(journal_entries::table.inner_join(order_lines::table))
            .filter(order_lines::order_id.eq(id))
            .filter(journal_postings::account.eq("wages_payable"))
            .select((journal_postings::worker_id, journal_postings::amount_fen))
            .load(&mut conn)
            .unwrap();
        let mut per: BTreeMap<i64, i64> = BTreeMap::new();
        for (w, a) in wages {
            *per.entry(w.unwrap()).or_default() += a;
        }
        let makers = per.values().filter(|a| **a > 0).count() as i64;
        one_maker += usize::from(makers == 1);
        let (status, impact) = operator.get_json(&format!("/api/v1/orders/{number}/impact")).await;
        assert_eq!(status, 200, "{number}: {impact}");
        let p = possible(&impact["poor_household_makers"], makers);
        assert!(!p.is_empty(), "{number}: {impact} is impossible for {makers} makers");
        if makers > 0 {
            assert!(
                p.iter().any(|p| *p > 0) && p.iter().any(|p| *p < makers),
                "{number}: {impact} tells the status of its {makers} makers"
            );
        }
    }
    assert!(one_maker >= 2, "one-maker receipts were checked");

    // Every public page of the year, a quarter and a month.
    let named: Vec<(i64, i64)> = workers::table
        .filter(workers::consent_name.eq(true))
        .filter(workers::left_on.is_null())
        .select((workers::id, workers::workshop_id))
        .load(&mut conn)
        .unwrap();
    let mut named_per_workshop: BTreeMap<i64, i64> = BTreeMap::new();
    for (_, w) in &named {
        *named_per_workshop.entry(*w).or_default() += 1;
    }
    assert!(named_per_workshop.len() >= 5, "named artisans in {} workshops", named_per_workshop.len());
    for period in ["2026", "2026-Q2", "2026-11"] {
        let mut places = walk(&app, period).await;
        assert!(places.len() > 20, "{period}: {} places", places.len());
        for p in places.iter_mut() {
            if let Some(n) = p.workshop.and_then(|w| named_per_workshop.get(&w)) {
                p.vars[W].narrow(*n, UNKNOWN.hi);
            }
        }
        deduce(&mut places);
        let mut checked = 0;
        for p in &places {
            let Some(workshop) = p.workshop else { continue };
            if !named_per_workshop.contains_key(&workshop) {
                continue;
            }
            checked += 1;
            let v = &p.vars;
            assert!(v[P].hi > 0, "{period}: workshop {workshop}'s named artisans are known not to be poor: {v:?}");
            assert!(v[N].hi > 0, "{period}: workshop {workshop}'s named artisans are known to be poor: {v:?}");
            if v[M].lo > 0 {
                assert!(v[PM].hi > 0 && v[NM].hi > 0, "{period}: workshop {workshop}'s wages went to one side: {v:?}");
            }
        }
        assert_eq!(checked, named_per_workshop.len(), "{period}: every named artisan's workshop was reached");
        assert!(named_per_workshop.contains_key(&all_poor));
    }
}

//! The 30% rule on a fixture built around the threshold (exactly 30% meets it; a worker who
//! left, or whose household status changed, moves a workshop across it; the threshold and the
//! statuses that count are configuration), and the public impact pages' small-cell
//! suppression, checked page by page and across pages.

use crate::support::TestApp;
use crate::users::User;
use chrono::NaiveDate;
use gongfang::db::writes::{self, NewHouseholdStatus, NewWorker, NewWorkshop};
use gongfang::domain::household::HouseholdStatus;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// One worker of the fixture: status, the day they left, and a later status from a day.
type W = (&'static str, Option<NaiveDate>, Option<(NaiveDate, &'static str)>);

fn workshop(app: &TestApp, slug: &str, issued: NaiveDate, people: &[W]) -> i64 {
    let mut conn = app.db.conn().unwrap();
    let now = day(2026, 1, 1).and_hms_opt(0, 0, 0).unwrap();
    let id = writes::insert_workshop(
        &mut conn,
        &NewWorkshop {
            slug: slug.into(),
            name_zh: format!("工坊{slug}"),
            name_en: format!("Workshop {slug}"),
            county_code: "513432".into(),
            prefecture_code: Some("513400".into()),
            province_code: "510000".into(),
            story_zh: String::new(),
            story_en: String::new(),
            cert_number: Some(format!("CERT-{slug}")),
            cert_authority: Some("喜德县文化广播电视和旅游局".into()),
            cert_issued_on: Some(issued),
            cert_last_confirmed_on: None,
            commission_bp: 800,
            status: "active".into(),
            featured: false,
            is_demo: false,
            created_at: now,
            updated_at: now,
        },
        &[1],
    )
    .unwrap();
    for (i, (status, left, change)) in people.iter().enumerate() {
        let worker = NewWorker {
            workshop_id: id,
            name_zh: format!("{slug}工人{i}"),
            name_latin: format!("{slug} worker {i}"),
            story_zh: String::new(),
            story_en: String::new(),
            photo_path: None,
            consent_name: false,
            consent_photo: false,
            consent_story: false,
            consent_updated_at: now,
            inheritor_level: "none".into(),
            home_county_code: None,
            joined_on: day(2024, 1, 1),
            left_on: *left,
            created_at: now,
            updated_at: now,
        };
        let status_row = |status: &str, from: NaiveDate, until: Option<NaiveDate>| NewHouseholdStatus {
            worker_id: 0,
            status: status.into(),
            valid_from: from,
            valid_until: until,
            verified_by: "喜德县乡村振兴局".into(),
            verified_on: from,
            created_at: now,
        };
        let history = match change {
            None => vec![status_row(status, day(2024, 1, 1), None)],
            Some((from, later)) => vec![
                status_row(status, day(2024, 1, 1), Some(*from - chrono::TimeDelta::days(1))),
                status_row(later, *from, None),
            ],
        };
        writes::insert_worker(&mut conn, &worker, &history).unwrap();
    }
    id
}

fn people(poor: usize, of: usize, status: &'static str) -> Vec<W> {
    (0..of).map(|i| (if i < poor { status } else { "not_poor" }, None, None)).collect()
}

/// The fixture: a–i in one county, on each side of 30% and exactly on it.
fn fixture(app: &TestApp) -> BTreeMap<&'static str, i64> {
    let active = day(2026, 3, 1);
    let mut f = people(3, 10, "registered_poor");
    f[0].1 = Some(day(2025, 6, 1)); // a poor worker who left before 2026: 2 of 9
    let mut g = people(3, 10, "lifted_out");
    g[0].2 = Some((day(2026, 7, 1), "not_poor")); // 3 of 10 in Q1, 2 of 10 at the year's end
    [
        ("a", day(2022, 1, 1), people(2, 10, "registered_poor")), // 20%, and lapsed
        ("b", day(2025, 1, 10), people(3, 10, "registered_poor")), // exactly 30%, confirmation due
        ("c", active, people(6, 20, "lifted_out")),               // exactly 30%
        ("d", active, people(3, 11, "registered_poor")),          // 27.3%
        ("e", active, people(1, 3, "monitored")),                 // 33.3%
        ("f", active, f),
        ("g", active, g),
        ("h", active, Vec::new()),                 // nobody
        ("i", active, people(3, 10, "monitored")), // 30% of monitored households
    ]
    .into_iter()
    .map(|(slug, issued, ppl)| (slug, workshop(app, &format!("rule-{slug}"), issued, &ppl)))
    .collect()
}

async fn statuses(
    user: &User,
    period: &str,
    ids: &BTreeMap<&'static str, i64>,
) -> (BTreeMap<&'static str, String>, BTreeSet<&'static str>) {
    let (status, d) = user.get_json(&format!("/api/v1/reports?region=513432&period={period}")).await;
    assert_eq!(status, 200, "{d}");
    // Only the fixture's workshops: the demo has one in this county too.
    let name = |id: &str| ids.iter().find(|(_, v)| v.to_string() == id).map(|(k, _)| *k);
    let rows = d["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| Some((name(r["key"].as_str().unwrap())?, r["rule"]["status"].as_str().unwrap().to_owned())))
        .collect();
    let risk = d["at_risk"].as_array().unwrap().iter().filter_map(|r| name(&r["workshop_id"].to_string())).collect();
    (rows, risk)
}

#[tokio::test]
async fn the_rule_flags_exactly_the_workshops_below_the_threshold() {
    let app = TestApp::spawn().await;
    let ids = fixture(&app);
    let operator = User::demo(&app, "operator").await;
    let (rows, risk) = statuses(&operator, "2026", &ids).await;
    let below: BTreeSet<&str> = rows.iter().filter(|(_, s)| *s == "below").map(|(k, _)| *k).collect();
    assert_eq!(below, BTreeSet::from(["a", "d", "f", "g"]), "{rows:?}");
    assert_eq!(rows["b"], "meets", "exactly 30% meets the rule");
    assert_eq!(rows["c"], "meets", "exactly 30% (6 of 20) meets the rule");
    assert_eq!(rows["h"], "no_workers");
    // At risk: those below, plus the lapsed (a) and the one due for confirmation (b).
    assert_eq!(risk, BTreeSet::from(["a", "b", "d", "f", "g"]), "{risk:?}");
    let (_, d) = operator.get_json(&format!("/api/v1/reports?workshop={}&period=2026", ids["a"])).await;
    assert_eq!(d["totals"]["lapsed"], 1);
    let (_, d) = operator.get_json(&format!("/api/v1/reports?workshop={}&period=2026", ids["b"])).await;
    assert_eq!((d["totals"]["certified"].as_i64(), d["totals"]["confirmation_due"].as_i64()), (Some(1), Some(1)));
    // In the first quarter g's worker was still from a poor household: 3 of 10.
    let (rows, _) = statuses(&operator, "2026-Q1", &ids).await;
    assert_eq!(rows["g"], "meets", "{rows:?}");
    // The county's own line follows its own share.
    let (_, d) = operator.get_json("/api/v1/reports?region=513432&period=2026").await;
    assert_eq!(
        d["totals"]["headcount_share"]["part"].as_i64().unwrap() * 10
            < d["totals"]["headcount_share"]["whole"].as_i64().unwrap() * 3,
        d["rule"]["status"] == "below"
    );
    // The page says it in words and draws the 30% line.
    let (status, page) = operator.page("/officials?region=513432&period=2026").await;
    assert_eq!(status, 200);
    assert!(page.contains("class=\"threshold\"") && page.contains("30%"));
    assert!(page.contains("工坊rule-d"));
}

#[tokio::test]
async fn the_threshold_and_the_statuses_that_count_are_configuration() {
    let app = TestApp::spawn_config(true, |c| {
        c.reports.threshold_bp = 3500;
        c.reports.counted = vec![HouseholdStatus::RegisteredPoor, HouseholdStatus::LiftedOut];
    })
    .await;
    let ids = fixture(&app);
    let operator = User::demo(&app, "operator").await;
    let (rows, _) = statuses(&operator, "2026", &ids).await;
    let meets: BTreeSet<&str> = rows.iter().filter(|(_, s)| *s == "meets").map(|(k, _)| *k).collect();
    // 35%: none of the 30% workshops meets it; monitored households (e, i) no longer count.
    assert!(meets.is_empty(), "{rows:?}");
    assert_eq!(rows["e"], "below");
    let (_, d) = operator.get_json("/api/v1/reports?region=513432&period=2026").await;
    assert_eq!(d["threshold_bp"], 3500);
}

/// Every public count is 0 or at least 3, and no total gives a hidden cell away.
fn check_page(page: &Value, path: &str) {
    let cell = |r: &Value, k: &str| r[k].as_i64();
    for r in page["rows"].as_array().unwrap().iter().chain(std::iter::once(&page["total"])) {
        for k in ["workers", "poor_workers"] {
            if let Some(n) = cell(r, k) {
                assert!(n == 0 || n >= 3, "{path}: {k} = {n} is shown");
            }
        }
        assert_eq!(r["workers"].is_null(), r["wages_fen"].is_null(), "{path}: wages go with heads");
        assert_eq!(r["poor_workers"].is_null(), r["poor_wages_fen"].is_null(), "{path}: poor wages go with poor heads");
    }
    let rows = page["rows"].as_array().unwrap();
    for k in ["workers", "poor_workers"] {
        let hidden = rows.iter().filter(|r| r[k].is_null()).count();
        if !page["total"][k].is_null() {
            assert_ne!(hidden, 1, "{path}: one hidden {k} under a shown total could be subtracted out");
            if hidden == 0 {
                let sum: i64 = rows.iter().map(|r| r[k].as_i64().unwrap()).sum();
                assert!(rows.is_empty() || sum == page["total"][k].as_i64().unwrap(), "{path}: {k} rows add up");
            }
        } else if !rows.is_empty() {
            assert!(hidden >= 1, "{path}: a hidden total with every {k} row shown gives it away");
        }
    }
}

#[tokio::test]
async fn public_impact_pages_show_aggregates_and_suppress_small_cells_consistently() {
    let app = TestApp::spawn().await;
    crate::reports::generated_sales(&app, 3);
    // One workshop (喜德) with a single poor-household worker: its county is a small cell.
    app.execute(
        "UPDATE worker_household_statuses SET status = 'not_poor' WHERE worker_id IN \
         (SELECT w.id FROM workers w JOIN workshops k ON k.id = w.workshop_id WHERE k.county_code = '513432'); \
         UPDATE worker_household_statuses SET status = 'registered_poor' WHERE worker_id = \
         (SELECT MIN(w.id) FROM workers w JOIN workshops k ON k.id = w.workshop_id WHERE k.county_code = '513432');",
    );
    let mut pages = vec!["/api/v1/impact?period=2026".to_owned()];
    let mut seen = 0;
    let mut hidden_cells = 0;
    while let Some(path) = pages.pop() {
        let (status, page) = app.json(&path).await;
        assert_eq!(status, 200, "{path}: {page}");
        check_page(&page, &path);
        seen += 1;
        for r in page["rows"].as_array().unwrap() {
            hidden_cells += usize::from(r["poor_workers"].is_null()) + usize::from(r["workers"].is_null());
            let link = r["link"].as_str().unwrap();
            let child_path = format!("/api/v1{link}");
            let (_, child) = app.json(&child_path).await;
            // A region's own page says what its parent's page says of it, hidden or not.
            for k in ["workers", "poor_workers", "wages_fen", "poor_wages_fen", "workshops"] {
                assert_eq!(child["total"][k], r[k], "{child_path}: {k} differs from its row on {path}");
            }
            if !link.starts_with("/impact/workshops/") {
                pages.push(child_path);
            }
        }
    }
    assert!(seen >= 6, "the walk reached the counties: {seen} pages");
    assert!(hidden_cells >= 2, "the fixture's small cell and its partner are hidden");
    let (_, liangshan) = app.json("/api/v1/impact/regions/513400?period=2026").await;
    let xide = liangshan["rows"].as_array().unwrap().iter().find(|r| r["key"] == "513432").unwrap();
    assert!(xide["poor_workers"].is_null() && xide["poor_wages_fen"].is_null(), "{xide}");
    assert!(xide["workers"].as_i64().unwrap() >= 3, "the county's headcount is still shown");

    // The pages name no worker and show no status, and unknown places are not found.
    let (status, html) = app.page("/impact/regions/513432?period=2026").await;
    assert_eq!(status, 200);
    let names: Vec<String> = {
        use diesel::prelude::*;
        let mut conn = app.db.conn().unwrap();
        gongfang::db::schema::workers::table.select(gongfang::db::schema::workers::name_zh).load(&mut conn).unwrap()
    };
    assert!(names.iter().all(|n| !html.contains(n.as_str())), "a worker's name is on a public page");
    assert!(!html.contains("registered_poor") && html.contains("不公开"));
    assert_eq!(app.json("/api/v1/impact/regions/999999").await.0, 404);
    assert_eq!(app.json("/api/v1/impact/workshops/no-such-workshop").await.0, 404);
    assert_eq!(app.json("/api/v1/impact?period=2026-13").await.0, 400);
}

//! The officials' reports against the real app, on generated sales: every dashboard figure is
//! recomputed here from the journal, the workers and the statements (never from the roll-up
//! or the report code) and compared to the fen, at every level, for several periods and a
//! heritage slice; scope holds however the URL is edited; exports carry the same numbers and
//! digests that `audit verify` checks.

use crate::reports_expect::{Expected, Journal};
use crate::support::TestApp;
use crate::users::User;
use chrono::{NaiveDateTime, TimeZone};
use diesel::prelude::*;
use gongfang::clock::Clock;
use gongfang::domain::ledger::PayoutPeriod;
use gongfang::payouts::generate::{self, Catalogue, RefundOf};
use gongfang::seed::generate::Dice;

fn at(y: i32, m: u32, d: u32) -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(4, 0, 0).unwrap()
}

fn clock(t: NaiveDateTime) -> Clock {
    Clock::Fixed(chrono::Utc.from_utc_datetime(&t))
}

/// Sales in several months of 2026 (and one of 2025), some refunded, one month paid out with
/// part of its wages disbursed and acknowledged; a worker who left in March and a household
/// status that changed in October.
pub fn generated_sales(app: &TestApp, seed: u64) {
    let mut dice = Dice(seed);
    let mut conn = app.db.conn().unwrap();
    for (i, sold_at) in
        [at(2025, 12, 20), at(2026, 1, 10), at(2026, 6, 3), at(2026, 9, 14), at(2026, 10, 2), at(2026, 11, 20)]
            .into_iter()
            .enumerate()
    {
        let cat = Catalogue::load(&mut conn, sold_at).unwrap();
        let specs: Vec<_> = (0..40).map(|_| generate::random_order(&mut dice, &cat, 3, 4)).collect();
        let written = gongfang::db::tx::write(&mut conn, |c| {
            let w = generate::write_paid_orders(c, &cat, &specs, &format!("R{seed:x}-{i}"), sold_at)?;
            let ids: Vec<i64> = w.iter().map(|o| o.order).collect();
            gongfang::payouts::ledger::post_captures(c, &ids, sold_at, sold_at.date())?;
            Ok::<_, gongfang::error::AppError>(w)
        })
        .unwrap();
        let shipments: Vec<i64> = written.iter().flat_map(|o| o.shipments.clone()).collect();
        generate::deliver(&mut conn, &shipments, sold_at + chrono::TimeDelta::days(3)).unwrap();
        // A tenth of the lines refunded in part, a fortnight later (so in the next month for some).
        let refund_at = sold_at + chrono::TimeDelta::days(14);
        let orders = app.orders.with_clock(clock(refund_at));
        for o in &written {
            for line in &o.lines {
                if dice.chance(10) {
                    use gongfang::db::schema::order_lines;
                    let (price, qty): (i64, i32) = order_lines::table
                        .find(*line)
                        .select((order_lines::unit_price_fen, order_lines::quantity))
                        .first(&mut conn)
                        .unwrap();
                    let gross = price * i64::from(qty);
                    let of = RefundOf::Line { line: *line, quantity: 0, amount: 1 + dice.below(gross as u64) as i64 };
                    gongfang::db::tx::write(&mut conn, |c| generate::refund(&orders, c, o.order, of, refund_at))
                        .unwrap();
                }
            }
        }
    }
    // September and October are paid out; part of the wages is disbursed, less acknowledged.
    for (period, run_at) in [("2026-09", at(2026, 10, 2)), ("2026-10", at(2026, 11, 2))] {
        let payouts = app.payouts.with_clock(clock(run_at));
        payouts.run_blocking(PayoutPeriod::parse(period).unwrap(), None, None).unwrap();
    }
    app.execute(
        "INSERT INTO wage_disbursements (statement_id, method, reference, paid_on, recorded_at) \
         SELECT id, 'bank', 'REF-' || CAST(id AS TEXT), '2026-11-05', '2026-11-05 02:00:00' FROM wage_statements WHERE id % 2 = 0; \
         UPDATE wage_statements SET acknowledged_at = '2026-11-06 02:00:00' WHERE id % 3 = 0;",
    );
    // Headcounts: someone left in March; someone's household status changed in October.
    app.execute(
        "UPDATE workers SET left_on = '2026-03-15' WHERE id = (SELECT MIN(id) FROM workers); \
         INSERT INTO worker_household_statuses (worker_id, status, valid_from, verified_by, verified_on, created_at) \
         SELECT MAX(id), 'registered_poor', '2026-10-15', 'test', '2026-10-15', '2026-10-15 00:00:00' FROM workers;",
    );
}

/// The scopes checked: `(query, how the test groups its rows)`.
fn scopes(app_first_workshop: i64) -> Vec<(String, crate::reports_expect::Level)> {
    use crate::reports_expect::Level;
    vec![
        (String::new(), Level::Province),
        ("region=510000".into(), Level::Prefecture),
        ("region=513400".into(), Level::County),
        ("region=513432".into(), Level::Workshop),
        (format!("workshop={app_first_workshop}"), Level::Worker),
    ]
}

#[tokio::test]
async fn every_dashboard_figure_is_the_journals_to_the_fen() {
    let app = TestApp::spawn().await;
    generated_sales(&app, 7);
    let operator = User::demo(&app, "operator").await;
    let journal = Journal::load(&app);
    let xide: i64 = journal.workshops.iter().find(|w| w.county == "513432").map(|w| w.id).unwrap();
    let heritage = journal.postings.iter().map(|p| p.heritage).min().unwrap();
    let mut compared = 0;
    for (scope, level) in scopes(xide) {
        for period in ["2026", "2026-Q4", "2026-11", "2025-12"] {
            for h in [None, Some(heritage)] {
                if h.is_some() && level == crate::reports_expect::Level::Worker {
                    continue;
                }
                let mut q = format!("period={period}");
                if !scope.is_empty() {
                    q.push_str(&format!("&{scope}"));
                }
                if let Some(h) = h {
                    q.push_str(&format!("&heritage={h}"));
                }
                let (status, d) = operator.get_json(&format!("/api/v1/reports?{q}")).await;
                assert_eq!(status, 200, "{q}: {d}");
                let expected = Expected::compute(&journal, &scope, period, h, level);
                expected.assert_matches(&d, &q);
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 36);
    // The money is really there: the whole year has sales, refunds and statements.
    let (_, year) = operator.get_json("/api/v1/reports?period=2026").await;
    for figure in
        ["gross_fen", "wages_fen", "poor_wages_fen", "disbursed_fen", "acknowledged_fen", "workers", "poor_workers"]
    {
        assert!(year["totals"][figure].as_i64().unwrap() > 0, "{figure} is zero: the fixture proves nothing");
    }
    let (code, out) = app.audit_verify();
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("roll-up rows equal the journal"), "{out}");
}

/// A county official in 513432 (昭觉's neighbour 喜德), made like the demo official.
pub async fn county_official(app: &TestApp) -> User {
    app.execute(
        "INSERT INTO users (email, password_hash, display_name, lang, role, region_code, is_demo, created_at, updated_at) \
         SELECT 'county@demo.gongfang.cn', password_hash, '喜德县', 'zh', 'official', '513432', is_demo, created_at, updated_at \
         FROM users WHERE email = 'official@demo.gongfang.cn';",
    );
    User::login(app, "county@demo.gongfang.cn", crate::users::DEMO_PASSWORD).await
}

#[tokio::test]
async fn an_official_sees_their_region_and_nothing_else_however_the_url_is_edited() {
    let app = TestApp::spawn().await;
    generated_sales(&app, 11);
    let journal = Journal::load(&app);
    let county = county_official(&app).await;
    let own = journal.workshops.iter().find(|w| w.county == "513432").unwrap().id;
    let neighbour = journal.workshops.iter().find(|w| w.county == "513431").unwrap().id;
    let elsewhere = journal.workshops.iter().find(|w| w.prefecture.as_deref() != Some("513400")).unwrap().id;

    let (status, d) = county.get_json("/api/v1/reports?period=2026").await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["region_code"], "513432", "an official starts at their own region");
    assert!(d["rows"].as_array().unwrap().iter().all(|r| r["key"].as_str() == Some(own.to_string().as_str())));
    let (status, w) = county.get_json(&format!("/api/v1/reports?period=2026&workshop={own}")).await;
    assert_eq!(status, 200, "{w}");
    assert!(!w["rows"].as_array().unwrap().is_empty(), "the official in scope sees worker rows");

    for edited in [
        "region=513400".to_owned(),
        "region=513431".to_owned(),
        "region=510000".to_owned(),
        "region=999999".to_owned(),
        "region=51343".to_owned(),
        "region=513432%27%20OR%201%3D1".to_owned(),
        format!("workshop={neighbour}"),
        format!("workshop={elsewhere}"),
        "workshop=abc".to_owned(),
        format!("region=513432&workshop={neighbour}"),
    ] {
        let (status, body) = county.get_json(&format!("/api/v1/reports?period=2026&{edited}")).await;
        assert_eq!(status, 404, "{edited}: {body}");
        let res = county
            .client
            .get(county.url(&format!("/officials/export?period=2026&format=csv&{edited}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 404, "export with {edited}");
    }
    let (status, _) = county.get_json("/api/v1/reports?period=2026-13").await;
    assert_eq!(status, 400, "a bad period is the user's error");

    // The prefecture's official sees both counties and drills into a workshop; not Garzê.
    let prefecture = User::demo(&app, "official").await;
    let (status, d) = prefecture.get_json("/api/v1/reports?period=2026").await;
    assert_eq!(status, 200);
    let keys: Vec<&str> = d["rows"].as_array().unwrap().iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert!(keys.contains(&"513432") && keys.contains(&"513431"), "{keys:?}");
    assert_eq!(prefecture.get_json("/api/v1/reports?region=513300").await.0, 404);
    assert_eq!(prefecture.get_json(&format!("/api/v1/reports?workshop={neighbour}")).await.0, 200);

    // Others: a buyer and a manager are refused, a stranger must sign in.
    assert_eq!(User::demo(&app, "buyer").await.get_json("/api/v1/reports").await.0, 403);
    assert_eq!(User::demo(&app, "manager").await.get_json("/api/v1/reports").await.0, 403);
    assert_eq!(User::anonymous(&app).await.get_json("/api/v1/reports").await.0, 401);

    // Every view of worker rows is in the audit log, with the viewer.
    let mut conn = app.db.conn().unwrap();
    use gongfang::db::schema::audit_log;
    let seen: Vec<(String, String)> = audit_log::table
        .filter(audit_log::action.eq("report.workers"))
        .select((audit_log::subject, audit_log::action))
        .load(&mut conn)
        .unwrap();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen.iter().any(|(s, _)| s == &format!("workshop:{own}")));
}

pub fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    r.records().map(|rec| rec.unwrap().iter().map(str::to_owned).collect()).collect()
}

/// The total row of a rows table (as CSV), by column heading: the headings for people and,
/// for programs, `key` (`TOTAL` on this row) and the amounts in fen.
fn total_of(rows: &[Vec<String>]) -> std::collections::HashMap<String, String> {
    let header = rows.iter().find(|r| r.iter().any(|c| c == "key")).expect("a header row");
    let key = header.iter().position(|c| c == "key").unwrap();
    let total = rows.iter().find(|r| r.get(key).map(String::as_str) == Some("TOTAL")).expect("a total row");
    header.iter().cloned().zip(total.iter().cloned()).collect()
}

#[tokio::test]
async fn exports_carry_the_dashboards_numbers_and_a_digest_audit_verify_checks() {
    let app = TestApp::spawn().await;
    generated_sales(&app, 5);
    let official = User::demo(&app, "official").await;
    let (_, d) = official.get_json("/api/v1/reports?period=2026").await;
    let totals = &d["totals"];

    // CSV of the rows table: titled, dated, with the digest, and the same totals.
    let res =
        official.client.get(official.url("/officials/export?period=2026&format=csv&table=rows")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let digest = res.headers()["x-report-digest"].to_str().unwrap().to_owned();
    let text = res.text().await.unwrap();
    assert!(text.starts_with("工坊收入归属报告 · 凉山彝族自治州 · "), "{}", &text[..80]);
    assert!(text.contains(&digest) && text.contains("生成于") && text.contains("（北京时间）"));
    let total = total_of(&csv_rows(&text));
    for figure in
        ["gross_fen", "commission_fen", "net_fen", "wages_fen", "poor_wages_fen", "disbursed_fen", "acknowledged_fen"]
    {
        assert_eq!(total[figure], totals[figure].as_i64().unwrap().to_string(), "{figure} in fen for programs");
    }
    // For people: the same money in yuan under words, and the counts.
    let fen = totals["gross_fen"].as_i64().unwrap();
    assert_eq!(total["销售总额（元）"], format!("{}.{:02}", fen / 100, fen % 100));
    assert_eq!(total["从业人数"], totals["workers"].to_string());
    assert_eq!(total["脱贫家庭工人"], totals["poor_workers"].to_string());

    // XLSX: LibreOffice opens it; the total row's SUM formulas, computed by LibreOffice, equal
    // the dashboard's totals; the definitions sheet defines every column.
    let res = official.client.get(official.url("/officials/export?period=2026&format=xlsx")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let xlsx = res.bytes().await.unwrap().to_vec();
    match crate::support::libreoffice_sheets(&xlsx, "xlsx") {
        None => crate::support::skip("LibreOffice (soffice) is not installed: the XLSX was not opened"),
        Some(sheets) => {
            let rows = sheets.iter().find(|(name, _)| name.ends_with("rows")).expect("a rows sheet");
            let total = total_of(&csv_rows(&rows.1));
            for figure in ["gross_fen", "wages_fen", "poor_wages_fen", "disbursed_fen"] {
                assert_eq!(total[figure], totals[figure].as_i64().unwrap().to_string(), "{figure} in LibreOffice");
            }
            for (heading, figure) in [("从业人数", "workers"), ("脱贫家庭工人", "poor_workers")] {
                assert_eq!(total[heading], totals[figure].as_i64().unwrap().to_string(), "{figure} in LibreOffice");
            }
            // The yuan column's SUM is the fen total / 100.
            let yuan: f64 = total["归属工资（元）"].parse().unwrap();
            assert_eq!((yuan * 100.0).round() as i64, totals["wages_fen"].as_i64().unwrap());
            let defs = sheets.iter().find(|(name, _)| name.ends_with("definitions")).expect("a definitions sheet");
            for column in ["headcount_share", "poor_wages_fen", "avg_monthly_poor_wage_fen", "acknowledged_fen"] {
                assert!(defs.1.contains(column), "{column} is defined");
            }
        }
    }

    // The command line exports the same figures, with progress and its own digest record.
    let out_path = app.data_dir.join("cli-report.xlsx");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gongfang"))
        .args(["report", "export", "--region", "513400", "--period", "2026", "--out"])
        .arg(&out_path)
        .env("DATABASE_URL", app.database_url())
        .env("GONGFANG_DATA_DIR", &app.data_dir)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&digest), "the same figures give the same digest");
    assert!(std::fs::metadata(&out_path).unwrap().len() > 1000);

    let (code, text) = app.audit_verify();
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("3 export digests recomputed"), "{text}");

    // A tampered digest, or a roll-up that drifted from the journal, is named.
    app.execute("UPDATE report_exports SET digest = 'bad' WHERE id = 1;");
    let (code, text) = app.audit_verify();
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("report export 1"), "{text}");
    app.execute("UPDATE report_exports SET digest = (SELECT digest FROM report_exports WHERE id = 2) WHERE id = 1;");
    app.execute("UPDATE report_months SET wages_fen = wages_fen + 1 WHERE workshop_id = (SELECT MIN(workshop_id) FROM report_months);");
    let (code, text) = app.audit_verify();
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("report roll-up (workshop"), "{text}");
}

#[tokio::test]
async fn a_small_national_dataset_seeds_verifies_and_reports_what_its_journal_says() {
    let app = TestApp::spawn().await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gongfang"))
        .args(["seed", "--scale", "national"])
        .env("DATABASE_URL", app.database_url())
        .env("GONGFANG_DATA_DIR", &app.data_dir)
        .env("GONGFANG_NATIONAL_FRACTION", "0.001")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("national dataset") && said.contains("5000 lines"), "{said}");
    let (code, text) = app.audit_verify();
    assert_eq!(code, Some(0), "{text}");

    let operator = User::demo(&app, "operator").await;
    let journal = Journal::load(&app);
    // The province with the most postings.
    let mut postings: std::collections::BTreeMap<&str, usize> = Default::default();
    for p in &journal.postings {
        let w = journal.workshops.iter().find(|w| w.id == p.workshop).unwrap();
        *postings.entry(w.province.as_str()).or_default() += 1;
    }
    let province = postings.iter().max_by_key(|(_, n)| **n).map(|(p, _)| (*p).to_owned()).unwrap();
    for (scope, level) in [
        (String::new(), crate::reports_expect::Level::Province),
        (format!("region={province}"), crate::reports_expect::Level::Prefecture),
    ] {
        let q = if scope.is_empty() { "period=2025".to_owned() } else { format!("period=2025&{scope}") };
        let (status, d) = operator.get_json(&format!("/api/v1/reports?{q}")).await;
        assert_eq!(status, 200, "{d}");
        Expected::compute(&journal, &scope, "2025", None, level).assert_matches(&d, &q);
        assert!(d["totals"]["gross_fen"].as_i64().unwrap() > 0, "{q}: the seed sold something in 2025");
    }
}

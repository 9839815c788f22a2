//! Issue 16, item 11: the demo has a year of history. `seed --demo` (here: the same prepare
//! step with the history asked for) adds a year of sales, refunds, payouts, disbursements and
//! acknowledgements through the application's own rules; the official's dashboard then shows
//! plausible figures, the demo buyer's receipts and the manager's statements have something
//! to show, `audit verify` recomputes all of it from the journal, and seeding again adds
//! nothing.

use crate::support::TestApp;
use crate::users::User;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(app: &TestApp, sql: &str) -> i64 {
    let mut conn = app.db.conn().unwrap();
    diesel::sql_query(sql).get_result::<Count>(&mut *conn).unwrap().n
}

/// Everything the history is made of, counted.
fn census(app: &TestApp) -> [i64; 8] {
    [
        count(app, "SELECT COUNT(*) AS n FROM orders"),
        count(app, "SELECT COUNT(*) AS n FROM refunds"),
        count(app, "SELECT COUNT(*) AS n FROM journal_entries"),
        count(app, "SELECT COUNT(*) AS n FROM payouts"),
        count(app, "SELECT COUNT(*) AS n FROM wage_statements"),
        count(app, "SELECT COUNT(*) AS n FROM wage_disbursements"),
        count(app, "SELECT COUNT(*) AS n FROM wage_statements WHERE acknowledged_at IS NOT NULL"),
        count(app, "SELECT COUNT(*) AS n FROM users"),
    ]
}

#[tokio::test]
async fn the_demo_has_a_true_year_of_sales_payouts_and_acknowledgements() {
    let started = std::time::Instant::now();
    let app = TestApp::spawn_with_history().await;
    let seconds = started.elapsed().as_secs_f64();
    println!("app with the demo history ready in {seconds:.1} s");

    // A year of it, in every part.
    let [orders, refunds, entries, payouts, statements, disbursed, acknowledged, _] = census(&app);
    println!(
        "{orders} orders, {refunds} refunds, {entries} entries, {payouts} payouts, {statements} statement lines, {disbursed} disbursed, {acknowledged} acknowledged"
    );
    assert!(orders >= 1_200, "{orders} orders");
    assert!(refunds >= 20 && refunds * 10 < orders, "{refunds} refunds of {orders} orders");
    assert!(entries > orders, "{entries} journal entries");
    assert!(payouts >= 100, "{payouts} payouts: about a dozen workshops for eleven months");
    assert!(statements >= payouts * 3, "{statements} statement lines");
    assert!(disbursed * 10 >= statements * 8 && disbursed < statements, "{disbursed} of {statements} disbursed");
    assert!(
        acknowledged * 10 >= disbursed * 7 && acknowledged < disbursed,
        "{acknowledged} of {disbursed} acknowledged"
    );
    let months = count(&app, "SELECT COUNT(DISTINCT month) AS n FROM report_months WHERE gross_fen > 0");
    assert!(months >= 12, "sales in {months} months");
    // Bank payouts went out and were confirmed; the newest ones are still on their way.
    assert!(count(&app, "SELECT COUNT(*) AS n FROM payouts WHERE status = 'confirmed'") >= payouts - 20);
    // Recent orders are not all delivered yet: the manager has parcels to ship.
    assert!(count(&app, "SELECT COUNT(*) AS n FROM shipments WHERE status = 'pending'") > 0);
    assert!(count(&app, "SELECT COUNT(*) AS n FROM shipments WHERE status = 'delivered'") * 10 > orders * 9);

    // The official's dashboard: hundreds of yuan a month per poor-household worker.
    let official = User::demo(&app, "official").await;
    let (status, d) = official.get_json("/api/v1/reports?period=2026").await;
    assert_eq!(status, 200, "{d}");
    let t = &d["totals"];
    let avg = t["avg_monthly_poor_wage_fen"].as_i64().unwrap();
    println!("the official's 2026: {t}");
    assert!((10_000..300_000).contains(&avg), "monthly wage per poor-household worker: ¥{}", avg as f64 / 100.0);
    assert!(t["gross_fen"].as_i64().unwrap() > 10_000_000, "{t}");
    assert!(t["disbursed_fen"].as_i64().unwrap() > 0 && t["acknowledged_fen"].as_i64().unwrap() > 0, "{t}");
    assert!(d["months"].as_array().unwrap().iter().filter(|m| m[1]["gross_fen"].as_i64() > Some(0)).count() >= 10);
    let (_, page) = official.page("/officials?period=2026").await;
    let shown = page.split("data-figure=\"gross_fen\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert!(shown.starts_with('¥') && shown.contains(','), "gross sales with thousands separators: {shown}");

    // The demo buyer has a year of orders, each with its receipt.
    let buyer = User::demo(&app, "buyer").await;
    let (_, mine) = buyer.get_json("/api/v1/orders").await;
    let mine = mine.as_array().cloned().or_else(|| mine["orders"].as_array().cloned()).unwrap_or_default();
    assert!(mine.len() >= 10, "the demo buyer's orders: {}", mine.len());
    let number = mine.iter().filter_map(|o| o["number"].as_str()).next_back().unwrap().to_owned();
    let (status, receipt) = buyer.get_json(&format!("/api/v1/orders/{number}/impact")).await;
    assert_eq!(status, 200, "{receipt}");
    assert!(receipt["wages_fen"].as_i64().unwrap_or(0) > 0, "{receipt}");

    // The manager's payouts carry statements, recorded and acknowledged.
    let manager = User::demo(&app, "manager").await;
    let (status, page) = manager.page("/portal/payouts").await;
    assert_eq!(status, 200);
    let payout = page.split("/payouts/").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let (status, p) = manager.get_json(&format!("/api/v1/payouts/{payout}")).await;
    assert_eq!(status, 200, "{p}");
    assert!(!p["statements"].as_array().unwrap().is_empty(), "{p}");

    // The journal recomputes everything.
    let (code, text) = app.audit_verify();
    assert_eq!(code, Some(0), "{text}");

    // Seeding again (the command line, on the system clock) adds nothing.
    let before = census(&app);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gongfang"))
        .args(["seed", "--demo"])
        .env("DATABASE_URL", app.database_url())
        .env("GONGFANG_DATA_DIR", &app.data_dir)
        .env("GONGFANG_MEDIA_DIR", crate::support::shared_media_dir())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(census(&app), before, "a second seed adds nothing");
    let (code, text) = app.audit_verify();
    assert_eq!(code, Some(0), "{text}");
}

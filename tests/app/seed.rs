//! Reference data and the demo catalogue: real, complete and idempotent.

use crate::support::{shared_media_dir, test_clock, TestApp};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use gongfang::catalog::Catalog;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Labelled {
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(app: &TestApp, sql: &str) -> i64 {
    let mut conn = app.db.conn().unwrap();
    diesel::sql_query(sql).get_result::<Count>(&mut *conn).unwrap().n
}

fn grouped(app: &TestApp, sql: &str) -> Vec<(String, i64)> {
    let mut conn = app.db.conn().unwrap();
    diesel::sql_query(sql).load::<Labelled>(&mut *conn).unwrap().into_iter().map(|r| (r.label, r.n)).collect()
}

#[tokio::test]
async fn reference_data_is_loaded_in_full() {
    let app = TestApp::spawn_with(false).await;
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM regions"), 3213);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM regions WHERE level = 'province'"), 34);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM regions WHERE level = 'prefecture'"), 333);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM poverty_counties"), 832);
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM regions WHERE poverty_county"),
        830,
        "832 rows, one without a code, one code twice"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM regions WHERE sanqu_sanzhou"), 20);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM regions WHERE key_support_area"), 5);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM heritage_items"), 55);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM workshops"), 0, "plain serve adds no demo data");
    // The region page works on reference data alone.
    let (status, body) = app.json("/api/v1/regions/540123").await;
    assert_eq!(status, 200);
    assert_eq!(body["region"]["name_zh"], "尼木县");
    assert_eq!(body["flags"]["sanqu_sanzhou"], true, "inherited from Tibet");
    assert_eq!(body["flags"]["key_support_area"], true);
}

#[tokio::test]
async fn demo_catalogue_is_rich_and_well_formed() {
    let app = TestApp::spawn().await;
    assert!(count(&app, "SELECT COUNT(*) AS n FROM workshops") >= 12);
    assert!(count(&app, "SELECT COUNT(*) AS n FROM workers") >= 60);
    assert!(count(&app, "SELECT COUNT(*) AS n FROM products WHERE status = 'active'") >= 100);
    // Workshops sit in real key areas (三区三州 or key support areas, at any level).
    let outside = count(
        &app,
        "SELECT COUNT(*) AS n FROM workshops w WHERE NOT EXISTS (SELECT 1 FROM regions r WHERE r.code IN (w.county_code, w.prefecture_code, w.province_code) AND (r.sanqu_sanzhou OR r.key_support_area)) \
         AND w.province_code <> '520000'",
    );
    assert_eq!(outside, 0, "demo workshops outside key areas (Guizhou's Miao silver aside)");
    // Every product has makers whose shares sum to 100%, a wage rule and a picture.
    let bad_shares = count(&app, "SELECT COUNT(*) AS n FROM (SELECT product_id FROM product_makers GROUP BY product_id HAVING SUM(share_bp) <> 10000) x");
    assert_eq!(bad_shares, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM products p WHERE NOT EXISTS (SELECT 1 FROM product_makers m WHERE m.product_id = p.id)"), 0);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM products p WHERE NOT EXISTS (SELECT 1 FROM product_images i WHERE i.product_id = p.id)"), 0);
    // Makers work at the product's workshop.
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM product_makers m JOIN products p ON p.id = m.product_id JOIN workers w ON w.id = m.worker_id WHERE w.workshop_id <> p.workshop_id"),
        0
    );
    // A realistic mix of household statuses (current ones) and of consent choices.
    let statuses = grouped(&app, "SELECT status AS label, COUNT(*) AS n FROM worker_household_statuses WHERE valid_until IS NULL GROUP BY status ORDER BY status");
    assert_eq!(statuses.len(), 4, "all four statuses occur: {statuses:?}");
    let poor: i64 = statuses.iter().filter(|(s, _)| s != "not_poor").map(|(_, n)| n).sum();
    let workers = count(&app, "SELECT COUNT(*) AS n FROM workers");
    assert!(poor * 100 >= workers * 30, "demo workshops meet the 30% rule overall: {poor}/{workers}");
    let consents = grouped(&app, "SELECT CASE WHEN consent_name THEN 'named' ELSE 'anonymous' END AS label, COUNT(*) AS n FROM workers GROUP BY consent_name ORDER BY label");
    assert_eq!(consents.len(), 2, "some workers chose anonymity: {consents:?}");
    // Made-to-order and stocked pieces, and both wage rules.
    assert!(count(&app, "SELECT COUNT(*) AS n FROM products WHERE made_to_order") > 0);
    assert!(count(&app, "SELECT COUNT(*) AS n FROM products WHERE wage_rule = 'piece_rate'") > 0);
    assert!(count(&app, "SELECT COUNT(*) AS n FROM products WHERE wage_rule = 'share_of_net'") > 0);
}

#[tokio::test]
async fn seeding_twice_adds_nothing() {
    let app = TestApp::spawn().await;
    let products = count(&app, "SELECT COUNT(*) AS n FROM products");
    let db = app.db.clone();
    let report = tokio::task::spawn_blocking(move || {
        let reference = Catalog::load_reference(&mut db.conn().unwrap()).unwrap();
        gongfang::seed::seed_demo(&db, &reference, &shared_media_dir(), test_clock().today(), false).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(report, gongfang::seed::DemoReport::default());
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM products"), products);
    assert!(gongfang::seed::ensure_reference(&app.db).unwrap().is_none(), "reference data is not loaded twice");
}

//! Consent and certification rules: a maker without consent is never named, anywhere; a
//! workshop whose certification lapsed leaves the storefront.

use crate::support::TestApp;

#[tokio::test]
async fn withdrawing_consent_hides_the_maker_everywhere() {
    let app = TestApp::spawn().await;
    let (_, p) = app.json("/api/v1/products/xide-yi-lacquer-wine-cup-set").await;
    let lead = &p["makers"][0];
    let worker_id = lead["worker_id"].as_i64().expect("the lead maker is named in the demo");
    let name_zh = lead["display_name"].as_str().unwrap().to_owned();
    let name_latin = lead["display_name_latin"].as_str().unwrap().to_owned();
    let trace = p["trace_code"].as_str().unwrap().to_owned();
    let (_, html) = app.page("/products/xide-yi-lacquer-wine-cup-set").await;
    assert!(html.contains(&name_zh), "named before withdrawal");

    app.execute(&format!("UPDATE workers SET consent_name = FALSE WHERE id = {worker_id}"));

    let (_, p) = app.json("/api/v1/products/xide-yi-lacquer-wine-cup-set").await;
    let lead = &p["makers"][0];
    assert!(lead["display_name"].is_null() && lead["display_name_latin"].is_null() && lead["worker_id"].is_null());
    assert!(lead["share_bp"].as_i64().unwrap() > 0, "the share is still shown");
    let api_text = p.to_string();
    assert!(!api_text.contains(&name_zh) && !api_text.contains(&name_latin));

    for path in [
        "/products/xide-yi-lacquer-wine-cup-set".to_string(),
        format!("/t/{trace}"),
        "/workshops/xide-yi-lacquer".to_string(),
        "/products?workshop=xide-yi-lacquer".to_string(),
        "/".to_string(),
    ] {
        let (status, html) = app.page(&path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!html.contains(&name_zh), "{path} must not name the maker");
    }
    let (_, html) = app.page("/products/xide-yi-lacquer-wine-cup-set").await;
    assert!(html.contains("火塘彝漆工坊的一位手艺人"), "shown as a craftsperson of the workshop");
    let res = app.get_lang("/products/xide-yi-lacquer-wine-cup-set", "en").await;
    let html = res.text().await.unwrap();
    assert!(!html.contains(&name_latin));
    assert!(html.contains("a craftsperson of Firepit Yi Lacquer Workshop"));

    let (_, list) = app.json("/api/v1/products?workshop=xide-yi-lacquer&per_page=100").await;
    assert!(!list.to_string().contains(&name_zh), "list API");
    let (_, w) = app.json("/api/v1/workshops/xide-yi-lacquer").await;
    assert!(!w.to_string().contains(&name_zh), "workshop API");

    let (status, _) = app.page(&format!("/artisans/{worker_id}")).await;
    assert_eq!(status, 404, "no artisan page without consent");
}

#[tokio::test]
async fn story_and_photo_need_their_own_consent() {
    let app = TestApp::spawn().await;
    let (_, w) = app.json("/api/v1/workshops/xide-yi-lacquer").await;
    let id = w["artisans"][0]["id"].as_i64().unwrap();
    app.execute(&format!(
        "UPDATE workers SET consent_story = TRUE, consent_photo = FALSE, story_zh = '独特的故事标记', photo_path = 'demo/x.jpg' WHERE id = {id}"
    ));
    let (_, html) = app.page(&format!("/artisans/{id}")).await;
    assert!(html.contains("独特的故事标记"));
    assert!(!html.contains("/media/demo/x.jpg"), "no photo without photo consent");
    app.execute(&format!("UPDATE workers SET consent_story = FALSE, consent_photo = TRUE WHERE id = {id}"));
    let (_, html) = app.page(&format!("/artisans/{id}")).await;
    assert!(!html.contains("独特的故事标记"), "no story without story consent");
    assert!(html.contains("/media/demo/x.jpg"));
}

#[tokio::test]
async fn a_lapsed_workshop_leaves_the_storefront() {
    let app = TestApp::spawn().await;
    let (_, before) = app.json("/api/v1/products?per_page=1").await;
    // Last confirmed more than two years before the test's "today" (2026-11-28).
    app.execute("UPDATE workshops SET cert_issued_on = '2020-01-01', cert_last_confirmed_on = '2024-11-01' WHERE slug = 'xide-yi-lacquer'");
    let (_, after) = app.json("/api/v1/products?per_page=1").await;
    assert_eq!(after["total"].as_i64().unwrap(), before["total"].as_i64().unwrap() - 8);
    let (status, _) = app.json("/api/v1/products/xide-yi-lacquer-wine-cup-set").await;
    assert_eq!(status, 404);
    let (_, html) = app.page("/workshops").await;
    assert!(!html.contains("火塘彝漆工坊"));

    // One missed confirmation is only "due": still listed.
    app.execute("UPDATE workshops SET cert_last_confirmed_on = '2025-06-01' WHERE slug = 'xide-yi-lacquer'");
    let (status, w) = app.json("/api/v1/workshops/xide-yi-lacquer").await;
    assert_eq!(status, 200);
    assert_eq!(w["workshop"]["certification"]["status"], "confirmation_due");
    let (status, _) = app.json("/api/v1/products/xide-yi-lacquer-wine-cup-set").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn household_status_never_reaches_public_pages_or_the_api() {
    let app = TestApp::spawn().await;
    let (_, list) = app.json("/api/v1/products?per_page=100").await;
    let (_, w) = app.json("/api/v1/workshops/xide-yi-lacquer").await;
    let (_, html) = app.page("/workshops/xide-yi-lacquer").await;
    for text in [list.to_string(), w.to_string(), html] {
        for secret in ["registered_poor", "lifted_out", "monitored", "not_poor", "建档立卡", "乡村振兴局（示例）"]
        {
            assert!(!text.contains(secret), "{secret} leaked");
        }
    }
}

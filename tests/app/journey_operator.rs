//! The operator's first hour in Chromium, at a phone's and a desktop's width: sign in, open
//! the review queue from the portal, approve a product, and it is on sale; then read an
//! order's packing slip and a trace page, which must work on a phone. Every page passes
//! `webdriver::check_page` (axe, no sideways scroll).

use crate::support::TestApp;
use crate::users::{User, DEMO_PASSWORD};
use crate::webdriver::{browser, check_page, driver, screenshot, sign_in, WIDTHS};
use diesel::prelude::*;
use fantoccini::Locator;
use gongfang::db::schema::products;

#[tokio::test]
async fn an_operator_approves_a_product_from_the_review_queue_and_reads_a_packing_slip() {
    let Some(driver) = driver().await else { return };
    // A public address as long as a real one: the trace page and the slip print it.
    let app =
        TestApp::spawn_config(true, |c| c.public_url = "http://gongfang-heritage-workshops.example.org.cn".into())
            .await;
    let manager = User::demo(&app, "manager").await;
    let workshop = manager.workshop_id().await;
    // Two of the workshop's live products put back in review, one for each width.
    let in_review: Vec<(i64, String)> = {
        let mut conn = app.db.conn().unwrap();
        let picked: Vec<(i64, String)> = products::table
            .filter(products::workshop_id.eq(workshop).and(products::status.eq("active")))
            .order(products::id)
            .select((products::id, products::slug))
            .limit(2)
            .load(&mut *conn)
            .unwrap();
        for (id, _) in &picked {
            diesel::update(products::table.find(id)).set(products::status.eq("in_review")).execute(&mut *conn).unwrap();
        }
        picked
    };
    assert_eq!(in_review.len(), 2);
    // An order of the workshop's, for its packing slip.
    let order = crate::orders::demo_order(&app, 2, "operator-journey").await;
    let number = order["number"].as_str().expect("an order number").to_string();

    for ((id, slug), size) in in_review.iter().zip(WIDTHS) {
        let width = size.0;
        let at = |what: &str| format!("{what} at {width} px");
        assert_eq!(app.page(&format!("/products/{slug}")).await.0, 404, "not on sale while in review");
        let b = browser(&driver, size, "zh-CN", None).await;
        sign_in(&b, &app.base, "operator@demo.gongfang.cn", DEMO_PASSWORD).await;
        b.goto(&app.url("/portal")).await.unwrap();
        b.wait().for_element(Locator::Css("a[href='/portal/review']")).await.unwrap().click().await.unwrap();
        b.wait().for_element(Locator::Css(&format!("a[href='/portal/products/{id}']"))).await.unwrap();
        check_page(&b, &at("the review queue")).await;
        b.find(Locator::Css(&format!("a[href='/portal/products/{id}']"))).await.unwrap().click().await.unwrap();
        let approve = b.wait().for_element(Locator::Css("button[name=decision][value=approve]")).await.unwrap();
        check_page(&b, &at("the product under review")).await;
        approve.click().await.unwrap();
        for _ in 0..100 {
            if app.page(&format!("/products/{slug}")).await.0 == 200 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(app.page(&format!("/products/{slug}")).await.0, 200, "approved and on sale");
        check_page(&b, &at("the page after approval")).await;

        // The packing slip, printable and readable on a phone.
        b.goto(&app.url(&format!("/portal/orders/{number}/slip"))).await.unwrap();
        b.wait().for_element(Locator::Css("article.slip table.slip-lines")).await.unwrap();
        check_page(&b, &at("the packing slip")).await;
        let qr_right = b
            .execute(
                "const img = document.querySelector('.slip-lines img'); return img.getBoundingClientRect().right <= document.documentElement.clientWidth;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(qr_right, serde_json::json!(true), "{}: the QR code is on screen", at("the packing slip"));
        screenshot(&b, &format!("journey-operator-slip-{width}")).await;
        // A piece's trace page, which prints the same public address under its QR code.
        let (_, detail) = app.json(&format!("/api/v1/products/{slug}")).await;
        let code = detail["trace_code"].as_str().or(detail["product"]["trace_code"].as_str()).expect("a trace code");
        b.goto(&app.url(&format!("/t/{code}"))).await.unwrap();
        b.wait().for_element(Locator::Css("article.trace")).await.unwrap();
        check_page(&b, &at("the trace page")).await;
        b.close().await.unwrap();
    }
}

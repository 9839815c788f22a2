//! A workshop manager's first hour, clicked through in Chromium at a phone's and a desktop's
//! width on the demo data: sign in → the products → a new product with three makers (rows
//! added with "add a maker", the running total updated by its script) → a mistyped price,
//! refused with everything kept and the message beside the price → fixed and created → a
//! photo uploaded → a cash-on-delivery order accepted → a paid order shipped. Every page
//! passes `webdriver::check_page` (axe, no sideways scroll).

use crate::orders::{checkout_body, stocked_product};
use crate::support::TestApp;
use crate::users::{User, DEMO_PASSWORD};
use crate::webdriver::{
    browser, check_page, driver, element, fill, screenshot, sign_in, text_of, visit, wait_for_path, WIDTHS,
};
use fantoccini::Client;
use serde_json::{json, Value};

#[tokio::test]
async fn a_manager_lists_a_product_with_three_makers_fixes_a_mistyped_price_and_ships_an_order() {
    let Some(driver) = driver().await else { return };
    for size in WIDTHS {
        let app = TestApp::spawn().await;
        let b = browser(&driver, size, "zh-CN", None).await;
        journey(&app, &b, size.0).await;
        b.close().await.unwrap();
    }
}

/// Two orders of the manager's workshop, placed through checkout by the demo buyer: one cash
/// on delivery waiting for the workshop to accept it, one bank transfer an operator confirmed.
async fn orders_of(app: &TestApp, workshop: i64) -> (String, String) {
    let buyer = User::demo(app, "buyer").await;
    let (product, _, _) = stocked_product(app, Some(workshop), None);
    let mut numbers = Vec::new();
    for (key, method) in [("journey-manager-order-1", "cash_on_delivery"), ("journey-manager-order-2", "bank_transfer")]
    {
        let (status, placed) = buyer.post_json("/api/v1/checkout", &checkout_body(&[(product, 1)], key, method)).await;
        assert_eq!(status, 201, "{placed}");
        numbers.push(placed["number"].as_str().unwrap().to_owned());
    }
    let operator = User::demo(app, "operator").await;
    let confirm = format!("/api/v1/portal/orders/{}/confirm-payment", numbers[1]);
    assert_eq!(operator.post_json(&confirm, &json!({"reference": "BANK-JOURNEY-2"})).await.0, 200);
    (numbers[0].clone(), numbers[1].clone())
}

async fn click(b: &Client, selector: &str) {
    element(b, selector).await.click().await.unwrap();
}

/// The product form's visible submit button (the first one, hidden, is only the default for
/// the Enter key).
const SUBMIT: &str = "form.product-form > button[type=submit]:not(.sr)";

async fn journey(app: &TestApp, b: &Client, width: u32) {
    let at = |what: &str| format!("{what} at {width} px");
    let manager = User::demo(app, "manager").await;
    let w = manager.workshop_id().await;
    let (to_confirm, to_ship) = orders_of(app, w).await;
    let (_, roster) = manager.get_json(&format!("/api/v1/portal/workshops/{w}/workers")).await;
    let makers: Vec<String> = roster
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["current"] == true)
        .take(3)
        .map(|v| v["id"].as_i64().unwrap().to_string())
        .collect();
    assert_eq!(makers.len(), 3, "three current workers");

    // Sign in: staff land on their workshop.
    sign_in(b, &app.base, "manager@demo.gongfang.cn", DEMO_PASSWORD).await;
    wait_for_path(b, |p| p == format!("/portal/workshops/{w}")).await;
    check_page(b, &at("the workshop")).await;
    click(b, &format!("a[href='/portal/workshops/{w}/products']")).await;
    wait_for_path(b, |p| p.ends_with("/products")).await;
    check_page(b, &at("the products")).await;
    click(b, &format!("a[href='/portal/workshops/{w}/products/new']")).await;
    wait_for_path(b, |p| p.ends_with("/products/new")).await;
    check_page(b, &at("a new product")).await;

    // The product's fields, with a mistyped price.
    let title = format!("旅程漆盘 {width}");
    fill(b, "title_zh", &title).await;
    fill(b, "title_en", "Journey lacquer plate").await;
    element(b, "select[name=heritage_item_id]").await.select_by_index(1).await.unwrap();
    element(b, "select[name=category]").await.select_by_value("lacquerware").await.unwrap();
    fill(b, "price", "268元x").await;
    fill(b, "stock", "5").await;
    fill(b, "wage_percent", "60").await;
    fill(b, "description_zh", "彝族漆器，木胎手工髹涂。").await;

    // Three makers: the first row is there; "add a maker" brings each next one, and
    // everything typed so far survives the round trip.
    let rows = [(&makers[0], "lead", "50"), (&makers[1], "maker", "30"), (&makers[2], "finishing", "20")];
    for (i, (worker, role, share)) in rows.iter().enumerate() {
        let n = i + 1;
        if n > 1 {
            click(b, "button[name=add_maker]").await;
            element(b, &format!("#mk-{n}-worker")).await;
            check_page(b, &at(&format!("the form with {n} maker rows"))).await;
            assert_eq!(
                element(b, "[name=title_zh]").await.prop("value").await.unwrap().as_deref(),
                Some(title.as_str())
            );
            assert_eq!(element(b, "[name=price]").await.prop("value").await.unwrap().as_deref(), Some("268元x"));
        }
        element(b, &format!("#mk-{n}-worker")).await.select_by_value(worker).await.unwrap();
        element(b, &format!("#mk-{n}-role")).await.select_by_value(role).await.unwrap();
        if n == 3 {
            // The running total, worked out by the server for the rows so far…
            let total = text_of(b, "#makers-total").await;
            assert!(total.contains("80%") && total.contains("20%"), "{total}");
        }
        let share_field = element(b, &format!("#mk-{n}-share")).await;
        share_field.clear().await.unwrap();
        share_field.send_keys(share).await.unwrap();
    }
    // …and kept up to date by the script as the last share is typed.
    let total = text_of(b, "#makers-total").await;
    assert!(total.contains("100%") && total.contains("正好"), "the live total: {total}");

    // Refused: the same form, everything kept, the message beside the price.
    click(b, SUBMIT).await;
    element(b, ".form-errors").await;
    check_page(b, &at("the refused product form")).await;
    screenshot(b, &format!("journey-manager-refused-{width}")).await;
    b.execute("document.getElementById('f-price').scrollIntoView();", vec![]).await.unwrap();
    screenshot(b, &format!("journey-manager-price-{width}")).await;
    b.execute("document.getElementById('f-makers').scrollIntoView();", vec![]).await.unwrap();
    screenshot(b, &format!("journey-manager-makers-{width}")).await;
    let price = element(b, "[name=price]").await;
    assert_eq!(price.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
    assert_eq!(price.prop("value").await.unwrap().as_deref(), Some("268元x"));
    let message = text_of(b, "#f-price-error").await;
    assert!(message.contains("价格（元）") && message.contains("金额"), "{message}");
    assert_eq!(element(b, "[name=title_zh]").await.prop("value").await.unwrap().as_deref(), Some(title.as_str()));
    for (i, (worker, role, share)) in rows.iter().enumerate() {
        let n = i + 1;
        let kept = |sel: String| async move { element(b, &sel).await.prop("value").await.unwrap().unwrap_or_default() };
        assert_eq!(&kept(format!("#mk-{n}-worker")).await, *worker, "maker {n} kept");
        assert_eq!(kept(format!("#mk-{n}-role")).await, *role);
        assert_eq!(kept(format!("#mk-{n}-share")).await, *share);
    }

    // Fixed, it is created with its three makers.
    fill(b, "price", "268").await;
    click(b, SUBMIT).await;
    let product_path = wait_for_path(b, |p| p.starts_with("/portal/products/")).await;
    check_page(b, &at("the new product")).await;
    let id: i64 = product_path.rsplit('/').next().unwrap().parse().unwrap();
    let (_, p) = manager.get_json(&format!("/api/v1/portal/products/{id}")).await;
    assert_eq!((p["title_zh"].as_str(), p["price_fen"].as_i64()), (Some(title.as_str()), Some(26_800)));
    let saved: Vec<(String, String, i64)> = p["makers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["worker_id"].to_string(), m["role"].as_str().unwrap().to_owned(), m["share_bp"].as_i64().unwrap()))
        .collect();
    let expected: Vec<(String, String, i64)> =
        rows.iter().zip([5000, 3000, 2000]).map(|((w, r, _), bp)| ((*w).clone(), (*r).to_owned(), bp)).collect();
    assert_eq!(saved, expected);

    // A photo, from a file on disk.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plate.png");
    std::fs::write(&file, crate::photo_files::png(640, 480)).unwrap();
    element(b, "input[type=file][name=photo]").await.send_keys(&file.display().to_string()).await.unwrap();
    fill(b, "alt_zh", "漆盘正面").await;
    click(b, "form[enctype='multipart/form-data'] button[type=submit]").await;
    element(b, "ul.photos li img").await;
    check_page(b, &at("the product with its photo")).await;
    screenshot(b, &format!("journey-manager-product-{width}")).await;
    let (_, p) = manager.get_json(&format!("/api/v1/portal/products/{id}")).await;
    assert_eq!(p["photos"].as_array().map(Vec::len), Some(1), "{p}");

    // Orders: accept the cash on delivery of one (it may then ship unpaid), ship the paid one.
    visit(b, &app.url(&format!("/portal/workshops/{w}/orders?show=to_confirm")), &at("the orders to confirm")).await;
    click(b, &format!("a[href='/orders/{to_confirm}']")).await;
    wait_for_path(b, |p| p == format!("/orders/{to_confirm}")).await;
    check_page(b, &at("an order to confirm")).await;
    click(b, "form[action$='/accept-cod'] button[type=submit]").await;
    element(b, "form[action^='/portal/shipments/']").await;
    check_page(b, &at("the accepted order")).await;
    let status = |v: Value| v["status"].as_str().unwrap_or_default().to_owned();
    assert_eq!(status(manager.get_json(&format!("/api/v1/orders/{to_confirm}")).await.1), "accepted");

    visit(b, &app.url(&format!("/portal/workshops/{w}/orders?show=to_ship")), &at("the orders to ship")).await;
    click(b, &format!("a[href='/orders/{to_ship}']")).await;
    wait_for_path(b, |p| p == format!("/orders/{to_ship}")).await;
    check_page(b, &at("a paid order")).await;
    fill(b, "carrier", "顺丰速运").await;
    fill(b, "tracking_number", "SF1234567890").await;
    click(b, "form[action^='/portal/shipments/'] button[type=submit]").await;
    wait_for_path(b, |p| !p.starts_with("/portal/shipments/")).await;
    element(b, "main").await;
    check_page(b, &at("the shipped order")).await;
    let (_, order) = manager.get_json(&format!("/api/v1/orders/{to_ship}")).await;
    let parcel = &order["parcels"][0];
    assert_eq!(
        (parcel["status"].as_str(), parcel["tracking_number"].as_str()),
        (Some("shipped"), Some("SF1234567890")),
        "{order}"
    );
}

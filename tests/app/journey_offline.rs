//! Offline payments clicked through in Chromium at a phone's and a desktop's width, on a clock
//! the test moves by hand:
//! - **bank transfer:** the buyer checks out, the order page says what to pay and by when in
//!   China time; half an hour later the order is still alive; a day before its hold runs out the
//!   buyer is reminded, once; an operator confirms the transfer, and only then is the sale posted.
//! - **cash on delivery:** the buyer checks out; half an hour later the order is still alive;
//!   the manager accepts it, ships it unpaid, and confirms the money at the door; the parcel is
//!   delivered and the sale posted.
//!
//! Every page passes `webdriver::check_page` (axe, no sideways scroll).

use crate::orders::stocked_product;
use crate::support::{test_clock, TestApp};
use crate::users::{mails_in, User, DEMO_PASSWORD};
use crate::webdriver::{
    browser, check_page, driver, element, fill, fill_chinese_address, screenshot, sign_in, text_of, wait_for_path,
    WIDTHS,
};
use chrono::TimeDelta;
use fantoccini::Client;
use gongfang::clock::{Clock, ManualTime};
use serde_json::Value;

#[tokio::test]
async fn a_bank_transfer_outlives_half_an_hour_reminds_once_and_is_confirmed_by_an_operator() {
    let Some(driver) = driver().await else { return };
    let (clock, time) = Clock::manual(test_clock().now());
    let app = TestApp::spawn_with_clock(clock).await;
    for size in WIDTHS {
        let buyer = browser(&driver, size, "zh-CN", None).await;
        let operator = browser(&driver, size, "zh-CN", None).await;
        bank_transfer(&app, &buyer, &operator, clock, time, size.0).await;
        buyer.close().await.unwrap();
        operator.close().await.unwrap();
    }
}

#[tokio::test]
async fn cash_on_delivery_outlives_half_an_hour_is_accepted_shipped_and_paid_at_the_door() {
    let Some(driver) = driver().await else { return };
    let (clock, time) = Clock::manual(test_clock().now());
    let app = TestApp::spawn_with_clock(clock).await;
    for size in WIDTHS {
        let buyer = browser(&driver, size, "zh-CN", None).await;
        let manager = browser(&driver, size, "zh-CN", None).await;
        cash_on_delivery(&app, &buyer, &manager, time, size.0).await;
        buyer.close().await.unwrap();
        manager.close().await.unwrap();
    }
}

/// `t` as the pages write it: China time to the minute, labelled.
fn beijing(t: chrono::DateTime<chrono::Utc>) -> String {
    format!("{} 北京时间", gongfang::clock::in_china(t.naive_utc()).format("%Y-%m-%d %H:%M"))
}

/// The demo buyer signs in, puts one piece of the demo manager's workshop in the cart and checks
/// out with `method`, the county picked from the lists; answers the order number.
async fn buy(app: &TestApp, b: &Client, method: &str, at: &dyn Fn(&str) -> String) -> String {
    let manager = User::demo(app, "manager").await;
    let (product, _, _) = stocked_product(app, Some(manager.workshop_id().await), None);
    let slug: String = {
        use diesel::prelude::*;
        use gongfang::db::schema::products;
        products::table.find(product).select(products::slug).first(&mut app.db.conn().unwrap()).unwrap()
    };
    sign_in(b, &app.base, "buyer@demo.gongfang.cn", DEMO_PASSWORD).await;
    b.goto(&app.url(&format!("/products/{slug}"))).await.unwrap();
    element(b, "form.add-to-cart button[type=submit]").await.click().await.unwrap();
    wait_for_path(b, |p| p.starts_with("/cart")).await;
    b.goto(&app.url("/checkout")).await.unwrap();
    fill_chinese_address(b, "阿依").await;
    element(b, &format!("input[name=payment_method][value={method}]")).await.click().await.unwrap();
    check_page(b, &at(&format!("checkout with {method}"))).await;
    element(b, "form.checkout-form button[type=submit]").await.click().await.unwrap();
    let path = wait_for_path(b, |p| p.starts_with("/orders/")).await;
    path.trim_start_matches("/orders/").to_owned()
}

async fn status_of(user: &User, number: &str) -> Value {
    user.get_json(&format!("/api/v1/orders/{number}")).await.1
}

/// The e-mails that mention `number` and contain `words`, once the mail worker has sent them.
pub async fn mails_about(app: &TestApp, number: &str, words: &str) -> Vec<String> {
    app.mailer.wake();
    for _ in 0..50 {
        if app.mailer.pending().unwrap() == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    mails_in(&app.data_dir.join("mail")).into_iter().filter(|m| m.contains(number) && m.contains(words)).collect()
}

async fn bank_transfer(app: &TestApp, b: &Client, ops: &Client, clock: Clock, time: &ManualTime, width: u32) {
    let at = |what: &str| format!("{what} (bank transfer) at {width} px");
    let placed_at = clock.now();
    let number = buy(app, b, "bank_transfer", &at).await;
    check_page(b, &at("the order page")).await;
    let next = text_of(b, "section.next-step").await;
    let due = placed_at + TimeDelta::days(3);
    assert!(next.contains(&beijing(due)), "the transfer is due in three days, China time: {next}");
    assert!(next.contains(&number), "the transfer note names the order: {next}");
    let page = b.source().await.unwrap();
    assert!(page.contains(&beijing(placed_at)), "placed at, in China time");
    screenshot(b, &format!("journey-bank-transfer-{width}")).await;

    let buyer = User::demo(app, "buyer").await;
    let view = status_of(&buyer, &number).await;
    assert_eq!(
        (view["payment_method"].as_str(), view["next_step"].as_str()),
        (Some("bank_transfer"), Some("transfer"))
    );
    assert!(view["deadline"].as_str().unwrap().ends_with("+08:00"), "RFC 3339 with China's offset: {view}");
    assert_eq!(view["impact"], Value::Null);

    // Half an hour on, the order is still alive (a Stripe order would have lapsed).
    time.advance(TimeDelta::minutes(31));
    app.orders.round().await.unwrap();
    assert_eq!(status_of(&buyer, &number).await["status"], "pending_payment");
    // A day before the hold runs out, the buyer is reminded; a second round (or node) does not
    // remind again.
    time.advance(TimeDelta::days(2));
    let (first, second) = tokio::join!(app.orders.round(), app.orders.round());
    assert!(first.unwrap().reminded + second.unwrap().reminded >= 1);
    app.orders.round().await.unwrap();
    let mails = mails_about(app, &number, "附言").await;
    assert_eq!(mails.len(), 2, "the order mail and one reminder: {mails:?}");
    assert!(mails.iter().all(|m| m.contains(&beijing(due))), "both name the deadline in China time: {mails:?}");
    b.refresh().await.unwrap();
    check_page(b, &at("the order page a day before the deadline")).await;
    assert_eq!(status_of(&buyer, &number).await["status"], "pending_payment");
    let (_, impact) = buyer.get_json(&format!("/api/v1/orders/{number}/impact")).await;
    assert_eq!(impact, Value::Null, "nothing is posted before the money arrives");

    // The transfer arrives; an operator confirms it with the bank's reference.
    sign_in(ops, &app.base, "operator@demo.gongfang.cn", DEMO_PASSWORD).await;
    ops.goto(&app.url(&format!("/orders/{number}"))).await.unwrap();
    element(ops, "form[action$='/confirm-payment']").await;
    check_page(ops, &at("the operator's view of the unpaid order")).await;
    fill(ops, "reference", &format!("CNAPS-{width}-{number}")).await;
    element(ops, "form[action$='/confirm-payment'] button[type=submit]").await.click().await.unwrap();
    wait_for_path(ops, |p| p == format!("/orders/{number}")).await;
    element(ops, "span.status-paid").await;
    check_page(ops, &at("the confirmed order")).await;
    b.refresh().await.unwrap();
    element(b, "span.status-paid").await;
    check_page(b, &at("the buyer's paid order")).await;
    let (_, impact) = buyer.get_json(&format!("/api/v1/orders/{number}/impact")).await;
    assert!(impact["paid_fen"].as_i64().unwrap() > 0, "the sale is posted once paid: {impact}");
}

async fn cash_on_delivery(app: &TestApp, b: &Client, staff: &Client, time: &ManualTime, width: u32) {
    let at = |what: &str| format!("{what} (cash on delivery) at {width} px");
    let number = buy(app, b, "cash_on_delivery", &at).await;
    check_page(b, &at("the order page")).await;
    let next = text_of(b, "section.next-step").await;
    assert!(next.contains("北京时间"), "the workshop's deadline is in China time: {next}");
    screenshot(b, &format!("journey-cod-{width}")).await;
    let mails = mails_about(app, &number, "货到付款").await;
    assert!(mails.iter().any(|m| m.contains("To: buyer@demo.gongfang.cn")), "the buyer hears of it: {mails:?}");
    assert!(mails.iter().any(|m| m.contains("To: manager@demo.gongfang.cn")), "so does the manager: {mails:?}");

    let buyer = User::demo(app, "buyer").await;
    time.advance(TimeDelta::minutes(31));
    app.orders.round().await.unwrap();
    assert_eq!(status_of(&buyer, &number).await["status"], "awaiting_acceptance");

    // The manager finds it among the orders to answer, accepts it, ships it unpaid.
    let manager = User::demo(app, "manager").await;
    let w = manager.workshop_id().await;
    sign_in(staff, &app.base, "manager@demo.gongfang.cn", DEMO_PASSWORD).await;
    staff.goto(&app.url(&format!("/portal/workshops/{w}/orders?show=to_confirm"))).await.unwrap();
    element(staff, &format!("a[href='/orders/{number}']")).await.click().await.unwrap();
    wait_for_path(staff, |p| p == format!("/orders/{number}")).await;
    check_page(staff, &at("the order to accept")).await;
    element(staff, "form[action$='/accept-cod'] button[type=submit]").await.click().await.unwrap();
    element(staff, "form[action^='/portal/shipments/']").await;
    check_page(staff, &at("the accepted order")).await;
    assert_eq!(status_of(&buyer, &number).await["status"], "accepted");
    fill(staff, "carrier", "中国邮政").await;
    fill(staff, "tracking_number", &format!("EMS{width}{}", &number[11..])).await;
    element(staff, "form[action^='/portal/shipments/'] button[type=submit]").await.click().await.unwrap();
    element(staff, "form[action$='/confirm-payment']").await;
    check_page(staff, &at("the shipped, unpaid order")).await;
    b.refresh().await.unwrap();
    check_page(b, &at("the buyer's parcel on its way")).await;
    assert!(text_of(b, "section.next-step").await.contains("快递员"), "the buyer pays the courier");
    let (_, impact) = buyer.get_json(&format!("/api/v1/orders/{number}/impact")).await;
    assert_eq!(impact, Value::Null, "nothing is posted before the money arrives");

    // At the door: the courier collects the money; the manager confirms it.
    fill(staff, "reference", &format!("COD-{width}-{number}")).await;
    element(staff, "form[action$='/confirm-payment'] button[type=submit]").await.click().await.unwrap();
    element(staff, "span.status-paid").await;
    check_page(staff, &at("the paid order")).await;
    let view = status_of(&buyer, &number).await;
    assert_eq!(view["status"], "paid");
    assert_eq!(view["parcels"][0]["status"], "delivered", "paid at the door: delivered");
    let (_, impact) = buyer.get_json(&format!("/api/v1/orders/{number}/impact")).await;
    assert!(impact["paid_fen"].as_i64().unwrap() > 0, "the sale is posted once paid: {impact}");
    b.refresh().await.unwrap();
    element(b, "span.status-paid").await;
    check_page(b, &at("the buyer's paid order")).await;
}

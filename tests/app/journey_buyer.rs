//! A new buyer's first hour, clicked through in Chromium at a phone's and a desktop's width:
//! browse → filter → product → trace → search (with the suggestions script) → cart →
//! register from checkout → checkout with a county picked from the lists → the order page.
//! Every page passes `webdriver::check_page` (axe, no sideways scroll).

use crate::support::TestApp;
use crate::webdriver::{
    browser, check_page, driver, element, fill, fill_chinese_address, path, screenshot, visit, wait_for_path, WIDTHS,
};
use fantoccini::{key::Key, Client, Locator};

#[tokio::test]
async fn a_new_buyer_browses_searches_registers_and_orders_with_a_county_picked_from_the_lists() {
    let Some(driver) = driver().await else { return };
    let app = TestApp::spawn().await;
    for (n, size) in WIDTHS.into_iter().enumerate() {
        let b = browser(&driver, size, "zh-CN", None).await;
        journey(&app, &b, n, size.0).await;
        b.close().await.unwrap();
    }
}

async fn journey(app: &TestApp, b: &Client, n: usize, width: u32) {
    let at = |what: &str| format!("{what} at {width} px");
    visit(b, &app.url("/"), &at("home")).await;

    // Browse, then filter by a province with the filter form.
    element(b, "nav.main-nav a[href='/products']").await.click().await.unwrap();
    element(b, "form.filters").await;
    check_page(b, &at("the product list")).await;
    element(b, "form.filters select[name=province]").await.select_by_value("510000").await.unwrap();
    element(b, "form.filters button[type=submit]").await.click().await.unwrap();
    wait_for_path(b, |p| p.contains("province=510000")).await;
    check_page(b, &at("the filtered list")).await;
    let cards = b.find_all(Locator::Css("ul.grid li.card")).await.unwrap();
    assert!(!cards.is_empty(), "Sichuan has products");

    // A product, and its trace page.
    element(b, "ul.grid li.card a[href^='/products/']").await.click().await.unwrap();
    element(b, "form.add-to-cart").await;
    let product = path(b).await;
    check_page(b, &at("a product page")).await;
    element(b, "a[href^='/t/']").await.click().await.unwrap();
    element(b, "article.trace").await;
    check_page(b, &at("the trace page")).await;

    // Search as you type: the suggestions list opens under the header's box, the arrow key
    // chooses one and Enter opens it.
    b.goto(&app.url("/products")).await.unwrap();
    let q = element(b, "#site-q").await;
    q.send_keys("漆器").await.unwrap();
    element(b, "#site-q-list li[role=option]").await;
    check_page(b, &at("the open suggestions")).await;
    let option = element(b, "#site-q-list li[role=option]").await;
    let href = option.attr("data-href").await.unwrap().expect("an option names its product");
    q.send_keys(&Key::Down.to_string()).await.unwrap();
    q.send_keys(&Key::Enter.to_string()).await.unwrap();
    wait_for_path(b, |p| p == href).await;
    // The search results page, by submitting the box.
    let q = element(b, "#site-q").await;
    q.send_keys("漆器").await.unwrap();
    q.send_keys(&Key::Escape.to_string()).await.unwrap();
    element(b, "form.site-search button[type=submit]").await.click().await.unwrap();
    element(b, "#count").await;
    check_page(b, &at("the search results")).await;

    // Into the cart.
    b.goto(&app.url(&product)).await.unwrap();
    element(b, "form.add-to-cart button[type=submit]").await.click().await.unwrap();
    wait_for_path(b, |p| p.starts_with("/cart")).await;
    check_page(b, &at("the cart")).await;

    // Checkout asks a stranger to sign in; they register instead, and come back to checkout.
    element(b, "a.button[href^='/login']").await.click().await.unwrap();
    check_page(b, &at("the login page")).await;
    element(b, "a[href^='/register']").await.click().await.unwrap();
    check_page(b, &at("the registration page")).await;
    let email = format!("new-buyer-{n}@example.cn");
    fill(b, "email", &email).await;
    fill(b, "display_name", "李新").await;
    fill(b, "password", "a long enough passphrase").await;
    element(b, "form[action^='/register'] button[type=submit]").await.click().await.unwrap();
    wait_for_path(b, |p| p.starts_with("/checkout")).await;
    check_page(b, &at("the checkout")).await;

    // The address, with the county picked from the province → prefecture → county lists.
    fill_chinese_address(b, "李新").await;
    check_page(b, &at("the filled checkout")).await;
    screenshot(b, &format!("journey-buyer-checkout-{width}")).await;
    element(b, "form.checkout-form button[type=submit]").await.click().await.unwrap();
    let order = wait_for_path(b, |p| p.starts_with("/orders/")).await;
    check_page(b, &at("the order page")).await;
    let page = b.source().await.unwrap();
    assert!(page.contains("喜德县") || page.contains("513432"), "the order carries the picked county");
    // Times are China time, labelled: the test clock's 04:00 UTC is 12:00 in Beijing, and a
    // bank transfer (the default) is held for three days.
    assert!(page.contains("2026-11-28 12:00 北京时间"), "the order was placed at 12:00 Beijing time");
    assert!(page.contains("2026-12-01 12:00 北京时间"), "the transfer is due in three days, in China time");
    assert!(!page.contains("UTC"), "no UTC on a buyer's page");
    screenshot(b, &format!("journey-buyer-order-{width}")).await;

    // The order is in the database with that county, for this new account.
    let number = order.trim_start_matches("/orders/").split(['/', '?']).next().unwrap().to_string();
    let region = {
        use diesel::prelude::*;
        use gongfang::db::schema::{orders, users};
        let mut conn = app.db.conn().unwrap();
        orders::table
            .inner_join(users::table.on(users::id.eq(orders::user_id)))
            .filter(orders::number.eq(&number).and(users::email.eq(&email)))
            .select(orders::region_code)
            .first::<Option<String>>(&mut *conn)
            .unwrap()
    };
    assert_eq!(region.as_deref(), Some("513432"));
}

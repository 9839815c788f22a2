//! A new buyer's first hour, clicked through in Chromium at a phone's and a desktop's width:
//! browse → filter → product → trace → search (with the suggestions script) → cart →
//! register from checkout → checkout with a county picked from the lists → the order page.
//! Every page passes `webdriver::check_page` (axe, no sideways scroll).

use crate::support::TestApp;
use crate::webdriver::{browser, check_page, driver, fill, fill_chinese_address, screenshot, visit, WIDTHS};
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

async fn css(b: &Client, selector: &str) -> fantoccini::elements::Element {
    b.wait().for_element(Locator::Css(selector)).await.unwrap_or_else(|e| panic!("{selector}: {e}"))
}

/// Waits until the page's path (and query) satisfies `ok`.
async fn wait_path(b: &Client, ok: impl Fn(&str) -> bool) -> String {
    for _ in 0..150 {
        let p = path(b).await;
        if ok(&p) {
            return p;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("still at {} after 15 s", path(b).await);
}

async fn path(b: &Client) -> String {
    let url = b.current_url().await.unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

async fn journey(app: &TestApp, b: &Client, n: usize, width: u32) {
    let at = |what: &str| format!("{what} at {width} px");
    visit(b, &app.url("/"), &at("home")).await;

    // Browse, then filter by a province with the filter form.
    css(b, "nav.main-nav a[href='/products']").await.click().await.unwrap();
    css(b, "form.filters").await;
    check_page(b, &at("the product list")).await;
    css(b, "form.filters select[name=province]").await.select_by_value("510000").await.unwrap();
    css(b, "form.filters button[type=submit]").await.click().await.unwrap();
    wait_path(b, |p| p.contains("province=510000")).await;
    check_page(b, &at("the filtered list")).await;
    let cards = b.find_all(Locator::Css("ul.grid li.card")).await.unwrap();
    assert!(!cards.is_empty(), "Sichuan has products");

    // A product, and its trace page.
    css(b, "ul.grid li.card a[href^='/products/']").await.click().await.unwrap();
    css(b, "form.add-to-cart").await;
    let product = path(b).await;
    check_page(b, &at("a product page")).await;
    css(b, "a[href^='/t/']").await.click().await.unwrap();
    css(b, "article.trace").await;
    check_page(b, &at("the trace page")).await;

    // Search as you type: the suggestions list opens under the header's box, the arrow key
    // chooses one and Enter opens it.
    b.goto(&app.url("/products")).await.unwrap();
    let q = css(b, "#site-q").await;
    q.send_keys("漆器").await.unwrap();
    css(b, "#site-q-list li[role=option]").await;
    check_page(b, &at("the open suggestions")).await;
    let option = css(b, "#site-q-list li[role=option]").await;
    let href = option.attr("data-href").await.unwrap().expect("an option names its product");
    q.send_keys(&Key::Down.to_string()).await.unwrap();
    q.send_keys(&Key::Enter.to_string()).await.unwrap();
    wait_path(b, |p| p == href).await;
    // The search results page, by submitting the box.
    let q = css(b, "#site-q").await;
    q.send_keys("漆器").await.unwrap();
    q.send_keys(&Key::Escape.to_string()).await.unwrap();
    css(b, "form.site-search button[type=submit]").await.click().await.unwrap();
    css(b, "#count").await;
    check_page(b, &at("the search results")).await;

    // Into the cart.
    b.goto(&app.url(&product)).await.unwrap();
    css(b, "form.add-to-cart button[type=submit]").await.click().await.unwrap();
    wait_path(b, |p| p.starts_with("/cart")).await;
    check_page(b, &at("the cart")).await;

    // Checkout asks a stranger to sign in; they register instead, and come back to checkout.
    css(b, "a.button[href^='/login']").await.click().await.unwrap();
    check_page(b, &at("the login page")).await;
    css(b, "a[href^='/register']").await.click().await.unwrap();
    check_page(b, &at("the registration page")).await;
    let email = format!("new-buyer-{n}@example.cn");
    fill(b, "email", &email).await;
    fill(b, "display_name", "李新").await;
    fill(b, "password", "a long enough passphrase").await;
    css(b, "form[action^='/register'] button[type=submit]").await.click().await.unwrap();
    wait_path(b, |p| p.starts_with("/checkout")).await;
    check_page(b, &at("the checkout")).await;

    // The address, with the county picked from the province → prefecture → county lists.
    fill_chinese_address(b, "李新").await;
    check_page(b, &at("the filled checkout")).await;
    screenshot(b, &format!("journey-buyer-checkout-{width}")).await;
    css(b, "form.checkout-form button[type=submit]").await.click().await.unwrap();
    let order = wait_path(b, |p| p.starts_with("/orders/")).await;
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

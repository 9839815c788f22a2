//! axe-core on every page each role can reach, not only the journeys' pages: Chromium at a
//! phone's width crawls the site as a visitor, a buyer with an order, a workshop manager, an
//! operator and an official, and every page passes `webdriver::check_page` (no serious or
//! critical axe violation, no sideways scroll).

use crate::support::TestApp;
use crate::users::DEMO_PASSWORD;
use crate::webdriver::{browser, check_page, driver, sign_in, WIDTHS};

#[tokio::test]
async fn every_page_a_role_can_reach_passes_axe_on_a_phone() {
    let Some(driver) = driver().await else { return };
    let app = TestApp::spawn().await;
    // An order of the demo manager's workshop, so order pages and packing slips exist.
    crate::orders::demo_order(&app, 1, "axe-sweep-1").await;

    let mut pages = 0;
    for (who, start, limit) in [
        (None, &["/", "/crafts", "/impact", "/search?q=漆器", "/login", "/register"][..], 40),
        (Some("buyer"), &["/orders", "/account", "/cart", "/checkout"][..], 15),
        (Some("manager"), &["/portal"][..], 30),
        (Some("operator"), &["/portal", "/ops"][..], 30),
        (Some("official"), &["/officials"][..], 15),
    ] {
        let b = browser(&driver, WIDTHS[0], "zh-CN", None).await;
        if let Some(who) = who {
            sign_in(&b, &app.base, &format!("{who}@demo.gongfang.cn"), DEMO_PASSWORD).await;
        }
        pages += crate::crawl::crawl(start, limit, async |href: &str| {
            b.goto(&app.url(href)).await.unwrap();
            let html = b.source().await.unwrap();
            // Downloads and JSON are not pages.
            if !html.contains("<main") {
                return None;
            }
            check_page(&b, &format!("{} {href}", who.unwrap_or("visitor"))).await;
            Some(html)
        })
        .await;
        b.close().await.unwrap();
    }
    assert!(pages > 60, "the sweep read {pages} pages");
}

//! Issue 20's fourth journey, clicked through in Chromium at a phone's width: a buyer asks a
//! workshop that takes custom work for a piece (sent empty first: the form says what is
//! missing); the manager finds it in the portal and quotes it (the piece, a maker at 100% and
//! three steps: 30% deposit, 30% with a progress photo, 40% balance); the buyer accepts and
//! pays the deposit by card (the address picked with the region picker; the intent confirmed
//! at localstripe as Stripe.js would, its signed webhook marking the order paid); the manager
//! posts a progress photo, which makes the second step due; the buyer pays it and the balance
//! by bank transfer (confirmed by the operator); the manager ships, and the buyer says it
//! arrived. The quote and each step falling due were e-mailed to the buyer; `audit verify`
//! passes. Every page passes `webdriver::check_page`, and the last at a desktop's width too.

use crate::custom_orders::{heritage_item, three_workers};
use crate::photo_files;
use crate::stripe::{pay_by_card, spawn, stripe_post, stripe_url};
use crate::support::skip;
use crate::users::{User, DEMO_PASSWORD};
use crate::webdriver::{
    browser, check_page, click_to_next_page, driver, element, fill, fill_chinese_address, screenshot, sign_in,
    source_shows, text_of, visit, wait_for_path, WIDTHS,
};
use diesel::prelude::*;
use gongfang::db::schema::emails;
use serde_json::json;

/// Clicks the last submit button of `form` (its own, not the makers table's), and waits for `path`.
async fn submit(b: &fantoccini::Client, form: &str, path: impl Fn(&str) -> bool) -> String {
    click_to_next_page(b, &format!("{form} > button[type=submit]:last-of-type"), path).await
}

/// The buyer's e-mails of `kind` (counted in the outbox), as delivered: those that link to
/// custom order `id` and say `words`.
async fn mails(app: &crate::support::TestApp, kind: &str, id: i64, words: &str) -> Vec<String> {
    let delivered = crate::journey_offline::mails_about(app, &format!("/custom/{id}"), words).await;
    let mut conn = app.db.conn().unwrap();
    let queued: i64 = emails::table
        .filter(emails::kind.eq(kind))
        .filter(emails::to_addr.eq("buyer@demo.gongfang.cn"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(usize::try_from(queued).unwrap(), delivered.len(), "every {kind} e-mail queued was delivered");
    delivered
}

#[tokio::test]
async fn a_custom_order_goes_from_request_to_quote_deposit_progress_balance_shipped_and_delivered() {
    let Some(driver) = driver().await else { return };
    let Some(stripe) = stripe_url() else {
        skip("TEST_STRIPE_URL is not set (bash .ci/run starts localstripe): the custom order journey cannot run");
        return;
    };
    let secret = format!("whsec_{}", gongfang::accounts::secrets::new_token());
    let app = spawn(&stripe, &secret).await;
    let hook = format!("gfjourney{}", std::process::id());
    let (status, _) = stripe_post(
        &stripe,
        &format!("/_config/webhooks/{hook}"),
        &[("url", &app.url("/webhooks/stripe")), ("secret", &secret), ("events[]", "payment_intent.succeeded")],
    )
    .await;
    assert_eq!(status, 200);
    let photo = app.data_dir.join("IMG_3001.jpg");
    std::fs::write(&photo, photo_files::jpeg_with_exif(1200, 900, 6)).unwrap();
    let (operator, buyer_api, manager_api) =
        (User::demo(&app, "operator").await, User::demo(&app, "buyer").await, User::demo(&app, "manager").await);
    let workshop = manager_api.workshop_id().await;
    let size = WIDTHS[0];
    let at = |what: &str| format!("{what} at {} px", size.0);

    // The buyer asks from the workshop's page; an empty request says what is missing.
    let b = browser(&driver, size, "zh-CN", None).await;
    sign_in(&b, &app.base, "buyer@demo.gongfang.cn", DEMO_PASSWORD).await;
    visit(&b, &app.url("/workshops/xide-yi-lacquer"), &at("the workshop page")).await;
    element(&b, "a[href='/workshops/xide-yi-lacquer/custom']").await.click().await.unwrap();
    wait_for_path(&b, |p| p == "/workshops/xide-yi-lacquer/custom").await;
    check_page(&b, &at("the request form")).await;
    b.execute("document.querySelector('main form').noValidate = true;", vec![]).await.unwrap();
    element(&b, "main form button[type=submit]").await.click().await.unwrap();
    element(&b, "#custom-description-error").await;
    check_page(&b, &at("the refused request")).await;
    // By its element: the page's <meta name="description"> has the same name.
    let description = element(&b, "textarea[name=description]").await;
    description.send_keys("一套六只的漆器酒杯，黑底红纹，刻上“阿依”二字").await.unwrap();
    fill(&b, "budget", "3000").await;
    let path = submit(&b, "main form", |p| p.starts_with("/custom/")).await;
    let id: i64 = path.trim_start_matches("/custom/").split(['?', '#']).next().unwrap().parse().unwrap();
    assert!(text_of(&b, "#custom-status").await.contains("已申请"));
    check_page(&b, &at("the buyer's new custom order")).await;

    // The manager finds it in the portal and quotes it.
    let m = browser(&driver, size, "zh-CN", None).await;
    sign_in(&m, &app.base, "manager@demo.gongfang.cn", DEMO_PASSWORD).await;
    visit(&m, &app.url("/portal/custom"), &at("the portal's custom orders")).await;
    element(&m, &format!("a[href='/custom/{id}']")).await.click().await.unwrap();
    wait_for_path(&m, |p| p == format!("/custom/{id}")).await;
    check_page(&m, &at("the quote form")).await;
    fill(&m, "title_zh", "定制漆器酒杯六只").await;
    element(&m, "select[name=heritage_item_id]")
        .await
        .select_by_value(&heritage_item(&app, workshop).to_string())
        .await
        .unwrap();
    fill(&m, "price", "3000").await;
    fill(&m, "lead_time_days", "60").await;
    fill(&m, "wage_percent", "60").await;
    element(&m, "#mk-1-worker").await.select_by_value(&three_workers(&app, workshop)[0].to_string()).await.unwrap();
    fill(&m, "share", "100").await;
    for (row, percent) in [(2, "30"), (3, "40")] {
        let field = element(&m, &format!("#ms-{row}-percent")).await;
        field.clear().await.unwrap();
        field.send_keys(percent).await.unwrap();
    }
    screenshot(&m, "journey-custom-quote-390").await;
    submit(&m, "form.quote-form", |p| p == format!("/custom/{id}")).await;
    assert!(text_of(&m, "#custom-status").await.contains("已报价"), "{}", m.source().await.unwrap());
    assert_eq!(text_of(&m, "#custom-price").await, "¥3,000.00");
    check_page(&m, &at("the quoted custom order (workshop)")).await;
    let quoted = mails(&app, "custom_quoted", id, "报价").await;
    assert_eq!(quoted.len(), 1, "one quote e-mail: {quoted:?}");
    assert!(
        quoted[0].contains(&format!("{}/custom/{id}", app.base)) && quoted[0].contains("3,000.00"),
        "{}",
        quoted[0]
    );

    // The buyer accepts, and pays the deposit by card.
    visit(&b, &app.url(&format!("/custom/{id}")), &at("the quote (buyer)")).await;
    submit(&b, &format!("form[action='/custom/{id}/accept']"), |p| p == format!("/custom/{id}")).await;
    check_page(&b, &at("the accepted custom order")).await;
    fill_chinese_address(&b, "阿依").await;
    element(&b, "form.pay-form input[name=payment_method][value=stripe]").await.click().await.unwrap();
    let path = submit(&b, "form.pay-form", |p| p.starts_with("/orders/")).await;
    let deposit = path.trim_start_matches("/orders/").trim_end_matches("/pay").to_owned();
    assert!(path.ends_with("/pay"), "a card payment goes on to the payment page: {path}");
    check_page(&b, &at("the deposit's payment page")).await;
    pay_by_card(&stripe, &buyer_api, &deposit, 90_000).await;
    visit(&b, &app.url(&format!("/custom/{id}")), &at("the custom order waiting for its photo")).await;
    assert!(element(&b, "#pay").await.text().await.unwrap().contains('2'), "step 2 is next");
    assert!(b.find(fantoccini::Locator::Css("form.pay-form")).await.is_err(), "step 2 waits for its photo");

    // The manager posts a progress photo: the second step falls due.
    visit(&m, &app.url(&format!("/custom/{id}")), &at("the custom order in progress (workshop)")).await;
    element(&m, "form.progress-form input[type=file]").await.send_keys(photo.to_str().unwrap()).await.unwrap();
    fill(&m, "note", "漆胎已成，开始髹漆").await;
    submit(&m, "form.progress-form", |p| p == format!("/custom/{id}")).await;
    let src = element(&m, "ul.progress-photos img").await.attr("src").await.unwrap().unwrap();
    let (status, bytes) = {
        let res = reqwest::get(app.url(&src)).await.unwrap();
        (res.status().as_u16(), res.bytes().await.unwrap())
    };
    assert_eq!(status, 200);
    let found = photo_files::metadata_found(&bytes);
    assert!(found.is_empty(), "the progress photo's metadata was stripped: {found:?}");
    check_page(&m, &at("the custom order with its progress photo")).await;

    // The buyer pays the second step and the balance by bank transfer; the operator confirms.
    for step in [2, 3] {
        visit(&b, &app.url(&format!("/custom/{id}")), &at(&format!("step {step} due"))).await;
        assert!(b.find(fantoccini::Locator::Css("[name=recipient]")).await.is_err(), "the address is asked once");
        let path = submit(&b, "form.pay-form", |p| p.starts_with("/orders/")).await;
        let number = path.trim_start_matches("/orders/").to_owned();
        let (status, body) = operator
            .post_json(&format!("/api/v1/portal/orders/{number}/confirm-payment"), &json!({"reference": number}))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let due = mails(&app, "custom_milestone_due", id, "款项已到期").await;
    assert_eq!(due.len(), 3, "steps 1, 2 and 3 fell due once each: {due:?}");
    for (mail, amount) in due.iter().zip(["900.00", "900.00", "1,200.00"]) {
        assert!(mail.contains(amount) && mail.contains(&format!("/custom/{id}")), "{mail}");
    }

    // The manager ships; the buyer says it arrived.
    visit(&m, &app.url(&format!("/custom/{id}")), &at("the paid custom order (workshop)")).await;
    fill(&m, "carrier", "顺丰速运").await;
    fill(&m, "tracking_number", "SF1234567890").await;
    submit(&m, "form[action$='/ship']", |p| p == format!("/custom/{id}")).await;
    assert!(text_of(&m, "#custom-status").await.contains("已发货"));
    m.close().await.unwrap();
    visit(&b, &app.url(&format!("/custom/{id}")), &at("the shipped custom order")).await;
    submit(&b, &format!("form[action='/custom/{id}/received']"), |p| p == format!("/custom/{id}")).await;
    assert!(text_of(&b, "#custom-status").await.contains("已送达"));
    assert!(source_shows(&b, "漆胎已成").await, "the buyer sees the progress note");
    check_page(&b, &at("the delivered custom order")).await;
    screenshot(&b, "journey-custom-delivered-390").await;
    b.close().await.unwrap();
    let wide = browser(&driver, WIDTHS[1], "en-GB", None).await;
    sign_in(&wide, &app.base, "buyer@demo.gongfang.cn", DEMO_PASSWORD).await;
    visit(&wide, &app.url(&format!("/custom/{id}")), "the delivered custom order at 1280 px, in English").await;
    assert!(text_of(&wide, "#custom-status").await.contains("Delivered"));
    visit(&wide, &app.url("/custom"), "the buyer's custom orders at 1280 px").await;
    wide.close().await.unwrap();

    let (code, text) = app.audit_verify();
    assert_eq!(code, Some(0), "{text}");
    let _ = reqwest::Client::new().delete(format!("{stripe}/_config/webhooks/{hook}")).send().await;
}

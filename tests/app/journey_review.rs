//! Issue 20's first journey, clicked through in Chromium at a phone's and a desktop's width:
//! the buyer picks a size on the product page, checks out, the workshop is paid (offline,
//! confirmed by staff) and ships, the buyer confirms receipt and reviews the piece with a
//! photo, and the manager replies in the portal. The product page then shows the review,
//! its photo and the reply. Every page passes `webdriver::check_page` (axe, no sideways scroll).

use crate::photo_files::{self, metadata_found};
use crate::support::TestApp;
use crate::users::{User, DEMO_PASSWORD};
use crate::webdriver::{
    browser, check_page, driver, element, fill, fill_chinese_address, screenshot, sign_in, source_shows, text_of,
    visit, wait_for_path, WIDTHS,
};
use fantoccini::Locator;
use serde_json::json;

#[tokio::test]
async fn a_buyer_picks_a_size_pays_receives_reviews_with_a_photo_and_the_workshop_replies() {
    let Some(driver) = driver().await else { return };
    let app = TestApp::spawn().await;
    let (_, slug, _, large) = crate::variants::with_sizes(&app, 5).await;
    let photo = app.data_dir.join("IMG_2041.jpg");
    std::fs::write(&photo, photo_files::jpeg_with_exif(1200, 900, 6)).unwrap();
    let operator = User::demo(&app, "operator").await;
    let manager_api = User::demo(&app, "manager").await;
    let buyer_api = User::demo(&app, "buyer").await;
    for (n, size) in WIDTHS.into_iter().enumerate() {
        let at = |what: &str| format!("{what} at {} px", size.0);
        let b = browser(&driver, size, "zh-CN", None).await;
        sign_in(&b, &app.base, "buyer@demo.gongfang.cn", DEMO_PASSWORD).await;

        // The size is a radio on the product page; the cart names it.
        visit(&b, &app.url(&format!("/products/{slug}")), &at("the product page with sizes")).await;
        element(&b, &format!("label.variant input[value='{large}']")).await.click().await.unwrap();
        element(&b, "form.add-to-cart button[type=submit]").await.click().await.unwrap();
        wait_for_path(&b, |p| p.starts_with("/cart")).await;
        check_page(&b, &at("the cart with a size")).await;
        assert!(b.source().await.unwrap().contains("大号"), "the cart names the size");
        b.goto(&app.url("/checkout")).await.unwrap();
        element(&b, "form.checkout-form").await;
        fill_chinese_address(&b, "阿依").await;
        element(&b, "form.checkout-form button[type=submit]").await.click().await.unwrap();
        let path = wait_for_path(&b, |p| p.starts_with("/orders/")).await;
        let number = path.trim_start_matches("/orders/").split(['/', '?', '#']).next().unwrap().to_owned();

        // Paid (a bank transfer the operator confirms) and shipped by the workshop.
        let (status, body) = operator
            .post_json(&format!("/api/v1/portal/orders/{number}/confirm-payment"), &json!({"reference": number}))
            .await;
        assert_eq!(status, 200, "{body}");
        let (_, view) = buyer_api.get_json(&format!("/api/v1/orders/{number}")).await;
        assert_eq!(view["parcels"][0]["lines"][0]["variant"], "大号", "{view}");
        let parcel = view["parcels"][0]["id"].as_i64().unwrap();
        let ship = json!({"carrier": "EMS", "tracking_number": format!("EA{parcel:09}CN")});
        assert_eq!(manager_api.post_json(&format!("/api/v1/portal/shipments/{parcel}/ship"), &ship).await.0, 200);

        // The buyer confirms receipt on the order page, then reviews the piece with a photo.
        visit(&b, &app.url(&format!("/orders/{number}")), &at("the shipped order")).await;
        element(&b, &format!("form[action='/shipments/{parcel}/delivered'] button")).await.click().await.unwrap();
        element(&b, "a[href$='/review']").await.click().await.unwrap();
        wait_for_path(&b, |p| p.ends_with("/review")).await;
        check_page(&b, &at("the review form")).await;
        // Sent without a rating first: the form comes back with the text kept.
        let words = format!("大号正合适，银饰做工精细 {n}");
        fill(&b, "body", &words).await;
        b.execute("document.querySelector('form.review-form').noValidate = true;", vec![]).await.unwrap();
        element(&b, "form.review-form button[type=submit]").await.click().await.unwrap();
        element(&b, "#review-rating-error").await;
        check_page(&b, &at("the refused review")).await;
        assert_eq!(
            element(&b, "textarea[name=body]").await.prop("value").await.unwrap().as_deref(),
            Some(words.as_str())
        );
        element(&b, "label[for='review-rating-5'], #review-rating-5").await.click().await.unwrap();
        element(&b, "#review-shown_as-name").await.click().await.unwrap();
        element(&b, "input[type=file][name=photo]").await.send_keys(photo.to_str().unwrap()).await.unwrap();
        screenshot(&b, &format!("journey-review-form-{}", size.0)).await;
        element(&b, "form.review-form button[type=submit]").await.click().await.unwrap();
        wait_for_path(&b, |p| p == format!("/orders/{number}")).await;
        assert!(text_of(&b, "main").await.contains("已评价"), "the line is marked reviewed");

        // The manager replies in the portal, on a phone too.
        let m = browser(&driver, size, "zh-CN", None).await;
        sign_in(&m, &app.base, "manager@demo.gongfang.cn", DEMO_PASSWORD).await;
        visit(&m, &app.url("/portal/reviews"), &at("the portal's reviews")).await;
        let first = element(&m, ".portal-review").await;
        assert!(first.text().await.unwrap().contains(&words), "the newest review is first");
        first.find(Locator::Css("details summary")).await.unwrap().click().await.unwrap();
        let reply = format!("谢谢您的支持！欢迎再来 {n}");
        first.find(Locator::Css("textarea[name=body]")).await.unwrap().send_keys(&reply).await.unwrap();
        first.find(Locator::Css("form[action$='/reply'] button")).await.unwrap().click().await.unwrap();
        // The reply posts and comes back to the same path: wait for the reply on the page.
        assert!(source_shows(&m, &reply).await, "the reply is on the portal's page");
        check_page(&m, &at("the portal's reviews with the reply")).await;
        m.close().await.unwrap();

        // The product page shows the review, its photo (stripped) and the reply.
        visit(&b, &app.url(&format!("/products/{slug}")), &at("the reviewed product")).await;
        let section = text_of(&b, "#reviews").await;
        assert!(section.contains(&words) && section.contains(&reply), "{section}");
        let src = element(&b, ".review-photos img").await.attr("src").await.unwrap().unwrap();
        let stored = reqwest::get(app.url(&src)).await.unwrap().bytes().await.unwrap().to_vec();
        assert_eq!(metadata_found(&stored), Vec::<String>::new(), "the photo's EXIF is gone");
        screenshot(&b, &format!("journey-review-product-{}", size.0)).await;
        b.close().await.unwrap();
    }
    let (code, out) = app.audit_verify();
    assert_eq!(code, Some(0), "{out}");
}

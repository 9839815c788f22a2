//! Issue 20's third journey, clicked through in Chromium at a phone's and a desktop's width:
//! a buyer asks the workshop a question from the product page (sent empty first: the form
//! says what is missing), the manager finds it in the portal and answers, and the e-mail
//! notices reach aiosmtpd: each links back to the thread and holds none of its words. The
//! buyer follows the link to the answer. Every page passes `webdriver::check_page`.

use crate::accounts::{start_smtp, wait_for_mail, KillOnDrop};
use crate::support::{skip, TestApp};
use crate::users::{link_in, DEMO_PASSWORD};
use crate::webdriver::{
    browser, check_page, driver, element, fill, screenshot, sign_in, source_shows, text_of, visit, wait_for_path,
    WIDTHS,
};

#[tokio::test]
async fn a_buyer_asks_the_manager_answers_and_the_mail_reaches_smtp() {
    let Some(driver) = driver().await else { return };
    let maildir = tempfile::tempdir().unwrap();
    let Some((smtp, port)) = start_smtp(maildir.path()) else {
        skip("aiosmtpd is not installed (pip install aiosmtpd): the message journey cannot run");
        return;
    };
    let _smtp = KillOnDrop(smtp);
    let app = TestApp::spawn_config(true, |c| c.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    let manager_api = crate::users::User::demo(&app, "manager").await;
    let slug = crate::messages::piece(&app, Some(manager_api.workshop_id().await), None);
    for (n, size) in WIDTHS.into_iter().enumerate() {
        let at = |what: &str| format!("{what} at {} px", size.0);
        let b = browser(&driver, size, "zh-CN", None).await;
        sign_in(&b, &app.base, "buyer@demo.gongfang.cn", DEMO_PASSWORD).await;

        // From the product page to the question form; empty first, then the question.
        visit(&b, &app.url(&format!("/products/{slug}")), &at("the product page")).await;
        element(&b, "a.ask").await.click().await.unwrap();
        wait_for_path(&b, |p| p.ends_with("/ask")).await;
        check_page(&b, &at("the question form")).await;
        b.execute("document.querySelector('form.ask-form').noValidate = true;", vec![]).await.unwrap();
        element(&b, "form.ask-form button[type=submit]").await.click().await.unwrap();
        element(&b, "#ask-body-error").await;
        check_page(&b, &at("the refused question")).await;
        let question = format!("这件漆器可以刻名字吗？第{n}问");
        fill(&b, "body", &question).await;
        element(&b, "form.ask-form button[type=submit]").await.click().await.unwrap();
        let path = wait_for_path(&b, |p| p.starts_with("/messages/")).await;
        let thread = path.trim_start_matches("/messages/").split(['#', '?']).next().unwrap().to_owned();
        assert!(text_of(&b, "ol.messages").await.contains(&question));
        check_page(&b, &at("the buyer's thread")).await;

        // The manager's notice arrives; it links to the portal's thread and quotes nothing.
        let mails = wait_for_mail(&maildir.path().join("new"), 2 * n + 1).await;
        let notice =
            mails.iter().find(|m| m.contains(&format!("/portal/messages/{thread}"))).expect("the manager's notice");
        assert!(!notice.contains("刻名字"), "the notice holds none of the words: {notice}");

        // The manager finds it in the portal, unread, and answers.
        let m = browser(&driver, size, "zh-CN", None).await;
        sign_in(&m, &app.base, "manager@demo.gongfang.cn", DEMO_PASSWORD).await;
        visit(&m, &app.url("/portal/messages"), &at("the portal's messages")).await;
        let link = element(&m, &format!("li.thread.unread a[href='/portal/messages/{thread}']")).await;
        link.click().await.unwrap();
        wait_for_path(&m, |p| p == format!("/portal/messages/{thread}")).await;
        check_page(&m, &at("the portal's thread")).await;
        let reply = format!("可以，刻字免费，三天内发货。第{n}答");
        fill(&m, "body", &reply).await;
        screenshot(&m, &format!("journey-message-answer-{}", size.0)).await;
        element(&m, "form.reply-form button[type=submit]").await.click().await.unwrap();
        wait_for_path(&m, |p| p.starts_with(&format!("/portal/messages/{thread}")) && !p.contains("?")).await;
        assert!(source_shows(&m, &reply).await, "the answer is on the portal's thread");
        m.close().await.unwrap();

        // The buyer's notice reaches aiosmtpd; its link opens the thread with the answer.
        let mails = wait_for_mail(&maildir.path().join("new"), 2 * n + 2).await;
        let notice = mails
            .iter()
            .rev()
            .find(|m| m.contains(&format!("/messages/{thread}")) && !m.contains("/portal/"))
            .expect("the buyer's notice");
        assert!(!notice.contains("刻字免费"), "the notice holds none of the words: {notice}");
        let url = link_in(notice, &format!("{}/messages/", app.base));
        visit(&b, &url, &at("the thread from the e-mail")).await;
        assert!(text_of(&b, "ol.messages").await.contains(&reply));
        screenshot(&b, &format!("journey-message-thread-{}", size.0)).await;
        b.close().await.unwrap();
    }
}

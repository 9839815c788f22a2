//! Messages (issue 20): a buyer asks a workshop about a piece or an order, in one thread per
//! buyer, workshop and subject; the workshop's staff answer; staff of another workshop,
//! officials and (until it is reported) operators get 404; each message queues a notice to
//! the other side in their language, without the message's text; a rate limit answers 429
//! with the wait; bad input names its field.

use crate::accounts::{start_smtp, wait_for_mail, KillOnDrop};
use crate::orders::{demo_order, stocked_product};
use crate::support::{skip, TestApp};
use crate::users::User;
use diesel::prelude::*;
use gongfang::db::schema::{audit_log, emails, products};
use serde_json::{json, Value};

/// The slug of a listed piece of `workshop`'s (or of any other workshop's, with `other_than`).
pub(crate) fn piece(app: &TestApp, workshop: Option<i64>, other_than: Option<i64>) -> String {
    let (id, _, _) = stocked_product(app, workshop, other_than);
    let mut conn = app.db.conn().unwrap();
    products::table.find(id).select(products::slug).first(&mut conn).unwrap()
}

/// The notices queued so far: (to, lang, subject). (A sent e-mail's stored text is blanked:
/// the words are read from aiosmtpd's Maildir.)
fn notices(app: &TestApp) -> Vec<(String, String, String)> {
    let mut conn = app.db.conn().unwrap();
    emails::table
        .filter(emails::kind.eq("message_received"))
        .order(emails::id)
        .select((emails::to_addr, emails::lang, emails::subject))
        .load(&mut conn)
        .unwrap()
}

/// The demo app sending mail to aiosmtpd, which delivers into the returned Maildir.
async fn with_mail() -> Option<(TestApp, tempfile::TempDir, KillOnDrop)> {
    let maildir = tempfile::tempdir().unwrap();
    let Some((smtp, port)) = start_smtp(maildir.path()) else {
        skip("aiosmtpd is not installed (pip install aiosmtpd): the message notices cannot be read");
        return None;
    };
    let app = TestApp::spawn_config(true, |c| c.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    Some((app, maildir, KillOnDrop(smtp)))
}

/// A buyer who signs up now, in `lang`.
async fn new_buyer(app: &TestApp, email: &str, lang: &str) -> User {
    let mut user = User::anonymous(app).await;
    let (status, body) = user
        .post_json(
            &format!("/api/v1/auth/register?lang={lang}"),
            &json!({"email": email, "password": "a long enough password", "display_name": "小林"}),
        )
        .await;
    assert!(status < 300, "{body}");
    user.refresh_csrf().await;
    user
}

#[tokio::test]
async fn a_question_about_a_piece_is_answered_by_its_workshop_and_no_one_else_reads_it() {
    let Some((app, maildir, _smtp)) = with_mail().await else { return };
    let buyer = User::demo(&app, "buyer").await;
    let manager = User::demo(&app, "manager").await;
    let slug = piece(&app, Some(manager.workshop_id().await), None);
    let ask = format!("/api/v1/products/{slug}/messages");

    // Bad input names its field and stores nothing; only buyers ask; an unknown piece is 404.
    let (status, body) = buyer.post_json(&ask, &json!({"body": "  "})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("body")), "{body}");
    let (status, body) = buyer.post_json(&ask, &json!({"body": "问".repeat(2_001)})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("body")), "{body}");
    assert_eq!(buyer.post_json("/api/v1/products/no-such-piece/messages", &json!({"body": "在吗"})).await.0, 404);
    assert_eq!(manager.post_json(&ask, &json!({"body": "在吗"})).await.0, 403);
    assert!(notices(&app).is_empty());

    // The question, twice: one thread.
    let secret = "可以刻“阿依”两个字吗？<script>alert(1)</script>";
    let (status, first) = buyer.post_json(&ask, &json!({"body": secret})).await;
    assert_eq!(status, 200, "{first}");
    let thread = first["id"].as_i64().unwrap();
    let (_, again) = buyer.post_json(&ask, &json!({"body": "还有银色的吗？"})).await;
    assert_eq!(again["id"].as_i64(), Some(thread), "one thread per buyer, workshop and subject");

    // The managers get a notice in their language that names the piece, links back, and
    // carries nothing of what was written.
    let sent = notices(&app);
    assert_eq!(sent.len(), 2, "{sent:?}");
    let (to, _, subject) = &sent[0];
    assert_eq!(to, "manager@demo.gongfang.cn");
    let mails = wait_for_mail(&maildir.path().join("new"), 2).await;
    for text in &mails {
        assert!(text.contains(&format!("/portal/messages/{thread}")), "{text}");
        assert!(!text.contains("阿依") && !subject.contains("阿依") && !text.contains("script"), "{text}");
    }

    // Another workshop's staff, officials and operators (before a report) get 404.
    for who in ["editor2", "official", "operator"] {
        let user = User::demo(&app, who).await;
        let (status, body) = user.get_json(&format!("/api/v1/messages/{thread}")).await;
        assert_eq!(status, 404, "{who}: {body}");
        assert_eq!(user.post_json(&format!("/api/v1/messages/{thread}"), &json!({"body": "x"})).await.0, 404, "{who}");
    }
    let (_, list) = User::demo(&app, "editor2").await.get_json("/api/v1/messages").await;
    assert_eq!(list["total"], 0, "{list}");

    // The workshop sees it unread, reads it, and answers; the buyer is told.
    let (_, list) = manager.get_json("/api/v1/messages").await;
    assert_eq!((list["total"].as_i64(), list["threads"][0]["unread"].as_bool()), (Some(1), Some(true)), "{list}");
    let (_, view) = manager.get_json(&format!("/api/v1/messages/{thread}")).await;
    assert_eq!(view["messages"].as_array().map(Vec::len), Some(2), "{view}");
    assert_eq!(view["messages"][0]["body"], secret);
    assert_eq!(view["reader"], "workshop");
    let (_, list) = manager.get_json("/api/v1/messages").await;
    assert_eq!(list["threads"][0]["unread"], false, "read once opened");
    let (status, body) =
        manager.post_json(&format!("/api/v1/messages/{thread}"), &json!({"body": "可以，三天内刻好。"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(notices(&app).last().unwrap().0, "buyer@demo.gongfang.cn");
    let mails = wait_for_mail(&maildir.path().join("new"), 3).await;
    let told = mails.iter().find(|m| !m.contains("/portal/messages/")).expect("the buyer's notice");
    assert!(told.contains(&format!("/messages/{thread}")) && !told.contains("三天内"), "{told}");
    let (_, list) = buyer.get_json("/api/v1/messages").await;
    assert_eq!(list["threads"][0]["unread"], true, "{list}");
    let (_, view) = buyer.get_json(&format!("/api/v1/messages/{thread}")).await;
    let workshop = &view["workshop"]["zh"];
    assert_eq!(view["messages"][2]["author"]["zh"], *workshop, "signed by the workshop: {view}");

    // The thread page escapes what was written, and a refused answer keeps its words beside
    // the field.
    let res = buyer.client.get(buyer.url(&format!("/messages/{thread}"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let raw = res.text().await.unwrap();
    assert!(raw.contains("&lt;script&gt;") && !raw.contains("<script>alert"), "escaped: {raw}");
    let (status, page) = manager.form(&format!("/portal/messages/{thread}"), &[("body", "")]).await;
    assert_eq!(status, 400);
    assert!(page.contains("field-error") && page.contains("reply-body-error"), "the error is beside the field");

    // A report: its reason is required and audited; then operators read it, and only read.
    let report = format!("/api/v1/messages/{thread}/report");
    let (status, body) = buyer.post_json(&report, &json!({"reason": ""})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("reason")), "{body}");
    assert_eq!(buyer.post_json(&report, &json!({"reason": "广告"})).await.0, 200);
    let operator = User::demo(&app, "operator").await;
    let (_, list) = operator.get_json("/api/v1/messages").await;
    assert_eq!(list["threads"][0]["id"].as_i64(), Some(thread), "{list}");
    let (status, view) = operator.get_json(&format!("/api/v1/messages/{thread}")).await;
    assert_eq!((status, view["report_reason"].as_str()), (200, Some("广告")), "{view}");
    assert_eq!(operator.post_json(&format!("/api/v1/messages/{thread}"), &json!({"body": "x"})).await.0, 403);
    let mut conn = app.db.conn().unwrap();
    let audited: i64 =
        audit_log::table.filter(audit_log::action.eq("message.report")).count().get_result(&mut conn).unwrap();
    assert_eq!(audited, 1);
    assert_eq!(app.audit_verify().0, Some(0));
}

#[tokio::test]
async fn a_question_about_an_order_goes_to_a_workshop_of_that_order_in_the_buyers_language() {
    let Some((app, maildir, _smtp)) = with_mail().await else { return };
    let order = demo_order(&app, 1, "ask-order").await;
    let number = order["number"].as_str().unwrap().to_owned();
    let buyer = User::demo(&app, "buyer").await;
    let own = User::demo(&app, "manager").await.workshop_id().await;
    let ask = format!("/api/v1/orders/{number}/messages");

    // A workshop that has nothing in the order is refused by name; one of the order's is
    // found without being named (the order holds one workshop's pieces).
    let (status, body) = buyer.post_json(&ask, &json!({"workshop_id": own + 1_000, "body": "何时发货？"})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("workshop_id")), "{body}");
    let (status, body) = buyer.post_json(&ask, &json!({"body": "何时发货？"})).await;
    assert_eq!(status, 200, "{body}");
    let thread = body["id"].as_i64().unwrap();
    let (_, view) = buyer.get_json(&format!("/api/v1/messages/{thread}")).await;
    assert_eq!(view["subject"]["order_number"], number.as_str(), "{view}");

    // Someone else's order is not found, as one that does not exist.
    let stranger = new_buyer(&app, "stranger@example.cn", "en").await;
    assert_eq!(stranger.post_json(&ask, &json!({"body": "hi"})).await.0, 404);
    assert_eq!(stranger.get_json(&format!("/api/v1/messages/{thread}")).await.0, 404);

    // The English buyer's notice of the workshop's answer is in English.
    let manager = User::demo(&app, "manager").await;
    let slug = piece(&app, Some(own), None);
    let (status, body) = stranger.post_json(&format!("/api/v1/products/{slug}/messages"), &json!({"body": "Hi"})).await;
    assert_eq!(status, 200, "{body}");
    let theirs = body["id"].as_i64().unwrap();
    assert_eq!(manager.post_json(&format!("/api/v1/messages/{theirs}"), &json!({"body": "你好"})).await.0, 200);
    let (to, lang, subject) = notices(&app).pop().unwrap();
    assert_eq!((to.as_str(), lang.as_str()), ("stranger@example.cn", "en"));
    assert!(subject.starts_with("A new message from"), "{subject}");
    // The order's own e-mail, two notices to the manager, and this one.
    let mails = wait_for_mail(&maildir.path().join("new"), 4).await;
    assert!(mails.iter().any(|m| m.contains("wrote to you about")), "{mails:?}");
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_the_wait_and_stores_nothing_beyond_it() {
    let app = TestApp::spawn().await;
    let buyer = User::demo(&app, "buyer").await;
    let mut conn = app.db.conn().unwrap();
    let slugs: Vec<String> = products::table
        .filter(products::status.eq("active"))
        .order(products::id)
        .select(products::slug)
        .limit(11)
        .load(&mut conn)
        .unwrap();
    assert_eq!(slugs.len(), 11, "the demo lists enough pieces");

    // Ten new threads a day; the eleventh is refused, with the wait, and not opened.
    let mut first = 0;
    for (i, slug) in slugs.iter().enumerate() {
        let res = buyer
            .client
            .post(buyer.url(&format!("/api/v1/products/{slug}/messages")))
            .header("X-CSRF-Token", &buyer.csrf)
            .json(&json!({"body": format!("问题 {i}")}))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let wait = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        let body: Value = res.json().await.unwrap();
        if i < 10 {
            assert_eq!(status, 200, "{i}: {body}");
            if i == 0 {
                first = body["id"].as_i64().unwrap();
            }
        } else {
            assert_eq!((status, body["error"]["code"].as_str()), (429, Some("message.error.too_many")), "{body}");
            assert!(wait.is_some_and(|w| w > 0 && w <= 24 * 3600), "{wait:?}");
        }
    }
    let (_, list) = buyer.get_json("/api/v1/messages").await;
    assert_eq!(list["total"], 10);

    // Twenty messages an hour: ten more in a thread, then 429 on the form too.
    for i in 0..10 {
        let (status, body) =
            buyer.post_json(&format!("/api/v1/messages/{first}"), &json!({"body": format!("再问 {i}")})).await;
        assert_eq!(status, 200, "{i}: {body}");
    }
    let (status, body) = buyer.post_json(&format!("/api/v1/messages/{first}"), &json!({"body": "又一条"})).await;
    assert_eq!(status, 429, "{body}");
    let (status, page) = buyer.form(&format!("/messages/{first}"), &[("body", "又一条")]).await;
    assert_eq!(status, 429);
    assert!(page.contains("又一条"), "the form keeps what was typed");
    let (_, view) = buyer.get_json(&format!("/api/v1/messages/{first}")).await;
    assert_eq!(view["messages"].as_array().map(Vec::len), Some(11), "nothing beyond the limit is stored");
}

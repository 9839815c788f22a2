//! Issue 15, hardening: no cache keeps personal or money answers; SQLite overwrites what it
//! deletes; the CSRF token travels in a URL only for uploads, and a login gets a new nonce; the
//! error page's back link stays on the site; the command line speaks in messages, not keys;
//! the checkout key and the piece rate say what is wrong; the checkout digest and the payment
//! start are built from stable names, never from Rust's `Debug` output.

use crate::orders::{checkout_body, stocked_product};
use crate::support::TestApp;
use crate::users::{link_in, mails_in, User};
use diesel::prelude::*;
use gongfang::db::schema::{emails, orders};
use serde_json::json;
use sha2::{Digest, Sha256};

fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

fn cookie_value(set_cookies: &[String], name: &str) -> Option<String> {
    set_cookies.iter().find_map(|c| c.strip_prefix(&format!("{name}="))?.split(';').next().map(str::to_owned))
}

#[tokio::test]
async fn answers_with_personal_or_money_data_are_never_cached() {
    let app = TestApp::spawn().await;
    let buyer = User::demo(&app, "buyer").await;
    let manager = User::demo(&app, "manager").await;
    let official = User::demo(&app, "official").await;
    let operator = User::demo(&app, "operator").await;
    let w = manager.workshop_id().await;
    let checks: Vec<(&User, String)> = vec![
        (&buyer, "/account".into()),
        (&buyer, "/api/v1/auth/session".into()),
        (&buyer, "/cart".into()),
        (&buyer, "/api/v1/cart".into()),
        (&buyer, "/orders".into()),
        (&buyer, "/api/v1/orders".into()),
        (&manager, "/portal".into()),
        (&manager, format!("/portal/workshops/{w}/workers")),
        (&manager, format!("/api/v1/portal/workshops/{w}/workers")),
        (&manager, format!("/portal/workshops/{w}/income")),
        (&manager, format!("/api/v1/portal/workshops/{w}/income")),
        (&operator, "/portal/payouts".into()),
        (&official, "/officials".into()),
        (&official, "/api/v1/reports".into()),
        // Error answers too: they may name the signed-in user in the page's header.
        (&buyer, "/orders/GF-NO-SUCH-ORDER".into()),
        (&buyer, "/api/v1/orders/GF-NO-SUCH-ORDER".into()),
    ];
    for (user, path) in checks {
        let res = user.client.get(user.url(&path)).send().await.unwrap();
        let status = res.status().as_u16();
        let cache: Vec<&str> = res.headers().get_all("cache-control").iter().map(|v| v.to_str().unwrap()).collect();
        assert_eq!(cache, ["private, no-store"], "{path} ({status})");
    }
    // Public files keep their own caching.
    let res = app.get("/static/css/site.css").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["cache-control"].to_str().unwrap().starts_with("public"));
}

#[tokio::test]
async fn sqlite_overwrites_what_it_deletes_so_a_sent_reset_link_leaves_no_trace() {
    let app = TestApp::spawn().await;
    let path = app.database_url();
    // secure_delete is SQLite's own setting; PostgreSQL's pages are not this test's to read,
    // so on that backend there is nothing to check (and nothing was skipped for want of a tool).
    if path.starts_with("postgres") {
        return;
    }
    // Read through a pooled connection of the app's own Db code.
    let mut conn = app.db.conn().unwrap();
    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        secure_delete: i32,
    }
    let setting: Setting = diesel::sql_query("PRAGMA secure_delete").get_result(&mut conn).unwrap();
    assert_eq!(setting.secure_delete, 1);

    // A reset link is mailed; once sent, its body is cleared from the database, and the
    // cleared bytes must not linger in the file's free space. The worker is stopped so the
    // mail waits, unsent, until the database file surely holds it.
    app.mailer.shutdown();
    let anon = User::anonymous(&app).await;
    assert_eq!(anon.form("/forgot", &[("email", "buyer@demo.gongfang.cn")]).await.0, 200);
    let body: String =
        emails::table.filter(emails::sent_at.is_null()).select(emails::body_text).first(&mut conn).unwrap();
    let token = link_in(&body, &app.url("/reset/")).rsplit('/').next().unwrap().to_owned();
    let in_files = |conn: &mut gongfang::db::DbConn| {
        // Everything in the write-ahead log goes into the file, and the log is emptied.
        diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").execute(conn).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
        bytes.windows(token.len()).any(|w| w == token.as_bytes())
    };
    assert!(in_files(&mut conn), "the unsent mail is in the database file");
    assert_eq!(app.mailer.send_due().unwrap(), 1);
    let cleared: Vec<String> = emails::table.select(emails::body_text).load(&mut conn).unwrap();
    assert!(cleared.iter().all(String::is_empty), "a sent mail's body is cleared");
    assert!(mails_in(&app.data_dir.join("mail"))[0].contains(&token), "the mail went out with its link");
    assert!(!in_files(&mut conn), "the cleared reset link is still in the database file");
}

#[tokio::test]
async fn a_csrf_token_in_the_url_is_taken_only_for_uploads() {
    let app = TestApp::spawn().await;
    let buyer = User::demo(&app, "buyer").await;
    let (product, _, _) = stocked_product(&app, None, None);
    let form = [("product_id", product.to_string()), ("quantity", "1".to_owned())];
    // A form or JSON body with the token only in the query string is refused…
    let url = buyer.url(&format!("/cart/items?csrf={}", buyer.csrf));
    let res = buyer.client.post(&url).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 403, "form with ?csrf=");
    let res = buyer.client.post(&url).json(&json!({"product_id": product})).send().await.unwrap();
    assert_eq!(res.status(), 403, "JSON with ?csrf=");
    // …and accepted in the body, as before.
    let res = buyer.client.post(buyer.url("/cart/items")).form(&[("csrf", buyer.csrf.clone())]).send().await.unwrap();
    assert_ne!(res.status(), 403);
    // A multipart upload, whose body the guard does not read, carries it in the query.
    let manager = User::demo(&app, "manager").await;
    let w = manager.workshop_id().await;
    let (_, products) = manager.get_json(&format!("/api/v1/portal/workshops/{w}/products")).await;
    let own = products[0]["id"].as_i64().unwrap();
    let photos = |csrf: &str| manager.url(&format!("/portal/products/{own}/photos?csrf={csrf}"));
    let part = || reqwest::multipart::Part::bytes(crate::photo_files::png(64, 48)).file_name("p.png");
    let upload = |csrf: String| {
        let form = reqwest::multipart::Form::new().part("photo", part()).text("alt_zh", "漆碗").text("alt_en", "Bowl");
        manager.client.post(photos(&csrf)).multipart(form).send()
    };
    assert_eq!(upload("forged".into()).await.unwrap().status(), 403, "a wrong token in the query");
    let res = upload(manager.csrf.clone()).await.unwrap();
    assert_eq!(res.status(), 303, "the upload form's token in its query string");
}

#[tokio::test]
async fn a_login_replaces_the_csrf_nonce() {
    let app = TestApp::spawn().await;
    // JSON login: a new gf_csrf cookie and the token that goes with it.
    let browser = User::anonymous(&app).await;
    let res = browser
        .client
        .post(browser.url("/api/v1/auth/login"))
        .header("X-CSRF-Token", &browser.csrf)
        .json(&json!({"email": "buyer@demo.gongfang.cn", "password": crate::users::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookies = set_cookies(&res);
    let nonce = cookie_value(&cookies, "gf_csrf").expect("a new CSRF cookie at login");
    let body: serde_json::Value = res.json().await.unwrap();
    let fresh = body["csrf_token"].as_str().unwrap().to_owned();
    assert_ne!(fresh, browser.csrf, "the token changes with the nonce");
    assert!(nonce.len() >= 32);
    // The token from before the login (as one planted by someone else would be) no longer works.
    let cart = |token: &str| {
        browser
            .client
            .post(browser.url("/api/v1/cart/items"))
            .header("X-CSRF-Token", token)
            .json(&json!({"product_id": 1}))
    };
    assert_eq!(cart(&browser.csrf).send().await.unwrap().status(), 403);
    assert_ne!(cart(&fresh).send().await.unwrap().status(), 403);
    let (_, session) = browser.get_json("/api/v1/auth/session").await;
    assert_eq!(session["csrf_token"].as_str(), Some(fresh.as_str()), "the session shows the new token");

    // Form login: the redirect carries the new cookie too.
    let browser = User::anonymous(&app).await;
    let res = browser
        .client
        .post(browser.url("/login"))
        .form(&[
            ("csrf", browser.csrf.as_str()),
            ("email", "buyer@demo.gongfang.cn"),
            ("password", crate::users::DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(cookie_value(&set_cookies(&res), "gf_csrf").is_some(), "{:?}", set_cookies(&res));
    let (_, session) = browser.get_json("/api/v1/auth/session").await;
    assert_ne!(session["csrf_token"].as_str(), Some(browser.csrf.as_str()));
}

#[tokio::test]
async fn the_error_pages_back_link_stays_on_the_site() {
    let app = TestApp::spawn().await;
    let host = app.base.strip_prefix("http://").unwrap();
    let back = |referer: String| {
        let client = app.client.clone();
        let url = app.url("/products/no-such-piece");
        async move {
            let res = client.get(url).header("Referer", referer).send().await.unwrap();
            assert_eq!(res.status(), 404);
            crate::support::unescape(&res.text().await.unwrap())
        }
    };
    // A page on this site is offered as the way back…
    let page = back(format!("http://{host}/products?page=2")).await;
    assert!(page.contains("href=\"/products?page=2\""), "{page}");
    // …but nothing a browser would read as another site.
    for evil in ["/\\evil.example/x", "//evil.example/x", "/\\/evil.example", "/%09/evil.example x"] {
        let page = back(format!("http://{host}{evil}")).await;
        assert!(!page.contains("evil.example"), "{evil}: {page}");
    }
}

#[tokio::test]
async fn the_command_line_prints_messages_not_keys() {
    let app = TestApp::spawn().await;
    for (lang, expected) in [
        ("en_US.UTF-8", "The month 2099-01 has not ended yet; payouts are made for months that have ended."),
        ("zh_CN.UTF-8", "2099-01 月尚未结束；只能为已结束的月份打款。"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_gongfang"))
            .args(["payouts", "run", "--period", "2099-01"])
            .env("DATABASE_URL", app.database_url())
            .env("GONGFANG_DATA_DIR", &app.data_dir)
            .env("GONGFANG_MEDIA_DIR", crate::support::shared_media_dir())
            .env("RUST_LOG", "off")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", lang)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(stderr.contains(expected), "{lang}: {stderr}");
        assert!(!stderr.contains("payout.error"), "{lang}: {stderr}");
    }
}

#[tokio::test]
async fn a_bad_checkout_key_and_a_zero_piece_rate_say_what_is_wrong() {
    let app = TestApp::spawn().await;
    let buyer = User::demo(&app, "buyer").await;
    let (product, _, _) = stocked_product(&app, None, None);
    let (status, body) =
        buyer.post_json("/api/v1/checkout?lang=en", &checkout_body(&[(product, 1)], "short", "bank_transfer")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "checkout.error.key");
    assert_eq!(body["error"]["field"], "idempotency_key");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("8 to 100") && !message.contains("expired"), "{message}");

    // A piece rate of zero is refused with its reason, not as "not an amount".
    let manager = User::demo(&app, "manager").await;
    let w = manager.workshop_id().await;
    let (_, products) = manager.get_json(&format!("/api/v1/portal/workshops/{w}/products")).await;
    let heritage = products[0]["heritage_item_id"].as_i64().unwrap();
    let product = |rate: serde_json::Value| {
        json!({"heritage_item_id": heritage, "title_zh": "计件漆碗", "category": "lacquerware", "price_fen": 19999,
               "stock": 3, "wage_rule": "piece_rate", "piece_rate_fen": rate})
    };
    let create = format!("/api/v1/portal/workshops/{w}/products?lang=en");
    let (status, body) = manager.post_json(&create, &product(json!(0))).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "error.piece_rate_zero");
    assert_eq!(body["error"]["field"], "piece_rate");
    assert!(body["error"]["message"].as_str().unwrap().contains("at least 0.01"), "{body}");
    let (status, body) = manager
        .form(
            &format!("/portal/workshops/{w}/products"),
            &[
                ("heritage_item_id", &heritage.to_string()),
                ("title_zh", "计件漆碗"),
                ("category", "lacquerware"),
                ("price", "199.99"),
                ("stock", "3"),
                ("wage_rule", "piece_rate"),
                ("piece_rate", "0.00"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    // The manager chose English above (`?lang=en` is remembered).
    assert!(body.contains("A piece rate must be at least 0.01 yuan"), "{body}");
    // One fen per piece is a wage.
    let (status, body) = manager.post_json(&create, &product(json!(1))).await;
    assert!(status == 200 || status == 201, "{status} {body}");
}

/// The digest the checkout documents: each field length-prefixed, the items as `id×quantity`.
fn documented_digest(fields: &[&str]) -> String {
    let text: String = fields.iter().map(|f| format!("{}:{f}|", f.len())).collect();
    let hex: String = Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    format!("v2:{hex}")
}

#[tokio::test]
async fn the_checkout_digest_is_built_from_stable_text() {
    let app = TestApp::spawn().await;
    let buyer = User::demo(&app, "buyer").await;
    let (product, _, _) = stocked_product(&app, None, None);
    let body = checkout_body(&[(product, 2)], "digest-key-000001", "bank_transfer");
    let (status, placed) = buyer.post_json("/api/v1/checkout", &body).await;
    assert_eq!(status, 201, "{placed}");
    let number = placed["number"].as_str().unwrap().to_owned();
    let mut conn = app.db.conn().unwrap();
    let stored: String =
        orders::table.filter(orders::number.eq(&number)).select(orders::request_digest).first(&mut conn).unwrap();
    let items = format!("{product}×2");
    let expected =
        documented_digest(&[&items, "bank_transfer", "阿依", "13800138000", "CN", "513432", "光明镇 1 号", "616750"]);
    assert_eq!(stored, expected);
    // A retry matches it; the same key for something else does not.
    let (status, again) = buyer.post_json("/api/v1/checkout", &body).await;
    assert_eq!((status, again["number"].as_str()), (200, Some(number.as_str())), "{again}");
    let (status, _) = buyer
        .post_json("/api/v1/checkout", &checkout_body(&[(product, 1)], "digest-key-000001", "bank_transfer"))
        .await;
    assert_eq!(status, 409);
    // An order placed before the digest's version 2 is found by its key alone: its retry gets
    // that order back, never a second one nor a refusal.
    let old = format!("{:x}", Sha256::digest(b"[(1, 2)]|offline|..."));
    diesel::update(orders::table.filter(orders::number.eq(&number)))
        .set(orders::request_digest.eq(&old))
        .execute(&mut conn)
        .unwrap();
    let (status, again) = buyer.post_json("/api/v1/checkout", &body).await;
    assert_eq!((status, again["number"].as_str()), (200, Some(number.as_str())), "{again}");
}

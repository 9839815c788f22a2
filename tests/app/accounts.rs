//! Accounts over HTTP: registration and login, CSRF, the login rate limit, password reset
//! by e-mailed link (through a real SMTP server on loopback), invitations, and the audit log.

use crate::support::{skip, TestApp};
use crate::users::{link_in, mails_in, User, DEMO_PASSWORD};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn register_login_logout_and_the_pages_that_need_a_login() {
    let app = TestApp::spawn().await;
    let mut anon = User::anonymous(&app).await;
    let (status, to) =
        anon.form("/register", &[("email", "Mei@Example.cn"), ("password", "短"), ("display_name", "梅")]).await;
    assert_eq!(status, 400);
    assert!(to.contains("10 到 128"), "the password rule is explained: {to}");
    let (status, to) = anon
        .form("/register", &[("email", "Mei@Example.cn"), ("password", "lacquer and silver"), ("display_name", "梅")])
        .await;
    assert_eq!((status, to.as_str()), (303, "/account"));
    // Signing in renewed the CSRF nonce; the forms of the next page carry the new token.
    anon.refresh_csrf().await;
    let (_, page) = anon.page("/account").await;
    assert!(page.contains("mei@example.cn") && page.contains("买家"), "{page}");
    let again = User::anonymous(&app).await;
    let (status, body) = again
        .form("/register", &[("email", "mei@example.cn"), ("password", "lacquer and silver"), ("display_name", "x")])
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("已经注册"), "a taken address is a user error, not a 500: {body}");
    let (status, _) = anon.form("/logout", &[]).await;
    assert_eq!(status, 303);
    let (status, to) = anon.page("/portal").await;
    assert_eq!(status, 303, "{to}");
    let res = anon.client.get(anon.url("/portal/workshops/1")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/login?next=%2Fportal%2Fworkshops%2F1");
    let (status, body) = anon.get_json("/api/v1/portal/workshops/1").await;
    assert_eq!(status, 401, "{body}");
    // Wrong password: a clear message, no hint whether the account exists.
    let (status, body) = anon.form("/login", &[("email", "mei@example.cn"), ("password", "wrong password!")]).await;
    assert_eq!(status, 400);
    assert!(body.contains("邮箱或密码不对"));
    let (status, to) = anon
        .form("/login", &[("email", "mei@example.cn"), ("password", "lacquer and silver"), ("next", "//evil.example/")])
        .await;
    assert_eq!((status, to.as_str()), (303, "/account"), "an off-site next is ignored");
    anon.refresh_csrf().await;
    let tab = [("email", "mei@example.cn"), ("password", "lacquer and silver"), ("next", "/\t/evil.example/")];
    assert_eq!(anon.form("/login", &tab).await, (303, "/account".to_owned()), "a next with a tab is ignored");
    anon.refresh_csrf().await;
    let local = [("email", "mei@example.cn"), ("password", "lacquer and silver"), ("next", "/portal?x=1")];
    assert_eq!(anon.form("/login", &local).await, (303, "/portal?x=1".to_owned()), "a path on this site is followed");
}

#[tokio::test]
async fn cookies_are_http_only_same_site_and_secure_behind_tls() {
    let app = TestApp::spawn_config(true, |c| c.public_url = "https://gongfang.example".into()).await;
    let anon = User::anonymous(&app).await;
    let res = anon
        .client
        .post(anon.url("/api/v1/auth/login"))
        .header("X-CSRF-Token", &anon.csrf)
        .json(&json!({"email": "buyer@demo.gongfang.cn", "password": DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("gf_session="));
    let cookie = cookie.expect("a session cookie");
    for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing: {cookie}");
    }
    // Without TLS the cookie cannot be Secure (the browser would drop it), but keeps the rest.
    let plain = TestApp::spawn().await;
    let res = reqwest::get(plain.url("/login")).await.unwrap();
    let csrf = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(csrf.starts_with("gf_csrf=") && csrf.contains("HttpOnly") && !csrf.contains("Secure"), "{csrf}");
}

#[tokio::test]
async fn a_form_post_without_a_valid_csrf_token_is_refused() {
    let app = TestApp::spawn().await;
    let manager = User::demo(&app, "manager").await;
    let w = manager.workshop_id().await;
    let path = format!("/portal/workshops/{w}/profile");
    let fields = [("name_zh", "改过的名字"), ("name_en", "Renamed"), ("story_zh", ""), ("story_en", "")];
    // No token at all, a forged token, and a token of another browser.
    let res = manager.client.post(manager.url(&path)).form(&fields).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("表单已过期"));
    let mut forged = fields.to_vec();
    forged.push(("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    let res = manager.client.post(manager.url(&path)).form(&forged).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let other = User::anonymous(&app).await;
    let mut stolen = fields.to_vec();
    stolen.push(("csrf", &other.csrf));
    let res = manager.client.post(manager.url(&path)).form(&stolen).send().await.unwrap();
    assert_eq!(res.status(), 403);
    // JSON with the session cookie needs the header too.
    let res = manager
        .client
        .post(manager.url(&format!("/api/v1{path}")))
        .json(&json!({"name_zh": "x", "name_en": "y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let (_, page) = manager.page(&format!("/portal/workshops/{w}")).await;
    assert!(!page.contains("改过的名字"), "nothing changed");
    // With the token it works; a bearer token needs no CSRF token.
    let (status, _) = manager.form(&path, &fields).await;
    assert_eq!(status, 303);
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/auth/tokens"))
        .json(&json!({"email": "manager@demo.gongfang.cn", "password": DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let token = res.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1{path}")))
        .bearer_auth(&token)
        .json(&json!({"name_zh": "令牌改名", "name_en": "By token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (_, w) = manager.get_json(&format!("/api/v1/portal/workshops/{w}")).await;
    assert_eq!(w["name_zh"], "令牌改名");
}

#[tokio::test]
async fn login_is_rate_limited_per_account_and_per_ip() {
    let app = TestApp::spawn_config(true, |c| {
        c.accounts.max_failures_per_account = 3;
        c.accounts.max_failures_per_ip = 8;
    })
    .await;
    let anon = User::anonymous(&app).await;
    let attempt = |email: &'static str, password: &'static str| {
        let anon = &anon;
        async move { anon.post_json("/api/v1/auth/login", &json!({"email": email, "password": password})).await }
    };
    for _ in 0..3 {
        assert_eq!(attempt("buyer@demo.gongfang.cn", "not the password").await.0, 400);
    }
    // Locked: even the right password is refused, with a clear message and Retry-After.
    let (status, body) = attempt("buyer@demo.gongfang.cn", DEMO_PASSWORD).await;
    assert_eq!(status, 429, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("15 分钟"));
    let res = anon
        .client
        .post(anon.url("/api/v1/auth/login"))
        .header("X-CSRF-Token", &anon.csrf)
        .json(&json!({"email": "buyer@demo.gongfang.cn", "password": DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    let wait: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&wait));
    // Another account is not locked by the first one's failures (signed in from another
    // browser on the same address, since a login renews the browser's CSRF token).
    let other = User::anonymous(&app).await;
    let editor = json!({"email": "editor@demo.gongfang.cn", "password": DEMO_PASSWORD});
    assert_eq!(other.post_json("/api/v1/auth/login", &editor).await.0, 200);
    // Failures spread over accounts trip the per-address limit (3 so far, 5 more).
    for who in ["a@x.cn", "b@x.cn", "c@x.cn", "d@x.cn", "e@x.cn"] {
        assert_eq!(attempt(who, "guessing").await.0, 400);
    }
    let (status, body) = attempt("official@demo.gongfang.cn", DEMO_PASSWORD).await;
    assert_eq!(status, 429, "the address is locked out: {body}");
    assert!(body["error"]["code"] == "error.login_locked_ip");
}

/// A child process stopped when the test ends, however it ends (a failed assertion too).
pub(crate) struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts aiosmtpd (PyPI) on a free loopback port, delivering into a Maildir.
pub(crate) fn start_smtp(dir: &std::path::Path) -> Option<(std::process::Child, u16)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    smtp_on(dir, port).map(|child| (child, port))
}

/// Starts aiosmtpd on `port`, delivering into the Maildir `dir`; waits until it answers.
pub(crate) fn smtp_on(dir: &std::path::Path, port: u16) -> Option<std::process::Child> {
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let child = std::process::Command::new(crate::support::test_python())
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(child);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

pub(crate) async fn wait_for_mail(dir: &std::path::Path, count: usize) -> Vec<String> {
    for _ in 0..200 {
        let mails = mails_in(dir);
        // A file can be seen before the sender has finished writing it: only mails that are
        // there, non-empty and the same a moment later count as arrived.
        if mails.len() >= count && mails.iter().all(|m| !m.trim().is_empty()) {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if mails_in(dir) == mails {
                return mails;
            }
            continue;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("expected {count} mails in {}", dir.display());
}

#[tokio::test]
async fn a_reset_link_arrives_by_smtp_works_once_and_expires() {
    let maildir = tempfile::tempdir().unwrap();
    let Some((mut smtp, port)) = start_smtp(maildir.path()) else {
        skip("aiosmtpd is not installed (pip install aiosmtpd): the SMTP e-mail test cannot run");
        return;
    };
    let app = TestApp::spawn_config(true, |c| {
        c.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.accounts.reset_ttl = Duration::from_secs(2);
    })
    .await;
    // The demo buyer reads English.
    app.execute("UPDATE users SET lang = 'en' WHERE email = 'buyer@demo.gongfang.cn'");
    let anon = User::anonymous(&app).await;
    let (status, body) = anon.form("/forgot", &[("email", "buyer@demo.gongfang.cn")]).await;
    assert_eq!(status, 200);
    assert!(body.contains("如果有账户使用这个邮箱"));
    // An unknown address gets the same answer and no mail.
    let (status, _) = anon.form("/forgot", &[("email", "nobody@demo.gongfang.cn")]).await;
    assert_eq!(status, 200);
    let mails = wait_for_mail(&maildir.path().join("new"), 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mails_in(&maildir.path().join("new")).len(), 1, "no mail for an unknown address");
    let mail = &mails[0];
    assert!(mail.contains("To: buyer@demo.gongfang.cn"), "{mail}");
    assert!(mail.contains("Content-Language: en") && mail.contains("Reset your Gongfang password"), "{mail}");
    let link = link_in(mail, &app.url("/reset/"));
    let path = link.strip_prefix(&app.base).unwrap().to_owned();
    assert_eq!(anon.page(&path).await.0, 200, "the link opens its form");
    // Ask for a second link before using the first: using one ends both.
    anon.form("/forgot", &[("email", "buyer@demo.gongfang.cn")]).await;
    let mails = wait_for_mail(&maildir.path().join("new"), 2).await;
    let other = link_in(&mails[1], &app.url("/reset/")).strip_prefix(&app.base).unwrap().to_owned();
    let (status, body) = anon.form(&path, &[("password", "a brand new password")]).await;
    assert_eq!(anon.page(&other).await.0, 404, "the other link ended with the reset");
    assert_eq!(status, 200, "{body}");
    assert_eq!(anon.form(&path, &[("password", "another new password")]).await.0, 404, "it works once");
    // Sent mail keeps no body in the database: its links would outlive it in every backup.
    let token = path.rsplit('/').next().unwrap().to_owned();
    let mut conn = app.db.conn().unwrap();
    use diesel::prelude::*;
    use gongfang::db::schema::emails;
    let bodies: Vec<(String, Option<chrono::NaiveDateTime>)> =
        emails::table.select((emails::body_text, emails::sent_at)).load(&mut conn).unwrap();
    assert!(bodies.len() >= 2 && bodies.iter().all(|(body, sent)| sent.is_some() && body.is_empty()), "{bodies:?}");
    assert!(!bodies.iter().any(|(body, _)| body.contains(&token)));
    User::login(&app, "buyer@demo.gongfang.cn", "a brand new password").await;

    // A new link expires after its two seconds.
    anon.form("/forgot", &[("email", "buyer@demo.gongfang.cn")]).await;
    let mails = wait_for_mail(&maildir.path().join("new"), 3).await;
    let link = link_in(&mails[2], &app.url("/reset/"));
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let path = link.strip_prefix(&app.base).unwrap();
    assert_eq!(anon.page(path).await.0, 404);
    assert_eq!(anon.form(path, &[("password", "too late password")]).await.0, 404);
    let _ = smtp.kill();
}

#[tokio::test]
async fn an_smtp_outage_delays_mail_and_loses_none() {
    let maildir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = TestApp::spawn_config(true, |c| c.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    let anon = User::anonymous(&app).await;
    assert_eq!(anon.form("/forgot", &[("email", "buyer@demo.gongfang.cn")]).await.0, 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.mailer.pending().unwrap(), 1, "the mail waits while no server answers");
    // Start the server on that port: the waiting mail goes out.
    let Some(mut smtp) = smtp_on(maildir.path(), port) else {
        skip("python3 with aiosmtpd is not available");
        return;
    };
    app.mailer.wake();
    let mails = wait_for_mail(&maildir.path().join("new"), 1).await;
    assert!(mails[0].contains("/reset/"));
    // The worker records a mail as sent just after the server took it.
    let mut waited = 0;
    while app.mailer.pending().unwrap() > 0 && waited < 50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    assert_eq!(app.mailer.pending().unwrap(), 0);
    let _ = smtp.kill();
}

#[tokio::test]
async fn invitations_give_roles_and_leave_eml_files_without_smtp() {
    let app = TestApp::spawn().await;
    let operator = User::demo(&app, "operator").await;
    let manager = User::demo(&app, "manager").await;
    let w = manager.workshop_id().await;
    // The manager invites an editor; the mail is written as an .eml file.
    let (status, body) = manager
        .form("/portal/invitations", &[("email", "new.editor@example.cn"), ("role", "editor"), ("lang", "en")])
        .await;
    assert_eq!(status, 200, "{body}");
    // A manager may not invite a manager; an operator may, and an official.
    let (status, _) = manager
        .post_json(
            "/api/v1/portal/invitations",
            &json!({"email": "m2@example.cn", "role": "manager", "workshop_id": w}),
        )
        .await;
    assert_eq!(status, 403);
    // The operator's form sends every field, the unused workshop id empty.
    let fields = [
        ("email", "gov@example.cn"),
        ("role", "official"),
        ("workshop_id", ""),
        ("region_code", "513400"),
        ("lang", "zh"),
    ];
    let (status, body) = operator.form("/portal/invitations", &fields).await;
    assert_eq!(status, 200, "{body}");
    let eml = app.data_dir.join("mail");
    let mut mails = Vec::new();
    // Up to 60 s: the mail worker delivers within its poll, but a loaded CI machine (browser
    // tests and builds beside this one, on two cores) has delayed it past 20 s.
    for _ in 0..1200 {
        mails = mails_in(&eml);
        if mails.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mail = mails.iter().find(|m| m.contains("new.editor@example.cn")).expect("the editor's invitation");
    assert!(mail.contains("invites you to Gongfang as workshop editor"), "{mail}");
    assert!(mail.contains("Content-Language: en") && mail.contains("Subject: You are invited to Gongfang"), "{mail}");
    let official = mails.iter().find(|m| m.contains("gov@example.cn")).expect("the official's invitation");
    assert!(official.contains("Content-Language: zh") && official.contains("以政府工作人员身份加入工坊"), "{official}");
    let path = link_in(mail, &app.url("/invite/")).strip_prefix(&app.base).unwrap().to_owned();
    let mut anon = User::anonymous(&app).await;
    let (status, page) = anon.page(&path).await;
    assert_eq!(status, 200);
    assert!(page.contains("new.editor@example.cn"));
    let (status, to) = anon.form(&path, &[("display_name", "新编辑"), ("password", "an editor password")]).await;
    assert_eq!((status, to.as_str()), (303, "/portal"));
    // Accepting signed the browser in, which renews its CSRF token.
    anon.refresh_csrf().await;
    assert_eq!(anon.form(&path, &[("display_name", "again"), ("password", "an editor password")]).await.0, 404);
    let editor = User::login(&app, "new.editor@example.cn", "an editor password").await;
    assert_eq!(editor.workshop_id().await, w);
    let (status, _) = editor.get_json(&format!("/api/v1/portal/workshops/{w}/products")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn audit_verify_passes_on_the_demo_and_names_an_edited_row() {
    let app = TestApp::spawn().await;
    let manager = User::demo(&app, "manager").await;
    let w = manager.workshop_id().await;
    let (_, workers) = manager.get_json(&format!("/api/v1/portal/workshops/{w}/workers")).await;
    let worker = workers[0]["id"].as_i64().unwrap();
    for given in [false, true, false] {
        let (status, _) = manager
            .post_json(&format!("/api/v1/portal/workers/{worker}/consent"), &json!({"item": "photo", "given": given}))
            .await;
        assert_eq!(status, 200);
    }
    let (code, text) = app.audit_verify();
    assert_eq!((code, text.lines().next()), (Some(0), Some("audit log intact: 9 entries verified")), "{text}");
    let mut conn = app.db.conn().unwrap();
    let report = gongfang::db::audit::verify(&mut conn).unwrap();
    assert!(report.entries >= 9, "demo roles and the three consent changes: {report:?}");
    assert_eq!(report.first_broken, None);
    // Appends are refused by the database itself; an attacker with the DBA's rights can
    // drop the guard, and then the chain still shows the edit.
    let edit = "UPDATE audit_log SET detail = '{\"item\":\"photo\",\"given\":true}' WHERE seq = 8";
    let refused = diesel::connection::SimpleConnection::batch_execute(&mut *conn, edit);
    assert!(refused.is_err(), "the audit log is append-only");
    let drop_guard = match app.db.backend() {
        "sqlite" => "DROP TRIGGER audit_log_no_update",
        _ => "DROP TRIGGER audit_log_no_change ON audit_log",
    };
    app.execute(drop_guard);
    app.execute(edit);
    let report = gongfang::db::audit::verify(&mut conn).unwrap();
    assert_eq!(report.first_broken.as_ref().map(|(seq, _)| *seq), Some(8), "{report:?}");
    assert_eq!(report.entries, 7);
    let (code, text) = app.audit_verify();
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("BROKEN at entry 8"), "{text}");
}

//! A signed-in (or anonymous) browser for the account and portal tests: its own cookie jar,
//! the CSRF token of its `gf_csrf` cookie, and helpers for form posts and JSON calls.

use crate::support::TestApp;
use serde_json::Value;

/// The demo password (see `seed::DEMO_PASSWORD`).
pub const DEMO_PASSWORD: &str = "gongfang-demo";

pub struct User {
    pub client: reqwest::Client,
    pub csrf: String,
    base: String,
}

impl User {
    /// A browser that has visited the site (so it holds a CSRF cookie) but not logged in.
    pub async fn anonymous(app: &TestApp) -> User {
        User::anonymous_at(&app.base).await
    }

    /// [`User::anonymous`] on the server at `base` (a node or a balancer of a fleet).
    pub async fn anonymous_at(base: &str) -> User {
        // Idle connections are dropped before the server's 5-second keep-alive closes them, so
        // a request after a long pause never lands on a connection the server is closing.
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()
            .unwrap();
        let session: Value =
            client.get(format!("{base}/api/v1/auth/session")).send().await.unwrap().json().await.unwrap();
        let csrf = session["csrf_token"].as_str().expect("a CSRF token").to_owned();
        User { client, csrf, base: base.to_owned() }
    }

    /// Logs in through the JSON API.
    pub async fn login(app: &TestApp, email: &str, password: &str) -> User {
        User::login_at(&app.base, email, password).await
    }

    /// [`User::login`] on the server at `base`.
    pub async fn login_at(base: &str, email: &str, password: &str) -> User {
        let mut user = User::anonymous_at(base).await;
        let (status, body) =
            user.post_json("/api/v1/auth/login", &serde_json::json!({"email": email, "password": password})).await;
        assert_eq!(status, 200, "login of {email}: {body}");
        // A login renews the CSRF nonce: from now on, the token it answered with.
        user.csrf = body["csrf_token"].as_str().expect("a CSRF token at login").to_owned();
        user
    }

    /// The same browser (cookies and all) talking to another server of the same fleet.
    pub fn at(&self, base: &str) -> User {
        User { client: self.client.clone(), csrf: self.csrf.clone(), base: base.to_owned() }
    }

    /// Logs in as a demo account, e.g. `manager`.
    pub async fn demo(app: &TestApp, who: &str) -> User {
        User::login(app, &format!("{who}@demo.gongfang.cn"), DEMO_PASSWORD).await
    }

    /// Reads this browser's CSRF token again (a login or sign-up renews its nonce).
    pub async fn refresh_csrf(&mut self) {
        let (_, session) = self.get_json("/api/v1/auth/session").await;
        self.csrf = session["csrf_token"].as_str().expect("a CSRF token").to_owned();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs a form with this browser's CSRF token; returns (status, Location or body).
    pub async fn form(&self, path: &str, pairs: &[(&str, &str)]) -> (u16, String) {
        let mut all: Vec<(&str, &str)> = vec![("csrf", &self.csrf)];
        all.extend_from_slice(pairs);
        let res = self.client.post(self.url(path)).form(&all).send().await.unwrap();
        let status = res.status().as_u16();
        let location = res.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
        let text = res.text().await.unwrap();
        (status, location.unwrap_or_else(|| crate::support::unescape(&text)))
    }

    /// POSTs JSON with the CSRF header (the way a browser app with a session calls the API).
    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let res = self.client.post(self.url(path)).header("X-CSRF-Token", &self.csrf).json(body).send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let res = self.client.get(self.url(path)).send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn page(&self, path: &str) -> (u16, String) {
        let res = self.client.get(self.url(path)).send().await.unwrap();
        let status = res.status().as_u16();
        (status, crate::support::unescape(&res.text().await.unwrap()))
    }

    /// Uploads a photo (multipart) to a product, through the form route or the API.
    pub async fn upload(&self, path: &str, file_name: &str, bytes: Vec<u8>) -> (u16, Value) {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned());
        let form =
            reqwest::multipart::Form::new().part("photo", part).text("alt_zh", "漆碗").text("alt_en", "A lacquer bowl");
        let res =
            self.client.post(self.url(path)).header("X-CSRF-Token", &self.csrf).multipart(form).send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// The signed-in user's workshop id.
    pub async fn workshop_id(&self) -> i64 {
        let (_, s) = self.get_json("/api/v1/auth/session").await;
        s["user"]["workshop_id"].as_i64().expect("workshop staff")
    }
}

/// The messages of a `.eml` directory (no SMTP) or a Maildir `new/` directory, oldest first.
pub fn mails_in(dir: &std::path::Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    files.iter().filter_map(|p| std::fs::read_to_string(p).ok()).map(|m| decode_body(&m)).collect()
}

/// Undoes quoted-printable and base64 bodies well enough to find links and words.
fn decode_body(mail: &str) -> String {
    let (head, body) = mail.split_once("\r\n\r\n").or_else(|| mail.split_once("\n\n")).unwrap_or((mail, ""));
    let decoded = if head.to_ascii_lowercase().contains("content-transfer-encoding: base64") {
        use base64::Engine;
        let joined: String = body.split_whitespace().collect();
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(joined).unwrap_or_default())
            .unwrap_or_default()
    } else if head.to_ascii_lowercase().contains("quoted-printable") {
        let soft = body.replace("=\r\n", "").replace("=\n", "");
        let mut out = Vec::new();
        let b = soft.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'=' && i + 2 < b.len() {
                if let Ok(v) = u8::from_str_radix(&soft[i + 1..i + 3], 16) {
                    out.push(v);
                    i += 3;
                    continue;
                }
            }
            out.push(b[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    } else {
        body.to_owned()
    };
    format!("{head}\n\n{decoded}")
}

/// The first link in a mail that starts with `prefix`.
pub fn link_in(mail: &str, prefix: &str) -> String {
    let start = mail.find(prefix).unwrap_or_else(|| panic!("no {prefix} link in {mail}"));
    mail[start..].split_whitespace().next().unwrap().to_owned()
}

//! The `gongfang` binary as a user runs it: configuration errors, `migrate`, and
//! `serve --demo` serving the demo marketplace, then stopping gracefully on SIGTERM.

use crate::support::shared_media_dir;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn gongfang() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gongfang"));
    for var in [
        "DATABASE_URL",
        "GONGFANG_BIND",
        "GONGFANG_DATA_DIR",
        "GONGFANG_CONFIG",
        "GONGFANG_PUBLIC_URL",
        "MEILI_URL",
        "MEILI_MASTER_KEY",
        "MEILI_INDEX",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("RUST_LOG", "warn");
    cmd
}

#[test]
fn a_bad_setting_stops_the_start_and_names_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    for (var, value) in
        [("GONGFANG_BIND", "not-an-address"), ("DATABASE_URL", "mysql://x/y"), ("GONGFANG_DB_POOL_SIZE", "0")]
    {
        let out = gongfang().current_dir(dir.path()).env(var, value).arg("migrate").output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(var), "{var}: {stderr}");
    }
    // A database that cannot be reached says so at once, with the cause.
    let start = Instant::now();
    let out = gongfang()
        .current_dir(dir.path())
        .env("DATABASE_URL", "postgres://nobody:secret@127.0.0.1:1/none")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("postgres") && !stderr.contains("secret"),
        "names the backend, hides the password: {stderr}"
    );
    assert!(start.elapsed() < Duration::from_secs(10), "fails fast");
}

#[test]
fn migrate_applies_once() {
    let dir = tempfile::tempdir().unwrap();
    let run = || gongfang().current_dir(dir.path()).arg("migrate").output().unwrap();
    let first = run();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let versions = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite")).unwrap().count();
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(stdout.contains(&format!("{versions} migration(s)")), "{stdout}");
    assert!(dir.path().join("data/gongfang.sqlite3").is_file(), "defaults to a SQLite file in ./data");
    let second = run();
    assert!(String::from_utf8_lossy(&second.stdout).contains("0 migration(s)"));
}

#[tokio::test]
async fn serve_demo_serves_the_marketplace_and_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log_path = dir.path().join("server.log");
    let mut child = gongfang()
        .current_dir(dir.path())
        .env("GONGFANG_BIND", format!("127.0.0.1:{port}"))
        .env("GONGFANG_MEDIA_DIR", shared_media_dir())
        .env("GONGFANG_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .args(["serve", "--demo"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let total = loop {
        if let Ok(res) = client.get(format!("{base}/api/v1/products?per_page=1")).send().await {
            let v: serde_json::Value = res.json().await.unwrap();
            break v["total"].as_i64().unwrap();
        }
        assert!(Instant::now() < deadline, "the server did not come up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(total >= 100, "{total} products");
    let res = client.get(format!("{base}/?lang=en")).send().await.unwrap();
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(res.text().await.unwrap().contains("Featured pieces"));
    // The README's run command gives real search with no Meilisearch: the embedded engine.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let url = format!("{base}/api/v1/search?q=%E6%BC%86%E5%99%A8");
        let v: serde_json::Value = client.get(url).send().await.unwrap().json().await.unwrap();
        if v["total"].as_u64().unwrap_or(0) > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "search found nothing: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A manager signs in and records a worker's ID number: neither it nor the password may
    // reach the logs.
    let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let session: serde_json::Value =
        browser.get(format!("{base}/api/v1/auth/session")).send().await.unwrap().json().await.unwrap();
    let csrf = session["csrf_token"].as_str().unwrap().to_owned();
    let login = serde_json::json!({"email": "manager@demo.gongfang.cn", "password": "gongfang-demo"});
    let res = browser
        .post(format!("{base}/api/v1/auth/login"))
        .header("X-CSRF-Token", &csrf)
        .json(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let me: serde_json::Value = res.json().await.unwrap();
    let w = me["user"]["workshop_id"].as_i64().unwrap();
    // A login renews the CSRF token.
    let session: serde_json::Value =
        browser.get(format!("{base}/api/v1/auth/session")).send().await.unwrap().json().await.unwrap();
    let csrf = session["csrf_token"].as_str().unwrap().to_owned();
    let workers: serde_json::Value =
        browser.get(format!("{base}/api/v1/portal/workshops/{w}/workers")).send().await.unwrap().json().await.unwrap();
    let worker = workers[0]["id"].as_i64().unwrap();
    let secret = serde_json::json!({"field": "id_number", "value": "51340119870512631X"});
    let res = browser
        .post(format!("{base}/api/v1/portal/workers/{worker}/secrets"))
        .header("X-CSRF-Token", &csrf)
        .json(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    browser.get(format!("{base}/api/v1/portal/workers/{worker}")).send().await.unwrap();
    // Paths that carry tokens are logged by their route pattern only.
    client.get(format!("{base}/reset/SeCrEtToKeN0123456789")).send().await.unwrap();

    // Structured logs: one JSON object per line, the request's line carrying its id.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = std::fs::read_to_string(&log_path).unwrap();
    for role in ["operator", "manager", "editor", "official", "buyer"] {
        assert!(log.contains(&format!("{role}@demo.gongfang.cn")), "the demo login of the {role} is printed");
    }
    assert!(log.contains("/reset/{token}"), "the route pattern is logged");
    for secret in ["SeCrEtToKeN0123456789", "51340119870512631X", "631X\"", "gongfang-demo\","] {
        assert!(!log.contains(secret), "the log holds {secret}");
    }
    let request_line = log
        .lines()
        .filter(|l| l.contains(&request_id))
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON log line"))
        .next()
        .expect("a log line for the request");
    assert_eq!(request_line["span"]["request_id"], request_id.as_str());
    assert_eq!(request_line["span"]["http.status_code"], 200);

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exits cleanly on SIGTERM: {status}");
            break;
        }
        assert!(Instant::now() < deadline, "did not stop within 15 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn admin_create_operator_makes_the_first_operator() {
    let app = crate::support::TestApp::spawn_with(false).await;
    let run = |password: &str| {
        gongfang()
            .env("DATABASE_URL", app.database_url())
            .env("GONGFANG_DATA_DIR", &app.data_dir)
            .env("GONGFANG_MEDIA_DIR", shared_media_dir())
            .env("GONGFANG_OPERATOR_PASSWORD", password)
            .args(["admin", "create-operator", "--email", "Ops@Example.cn", "--name", "平台运营"])
            .output()
            .unwrap()
    };
    let weak = run("short");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("10 to 128 characters"));
    let made = run("a long operator password");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    assert!(String::from_utf8_lossy(&made.stdout).contains("operator ops@example.cn created"));
    let again = run("a long operator password");
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    let operator = crate::users::User::login(&app, "ops@example.cn", "a long operator password").await;
    let (status, _) = operator.get_json("/api/v1/portal/review").await;
    assert_eq!(status, 200, "the new operator reaches the review queue");
}

#[test]
fn search_setup_and_reindex_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], meili: Option<(&str, Option<&str>, &str)>| {
        let mut cmd = gongfang();
        cmd.current_dir(dir.path()).args(args);
        if let Some((url, key, index)) = meili {
            cmd.env("MEILI_URL", url).env("MEILI_INDEX", index);
            if let Some(k) = key {
                cmd.env("MEILI_MASTER_KEY", k);
            }
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(&["seed", "--demo"], None);
    assert!(run(&["search", "setup"], None).contains("search settings applied (embedded engine)"));
    let out = run(&["search", "reindex"], None);
    assert!(out.contains("reindexed 112 products into a fresh embedded index"), "{out}");
    let live: Vec<_> = std::fs::read_dir(dir.path().join("data/search"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("index-"))
        .collect();
    assert_eq!(live.len(), 1, "the old index is removed after the swap");
    match crate::support::meili_from_env() {
        Some((url, key)) => {
            let index = format!("cli{}", std::process::id());
            let out = run(&["search", "reindex"], Some((&url, key.as_deref(), &index)));
            assert!(out.contains("reindexed 112 products into a fresh meilisearch index"), "{out}");
        }
        None => crate::support::skip_meilisearch(
            "no server in this run: the command line reindexed the embedded engine only",
        ),
    }
}

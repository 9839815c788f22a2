//! Starting the real application for one test: its own database (a SQLite file, or a fresh
//! PostgreSQL database when `TEST_DATABASE_URL` names a server), migrations, reference data
//! and the demo catalogue, served on a free loopback port.

use chrono::TimeZone;
use diesel::connection::SimpleConnection;
use diesel::Connection;
use gongfang::clock::Clock;
use gongfang::config::{Config, DatabaseUrl};
use gongfang::db::Db;
use gongfang::search::meili::MeiliConfig;
use gongfang::search::Search;
use gongfang::server::{self, PrepareOptions};
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

/// The fields every product carries in the API (issue: foundation, JSON API).
pub const PRODUCT_FIELDS: [&str; 11] = [
    "slug",
    "trace_code",
    "title",
    "price_fen",
    "currency",
    "workshop",
    "county_code",
    "prefecture_code",
    "province_code",
    "heritage_item",
    "makers",
];

/// Says why a test could not run here, for a component that can be installed (Chromium,
/// LibreOffice, aiosmtpd, localstripe, PostgreSQL). Written straight to stderr, past the test
/// harness's output capture, so that a skip is always visible in the run's log, and counted
/// by the test command's summary line. Under CI (`CI` set) the component is required: its
/// absence fails the test instead, so the run cannot pass hollow.
pub fn skip(reason: &str) {
    assert!(std::env::var_os("CI").is_none(), "under CI this must run: {reason}");
    say_skipped(reason);
}

/// The one skip CI allows: no registry ships a Meilisearch server, so a machine without a
/// binary skips the Meilisearch half (the embedded engine's half always runs).
pub fn skip_meilisearch(reason: &str) {
    say_skipped(&format!("Meilisearch: {reason}"));
}

fn say_skipped(reason: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {reason}");
}

/// The Python that runs test tools (aiosmtpd): the test command's venv (`TEST_PYTHON`), or
/// `python3`.
pub fn test_python() -> String {
    std::env::var("TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// "Today" in every test: demo certification states are fixed relative to it.
pub fn test_clock() -> Clock {
    Clock::Fixed(chrono::Utc.with_ymd_and_hms(2026, 11, 28, 4, 0, 0).single().unwrap_or_default())
}

/// Demo pictures are deterministic, so every test shares one media directory and draws them
/// once per machine.
pub fn shared_media_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("demo-media")
}

/// The PostgreSQL server to run against, if the run asked for one.
pub fn postgres_base_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres"))
}

/// A database of the backend under test, dropped when the test ends.
pub struct TestDatabase {
    pub url: DatabaseUrl,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub fn create(dir: &std::path::Path) -> TestDatabase {
        match postgres_base_url() {
            Some(base) => TestDatabase::on_postgres(base),
            None => TestDatabase { url: DatabaseUrl::Sqlite(dir.join("test.sqlite3")), postgres: None },
        }
    }

    /// A fresh database on the PostgreSQL server `base`.
    pub fn on_postgres(base: String) -> TestDatabase {
        let name = format!("gf_test_{}_{}", std::process::id(), rand_suffix());
        let mut admin = diesel::PgConnection::establish(&base).expect("connect to the PostgreSQL server");
        admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
        let url = replace_db_name(&base, &name);
        TestDatabase { url: DatabaseUrl::Postgres(url), postgres: Some((base, name)) }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((base, name)) = &self.postgres {
            if let Ok(mut admin) = diesel::PgConnection::establish(base) {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{}_{}", NEXT.fetch_add(1, Ordering::Relaxed), nanos % 100_000)
}

/// `postgres://host/db?x` with the database name replaced.
fn replace_db_name(url: &str, name: &str) -> String {
    let (head, query) = url.split_once('?').map_or((url, None), |(h, q)| (h, Some(q)));
    let scheme_end = head.find("://").map_or(0, |i| i + 3);
    let base = match head[scheme_end..].find('/') {
        Some(slash) => &head[..scheme_end + slash],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A running application.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    /// A separate handle on the app's database, for arranging and checking rows.
    pub db: Db,
    /// The app's search service (the worker stops when the test ends).
    pub search: Search,
    /// The app's data directory (e-mails land in `mail/` when no SMTP server is set).
    pub data_dir: PathBuf,
    /// The app's mailer (its worker stops when the test ends).
    pub mailer: gongfang::mail::Mailer,
    /// The app's orders service (its worker stops when the test ends).
    pub orders: gongfang::orders::Orders,
    /// The app's payouts service.
    pub payouts: gongfang::payouts::Payouts,
    /// The database's URL (shared with [`TestApp::another_node`]s).
    pub database: DatabaseUrl,
    /// Dropped (after the pool above) when the test ends; `None` on another node.
    _database: Option<TestDatabase>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// Starts the app with the demo catalogue.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(true).await
    }

    /// Starts the app, with or without the demo catalogue, on the embedded search engine.
    pub async fn spawn_with(demo: bool) -> TestApp {
        TestApp::spawn_search(demo, None).await
    }

    /// Starts the app with the demo and the given Meilisearch (or the embedded engine).
    pub async fn spawn_search(demo: bool, meili: Option<MeiliConfig>) -> TestApp {
        TestApp::spawn_config(demo, |config| config.search.meili = meili).await
    }

    /// Starts the app with the demo and its year of history (as `seed --demo` makes it).
    pub async fn spawn_with_history() -> TestApp {
        TestApp::spawn_options(PrepareOptions { demo: true, history: true, progress: false }, |_| {}).await
    }

    /// Starts the app with the demo and a configuration adjusted by `adjust`.
    pub async fn spawn_config(demo: bool, adjust: impl FnOnce(&mut Config)) -> TestApp {
        TestApp::spawn_options(PrepareOptions { demo, history: false, progress: false }, adjust).await
    }

    /// Starts the app with the demo on `clock` (a [`Clock::manual`] one lets days pass).
    pub async fn spawn_with_clock(clock: Clock) -> TestApp {
        TestApp::spawn_full(PrepareOptions { demo: true, history: false, progress: false }, clock, |_| {}).await
    }

    /// Starts the app prepared with `options` and a configuration adjusted by `adjust`.
    pub async fn spawn_options(options: PrepareOptions, adjust: impl FnOnce(&mut Config)) -> TestApp {
        TestApp::spawn_full(options, test_clock(), adjust).await
    }

    /// Starts a second app node on this app's database, with its own data dir (and embedded
    /// search index), as a fleet behind a load balancer runs them. It adds no demo data.
    pub async fn another_node(&self, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let options = PrepareOptions { demo: false, history: false, progress: false };
        TestApp::spawn_on(Some(self.database.clone()), options, test_clock(), adjust).await
    }

    async fn spawn_full(options: PrepareOptions, clock: Clock, adjust: impl FnOnce(&mut Config)) -> TestApp {
        TestApp::spawn_on(None, options, clock, adjust).await
    }

    async fn spawn_on(
        shared: Option<DatabaseUrl>,
        options: PrepareOptions,
        clock: Clock,
        adjust: impl FnOnce(&mut Config),
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, database) = match shared {
            Some(url) => (url, None),
            None => {
                let database = TestDatabase::create(dir.path());
                (database.url.clone(), Some(database))
            }
        };
        let mut config = Config::for_data_dir(dir.path(), url.clone());
        config.media_dir = shared_media_dir();
        // Tests change rows and look at pages at once: the page cache re-reads the catalogue's
        // version on every request (still serving what is unchanged from memory). Its own tests
        // use the default interval.
        config.page_cache.refresh = Duration::ZERO;
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = listener.local_addr().expect("local address").port();
        config.bind = listener.local_addr().expect("local address");
        config.public_url = format!("http://127.0.0.1:{port}");
        adjust(&mut config);
        let prepared = config.clone();
        let state = tokio::task::spawn_blocking(move || server::prepare(prepared, clock, options))
            .await
            .expect("prepare task")
            .expect("prepare the app");
        let search = state.search.clone();
        let mailer = state.accounts.mailer().clone();
        let orders = state.orders.clone();
        let payouts = state.payouts.clone();
        let server = server::start(state, listener, Some(1)).expect("start the server");
        tokio::spawn(server);
        let db = Db::connect(&config.database, 2).expect("test db handle");
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            // Idle connections close before the server's keep-alive does (see users.rs).
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .pool_idle_timeout(Duration::from_secs(2))
                .build()
                .expect("client"),
            db,
            search,
            data_dir: dir.path().to_path_buf(),
            mailer,
            orders,
            payouts,
            database: url,
            _database: database,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The app's `DATABASE_URL`, for running the binary against the same database.
    pub fn database_url(&self) -> String {
        match &self.database {
            DatabaseUrl::Sqlite(path) => path.display().to_string(),
            DatabaseUrl::Postgres(url) => url.clone(),
        }
    }

    /// GET with an `Accept-Language` header.
    pub async fn get_lang(&self, path: &str, accept_language: &str) -> reqwest::Response {
        self.client.get(self.url(path)).header("Accept-Language", accept_language).send().await.expect("request")
    }

    /// GET in Chinese (the default language).
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    /// GET a page and return (status, body with HTML entities decoded, so tests can look
    /// for plain text and URLs).
    pub async fn page(&self, path: &str) -> (u16, String) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        (status, unescape(&res.text().await.expect("body")))
    }

    /// GET JSON and return (status, value).
    pub async fn json(&self, path: &str) -> (u16, serde_json::Value) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        (status, res.json().await.expect("json body"))
    }

    /// Runs SQL on the app's database (for arranging a test's situation).
    /// Runs `gongfang audit verify` on this app's database: its exit code and output.
    pub fn audit_verify(&self) -> (Option<i32>, String) {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_gongfang"))
            .args(["audit", "verify"])
            .env("DATABASE_URL", self.database_url())
            .env("GONGFANG_DATA_DIR", &self.data_dir)
            .env("RUST_LOG", "warn")
            .output()
            .expect("run gongfang audit verify");
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    }

    pub fn execute(&self, sql: &str) {
        let mut conn = self.db.conn().expect("connection");
        conn.batch_execute(sql).expect("execute");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.orders.shutdown();
        self.search.shutdown();
        self.mailer.shutdown();
    }
}

/// The Meilisearch server the run provides (`.ci/run` starts one when the binary exists).
pub fn meili_from_env() -> Option<(String, Option<String>)> {
    let url = std::env::var("TEST_MEILI_URL").ok().filter(|u| !u.is_empty())?;
    Some((url, std::env::var("TEST_MEILI_MASTER_KEY").ok().filter(|k| !k.is_empty())))
}

/// A Meilisearch config with an index of the test's own.
pub fn test_meili(url: &str, key: Option<String>) -> MeiliConfig {
    MeiliConfig { url: url.to_owned(), master_key: key, index: format!("t{}_{}", std::process::id(), rand_suffix()) }
}

impl TestApp {
    /// Waits until the search worker has delivered everything in the outbox.
    pub async fn search_settled(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            self.search.wake();
            if self.search.pending().await.expect("outbox") == 0 {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "search index did not catch up within a minute");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

/// Decodes the entities tera writes when it escapes text.
pub fn unescape(html: &str) -> String {
    html.replace("&#x2F;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Converts a spreadsheet with LibreOffice (headless) to CSV, every sheet, and reads them back
/// as `(file stem, text)` in sheet order; None without LibreOffice.
pub fn libreoffice_sheets(bytes: &[u8], ext: &str) -> Option<Vec<(String, String)>> {
    let soffice = ["soffice", "libreoffice"].into_iter().find(|b| {
        std::process::Command::new(b).arg("--version").output().map(|o| o.status.success()).unwrap_or(false)
    })?;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join(format!("book.{ext}"));
    std::fs::write(&input, bytes).unwrap();
    let out_dir = dir.path().join("out");
    // Filter options: comma, quote, UTF-8, from row 1, …, and -1: every sheet to its own file.
    let status = std::process::Command::new(soffice)
        .arg(format!("-env:UserInstallation=file://{}", dir.path().join("profile").display()))
        .args([
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
        ])
        .arg("--outdir")
        .arg(&out_dir)
        .arg(&input)
        .output()
        .unwrap();
    assert!(status.status.success(), "LibreOffice failed: {}", String::from_utf8_lossy(&status.stderr));
    let mut sheets: Vec<(std::time::SystemTime, String, String)> = std::fs::read_dir(&out_dir)
        .expect("LibreOffice wrote its CSV files")
        .map(|e| {
            let e = e.unwrap();
            let stem = e.path().file_stem().unwrap().to_string_lossy().into_owned();
            (e.metadata().unwrap().modified().unwrap(), stem, std::fs::read_to_string(e.path()).unwrap())
        })
        .collect();
    assert!(!sheets.is_empty(), "LibreOffice wrote no CSV");
    // Sheets are written in order; a one-sheet book is written as `book.csv`.
    sheets.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    Some(sheets.into_iter().map(|(_, stem, text)| (stem, text)).collect())
}

/// The streaming replica `tests/run` starts beside the PostgreSQL test server
/// (`TEST_PG_REPLICA_URL`), as a URL for the same database as `primary`. `None` on SQLite,
/// which has no replica; on PostgreSQL without one, a skip (a failure under CI).
pub fn replica_of(primary: &str) -> Option<String> {
    if !primary.starts_with("postgres") {
        return None;
    }
    let Ok(base) = std::env::var("TEST_PG_REPLICA_URL") else {
        skip("no streaming replica (tests/run starts one with pg_basebackup): the replica tests cannot run");
        return None;
    };
    let name = primary.split('?').next().and_then(|u| u.rsplit('/').next()).unwrap_or_default();
    Some(replace_db_name(&base, name))
}

/// Tests that stop the replica's replay take turns, so that no other replica test reads from
/// a replica someone paused.
pub static REPLICA_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

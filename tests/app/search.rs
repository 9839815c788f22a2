//! The search conformance suite. Every case runs against the embedded engine, and against
//! Meilisearch whenever the run provides one (`TEST_MEILI_URL`, set by `.ci/run` when a
//! `meilisearch` binary exists); otherwise the Meilisearch half says "skipped".

use crate::support::{meili_from_env, test_meili, TestApp, PRODUCT_FIELDS};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Which engine a case runs on.
#[derive(Debug, Clone, Copy)]
pub enum Engine {
    Embedded,
    Meili,
}

/// The app on the engine, with its index caught up; `None` (after saying why) when the
/// engine is not available in this run.
pub async fn app_on(engine: Engine) -> Option<TestApp> {
    let meili = match engine {
        Engine::Embedded => None,
        Engine::Meili => match meili_from_env() {
            Some((url, key)) => Some(test_meili(&url, key)),
            None => {
                crate::support::skip_meilisearch("no server in this run (TEST_MEILI_URL is unset; tests/run sets it when a meilisearch binary is on PATH or in MEILI_BIN)");
                return None;
            }
        },
    };
    let app = TestApp::spawn_search(true, meili).await;
    app.search_settled().await;
    Some(app)
}

/// Runs a case once per engine.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(#[tokio::test] async fn $name() { super::$name(super::Engine::Embedded).await })*
        }
        mod meilisearch {
            $(#[tokio::test] async fn $name() { super::$name(super::Engine::Meili).await })*
        }
    };
}

conformance!(
    chinese_queries,
    pinyin_queries,
    english_queries_with_a_typo,
    synonyms_cross_languages,
    every_filter_agrees_with_the_catalogue,
    facet_counts_add_up_to_the_total,
    every_sort_orders_hits,
    inactive_and_lapsed_products_leave_the_index,
    consent_withdrawal_removes_the_name,
    filter_injection_is_refused_or_inert,
    a_database_change_is_searchable_within_two_seconds,
    reindex_swaps_while_searches_keep_answering,
    the_page_shows_facets_highlights_and_an_empty_state,
);

async fn search(app: &TestApp, query: &str) -> Value {
    let (status, body) = app.json(&format!("/api/v1/search?{query}")).await;
    assert_eq!(status, 200, "{query}: {body}");
    body
}

fn slugs(body: &Value) -> Vec<String> {
    body["hits"].as_array().unwrap().iter().map(|h| h["slug"].as_str().unwrap().to_owned()).collect()
}

fn q(text: &str) -> String {
    serde_urlencoded::to_string([("q", text), ("per_page", "100")]).unwrap()
}

/// All hits of a text query come from workshops whose slug starts with one of `prefixes`,
/// and there is at least one.
async fn finds_only(app: &TestApp, text: &str, prefixes: &[&str]) {
    let body = search(app, &q(text)).await;
    let found = slugs(&body);
    assert!(!found.is_empty(), "{text:?} finds something");
    for s in &found {
        assert!(prefixes.iter().any(|p| s.starts_with(p)), "{text:?} found {s}, expected only {prefixes:?}");
    }
}

async fn chinese_queries(engine: Engine) {
    let Some(app) = app_on(engine).await else { return };
    finds_only(&app, "漆器", &["xide-yi-lacquer"]).await;
    finds_only(&app, "唐卡", &["kangding-thangka", "tongren-regong-art"]).await;
    finds_only(&app, "凉山", &["xide-yi-lacquer", "zhaojue-yi-embroidery"]).await;
    // An unspaced phrase of two words finds the pieces that have both.
    finds_only(&app, "彝族刺绣", &["zhaojue-yi-embroidery"]).await;
    let body = search(&app, &q("彝漆酒杯")).await;
    assert!(slugs(&body)[0].starts_with("xide-yi-lacquer-wine-cup-set"), "the best match first");
    // Every hit carries the product fields of the product list, plus highlights.
    let hit = &body["hits"][0];
    for f in PRODUCT_FIELDS {
        assert!(hit.get(f).is_some(), "hit lacks {f}");
    }
    assert!(hit["highlight"]["title_zh"].as_str().unwrap().contains("<mark>"), "{hit}");
}

async fn pinyin_queries(engine: Engine) {
    let Some(app) = app_on(engine).await else { return };
    finds_only(&app, "Liangshan", &["xide-yi-lacquer", "zhaojue-yi-embroidery"]).await;
    finds_only(&app, "qiqi", &["xide-yi-lacquer"]).await;
    finds_only(&app, "miaoyin", &["taijiang-miao-silver"]).await;
    finds_only(&app, "tangka", &["kangding-thangka", "tongren-regong-art"]).await;
}

async fn english_queries_with_a_typo(engine: Engine) {
    let Some(app) = app_on(engine).await else { return };
    finds_only(&app, "lacquer", &["xide-yi-lacquer"]).await;
    finds_only(&app, "lacqer", &["xide-yi-lacquer"]).await;
    finds_only(&app, "embroidry", &["zhaojue-yi-embroidery"]).await;
    finds_only(&app, "braclet", &["taijiang-miao-silver"]).await;
    // Short words allow no typo: "silk" must not find "silver".
    let body = search(&app, &q("silc")).await;
    assert_eq!(body["total"], 0, "{body}");
}

async fn synonyms_cross_languages(engine: Engine) {
    let Some(app) = app_on(engine).await else { return };
    // 苗银 appears in no document; its synonym "Miao silver" does.
    finds_only(&app, "苗银", &["taijiang-miao-silver"]).await;
    // English to Chinese and back.
    let carpet_en = slugs(&search(&app, &q("rug")).await);
    let carpet_zh = slugs(&search(&app, &q("地毯")).await);
    assert!(!carpet_en.is_empty() && carpet_en.iter().all(|s| s.starts_with("luopu-uyghur-carpet")), "{carpet_en:?}");
    assert_eq!(BTreeSet::from_iter(&carpet_en), BTreeSet::from_iter(&carpet_zh));
    finds_only(&app, "Tibetan incense", &["nimu-tibetan-incense"]).await;
}

async fn every_filter_agrees_with_the_catalogue(engine: Engine) {
    let Some(app) = app_on(engine).await else { return };
    let filters = [
        "province=510000",
        "prefecture=513400",
        "county=513432",
        "heritage=3",
        "category=silver",
        "workshop=nimu-tibetan-paper",
        "min_price=300",
        "max_price=250",
        "min_price=200&max_price=700",
        "in_stock=true",
        "sanqu_sanzhou=true",
        "key_support_area=true",
        "poverty_county=true",
    ];
    for f in filters {
        let (mut listed, mut found) = (BTreeSet::new(), BTreeSet::new());
        for page in [1, 2] {
            let (status, list) = app.json(&format!("/api/v1/products?{f}&per_page=100&page={page}")).await;
            assert_eq!(status, 200, "{f}");
            listed.extend(list["items"].as_array().unwrap().iter().map(|p| p["slug"].as_str().unwrap().to_owned()));
            let hits = search(&app, &format!("{f}&per_page=100&page={page}")).await;
            assert_eq!(hits["total"], list["total"], "{f}");
            found.extend(slugs(&hits));
        }
        assert!(!listed.is_empty(), "{f} selects some demo products");
        // Every demo workshop is in a former poverty county, so that filter keeps them all.
        assert!(listed.len() < 112 || f == "poverty_county=true", "{f} filters something out");
        assert_eq!(found, listed, "{f}");
    }
    // A filter together with text.
    let body = search(&app, "q=%E5%94%90%E5%8D%A1&province=630000").await;
    assert!(slugs(&body).iter().all(|s| s.starts_with("tongren-regong-art")) && body["total"].as_u64() > Some(0));
}

async fn facet_counts_add_up_to_the_total(engine: Engine) {
    let Some(app) = app_on(engine).await else { return };
    for query in ["", "q=%E5%88%BA%E7%BB%A3", "q=silver", "province=540000", "in_stock=true&q=paper"] {
        let body = search(&app, query).await;
        let total = body["total"].as_u64().unwrap();
        assert!(total > 0, "{query}");
        for facet in ["province", "county", "heritage", "category", "workshop", "price_band", "in_stock"] {
            let counts = body["facets"][facet].as_object().unwrap_or_else(|| panic!("{query}: no facet {facet}"));
            let sum: u64 = counts.values().map(|v| v.as_u64().unwrap()).sum();
            assert_eq!(sum, total, "{query}: facet {facet} {counts:?}");
        }
        let prefectures: u64 =
            body["facets"]["prefecture"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
        assert!(prefectures <= total, "counties under no prefecture are not counted there");
    }
}

async fn every_sort_orders_hits(engine: Engine) {
    let Some(app) = app_on(engine).await else { return };
    let prices = |b: &Value| -> Vec<i64> {
        b["hits"].as_array().unwrap().iter().map(|h| h["price_fen"].as_i64().unwrap()).collect()
    };
    let asc = prices(&search(&app, "sort=price_asc&per_page=100").await);
    assert_eq!(asc.len(), 100);
    assert!(asc.windows(2).all(|w| w[0] <= w[1]), "{asc:?}");
    let desc = prices(&search(&app, "q=silver&sort=price_desc").await);
    assert!(desc.len() > 1 && desc.windows(2).all(|w| w[0] >= w[1]), "{desc:?}");
    // Newest and best selling follow the stored creation time and sales.
    for (sort, column) in [("newest", "created_at"), ("best_selling", "sold_count")] {
        let keys = sort_keys(&app, column);
        let found = slugs(&search(&app, &format!("sort={sort}&per_page=100")).await);
        assert_eq!(found.len(), 100);
        let ranked: Vec<&String> = found.iter().map(|s| &keys[s]).collect();
        assert!(ranked.windows(2).all(|w| w[0] >= w[1]), "{sort}: {ranked:?}");
    }
    // Relevance: a title match ranks above a description match.
    let body = search(&app, &q("Wine Cup Set")).await;
    assert!(slugs(&body)[0].starts_with("xide-yi-lacquer-wine-cup-set"), "{body}");
    let (status, _) = app.json("/api/v1/search?sort=random").await;
    assert_eq!(status, 400);
}

#[derive(diesel::QueryableByName)]
struct SortKey {
    #[diesel(sql_type = diesel::sql_types::Text)]
    slug: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    key: String,
}

/// slug → the column as zero-padded text, so that text order is the column's order.
fn sort_keys(app: &TestApp, column: &str) -> std::collections::HashMap<String, String> {
    use diesel::RunQueryDsl;
    let expr = match column {
        // Same-length numbers order as text.
        "sold_count" => "CAST(sold_count + 1000000000000 AS TEXT)".to_string(),
        _ => "CAST(created_at AS TEXT)".to_string(),
    };
    let mut conn = app.db.conn().unwrap();
    let rows: Vec<SortKey> =
        diesel::sql_query(format!("SELECT slug, {expr} AS key FROM products")).load(&mut *conn).unwrap();
    rows.into_iter().map(|r| (r.slug, r.key)).collect()
}

/// Polls a search until `done` holds (the index catches up through the outbox).
async fn eventually(app: &TestApp, query: &str, within: Duration, done: impl Fn(&Value) -> bool) -> Duration {
    let start = Instant::now();
    loop {
        app.search.wake();
        let body = search(app, query).await;
        if done(&body) {
            return start.elapsed();
        }
        assert!(start.elapsed() < within, "{query}: not reflected within {within:?}: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn inactive_and_lapsed_products_leave_the_index(engine: Engine) {
    let Some(app) = app_on(engine).await else { return };
    let slug = "xide-yi-lacquer-soup-bowl";
    let has = |s: &'static str| move |b: &Value| slugs(b).iter().any(|x| x == s);
    eventually(&app, &q("彝漆木胎汤碗"), Duration::from_secs(5), has(slug)).await;
    app.execute(&format!("UPDATE products SET status = 'suspended' WHERE slug = '{slug}'"));
    eventually(&app, &q("彝漆木胎汤碗"), Duration::from_secs(10), |b| !slugs(b).iter().any(|x| x == slug)).await;
    // A workshop whose last confirmation is over two years old has lapsed.
    app.execute(
        "UPDATE workshops SET cert_issued_on = '2020-01-01', cert_last_confirmed_on = '2024-01-01' \
         WHERE slug = 'kangding-thangka'",
    );
    eventually(&app, &q("唐卡"), Duration::from_secs(10), |b| {
        let s = slugs(b);
        !s.is_empty() && s.iter().all(|x| x.starts_with("tongren-regong-art"))
    })
    .await;
    let body = search(&app, "workshop=kangding-thangka").await;
    assert_eq!(body["total"], 0, "{body}");
}

async fn consent_withdrawal_removes_the_name(engine: Engine) {
    let Some(app) = app_on(engine).await else { return };
    let (_, p) = app.json("/api/v1/products/xide-yi-lacquer-wine-cup-set").await;
    let lead = &p["makers"][0];
    let worker_id = lead["worker_id"].as_i64().unwrap();
    let name = lead["display_name"].as_str().unwrap().to_owned();
    let latin = lead["display_name_latin"].as_str().unwrap().to_owned();
    let by_name = q(&name);
    let found = search(&app, &by_name).await;
    assert!(slugs(&found).contains(&"xide-yi-lacquer-wine-cup-set".to_string()), "found by the maker's name");
    app.execute(&format!("UPDATE workers SET consent_name = FALSE WHERE id = {worker_id}"));
    // Other pieces may still match the name's words through other makers; none names them.
    eventually(&app, &by_name, Duration::from_secs(10), |b| !b.to_string().contains(&name)).await;
    let body = search(&app, &q(&latin)).await;
    assert!(!body.to_string().contains(&latin), "the Latin name is gone too");
    let all = search(&app, "workshop=xide-yi-lacquer&per_page=100").await.to_string();
    assert!(!all.contains(&name) && !all.contains(&latin), "no hit names the maker");
}

async fn filter_injection_is_refused_or_inert(engine: Engine) {
    let Some(app) = app_on(engine).await else { return };
    for bad in [
        "workshop=a%22%20OR%20price%20%3E%200",
        "province=510000%20OR%201%3D1",
        "category=silver%22%20OR%20%22x",
        "heritage=1%20OR%20heritage%20%3E%200",
        "in_stock=true%20OR%20in_stock%20%3D%20false",
        "min_price=1%20OR%20price%20%3E%200",
    ] {
        let (status, body) = app.json(&format!("/api/v1/search?{bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["error"]["field"].is_string(), "{bad}: names the field");
    }
    // Filter or query syntax in the text is only text: it never widens a filter.
    for text in ["\" OR price > 0 OR \"", "workshop = x", "title_zh:漆器 AND *", "price > 0 OR 1", "*", "\\"] {
        let body = search(&app, &format!("{}&workshop=xide-yi-lacquer", q(text))).await;
        assert!(body["total"].as_u64().unwrap() <= 8, "{text:?} must stay inside the workshop filter");
        assert!(slugs(&body).iter().all(|s| s.starts_with("xide-yi-lacquer")), "{text:?}");
        let body = search(&app, &q(&format!("{text} zebra"))).await;
        assert_eq!(body["total"], 0, "{text:?} zebra finds nothing: the syntax matched no extra documents");
    }
}

async fn a_database_change_is_searchable_within_two_seconds(engine: Engine) {
    let Some(app) = app_on(engine).await else { return };
    app.execute("UPDATE products SET title_en = 'Zebrawood Soup Bowl' WHERE slug = 'xide-yi-lacquer-soup-bowl'");
    let took = eventually(&app, &q("zebrawood"), Duration::from_secs(2), |b| {
        slugs(b) == ["xide-yi-lacquer-soup-bowl".to_string()]
    })
    .await;
    assert!(took < Duration::from_secs(2), "{took:?}");
}

async fn reindex_swaps_while_searches_keep_answering(engine: Engine) {
    let Some(app) = app_on(engine).await else { return };
    let client = app.client.clone();
    let url = app.url(&format!("/api/v1/search?{}", q("刺绣")));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let searching = tokio::spawn({
        let stop = stop.clone();
        async move {
            let mut answers = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let res = client.get(&url).send().await.unwrap();
                assert_eq!(res.status(), 200);
                let body: Value = res.json().await.unwrap();
                assert!(body["total"].as_u64().unwrap() > 0, "search went dark: {body}");
                answers += 1;
            }
            answers
        }
    });
    // A change made while the rebuild runs still arrives (replayed through the outbox).
    app.execute("UPDATE products SET title_en = 'Quokka Coaster Set' WHERE slug = 'zhaojue-yi-embroidery-coaster-set'");
    let report = app.search.rebuild(None).await.expect("rebuild");
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let answers = searching.await.unwrap();
    assert_eq!(report.documents, 112);
    assert!(answers > 0, "searches ran during the rebuild");
    eventually(&app, &q("quokka"), Duration::from_secs(10), |b| b["total"] == 1).await;
    let body = search(&app, "").await;
    assert_eq!(body["total"], 112, "the new index holds everything");
}

async fn the_page_shows_facets_highlights_and_an_empty_state(engine: Engine) {
    let Some(app) = app_on(engine).await else { return };
    let (status, html) = app.page("/search?q=%E5%94%90%E5%8D%A1").await;
    assert_eq!(status, 200);
    assert!(html.contains("<mark>唐卡</mark>"), "highlighted");
    assert!(html.contains("data-facet=\"province\"") && html.contains("data-facet=\"price_band\""));
    assert!(html.contains("四川省"), "facet values are named");
    let res = app.get_lang("/search?q=embroidery&category=embroidery", "en").await;
    let html = crate::support::unescape(&res.text().await.unwrap());
    assert!(html.contains("aria-current=\"true\" class=\"chosen\">Embroidery"), "the chosen facet value");
    assert!(
        html.contains("<mark>Embroidery</mark>") || html.contains("<mark>Embroidered</mark>"),
        "highlight in English"
    );
    let (status, html) = app.page("/search?q=%E4%B8%8D%E5%AD%98%E5%9C%A8%E7%9A%84%E4%B8%9C%E8%A5%BF%E5%95%8A").await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"no-results\"") && html.contains("/search?q="), "empty state suggests searches");
    let (_, html) = app.page("/search?per_page=10&page=2").await;
    assert!(html.contains("rel=\"prev\"") && html.contains("rel=\"next\""), "paged");
    let at = |label: &str| html.find(label).unwrap_or_else(|| panic!("price band {label}"));
    assert!(at("¥0–100") < at("¥100–300") && at("¥1,000–3,000") < at("¥3,000+"), "price bands cheapest first");
    let (status, body) = app.json("/api/v1/search/suggest?q=lacq").await;
    assert_eq!(status, 200);
    let first = &body[0];
    assert!(first["slug"].as_str().unwrap().starts_with("xide-yi-lacquer"), "{body}");
    assert!(first["highlight"]["title_en"].as_str().unwrap().contains("<mark>Lacquer</mark>"), "{body}");
}

#[tokio::test]
async fn an_unreachable_meilisearch_never_breaks_browsing() {
    let meili = test_meili("http://127.0.0.1:9", None);
    let app = TestApp::spawn_search(true, Some(meili)).await;
    let (status, html) = app.page("/search?q=%E6%BC%86%E5%99%A8").await;
    assert_eq!(status, 503);
    assert!(html.contains("id=\"search-unavailable\"") && html.contains("搜索暂时不可用"), "says so, in Chinese");
    assert!(!html.contains("no-results"), "never claims there are no results");
    let res = app.get_lang("/search?q=lacquer", "en").await;
    assert_eq!(res.status(), 503);
    assert!(res.text().await.unwrap().contains("Search is briefly unavailable"));
    let (status, body) = app.json("/api/v1/search?q=x").await;
    assert_eq!(status, 503);
    assert_eq!(body["error"]["status"], 503);
    for path in ["/", "/products", "/products/xide-yi-lacquer-wine-cup-set", "/workshops"] {
        assert_eq!(app.page(path).await.0, 200, "{path} still works");
    }
    // Changes wait in the outbox.
    app.search.wake();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.search.pending().await.unwrap() > 0, "updates are kept, not dropped");
}

/// A Meilisearch process of the test's own, so that the test can kill and restart it.
struct OwnMeili {
    bin: String,
    dir: tempfile::TempDir,
    port: u16,
    child: Option<std::process::Child>,
}

const OWN_KEY: &str = "own-meili-master-key-123456";

impl OwnMeili {
    fn binary() -> Option<String> {
        std::env::var("MEILI_BIN").ok().filter(|b| std::path::Path::new(b).exists()).or_else(|| {
            let path = std::env::var("PATH").unwrap_or_default();
            path.split(':').map(|d| format!("{d}/meilisearch")).find(|p| std::path::Path::new(p).exists())
        })
    }

    fn start(&mut self) {
        let child = std::process::Command::new(&self.bin)
            .args(["--db-path", &self.dir.path().join("db").display().to_string()])
            .args(["--http-addr", &format!("127.0.0.1:{}", self.port)])
            .args(["--master-key", OWN_KEY, "--no-analytics", "--env", "development"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start meilisearch");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "meilisearch did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().expect("kill meilisearch");
            c.wait().expect("reap meilisearch");
        }
    }
}

impl Drop for OwnMeili {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test]
async fn killing_meilisearch_during_writes_loses_no_update() {
    let Some(bin) = OwnMeili::binary() else {
        crate::support::skip_meilisearch("no binary (set MEILI_BIN or put meilisearch on PATH)");
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut meili = OwnMeili { bin, dir: tempfile::tempdir().unwrap(), port, child: None };
    meili.start();
    let config = test_meili(&format!("http://127.0.0.1:{port}"), Some(OWN_KEY.to_owned()));
    let app = TestApp::spawn_search(true, Some(config)).await;
    app.search_settled().await;

    meili.kill();
    let renamed = [
        ("xide-yi-lacquer-soup-bowl", "Axolotl"),
        ("kangding-thangka-mandala-thangka", "Bandicoot"),
        ("taijiang-miao-silver-hairpin", "Capybara"),
    ];
    for (slug, word) in renamed {
        app.execute(&format!("UPDATE products SET title_en = '{word} piece' WHERE slug = '{slug}'"));
        app.search.wake();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.execute("UPDATE products SET status = 'archived' WHERE slug = 'nimu-tibetan-paper-paper-notebook'");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(app.search.pending().await.unwrap() >= 4, "the updates wait in the outbox while Meilisearch is down");
    let (status, _) = app.json("/api/v1/search?q=axolotl").await;
    assert_eq!(status, 503, "search says it is unavailable");

    meili.start();
    for (slug, word) in renamed {
        let found = eventually(&app, &q(word), Duration::from_secs(30), |b| slugs(b) == [slug.to_string()]).await;
        assert!(found < Duration::from_secs(30));
    }
    eventually(&app, "workshop=nimu-tibetan-paper", Duration::from_secs(30), |b| {
        !slugs(b).contains(&"nimu-tibetan-paper-paper-notebook".to_string())
    })
    .await;
    app.search_settled().await;
}

//! Shared support for the browser journeys: Debian's Chromium driven through chromedriver
//! (WebDriver), at a phone's or a desktop's width, with the checks every page of a journey
//! must pass — axe-core (from npm, `tests/browser`) reports no serious or critical violation,
//! and the page does not scroll sideways.

use fantoccini::{Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A phone (390×844) and a desktop (1280×800): every journey runs at both.
pub const WIDTHS: [(u32, u32); 2] = [(390, 844), (1280, 800)];

/// Where screenshots go: `TEST_ARTIFACTS_DIR`, or `target/test-artifacts`.
pub fn artifacts() -> PathBuf {
    let dir = std::env::var_os("TEST_ARTIFACTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// chromedriver on a free port, stopped when dropped.
pub struct Driver(std::process::Child, pub u16);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts chromedriver, or `None` (with a "skipped" line) when Chromium is not installed.
pub async fn driver() -> Option<Driver> {
    let binary =
        ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].into_iter().find(|p| Path::new(p).exists());
    let Some(binary) = binary.filter(|_| Path::new("/usr/bin/chromium").exists()) else {
        crate::support::skip("chromium and chromedriver are not installed (apt-get install chromium chromium-driver)");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new(binary)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(Driver(child, port));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// A fresh browser (its own profile, so its own cookies) of the given size and language
/// (`"zh-CN"` or `"en"`), downloading into `downloads` when given.
pub async fn browser(driver: &Driver, (width, height): (u32, u32), lang: &str, downloads: Option<&Path>) -> Client {
    let mut prefs = serde_json::json!({ "intl.accept_languages": lang });
    if let Some(dir) = downloads {
        prefs["download.default_directory"] = dir.display().to_string().into();
        prefs["download.prompt_for_download"] = false.into();
    }
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                format!("--window-size={width},{height}"), format!("--lang={lang}"),
            ],
            "prefs": prefs,
        }
    });
    let b = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps.as_object().unwrap().clone())
        .connect(&format!("http://127.0.0.1:{}", driver.1))
        .await
        .expect("a chromedriver session");
    // --window-size is the outer window; set the viewport's width exactly.
    b.set_window_size(width, height).await.unwrap();
    let inner = b.execute("return window.innerWidth;", vec![]).await.unwrap().as_i64().unwrap_or(0) as u32;
    if inner != width && inner > 0 {
        b.set_window_size(width + (width - inner.min(width)), height).await.unwrap();
    }
    b
}

/// axe-core's script, installed by `.ci/run` (`npm ci` in `tests/browser`), or `None` with a
/// "skipped" line when npm has not been run here.
fn axe_source() -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(_) => {
            crate::support::skip("axe-core is not installed (cd tests/browser && npm ci)");
            None
        }
    }
}

/// The checks every page of a journey passes: axe-core finds no serious or critical
/// violation, and the page does not scroll sideways. `what` names the page in failures.
pub async fn check_page(b: &Client, what: &str) {
    let overflow = b
        .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth;", vec![])
        .await
        .unwrap()
        .as_i64()
        .unwrap_or(0);
    if overflow > 0 {
        let wide = b
            .execute(
                "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ');",
                vec![],
            )
            .await
            .unwrap();
        panic!("{what}: the page scrolls sideways by {overflow} px: {wide}");
    }
    let Some(axe) = axe_source() else { return };
    b.execute(&axe, vec![]).await.unwrap();
    let found = b
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] }).then(r => done(
               r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' — ' +
                   v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    let list: Vec<String> = serde_json::from_value(found).unwrap_or_default();
    assert!(list.is_empty(), "{what} at {} px: axe reports\n  {}", width(b).await, list.join("\n  "));
}

/// The viewport's width in CSS pixels.
pub async fn width(b: &Client) -> i64 {
    b.execute("return window.innerWidth;", vec![]).await.unwrap().as_i64().unwrap_or(0)
}

/// Goes to `path` on the app and checks the page (see `check_page`).
pub async fn visit(b: &Client, url: &str, what: &str) {
    b.goto(url).await.unwrap();
    b.wait().for_element(Locator::Css("main")).await.unwrap();
    check_page(b, what).await;
}

/// Types `value` into the field named `name` (clearing it first).
pub async fn fill(b: &Client, name: &str, value: &str) {
    let field = b.find(Locator::Css(&format!("[name='{name}']"))).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Signs in through the login form (demo accounts use `crate::users::DEMO_PASSWORD`) and
/// waits for the page it lands on.
pub async fn sign_in(b: &Client, base: &str, email: &str, password: &str) {
    b.goto(&format!("{base}/login")).await.unwrap();
    fill(b, "email", email).await;
    fill(b, "password", password).await;
    b.find(Locator::Css("form[action^='/login'] button")).await.unwrap().click().await.unwrap();
    // The login page links "log in" with the same class: wait for the signed-in link, or a
    // test could go on while the browser is still on the login page (it did, under load).
    b.wait().for_element(Locator::Css("a.nav-account[href='/account']")).await.unwrap();
}

/// The first file in `dir` with this extension, once the browser has finished writing it.
pub async fn downloaded(dir: &Path, ext: &str) -> PathBuf {
    for _ in 0..200 {
        let found = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == ext));
        if let Some(p) = found {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no .{ext} file was downloaded into {}", dir.display());
}

/// Saves a screenshot as a test artifact and returns its path.
pub async fn screenshot(b: &Client, name: &str) -> PathBuf {
    let png = b.screenshot().await.unwrap();
    let path = artifacts().join(format!("{name}.png"));
    std::fs::write(&path, &png).unwrap();
    path
}

/// Waits for the first element matching `selector` (panicking with the selector after the
/// driver's wait).
pub async fn element(b: &Client, selector: &str) -> fantoccini::elements::Element {
    b.wait().for_element(Locator::Css(selector)).await.unwrap_or_else(|e| panic!("{selector}: {e}"))
}

/// The page's path and query.
pub async fn path(b: &Client) -> String {
    let url = b.current_url().await.unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

/// The page's path and query, once it satisfies `ok` (15 s at most).
pub async fn wait_for_path(b: &Client, ok: impl Fn(&str) -> bool) -> String {
    for _ in 0..150 {
        let p = path(b).await;
        if ok(&p) {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("still at {} after 15 s", path(b).await);
}

/// Clicks `selector` (a form's button or a link) and waits for the next page: the old document
/// gone (15 s at most), then a path that satisfies `ok`. Needed where the next page has the
/// same path as this one, which `wait_for_path` alone would take for it.
pub async fn click_to_next_page(b: &Client, selector: &str, ok: impl Fn(&str) -> bool) -> String {
    let old = element(b, "html").await;
    element(b, selector).await.click().await.unwrap();
    let mut gone = false;
    for _ in 0..150 {
        if old.tag_name().await.is_err() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "clicking {selector} left the page as it was for 15 s");
    wait_for_path(b, ok).await
}

/// Whether the page's source comes to hold `text` within 15 s (a form that posts and comes
/// back to the same path).
pub async fn source_shows(b: &Client, text: &str) -> bool {
    for _ in 0..150 {
        if b.source().await.is_ok_and(|html| html.contains(text)) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// The text of the first element matching `selector`.
pub async fn text_of(b: &Client, selector: &str) -> String {
    element(b, selector).await.text().await.unwrap()
}

/// Fills checkout's address as a buyer would: recipient and phone typed, the county picked from
/// the province → prefecture → county lists (四川 → 凉山 → 喜德, checking each is named), the
/// street typed.
pub async fn fill_chinese_address(b: &Client, recipient: &str) {
    fill(b, "recipient", recipient).await;
    fill(b, "phone", "13800138000").await;
    element(b, "#province").await.select_by_value("510000").await.unwrap();
    let label = element(b, "#prefecture option[value='513400']").await.text().await.unwrap();
    assert!(label.contains("凉山"), "the prefecture is named, not 'undefined': {label:?}");
    element(b, "#prefecture").await.select_by_value("513400").await.unwrap();
    let county = element(b, "select#county option[value='513432']").await.text().await.unwrap();
    assert!(county.contains("喜德"), "the county is named: {county:?}");
    element(b, "select#county").await.select_by_value("513432").await.unwrap();
    fill(b, "line", "光明镇 12 号").await;
}

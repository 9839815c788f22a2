//! An official's report in a real browser: Debian's Chromium, headless, driven through
//! chromedriver (WebDriver). The official signs in, drills from their province down to a
//! workshop by clicking the rows, downloads the XLSX, and the dashboard is photographed at a
//! phone's and a desktop's width; the screenshots are kept as test artifacts.

use crate::support::TestApp;
use crate::webdriver::{artifacts, downloaded, driver};
use fantoccini::{ClientBuilder, Locator};

#[tokio::test]
async fn an_official_drills_down_to_a_workshop_and_downloads_the_xlsx_in_a_browser() {
    let Some(driver) = driver().await else { return };
    let app = TestApp::spawn().await;
    crate::reports::generated_sales(&app, 9);
    // A provincial official (Sichuan), made like the demo official.
    app.execute(
        "INSERT INTO users (email, password_hash, display_name, lang, role, region_code, is_demo, created_at, updated_at) \
         SELECT 'province@demo.gongfang.cn', password_hash, '四川省', 'zh', 'official', '510000', is_demo, created_at, updated_at \
         FROM users WHERE email = 'official@demo.gongfang.cn';",
    );
    let downloads = tempfile::tempdir().unwrap();
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=zh-CN"],
            "prefs": {
                "download.default_directory": downloads.path().display().to_string(),
                "download.prompt_for_download": false,
                "intl.accept_languages": "zh-CN,zh",
            }
        }
    });
    let caps = caps.as_object().unwrap().clone();
    let b = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.1))
        .await
        .expect("a chromedriver session");

    b.goto(&app.url("/login")).await.unwrap();
    b.find(Locator::Css("input[name=email]")).await.unwrap().send_keys("province@demo.gongfang.cn").await.unwrap();
    b.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(crate::users::DEMO_PASSWORD).await.unwrap();
    b.find(Locator::Css("form[action='/login'] button")).await.unwrap().click().await.unwrap();
    // Signed in once the header links to the account.
    b.wait().for_element(Locator::Css("a.nav-account[href='/account']")).await.unwrap();

    // Province → prefecture → county → workshop, by the rows' own links.
    b.goto(&app.url("/officials?period=2026")).await.unwrap();
    let h1 = |b: &fantoccini::Client| {
        let b = b.clone();
        async move { b.find(Locator::Css("h1")).await.unwrap().text().await.unwrap() }
    };
    assert!(h1(&b).await.contains("四川省"), "the official starts at their province");
    for (link, heading) in [("a[href*='region=513400']", "凉山彝族自治州"), ("a[href*='region=513432']", "喜德县")]
    {
        b.find(Locator::Css(&format!("table.report-table {link}"))).await.unwrap().click().await.unwrap();
        b.wait().for_element(Locator::Css("h1")).await.unwrap();
        assert!(h1(&b).await.contains(heading), "drilled into {heading}");
    }
    b.find(Locator::Css("table.report-table a[href*='workshop=']")).await.unwrap().click().await.unwrap();
    b.wait().for_element(Locator::Css("h1")).await.unwrap();
    let workshop_page = b.source().await.unwrap();
    assert!(b.current_url().await.unwrap().as_str().contains("workshop="));
    assert!(workshop_page.contains("class=\"muted sensitive\""), "the worker rows, marked as audited");
    let crumbs = b.find_all(Locator::Css("nav.crumbs a")).await.unwrap();
    assert!(crumbs.len() >= 4, "a breadcrumb back up to the country: {}", crumbs.len());

    // The XLSX, downloaded by the browser with the official's session.
    b.find(Locator::Css("a[href*='format=xlsx']")).await.unwrap().click().await.unwrap();
    let xlsx = downloaded(downloads.path(), "xlsx").await;
    let bytes = std::fs::read(&xlsx).unwrap();
    assert!(bytes.starts_with(b"PK") && bytes.len() > 2000, "a real XLSX: {} bytes", bytes.len());

    // Screenshots of the province's dashboard at a phone's and a desktop's width.
    b.goto(&app.url("/officials?period=2026")).await.unwrap();
    for (name, width, height) in [("phone", 390, 844), ("desktop", 1280, 900)] {
        b.set_window_size(width, height).await.unwrap();
        let png = b.screenshot().await.unwrap();
        let path = artifacts().join(format!("officials-dashboard-{name}.png"));
        std::fs::write(&path, &png).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        assert!(img.width() <= width && img.width() >= width * 3 / 4, "{name}: {} wide", img.width());
        let light = img.pixels().filter(|p| p.0.iter().all(|c| *c > 230)).count();
        let dark = img.pixels().filter(|p| p.0.iter().all(|c| *c < 90)).count();
        assert!(light > 1000 && dark > 500, "{name}: the page is not blank (dark {dark}, light {light})");
        println!("screenshot: {}", path.display());
    }
    // A phone needs no sideways scrolling for the page itself (wide tables scroll inside).
    b.set_window_size(390, 844).await.unwrap();
    let overflow = b
        .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth;", vec![])
        .await
        .unwrap();
    let wide = b
        .execute("return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ');", vec![])
        .await
        .unwrap();
    assert!(overflow.as_i64().unwrap_or(0) <= 0, "the page scrolls sideways on a phone by {overflow}: {wide}");
    b.close().await.unwrap();
}

//! The official's journey in a real browser (Debian's Chromium through chromedriver), on the
//! demo with its year of history, at a phone's and a desktop's width — the phone in Chinese,
//! the desktop in English: sign in through the form and land on /officials; drill down by the
//! rows (prefecture → county → workshop and its workers), back up by the breadcrumb (the
//! regions above the official's own are named, not linked) and down again; download the XLSX,
//! whose headings are words in the browser's language and whose money is yuan formatted
//! `#,##0.00`, to the fen of the journal. Every page passes axe-core (no serious or critical
//! violation) and does not scroll sideways.

use crate::support::TestApp;
use crate::users::{User, DEMO_PASSWORD};
use crate::webdriver::{browser, check_page, downloaded, driver, screenshot, sign_in, visit, WIDTHS};
use fantoccini::{Client, Locator};

/// Clicks the link `css` and waits for the page at a URL holding `url_part`, headed with
/// `heading`; then checks the page.
async fn follow(b: &Client, css: &str, url_part: &str, heading: &str, what: &str) {
    b.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{what}: no {css}: {e}")).click().await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let at = b.current_url().await.map(|u| u.as_str().contains(url_part)).unwrap_or(false);
        if at {
            if let Ok(h1) = b.find(Locator::Css("h1")).await {
                if h1.text().await.unwrap_or_default().contains(heading) {
                    break;
                }
            }
        }
        assert!(std::time::Instant::now() < deadline, "{what}: no page at {url_part} headed {heading:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    check_page(b, what).await;
}

/// The breadcrumb as `(name, linked)` steps.
async fn crumbs(b: &Client) -> Vec<(String, bool)> {
    let script =
        "return [...document.querySelectorAll('nav.crumbs > *')].map(e => [e.textContent.trim(), e.tagName === 'A']);";
    serde_json::from_value(b.execute(script, vec![]).await.unwrap()).unwrap()
}

#[tokio::test]
async fn an_official_signs_in_drills_through_the_breadcrumb_and_downloads_the_xlsx_in_a_browser() {
    let Some(driver) = driver().await else { return };
    let app = TestApp::spawn_with_history().await;
    let api = User::demo(&app, "official").await;
    let (_, d) = api.get_json("/api/v1/reports").await;
    let county = d["rows"].as_array().unwrap().iter().find(|r| r["key"] == "513432").expect("喜德县's row").clone();

    for ((width, height), lang) in WIDTHS.into_iter().zip(["zh-CN", "en"]) {
        let zh = lang == "zh-CN";
        let name = |r: &serde_json::Value| r[if zh { "name_zh" } else { "name_en" }].as_str().unwrap().to_owned();
        let what = |page: &str| format!("{page} at {width} px in {lang}");
        let downloads = tempfile::tempdir().unwrap();
        let b = browser(&driver, (width, height), lang, Some(downloads.path())).await;

        // Signing in through the form lands on the official's own reports.
        visit(&b, &app.url("/login"), &what("the login page")).await;
        sign_in(&b, &app.base, "official@demo.gongfang.cn", DEMO_PASSWORD).await;
        let url = b.current_url().await.unwrap();
        assert_eq!(url.path(), "/officials", "{}: landed on {url}", what("sign-in"));
        check_page(&b, &what("the prefecture's dashboard")).await;
        let prefecture = name(&serde_json::json!({"name_zh": d["name_zh"], "name_en": d["name_en"]}));
        let top = crumbs(&b).await;
        assert_eq!(top.iter().map(|c| c.1).collect::<Vec<_>>(), [false, false, false], "{top:?}");
        assert!(top[2].0.contains(&prefecture), "{top:?}");

        // Down by the rows: the county, then a workshop and its workers.
        follow(&b, "table.report-table a[href*='region=513432']", "region=513432", &name(&county), &what("the county"))
            .await;
        follow(&b, "table.report-table a[href*='workshop=']", "workshop=", "", &what("a workshop")).await;
        assert!(b.current_url().await.unwrap().as_str().contains("workshop="));
        let workers = b.find_all(Locator::Css("table.report-table tbody tr")).await.unwrap();
        assert!(!workers.is_empty(), "the workshop's workers");
        let steps = crumbs(&b).await;
        assert_eq!(steps.iter().map(|c| c.1).collect::<Vec<_>>(), [false, false, true, true, false], "{steps:?}");
        screenshot(&b, &format!("officials-workshop-{width}")).await;

        // Up by the breadcrumb to the top of the official's scope, and down again.
        let by_crumb = what("the county, by the breadcrumb");
        follow(&b, "nav.crumbs a[href*='region=513432']", "region=513432", &name(&county), &by_crumb).await;
        let by_crumb = what("the prefecture, by the breadcrumb");
        follow(&b, "nav.crumbs a[href*='region=513400']", "region=513400", &prefecture, &by_crumb).await;
        let again = what("the county again");
        follow(&b, "table.report-table a[href*='region=513432']", "region=513432", &name(&county), &again).await;
        let again = what("the prefecture again");
        follow(&b, "nav.crumbs a[href*='region=513400']", "region=513400", &prefecture, &again).await;
        screenshot(&b, &format!("officials-dashboard-{width}")).await;

        // The table's headings stay on one line (on a phone they used to break after every
        // character); the table scrolls inside a focusable, named region instead.
        let lines = b
            .execute(
                "return [...document.querySelectorAll('table.report-table thead th')].map(th => { \
                   const s = getComputedStyle(th); \
                   const inner = th.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom); \
                   return inner / parseFloat(s.fontSize); });",
                vec![],
            )
            .await
            .unwrap();
        let lines: Vec<f64> = serde_json::from_value(lines).unwrap();
        assert!(
            !lines.is_empty() && lines.iter().all(|l| *l < 2.0),
            "{}: heading heights in ems {lines:?}",
            what("headings")
        );
        let region = b.find(Locator::Css(".table-scroll[tabindex='0'][role='region']")).await.unwrap();
        assert!(region.attr("aria-labelledby").await.unwrap().is_some());

        // The XLSX, downloaded by the browser with the official's session.
        b.find(Locator::Css("a[href*='format=xlsx']")).await.unwrap().click().await.unwrap();
        let path = downloaded(downloads.path(), "xlsx").await;
        let bytes = std::fs::read(&path).unwrap();
        let (gross, workers) =
            if zh { ("销售总额（元）", "从业人数") } else { ("Gross sales (¥)", "Workers employed") };
        crate::officials::check_workbook(&bytes, &d, gross, workers);
        b.close().await.unwrap();
    }
}

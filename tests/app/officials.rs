//! Issue 16, item 9: the official's side. An official lands on their reports after signing
//! in; every breadcrumb and row link of the dashboards answers 200 (the regions above an
//! official's own are named, not linked); the 30% rule colours workshops and regions, never a
//! worker; money on the pages carries thousands separators; and the exports are headed in the
//! reader's language with money in yuan (`#,##0.00`), the amounts in fen kept for programs in
//! hidden columns.

use crate::support::TestApp;
use crate::users::{User, DEMO_PASSWORD};
use crate::xlsx;
use std::collections::{BTreeSet, VecDeque};

#[tokio::test]
async fn an_official_lands_on_their_reports_after_signing_in() {
    let app = TestApp::spawn().await;
    for (who, next, landing) in [
        ("official", None, "/officials"),
        ("official", Some("/impact?period=2026"), "/impact?period=2026"),
        ("official", Some("https://evil.example/officials"), "/officials"),
        ("official", Some("//evil.example/officials"), "/officials"),
        ("buyer", None, "/account"),
        ("manager", None, "/portal"),
    ] {
        let mut user = User::anonymous(&app).await;
        let email = format!("{who}@demo.gongfang.cn");
        let mut pairs = vec![("email", email.as_str()), ("password", DEMO_PASSWORD)];
        if let Some(next) = next {
            pairs.push(("next", next));
        }
        let (status, location) = user.form("/login", &pairs).await;
        assert_eq!((status, location.as_str()), (303, landing), "{who} with next {next:?}");
        user.refresh_csrf().await;
        let (status, _) = user.page(landing).await;
        // The portal sends a manager on to their workshop's page.
        let expected = if who == "manager" { 303 } else { 200 };
        assert_eq!(status, expected, "{who} lands on {landing}");
    }
}

/// The dashboard links of a page: breadcrumb steps, rows, workshops needing attention.
fn dashboard_links(page: &str) -> Vec<String> {
    page.split("href=\"/officials?")
        .skip(1)
        .map(|rest| format!("/officials?{}", rest.split('"').next().unwrap()))
        .collect()
}

/// The breadcrumb of a page, as `(name, linked)` per step.
fn crumbs(page: &str) -> Vec<(String, bool)> {
    let nav = page.split("<nav class=\"crumbs\"").nth(1).unwrap().split("</nav>").next().unwrap();
    let nav = nav.split_once('>').unwrap().1;
    nav.split(" › ")
        .map(|step| {
            let linked = step.contains("<a ");
            let text: String = step.split('>').filter_map(|p| p.split('<').next()).collect();
            (text.trim().to_owned(), linked)
        })
        .collect()
}

/// Follows every dashboard link from `/officials`, breadth first; returns the pages seen.
async fn walk(user: &User, who: &str, limit: usize) -> Vec<(String, String)> {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([String::from("/officials?period=2026")]);
    let mut pages = Vec::new();
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) || pages.len() >= limit {
            continue;
        }
        let (status, page) = user.page(&path).await;
        assert_eq!(status, 200, "{who}: {path}");
        for link in dashboard_links(&page) {
            queue.push_back(link);
        }
        pages.push((path, page));
    }
    pages
}

#[tokio::test]
async fn every_breadcrumb_and_row_link_of_the_dashboards_answers_200() {
    let app = TestApp::spawn().await;
    crate::reports::generated_sales(&app, 11);
    // A provincial official (Sichuan), made like the demo official.
    app.execute(
        "INSERT INTO users (email, password_hash, display_name, lang, role, region_code, is_demo, created_at, updated_at) \
         SELECT 'province@demo.gongfang.cn', password_hash, '四川省', 'zh', 'official', '510000', is_demo, created_at, updated_at \
         FROM users WHERE email = 'official@demo.gongfang.cn';",
    );
    let prefecture = User::demo(&app, "official").await;
    let province = User::login(&app, "province@demo.gongfang.cn", DEMO_PASSWORD).await;
    let operator = User::demo(&app, "operator").await;

    // The prefecture's official: Sichuan and China are named above Liangshan, not linked.
    let pages = walk(&prefecture, "prefecture official", 40).await;
    let top = crumbs(&pages[0].1);
    assert_eq!(
        top,
        vec![("全国".into(), false), ("四川省".into(), false), ("凉山彝族自治州".into(), false)],
        "the last step is the page itself"
    );
    let workshop = pages.iter().find(|(p, _)| p.contains("workshop=")).expect("a workshop reached through the rows");
    let steps = crumbs(&workshop.1);
    assert_eq!(steps.iter().filter(|(_, linked)| *linked).count(), 2, "Liangshan and the county link: {steps:?}");
    assert!(pages.len() >= 5, "{} pages", pages.len());

    // The province's official reaches every level under Sichuan, and back up by the crumbs.
    let pages = walk(&province, "provincial official", 60).await;
    let workshop = pages.iter().find(|(p, _)| p.contains("workshop=")).expect("a workshop");
    let steps = crumbs(&workshop.1);
    assert_eq!(steps.iter().map(|(_, l)| *l).collect::<Vec<_>>(), [false, true, true, true, false], "{steps:?}");

    // An operator starts at the country, and every link from there answers too.
    let pages = walk(&operator, "operator", 60).await;
    assert_eq!(crumbs(&pages[0].1), vec![("全国".into(), false)]);
    let deep = pages.iter().find(|(p, _)| p.contains("workshop=")).expect("a workshop");
    assert!(crumbs(&deep.1)[0].1, "the country is a link for an operator");
}

#[tokio::test]
async fn the_rule_colours_workshops_never_a_worker() {
    let app = TestApp::spawn().await;
    // The Xide workshop falls below 30%: one poor-household worker of six.
    app.execute(
        "UPDATE worker_household_statuses SET status = 'not_poor' WHERE worker_id IN \
           (SELECT w.id FROM workers w JOIN workshops s ON s.id = w.workshop_id WHERE s.slug = 'xide-yi-lacquer'); \
         UPDATE worker_household_statuses SET status = 'registered_poor' WHERE worker_id = \
           (SELECT MIN(w.id) FROM workers w JOIN workshops s ON s.id = w.workshop_id WHERE s.slug = 'xide-yi-lacquer');",
    );
    let operator = User::demo(&app, "operator").await;
    let (_, county) = operator.get_json("/api/v1/reports?region=513432&period=2026").await;
    let row = county["rows"].as_array().unwrap().iter().find(|r| r["name_en"].as_str().unwrap().contains("Lacquer"));
    let row = row.expect("the workshop's row");
    assert_eq!(row["rule"]["status"], "below", "{row}");
    let id = row["key"].as_str().unwrap().to_owned();
    let (_, page) = operator.page("/officials?region=513432&period=2026").await;
    let tr = page.split("<tr").find(|tr| tr.contains(&format!("workshop={id}&"))).unwrap();
    assert!(tr.starts_with(" class=\"below\""), "the workshop's row is marked: <tr{}", &tr[..60]);

    // Its workers: five are not poor, and none of them is painted "below".
    let (_, d) = operator.get_json(&format!("/api/v1/reports?workshop={id}&period=2026")).await;
    let rows = d["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    assert!(rows.iter().all(|r| r["rule"].is_null()), "the rule is no person's: {rows:?}");
    assert_eq!(d["rule"]["status"], "below", "the workshop itself is below");
    let (_, page) = operator.page(&format!("/officials?workshop={id}&period=2026")).await;
    let table = page.split("<table class=\"report-table\">").nth(1).unwrap().split("</table>").next().unwrap();
    assert!(!table.contains("class=\"below\""), "no worker row is painted: {table}");
    assert!(page.contains("rule-line below"), "the workshop's own line says it is below");
    // The table scrolls by keyboard, inside a named region.
    assert!(page.contains("<div class=\"table-scroll\" tabindex=\"0\" role=\"region\" aria-labelledby=\"rows\">"));
    assert!(page.contains("<h2 id=\"rows\">"));
}

/// Every `¥` amount of a page, and whether each is written `¥12,345.67`.
fn amounts(page: &str) -> Vec<(String, bool)> {
    page.split('¥')
        .skip(1)
        .filter_map(|rest| {
            let n: String =
                rest.chars().take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '.' || *c == '-').collect();
            // Chart axes say ¥1.2万.
            (!n.is_empty() && !rest[n.len()..].starts_with('万')).then_some(n)
        })
        .map(|n| {
            let body = n.strip_prefix('-').unwrap_or(&n);
            // Whole yuan (a chart's axis) or yuan and fen.
            let (whole, frac) = body.split_once('.').unwrap_or((body, "00"));
            let ok = {
                let groups: Vec<&str> = whole.split(',').collect();
                frac.len() == 2
                    && frac.bytes().all(|b| b.is_ascii_digit())
                    && (1..=3).contains(&groups[0].len())
                    && groups[1..].iter().all(|g| g.len() == 3)
                    && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
                    && (groups.len() > 1 || groups[0].len() <= 3)
            };
            (n, ok)
        })
        .collect()
}

#[tokio::test]
async fn money_on_the_officials_pages_has_thousands_separators() {
    let app = TestApp::spawn().await;
    crate::reports::generated_sales(&app, 13);
    let operator = User::demo(&app, "operator").await;
    for path in ["/officials?period=2026", "/officials?period=2026&region=513432", "/impact?period=2026"] {
        for lang in ["zh", "en"] {
            let (status, page) = operator.page(&format!("{path}&lang={lang}")).await;
            assert_eq!(status, 200);
            let found = amounts(&page);
            assert!(found.iter().any(|(n, _)| n.contains(',')), "{path} {lang}: large amounts grouped: {found:?}");
            let bad: Vec<_> = found.iter().filter(|(_, ok)| !ok).collect();
            assert!(bad.is_empty(), "{path} {lang}: amounts not written ¥12,345.67: {bad:?}");
        }
    }
}

/// Checks one exported workbook against the dashboard's JSON: headings in words (in the
/// language's own words), money in yuan formatted `#,##0.00`, the fen in hidden columns.
pub(crate) fn check_workbook(bytes: &[u8], d: &serde_json::Value, gross_heading: &str, workers_heading: &str) {
    let sheets = xlsx::read(bytes);
    let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["summary", "rows", "months", "risk", "definitions"]);
    for sheet in &sheets {
        let header = 3;
        for (c, cell) in sheet.row(header) {
            let code_like =
                !cell.value.is_empty() && cell.value.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'*');
            assert_eq!(code_like, sheet.hidden.contains(&c), "{}: heading {:?} (column {c})", sheet.name, cell.value);
        }
    }
    let rows = &sheets[1];
    let key = rows.column_of(3, "key").expect("a key column for programs");
    let gross = rows.column_of(3, gross_heading).expect("gross sales in yuan");
    let gross_fen = rows.column_of(3, "gross_fen").expect("gross sales in fen");
    let workers = rows.column_of(3, workers_heading).expect("workers");
    assert!(rows.hidden.contains(&key) && rows.hidden.contains(&gross_fen) && !rows.hidden.contains(&gross));
    let mut checked = 0;
    for r in 4.. {
        let Some(k) = rows.get(r, key) else { break };
        let yuan = rows.get(r, gross).unwrap();
        let fen = rows.get(r, gross_fen).unwrap();
        assert!(yuan.is_number && yuan.format == "#,##0.00", "row {r}: {yuan:?}");
        let yuan_value: f64 = yuan.value.parse().unwrap();
        let fen_value: i64 = fen.value.parse().unwrap();
        assert_eq!((yuan_value * 100.0).round() as i64, fen_value, "row {r}: yuan = fen / 100");
        if k.value == "TOTAL" {
            assert!(yuan.is_formula && fen.is_formula, "the total row sums in the spreadsheet");
            assert_eq!(fen_value, d["totals"]["gross_fen"].as_i64().unwrap());
            assert_eq!(rows.get(r, workers).unwrap().value, d["totals"]["workers"].to_string());
        } else {
            let row = d["rows"].as_array().unwrap().iter().find(|x| x["key"] == k.value.as_str()).unwrap();
            assert_eq!(fen_value, row["figures"]["gross_fen"].as_i64().unwrap(), "the journal's fen, to the fen");
        }
        checked += 1;
    }
    assert!(checked >= 2, "{checked} rows");
    // Every money column of every sheet is formatted as yuan.
    for sheet in &sheets[..3] {
        for (c, cell) in sheet.row(3) {
            if cell.value.ends_with("_fen") || sheet.hidden.contains(&c) {
                continue;
            }
            if let Some(first) = sheet.get(4, c).filter(|_| cell.value.contains('¥') || cell.value.contains('元')) {
                // A number formatted as yuan, or "—" where there is none (an average of nobody).
                assert!(
                    (first.is_number && first.format == "#,##0.00") || first.value == "—",
                    "{} {:?}: {first:?}",
                    sheet.name,
                    cell.value
                );
            }
        }
    }
}

#[tokio::test]
async fn exports_are_headed_in_words_with_money_in_yuan() {
    let app = TestApp::spawn().await;
    crate::reports::generated_sales(&app, 17);
    let official = User::demo(&app, "official").await;
    let (_, d) = official.get_json("/api/v1/reports?period=2026").await;
    let get = |path: String| {
        let client = official.client.clone();
        let url = official.url(&path);
        async move {
            let res = client.get(url).send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
            res.bytes().await.unwrap().to_vec()
        }
    };
    let zh = get("/officials/export?period=2026&format=xlsx".into()).await;
    check_workbook(&zh, &d, "销售总额（元）", "从业人数");
    let en = get("/officials/export?period=2026&format=xlsx&lang=en".into()).await;
    check_workbook(&en, &d, "Gross sales (¥)", "Workers employed");
    let title = &xlsx::read(&en)[0];
    assert!(title.get(0, 0).unwrap().value.starts_with("Gongfang income attribution report · Liangshan"));
    assert!(title.get(1, 0).unwrap().value.contains("(China time)"));

    // CSV for people: words on top, yuan as plain decimals; the fen for programs last.
    let text = String::from_utf8(get("/api/v1/reports/export?period=2026&format=csv&table=rows&lang=en".into()).await)
        .unwrap();
    let rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let header = &rows[2];
    assert_eq!(header[..3], ["Code", "Name (Chinese)", "Name (English or pinyin)"]);
    let (yuan, fen) = (
        header.iter().position(|h| h == "Wages attributed (¥)").unwrap(),
        header.iter().position(|h| h == "wages_fen").unwrap(),
    );
    assert!(fen > yuan);
    for row in &rows[3..] {
        let (y, f) = (&row[yuan], row[fen].parse::<i64>().unwrap());
        assert_eq!(y, &format!("{}.{:02}", f / 100, f % 100), "{row:?}");
    }
    // The digests are still the journal's, in fen.
    let (code, out) = app.audit_verify();
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("3 export digests recomputed"), "{out}");
}

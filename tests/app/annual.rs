//! The annual evaluation (issue 21, part 3). `gongfang report annual` on a national-scale seed
//! writes the page, the workbook and the PDF. Every figure is recomputed from the stored rows,
//! as `reports_expect` does for the dashboard: the two years' dashboards, workshops
//! established, training, sales by heritage item, and the changes. The PDF's text
//! (`pdftotext`) holds the headline figures, and `audit verify` recomputes its digest.
//! Officials reach it from the dashboard for their own region only.

use crate::reports::{county_official, generated_sales};
use crate::reports_expect::{Expected, Journal, Level, Workshop};
use crate::support::TestApp;
use crate::users::User;
use chrono::{Datelike, NaiveDate, TimeDelta};
use serde_json::Value;
use std::collections::BTreeMap;

const POOR: [&str; 3] = ["registered_poor", "lifted_out", "monitored"];

fn gongfang(app: &TestApp, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_gongfang"))
        .args(args)
        .env("DATABASE_URL", app.database_url())
        .env("GONGFANG_DATA_DIR", &app.data_dir)
        .env("GONGFANG_NATIONAL_FRACTION", "0.001")
        .env("LC_ALL", "en_US.UTF-8")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn in_region(w: &Workshop, code: &str) -> bool {
    [Some(w.province.as_str()), w.prefecture.as_deref(), Some(w.county.as_str())].contains(&Some(code))
}

/// A training session in 2025 at a workshop of 513400 with every worker it employed that
/// June, written as the manager's form leaves it. Returns the session's attendees.
fn train_in_2025(app: &TestApp, j: &Journal) -> Vec<i64> {
    let (start, end) = (NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(), NaiveDate::from_ymd_opt(2025, 6, 30).unwrap());
    let employed = |w: i64| -> Vec<i64> {
        j.workers
            .iter()
            .filter(|x| x.workshop == w && x.joined <= start && x.left.is_none_or(|l| l >= end))
            .map(|x| x.id)
            .collect()
    };
    let w =
        j.workshops.iter().filter(|w| in_region(w, "513400")).map(|w| w.id).max_by_key(|w| employed(*w).len()).unwrap();
    let attendees = employed(w);
    assert!(attendees.len() >= 2, "a workshop of 513400 employed workers in June 2025");
    app.execute(&format!(
        "INSERT INTO training_sessions (workshop_id, programme, organiser_kind, organiser_name, starts_on, ends_on, hours, recorded_by, created_at) \
         SELECT {w}, '彝族漆器研修班', 'university', '西南民族大学', '{start}', '{end}', 24, id, '2025-07-01 00:00:00' \
         FROM users WHERE email = 'manager@demo.gongfang.cn';"
    ));
    for a in &attendees {
        app.execute(&format!(
            "INSERT INTO training_attendances (session_id, worker_id) SELECT MAX(id), {a} FROM training_sessions;"
        ));
    }
    attendees
}

/// Sales by heritage item of the workshops of `region` in `year` (China time), from the
/// postings: `(gross, net, wages, poor wages)`.
fn heritage_sales(j: &Journal, region: &str, year: i32) -> BTreeMap<i64, [i64; 4]> {
    let mut out: BTreeMap<i64, [i64; 4]> = BTreeMap::new();
    for p in &j.postings {
        let w = j.workshops.iter().find(|w| w.id == p.workshop).unwrap();
        let china = p.posted_at + TimeDelta::hours(8);
        if !in_region(w, region) || china.year() != year || !(p.kind == "capture" || p.kind == "refund") {
            continue;
        }
        let e = out.entry(p.heritage).or_default();
        match p.account.as_str() {
            "buyer_clearing" => {
                e[0] -= p.amount;
                e[1] -= p.amount;
            }
            "platform_commission" => e[1] -= p.amount,
            "wages_payable" => {
                e[2] += p.amount;
                if p.status.as_deref().is_some_and(|s| POOR.contains(&s)) {
                    e[3] += p.amount;
                }
            }
            _ => {}
        }
    }
    out
}

/// Checks an evaluation's JSON against the stored rows, figure by figure.
fn assert_evaluation(a: &Value, j: &Journal, region: &str, level: Level, trained: &[i64]) {
    let q = format!("annual {region} 2025");
    assert_eq!(a["year"], 2025, "{q}");
    assert_eq!(a["region_code"], region, "{q}");
    let now = Expected::compute(j, &format!("region={region}"), "2025", None, level);
    now.assert_matches(&a["current"], &q);
    Expected::compute(j, &format!("region={region}"), "2024", None, level).assert_matches(&a["previous"], &q);

    let established = |y: i32| {
        j.workshops.iter().filter(|w| in_region(w, region) && w.issued.is_some_and(|d| d.year() == y)).count() as i64
    };
    assert_eq!(a["established"].as_i64(), Some(established(2025)), "{q}: established");
    assert_eq!(a["established_previous"].as_i64(), Some(established(2024)), "{q}: established the year before");

    // Training: the attendees employed in 2025, 24 hours each; poor by their status at the
    // year's end (or when they left), as the headcount counts them.
    let end = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    let poor: Vec<&i64> = trained
        .iter()
        .filter(|id| {
            let w = j.workers.iter().find(|w| w.id == **id).unwrap();
            j.status_on(**id, w.left.map_or(end, |l| l.min(end))).is_some_and(|s| POOR.contains(&s))
        })
        .collect();
    let totals = &a["current"]["totals"];
    let n = trained.len() as i64;
    assert_eq!(totals["trained_workers"].as_i64(), Some(n), "{q}: trained");
    assert_eq!(totals["training_hours"].as_i64(), Some(24 * n), "{q}: person-hours");
    assert_eq!(totals["poor_trained_workers"].as_i64(), Some(poor.len() as i64), "{q}: poor trained");
    assert_eq!(totals["poor_training_hours"].as_i64(), Some(24 * poor.len() as i64), "{q}: poor person-hours");
    assert_eq!(a["previous"]["totals"]["training_hours"].as_i64(), Some(0), "{q}: no training in 2024");

    let (sales, before) = (heritage_sales(j, region, 2025), heritage_sales(j, region, 2024));
    let got: BTreeMap<i64, [i64; 5]> = a["heritage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let f = |k: &str| h[k].as_i64().unwrap();
            (
                f("heritage_item_id"),
                [f("gross_fen"), f("net_fen"), f("wages_fen"), f("poor_wages_fen"), f("previous_gross_fen")],
            )
        })
        .collect();
    let ids: Vec<&i64> =
        sales.keys().chain(before.keys()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    assert_eq!(got.keys().collect::<Vec<_>>(), ids, "{q}: heritage items sold in either year");
    for id in ids {
        let s = sales.get(id).copied().unwrap_or_default();
        let b = before.get(id).map_or(0, |b| b[0]);
        assert_eq!(got[id], [s[0], s[1], s[2], s[3], b], "{q}: heritage item {id}");
    }
    let gross: Vec<i64> = a["heritage"].as_array().unwrap().iter().map(|h| h["gross_fen"].as_i64().unwrap()).collect();
    assert!(gross.windows(2).all(|w| w[0] >= w[1]), "{q}: largest sales first");
    let heritage_total: i64 = sales.values().map(|s| s[0]).sum();
    assert_eq!(Some(heritage_total), totals["gross_fen"].as_i64(), "{q}: the items add up to the gross");

    // Each change is this year's figure against last year's, both as recomputed.
    let before_f = Expected::compute(j, &format!("region={region}"), "2024", None, level);
    for c in a["changes"].as_array().unwrap() {
        let key = c["key"].as_str().unwrap();
        let (cur, prev) = match key {
            "established" => (established(2025), established(2024)),
            "trained_workers" => (n, 0),
            "poor_trained_workers" => (poor.len() as i64, 0),
            "training_hours" => (24 * n, 0),
            "designer_fen" => (0, 0),
            k => (now.totals.get(k).unwrap_or(0), before_f.totals.get(k).unwrap_or(0)),
        };
        assert_eq!((c["current"].as_i64(), c["previous"].as_i64()), (Some(cur), Some(prev)), "{q}: change of {key}");
        assert_eq!(c["delta"].as_i64(), Some(cur - prev), "{q}: change of {key}");
    }
}

#[tokio::test]
async fn the_annual_evaluation_of_a_national_seed_is_the_journal_in_every_format() {
    let app = TestApp::spawn().await;
    // Demo sales from December 2025, then the national dataset over three years.
    generated_sales(&app, 21);
    let seeded = gongfang(&app, &["seed", "--scale", "national"]);
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    let journal = Journal::load(&app);
    let trained = train_in_2025(&app, &journal);

    // The province that sold most in 2025, besides Liangshan.
    let mut sold: BTreeMap<&str, i64> = BTreeMap::new();
    for p in journal.postings.iter().filter(|p| p.account == "buyer_clearing" && p.posted_at.year() == 2025) {
        let w = journal.workshops.iter().find(|w| w.id == p.workshop).unwrap();
        *sold.entry(w.province.as_str()).or_default() -= p.amount;
    }
    let province = sold.iter().max_by_key(|(_, n)| **n).map(|(p, _)| (*p).to_owned()).unwrap();

    let operator = User::demo(&app, "operator").await;
    let (status, liangshan) = operator.get_json("/api/v1/reports/annual?region=513400&year=2025").await;
    assert_eq!(status, 200, "{liangshan}");
    assert_evaluation(&liangshan, &journal, "513400", Level::County, &trained);
    assert!(liangshan["current"]["totals"]["gross_fen"].as_i64().unwrap() > 0, "Liangshan sold in 2025");
    let (status, rich) = operator.get_json(&format!("/api/v1/reports/annual?region={province}&year=2025")).await;
    assert_eq!(status, 200, "{rich}");
    let untrained: Vec<i64> = if province == "510000" { trained.clone() } else { Vec::new() };
    assert_evaluation(&rich, &journal, &province, Level::Prefecture, &untrained);
    assert!(rich["previous"]["totals"]["gross_fen"].as_i64().unwrap() > 0, "{province} sold in 2024 too");

    // The command writes the three files, in English here.
    let dir = tempfile::tempdir().unwrap();
    let out = gongfang(
        &app,
        &["report", "annual", "--region", "513400", "--year", "2025", "--out-dir", dir.path().to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    let digest = liangshan["digest"].as_str().unwrap();
    assert!(said.contains(&format!("(SHA-256 {digest})")), "the same figures give the same digest: {said}");
    let file = |ext: &str| dir.path().join(format!("gongfang-annual-513400-2025.{ext}"));
    for ext in ["html", "xlsx", "pdf"] {
        assert!(said.contains(file(ext).to_str().unwrap()), "{said}");
    }
    let totals = &liangshan["current"]["totals"];
    let yuan = |k: &str| gongfang::domain::Fen(totals[k].as_i64().unwrap()).to_string();
    let share = liangshan["headcount_share_text"].as_str().unwrap().to_owned();

    let html = std::fs::read_to_string(file("html")).unwrap();
    assert!(
        html.contains("Annual evaluation") && html.contains("@media print") && html.contains("<svg"),
        "a printable page with charts"
    );
    assert!(html.contains(&format!(r#"data-figure="gross_fen">{}<"#, yuan("gross_fen"))), "{}", yuan("gross_fen"));
    assert!(html.contains(&format!(r#"data-figure="workers">{}<"#, totals["workers"])));
    assert!(!html.contains("<script"), "no script in the document");

    let sheets = crate::xlsx::read(&std::fs::read(file("xlsx")).unwrap());
    let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["evaluation", "heritage", "rows", "risk", "definitions"]);
    let evaluation = &sheets[0];
    let key_col = evaluation.column_of(3, "key").unwrap();
    assert!(evaluation.hidden.contains(&key_col), "the column for programs is hidden");
    let row_of = |key: &str| (4..60).find(|r| evaluation.get(*r, key_col).is_some_and(|c| c.value == key)).unwrap();
    let gross = evaluation.get(row_of("gross_fen"), 1).unwrap();
    assert_eq!(gross.format, "#,##0.00", "money in yuan");
    assert_eq!((gross.value.parse::<f64>().unwrap() * 100.0).round() as i64, totals["gross_fen"].as_i64().unwrap());
    assert_eq!(evaluation.get(row_of("workers"), 1).unwrap().value, totals["workers"].to_string());

    let pdf = std::fs::read(file("pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    let text =
        std::process::Command::new("pdftotext").arg(file("pdf")).arg("-").output().expect("pdftotext (poppler-utils)");
    assert!(text.status.success(), "the PDF opens: {}", String::from_utf8_lossy(&text.stderr));
    let text = String::from_utf8_lossy(&text.stdout);
    for figure in [yuan("gross_fen"), yuan("wages_fen"), yuan("poor_wages_fen"), share, totals["workers"].to_string()] {
        assert!(text.contains(&figure), "the PDF's text holds {figure}:\n{text}");
    }
    assert!(text.contains("Annual evaluation"), "{text}");

    // Every evaluation built is recorded; audit verify recomputes each digest from the journal.
    let (code, text) = app.audit_verify();
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("3 annual evaluation digests recomputed"), "{text}");
    app.execute("UPDATE report_annuals SET digest = 'bad' WHERE id = 2;");
    let (code, text) = app.audit_verify();
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("annual evaluation 2"), "{text}");
}

#[tokio::test]
async fn officials_reach_their_own_regions_evaluation_from_the_dashboard() {
    let app = TestApp::spawn().await;
    generated_sales(&app, 5);
    let county = county_official(&app).await;

    // The dashboard links to the evaluation of the same region; the page is in the reader's
    // language and links to the files.
    let (status, dashboard) = county.page("/officials?period=2025").await;
    assert_eq!(status, 200);
    assert!(dashboard.contains(r#"href="/officials/annual?region=513432&year=2025""#), "the dashboard links to it");
    let (status, page) = county.page("/officials/annual?region=513432&year=2025").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("非遗工坊年度评估") && page.contains("format=xlsx") && page.contains("format=pdf"), "{page}");
    let (_, english) = county.page("/officials/annual?region=513432&year=2025&lang=en").await;
    assert!(english.contains("Against the year before"), "{english}");

    // Their own county by default; any other region is not found.
    let (status, a) = county.get_json("/api/v1/reports/annual?year=2025").await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["region_code"], "513432");
    for other in ["513431", "513400", "520000"] {
        let (status, _) = county.get_json(&format!("/api/v1/reports/annual?region={other}&year=2025")).await;
        assert_eq!(status, 404, "{other}");
    }
    // A bad year or format is a 400 naming its field, before anything is built.
    for (q, field) in [("year=20x5", "year"), ("year=2099", "year"), ("year=2025&format=docx", "format")] {
        let (status, e) = county.get_json(&format!("/api/v1/reports/annual?{q}")).await;
        assert_eq!((status, e["error"]["field"].as_str()), (400, Some(field)), "{q}: {e}");
    }
    // Only officials and operators.
    assert_eq!(User::anonymous(&app).await.get_json("/api/v1/reports/annual").await.0, 401);
    for who in ["buyer", "manager"] {
        assert_eq!(User::demo(&app, who).await.get_json("/api/v1/reports/annual").await.0, 403, "{who}");
    }

    // The files, as the official downloads them.
    let xlsx = county.client.get(county.url("/officials/annual?year=2025&format=xlsx")).send().await.unwrap();
    assert_eq!(xlsx.status(), 200);
    assert!(xlsx.headers()["content-disposition"].to_str().unwrap().contains("gongfang-annual-513432-2025.xlsx"));
    let sheets = crate::xlsx::read(&xlsx.bytes().await.unwrap());
    assert_eq!(sheets[0].name, "evaluation");
    let pdf = county.client.get(county.url("/officials/annual?year=2025&format=pdf")).send().await.unwrap();
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));

    // Each was recorded and audited as the official's.
    let (code, text) = app.audit_verify();
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("5 annual evaluation digests recomputed"), "{text}");
}

//! Issue 15, exports: workshop names written like spreadsheet formulas (`=HYPERLINK(…)`,
//! `@SUM(…)`) come out of every CSV the application writes (report exports on the web, through
//! the API and the command line; the bank file) as text behind a `'`, while plain numbers stay
//! numbers; the XLSX files hold them as strings, never as formulas; and the risk table names
//! each rule status by its stable name, as the JSON does (in its column for programs).

use crate::support::TestApp;
use crate::users::User;
use std::collections::HashMap;
use std::io::Read;

/// The formula-like name every workshop is given.
fn evil_name(id: &str) -> String {
    format!("=HYPERLINK(\"http://evil.example\",\"{id}\")")
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    r.records().map(|rec| rec.unwrap().iter().map(str::to_owned).collect()).collect()
}

fn is_plain_number(cell: &str) -> bool {
    let unsigned = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    [whole, fraction].iter().all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
}

/// No cell a spreadsheet would evaluate; returns how many cells were neutralised.
fn assert_no_formula(what: &str, text: &str) -> usize {
    let mut neutralised = 0;
    for row in csv_rows(text) {
        for cell in row {
            let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠']);
            assert!(!risky || is_plain_number(&cell), "{what}: a formula cell {cell:?}");
            neutralised += usize::from(cell.starts_with("'=") || cell.starts_with("'@"));
        }
    }
    neutralised
}

/// Every formula of an XLSX file's sheets, and its shared strings.
fn xlsx_parts(bytes: &[u8]) -> (Vec<String>, String) {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let (mut formulas, mut strings) = (Vec::new(), String::new());
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let name = file.name().unwrap().into_owned();
        let mut xml = String::new();
        file.read_to_string(&mut xml).unwrap();
        if name.starts_with("xl/worksheets/") {
            for part in xml.split("<f>").skip(1) {
                formulas.push(part.split("</f>").next().unwrap().to_owned());
            }
        } else if name == "xl/sharedStrings.xml" {
            strings = xml;
        }
    }
    (formulas, strings)
}

fn assert_xlsx_keeps_names_as_text(what: &str, bytes: &[u8]) {
    let (formulas, strings) = xlsx_parts(bytes);
    assert!(formulas.iter().all(|f| f.starts_with("SUM(") || f == "0"), "{what}: {formulas:?}");
    let text = strings.replace("&quot;", "\"");
    assert!(text.contains("<t>=HYPERLINK(\"http://evil.example\""), "{what}: the names are strings: {strings}");
}

async fn get_bytes(user: &User, path: &str) -> Vec<u8> {
    let res = user.client.get(user.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn every_csv_export_neutralises_formulas_and_xlsx_keeps_them_as_text() {
    let app = TestApp::spawn().await;
    crate::reports::generated_sales(&app, 5);
    app.execute(
        "UPDATE workshops SET name_zh = '=HYPERLINK(\"http://evil.example\",\"' || CAST(id AS TEXT) || '\")', \
         name_en = '@SUM(' || CAST(id AS TEXT) || ')';",
    );
    // One workshop of 喜德县 lapsed, with nobody employed in 2026: it is listed for attention
    // with the status "no workers".
    app.execute(
        "UPDATE workshops SET cert_issued_on = '2019-01-01', cert_last_confirmed_on = '2019-01-01' \
         WHERE id = (SELECT MAX(id) FROM workshops WHERE county_code = '513432'); \
         UPDATE workers SET joined_on = '2020-01-01', left_on = '2020-06-30' \
         WHERE workshop_id = (SELECT MAX(id) FROM workshops WHERE county_code = '513432');",
    );
    let official = User::demo(&app, "official").await;
    let operator = User::demo(&app, "operator").await;

    // Report CSVs, on the web and through the API, every table.
    let scope = "period=2026&region=513432";
    let mut named = 0;
    for base in ["/officials/export", "/api/v1/reports/export"] {
        for table in ["summary", "rows", "months", "risk", "definitions"] {
            let path = format!("{base}?{scope}&format=csv&table={table}");
            let text = String::from_utf8(get_bytes(&official, &path).await).unwrap();
            named += assert_no_formula(&path, &text);
        }
    }
    assert!(named >= 8, "the names were exported (as text): {named}");
    let rows =
        String::from_utf8(get_bytes(&official, &format!("/officials/export?{scope}&format=csv&table=rows")).await)
            .unwrap();
    let rows = csv_rows(&rows);
    // Headed for people; the columns for programs (`key`, amounts in fen) come last.
    let header = rows.iter().position(|r| r.iter().any(|c| c == "key")).unwrap();
    let first = &rows[header + 1];
    assert_eq!(first[1], format!("'{}", evil_name(&first[0])));
    assert_eq!(first[2], format!("'@SUM({})", first[0]));
    // Numbers, percentages, "—" for people and an empty cell for programs where there is none.
    assert!(
        first[3..].iter().filter(|c| !c.ends_with('%') && *c != "—" && !c.is_empty()).all(|c| is_plain_number(c)),
        "{first:?}"
    );

    // The risk table names the rule's status as the JSON does: meets, below, no_workers.
    let (_, d) = official.get_json(&format!("/api/v1/reports?{scope}")).await;
    let json_status: HashMap<String, String> = d["at_risk"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["workshop_id"].to_string(), r["rule"]["status"].as_str().unwrap().to_owned()))
        .collect();
    assert!(json_status.values().any(|s| s == "no_workers"), "{json_status:?}");
    let risk =
        String::from_utf8(get_bytes(&official, &format!("/officials/export?{scope}&format=csv&table=risk")).await)
            .unwrap();
    let risk = csv_rows(&risk);
    let at = risk.iter().position(|r| r.iter().any(|c| c == "rule_status")).unwrap();
    let column = risk[at].iter().position(|c| c == "rule_status").unwrap();
    let csv_status: HashMap<String, String> =
        risk[at + 1..].iter().map(|r| (r[0].clone(), r[column].clone())).collect();
    assert_eq!(csv_status, json_status);

    // A workshop's own summary names it, as text.
    let w = rows[header + 1][0].clone();
    let summary = String::from_utf8(
        get_bytes(&official, &format!("/officials/export?period=2026&workshop={w}&format=csv&table=summary")).await,
    )
    .unwrap();
    assert!(summary.contains(&format!("'{}", evil_name(&w)).replace('"', "\"\"")), "{summary}");
    assert_no_formula("workshop summary", &summary);

    // The command line's CSV export.
    let out_path = app.data_dir.join("cli-rows.csv");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gongfang"))
        .args(["report", "export", "--region", "513432", "--period", "2026", "--format", "csv", "--table", "rows"])
        .arg("--out")
        .arg(&out_path)
        .env("DATABASE_URL", app.database_url())
        .env("GONGFANG_DATA_DIR", &app.data_dir)
        .env("GONGFANG_MEDIA_DIR", crate::support::shared_media_dir())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&out_path).unwrap();
    assert!(assert_no_formula("command-line export", &text) >= 2);

    // The bank file: names neutralised, amounts still numbers.
    let bank =
        String::from_utf8(get_bytes(&operator, "/portal/payouts/bank-file?period=2026-10&format=csv").await).unwrap();
    assert!(assert_no_formula("bank file", &bank) >= 1, "{bank}");
    let bank_rows = csv_rows(&bank);
    assert_eq!(bank_rows[0][1], "payee_workshop");
    for row in &bank_rows[1..] {
        assert!(row[1].starts_with("'=HYPERLINK(\"http://evil.example\""), "{row:?}");
        assert!(is_plain_number(&row[3]) && is_plain_number(&row[4]), "{row:?}");
    }

    // XLSX: the report and the bank file hold the names as strings; the only formulas are the
    // totals' sums.
    let report = get_bytes(&official, &format!("/officials/export?{scope}&format=xlsx")).await;
    assert_xlsx_keeps_names_as_text("report xlsx", &report);
    let bank = get_bytes(&operator, "/portal/payouts/bank-file?period=2026-10&format=xlsx").await;
    assert_xlsx_keeps_names_as_text("bank xlsx", &bank);
}

//! The annual evaluation as files: a printable HTML page that stands alone (print CSS, charts
//! as SVG, no script), the same figures as an XLSX workbook, and a PDF printed from the page
//! by headless Chromium.

use super::annual::Annual;
use super::charts;
use super::export::Words;
use super::figures::DEFINITIONS;
use super::files::xlsx_of;
use super::tables::{figure_label, grids, Cell, Column, Grid};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::render::Renderer;
use std::path::Path;
use std::time::{Duration, Instant};

/// The page's charts: the dashboard's two (the headcount share of the rows against the
/// threshold, the year's wages by month) and sales by heritage item.
fn charts(a: &Annual, lang: Lang, renderer: &Renderer) -> tera::Context {
    let zh = lang == Lang::Zh;
    let (shares, trend) = charts::dashboard_charts(&a.current, lang, renderer.i18n());
    let heritage: Vec<(String, i64)> = a
        .heritage
        .iter()
        .take(12)
        .map(|h| (if zh { h.name_zh.clone() } else { h.name_en.clone() }, h.gross_fen))
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("share_chart", &shares);
    ctx.insert("trend_chart", &trend);
    let title = renderer.i18n().text(lang, "annual.heritage_chart");
    ctx.insert("heritage_chart", &charts::amount_bars(&title, &heritage));
    ctx
}

/// The printable page. `web` adds the links back to the dashboard and to the other formats
/// (hidden in print).
pub fn html(renderer: &Renderer, lang: Lang, a: &Annual, web: bool) -> Result<String, AppError> {
    let mut ctx = charts(a, lang, renderer);
    ctx.insert("a", a);
    ctx.insert("web", &web);
    if !web {
        // A file on disk or in Chromium has no server to fetch the stylesheet from.
        let css = crate::web::assets::text("css/annual.css")
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("static/css/annual.css is not embedded")))?;
        ctx.insert("inline_css", &css);
    }
    ctx.insert("definitions", DEFINITIONS);
    ctx.insert("established_name", &super::annual::ESTABLISHED);
    renderer.document(lang, "reports/annual.html", ctx)
}

/// The workbook: the headlines against last year, sales by heritage item, the rows one level
/// down, the workshops needing attention, and the definitions.
pub fn xlsx(a: &Annual, words: &Words) -> Result<Vec<u8>, AppError> {
    let t = |k: &str| words.text(&format!("export.annual.{k}"));
    let headlines = Grid {
        name: "evaluation",
        columns: vec![
            Column::human("figure", t("figure")),
            Column::human("year", a.year.to_string()),
            Column::human("previous", (a.year - 1).to_string()),
            Column::human("delta", t("delta")),
            Column::human("change", t("change")),
            Column::machine("key"),
        ],
        rows: a
            .changes
            .iter()
            .map(|c| {
                let name = if c.key == "established" {
                    words.pick(c.name_zh.as_str(), c.name_en.as_str()).to_owned()
                } else {
                    figure_label(words, &c.key)
                };
                let cell = |v: i64| if c.money { Cell::Money(v) } else { Cell::Num(v) };
                vec![
                    Cell::Text(name),
                    cell(c.current),
                    cell(c.previous),
                    cell(c.delta),
                    Cell::Text(c.change_text.clone()),
                    Cell::Text(c.key.clone()),
                ]
            })
            .chain([
                vec![
                    Cell::Text(figure_label(words, "headcount_share")),
                    Cell::Text(a.current.totals.headcount_share.percent_text()),
                    Cell::Text(a.previous.totals.headcount_share.percent_text()),
                    Cell::Text(String::new()),
                    Cell::Text(words.text(&format!("export.rule.{}", a.current.rule.status.as_str()))),
                    Cell::Text("headcount_share".into()),
                ],
                vec![
                    Cell::Text(figure_label(words, "income_share")),
                    Cell::Text(a.current.totals.income_share.percent_text()),
                    Cell::Text(a.previous.totals.income_share.percent_text()),
                    Cell::Text(String::new()),
                    Cell::Text(String::new()),
                    Cell::Text("income_share".into()),
                ],
            ])
            .collect(),
        total: false,
    };
    let heritage = Grid {
        name: "heritage",
        columns: vec![
            Column::human("heritage_item", t("heritage_item")),
            Column::human("gross_fen", figure_label(words, "gross_fen")),
            Column::human("net_fen", figure_label(words, "net_fen")),
            Column::human("wages_fen", figure_label(words, "wages_fen")),
            Column::human("poor_wages_fen", figure_label(words, "poor_wages_fen")),
            Column::human("previous_gross_fen", t("previous_gross")),
            Column::machine("heritage_item_id"),
        ],
        rows: a
            .heritage
            .iter()
            .map(|h| {
                vec![
                    Cell::Text(words.pick(&h.name_zh, &h.name_en).to_owned()),
                    Cell::Money(h.gross_fen),
                    Cell::Money(h.net_fen),
                    Cell::Money(h.wages_fen),
                    Cell::Money(h.poor_wages_fen),
                    Cell::Money(h.previous_gross_fen),
                    Cell::Num(h.heritage_item_id),
                ]
            })
            .collect(),
        total: false,
    };
    let mut sheets = vec![headlines, heritage];
    sheets.extend(grids(&a.current, words).into_iter().filter(|g| matches!(g.name, "rows" | "risk" | "definitions")));
    let titles = [
        format!("{} · {} · {}", t("title"), words.pick(&a.name_zh, &a.name_en), a.year),
        words
            .text("export.generated")
            .replace("{time}", &a.generated)
            .replace("{entry}", &a.current.upto_entry_id.to_string())
            .replace("{digest}", &a.digest),
    ];
    xlsx_of(&sheets, &titles)
}

/// The file name of a format: `gongfang-annual-513400-2025.pdf`.
pub fn filename(a: &Annual, extension: &str) -> String {
    format!("gongfang-annual-{}-{}.{extension}", a.region_code.as_deref().unwrap_or("CN"), a.year)
}

/// Held while Chromium prints.
static PRINTING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// How long Chromium may take to print.
const PRINT_TIMEOUT: Duration = Duration::from_secs(120);

/// Prints a standalone HTML page to PDF with headless Chromium (`chromium`, a path or a name
/// on `PATH`), in a private directory that is removed after; one at a time on a node (a
/// second is 503, to be retried).
pub fn pdf(chromium: &Path, html: &str) -> Result<Vec<u8>, AppError> {
    // One browser at a time on a node: a second request is told to come back, rather than
    // starting browsers without bound.
    let _printing = match PRINTING.try_lock() {
        Ok(guard) => guard,
        Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => {
            return Err(AppError::Unavailable("another annual evaluation is being printed".into()))
        }
    };
    let fail = |what: &str, e: &dyn std::fmt::Display| AppError::Internal(anyhow::anyhow!("annual PDF: {what}: {e}"));
    let dir = tempfile::tempdir().map_err(|e| fail("temporary directory", &e))?;
    let page = dir.path().join("annual.html");
    let out = dir.path().join("annual.pdf");
    std::fs::write(&page, html).map_err(|e| fail("writing the page", &e))?;
    let mut child = std::process::Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--no-first-run"])
        .arg(format!("--user-data-dir={}", dir.path().join("profile").display()))
        .arg(format!("--print-to-pdf={}", out.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| fail(&format!("starting {}", chromium.display()), &e))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| fail("waiting for Chromium", &e))? {
            Some(status) => break status,
            None if started.elapsed() > PRINT_TIMEOUT => {
                // A browser that hangs is stopped, not left behind.
                let _ = child.kill();
                let _ = child.wait();
                return Err(fail("Chromium", &"did not finish printing in 120 s"));
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    let bytes = std::fs::read(&out).map_err(|e| fail(&format!("Chromium exited with {status}"), &e))?;
    if !bytes.starts_with(b"%PDF") {
        return Err(fail("Chromium", &"wrote something that is not a PDF"));
    }
    Ok(bytes)
}

/// The files `gongfang report annual` wrote, and the evaluation's record.
pub struct Written {
    pub annual_id: i64,
    pub digest: String,
    pub paths: Vec<std::path::PathBuf>,
}

/// Builds the evaluation for the command line (everything, audited without a user) and writes
/// its page, workbook and (unless `args.no_pdf`) PDF into `args.out_dir`.
pub async fn write_all(
    reports: &super::Reports,
    renderer: &Renderer,
    chromium: &Path,
    args: &crate::cli::AnnualArgs,
    lang: Lang,
) -> Result<Written, AppError> {
    let a = reports.annual(super::Viewer::system(), args.region.clone(), args.year).await?;
    let io = |e: std::io::Error| AppError::Internal(anyhow::anyhow!("writing to {}: {e}", args.out_dir.display()));
    std::fs::create_dir_all(&args.out_dir).map_err(io)?;
    let page = html(renderer, lang, &a, false)?;
    let mut files = vec![
        (filename(&a, "html"), page.clone().into_bytes()),
        (filename(&a, "xlsx"), xlsx(&a, &Words::new(renderer.i18n(), lang))?),
    ];
    if !args.no_pdf {
        let chromium = chromium.to_owned();
        let printed = tokio::task::spawn_blocking(move || pdf(&chromium, &page))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("annual PDF: {e}")))??;
        files.push((filename(&a, "pdf"), printed));
    }
    let mut paths = Vec::new();
    for (name, bytes) in files {
        let path = args.out_dir.join(name);
        std::fs::write(&path, bytes).map_err(io)?;
        paths.push(path);
    }
    Ok(Written { annual_id: a.annual_id, digest: a.digest, paths })
}

//! Exports of the dashboard's tables, with the same numbers: CSV (one table) and XLSX (every
//! table, plus a sheet that defines every column). Each file is titled and dated and carries
//! the SHA-256 digest of the journal-derived figures it was built from; the export is recorded
//! with the last journal entry it includes, so `gongfang audit verify` recomputes the digest
//! from the journal alone.

use super::figures::{Figures, DEFINITIONS};
use super::{Dashboard, Reports, Request, Viewer};
use crate::db::audit::{self, AuditEvent};
use crate::db::reports::{self as q, MonthRow, Slice, WorkshopFilter};
use crate::db::DbConn;
use crate::domain::period::ReportPeriod;
use crate::domain::RegionCode;
use crate::error::AppError;
use sha2::{Digest, Sha256};

/// The file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// The tables of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Summary,
    Rows,
    Months,
    Risk,
    Definitions,
}

impl Table {
    pub const ALL: [Table; 5] = [Table::Summary, Table::Rows, Table::Months, Table::Risk, Table::Definitions];

    pub fn parse(s: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Table::Summary => "summary",
            Table::Rows => "rows",
            Table::Months => "months",
            Table::Risk => "risk",
            Table::Definitions => "definitions",
        }
    }
}

/// A finished export.
#[derive(Debug, Clone)]
pub struct ExportFile {
    pub bytes: Vec<u8>,
    pub filename: String,
    pub format: Format,
    pub digest: String,
    pub export_id: i64,
}

/// The digest of a slice's journal-derived figures: every roll-up row in key order, with what
/// the slice covered and the last entry included.
pub fn digest(rows: &[MonthRow], label: &str, upto: i64) -> String {
    let mut sorted: Vec<&MonthRow> = rows.iter().collect();
    sorted.sort_by(|a, b| {
        (a.workshop_id, &a.month, a.heritage_item_id).cmp(&(b.workshop_id, &b.month, b.heritage_item_id))
    });
    let mut h = Sha256::new();
    h.update(format!("gongfang-report-v1|{label}|{upto}\n"));
    for r in sorted {
        h.update(format!(
            "{}|{}|{}|{}|{}|{}|{}|{}|{}\n",
            r.workshop_id,
            r.month,
            r.heritage_item_id,
            r.gross_fen,
            r.commission_fen,
            r.wages_fen,
            r.registered_poor_fen,
            r.lifted_out_fen,
            r.monitored_fen
        ));
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn label(region: Option<&str>, workshop: Option<i64>, period: &str, heritage: Option<i64>) -> String {
    format!(
        "{}|{}|{period}|{}",
        region.unwrap_or("-"),
        workshop.map_or_else(|| "-".to_owned(), |w| w.to_string()),
        heritage.map_or_else(|| "-".to_owned(), |h| h.to_string())
    )
}

/// The columns of the rows table, after the key and the names.
const ROW_COLUMNS: [&str; 16] = [
    "workshops",
    "certified",
    "lapsed",
    "confirmation_due",
    "workers",
    "poor_workers",
    "headcount_share",
    "gross_fen",
    "commission_fen",
    "net_fen",
    "wages_fen",
    "poor_wages_fen",
    "income_share",
    "disbursed_fen",
    "acknowledged_fen",
    "avg_monthly_poor_wage_fen",
];

/// A cell: a whole number (summed in the total row) or text.
#[derive(Clone)]
enum Cell {
    Num(i64),
    Text(String),
}

fn figure_cells(f: &Figures) -> Vec<Cell> {
    use Cell::{Num, Text};
    vec![
        Num(f.workshops),
        Num(f.certified),
        Num(f.lapsed),
        Num(f.confirmation_due),
        Num(f.workers),
        Num(f.poor_workers),
        Text(f.headcount_share.percent_text()),
        Num(f.gross_fen),
        Num(f.commission_fen),
        Num(f.net_fen),
        Num(f.wages_fen),
        Num(f.poor_wages_fen),
        Text(f.income_share.percent_text()),
        Num(f.disbursed_fen),
        Num(f.acknowledged_fen),
        f.avg_monthly_poor_wage_fen.map_or_else(|| Text("—".into()), Num),
    ]
}

/// A table as header and rows of cells, and whether its last row is a total.
struct Grid {
    name: &'static str,
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
    total: bool,
}

fn grids(d: &Dashboard) -> Vec<Grid> {
    let with_names = |first: &str| {
        let mut h = vec![first.to_owned(), "name_zh".into(), "name_en".into()];
        h.extend(ROW_COLUMNS.iter().map(|c| (*c).to_owned()));
        h
    };
    let summary = Grid {
        name: "summary",
        header: with_names("scope"),
        rows: vec![[
            vec![
                Cell::Text(
                    d.region_code
                        .clone()
                        .or(d.workshop_id.map(|w| format!("workshop {w}")))
                        .unwrap_or_else(|| "CN".into()),
                ),
                Cell::Text(d.name_zh.clone()),
                Cell::Text(d.name_en.clone()),
            ],
            figure_cells(&d.totals),
        ]
        .concat()],
        total: false,
    };
    let mut rows_header = with_names("key");
    if d.workshop_id.is_some() {
        rows_header.push("household_status".into());
    }
    let mut rows: Vec<Vec<Cell>> = d
        .rows
        .iter()
        .map(|r| {
            let mut cells =
                vec![Cell::Text(r.key.clone()), Cell::Text(r.name_zh.clone()), Cell::Text(r.name_en.clone())];
            cells.extend(figure_cells(&r.figures));
            if d.workshop_id.is_some() {
                cells.push(Cell::Text(r.household_status.map_or("", |s| s.as_str()).to_owned()));
            }
            cells
        })
        .collect();
    rows.push(
        [
            vec![Cell::Text("TOTAL".into()), Cell::Text("合计".into()), Cell::Text("Total".into())],
            figure_cells(&d.totals),
        ]
        .concat(),
    );
    let months = Grid {
        name: "months",
        header: ["month", "gross_fen", "commission_fen", "net_fen", "wages_fen", "poor_wages_fen", "income_share"]
            .map(str::to_owned)
            .to_vec(),
        rows: d
            .months
            .iter()
            .map(|(m, f)| {
                vec![
                    Cell::Text(m.clone()),
                    Cell::Num(f.gross_fen),
                    Cell::Num(f.commission_fen),
                    Cell::Num(f.net_fen),
                    Cell::Num(f.wages_fen),
                    Cell::Num(f.poor_wages_fen),
                    Cell::Text(f.income_share.percent_text()),
                ]
            })
            .collect(),
        total: false,
    };
    let risk = Grid {
        name: "risk",
        header: [
            "workshop_id",
            "name_zh",
            "name_en",
            "county_code",
            "rule_status",
            "headcount_share",
            "income_share",
            "certification",
            "next_confirmation_due",
        ]
        .map(str::to_owned)
        .to_vec(),
        rows: d
            .at_risk
            .iter()
            .map(|r| {
                vec![
                    Cell::Num(r.workshop_id),
                    Cell::Text(r.name_zh.clone()),
                    Cell::Text(r.name_en.clone()),
                    Cell::Text(r.county_code.clone()),
                    Cell::Text(format!("{:?}", r.rule.status).to_lowercase()),
                    Cell::Text(r.rule.headcount.percent_text()),
                    Cell::Text(r.rule.income.percent_text()),
                    Cell::Text(r.certification.status.as_str().to_owned()),
                    Cell::Text(r.certification.next_due.map(|d| d.to_string()).unwrap_or_default()),
                ]
            })
            .collect(),
        total: false,
    };
    let definitions = Grid {
        name: "definitions",
        header: ["column", "name_zh", "name_en", "definition_zh", "definition_en"].map(str::to_owned).to_vec(),
        rows: DEFINITIONS
            .iter()
            .map(|d| [d.key, d.name_zh, d.name_en, d.zh, d.en].into_iter().map(|t| Cell::Text(t.to_owned())).collect())
            .chain(std::iter::once(
                [
                    "*_fen",
                    "金额（分）",
                    "Amounts (fen)",
                    "金额以分为单位的整数，100 分 = 1 元。",
                    "Amounts are whole fen; 100 fen = 1 yuan.",
                ]
                .into_iter()
                .map(|t| Cell::Text(t.to_owned()))
                .collect(),
            ))
            .collect(),
        total: false,
    };
    vec![summary, Grid { name: "rows", header: rows_header, rows, total: true }, months, risk, definitions]
}

fn title_lines(d: &Dashboard, generated: &str, digest: &str) -> [String; 2] {
    [
        format!(
            "工坊收入归属报告 Income attribution report · {} {} · {} {}",
            d.name_zh, d.name_en, d.period_zh, d.period_en
        ),
        format!(
            "生成 Generated {generated} · 账目至第 {} 笔 Journal entries ≤ {} · SHA-256 {digest}",
            d.upto_entry_id, d.upto_entry_id
        ),
    ]
}

fn csv_of(grid: &Grid, titles: &[String; 2]) -> Result<Vec<u8>, AppError> {
    let fail = |e: csv::Error| AppError::Internal(anyhow::anyhow!("report csv: {e}"));
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for t in titles {
        w.write_record([t]).map_err(fail)?;
    }
    w.write_record(&grid.header).map_err(fail)?;
    for row in &grid.rows {
        w.write_record(row.iter().map(|c| match c {
            Cell::Num(n) => n.to_string(),
            Cell::Text(t) => t.clone(),
        }))
        .map_err(fail)?;
    }
    w.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!("report csv: {e}")))
}

fn xlsx_of(grids: &[Grid], titles: &[String; 2]) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format as Style, Formula, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::Internal(anyhow::anyhow!("report xlsx: {e}"));
    let mut book = Workbook::new();
    let bold = Style::new().set_bold();
    for g in grids {
        let sheet = book.add_worksheet();
        sheet.set_name(g.name).map_err(fail)?;
        sheet.write_string_with_format(0, 0, &titles[0], &bold).map_err(fail)?;
        sheet.write_string(1, 0, &titles[1]).map_err(fail)?;
        let top = 3u32;
        for (c, h) in g.header.iter().enumerate() {
            sheet.write_string_with_format(top, c as u16, h, &bold).map_err(fail)?;
        }
        let n = g.rows.len() as u32;
        for (i, row) in g.rows.iter().enumerate() {
            let r = top + 1 + i as u32;
            let is_total = g.total && i as u32 == n - 1;
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    // A total row sums the rows above it in the spreadsheet itself.
                    Cell::Num(v) if is_total && n > 1 => {
                        let col = column_letter(c);
                        let formula = format!("=SUM({col}{}:{col}{})", top + 2, r);
                        sheet
                            .write_formula(r, c as u16, Formula::new(formula).set_result(v.to_string()))
                            .map_err(fail)?;
                    }
                    // Whole numbers below 2^53 are exact as spreadsheet numbers.
                    Cell::Num(v) => {
                        sheet.write_number(r, c as u16, *v as f64).map_err(fail)?;
                    }
                    Cell::Text(t) => {
                        sheet.write_string(r, c as u16, t).map_err(fail)?;
                    }
                }
            }
        }
        sheet.set_column_width(1, 24).map_err(fail)?;
        sheet.set_column_width(2, 24).map_err(fail)?;
    }
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_title(&titles[0]));
    book.save_to_buffer().map_err(fail)
}

/// `A`…`Z`, `AA`… for a zero-based column.
fn column_letter(c: usize) -> String {
    let mut n = c + 1;
    let mut s = Vec::new();
    while n > 0 {
        s.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

impl Reports {
    /// Exports a dashboard (one table as CSV, or all as XLSX) and records the export.
    pub async fn export(
        &self,
        viewer: Viewer,
        req: Request,
        format: Format,
        table: Table,
    ) -> Result<ExportFile, AppError> {
        let this = self.clone();
        self.db.write(move |conn| this.export_in(conn, &viewer, &req, format, table)).await
    }

    /// [`Reports::export`] in a transaction.
    pub fn export_in(
        &self,
        conn: &mut DbConn,
        viewer: &Viewer,
        req: &Request,
        format: Format,
        table: Table,
    ) -> Result<ExportFile, AppError> {
        // One snapshot for the figures and the watermark, so the digest matches the journal.
        if let DbConn::Postgresql(pg) = conn {
            use diesel::RunQueryDsl;
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(pg)?;
        }
        let d = self.dashboard_as(conn, viewer, req, "report.export.workers")?;
        let slice = slice_of(d.region_code.as_deref(), d.workshop_id, &d.period, d.heritage_item_id)?;
        let rows = q::rolled_up(conn, &slice)?;
        let digest = digest(
            &rows,
            &label(d.region_code.as_deref(), d.workshop_id, &d.period, d.heritage_item_id),
            d.upto_entry_id,
        );
        let now = self.clock.now();
        let titles = title_lines(&d, &now.format("%Y-%m-%d %H:%M UTC").to_string(), &digest);
        let grids = grids(&d);
        let bytes = match format {
            Format::Xlsx => xlsx_of(&grids, &titles)?,
            Format::Csv => {
                let grid = grids.iter().find(|g| g.name == table.as_str()).ok_or(AppError::NotFound)?;
                csv_of(grid, &titles)?
            }
        };
        let export_id = q::insert_export(
            conn,
            &q::ExportRow {
                id: 0,
                region_code: d.region_code.clone(),
                workshop_id: d.workshop_id,
                period: d.period.clone(),
                heritage_item_id: d.heritage_item_id,
                upto_entry_id: d.upto_entry_id,
                digest: digest.clone(),
                format: format.as_str().to_owned(),
                created_by: viewer.actor.map(|u| u.get()),
                created_at: now.naive_utc(),
            },
        )?;
        let detail = serde_json::json!({ "period": d.period, "format": format.as_str(), "digest": digest });
        audit::append(
            conn,
            AuditEvent::new(viewer.actor, "report.export", format!("report_export:{export_id}"), detail),
            now.naive_utc(),
        )?;
        let scope =
            d.region_code.clone().or(d.workshop_id.map(|w| format!("workshop-{w}"))).unwrap_or_else(|| "CN".into());
        let suffix = if format == Format::Csv { format!("-{}", table.as_str()) } else { String::new() };
        Ok(ExportFile {
            bytes,
            filename: format!("gongfang-report-{scope}-{}{suffix}.{}", d.period, format.as_str()),
            format,
            digest,
            export_id,
        })
    }
}

fn slice_of(
    region: Option<&str>,
    workshop: Option<i64>,
    period: &str,
    heritage: Option<i64>,
) -> Result<Slice, AppError> {
    let bad =
        || AppError::Internal(anyhow::anyhow!("report export {region:?}/{workshop:?}/{period} cannot be read back"));
    let workshops = match (region, workshop) {
        (_, Some(w)) => WorkshopFilter::One(w),
        (Some(code), None) => {
            let code = RegionCode::parse(code).ok_or_else(bad)?;
            let column = match code.level() {
                crate::domain::RegionLevel::Province => "province_code",
                crate::domain::RegionLevel::Prefecture => "prefecture_code",
                crate::domain::RegionLevel::County => "county_code",
            };
            WorkshopFilter::Region { column, code: code.as_str().to_owned() }
        }
        (None, None) => WorkshopFilter::All,
    };
    Ok(Slice { workshops, period: ReportPeriod::parse(period).ok_or_else(bad)?, heritage_item_id: heritage })
}

/// Recomputes every recorded export's digest from the journal; each mismatch is named.
pub fn verify_exports(conn: &mut DbConn) -> Result<(usize, Vec<String>), AppError> {
    let exports = q::exports(conn)?;
    let mut problems = Vec::new();
    for e in &exports {
        let slice = slice_of(e.region_code.as_deref(), e.workshop_id, &e.period, e.heritage_item_id)?;
        let rows = q::from_journal(conn, &slice, Some(e.upto_entry_id))?;
        let again = digest(
            &rows,
            &label(e.region_code.as_deref(), e.workshop_id, &e.period, e.heritage_item_id),
            e.upto_entry_id,
        );
        if again != e.digest {
            problems.push(format!(
                "report export {} ({} {}) has digest {}; the journal gives {again}",
                e.id,
                e.region_code.as_deref().unwrap_or("CN"),
                e.period,
                e.digest
            ));
        }
    }
    Ok((exports.len(), problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_ignore_row_order_but_not_values() {
        let a = MonthRow {
            workshop_id: 1,
            month: "2026-11".into(),
            heritage_item_id: 2,
            gross_fen: 100,
            ..MonthRow::default()
        };
        let b = MonthRow { workshop_id: 2, ..a.clone() };
        let d1 = digest(&[a.clone(), b.clone()], "x", 5);
        assert_eq!(d1, digest(&[b.clone(), a.clone()], "x", 5));
        assert_ne!(d1, digest(&[a.clone(), MonthRow { gross_fen: 101, ..b.clone() }], "x", 5));
        assert_ne!(d1, digest(&[a, b], "x", 6));
        assert_eq!((column_letter(0), column_letter(25), column_letter(26)), ("A".into(), "Z".into(), "AA".into()));
    }
}

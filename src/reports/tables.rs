//! The dashboard's tables as files: each table as a grid of cells (whole numbers or text),
//! written as CSV (one table) or XLSX (every table, total rows as spreadsheet formulas), each
//! under a title line and a dated line with the digest.

use super::figures::{Figures, DEFINITIONS};
use super::Dashboard;
use crate::csv_file::CsvFile;
use crate::error::AppError;

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
pub(super) struct Grid {
    pub(super) name: &'static str,
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
    total: bool,
}

pub(super) fn grids(d: &Dashboard) -> Vec<Grid> {
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
                    Cell::Text(r.rule.status.as_str().to_owned()),
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

pub(super) fn title_lines(d: &Dashboard, generated: &str, digest: &str) -> [String; 2] {
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

/// One table as CSV under the title lines, through [`CsvFile`] (no cell becomes a formula).
pub(super) fn csv_of(grid: &Grid, titles: &[String; 2]) -> Result<Vec<u8>, AppError> {
    let mut file = CsvFile::new("report csv");
    for t in titles {
        file.row([t])?;
    }
    file.row(&grid.header)?;
    for row in &grid.rows {
        file.row(row.iter().map(|c| match c {
            Cell::Num(n) => n.to_string(),
            Cell::Text(t) => t.clone(),
        }))?;
    }
    file.finish()
}

pub(super) fn xlsx_of(grids: &[Grid], titles: &[String; 2]) -> Result<Vec<u8>, AppError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_lettered_like_a_spreadsheet() {
        assert_eq!((column_letter(0), column_letter(25), column_letter(26)), ("A".into(), "Z".into(), "AA".into()));
    }
}

//! The dashboard's tables written as files: CSV (one table) or XLSX (every table, total rows
//! as spreadsheet formulas, money formatted `#,##0.00`), each under a title line and a dated
//! line with the digest.

use super::tables::{Cell, Grid};
use crate::csv_file::CsvFile;
use crate::domain::Fen;
use crate::error::AppError;

/// One table as CSV under the title lines, through [`CsvFile`] (no cell becomes a formula):
/// money as a plain decimal in yuan (`1234.50`), the columns for programs last.
pub(super) fn csv_of(grid: &Grid, titles: &[String; 2]) -> Result<Vec<u8>, AppError> {
    let mut file = CsvFile::new("report csv");
    for t in titles {
        file.row([t])?;
    }
    file.row(grid.columns.iter().map(|c| c.label.as_str()))?;
    for row in &grid.rows {
        file.row(row.iter().map(|c| match c {
            Cell::Num(n) => n.to_string(),
            Cell::Money(fen) => Fen(*fen).yuan_string(),
            Cell::Text(t) => t.clone(),
        }))?;
    }
    file.finish()
}

/// Every table as a sheet of one workbook: money as numbers in yuan formatted `#,##0.00`,
/// total rows as `SUM` formulas (with their values), the columns for programs hidden.
pub(super) fn xlsx_of(grids: &[Grid], titles: &[String; 2]) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format as Style, Formula, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::Internal(anyhow::anyhow!("report xlsx: {e}"));
    let mut book = Workbook::new();
    let bold = Style::new().set_bold();
    let heading = Style::new().set_bold().set_text_wrap();
    let money = Style::new().set_num_format(MONEY_FORMAT);
    let money_total = Style::new().set_num_format(MONEY_FORMAT).set_bold();
    let count_total = Style::new().set_bold();
    for g in grids {
        let sheet = book.add_worksheet();
        sheet.set_name(g.name).map_err(fail)?;
        sheet.write_string_with_format(0, 0, &titles[0], &bold).map_err(fail)?;
        sheet.write_string(1, 0, &titles[1]).map_err(fail)?;
        let top = 3u32;
        for (c, col) in g.columns.iter().enumerate() {
            let c = column_number(c)?;
            sheet.write_string_with_format(top, c, &col.label, &heading).map_err(fail)?;
            let width = match col.key.as_str() {
                "name_zh" | "name_en" | "definition" => 28.0,
                "column" => 24.0,
                _ => 14.0,
            };
            sheet.set_column_width(c, width).map_err(fail)?;
            if col.machine {
                sheet.set_column_hidden(c).map_err(fail)?;
            }
        }
        let n = g.rows.len() as u32;
        for (i, row) in g.rows.iter().enumerate() {
            let r = top + 1 + i as u32;
            let is_total = g.total && i as u32 == n - 1 && n > 1;
            for (c, cell) in row.iter().enumerate() {
                let summed = is_total && g.columns.get(c).is_some_and(|col| col.summed);
                let col = column_number(c)?;
                let sum = || {
                    let letter = column_letter(c);
                    format!("=SUM({letter}{}:{letter}{})", top + 2, r)
                };
                match cell {
                    // A total row sums the rows above it in the spreadsheet itself.
                    Cell::Num(v) if summed => {
                        let f = Formula::new(sum()).set_result(v.to_string());
                        sheet.write_formula_with_format(r, col, f, &count_total).map_err(fail)?;
                    }
                    Cell::Money(fen) if summed => {
                        let f = Formula::new(sum()).set_result(Fen(*fen).yuan_string());
                        sheet.write_formula_with_format(r, col, f, &money_total).map_err(fail)?;
                    }
                    // Whole numbers below 2^53 are exact as spreadsheet numbers; an amount in
                    // yuan is the nearest double to fen / 100, which rounds back to the fen.
                    Cell::Num(v) => {
                        sheet.write_number(r, col, *v as f64).map_err(fail)?;
                    }
                    Cell::Money(fen) => {
                        sheet.write_number_with_format(r, col, *fen as f64 / 100.0, &money).map_err(fail)?;
                    }
                    Cell::Text(t) => {
                        sheet.write_string(r, col, t).map_err(fail)?;
                    }
                }
            }
        }
        sheet.set_freeze_panes(top + 1, 0).map_err(fail)?;
    }
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_title(&titles[0]));
    book.save_to_buffer().map_err(fail)
}

/// The number format of money in yuan.
pub const MONEY_FORMAT: &str = "#,##0.00";

fn column_number(c: usize) -> Result<u16, AppError> {
    u16::try_from(c).map_err(|_| AppError::Internal(anyhow::anyhow!("report xlsx: column {c} is past the last")))
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

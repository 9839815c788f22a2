//! Every CSV file the application writes (report exports on the web, through the API and the
//! command line; the bank batch files) is written through [`CsvFile`], so that no cell of
//! user text becomes a formula when a spreadsheet opens it ("CSV injection").
//!
//! The rule, in [`neutralise`]: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
//! return (or their full-width forms `＝＋－＠`, which spreadsheets in Chinese locales also
//! accept) gets a leading `'`, which spreadsheets show as text and do not evaluate. The one
//! exception is a plain number, such as `-12.50` yuan or `-1250` fen in a refund or carried
//! balance column: it stays as it is, so the column still sums. A plain number is an optional
//! sign, digits, and optionally a point and more digits; nothing else (no `e`, no spaces), so
//! no formula can pass as one.

use crate::error::AppError;
use std::borrow::Cow;

/// The first characters that make a spreadsheet read a cell as a formula (or, for tab and
/// carriage return, hide one behind them).
const FORMULA_STARTS: [char; 10] = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];

/// Whether `cell` is a plain decimal number, like `-12.50` or `+3`.
fn is_plain_number(cell: &str) -> bool {
    let unsigned = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && fraction.is_none_or(digits)
}

/// The cell as it is safe to write: unchanged, or behind a `'` if a spreadsheet would
/// evaluate it (see the module's rule).
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A CSV file being written in memory: rows of any length, each cell neutralised.
pub struct CsvFile {
    writer: csv::Writer<Vec<u8>>,
    /// What the file is, for the error if writing fails ("bank file", "report csv").
    what: &'static str,
}

impl CsvFile {
    /// An empty file; `what` names it in errors.
    pub fn new(what: &'static str) -> CsvFile {
        CsvFile { writer: csv::WriterBuilder::new().flexible(true).from_writer(Vec::new()), what }
    }

    /// Writes one row.
    pub fn row<I, S>(&mut self, cells: I) -> Result<(), AppError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let safe: Vec<String> = cells.into_iter().map(|c| neutralise(c.as_ref()).into_owned()).collect();
        let what = self.what;
        self.writer.write_record(&safe).map_err(|e| AppError::Internal(anyhow::anyhow!("{what}: {e}")))
    }

    /// The file's bytes (UTF-8).
    pub fn finish(self) -> Result<Vec<u8>, AppError> {
        let what = self.what;
        self.writer.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!("{what}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        for formula in [
            "=HYPERLINK(\"http://evil.example\",\"x\")",
            "@SUM(A1:A2)",
            "+1+1",
            "-1+1",
            "-",
            "\t=1",
            "\r=1",
            "＝1+1",
            "-1e5",
            "- 12",
            "-12.",
            "-.5",
            "=1",
        ] {
            assert_eq!(neutralise(formula), format!("'{formula}"), "{formula:?}");
        }
        for kept in ["-12.50", "-1250", "+3", "12.50", "0", "凉山漆器工坊", "a=b", " =1", "", "'=1", "—"] {
            assert_eq!(neutralise(kept), kept, "{kept:?}");
        }
    }

    #[test]
    fn every_row_goes_through_the_rule() {
        let mut f = CsvFile::new("test");
        f.row(["name", "amount"]).unwrap_or_default();
        f.row(["=cmd|' /C calc'!A0", "-12.50"]).unwrap_or_default();
        let text = String::from_utf8(f.finish().unwrap_or_default()).unwrap_or_default();
        assert_eq!(text, "name,amount\n'=cmd|' /C calc'!A0,-12.50\n");
    }
}

//! Institutional buyers (消费帮扶, issue 21): an organisation's registration as its form or
//! JSON sends it, read into a checked [`NewOrganisation`] (the credit code by its check
//! character, see [`super::credit_code`]); the invoice number a workshop records on a parcel;
//! and a CSV of order lines, read into cart lines with each mistake named by its line.

use super::credit_code::CreditCode;
use crate::error::AppError;
use crate::portal::input::required;
use serde::Deserialize;

/// An organisation as the form or JSON sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(as = OrganisationInput)]
pub struct OrganisationInput {
    /// The legal name, e.g. "某某市总工会".
    pub legal_name: String,
    /// The unified social credit code (统一社会信用代码), 18 characters.
    pub credit_code: String,
    /// The invoice title (发票抬头); the legal name when blank.
    #[serde(default)]
    pub invoice_title: String,
    /// The taxpayer number (税号); the credit code when blank.
    #[serde(default)]
    pub tax_number: String,
    /// The address (and telephone) printed on the invoice.
    pub invoice_address: String,
}

/// A checked organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganisation {
    pub legal_name: String,
    pub credit_code: CreditCode,
    pub invoice_title: String,
    pub tax_number: String,
    pub invoice_address: String,
}

/// A taxpayer number: 15, 17, 18 or 20 digits and capitals (older numbers are not credit
/// codes).
fn tax_number(text: &str) -> Option<String> {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
    ([15, 17, 18, 20].contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()))
        .then_some(t)
}

impl OrganisationInput {
    /// Checks every field; the first at fault is named, a credit code with its reason.
    pub fn parse(self) -> Result<NewOrganisation, AppError> {
        let legal_name = required("legal_name", &self.legal_name, 120)?;
        let credit_code = CreditCode::parse(&self.credit_code)
            .map_err(|e| AppError::BadRequest { field: "credit_code", key: e.key() })?;
        let invoice_title = match self.invoice_title.trim() {
            "" => legal_name.clone(),
            _ => required("invoice_title", &self.invoice_title, 120)?,
        };
        let tax_number = match self.tax_number.trim() {
            "" => credit_code.as_str().to_owned(),
            t => tax_number(t).ok_or(AppError::BadRequest { field: "tax_number", key: "error.tax_number" })?,
        };
        let invoice_address = required("invoice_address", &self.invoice_address, 200)?;
        Ok(NewOrganisation { legal_name, credit_code, invoice_title, tax_number, invoice_address })
    }
}

/// An invoice number (发票号码): 8 digits (paper invoices) or 20 (全电发票).
pub fn invoice_number(text: &str) -> Result<String, AppError> {
    let t = text.trim();
    if (t.len() == 8 || t.len() == 20) && t.bytes().all(|b| b.is_ascii_digit()) {
        Ok(t.to_owned())
    } else {
        Err(AppError::BadRequest { field: "invoice_number", key: "error.invoice_number" })
    }
}

/// The most lines one CSV order may hold.
pub const MAX_CSV_LINES: usize = 200;

/// One line of a CSV order: its row in the file, a product (its number), an optional variant,
/// a quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvLine {
    /// The row's line number in the file (the heading is 1), as a spreadsheet numbers it.
    pub row: usize,
    pub product_id: i64,
    pub variant_id: Option<i64>,
    pub quantity: i64,
}

/// Reads a CSV of order lines: a heading row naming `product` and `quantity` (and optionally
/// `variant`), in any order and either language (产品编号, 款式编号, 数量), then one line per row.
/// A mistake is refused as `lines`, with the row's number.
pub fn csv_lines(bytes: &[u8]) -> Result<Vec<CsvLine>, AppError> {
    let bad = |key: &'static str, row: usize| AppError::invalid("lines", key, &[("row", row.to_string())]);
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| AppError::BadRequest { field: "lines", key: "error.csv_encoding" })?;
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
    let head = reader.headers().map_err(|_| AppError::BadRequest { field: "lines", key: "error.csv_heading" })?.clone();
    let column = |names: &[&str]| head.iter().position(|h| names.contains(&h.to_lowercase().as_str()));
    let (product, quantity) = match (column(&["product", "product_id", "产品编号"]), column(&["quantity", "数量"]))
    {
        (Some(p), Some(q)) => (p, q),
        _ => return Err(AppError::BadRequest { field: "lines", key: "error.csv_heading" }),
    };
    let variant = column(&["variant", "variant_id", "款式编号"]);
    let mut lines = Vec::new();
    for (i, record) in reader.records().enumerate() {
        // The reader skips blank lines (and counts lines without them), so the row is the
        // record's place in the text: the line breaks before it.
        let record = record.map_err(|_| bad("error.csv_row", i + 2))?;
        let row = record.position().map_or(i + 2, |p| {
            // The position is where the reader began, before the blank lines it skipped.
            let mut at = usize::try_from(p.byte()).unwrap_or(usize::MAX).min(text.len());
            while text.as_bytes().get(at).is_some_and(|b| *b == b'\n' || *b == b'\r') {
                at += 1;
            }
            text.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1
        });
        if record.iter().all(str::is_empty) {
            continue;
        }
        let number = |c: usize| record.get(c).unwrap_or("").parse::<i64>().ok().filter(|n| *n > 0);
        let product_id = number(product).ok_or_else(|| bad("error.csv_product", row))?;
        let quantity = number(quantity).ok_or_else(|| bad("error.csv_quantity", row))?;
        let variant_id = match variant.map(|c| record.get(c).unwrap_or("")) {
            None | Some("") => None,
            Some(_) => Some(variant.and_then(number).ok_or_else(|| bad("error.csv_variant", row))?),
        };
        lines.push(CsvLine { row, product_id, variant_id, quantity });
        if lines.len() > MAX_CSV_LINES {
            return Err(AppError::invalid("lines", "error.too_many_items", &[("max", MAX_CSV_LINES.to_string())]));
        }
    }
    if lines.is_empty() {
        return Err(AppError::BadRequest { field: "lines", key: "error.csv_empty" });
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> OrganisationInput {
        OrganisationInput {
            legal_name: " 凉山州总工会 ".into(),
            credit_code: "91350100M000100Y43".into(),
            invoice_title: String::new(),
            tax_number: String::new(),
            invoice_address: "西昌市 0834-1234567".into(),
        }
    }

    fn refused(i: OrganisationInput) -> (&'static str, &'static str) {
        match i.parse() {
            Err(AppError::BadRequest { field, key }) => (field, key),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn blanks_take_the_name_and_the_code() {
        let o = input().parse().unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((o.legal_name.as_str(), o.invoice_title.as_str()), ("凉山州总工会", "凉山州总工会"));
        assert_eq!(o.tax_number, "91350100M000100Y43");
    }

    #[test]
    fn a_wrong_code_says_why() {
        let code = |c: &str| OrganisationInput { credit_code: c.into(), ..input() };
        assert_eq!(refused(code("91350100M000100Y44")), ("credit_code", "error.credit_code_check"));
        assert_eq!(refused(code("9135")), ("credit_code", "error.credit_code_length"));
        assert_eq!(
            refused(OrganisationInput { tax_number: "12-34".into(), ..input() }),
            ("tax_number", "error.tax_number")
        );
        assert_eq!(refused(OrganisationInput { invoice_address: " ".into(), ..input() }).0, "invoice_address");
    }

    #[test]
    fn invoice_numbers_are_8_or_20_digits() {
        assert!(invoice_number("12345678").is_ok() && invoice_number("25512000000012345678").is_ok());
        assert!(invoice_number("1234567").is_err() && invoice_number("1234567a").is_err());
    }

    #[test]
    fn csv_lines_are_read_by_heading_and_named_by_row() {
        let ok = csv_lines("\u{feff}数量,产品编号,款式编号\n2,11,\n\n1,12,5\n\n".as_bytes()).unwrap_or_default();
        assert_eq!(
            ok,
            [
                CsvLine { row: 2, product_id: 11, variant_id: None, quantity: 2 },
                CsvLine { row: 4, product_id: 12, variant_id: Some(5), quantity: 1 }
            ]
        );
        let row = |text: &str| match csv_lines(text.as_bytes()) {
            Err(AppError::Invalid { field, key, args }) => (field, key, args[0].1.clone()),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            row("product,quantity\n1,2\n\n1,x\n"),
            ("lines", "error.csv_quantity", "4".to_owned()),
            "blank lines count"
        );
        assert_eq!(row("product,quantity\n-1,2\n"), ("lines", "error.csv_product", "2".to_owned()));
        assert!(matches!(csv_lines(b"name,qty\n1,2\n"), Err(AppError::BadRequest { key: "error.csv_heading", .. })));
        assert!(matches!(csv_lines(b"product,quantity\n"), Err(AppError::BadRequest { key: "error.csv_empty", .. })));
    }
}

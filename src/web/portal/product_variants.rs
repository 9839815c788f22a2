//! The variants table of a product's portal page: its rows as drawn (what was typed, kept
//! after a refusal), read back from a form post whose "add a variant" and "remove" buttons
//! work without script, and filled from what is stored.

use crate::domain::variant::{OptionInput, VariantInput, VariantsInput};
use crate::domain::Fen;
use crate::error::AppError;
use crate::portal::products::VariantsEdit;
use crate::web::forms::FormState;
use serde::Serialize;

/// The fields of one variant row, in the form's names.
const ROW_FIELDS: [&str; 8] =
    ["sku", "value1_zh", "value1_en", "value2_zh", "value2_en", "v_price", "v_stock", "v_lead"];

/// One row of the variants table as drawn: what was typed, as text.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub(super) struct VariantRow {
    sku: String,
    value1_zh: String,
    value1_en: String,
    value2_zh: String,
    value2_en: String,
    price: String,
    stock: String,
    lead: String,
    /// The row just added: its first field takes the focus.
    focus: bool,
}

/// The form's values for what is stored (prices in yuan, as people type them).
pub(super) fn stored_values(edit: &VariantsEdit) -> FormState {
    let mut form = FormState::new("v");
    let option = |i: usize, zh: bool| {
        edit.options.get(i).map(|o| if zh { o.name_zh.clone() } else { o.name_en.clone() }).unwrap_or_default()
    };
    for (name, i, zh) in
        [("option1_zh", 0, true), ("option1_en", 0, false), ("option2_zh", 1, true), ("option2_en", 1, false)]
    {
        form = form.with(name, option(i, zh));
    }
    let column = |f: &dyn Fn(&VariantInput) -> String| edit.variants.iter().map(f).collect::<Vec<_>>();
    form.with_all("sku", column(&|v| v.sku.clone()))
        .with_all("value1_zh", column(&|v| v.value1_zh.clone()))
        .with_all("value1_en", column(&|v| v.value1_en.clone()))
        .with_all("value2_zh", column(&|v| v.value2_zh.clone().unwrap_or_default()))
        .with_all("value2_en", column(&|v| v.value2_en.clone().unwrap_or_default()))
        .with_all("v_price", column(&|v| Fen(v.price_fen).yuan_string()))
        .with_all("v_stock", column(&|v| v.stock.to_string()))
        .with_all("v_lead", column(&|v| v.lead_time_days.map(|d| d.to_string()).unwrap_or_default()))
}

/// The rows of a form, with one added or removed if that button was pressed.
pub(super) fn rows(form: &FormState) -> Vec<VariantRow> {
    let count = ROW_FIELDS.iter().map(|f| form.values(f).len()).max().unwrap_or(0);
    let at = |name: &str, i: usize| form.values(name).get(i).map(|s| s.trim().to_owned()).unwrap_or_default();
    let mut rows: Vec<VariantRow> = (0..count)
        .map(|i| VariantRow {
            sku: at("sku", i),
            value1_zh: at("value1_zh", i),
            value1_en: at("value1_en", i),
            value2_zh: at("value2_zh", i),
            value2_en: at("value2_en", i),
            price: at("v_price", i),
            stock: at("v_stock", i),
            lead: at("v_lead", i),
            focus: false,
        })
        .collect();
    if let Some(i) = form.value("remove_variant").and_then(|v| v.parse::<usize>().ok()).filter(|i| *i < rows.len()) {
        rows.remove(i);
    }
    if form.has("add_variant") {
        rows.push(VariantRow { focus: true, ..VariantRow::default() });
    }
    rows
}

/// Whether the form was sent to add or remove a row rather than to be saved.
pub(super) fn editing_rows(form: &FormState) -> bool {
    form.has("add_variant") || form.has("remove_variant")
}

/// The options and variants a form names; blank rows and blank options are left out.
pub(super) fn input(form: &FormState) -> Result<VariantsInput, AppError> {
    let text = |name: &str| form.value(name).map(str::trim).unwrap_or("").to_owned();
    let options = [("option1_zh", "option1_en"), ("option2_zh", "option2_en")]
        .into_iter()
        .map(|(zh, en)| OptionInput { name_zh: text(zh), name_en: text(en) })
        .filter(|o| !o.name_zh.is_empty() || !o.name_en.is_empty())
        .collect();
    let blank = |r: &VariantRow| {
        [&r.sku, &r.value1_zh, &r.value1_en, &r.value2_zh, &r.value2_en, &r.price, &r.stock, &r.lead]
            .iter()
            .all(|s| s.is_empty())
    };
    let variants = rows(form)
        .into_iter()
        .filter(|r| !blank(r))
        .enumerate()
        .map(|(i, r)| {
            let row = || vec![("row", (i + 1).to_string())];
            let price = if r.price.is_empty() {
                return Err(AppError::Invalid { field: "price", key: "error.variant_required", args: row() });
            } else {
                Fen::parse_typed_yuan(&r.price).ok_or(AppError::Invalid {
                    field: "price",
                    key: "error.variant_amount",
                    args: row(),
                })?
            };
            let whole = |field: &'static str, s: &str| -> Result<Option<i64>, AppError> {
                if s.is_empty() {
                    return Ok(None);
                }
                s.parse::<i64>().map(Some).map_err(|_| AppError::Invalid {
                    field,
                    key: "error.variant_between",
                    args: vec![("row", (i + 1).to_string()), ("min", "0".into()), ("max", "100000".into())],
                })
            };
            let stock = whole("stock", &r.stock)?.unwrap_or(0);
            let lead = whole("lead_time_days", &r.lead)?.map(|d| i32::try_from(d).unwrap_or(i32::MAX));
            let some = |s: String| Some(s).filter(|s| !s.is_empty());
            Ok(VariantInput {
                sku: r.sku,
                value1_zh: r.value1_zh,
                value1_en: r.value1_en,
                value2_zh: some(r.value2_zh),
                value2_en: some(r.value2_en),
                price_fen: price.get(),
                stock,
                lead_time_days: lead,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(VariantsInput { options, variants })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(query: &str) -> FormState {
        FormState::from_pairs(crate::i18n::url_pairs(query))
    }

    #[test]
    fn a_form_reads_as_options_and_variants_blank_rows_left_out() {
        let sent = form(
            "option1_zh=%E5%B0%BA%E5%AF%B8&option1_en=Size&option2_zh=&option2_en=\
             &sku=BR-16&value1_zh=16cm&value1_en=&value2_zh=&value2_en=&v_price=268&v_stock=3&v_lead=\
             &sku=&value1_zh=&value1_en=&value2_zh=&value2_en=&v_price=&v_stock=&v_lead=\
             &sku=BR-17&value1_zh=17cm&value1_en=&value2_zh=&value2_en=&v_price=288.50%E5%85%83&v_stock=&v_lead=",
        );
        let got = input(&sent).unwrap();
        assert_eq!(got.options, vec![OptionInput { name_zh: "尺寸".into(), name_en: "Size".into() }]);
        assert_eq!(got.variants.len(), 2);
        assert_eq!(
            (got.variants[1].sku.as_str(), got.variants[1].price_fen, got.variants[1].stock),
            ("BR-17", 28_850, 0)
        );
        assert_eq!(got.variants[0].value2_zh, None);
    }

    #[test]
    fn a_bad_price_names_its_row_and_rows_grow_and_shrink_without_script() {
        let bad = form("option1_zh=a&sku=A&value1_zh=x&v_price=abc");
        assert!(matches!(input(&bad), Err(AppError::Invalid { field: "price", key: "error.variant_amount", .. })));
        let grown = form("sku=A&value1_zh=x&v_price=1&add_variant=1");
        assert_eq!(rows(&grown).len(), 2);
        assert!(rows(&grown)[1].focus);
        let shrunk = form("sku=A&value1_zh=x&v_price=1&sku=B&value1_zh=y&v_price=2&remove_variant=0");
        assert_eq!(rows(&shrunk).iter().map(|r| r.sku.as_str()).collect::<Vec<_>>(), vec!["B"]);
        assert!(editing_rows(&shrunk));
    }

    #[test]
    fn stored_variants_fill_the_form_in_yuan() {
        let edit = VariantsEdit {
            options: vec![OptionInput { name_zh: "颜色".into(), name_en: "Colour".into() }],
            variants: vec![VariantInput {
                sku: "BAG-R".into(),
                value1_zh: "红".into(),
                value1_en: "red".into(),
                price_fen: 16_800,
                stock: 4,
                ..VariantInput::default()
            }],
        };
        let f = stored_values(&edit);
        assert_eq!(f.value("option1_en"), Some("Colour"));
        assert_eq!(rows(&f)[0].price, "168.00");
        assert_eq!(input(&f).unwrap().variants[0].price_fen, 16_800);
    }
}

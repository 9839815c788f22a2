//! Variants of a product: up to two options (a size, a colour) and the variants that combine
//! their values, each with its own SKU, price, and stock or lead time. What the portal sends
//! is checked here into [`Variants`], which the database layer writes as it is.
//!
//! Makers, shares and the wage rule stay the product's: a variant only changes what a line
//! costs and which stock it takes.

use crate::domain::Fen;
use crate::error::AppError;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// At most this many options (size and colour, say).
pub const MAX_OPTIONS: usize = 2;
/// At most this many variants on one product: a phone screen's table stays usable.
pub const MAX_VARIANTS: usize = 60;
/// The longest SKU, option name or option value, in characters.
const MAX_SKU: usize = 40;
const MAX_NAME: usize = 20;
const MAX_VALUE: usize = 30;
/// The largest stock of one variant (a product's own stock has the same bound).
const MAX_STOCK: i64 = 100_000;
/// The highest price of one variant, as for a product: 100 million yuan.
const MAX_PRICE_FEN: i64 = 10_000_000_000;

/// An option's name as sent: Chinese required, English optional (the Chinese is used).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema, PartialEq, Eq)]
pub struct OptionInput {
    pub name_zh: String,
    #[serde(default)]
    pub name_en: String,
}

/// One variant as sent.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema, PartialEq, Eq)]
pub struct VariantInput {
    /// The workshop's own code for it: letters, digits, `-`, `_` and `.`; unique in the product.
    pub sku: String,
    /// The first option's value ("17 cm", "红").
    pub value1_zh: String,
    #[serde(default)]
    pub value1_en: String,
    /// The second option's value, when the product has two options.
    #[serde(default)]
    pub value2_zh: Option<String>,
    #[serde(default)]
    pub value2_en: Option<String>,
    /// Its price in fen.
    pub price_fen: i64,
    /// Pieces in stock (for a product made to order: 0, and `lead_time_days` instead).
    #[serde(default)]
    pub stock: i64,
    /// Days to make one, when it differs from the product's (made-to-order products).
    #[serde(default)]
    pub lead_time_days: Option<i32>,
}

/// A product's options and variants as sent. Both empty removes the variants.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema, PartialEq, Eq)]
pub struct VariantsInput {
    #[serde(default)]
    pub options: Vec<OptionInput>,
    #[serde(default)]
    pub variants: Vec<VariantInput>,
}

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Bilingual {
    pub zh: String,
    pub en: String,
}

impl Bilingual {
    /// The text in a page's language (`zh` unless `en`).
    pub fn in_lang(&self, lang: &str) -> &str {
        if lang == "en" {
            &self.en
        } else {
            &self.zh
        }
    }
}

/// A checked variant, ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedVariant {
    pub sku: String,
    pub value1: Bilingual,
    pub value2: Option<Bilingual>,
    pub price: Fen,
    pub stock: i64,
    pub lead_time_days: Option<i32>,
}

impl CheckedVariant {
    /// What an order line and a packing slip call it: "17 cm" or "17 cm / 红".
    pub fn label(&self) -> Bilingual {
        label(&self.value1, self.value2.as_ref())
    }
}

/// "value1" or "value1 / value2", in each language.
pub fn label(value1: &Bilingual, value2: Option<&Bilingual>) -> Bilingual {
    match value2 {
        Some(v2) => Bilingual { zh: format!("{} / {}", value1.zh, v2.zh), en: format!("{} / {}", value1.en, v2.en) },
        None => value1.clone(),
    }
}

/// A product's checked options and variants. Empty means the product has none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variants {
    pub options: Vec<Bilingual>,
    pub variants: Vec<CheckedVariant>,
}

fn text(field: &'static str, value: &str, max: usize, required: bool) -> Result<String, AppError> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(AppError::BadRequest { field, key: "error.required" });
    }
    if v.chars().count() > max {
        return Err(AppError::invalid(field, "error.too_long", &[("max", max.to_string())]));
    }
    Ok(v.to_owned())
}

fn bilingual(field: &'static str, zh: &str, en: &str, max: usize) -> Result<Bilingual, AppError> {
    let zh = text(field, zh, max, true)?;
    let en = text(field, en, max, false)?;
    Ok(Bilingual { en: if en.is_empty() { zh.clone() } else { en }, zh })
}

/// Checks what the portal sent. `made_to_order` is the product's: its variants have no stock.
/// Errors name the field and, in `row`, the variant's place in the list (from 1).
pub fn check(input: &VariantsInput, made_to_order: bool) -> Result<Variants, AppError> {
    if input.options.len() > MAX_OPTIONS {
        return Err(AppError::invalid("options", "error.at_most", &[("max", MAX_OPTIONS.to_string())]));
    }
    if input.variants.len() > MAX_VARIANTS {
        return Err(AppError::invalid("variants", "error.at_most", &[("max", MAX_VARIANTS.to_string())]));
    }
    if input.options.is_empty() != input.variants.is_empty() {
        let field = if input.options.is_empty() { "options" } else { "variants" };
        return Err(AppError::BadRequest { field, key: "error.variants_need_options" });
    }
    let options = input
        .options
        .iter()
        .map(|o| bilingual("options", &o.name_zh, &o.name_en, MAX_NAME))
        .collect::<Result<Vec<_>, _>>()?;
    let mut skus = HashSet::new();
    let mut combinations = HashSet::new();
    let mut variants = Vec::with_capacity(input.variants.len());
    for (i, v) in input.variants.iter().enumerate() {
        let row = (i + 1).to_string();
        // A refusal inside the table names its row, so the message can say which.
        let refuse = |field: &'static str, key: &'static str, more: &[(&'static str, String)]| {
            let mut args = vec![("row", row.clone())];
            args.extend_from_slice(more);
            AppError::Invalid { field, key, args }
        };
        let in_row = |e: AppError| match e {
            AppError::BadRequest { field, .. } => refuse(field, "error.variant_required", &[]),
            AppError::Invalid { field, args, .. } => refuse(field, "error.variant_too_long", &args),
            other => other,
        };
        let sku = text("sku", &v.sku, MAX_SKU, true).map_err(in_row)?;
        if !sku.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
            return Err(refuse("sku", "error.variant_sku", &[]));
        }
        if !skus.insert(sku.to_ascii_lowercase()) {
            return Err(refuse("sku", "error.variant_sku_twice", &[]));
        }
        let value1 = bilingual("value1", &v.value1_zh, &v.value1_en, MAX_VALUE).map_err(in_row)?;
        let value2 = match (options.len(), v.value2_zh.as_deref().map(str::trim).filter(|s| !s.is_empty())) {
            (2, Some(zh)) => {
                Some(bilingual("value2", zh, v.value2_en.as_deref().unwrap_or(""), MAX_VALUE).map_err(in_row)?)
            }
            (2, None) => return Err(refuse("value2", "error.variant_required", &[])),
            (_, Some(_)) => return Err(refuse("value2", "error.variant_no_second_option", &[])),
            (_, None) => None,
        };
        if !combinations.insert((value1.zh.clone(), value2.as_ref().map(|v| v.zh.clone()))) {
            return Err(refuse("value1", "error.variant_twice", &[]));
        }
        if !(1..=MAX_PRICE_FEN).contains(&v.price_fen) {
            return Err(refuse("price", "error.variant_amount", &[]));
        }
        let stock = if made_to_order { 0 } else { v.stock };
        if !(0..=MAX_STOCK).contains(&stock) {
            return Err(refuse(
                "stock",
                "error.variant_between",
                &[("min", "0".into()), ("max", MAX_STOCK.to_string())],
            ));
        }
        if let Some(days) = v.lead_time_days {
            if !made_to_order {
                return Err(refuse("lead_time_days", "error.variant_lead_time", &[]));
            }
            if !(1..=365).contains(&days) {
                return Err(refuse(
                    "lead_time_days",
                    "error.variant_between",
                    &[("min", "1".into()), ("max", "365".into())],
                ));
            }
        }
        variants.push(CheckedVariant {
            sku,
            value1,
            value2,
            price: Fen(v.price_fen),
            stock,
            lead_time_days: v.lead_time_days,
        });
    }
    Ok(Variants { options, variants })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(sku: &str, value: &str, price: i64, stock: i64) -> VariantInput {
        VariantInput { sku: sku.into(), value1_zh: value.into(), price_fen: price, stock, ..VariantInput::default() }
    }

    fn sizes(variants: Vec<VariantInput>) -> VariantsInput {
        VariantsInput { options: vec![OptionInput { name_zh: "尺寸".into(), name_en: "Size".into() }], variants }
    }

    fn refusal(r: Result<Variants, AppError>) -> String {
        match r {
            Err(AppError::BadRequest { field, key }) => format!("{field} {key}"),
            Err(AppError::Invalid { field, key, args }) => format!("{field} {key} {args:?}"),
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn sizes_are_checked_and_english_falls_back_to_chinese() {
        let v =
            check(&sizes(vec![size("BR-16", "16 cm", 26_800, 3), size("BR-17", "17 cm", 28_800, 0)]), false).unwrap();
        assert_eq!(v.options, vec![Bilingual { zh: "尺寸".into(), en: "Size".into() }]);
        assert_eq!(v.variants.len(), 2);
        assert_eq!(v.variants[1].price, Fen(28_800));
        assert_eq!(v.variants[0].label(), Bilingual { zh: "16 cm".into(), en: "16 cm".into() });
    }

    #[test]
    fn nothing_removes_variants_but_one_half_is_refused() {
        assert_eq!(check(&VariantsInput::default(), false).unwrap(), Variants::default());
        assert_eq!(refusal(check(&sizes(vec![]), false)), "variants error.variants_need_options");
        let no_options = VariantsInput { options: vec![], variants: vec![size("A", "a", 100, 1)] };
        assert_eq!(refusal(check(&no_options, false)), "options error.variants_need_options");
    }

    #[test]
    fn each_refusal_names_the_field_and_the_row() {
        let twice = sizes(vec![size("A-1", "16", 100, 1), size("a-1", "17", 100, 1)]);
        assert_eq!(refusal(check(&twice, false)), r#"sku error.variant_sku_twice [("row", "2")]"#);
        let same = sizes(vec![size("A", "16", 100, 1), size("B", "16", 100, 1)]);
        assert_eq!(refusal(check(&same, false)), r#"value1 error.variant_twice [("row", "2")]"#);
        let bad_sku = sizes(vec![size("A B", "16", 100, 1)]);
        assert_eq!(refusal(check(&bad_sku, false)), r#"sku error.variant_sku [("row", "1")]"#);
        let free = sizes(vec![size("A", "16", 0, 1)]);
        assert_eq!(refusal(check(&free, false)), r#"price error.variant_amount [("row", "1")]"#);
        let negative = sizes(vec![size("A", "16", 100, -1)]);
        assert_eq!(
            refusal(check(&negative, false)),
            r#"stock error.variant_between [("row", "1"), ("min", "0"), ("max", "100000")]"#
        );
        let blank = sizes(vec![size("A", " ", 100, 1)]);
        assert_eq!(refusal(check(&blank, false)), r#"value1 error.variant_required [("row", "1")]"#);
        let long = sizes(vec![size(&"A".repeat(41), "16", 100, 1)]);
        assert_eq!(refusal(check(&long, false)), r#"sku error.variant_too_long [("row", "1"), ("max", "40")]"#);
    }

    #[test]
    fn two_options_need_two_values_and_one_option_refuses_a_second() {
        let mut input = sizes(vec![size("A", "16", 100, 1)]);
        input.options.push(OptionInput { name_zh: "颜色".into(), name_en: String::new() });
        assert_eq!(refusal(check(&input, false)), r#"value2 error.variant_required [("row", "1")]"#);
        input.variants[0].value2_zh = Some("红".into());
        input.variants[0].value2_en = Some("red".into());
        let v = check(&input, false).unwrap();
        assert_eq!(v.options[1].en, "颜色");
        assert_eq!(v.variants[0].label().en, "16 / red");
        let mut one = sizes(vec![size("A", "16", 100, 1)]);
        one.variants[0].value2_zh = Some("红".into());
        assert_eq!(refusal(check(&one, false)), r#"value2 error.variant_no_second_option [("row", "1")]"#);
    }

    #[test]
    fn made_to_order_variants_hold_no_stock_and_may_take_their_own_time() {
        let mut input = sizes(vec![size("T-60", "60 cm", 680_000, 5)]);
        input.variants[0].lead_time_days = Some(90);
        let v = check(&input, true).unwrap();
        assert_eq!((v.variants[0].stock, v.variants[0].lead_time_days), (0, Some(90)));
        assert_eq!(refusal(check(&input, false)), r#"lead_time_days error.variant_lead_time [("row", "1")]"#);
    }
}

//! What editors send for a product, read the same from a form and from JSON, and the rules
//! it must meet: prices in fen or yuan, the wage rule, stock or lead time, and makers whose
//! shares sum to exactly 100% and who are current workers of the workshop.

use crate::db::catalog::ProductRow;
use crate::db::portal::{PhotoRow, ProductChange};
use crate::domain::product::{MakerRole, ProductCategory, WageRuleKind};
use crate::domain::Fen;
use crate::error::AppError;
use crate::portal::input::{bounded, opt_i64, opt_text, required};
use serde::{Deserialize, Serialize};

/// A product's fields as the form or JSON sends them. Money may come as fen (`price_fen`)
/// or as yuan typed by a person (`price`, "199.99", "268元"); the wage share as basis points
/// (`wage_bp`) or a percentage (`wage_percent`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ProductInput {
    pub title_zh: String,
    #[serde(default)]
    pub title_en: String,
    #[serde(default)]
    pub description_zh: String,
    #[serde(default)]
    pub description_en: String,
    #[serde(default)]
    pub materials_zh: String,
    #[serde(default)]
    pub materials_en: String,
    #[serde(default, deserialize_with = "opt_i64")]
    pub heritage_item_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub category: Option<String>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub price_fen: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub price: Option<String>,
    #[serde(default, deserialize_with = "crate::portal::input::flag")]
    pub made_to_order: bool,
    #[serde(default, deserialize_with = "opt_i64")]
    pub stock: Option<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub lead_time_days: Option<i64>,
    /// `share_of_net` (default) or `piece_rate`.
    #[serde(default, deserialize_with = "opt_text")]
    pub wage_rule: Option<String>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub wage_bp: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub wage_percent: Option<String>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub piece_rate_fen: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub piece_rate: Option<String>,
    /// The makers, replacing the product's (optional: absent leaves them as they are).
    #[serde(default)]
    pub makers: Option<Vec<MakerInput>>,
}

/// One maker of a product.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct MakerInput {
    pub worker_id: i64,
    /// `lead`, `maker`, `finishing` or `apprentice`.
    pub role: String,
    /// Share of the wage pool in basis points (100 = 1%); all shares sum to 10000.
    pub share_bp: i64,
}

/// The review decision of an operator.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ReviewInput {
    /// `approve` or `reject`.
    pub decision: String,
    /// Required when rejecting: what to fix.
    #[serde(default, deserialize_with = "opt_text")]
    pub reason: Option<String>,
}

/// A product as its editors see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProductEdit {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub product: ProductRow,
    pub makers: Vec<MakerInput>,
    #[schema(value_type = Vec<Object>)]
    pub photos: Vec<PhotoRow>,
    pub review_note: Option<String>,
    /// Its options and variants on sale (both empty for a product without).
    pub variants: super::VariantsEdit,
    /// Its design credit and the designer's share.
    pub design: DesignEdit,
}

/// A product's design credit as its editors see it.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct DesignEdit {
    pub designer_id: Option<i64>,
    pub workstation_id: Option<i64>,
    /// The designer's share of the net, in basis points (0: none).
    pub designer_bp: i32,
}

fn money(field: &'static str, fen: Option<i64>, yuan: Option<&str>) -> Result<Option<Fen>, AppError> {
    let value = match (fen, yuan) {
        (Some(f), _) => Some(Fen(f)),
        (None, Some(y)) => Some(Fen::parse_typed_yuan(y).ok_or(AppError::BadRequest { field, key: "error.amount" })?),
        (None, None) => None,
    };
    match value {
        Some(f) if !(1..=10_000_000_000).contains(&f.get()) => Err(AppError::BadRequest { field, key: "error.amount" }),
        v => Ok(v),
    }
}

/// Percent text ("60", "37.5") to basis points.
fn percent_bp(field: &'static str, text: &str) -> Result<i64, AppError> {
    Fen::parse_yuan(text).map(|f| f.get()).ok_or(AppError::BadRequest { field, key: "error.percent" })
}

/// Checks and converts the editable fields.
pub fn product_change(input: &ProductInput) -> Result<ProductChange, AppError> {
    let price = money("price", input.price_fen, input.price.as_deref())?
        .ok_or(AppError::BadRequest { field: "price", key: "error.required" })?;
    let category = match input.category.as_deref() {
        Some(c) => ProductCategory::parse(c).ok_or(AppError::BadRequest { field: "category", key: "error.choice" })?,
        None => ProductCategory::Other,
    };
    let (stock, lead) = if input.made_to_order {
        let lead =
            input.lead_time_days.ok_or(AppError::BadRequest { field: "lead_time_days", key: "error.required" })?;
        if !(1..=365).contains(&lead) {
            return Err(AppError::invalid(
                "lead_time_days",
                "error.between",
                &[("min", "1".into()), ("max", "365".into())],
            ));
        }
        (0, Some(lead as i32))
    } else {
        let stock = input.stock.unwrap_or(0);
        if !(0..=100_000).contains(&stock) {
            return Err(AppError::invalid("stock", "error.between", &[("min", "0".into()), ("max", "100000".into())]));
        }
        (stock, None)
    };
    let rule = match input.wage_rule.as_deref() {
        None => WageRuleKind::ShareOfNet,
        Some(r) => WageRuleKind::parse(r).ok_or(AppError::BadRequest { field: "wage_rule", key: "error.choice" })?,
    };
    let (wage_bp, piece) = match rule {
        WageRuleKind::ShareOfNet => {
            let bp = match (input.wage_bp, input.wage_percent.as_deref()) {
                (Some(bp), _) => bp,
                (None, Some(p)) => percent_bp("wage_percent", p)?,
                (None, None) => return Err(AppError::BadRequest { field: "wage_percent", key: "error.required" }),
            };
            if !(1..=10_000).contains(&bp) {
                return Err(AppError::BadRequest { field: "wage_percent", key: "error.percent" });
            }
            (Some(bp as i32), None)
        }
        WageRuleKind::PieceRate => {
            // Zero is an amount, but not a wage: say so rather than "not an amount".
            let zero = match (input.piece_rate_fen, input.piece_rate.as_deref()) {
                (Some(f), _) => f == 0,
                (None, Some(y)) => Fen::parse_typed_yuan(y).is_some_and(|f| f.get() == 0),
                (None, None) => false,
            };
            if zero {
                return Err(AppError::BadRequest { field: "piece_rate", key: "error.piece_rate_zero" });
            }
            let fen = money("piece_rate", input.piece_rate_fen, input.piece_rate.as_deref())?
                .ok_or(AppError::BadRequest { field: "piece_rate", key: "error.required" })?;
            (None, Some(fen.get()))
        }
    };
    Ok(ProductChange {
        heritage_item_id: input
            .heritage_item_id
            .ok_or(AppError::BadRequest { field: "heritage_item_id", key: "error.required" })?,
        category: category.as_str().to_owned(),
        title_zh: required("title_zh", &input.title_zh, 80)?,
        title_en: bounded("title_en", &input.title_en, 160)?,
        description_zh: bounded("description_zh", &input.description_zh, 4000)?,
        description_en: bounded("description_en", &input.description_en, 8000)?,
        materials_zh: bounded("materials_zh", &input.materials_zh, 200)?,
        materials_en: bounded("materials_en", &input.materials_en, 400)?,
        price_fen: price.get(),
        stock,
        made_to_order: input.made_to_order,
        lead_time_days: lead,
        wage_rule: rule.as_str().to_owned(),
        wage_bp,
        piece_rate_fen: piece,
    })
}

/// Checks a list of makers against the workshop's current workers: at least one, no worker
/// twice, every share positive, and the shares summing to exactly 100%.
pub fn check_makers(makers: &[MakerInput], current_workers: &[i64]) -> Result<Vec<(i64, MakerRole, i32)>, AppError> {
    if makers.is_empty() {
        return Err(AppError::BadRequest { field: "makers", key: "error.makers_empty" });
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for m in makers {
        if !current_workers.contains(&m.worker_id) {
            return Err(AppError::invalid("makers", "error.maker_not_current", &[("worker", m.worker_id.to_string())]));
        }
        if !seen.insert(m.worker_id) {
            return Err(AppError::invalid("makers", "error.maker_twice", &[("worker", m.worker_id.to_string())]));
        }
        let role =
            MakerRole::parse(m.role.trim()).ok_or(AppError::BadRequest { field: "role", key: "error.choice" })?;
        if !(1..=10_000).contains(&m.share_bp) {
            return Err(AppError::BadRequest { field: "share", key: "error.percent" });
        }
        out.push((m.worker_id, role, m.share_bp as i32));
    }
    let sum: i64 = makers.iter().map(|m| m.share_bp).sum();
    if sum != 10_000 {
        let shown = crate::domain::attribution::ShareBp::new(sum.min(10_000)).map(|b| b.percent_string());
        let total = if sum > 10_000 { format!("{}%", Fen(sum).yuan_string()) } else { shown.unwrap_or_default() };
        return Err(AppError::invalid("makers", "error.shares_sum", &[("sum", total)]));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(worker_id: i64, share_bp: i64) -> MakerInput {
        MakerInput { worker_id, role: "maker".into(), share_bp }
    }

    #[test]
    fn makers_must_be_current_distinct_and_sum_to_100() {
        let current = [1, 2, 3];
        assert!(check_makers(&[m(1, 5000), m(2, 3000), m(3, 2000)], &current).is_ok());
        let key = |r: Result<_, AppError>| match r {
            Err(AppError::Invalid { key, args, .. }) => format!("{key} {args:?}"),
            Err(AppError::BadRequest { key, .. }) => key.to_owned(),
            _ => "ok".into(),
        };
        assert_eq!(key(check_makers(&[m(1, 5000), m(2, 4000)], &current)), "error.shares_sum [(\"sum\", \"90%\")]");
        assert_eq!(key(check_makers(&[m(1, 6000), m(2, 6000)], &current)), "error.shares_sum [(\"sum\", \"120.00%\")]");
        assert_eq!(key(check_makers(&[m(9, 10000)], &current)), "error.maker_not_current [(\"worker\", \"9\")]");
        assert_eq!(key(check_makers(&[m(1, 5000), m(1, 5000)], &current)), "error.maker_twice [(\"worker\", \"1\")]");
        assert_eq!(key(check_makers(&[], &current)), "error.makers_empty");
        assert_eq!(key(check_makers(&[m(1, 0), m(2, 10000)], &current)), "error.percent");
    }

    #[test]
    fn product_fields_parse_from_yuan_and_percent() {
        let input = ProductInput {
            title_zh: "漆碗".into(),
            heritage_item_id: Some(1),
            price: Some("199.99".into()),
            stock: Some(3),
            wage_percent: Some("60".into()),
            ..Default::default()
        };
        let c = product_change(&input).map_err(|e| e.to_string());
        assert_eq!(c.map(|c| (c.price_fen, c.wage_bp, c.stock)), Ok((19_999, Some(6000), 3)));
        let bad = ProductInput { price: Some("12.345".into()), ..input.clone() };
        assert!(matches!(product_change(&bad), Err(AppError::BadRequest { field: "price", .. })));
        let mto = ProductInput { made_to_order: true, lead_time_days: None, ..input };
        assert!(matches!(product_change(&mto), Err(AppError::BadRequest { field: "lead_time_days", .. })));
    }
}

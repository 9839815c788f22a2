//! Products in the portal: create (as a draft), edit, archive, duplicate; the makers and
//! their shares; submitting for review and the operator's approval or rejection.

use super::input::{bounded, opt_i64, opt_text, required};
use super::{authorized, Owned, Portal};
use crate::accounts::authz::{authorize, Action};
use crate::db::audit::{self, AuditEvent};
use crate::db::catalog::ProductRow;
use crate::db::portal::{self as q, PhotoRow, ProductChange};
use crate::db::writes::{NewMaker, NewProduct};
use crate::domain::account::Principal;
use crate::domain::product::{MakerRole, ProductCategory, ProductStatus, WageRuleKind};
use crate::domain::Fen;
use crate::error::AppError;
use diesel::Connection;
use serde::{Deserialize, Serialize};

/// A product's fields as the form or JSON sends them. Money may come as fen (`price_fen`)
/// or as yuan typed by a person (`price`, "199.99"); the wage share as basis points
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
    #[serde(default, deserialize_with = "super::input::flag")]
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
}

fn money(field: &'static str, fen: Option<i64>, yuan: Option<&str>) -> Result<Option<Fen>, AppError> {
    let value = match (fen, yuan) {
        (Some(f), _) => Some(Fen(f)),
        (None, Some(y)) => Some(Fen::parse_yuan(y).ok_or(AppError::BadRequest { field, key: "error.amount" })?),
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

/// A new product's slug and trace code: random, so no two workshops collide.
fn new_codes(title_en: &str) -> (String, String) {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let trace: String = (0..10).map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char).collect();
    let base = crate::domain::Slug::from_text(title_en).map_or_else(|| "piece".to_owned(), |s| s.to_string());
    let base: String = base.chars().take(60).collect();
    (format!("{}-{}", base.trim_end_matches('-'), trace.to_lowercase()), trace)
}

impl Portal {
    /// A workshop's products, any status.
    pub async fn products(&self, who: &Principal, workshop: i64) -> Result<Vec<ProductRow>, AppError> {
        let who = who.clone();
        self.db
            .run(move |conn| {
                authorized(conn, &who, Action::ViewWorkshop, Owned::Workshop(workshop))?;
                Ok(q::products_of(conn, workshop)?)
            })
            .await
    }

    /// One product with its makers, photos and the last review note.
    pub async fn product(&self, who: &Principal, id: i64) -> Result<ProductEdit, AppError> {
        let who = who.clone();
        self.db
            .run(move |conn| {
                authorized(conn, &who, Action::ViewWorkshop, Owned::Product(id))?;
                load_edit(conn, id)
            })
            .await
    }

    /// Creates a draft; returns its id.
    pub async fn create_product(&self, who: &Principal, workshop: i64, input: ProductInput) -> Result<i64, AppError> {
        let c = product_change(&input)?;
        let (who, now) = (who.clone(), self.now());
        self.db
            .run(move |conn| {
                authorized(conn, &who, Action::EditProducts, Owned::Workshop(workshop))?;
                let (slug, trace_code) = new_codes(&c.title_en);
                insert_from_change(conn, workshop, slug, trace_code, c, now)
            })
            .await
    }

    /// Changes a product's fields; archived products are read-only.
    pub async fn update_product(&self, who: &Principal, id: i64, input: ProductInput) -> Result<(), AppError> {
        let c = product_change(&input)?;
        let (who, now) = (who.clone(), self.now());
        self.db
            .run(move |conn| {
                authorized(conn, &who, Action::EditProducts, Owned::Product(id))?;
                let before = q::product(conn, id)?.ok_or(AppError::NotFound)?;
                if before.status == ProductStatus::Archived.as_str() {
                    return Err(AppError::Conflict { key: "error.product_archived" });
                }
                conn.transaction(|t| {
                    q::update_product(t, id, &c, now)?;
                    if (before.wage_rule.as_str(), before.wage_bp, before.piece_rate_fen)
                        != (c.wage_rule.as_str(), c.wage_bp, c.piece_rate_fen)
                    {
                        let detail = serde_json::json!({
                            "wage_rule": c.wage_rule, "wage_bp": c.wage_bp, "piece_rate_fen": c.piece_rate_fen,
                        });
                        audit::append(
                            t,
                            AuditEvent::new(Some(who.user_id), "product.wage_rule", format!("product:{id}"), detail),
                            now,
                        )?;
                    }
                    Ok(())
                })
            })
            .await
    }

    /// Replaces a product's makers after checking them.
    pub async fn set_makers(&self, who: &Principal, id: i64, makers: Vec<MakerInput>) -> Result<(), AppError> {
        let (who, now, today) = (who.clone(), self.now(), self.clock.today());
        self.db
            .run(move |conn| {
                let workshop = authorized(conn, &who, Action::EditProducts, Owned::Product(id))?;
                let current = q::current_worker_ids(conn, workshop.get(), today)?;
                let checked = check_makers(&makers, &current)?;
                let rows: Vec<NewMaker> = checked
                    .iter()
                    .map(|(w, role, bp)| NewMaker {
                        product_id: id,
                        worker_id: *w,
                        role: role.as_str().to_owned(),
                        share_bp: *bp,
                    })
                    .collect();
                conn.transaction(|t| {
                    q::replace_makers(t, id, &rows)?;
                    let detail: Vec<_> =
                        checked.iter().map(|(w, r, bp)| serde_json::json!([w, r.as_str(), bp])).collect();
                    audit::append(
                        t,
                        AuditEvent::new(
                            Some(who.user_id),
                            "product.maker_shares",
                            format!("product:{id}"),
                            serde_json::json!(detail),
                        ),
                        now,
                    )?;
                    Ok(())
                })
            })
            .await
    }

    /// Archives a product: it leaves the storefront and can no longer be edited.
    pub async fn archive_product(&self, who: &Principal, id: i64) -> Result<(), AppError> {
        self.transition(who, id, Action::EditProducts, |_| Some(ProductStatus::Archived), None).await
    }

    /// Sends a draft (or a rejected product) for review; it needs makers first.
    pub async fn submit_product(&self, who: &Principal, id: i64) -> Result<(), AppError> {
        let (who2, db) = (who.clone(), self.db.clone());
        let has_makers = db
            .run(move |conn| {
                authorized(conn, &who2, Action::EditProducts, Owned::Product(id))?;
                Ok(!q::makers(conn, id)?.is_empty())
            })
            .await?;
        if !has_makers {
            return Err(AppError::BadRequest { field: "makers", key: "error.makers_empty" });
        }
        self.transition(
            who,
            id,
            Action::EditProducts,
            |s| (s == ProductStatus::Draft).then_some(ProductStatus::InReview),
            None,
        )
        .await
    }

    /// Approves (the product goes live) or rejects (back to draft, with the reason).
    pub async fn review_product(&self, who: &Principal, id: i64, input: ReviewInput) -> Result<(), AppError> {
        authorize(Some(who), Action::ReviewProducts, None)?;
        match input.decision.as_str() {
            "approve" => {
                self.transition(
                    who,
                    id,
                    Action::ReviewProducts,
                    |s| (s == ProductStatus::InReview).then_some(ProductStatus::Active),
                    None,
                )
                .await
            }
            "reject" => {
                let reason = input.reason.ok_or(AppError::BadRequest { field: "reason", key: "error.required" })?;
                let reason = bounded("reason", &reason, 1000)?;
                self.transition(
                    who,
                    id,
                    Action::ReviewProducts,
                    |s| (s == ProductStatus::InReview).then_some(ProductStatus::Draft),
                    Some(reason),
                )
                .await
            }
            _ => Err(AppError::BadRequest { field: "decision", key: "error.choice" }),
        }
    }

    async fn transition(
        &self,
        who: &Principal,
        id: i64,
        action: Action,
        next: impl FnOnce(ProductStatus) -> Option<ProductStatus> + Send + 'static,
        note: Option<String>,
    ) -> Result<(), AppError> {
        let (who, now) = (who.clone(), self.now());
        self.db
            .run(move |conn| {
                if action == Action::ReviewProducts {
                    q::product_workshop(conn, id)?.ok_or(AppError::NotFound)?;
                } else {
                    authorized(conn, &who, action, Owned::Product(id))?;
                }
                let p = q::product(conn, id)?.ok_or(AppError::NotFound)?;
                let from = ProductStatus::parse(&p.status).ok_or(AppError::NotFound)?;
                let to = if from == ProductStatus::Archived { None } else { next(from) };
                let to = to.ok_or(AppError::Conflict { key: "error.product_state" })?;
                q::set_status(conn, id, to.as_str(), note.as_deref(), now)?;
                Ok(())
            })
            .await
    }

    /// Copies a product (fields and makers, not photos) as a new draft; returns its id.
    pub async fn duplicate_product(&self, who: &Principal, id: i64) -> Result<i64, AppError> {
        let (who, now) = (who.clone(), self.now());
        self.db
            .run(move |conn| {
                let workshop = authorized(conn, &who, Action::EditProducts, Owned::Product(id))?;
                let p = q::product(conn, id)?.ok_or(AppError::NotFound)?;
                let makers = q::makers(conn, id)?;
                conn.transaction(|t| {
                    let (slug, trace) = new_codes(&p.title_en);
                    let change = ProductChange {
                        heritage_item_id: p.heritage_item_id,
                        category: p.category,
                        title_zh: format!("{}（副本）", p.title_zh),
                        title_en: if p.title_en.is_empty() { String::new() } else { format!("{} (copy)", p.title_en) },
                        description_zh: p.description_zh,
                        description_en: p.description_en,
                        materials_zh: p.materials_zh,
                        materials_en: p.materials_en,
                        price_fen: p.price_fen,
                        stock: p.stock,
                        made_to_order: p.made_to_order,
                        lead_time_days: p.lead_time_days,
                        wage_rule: p.wage_rule,
                        wage_bp: p.wage_bp,
                        piece_rate_fen: p.piece_rate_fen,
                    };
                    let new_id = insert_from_change(t, workshop.get(), slug, trace, change, now)?;
                    let rows: Vec<NewMaker> = makers
                        .into_iter()
                        .map(|(w, role, bp)| NewMaker { product_id: new_id, worker_id: w, role, share_bp: bp })
                        .collect();
                    q::replace_makers(t, new_id, &rows)?;
                    Ok(new_id)
                })
            })
            .await
    }

    /// Products waiting for review (operators).
    pub async fn review_queue(&self, who: &Principal) -> Result<Vec<ProductRow>, AppError> {
        authorize(Some(who), Action::ReviewProducts, None)?;
        self.db.run(|conn| Ok(q::products_in_review(conn)?)).await
    }
}

fn insert_from_change(
    conn: &mut crate::db::DbConn,
    workshop: i64,
    slug: String,
    trace_code: String,
    c: ProductChange,
    now: chrono::NaiveDateTime,
) -> Result<i64, AppError> {
    let new = NewProduct {
        slug,
        trace_code,
        workshop_id: workshop,
        heritage_item_id: c.heritage_item_id,
        title_zh: c.title_zh,
        title_en: c.title_en,
        description_zh: c.description_zh,
        description_en: c.description_en,
        materials_zh: c.materials_zh,
        materials_en: c.materials_en,
        price_fen: c.price_fen,
        currency: "CNY".into(),
        stock: c.stock,
        made_to_order: c.made_to_order,
        lead_time_days: c.lead_time_days,
        wage_rule: c.wage_rule,
        wage_bp: c.wage_bp,
        piece_rate_fen: c.piece_rate_fen,
        status: ProductStatus::Draft.as_str().into(),
        featured: false,
        sold_count: 0,
        created_at: now,
        updated_at: now,
        category: c.category,
    };
    q::insert_product(conn, &new).map_err(|e| match e {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::ForeignKeyViolation, _) => {
            AppError::BadRequest { field: "heritage_item_id", key: "error.choice" }
        }
        other => other.into(),
    })
}

fn load_edit(conn: &mut crate::db::DbConn, id: i64) -> Result<ProductEdit, AppError> {
    let p = q::product(conn, id)?.ok_or(AppError::NotFound)?;
    let makers = q::makers(conn, id)?
        .into_iter()
        .map(|(worker_id, role, share_bp)| MakerInput { worker_id, role, share_bp: share_bp.into() })
        .collect();
    Ok(ProductEdit { product: p, makers, photos: q::photos(conn, id)?, review_note: q::review_note(conn, id)? })
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

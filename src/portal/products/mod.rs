//! Products in the portal: create (as a draft), edit, archive, duplicate; the makers and
//! their shares; submitting for review and the operator's approval or rejection.

mod form;
mod makers;
mod variants;

pub use form::{check_makers, product_change, DesignEdit, MakerInput, ProductEdit, ProductInput, ReviewInput};
use makers::{checked_makers, write_makers};
pub use variants::VariantsEdit;

use super::input::bounded;
use super::{authorized, Owned, Portal};
use crate::accounts::authz::{authorize, Action};
use crate::db::audit::{self, AuditEvent};
use crate::db::catalog::ProductRow;
use crate::db::portal::{self as q, ProductChange};
use crate::db::writes::{NewMaker, NewProduct};
use crate::domain::account::Principal;
use crate::domain::product::ProductStatus;
use crate::error::AppError;

/// A custom order's quoted piece as frozen: its product id, price and lead time.
#[derive(Debug, Clone, Copy)]
pub struct FrozenPiece {
    pub id: i64,
    pub price_fen: i64,
    pub lead_time_days: i32,
}

/// Freezes a custom order's quoted piece inside the quote's transaction: an archived product
/// (never listed, never edited) holding the quote's heritage item, price, lead time, wage rule
/// and makers with their shares, which each milestone's line copies. Makers are required.
pub(crate) fn freeze_custom_piece(
    conn: &mut crate::db::DbConn,
    who: &Principal,
    workshop: i64,
    input: &ProductInput,
    today: chrono::NaiveDate,
    now: chrono::NaiveDateTime,
) -> Result<FrozenPiece, AppError> {
    let c = product_change(input)?;
    crate::db::references::heritage_item(conn, "heritage_item_id", c.heritage_item_id)?;
    let makers = checked_makers(conn, workshop, today, input.makers.as_deref())?
        .filter(|m| !m.is_empty())
        .ok_or(AppError::BadRequest { field: "makers", key: "custom.error.makers" })?;
    let (slug, trace_code) = new_codes(&c.title_en);
    let (price_fen, lead_time_days) = (c.price_fen, c.lead_time_days.unwrap_or(1));
    let id = insert_from_change(conn, workshop, slug, trace_code, c, now)?;
    let (draft, archived) = (ProductStatus::Draft.as_str(), ProductStatus::Archived.as_str());
    q::set_status(conn, id, (draft, archived), None, now)?;
    write_makers(conn, who, id, &makers, now)?;
    Ok(FrozenPiece { id, price_fen, lead_time_days })
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

    /// Creates a draft, with its makers if given; returns its id.
    pub async fn create_product(&self, who: &Principal, workshop: i64, input: ProductInput) -> Result<i64, AppError> {
        let c = product_change(&input)?;
        let (who, now, today) = (who.clone(), self.now(), self.clock.today());
        self.db
            .run(move |conn| {
                authorized(conn, &who, Action::EditProducts, Owned::Workshop(workshop))?;
                crate::db::references::heritage_item(conn, "heritage_item_id", c.heritage_item_id)?;
                let makers = checked_makers(conn, workshop, today, input.makers.as_deref())?;
                let (slug, trace_code) = new_codes(&c.title_en);
                let detail = serde_json::json!({
                    "wage_rule": c.wage_rule, "wage_bp": c.wage_bp, "piece_rate_fen": c.piece_rate_fen, "created": true,
                });
                crate::db::tx::write(&mut *conn, |t| {
                    let id = insert_from_change(t, workshop, slug.clone(), trace_code.clone(), c.clone(), now)?;
                    audit::append(
                        t,
                        AuditEvent::new(
                            Some(who.user_id),
                            "product.wage_rule",
                            format!("product:{id}"),
                            detail.clone(),
                        ),
                        now,
                    )?;
                    if let Some(makers) = &makers {
                        write_makers(t, &who, id, makers, now)?;
                    }
                    Ok(id)
                })
            })
            .await
    }

    /// Changes a product's fields, and its makers if given; archived products are read-only.
    pub async fn update_product(&self, who: &Principal, id: i64, input: ProductInput) -> Result<(), AppError> {
        let c = product_change(&input)?;
        let (who, now, today) = (who.clone(), self.now(), self.clock.today());
        self.db
            .run(move |conn| {
                let workshop = authorized(conn, &who, Action::EditProducts, Owned::Product(id))?;
                crate::db::references::heritage_item(conn, "heritage_item_id", c.heritage_item_id)?;
                let before = q::product(conn, id)?.ok_or(AppError::NotFound)?;
                if before.status == ProductStatus::Archived.as_str() {
                    return Err(AppError::Conflict { key: "error.product_archived" });
                }
                let makers = checked_makers(conn, workshop.get(), today, input.makers.as_deref())?;
                crate::db::tx::write(&mut *conn, |t| {
                    q::update_product(t, id, &c, now)?;
                    // A product with variants takes its price and stock from them, not the form.
                    crate::db::variants::roll_up(t, crate::domain::ProductId(id))?;
                    // Stock and lead time are day-to-day; anything a buyer reads goes back to review.
                    if content_changed(&before, &c) || makers.is_some() {
                        reopen_review(t, &who, id, now)?;
                    }
                    if let Some(makers) = &makers {
                        write_makers(t, &who, id, makers, now)?;
                    }
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
                crate::db::tx::write(&mut *conn, |t| {
                    // Conditional on the status just read: of two racing decisions one wins.
                    if q::set_status(t, id, (from.as_str(), to.as_str()), note.as_deref(), now)? == 0 {
                        return Err(AppError::Conflict { key: "error.product_state" });
                    }
                    let detail = serde_json::json!({"from": from.as_str(), "to": to.as_str(), "note": note});
                    audit::append(
                        t,
                        AuditEvent::new(Some(who.user_id), "product.status", format!("product:{id}"), detail),
                        now,
                    )?;
                    Ok(())
                })
            })
            .await
    }

    /// Copies a product (fields, makers and variants, not photos) as a new draft; returns its id.
    pub async fn duplicate_product(&self, who: &Principal, id: i64) -> Result<i64, AppError> {
        let (who, now) = (who.clone(), self.now());
        self.db
            .run(move |conn| {
                let workshop = authorized(conn, &who, Action::EditProducts, Owned::Product(id))?;
                let p = q::product(conn, id)?.ok_or(AppError::NotFound)?;
                let makers = q::makers(conn, id)?;
                let stored = variants::load(conn, id)?;
                let input =
                    crate::domain::variant::VariantsInput { options: stored.options, variants: stored.variants };
                let variants = crate::domain::variant::check(&input, p.made_to_order)?;
                crate::db::tx::write(&mut *conn, |t| {
                    let (slug, trace) = new_codes(&p.title_en);
                    let p = p.clone();
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
                        .iter()
                        .map(|(w, role, bp)| NewMaker {
                            product_id: new_id,
                            worker_id: *w,
                            role: role.clone(),
                            share_bp: *bp,
                        })
                        .collect();
                    q::replace_makers(t, new_id, &rows)?;
                    crate::db::variants::replace(t, crate::domain::ProductId(new_id), &variants, now)?;
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

/// Whether an edit changes what buyers read or pay (not just stock or lead time).
fn content_changed(before: &ProductRow, c: &ProductChange) -> bool {
    (
        before.heritage_item_id,
        &before.category,
        &before.title_zh,
        &before.title_en,
        &before.description_zh,
        &before.description_en,
        &before.materials_zh,
        &before.materials_en,
        before.price_fen,
        &before.wage_rule,
        before.wage_bp,
        before.piece_rate_fen,
    ) != (
        c.heritage_item_id,
        &c.category,
        &c.title_zh,
        &c.title_en,
        &c.description_zh,
        &c.description_en,
        &c.materials_zh,
        &c.materials_en,
        c.price_fen,
        &c.wage_rule,
        c.wage_bp,
        c.piece_rate_fen,
    )
}

/// A live product whose content changed goes back to review (and off the storefront) until
/// an operator approves the change: operators approve what goes live.
pub(crate) fn reopen_review(
    conn: &mut crate::db::DbConn,
    who: &Principal,
    id: i64,
    now: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    if q::set_status(conn, id, (ProductStatus::Active.as_str(), ProductStatus::InReview.as_str()), None, now)? == 1 {
        let detail = serde_json::json!({"from": "active", "to": "in_review", "reason": "edited"});
        audit::append(
            conn,
            AuditEvent::new(Some(who.user_id), "product.status", format!("product:{id}"), detail),
            now,
        )?;
    }
    Ok(())
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
    Ok(q::insert_product(conn, &new)?)
}

fn load_edit(conn: &mut crate::db::DbConn, id: i64) -> Result<ProductEdit, AppError> {
    let p = q::product(conn, id)?.ok_or(AppError::NotFound)?;
    let makers = q::makers(conn, id)?
        .into_iter()
        .map(|(worker_id, role, share_bp)| MakerInput { worker_id, role, share_bp: share_bp.into() })
        .collect();
    Ok(ProductEdit {
        product: p,
        makers,
        photos: q::photos(conn, id)?,
        review_note: q::review_note(conn, id)?,
        variants: variants::load(conn, id)?,
        design: {
            let (designer_id, workstation_id, designer_bp) =
                crate::db::designers::credit_of(conn, crate::domain::ProductId(id))?;
            DesignEdit { designer_id, workstation_id, designer_bp }
        },
    })
}

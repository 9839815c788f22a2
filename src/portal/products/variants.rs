//! A product's options and variants in the portal: read for the editor, and replaced as a
//! whole list. A change buyers read (names, values, prices, lead times) sends a live product
//! back to review, as any content edit does; a stock-only change does not.

use super::reopen_review;
use crate::accounts::authz::Action;
use crate::db::audit::{self, AuditEvent};
use crate::db::variants as v;
use crate::domain::account::Principal;
use crate::domain::ids::ProductId;
use crate::domain::product::ProductStatus;
use crate::domain::variant::{self, Bilingual, OptionInput, VariantInput, Variants, VariantsInput};
use crate::error::AppError;
use crate::portal::{authorized, Owned, Portal};
use serde::Serialize;

/// A product's options and variants as the editor sees them (taken-off variants left out).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema, PartialEq, Eq)]
pub struct VariantsEdit {
    pub options: Vec<OptionInput>,
    pub variants: Vec<VariantInput>,
}

/// The options and variants on sale, as the editor's input shape.
pub(super) fn load(conn: &mut crate::db::DbConn, id: i64) -> Result<VariantsEdit, AppError> {
    let options =
        v::options_of(conn, ProductId(id))?.into_iter().map(|o| OptionInput { name_zh: o.zh, name_en: o.en }).collect();
    let variants = v::variants_of(conn, &[ProductId(id)], true)?
        .into_iter()
        .map(|r| VariantInput {
            sku: r.sku,
            value1_zh: r.value1_zh,
            value1_en: r.value1_en,
            value2_zh: r.value2_zh,
            value2_en: r.value2_en,
            price_fen: r.price_fen,
            stock: r.stock,
            lead_time_days: r.lead_time_days,
        })
        .collect();
    Ok(VariantsEdit { options, variants })
}

/// What buyers read of a list: everything but the stock.
fn shown(options: &[Bilingual], variants: &[(String, Bilingual, i64, Option<i32>)]) -> String {
    serde_json::json!([options, variants]).to_string()
}

fn shown_of_checked(c: &Variants) -> String {
    let rows: Vec<_> = c.variants.iter().map(|x| (x.sku.clone(), x.label(), x.price.get(), x.lead_time_days)).collect();
    shown(&c.options, &rows)
}

fn shown_of_edit(e: &VariantsEdit) -> String {
    let options: Vec<Bilingual> =
        e.options.iter().map(|o| Bilingual { zh: o.name_zh.clone(), en: o.name_en.clone() }).collect();
    let rows: Vec<_> = e
        .variants
        .iter()
        .map(|x| {
            let value1 = Bilingual { zh: x.value1_zh.clone(), en: x.value1_en.clone() };
            let value2 = x
                .value2_zh
                .as_ref()
                .map(|zh| Bilingual { zh: zh.clone(), en: x.value2_en.clone().unwrap_or_else(|| zh.clone()) });
            (x.sku.clone(), variant::label(&value1, value2.as_ref()), x.price_fen, x.lead_time_days)
        })
        .collect();
    shown(&options, &rows)
}

impl Portal {
    /// Replaces a product's options and variants after checking them.
    pub async fn set_variants(&self, who: &Principal, id: i64, input: VariantsInput) -> Result<(), AppError> {
        let (who, now) = (who.clone(), self.now());
        self.db
            .run(move |conn| {
                authorized(conn, &who, Action::EditProducts, Owned::Product(id))?;
                let product = crate::db::portal::product(conn, id)?.ok_or(AppError::NotFound)?;
                if product.status == ProductStatus::Archived.as_str() {
                    return Err(AppError::Conflict { key: "error.product_archived" });
                }
                let checked = variant::check(&input, product.made_to_order)?;
                let before = shown_of_edit(&load(conn, id)?);
                crate::db::tx::write(&mut *conn, |t| {
                    v::replace(t, ProductId(id), &checked, now)?;
                    let after = shown_of_checked(&checked);
                    if after != before {
                        reopen_review(t, &who, id, now)?;
                    }
                    let detail = serde_json::json!({
                        "options": checked.options.len(),
                        "variants": checked.variants.iter().map(|x| serde_json::json!([x.sku, x.price.get(), x.stock])).collect::<Vec<_>>(),
                    });
                    audit::append(
                        t,
                        AuditEvent::new(Some(who.user_id), "product.variants", format!("product:{id}"), detail),
                        now,
                    )?;
                    Ok(())
                })
            })
            .await
    }
}

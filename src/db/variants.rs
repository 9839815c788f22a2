//! Product options and variants in the database: reading them for pages, carts and checkout,
//! writing an editor's checked list, and the conditional stock update of one variant.
//!
//! A product with variants keeps on its own row the sum of its active variants' stock and
//! their lowest price: the migration's triggers keep both on every variant change.

use super::schema::{product_options, product_variants, products};
use super::DbConn;
use crate::domain::ids::{ProductId, VariantId};
use crate::domain::product::ProductStatus;
use crate::domain::variant::{label, Bilingual, Variants};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One variant as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = product_variants)]
pub struct VariantRow {
    pub id: i64,
    pub product_id: i64,
    pub sku: String,
    pub value1_zh: String,
    pub value1_en: String,
    pub value2_zh: Option<String>,
    pub value2_en: Option<String>,
    pub price_fen: i64,
    pub stock: i64,
    pub lead_time_days: Option<i32>,
    pub active: bool,
}

impl VariantRow {
    /// The variant's typed id.
    pub fn variant_id(&self) -> VariantId {
        VariantId(self.id)
    }

    /// "16 cm" or "16 cm / 红", in both languages.
    pub fn label(&self) -> Bilingual {
        let value1 = Bilingual { zh: self.value1_zh.clone(), en: self.value1_en.clone() };
        let value2 = match (&self.value2_zh, &self.value2_en) {
            (Some(zh), en) => Some(Bilingual { zh: zh.clone(), en: en.clone().unwrap_or_else(|| zh.clone()) }),
            _ => None,
        };
        label(&value1, value2.as_ref())
    }
}

/// The variant's columns as a plain tuple, for a left join inside a larger select (a
/// `SelectBy` cannot be made nullable there). The derive's expression is the same columns
/// for every backend; SQLite only names one.
pub(super) fn columns() -> <VariantRow as Selectable<diesel::sqlite::Sqlite>>::SelectExpression {
    <VariantRow as Selectable<diesel::sqlite::Sqlite>>::construct_selection()
}

/// A product's option names, in order.
pub fn options_of(conn: &mut DbConn, product: ProductId) -> QueryResult<Vec<Bilingual>> {
    let rows: Vec<(String, String)> = product_options::table
        .filter(product_options::product_id.eq(product.get()))
        .order(product_options::position)
        .select((product_options::name_zh, product_options::name_en))
        .load(conn)?;
    Ok(rows.into_iter().map(|(zh, en)| Bilingual { zh, en }).collect())
}

/// The variants of some products, in each product's order; with `active_only`, only those on
/// sale (an editor also sees the ones taken off).
pub fn variants_of(conn: &mut DbConn, products: &[ProductId], active_only: bool) -> QueryResult<Vec<VariantRow>> {
    let ids: Vec<i64> = products.iter().map(|p| p.get()).collect();
    let mut query = product_variants::table
        .filter(product_variants::product_id.eq_any(ids))
        .order((product_variants::product_id, product_variants::position, product_variants::id))
        .select(VariantRow::as_select())
        .into_boxed();
    if active_only {
        query = query.filter(product_variants::active.eq(true));
    }
    query.load(conn)
}

/// Every variant on sale, by product and position (for generated sales).
pub fn all_on_sale(conn: &mut DbConn) -> QueryResult<Vec<VariantRow>> {
    product_variants::table
        .filter(product_variants::active.eq(true))
        .order((product_variants::product_id, product_variants::position, product_variants::id))
        .select(VariantRow::as_select())
        .load(conn)
}

/// One variant by id, if it is one of `product`'s.
pub fn variant(conn: &mut DbConn, product: ProductId, id: VariantId) -> QueryResult<Option<VariantRow>> {
    product_variants::table
        .filter(product_variants::id.eq(id.get()))
        .filter(product_variants::product_id.eq(product.get()))
        .select(VariantRow::as_select())
        .first(conn)
        .optional()
}

/// Writes an editor's checked options and variants (inside the caller's write transaction).
/// Variants are matched by SKU: a known SKU is updated in place, so order lines that name it
/// keep pointing at it; a new one is added; one no longer listed is taken off sale (kept, as
/// lines may name it). An empty list takes every variant off sale: the product keeps its
/// last price and has no stock until an editor gives it some (none of the variants' pieces
/// can be sold as the product).
pub fn replace(conn: &mut DbConn, product: ProductId, checked: &Variants, now: NaiveDateTime) -> QueryResult<()> {
    let p = product.get();
    diesel::delete(product_options::table.filter(product_options::product_id.eq(p))).execute(conn)?;
    for (i, o) in checked.options.iter().enumerate() {
        diesel::insert_into(product_options::table)
            .values((
                product_options::product_id.eq(p),
                product_options::position.eq(i32::try_from(i + 1).unwrap_or(i32::MAX)),
                product_options::name_zh.eq(&o.zh),
                product_options::name_en.eq(&o.en),
            ))
            .execute(conn)?;
    }
    let existing: Vec<(i64, String)> = product_variants::table
        .filter(product_variants::product_id.eq(p))
        .select((product_variants::id, product_variants::sku))
        .load(conn)?;
    let mut kept = Vec::with_capacity(checked.variants.len());
    for (i, v) in checked.variants.iter().enumerate() {
        let position = i32::try_from(i + 1).unwrap_or(i32::MAX);
        let (v2_zh, v2_en) = match &v.value2 {
            Some(b) => (Some(b.zh.as_str()), Some(b.en.as_str())),
            None => (None, None),
        };
        let values = (
            product_variants::value1_zh.eq(&v.value1.zh),
            product_variants::value1_en.eq(&v.value1.en),
            product_variants::value2_zh.eq(v2_zh),
            product_variants::value2_en.eq(v2_en),
            product_variants::price_fen.eq(v.price.get()),
            product_variants::stock.eq(v.stock),
            product_variants::lead_time_days.eq(v.lead_time_days),
            product_variants::position.eq(position),
            product_variants::active.eq(true),
            product_variants::updated_at.eq(now),
        );
        match existing.iter().find(|(_, sku)| sku.eq_ignore_ascii_case(&v.sku)) {
            Some((id, _)) => {
                diesel::update(product_variants::table.find(*id))
                    .set((values, product_variants::sku.eq(&v.sku)))
                    .execute(conn)?;
                kept.push(*id);
            }
            None => {
                let id = diesel::insert_into(product_variants::table)
                    .values((
                        values,
                        product_variants::product_id.eq(p),
                        product_variants::sku.eq(&v.sku),
                        product_variants::created_at.eq(now),
                    ))
                    .returning(product_variants::id)
                    .get_result(conn)?;
                kept.push(id);
            }
        }
    }
    diesel::update(
        product_variants::table
            .filter(product_variants::product_id.eq(p))
            .filter(product_variants::id.ne_all(kept))
            .filter(product_variants::active.eq(true)),
    )
    .set((product_variants::active.eq(false), product_variants::updated_at.eq(now)))
    .execute(conn)?;
    Ok(())
}

/// Whether a product has variants on sale (then a buyer must choose one).
pub fn has_variants(conn: &mut DbConn, product: ProductId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        product_variants::table
            .filter(product_variants::product_id.eq(product.get()))
            .filter(product_variants::active.eq(true)),
    ))
    .get_result(conn)
}

/// Counts a sale on a product with variants, if it is on sale, and locks its row first: two
/// checkouts of different variants of one product then wait on the product and never on each
/// other's variants in a circle. Returns whether the product was on sale.
pub fn count_product_sale(conn: &mut DbConn, product: ProductId, quantity: i64) -> QueryResult<bool> {
    let n = diesel::update(
        products::table
            .filter(products::id.eq(product.get()))
            .filter(products::status.eq(ProductStatus::Active.as_str())),
    )
    .set(products::sold_count.eq(products::sold_count + quantity))
    .execute(conn)?;
    Ok(n == 1)
}

/// Takes `quantity` from a variant's stock if that much is there and the variant is on sale:
/// one conditional `UPDATE`, as for a product, so no variant is ever oversold. A made-to-order
/// variant has no stock and only counts the sale. Returns whether it did.
pub fn take_stock(
    conn: &mut DbConn,
    product: ProductId,
    variant: VariantId,
    quantity: i64,
    made_to_order: bool,
) -> QueryResult<bool> {
    let target = product_variants::table
        .filter(product_variants::id.eq(variant.get()))
        .filter(product_variants::product_id.eq(product.get()))
        .filter(product_variants::active.eq(true));
    let n = if made_to_order {
        diesel::update(target)
            .set(product_variants::sold_count.eq(product_variants::sold_count + quantity))
            .execute(conn)?
    } else {
        diesel::update(target.filter(product_variants::stock.ge(quantity)))
            .set((
                product_variants::stock.eq(product_variants::stock - quantity),
                product_variants::sold_count.eq(product_variants::sold_count + quantity),
            ))
            .execute(conn)?
    };
    Ok(n == 1)
}

/// Gives back what a cancelled line took from a variant (and its product's sale count).
pub fn give_back_stock(
    conn: &mut DbConn,
    product: ProductId,
    variant: VariantId,
    quantity: i64,
    made_to_order: bool,
) -> QueryResult<()> {
    diesel::update(products::table.filter(products::id.eq(product.get())))
        .set(products::sold_count.eq(products::sold_count - quantity))
        .execute(conn)?;
    let target = product_variants::table.filter(product_variants::id.eq(variant.get()));
    if made_to_order {
        diesel::update(target)
            .set(product_variants::sold_count.eq(product_variants::sold_count - quantity))
            .execute(conn)?;
    } else {
        diesel::update(target)
            .set((
                product_variants::stock.eq(product_variants::stock + quantity),
                product_variants::sold_count.eq(product_variants::sold_count - quantity),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Puts a product's stock and price back to its variants' sum and lowest price, after its own
/// fields were saved from the product form (which carries a price and a stock of its own).
pub fn roll_up(conn: &mut DbConn, product: ProductId) -> QueryResult<()> {
    let p = product.get();
    let on_sale: Vec<(i64, i64)> = product_variants::table
        .filter(product_variants::product_id.eq(p))
        .filter(product_variants::active.eq(true))
        .select((product_variants::price_fen, product_variants::stock))
        .load(conn)?;
    let Some(lowest) = on_sale.iter().map(|(price, _)| *price).min() else { return Ok(()) };
    let stock = on_sale.iter().try_fold(0i64, |sum, (_, s)| sum.checked_add(*s)).unwrap_or(i64::MAX);
    diesel::update(products::table.find(p))
        .set((products::price_fen.eq(lowest), products::stock.eq(stock)))
        .execute(conn)?;
    Ok(())
}

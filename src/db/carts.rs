//! Carts: one per account, or per browser through a cookie token, and their items with what
//! the cart page shows of each product (price, stock, workshop and its shipping rule).

use super::schema::{cart_items, carts, product_variants, products, workshops};
use super::DbConn;
use crate::domain::ids::VariantId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// What one cart line holds: a product, and which of its variants when it has some.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CartKey {
    pub product: i64,
    pub variant: Option<VariantId>,
}

impl CartKey {
    /// A product without variants.
    pub fn product(product: i64) -> CartKey {
        CartKey { product, variant: None }
    }

    /// The stored key column: the variant's id, or 0 for none (a key column cannot be NULL).
    fn variant_key(self) -> i64 {
        self.variant.map_or(0, VariantId::get)
    }

    fn from_columns(product: i64, variant_key: i64) -> CartKey {
        CartKey { product, variant: (variant_key != 0).then_some(VariantId(variant_key)) }
    }
}

/// Whose cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CartOwner {
    User(i64),
    /// The SHA-256 of a browser's cart cookie.
    Browser(String),
}

/// Finds the owner's cart id.
pub fn find(conn: &mut DbConn, owner: &CartOwner) -> QueryResult<Option<i64>> {
    let query = carts::table.select(carts::id).into_boxed();
    let query = match owner {
        CartOwner::User(id) => query.filter(carts::user_id.eq(*id)),
        CartOwner::Browser(hash) => query.filter(carts::token_hash.eq(hash.clone())),
    };
    query.first(conn).optional()
}

/// The owner's cart id, touched (so it is not purged as abandoned), or created when there is none.
pub fn find_or_create(conn: &mut DbConn, owner: &CartOwner, now: NaiveDateTime) -> QueryResult<i64> {
    // Touching first takes the cart's row lock: a concurrent purge either deleted it already
    // (nothing to touch, a new cart is made) or waits and then sees it fresh and keeps it.
    let touched = match owner {
        CartOwner::User(id) => diesel::update(carts::table.filter(carts::user_id.eq(*id)))
            .set(carts::updated_at.eq(now))
            .returning(carts::id)
            .get_result(conn)
            .optional()?,
        CartOwner::Browser(hash) => diesel::update(carts::table.filter(carts::token_hash.eq(hash.clone())))
            .set(carts::updated_at.eq(now))
            .returning(carts::id)
            .get_result(conn)
            .optional()?,
    };
    if let Some(id) = touched {
        return Ok(id);
    }
    let (user, token) = match owner {
        CartOwner::User(id) => (Some(*id), None),
        CartOwner::Browser(hash) => (None, Some(hash.clone())),
    };
    diesel::insert_into(carts::table)
        .values((
            carts::user_id.eq(user),
            carts::token_hash.eq(token),
            carts::created_at.eq(now),
            carts::updated_at.eq(now),
        ))
        .returning(carts::id)
        .get_result(conn)
}

/// Sets a line's quantity in a cart (0 removes it).
pub fn set_quantity(conn: &mut DbConn, cart: i64, key: CartKey, quantity: i64, now: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(
        cart_items::table
            .filter(cart_items::cart_id.eq(cart))
            .filter(cart_items::product_id.eq(key.product))
            .filter(cart_items::variant_key.eq(key.variant_key())),
    )
    .execute(conn)?;
    if quantity > 0 {
        diesel::insert_into(cart_items::table)
            .values((
                cart_items::cart_id.eq(cart),
                cart_items::product_id.eq(key.product),
                cart_items::variant_key.eq(key.variant_key()),
                cart_items::quantity.eq(i32::try_from(quantity).unwrap_or(i32::MAX)),
                cart_items::added_at.eq(now),
            ))
            .execute(conn)?;
    }
    diesel::update(carts::table.find(cart)).set(carts::updated_at.eq(now)).execute(conn)?;
    Ok(())
}

/// The quantity of a line in a cart (0 when absent).
pub fn quantity(conn: &mut DbConn, cart: i64, key: CartKey) -> QueryResult<i64> {
    cart_items::table
        .filter(cart_items::cart_id.eq(cart))
        .filter(cart_items::product_id.eq(key.product))
        .filter(cart_items::variant_key.eq(key.variant_key()))
        .select(cart_items::quantity)
        .first::<i32>(conn)
        .optional()
        .map(|q| i64::from(q.unwrap_or(0)))
}

/// How many lines a cart holds.
pub fn count(conn: &mut DbConn, cart: i64) -> QueryResult<i64> {
    cart_items::table.filter(cart_items::cart_id.eq(cart)).count().get_result(conn)
}

/// Empties a cart (after checkout).
pub fn clear(conn: &mut DbConn, cart: i64) -> QueryResult<usize> {
    diesel::delete(cart_items::table.filter(cart_items::cart_id.eq(cart))).execute(conn)
}

/// Deletes a cart and its items (a browser's cart once merged into an account).
pub fn delete(conn: &mut DbConn, cart: i64) -> QueryResult<usize> {
    clear(conn, cart)?;
    diesel::delete(carts::table.find(cart)).execute(conn)
}

/// Deletes signed-out browsers' carts untouched since `before` (their items go with them, by
/// the foreign key's `ON DELETE CASCADE`); returns how many. Signed-in buyers' carts are kept.
///
/// One conditional statement, so it is safe on many app nodes at once and when run twice: a
/// second or concurrent run finds nothing left to match. On PostgreSQL a cart that a buyer
/// touches meanwhile holds its row lock; the delete waits, re-reads `updated_at` and keeps it.
pub fn purge_abandoned(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(carts::table.filter(carts::user_id.is_null()).filter(carts::updated_at.lt(before))).execute(conn)
}

/// One cart item with what the cart shows and checks of its product, and of its variant when
/// it names one (`None` when the variant is gone).
#[derive(Debug, Clone, Queryable)]
pub struct CartItemRow {
    pub product_id: i64,
    pub variant_key: i64,
    pub quantity: i32,
    pub slug: String,
    pub title_zh: String,
    pub title_en: String,
    pub price_fen: i64,
    pub stock: i64,
    pub made_to_order: bool,
    pub lead_time_days: Option<i32>,
    pub status: String,
    pub workshop_id: i64,
    pub workshop_slug: String,
    pub workshop_name_zh: String,
    pub workshop_name_en: String,
    pub shipping_flat_fen: i64,
    pub free_shipping_over_fen: Option<i64>,
    pub variant: Option<super::variants::VariantRow>,
}

impl CartItemRow {
    /// The line's key.
    pub fn key(&self) -> CartKey {
        CartKey::from_columns(self.product_id, self.variant_key)
    }
}

/// A cart's items, by workshop then by when they were added.
pub fn items(conn: &mut DbConn, cart: i64) -> QueryResult<Vec<CartItemRow>> {
    cart_items::table
        .inner_join(products::table.inner_join(workshops::table))
        .left_join(
            product_variants::table.on(product_variants::id
                .eq(cart_items::variant_key)
                .and(product_variants::product_id.eq(cart_items::product_id))),
        )
        .filter(cart_items::cart_id.eq(cart))
        .order((workshops::id, cart_items::added_at, products::id, cart_items::variant_key))
        .select((
            products::id,
            cart_items::variant_key,
            cart_items::quantity,
            products::slug,
            products::title_zh,
            products::title_en,
            products::price_fen,
            products::stock,
            products::made_to_order,
            products::lead_time_days,
            products::status,
            workshops::id,
            workshops::slug,
            workshops::name_zh,
            workshops::name_en,
            workshops::shipping_flat_fen,
            workshops::free_shipping_over_fen,
            super::variants::columns().nullable(),
        ))
        .load(conn)
}

/// `(line, quantity)` of a cart, by product then variant.
pub fn lines(conn: &mut DbConn, cart: i64) -> QueryResult<Vec<(CartKey, i64)>> {
    let rows: Vec<(i64, i64, i32)> = cart_items::table
        .filter(cart_items::cart_id.eq(cart))
        .order((cart_items::product_id, cart_items::variant_key))
        .select((cart_items::product_id, cart_items::variant_key, cart_items::quantity))
        .load(conn)?;
    Ok(rows.into_iter().map(|(p, v, q)| (CartKey::from_columns(p, v), i64::from(q))).collect())
}

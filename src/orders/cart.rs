//! The cart: what a buyer means to buy, kept in the database for an account or for a browser
//! (cookie), merged into the account at login. Quantities are checked against stock, or for
//! made-to-order pieces against how many one order may ask the makers for. The cart shows each
//! workshop's parcel with its subtotal and shipping.

use super::units::Units;
use super::Orders;
use crate::db::carts::{self as q, CartItemRow, CartKey, CartOwner};
use crate::domain::order::ShippingRule;
use crate::domain::Fen;
use crate::error::AppError;
use crate::i18n::Lang;
use chrono::NaiveDate;
use serde::Serialize;

/// The cart as the page and the API show it.
#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct CartView {
    /// One parcel per workshop.
    pub parcels: Vec<CartParcel>,
    pub items_fen: i64,
    pub shipping_fen: i64,
    pub total_fen: i64,
    /// Pieces in the cart.
    pub count: i64,
    /// Whether some line cannot be bought as it is (checkout is refused until fixed).
    pub has_problems: bool,
}

/// One workshop's part of the cart.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CartParcel {
    pub workshop_id: i64,
    pub workshop_slug: String,
    pub workshop_name: String,
    pub lines: Vec<CartLine>,
    pub subtotal_fen: i64,
    pub shipping_fen: i64,
    /// The subtotal from which shipping is free, if there is one.
    pub free_shipping_over_fen: Option<i64>,
    /// How much more would make shipping free (0 when it already is).
    pub short_of_free_fen: i64,
}

/// One product (one variant of it) in the cart.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CartLine {
    pub product_id: i64,
    /// The chosen variant, for a product with variants.
    pub variant_id: Option<i64>,
    /// The variant's label in the page's language ("17 cm / 红").
    pub variant: Option<String>,
    pub sku: Option<String>,
    pub slug: String,
    pub title: String,
    pub unit_price_fen: i64,
    pub quantity: i64,
    pub line_fen: i64,
    pub made_to_order: bool,
    /// For made-to-order pieces: the day they should be ready if ordered today.
    pub ready_by: Option<NaiveDate>,
    /// In stock now (stocked products).
    pub available: i64,
    /// The most this line may hold.
    pub max_quantity: i64,
    /// `cart.problem.*` when the line cannot be bought as it is.
    pub problem: Option<&'static str>,
}

impl Orders {
    /// The most of one product an order may hold, given its stock (or made-to-order).
    pub(crate) fn max_quantity(&self, made_to_order: bool, stock: i64) -> i64 {
        if made_to_order {
            self.config.made_to_order_max.min(self.config.line_max)
        } else {
            stock.clamp(0, self.config.line_max)
        }
    }

    /// The cart, priced, with each line's problems.
    pub async fn cart(&self, owner: CartOwner, lang: Lang) -> Result<CartView, AppError> {
        let today = self.clock.today();
        let this = self.clone();
        self.db
            .run(move |conn| {
                let Some(cart) = q::find(conn, &owner)? else {
                    return Ok(CartView::default());
                };
                Ok(this.price(q::items(conn, cart)?, lang, today))
            })
            .await
    }

    fn price(&self, rows: Vec<CartItemRow>, lang: Lang, today: NaiveDate) -> CartView {
        let mut view = CartView::default();
        for row in rows {
            let quantity = i64::from(row.quantity);
            let key = row.key();
            // A line that names a variant reads the variant's price, stock and lead time;
            // a variant gone or taken off sale makes the line unavailable.
            let variant = row.variant.as_ref().filter(|v| key.variant.is_some() && v.active);
            let (price_fen, stock, lead_time_days) = match variant {
                Some(v) => (v.price_fen, v.stock, v.lead_time_days.or(row.lead_time_days)),
                None => (row.price_fen, row.stock, row.lead_time_days),
            };
            let max_quantity = self.max_quantity(row.made_to_order, stock);
            let problem = if row.status != "active" || (key.variant.is_some() && variant.is_none()) {
                Some("cart.problem.unavailable")
            } else if !row.made_to_order && stock == 0 {
                Some("cart.problem.sold_out")
            } else if quantity > max_quantity {
                Some(if row.made_to_order { "cart.problem.too_many_made_to_order" } else { "cart.problem.not_enough" })
            } else {
                None
            };
            let line = CartLine {
                product_id: row.product_id,
                variant_id: key.variant.map(|v| v.get()),
                variant: row.variant.as_ref().map(|v| {
                    let label = v.label();
                    if lang == Lang::En {
                        label.en
                    } else {
                        label.zh
                    }
                }),
                sku: row.variant.as_ref().map(|v| v.sku.clone()),
                slug: row.slug,
                title: if lang == Lang::En && !row.title_en.is_empty() { row.title_en } else { row.title_zh },
                unit_price_fen: price_fen,
                quantity,
                line_fen: price_fen.saturating_mul(quantity),
                made_to_order: row.made_to_order,
                ready_by: row
                    .made_to_order
                    .then(|| today + chrono::TimeDelta::days(i64::from(lead_time_days.unwrap_or(0)))),
                available: stock,
                max_quantity,
                problem,
            };
            view.has_problems |= problem.is_some();
            view.count = view.count.saturating_add(quantity);
            let parcel = match view.parcels.last_mut() {
                Some(p) if p.workshop_id == row.workshop_id => p,
                _ => {
                    view.parcels.push(CartParcel {
                        workshop_id: row.workshop_id,
                        workshop_slug: row.workshop_slug,
                        workshop_name: if lang == Lang::En { row.workshop_name_en } else { row.workshop_name_zh },
                        lines: Vec::new(),
                        subtotal_fen: 0,
                        shipping_fen: row.shipping_flat_fen,
                        free_shipping_over_fen: row.free_shipping_over_fen,
                        short_of_free_fen: 0,
                    });
                    view.parcels.last_mut().unwrap_or_else(|| unreachable!("just pushed"))
                }
            };
            parcel.subtotal_fen = parcel.subtotal_fen.saturating_add(line.line_fen);
            parcel.lines.push(line);
        }
        for p in &mut view.parcels {
            let rule = ShippingRule { flat: Fen(p.shipping_fen), free_over: p.free_shipping_over_fen.map(Fen) };
            p.shipping_fen = rule.fee(Fen(p.subtotal_fen)).get();
            p.short_of_free_fen = p.free_shipping_over_fen.map_or(0, |t| t.saturating_sub(p.subtotal_fen).max(0));
            view.items_fen = view.items_fen.saturating_add(p.subtotal_fen);
            view.shipping_fen = view.shipping_fen.saturating_add(p.shipping_fen);
        }
        // A view only: sums are bounded by the quantity limits; they saturate, never wrap.
        view.total_fen = view.items_fen.saturating_add(view.shipping_fen);
        view
    }

    /// Adds `quantity` of a product, or of one of its variants (on top of what the cart holds).
    pub async fn add_to_cart(&self, owner: CartOwner, line: CartKey, quantity: i64) -> Result<(), AppError> {
        self.change_cart(owner, line, move |held| held.checked_add(quantity)).await
    }

    /// Sets a line's quantity; 0 removes it.
    pub async fn set_in_cart(&self, owner: CartOwner, line: CartKey, quantity: i64) -> Result<(), AppError> {
        self.change_cart(owner, line, move |_| Some(quantity)).await
    }

    async fn change_cart(
        &self,
        owner: CartOwner,
        product: CartKey,
        new_quantity: impl Fn(i64) -> Option<i64> + Send + 'static,
    ) -> Result<(), AppError> {
        let now = self.now();
        self.write(move |this, conn| {
            let cart = q::find_or_create(conn, &owner, now)?;
            // A sum past i64 is as wrong as a negative one: refused, never wrapped.
            let wanted = new_quantity(q::quantity(conn, cart, product)?)
                .ok_or(AppError::BadRequest { field: "quantity", key: "error.quantity_too_large" })?;
            if wanted < 0 {
                return Err(AppError::BadRequest { field: "quantity", key: "error.not_positive_integer" });
            }
            if wanted > 0 {
                this.check_quantity(conn, product, wanted)?;
                if q::quantity(conn, cart, product)? == 0
                    && q::count(conn, cart)? >= i64::try_from(this.config.cart_max_items).unwrap_or(i64::MAX)
                {
                    return Err(AppError::Conflict { key: "cart.error.full" });
                }
            }
            q::set_quantity(conn, cart, product, wanted, now)?;
            Ok(())
        })
        .await
    }

    /// Puts the lines of an uploaded order (a CSV's, each with its row number) in a cart, all
    /// or none: each product's quantity becomes the file's (its rows added up), so the same file
    /// sent twice leaves the same cart. The first line that cannot go in is refused as `lines`,
    /// naming its row.
    pub async fn fill_cart(&self, owner: CartOwner, rows: Vec<(usize, CartKey, i64)>) -> Result<usize, AppError> {
        let now = self.now();
        let mut merged: Vec<(usize, CartKey, i64)> = Vec::new();
        for (row, key, quantity) in rows {
            match merged.iter_mut().find(|m| m.1 == key) {
                Some(m) => {
                    m.2 = m
                        .2
                        .checked_add(quantity)
                        .ok_or_else(|| AppError::invalid("lines", "error.csv_quantity", &[("row", row.to_string())]))?;
                }
                None => merged.push((row, key, quantity)),
            }
        }
        let lines = merged;
        self.write(move |this, conn| {
            let cart = q::find_or_create(conn, &owner, now)?;
            let most = i64::try_from(this.config.cart_max_items).unwrap_or(i64::MAX);
            for (row, key, quantity) in &lines {
                let at = |key: &'static str, more: &[(&'static str, String)]| {
                    AppError::invalid("lines", key, &[&[("row", row.to_string())], more].concat())
                };
                let wanted = *quantity;
                match this.check_quantity(conn, *key, wanted) {
                    Ok(()) => {}
                    Err(AppError::Invalid { args, .. }) => return Err(at("error.csv_only_left", &args)),
                    Err(AppError::NotFound) | Err(AppError::BadRequest { .. }) => {
                        return Err(at("error.csv_product", &[]))
                    }
                    Err(AppError::Conflict { .. }) => return Err(at("error.csv_unavailable", &[])),
                    Err(e) => return Err(e),
                }
                if q::quantity(conn, cart, *key)? == 0 && q::count(conn, cart)? >= most {
                    return Err(at("error.csv_too_many", &[("max", most.to_string())]));
                }
                q::set_quantity(conn, cart, *key, wanted, now)?;
            }
            Ok(lines.len())
        })
        .await
    }

    /// Whether `quantity` of a product (of a variant of it) may go in a cart now.
    fn check_quantity(&self, conn: &mut crate::db::DbConn, line: CartKey, quantity: i64) -> Result<(), AppError> {
        let units = Units::load(conn, &[line])?;
        let unit = units.unit(line).map_err(|u| u.refusal())?;
        let p = unit.product;
        if p.status != "active" {
            return Err(AppError::Conflict { key: "cart.problem.unavailable" });
        }
        if !p.made_to_order && unit.stock() == 0 {
            return Err(AppError::Conflict { key: "cart.problem.sold_out" });
        }
        let max = self.max_quantity(p.made_to_order, unit.stock());
        if quantity > max {
            let key = if p.made_to_order { "cart.error.made_to_order_max" } else { "cart.error.only_left" };
            return Err(AppError::invalid("quantity", key, &[("max", max.to_string())]));
        }
        Ok(())
    }

    /// Moves a browser's cart into the account that just signed in: quantities add up to what
    /// each product allows, and the browser's cart is gone.
    pub async fn merge_cart(&self, browser: CartOwner, user: i64) -> Result<(), AppError> {
        let now = self.now();
        self.write(move |this, conn| {
            let Some(from) = q::find(conn, &browser)? else {
                return Ok(());
            };
            let into = q::find_or_create(conn, &CartOwner::User(user), now)?;
            let lines = q::lines(conn, from)?;
            let keys: Vec<CartKey> = lines.iter().map(|(k, _)| *k).collect();
            let units = Units::load(conn, &keys)?;
            for (line, quantity) in lines {
                let held = q::quantity(conn, into, line)?;
                // A line whose product or variant is gone stays behind with the browser's cart.
                let Ok(unit) = units.unit(line) else { continue };
                let max = this.max_quantity(unit.product.made_to_order, unit.stock()).max(held);
                q::set_quantity(conn, into, line, held.saturating_add(quantity).min(max).max(held), now)?;
            }
            q::delete(conn, from)?;
            Ok(())
        })
        .await
    }
}

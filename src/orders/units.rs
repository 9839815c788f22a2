//! What one cart or order line sells: a product, and its variant when the product has
//! variants. The variant's price, stock and lead time apply; everything else (makers, shares,
//! wage rule, workshop) is the product's.

use crate::db::carts::CartKey;
use crate::db::orders::SaleProduct;
use crate::db::variants::{self, VariantRow};
use crate::db::DbConn;
use crate::domain::ids::ProductId;
use crate::error::AppError;
use std::collections::BTreeMap;

/// A line's product and variant, resolved.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unit<'a> {
    pub product: &'a SaleProduct,
    pub variant: Option<&'a VariantRow>,
}

impl Unit<'_> {
    /// The price of one piece: the variant's, or the product's.
    pub fn price_fen(&self) -> i64 {
        self.variant.map_or(self.product.price_fen, |v| v.price_fen)
    }

    /// Pieces in stock: the variant's, or the product's.
    pub fn stock(&self) -> i64 {
        self.variant.map_or(self.product.stock, |v| v.stock)
    }

    /// Days to make one (made-to-order): the variant's own, or the product's.
    pub fn lead_time_days(&self) -> Option<i32> {
        self.variant.and_then(|v| v.lead_time_days).or(self.product.lead_time_days)
    }

    /// The title with the variant's label, in a language: "苗银手镯（17 cm）".
    pub fn title(&self, en: bool) -> String {
        let p = self.product;
        let title = if en && !p.title_en.is_empty() { &p.title_en } else { &p.title_zh };
        match self.variant {
            Some(v) => {
                let label = v.label();
                if en {
                    format!("{title} ({})", label.en)
                } else {
                    format!("{title}（{}）", label.zh)
                }
            }
            None => title.clone(),
        }
    }
}

/// The products of some lines and the active variants of those that have any.
#[derive(Debug, Default)]
pub(crate) struct Units {
    pub products: BTreeMap<i64, SaleProduct>,
    variants: BTreeMap<i64, Vec<VariantRow>>,
}

/// Why a line cannot be resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unresolved {
    /// No such product (or none on sale).
    NoProduct,
    /// The product has variants and the line names none.
    ChooseVariant,
    /// The line names a variant the product does not have on sale.
    NoVariant,
}

impl Units {
    /// Reads the products (and their variants) of these lines.
    pub fn load(conn: &mut DbConn, keys: &[CartKey]) -> Result<Units, AppError> {
        let mut ids: Vec<i64> = keys.iter().map(|k| k.product).collect();
        ids.dedup();
        let products: BTreeMap<i64, SaleProduct> =
            crate::db::orders::sale_products(conn, &ids)?.into_iter().map(|p| (p.id, p)).collect();
        let mut by_product: BTreeMap<i64, Vec<VariantRow>> = BTreeMap::new();
        let typed: Vec<ProductId> = products.keys().map(|id| ProductId(*id)).collect();
        for v in variants::variants_of(conn, &typed, true)? {
            by_product.entry(v.product_id).or_default().push(v);
        }
        Ok(Units { products, variants: by_product })
    }

    /// The unit a line sells.
    pub fn unit(&self, key: CartKey) -> Result<Unit<'_>, Unresolved> {
        let product = self.products.get(&key.product).ok_or(Unresolved::NoProduct)?;
        let on_sale = self.variants.get(&key.product);
        match (key.variant, on_sale) {
            (None, None) => Ok(Unit { product, variant: None }),
            (None, Some(_)) => Err(Unresolved::ChooseVariant),
            (Some(v), Some(list)) => list
                .iter()
                .find(|row| row.id == v.get())
                .map(|row| Unit { product, variant: Some(row) })
                .ok_or(Unresolved::NoVariant),
            (Some(_), None) => Err(Unresolved::NoVariant),
        }
    }
}

impl Unresolved {
    /// The refusal of a cart change: the field is the one the buyer chose with.
    pub fn refusal(self) -> AppError {
        match self {
            Unresolved::NoProduct => AppError::NotFound,
            Unresolved::ChooseVariant => AppError::BadRequest { field: "variant_id", key: "cart.error.choose_variant" },
            Unresolved::NoVariant => AppError::BadRequest { field: "variant_id", key: "error.choice" },
        }
    }
}

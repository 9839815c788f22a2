//! Generated sales for the ledger's property tests and benchmark: random orders over the
//! catalogue's products and workers — random prices, quantities, commission and wage rules,
//! 1 to 7 makers with random shares — written in bulk, then paid, delivered and refunded
//! through the same functions the application uses, so what is measured and tested is the
//! real posting path.

use crate::db::accounts::{self as users, NewUser};
use crate::db::orders::{NewLine, NewOrder};
use crate::db::refunds::{self as rq, NewRefund};
use crate::db::schema::{order_line_makers, order_lines, orders, products, shipments, workers};
use crate::db::variants::VariantRow;
use crate::db::DbConn;
use crate::error::AppError;
use crate::orders::Orders;
use crate::seed::generate::Dice;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

/// A product that generated lines may sell.
#[derive(Debug, Clone)]
pub struct Product {
    pub id: i64,
    pub workshop_id: i64,
    pub heritage_item_id: i64,
    pub county_code: String,
    pub trace_code: String,
    /// Its variants on sale: a line of such a product sells one of them, at its price.
    pub variants: Vec<VariantRow>,
}

/// What generated orders draw from: the catalogue's products, each workshop's workers, and
/// a buyer.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub products: Vec<Product>,
    pub workers: HashMap<i64, Vec<i64>>,
    pub buyer: i64,
    /// Every designer, for design shares (none: no line gets one).
    pub designers: Vec<i64>,
}

impl Catalogue {
    /// Reads the catalogue (products of workshops with workers) and makes the buyer.
    pub fn load(conn: &mut DbConn, now: NaiveDateTime) -> Result<Catalogue, AppError> {
        let mut workers: HashMap<i64, Vec<i64>> = HashMap::new();
        for (id, workshop) in
            workers::table.order(workers::id).select((workers::id, workers::workshop_id)).load::<(i64, i64)>(conn)?
        {
            workers.entry(workshop).or_default().push(id);
        }
        let rows: Vec<(i64, i64, i64, String)> = products::table
            .order(products::id)
            .select((products::id, products::workshop_id, products::heritage_item_id, products::trace_code))
            .load(conn)?;
        let counties: HashMap<i64, String> = crate::db::schema::workshops::table
            .select((crate::db::schema::workshops::id, crate::db::schema::workshops::county_code))
            .load::<(i64, String)>(conn)?
            .into_iter()
            .collect();
        let mut variants: HashMap<i64, Vec<VariantRow>> = HashMap::new();
        for v in crate::db::variants::all_on_sale(conn)? {
            variants.entry(v.product_id).or_default().push(v);
        }
        let products = rows
            .into_iter()
            .filter(|(_, w, _, _)| workers.contains_key(w))
            .map(|(id, workshop_id, heritage_item_id, trace_code)| Product {
                id,
                workshop_id,
                heritage_item_id,
                county_code: counties.get(&workshop_id).cloned().unwrap_or_default(),
                trace_code,
                variants: variants.remove(&id).unwrap_or_default(),
            })
            .collect::<Vec<_>>();
        if products.is_empty() {
            return Err(AppError::Internal(anyhow::anyhow!("no products with workers to sell: seed the demo first")));
        }
        let email = "generated-buyer@gongfang.invalid";
        let buyer = match users::user_by_email(conn, email)? {
            Some(u) => u.id,
            None => users::insert_user(
                conn,
                &NewUser {
                    email: email.into(),
                    password_hash: "!".into(),
                    display_name: "Generated buyer".into(),
                    lang: "en".into(),
                    role: "buyer".into(),
                    workshop_id: None,
                    region_code: None,
                    is_demo: true,
                    created_at: now,
                    updated_at: now,
                },
            )?,
        };
        let designers = crate::db::schema::designers::table
            .order(crate::db::schema::designers::id)
            .select(crate::db::schema::designers::id)
            .load(conn)?;
        Ok(Catalogue { products, workers, buyer, designers })
    }
}

/// One generated line.
#[derive(Debug, Clone)]
pub struct LineSpec {
    pub product: usize,
    /// Which of the product's variants, if it has any.
    pub variant: Option<usize>,
    pub unit_price_fen: i64,
    pub quantity: i32,
    pub commission_bp: i32,
    pub wage_bp: Option<i32>,
    pub piece_rate_fen: Option<i64>,
    pub makers: Vec<(i64, i32)>,
    /// A designer's share `(designer id, bp)`, with the wage share at most 10,000 bp together.
    pub designer: Option<(i64, i32)>,
}

/// One generated order: lines of distinct products, and each workshop's shipping fee.
#[derive(Debug, Clone)]
pub struct OrderSpec {
    pub lines: Vec<LineSpec>,
    pub shipping: HashMap<i64, i64>,
}

/// Random basis points for `n` shares that sum to exactly 10,000.
fn shares(dice: &mut Dice, n: usize) -> Vec<i32> {
    let weights: Vec<u64> = (0..n).map(|_| 1 + dice.below(100)).collect();
    let total: u64 = weights.iter().sum();
    let mut bps: Vec<i32> = weights.iter().map(|w| (w * 10_000 / total) as i32).collect();
    bps[0] += 10_000 - bps.iter().sum::<i32>();
    bps
}

/// A random order of 1 to `max_lines` lines.
pub fn random_order(dice: &mut Dice, cat: &Catalogue, max_lines: u64, max_makers: u64) -> OrderSpec {
    let n = 1 + dice.below(max_lines) as usize;
    let mut picked: Vec<usize> = Vec::new();
    for _ in 0..n {
        let p = dice.below(cat.products.len() as u64) as usize;
        if !picked.contains(&p) {
            picked.push(p);
        }
    }
    let mut shipping = HashMap::new();
    let lines = picked
        .into_iter()
        .map(|p| {
            let product = &cat.products[p];
            shipping.entry(product.workshop_id).or_insert_with(|| [0, 0, 800, 1000, 1500][dice.below(5) as usize]);
            let pool = cat.workers.get(&product.workshop_id).cloned().unwrap_or_default();
            let count = (1 + dice.below(max_makers) as usize).min(pool.len()).max(1);
            let start = dice.below(pool.len() as u64) as usize;
            let mut makers: Vec<i64> = (0..count).map(|i| pool[(start + i) % pool.len()]).collect();
            makers.sort_unstable();
            makers.dedup();
            let bps = shares(dice, makers.len());
            let piece = dice.chance(25);
            // A product with variants sells one of them at its own price; any other at a
            // price from ¥0.01 to ¥20,000, most of them ordinary.
            let variant = (!product.variants.is_empty()).then(|| dice.below(product.variants.len() as u64) as usize);
            let unit_price_fen = match variant.and_then(|v| product.variants.get(v)) {
                Some(v) => v.price_fen,
                None if dice.chance(5) => 1 + dice.below(100) as i64,
                None => 100 + dice.below(2_000_000) as i64,
            };
            // Drawn in the order they always were, so that a seed generates what it did.
            let quantity = {
                let most = if dice.chance(10) { 20 } else { 3 };
                1 + dice.below(most) as i32
            };
            let commission_bp = dice.below(3_001) as i32;
            let wage_bp = (!piece).then(|| dice.below(10_001) as i32);
            let piece_rate_fen = piece.then(|| dice.below(200_000) as i64);
            // Designers only where the catalogue has some, so that the draws (and what a seed
            // generates) are as before without them.
            let designer = (!cat.designers.is_empty() && dice.chance(30)).then(|| {
                let d = cat.designers[dice.below(cat.designers.len() as u64) as usize];
                let room = 10_000 - wage_bp.unwrap_or(0);
                (d, dice.below(room as u64 + 1) as i32)
            });
            LineSpec {
                product: p,
                variant,
                unit_price_fen,
                quantity,
                commission_bp,
                wage_bp,
                piece_rate_fen,
                makers: makers.into_iter().zip(bps).collect(),
                designer,
            }
        })
        .collect();
    OrderSpec { lines, shipping }
}

/// The ids of one written order.
#[derive(Debug, Clone)]
pub struct Written {
    pub order: i64,
    pub shipments: Vec<i64>,
    pub lines: Vec<i64>,
}

/// Writes orders as paid at `now` (in bulk, in the caller's transaction); `prefix` keeps
/// their numbers unique across calls.
pub fn write_paid_orders(
    conn: &mut DbConn,
    cat: &Catalogue,
    specs: &[OrderSpec],
    prefix: &str,
    now: NaiveDateTime,
) -> Result<Vec<Written>, AppError> {
    let new_orders: Vec<NewOrder> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let items: i64 = s.lines.iter().map(|l| l.unit_price_fen * i64::from(l.quantity)).sum();
            let shipping: i64 = s.shipping.values().sum();
            NewOrder {
                number: format!("{prefix}-{i}"),
                user_id: cat.buyer,
                idempotency_key: format!("{prefix}-{i}"),
                request_digest: String::new(),
                status: "paid".into(),
                payment_method: crate::domain::order::PaymentMethod::BankTransfer.as_str().into(),
                currency: "CNY".into(),
                items_fen: items,
                shipping_fen: shipping,
                total_fen: items + shipping,
                buyer_email: "generated-buyer@gongfang.invalid".into(),
                lang: "en".into(),
                recipient: "Generated".into(),
                phone: "+8613800000000".into(),
                country: "US".into(),
                region_code: None,
                region_text: "Generated".into(),
                address_line: "1 Generated Road".into(),
                postal_code: String::new(),
                reserved_until: now,
                created_at: now,
                updated_at: now,
            }
        })
        .collect();
    let mut order_ids: HashMap<String, i64> = HashMap::new();
    for chunk in new_orders.chunks(500) {
        let got: Vec<(i64, String)> = match conn {
            DbConn::Sqlite(c) => diesel::insert_into(orders::table)
                .values(chunk)
                .returning((orders::id, orders::number))
                .get_results(c)?,
            DbConn::Postgresql(c) => diesel::insert_into(orders::table)
                .values(chunk)
                .returning((orders::id, orders::number))
                .get_results(c)?,
        };
        order_ids.extend(got.into_iter().map(|(id, n)| (n, id)));
    }
    let ids: Vec<i64> =
        (0..specs.len()).map(|i| order_ids.get(&format!("{prefix}-{i}")).copied().unwrap_or(0)).collect();
    for chunk in ids.chunks(2_000) {
        diesel::update(orders::table.filter(orders::id.eq_any(chunk)))
            .set(orders::paid_at.eq(Some(now)))
            .execute(conn)?;
    }

    let ship_rows: Vec<_> = specs
        .iter()
        .zip(&ids)
        .flat_map(|(s, order)| {
            let mut w: Vec<(&i64, &i64)> = s.shipping.iter().collect();
            w.sort();
            w.into_iter().map(move |(workshop, fen)| {
                (
                    shipments::order_id.eq(*order),
                    shipments::workshop_id.eq(*workshop),
                    shipments::status.eq("pending"),
                    shipments::shipping_fen.eq(*fen),
                )
            })
        })
        .collect();
    let mut shipment_ids: HashMap<(i64, i64), i64> = HashMap::new();
    for chunk in ship_rows.chunks(1_000) {
        let cols = (shipments::id, shipments::order_id, shipments::workshop_id);
        let got: Vec<(i64, i64, i64)> = match conn {
            DbConn::Sqlite(c) => diesel::insert_into(shipments::table).values(chunk).returning(cols).get_results(c)?,
            DbConn::Postgresql(c) => {
                diesel::insert_into(shipments::table).values(chunk).returning(cols).get_results(c)?
            }
        };
        shipment_ids.extend(got.into_iter().map(|(id, o, w)| ((o, w), id)));
    }

    let mut new_lines = Vec::new();
    for (s, order) in specs.iter().zip(&ids) {
        for l in &s.lines {
            let p = &cat.products[l.product];
            let variant = l.variant.and_then(|v| p.variants.get(v));
            let label = variant.map(VariantRow::label);
            new_lines.push(NewLine {
                order_id: *order,
                shipment_id: shipment_ids.get(&(*order, p.workshop_id)).copied().unwrap_or(0),
                product_id: p.id,
                workshop_id: p.workshop_id,
                heritage_item_id: p.heritage_item_id,
                county_code: p.county_code.clone(),
                title_zh: "生成的作品".into(),
                title_en: "Generated piece".into(),
                trace_code: p.trace_code.clone(),
                unit_price_fen: l.unit_price_fen,
                quantity: l.quantity,
                commission_bp: l.commission_bp,
                wage_rule: if l.wage_bp.is_some() { "share_of_net".into() } else { "piece_rate".into() },
                wage_bp: l.wage_bp,
                piece_rate_fen: l.piece_rate_fen,
                designer_id: l.designer.map(|d| d.0),
                designer_bp: l.designer.map_or(0, |d| d.1),
                made_to_order: false,
                lead_time_days: None,
                variant_id: variant.map(|v| v.id),
                sku: variant.map(|v| v.sku.clone()),
                variant_zh: label.as_ref().map(|l| l.zh.clone()),
                variant_en: label.map(|l| l.en),
            });
        }
    }
    let mut line_ids: HashMap<(i64, i64), i64> = HashMap::new();
    for chunk in new_lines.chunks(1_000) {
        let cols = (order_lines::id, order_lines::order_id, order_lines::product_id);
        let got: Vec<(i64, i64, i64)> = match conn {
            DbConn::Sqlite(c) => {
                diesel::insert_into(order_lines::table).values(chunk).returning(cols).get_results(c)?
            }
            DbConn::Postgresql(c) => {
                diesel::insert_into(order_lines::table).values(chunk).returning(cols).get_results(c)?
            }
        };
        line_ids.extend(got.into_iter().map(|(id, o, p)| ((o, p), id)));
    }
    let mut makers = Vec::new();
    let mut out = Vec::with_capacity(specs.len());
    for (s, order) in specs.iter().zip(&ids) {
        let mut lines = Vec::new();
        for l in &s.lines {
            let line = line_ids.get(&(*order, cat.products[l.product].id)).copied().unwrap_or(0);
            lines.push(line);
            for (worker, bp) in &l.makers {
                makers.push((
                    order_line_makers::order_line_id.eq(line),
                    order_line_makers::worker_id.eq(*worker),
                    order_line_makers::role.eq("maker"),
                    order_line_makers::share_bp.eq(*bp),
                ));
            }
        }
        let mut ships: Vec<i64> = s.shipping.keys().filter_map(|w| shipment_ids.get(&(*order, *w)).copied()).collect();
        ships.sort_unstable();
        out.push(Written { order: *order, shipments: ships, lines });
    }
    for chunk in makers.chunks(2_000) {
        crate::insert_batch!(conn, order_line_makers::table, chunk)?;
    }
    Ok(out)
}

/// Marks parcels shipped and delivered at `at`.
pub fn deliver(conn: &mut DbConn, shipment_ids: &[i64], at: NaiveDateTime) -> Result<usize, AppError> {
    let mut n = 0;
    for chunk in shipment_ids.chunks(2_000) {
        n += diesel::update(shipments::table.filter(shipments::id.eq_any(chunk)))
            .set((
                shipments::status.eq("delivered"),
                shipments::shipped_at.eq(Some(at)),
                shipments::delivered_at.eq(Some(at)),
                shipments::delivered_by.eq(Some("auto")),
            ))
            .execute(conn)?;
    }
    Ok(n)
}

/// What a generated refund is of.
#[derive(Debug, Clone, Copy)]
pub enum RefundOf {
    /// `amount` fen of a line (`quantity` pieces returned).
    Line { line: i64, quantity: i32, amount: i64 },
    /// What is left of a parcel's shipping.
    Shipping { shipment: i64, amount: i64 },
}

/// Refunds as the application completes an offline refund: the refund row, then
/// [`Orders::complete_refund`], which posts its reversal to the journal. Returns false when
/// nothing is left to refund.
pub fn refund(
    orders: &Orders,
    conn: &mut DbConn,
    order: i64,
    of: RefundOf,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let (line, shipment, quantity, amount) = match of {
        RefundOf::Line { line, quantity, amount } => (Some(line), None, quantity, amount),
        RefundOf::Shipping { shipment, amount } => (None, Some(shipment), 0, amount),
    };
    if amount <= 0 {
        return Ok(false);
    }
    let id = rq::insert_refund(
        conn,
        &NewRefund {
            order_id: order,
            order_line_id: line,
            shipment_id: shipment,
            quantity,
            amount_fen: amount,
            reason: "generated".into(),
            status: "pending".into(),
            requested_by: None,
            decided_by: None,
            created_at: now,
            updated_at: now,
        },
    )?;
    let row = rq::refund(conn, id)?.ok_or(AppError::NotFound)?;
    orders.complete_refund(conn, &row, None)?;
    Ok(true)
}

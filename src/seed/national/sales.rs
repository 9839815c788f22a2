//! The national dataset's sales, day by day over the period in time order: paid orders of
//! one or two workshops, their parcels and lines with the terms frozen, and the journal
//! entries the app's rules give for them ([`super::ledger`]), written a few thousand orders
//! per transaction.

use super::ledger::{Journal, RefundPlan};
use super::model::{shift, Plan, World};
use super::rows::{LineMakerRow, LineRow, OrderRow, PaymentRow, SalesRows, ShipmentRow};
use crate::db::ledger::LineTermsRow;
use crate::db::DbConn;
use crate::domain::order::PaymentMethod;
use crate::seed::generate::Dice;
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};

/// Orders written per transaction.
const ORDERS_PER_TX: usize = 2_000;
/// Free shipping from this subtotal, else a flat fee (the workshops' default rule).
const FREE_OVER_FEN: i64 = 29_900;
const FLAT_FEN: i64 = 1_000;
const CARRIERS: [&str; 4] = ["顺丰速运", "中国邮政", "中通快递", "圆通速递"];

/// The next ids of the sales tables.
#[derive(Debug, Clone, Copy)]
pub struct NextIds {
    pub order: i64,
    pub shipment: i64,
    pub line: i64,
    pub payment: i64,
    pub refund: i64,
    pub entry: i64,
}

/// What the sales phase wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct Totals {
    pub orders: usize,
    pub lines: usize,
    pub refunds: usize,
    pub entries: usize,
    pub postings: usize,
}

/// The share of a day's sales, in thousandths: growing over the period, high before
/// Double Eleven and in December, low around the Spring Festival.
fn day_weight(plan: &Plan, day: NaiveDate) -> u64 {
    use chrono::Datelike;
    let days = (plan.today - plan.start).num_days().max(1) as u64;
    let i = (day - plan.start).num_days().max(0) as u64;
    let season = match (day.month(), day.day()) {
        (11, 1..=11) => 220,
        (11, _) => 140,
        (12, _) => 130,
        (1, 20..) | (2, ..=15) => 60,
        _ => 100,
    };
    (1_000 + 800 * i / days) * season / 100
}

/// Writes the period's sales; `progress` counts lines. One thread generates the batches while
/// another writes them, each batch in its own transaction.
pub fn write(
    conn: &mut DbConn,
    world: &World,
    plan: &Plan,
    ids: NextIds,
    progress: Option<&indicatif::ProgressBar>,
) -> anyhow::Result<Totals> {
    let (batches, received) = std::sync::mpsc::sync_channel::<SalesRows>(2);
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> anyhow::Result<(usize, usize)> {
            let (mut entries, mut postings) = (0, 0);
            for rows in received {
                crate::db::tx::write(&mut *conn, |c| rows.insert(c))?;
                entries += rows.entries.len();
                postings += rows.postings.len();
                if let Some(bar) = progress {
                    bar.inc(rows.lines.len() as u64);
                }
            }
            Ok((entries, postings))
        });
        let generated = generate(world, plan, ids, batches);
        let (entries, postings) = writer.join().map_err(|_| anyhow::anyhow!("the writing thread panicked"))??;
        Ok(Totals { entries, postings, ..generated? })
    })
}

/// Generates the sales in time order and sends them in batches of [`ORDERS_PER_TX`] orders.
fn generate(
    world: &World,
    plan: &Plan,
    ids: NextIds,
    batches: std::sync::mpsc::SyncSender<SalesRows>,
) -> anyhow::Result<Totals> {
    let mut s = Sales {
        world,
        plan,
        dice: Dice(0x7361_6c65_7300 ^ plan.lines as u64),
        ids,
        rows: SalesRows::default(),
        journal: Journal::new(ids.entry, ids.refund),
        shop_weights: world
            .shops
            .iter()
            .scan(0u64, |acc, s| {
                *acc += if s.products.is_empty() { 0 } else { s.popularity };
                Some(*acc)
            })
            .collect(),
        totals: Totals::default(),
        batches,
    };
    let days: Vec<NaiveDate> = (0..=(plan.today - plan.start).num_days()).map(|d| shift(plan.start, d)).collect();
    let weights: Vec<u64> = days.iter().map(|d| day_weight(plan, *d)).collect();
    let total_weight: u128 = weights.iter().map(|w| u128::from(*w)).sum::<u128>().max(1);
    let china_now = plan.now + TimeDelta::hours(8);
    let mut cumulative: u128 = 0;
    for (day, weight) in days.iter().zip(&weights) {
        cumulative += u128::from(*weight);
        let target = (plan.lines as u128 * cumulative / total_weight) as usize;
        let last_day = *day == plan.today;
        // Seconds of the China day that have passed (all of them before today).
        let horizon =
            if last_day { (china_now - day.and_time(chrono::NaiveTime::MIN)).num_seconds().max(1) } else { 86_400 };
        loop {
            let mut budget = target.saturating_sub(s.totals.lines);
            let mut slots = Vec::new();
            while budget > 0 {
                let n = (1 + s.dice.below(3) as usize + s.dice.below(4) as usize).min(budget);
                let secs = if s.dice.chance(90) { 25_200 + s.dice.below(61_200) } else { s.dice.below(25_200) };
                slots.push((secs as i64 % horizon, n));
                budget -= n;
            }
            slots.sort_unstable();
            for (secs, n) in slots {
                let at = day.and_time(chrono::NaiveTime::MIN) + TimeDelta::seconds(secs) - TimeDelta::hours(8);
                s.order(*day, at.min(plan.now), n)?;
                if s.rows.orders.len() >= ORDERS_PER_TX {
                    s.flush()?;
                }
            }
            if !last_day || s.totals.lines >= target {
                break;
            }
        }
    }
    s.journal.refunds_due(&mut s.rows, plan.now)?;
    s.flush()?;
    s.totals.refunds = s.journal.refunds_written;
    Ok(s.totals)
}

struct Sales<'a> {
    world: &'a World,
    plan: &'a Plan,
    dice: Dice,
    ids: NextIds,
    rows: SalesRows,
    journal: Journal,
    shop_weights: Vec<u64>,
    totals: Totals,
    batches: std::sync::mpsc::SyncSender<SalesRows>,
}

impl Sales<'_> {
    /// A workshop selling on `day`, by popularity.
    fn shop(&mut self, day: NaiveDate, not: Option<usize>) -> Option<usize> {
        let total = self.shop_weights.last().copied().unwrap_or(0);
        for _ in 0..50 {
            let x = self.dice.below(total.max(1));
            let i = self.shop_weights.partition_point(|c| *c <= x);
            if self.world.shops.get(i).is_some_and(|s| s.open_on(day) && !s.products.is_empty()) && Some(i) != not {
                return Some(i);
            }
        }
        self.world.shops.iter().position(|s| s.open_on(day) && !s.products.is_empty())
    }

    /// Up to `n` distinct products of a workshop, added to `picks`.
    fn pick_products(&mut self, shop: usize, n: usize, picks: &mut Vec<usize>) {
        let range = self.world.shops[shop].products.clone();
        let mut pool: Vec<usize> = range.collect();
        while picks.len() < n && !pool.is_empty() {
            picks.push(pool.swap_remove(self.dice.below(pool.len() as u64) as usize));
        }
    }

    /// One paid order of `n` lines (fewer if its workshops have fewer products), sold at `at`.
    fn order(&mut self, day: NaiveDate, at: NaiveDateTime, n: usize) -> anyhow::Result<()> {
        let Some(first) = self.shop(day, None) else { anyhow::bail!("no workshop sells on {day}") };
        let mut picks = Vec::with_capacity(n);
        let split = n > 1 && self.dice.chance(12);
        self.pick_products(first, if split { n - 1 } else { n }, &mut picks);
        if picks.len() < n {
            if let Some(second) = self.shop(day, Some(first)) {
                self.pick_products(second, n, &mut picks);
            }
        }
        let (plan, world) = (self.plan, self.world);
        let order_id = self.ids.order;
        self.ids.order += 1;
        let buyer = &world.buyers[self.dice.below(world.buyers.len() as u64) as usize];
        let mut shops: Vec<usize> = Vec::new();
        for p in &picks {
            let s = world.items[*p].shop;
            if !shops.contains(&s) {
                shops.push(s);
            }
        }
        let (mut items_fen, mut shipping_fen, mut refunded_fen, mut updated) = (0i64, 0i64, 0i64, at);
        let mut captures = Vec::new();
        let mut parcels = Vec::new();
        for s in shops {
            let shop = &world.shops[s];
            let shipment_id = self.ids.shipment;
            self.ids.shipment += 1;
            let mine: Vec<usize> = picks.iter().copied().filter(|p| world.items[*p].shop == s).collect();
            let lead = mine.iter().filter_map(|p| world.items[*p].lead_time_days).max().unwrap_or(0);
            let shipped = at
                + TimeDelta::days(1 + self.dice.below(3) as i64 + i64::from(lead))
                + TimeDelta::minutes(self.dice.below(600) as i64);
            let auto = self.dice.chance(20);
            let delivered = shipped
                + TimeDelta::days(if auto { 15 } else { 2 + self.dice.below(5) as i64 })
                + TimeDelta::minutes(self.dice.below(600) as i64);
            let (status, shipped_at, delivered_at) = match (shipped <= plan.now, delivered <= plan.now) {
                (true, true) => ("delivered", Some(shipped), Some(delivered)),
                (true, false) => ("shipped", Some(shipped), None),
                _ => ("pending", None, None),
            };
            let mut subtotal = 0;
            let first_line = self.ids.line;
            for p in mine {
                let item = &world.items[p];
                let line_id = self.ids.line;
                self.ids.line += 1;
                let quantity = match self.dice.below(100) {
                    0..72 => 1,
                    72..90 => 2,
                    _ => 3 + self.dice.below(3) as i32,
                };
                let unit = item.price_fen * (1_000 + 8 * plan.quarter(day)) / 1_000;
                let mut makers = world.makers(plan, p, day);
                makers.sort_unstable_by_key(|m| m.0);
                let terms_row = LineTermsRow {
                    id: line_id,
                    order_id,
                    shipment_id,
                    workshop_id: shop.id,
                    unit_price_fen: unit,
                    quantity,
                    commission_bp: shop.commission_bp,
                    wage_rule: if item.wage_bp.is_some() { "share_of_net" } else { "piece_rate" }.into(),
                    wage_bp: item.wage_bp,
                    piece_rate_fen: item.piece_rate_fen,
                    refunded_fen: 0,
                    designer_id: None,
                    designer_bp: 0,
                };
                let pairs: Vec<(i64, i32)> = makers.iter().map(|m| (m.0, m.1)).collect();
                let terms = crate::payouts::ledger::line_terms(&terms_row, &pairs)?;
                let gross = terms.gross().get();
                let refund =
                    RefundPlan::draw(&mut self.dice, gross, quantity, item.made_to_order, at, delivered_at, plan.now);
                let (refunded, refunded_quantity) = refund.totals();
                refunded_fen += refunded;
                updated = updated.max(refund.last_at().unwrap_or(at));
                self.rows.makers.extend(makers.iter().map(|(worker_id, share_bp, role)| LineMakerRow {
                    order_line_id: line_id,
                    worker_id: *worker_id,
                    role,
                    share_bp: *share_bp,
                }));
                self.rows.lines.push(LineRow {
                    id: line_id,
                    order_id,
                    shipment_id,
                    product_id: item.id,
                    workshop_id: shop.id,
                    heritage_item_id: item.heritage_item_id,
                    county_code: shop.county_code.clone(),
                    title_zh: item.title_zh.clone(),
                    title_en: item.title_en.clone(),
                    trace_code: item.trace_code.clone(),
                    unit_price_fen: unit,
                    quantity,
                    commission_bp: shop.commission_bp,
                    wage_rule: if item.wage_bp.is_some() { "share_of_net" } else { "piece_rate" },
                    wage_bp: item.wage_bp,
                    piece_rate_fen: item.piece_rate_fen,
                    made_to_order: item.made_to_order,
                    lead_time_days: item.lead_time_days,
                    refunded_quantity,
                    refunded_fen: refunded,
                    settled_at: delivered_at.map(|d| d + TimeDelta::days(7)).filter(|s| *s <= plan.now),
                });
                subtotal += gross;
                captures.push((line_id, shop.id, terms, refund));
            }
            let fee = if subtotal >= FREE_OVER_FEN { 0 } else { FLAT_FEN };
            items_fen += subtotal;
            shipping_fen += fee;
            parcels.push((first_line, shop.id, fee));
            let carrier = CARRIERS[(shipment_id % 4) as usize];
            self.rows.shipments.push(ShipmentRow {
                id: shipment_id,
                order_id,
                workshop_id: shop.id,
                status,
                shipping_fen: fee,
                carrier: shipped_at.map(|_| carrier),
                tracking_number: shipped_at.map(|_| format!("GF{shipment_id:012}")),
                shipped_at,
                delivered_at,
                delivered_by: delivered_at.map(|_| if auto { "auto" } else { "buyer" }),
            });
        }
        self.totals.lines += captures.len();
        self.totals.orders += 1;
        // The journal, in time order: refunds that fell due before this sale, then its capture.
        self.journal.refunds_due(&mut self.rows, at)?;
        let status_of = |w: i64| world.person(w).and_then(|p| p.status_on(day));
        self.journal.capture(&mut self.rows, order_id, at, captures, &parcels, &status_of)?;

        let total = items_fen + shipping_fen;
        let number = order_number(day, order_id);
        let (payment_method, provider, provider_ref) = if order_id % 10 < 3 {
            (PaymentMethod::Stripe.as_str(), "stripe", format!("pi_nat{order_id:012}"))
        } else {
            (PaymentMethod::BankTransfer.as_str(), "offline", format!("BANK-{number}"))
        };
        let created = at - TimeDelta::minutes(1 + self.dice.below(40) as i64);
        self.rows.orders.push(OrderRow {
            id: order_id,
            idempotency_key: format!("nat-{order_id}"),
            number,
            user_id: buyer.id,
            request_digest: "",
            status: match refunded_fen {
                0 => "paid",
                r if r >= total => "refunded",
                _ => "partially_refunded",
            },
            payment_method,
            currency: "CNY",
            items_fen,
            shipping_fen,
            total_fen: total,
            refunded_fen,
            buyer_email: buyer.email.clone(),
            lang: "zh",
            recipient: "收件人（生成）",
            phone: "+8613800000000",
            country: if buyer.county.is_some() { "CN" } else { "US" },
            region_code: buyer.county.clone(),
            region_text: buyer.region_text.clone(),
            address_line: "生成的地址 1 号",
            postal_code: "",
            reserved_until: created + TimeDelta::minutes(30),
            created_at: created,
            updated_at: updated,
            paid_at: Some(at),
        });
        let payment_id = self.ids.payment;
        self.ids.payment += 1;
        self.rows.payments.push(PaymentRow {
            id: payment_id,
            order_id,
            provider,
            provider_ref,
            amount_fen: total,
            currency: "CNY",
            status: "succeeded",
            created_at: created,
            updated_at: at,
        });
        Ok(())
    }

    /// Hands the batch to the writing thread (which, if it has stopped, reports why).
    fn flush(&mut self) -> anyhow::Result<()> {
        let rows = std::mem::take(&mut self.rows);
        self.batches.send(rows).map_err(|_| anyhow::anyhow!("the writing thread stopped"))
    }
}

/// An order number as the app makes them (`GF` + date + six characters), the six characters
/// a bijection of the order id, so generated numbers never collide.
fn order_number(day: NaiveDate, order_id: i64) -> String {
    let x = (order_id.unsigned_abs().wrapping_mul(0x9E37_79B1)) & ((1 << 30) - 1);
    let bytes: [u8; 6] = std::array::from_fn(|i| ((x >> (5 * i)) & 31) as u8);
    crate::domain::order::order_number(day, &bytes)
}

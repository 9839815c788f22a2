//! The demo history's sales: what the demo workshops sell (their products, as checkout reads
//! them, with their makers), who buys (generated buyers in real cities, and a few orders of
//! the demo buyer), and each order's life — placed and paid offline (the payment confirmed by
//! the operator, the capture posted by [`crate::payouts::ledger::post_captures`]), shipped,
//! delivered, and sometimes refunded (the reversal posted by
//! [`crate::payouts::ledger::post_refund`]) — written with the same queries checkout and the
//! order lifecycle use. No e-mails are queued: these buyers are not real.

use crate::catalog::reference::Reference;
use crate::db::accounts::{self as users, NewUser};
use crate::db::audit::{self, AuditEvent};
use crate::db::order_views as v;
use crate::db::orders::{self as q, NewLine, NewOrder, SaleProduct};
use crate::db::payments::{self as pay, NewPayment};
use crate::db::refunds::{self as rq, NewRefund};
use crate::db::schema::{workers, workshops};
use crate::db::DbConn;
use crate::domain::order::{order_number, OrderEvent, OrderStatus, ShippingRule};
use crate::domain::Fen;
use crate::error::AppError;
use crate::seed::generate::Dice;
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use std::collections::HashMap;

/// A product the demo sells, as checkout reads it, with its makers and the first day all of
/// them worked at the workshop (nothing is sold before).
pub struct Item {
    pub product: SaleProduct,
    pub makers: Vec<(i64, String, i32)>,
    pub from: NaiveDate,
}

/// The demo workshops' products, by workshop in id order.
pub fn catalogue(conn: &mut DbConn) -> Result<Vec<(i64, Vec<Item>)>, AppError> {
    let demo: Vec<i64> =
        workshops::table.filter(workshops::is_demo.eq(true)).order(workshops::id).select(workshops::id).load(conn)?;
    let ids: Vec<i64> = crate::db::schema::products::table
        .filter(crate::db::schema::products::workshop_id.eq_any(&demo))
        .filter(crate::db::schema::products::status.eq("active"))
        .order(crate::db::schema::products::id)
        .select(crate::db::schema::products::id)
        .load(conn)?;
    let joined: HashMap<i64, NaiveDate> = workers::table
        .filter(workers::workshop_id.eq_any(&demo))
        .select((workers::id, workers::joined_on))
        .load::<(i64, NaiveDate)>(conn)?
        .into_iter()
        .collect();
    let mut makers: HashMap<i64, Vec<(i64, String, i32)>> = HashMap::new();
    for (product, worker, role, share) in q::makers_of(conn, &ids)? {
        makers.entry(product).or_default().push((worker, role, share));
    }
    let mut by_workshop: Vec<(i64, Vec<Item>)> = demo.iter().map(|w| (*w, Vec::new())).collect();
    for p in q::sale_products(conn, &ids)? {
        let m = makers.remove(&p.id).unwrap_or_default();
        let Some(from) = m.iter().map(|(w, _, _)| joined.get(w).copied()).collect::<Option<Vec<_>>>() else {
            continue;
        };
        let Some(from) = from.into_iter().max() else { continue };
        if let Some((_, items)) = by_workshop.iter_mut().find(|(w, _)| *w == p.workshop_id) {
            items.push(Item { product: p, makers: m, from });
        }
    }
    by_workshop.retain(|(_, items)| !items.is_empty());
    Ok(by_workshop)
}

/// Someone who buys: their account, e-mail, language and address.
#[derive(Debug, Clone)]
pub struct Buyer {
    pub id: i64,
    pub email: String,
    pub lang: &'static str,
    pub name: String,
    pub phone: String,
    pub county: String,
    pub region_text: String,
    pub line: String,
}

/// Districts of large cities, where most buyers live.
const CITIES: [(&str, &str); 12] = [
    ("110105", "建国路 88 号"),
    ("310115", "世纪大道 100 号"),
    ("440106", "天河路 385 号"),
    ("510107", "人民南路四段 12 号"),
    ("330106", "文三路 90 号"),
    ("440305", "科苑路 15 号"),
    ("420106", "中南路 7 号"),
    ("610113", "小寨东路 126 号"),
    ("320106", "中山北路 30 号"),
    ("530102", "东风西路 11 号"),
    ("500103", "解放碑步行街 8 号"),
    ("370202", "香港中路 40 号"),
];

/// How many generated buyers there are.
const BUYERS: usize = 36;

/// The generated buyers (made once; they cannot sign in) and, first, the demo buyer if there
/// is one.
pub fn buyers(
    conn: &mut DbConn,
    reference: &Reference,
    names: &[(String, String)],
    given: &[(String, String)],
    now: NaiveDateTime,
) -> Result<(Option<Buyer>, Vec<Buyer>), AppError> {
    let mut dice = Dice(0x6275_7965_7273);
    let place = |i: usize| {
        let (county, street) = CITIES[i % CITIES.len()];
        let text = reference.path(county).iter().map(|r| r.name_zh.as_str()).collect::<Vec<_>>().join(" ");
        (county.to_owned(), text, format!("{street} {} 栋 {} 室", 1 + i % 9, 101 + (i * 37) % 900))
    };
    let mut out = Vec::with_capacity(BUYERS);
    for i in 0..BUYERS {
        let (sur, sur_latin) = &names[dice.below(names.len() as u64) as usize];
        let (first, first_latin) = &given[dice.below(given.len() as u64) as usize];
        let lang = if i % 6 == 5 { "en" } else { "zh" };
        let email = format!("buyer{:02}@demo-history.gongfang.invalid", i + 1);
        let display = if lang == "en" { format!("{first_latin} {sur_latin}") } else { format!("{sur}{first}") };
        let id = match users::user_by_email(conn, &email)? {
            Some(u) => u.id,
            None => users::insert_user(
                conn,
                &NewUser {
                    email: email.clone(),
                    password_hash: "!".into(),
                    display_name: display.clone(),
                    lang: lang.into(),
                    role: "buyer".into(),
                    workshop_id: None,
                    region_code: None,
                    is_demo: true,
                    created_at: now,
                    updated_at: now,
                },
            )?,
        };
        let (county, region_text, line) = place(i);
        out.push(Buyer {
            id,
            email,
            lang,
            name: display,
            phone: format!("+86139{:08}", 10_000_000 + i * 7_919),
            county,
            region_text,
            line,
        });
    }
    let demo = users::user_by_email(conn, "buyer@demo.gongfang.cn")?.map(|u| {
        let (county, region_text, line) = place(3);
        Buyer {
            id: u.id,
            email: u.email,
            lang: "zh",
            name: u.display_name,
            phone: "+8613912345678".into(),
            county,
            region_text,
            line,
        }
    });
    Ok((demo, out))
}

/// One order to place: the buyer, when it is paid, and `(item, quantity)` per line.
pub struct Sale<'a> {
    pub buyer: &'a Buyer,
    pub paid_at: NaiveDateTime,
    pub day: NaiveDate,
    pub lines: Vec<(&'a Item, i64)>,
    pub serial: usize,
}

/// A placed order's parcels: `(shipment id, workshop id, whether it is made to order, lead
/// days)`, and its lines: `(line id, shipment id, gross fen, quantity, made to order)`.
pub struct Placed {
    pub order: i64,
    pub number: String,
    pub total_fen: i64,
    pub reference: String,
    pub parcels: Vec<(i64, i64, bool, i64)>,
    pub lines: Vec<(i64, i64, i64, i64, bool)>,
}

/// The line as sold, frozen as checkout freezes it.
fn frozen(order: i64, shipment: i64, p: &SaleProduct, quantity: i64) -> NewLine {
    NewLine {
        order_id: order,
        shipment_id: shipment,
        product_id: p.id,
        workshop_id: p.workshop_id,
        heritage_item_id: p.heritage_item_id,
        county_code: p.county_code.clone(),
        title_zh: p.title_zh.clone(),
        title_en: p.title_en.clone(),
        trace_code: p.trace_code.clone(),
        unit_price_fen: p.price_fen,
        quantity: i32::try_from(quantity).unwrap_or(i32::MAX),
        commission_bp: p.commission_bp,
        wage_rule: p.wage_rule.clone(),
        wage_bp: p.wage_bp,
        piece_rate_fen: p.piece_rate_fen,
        designer_id: p.designer_id.filter(|_| p.designer_bp > 0),
        designer_bp: p.designer_bp,
        made_to_order: p.made_to_order,
        lead_time_days: p.lead_time_days,
        variant_id: None,
        sku: None,
        variant_zh: None,
        variant_en: None,
    }
}

/// Places an order as checkout does (lines frozen, one parcel per workshop with its shipping
/// rule), then the operator confirms its bank transfer: the payment and the move to paid at
/// `sale.paid_at` (the capture in the journal is [`capture`]'s).
pub fn place(conn: &mut DbConn, sale: &Sale<'_>, operator: i64, dice: &mut Dice) -> Result<Placed, AppError> {
    let mut parcels: Vec<(i64, Vec<(&Item, i64)>)> = Vec::new();
    for (item, quantity) in &sale.lines {
        match parcels.iter_mut().find(|(w, _)| *w == item.product.workshop_id) {
            Some((_, lines)) => lines.push((item, *quantity)),
            None => parcels.push((item.product.workshop_id, vec![(item, *quantity)])),
        }
    }
    let mut fees = Vec::new();
    let (mut items_fen, mut shipping_fen) = (0i64, 0i64);
    for (_, lines) in &parcels {
        let subtotal: i64 = lines.iter().map(|(i, n)| i.product.price_fen * n).sum();
        let first = &lines[0].0.product;
        let rule =
            ShippingRule { flat: Fen(first.shipping_flat_fen), free_over: first.free_shipping_over_fen.map(Fen) };
        let fee = rule.fee(Fen(subtotal)).get();
        fees.push(fee);
        items_fen += subtotal;
        shipping_fen += fee;
    }
    let total_fen = items_fen + shipping_fen;
    let created = sale.paid_at - TimeDelta::minutes(20 + dice.below(600) as i64);
    let random: [u8; 6] = std::array::from_fn(|_| dice.below(256) as u8);
    let number = order_number(sale.day, &random);
    let b = sale.buyer;
    let order = q::insert_order(
        conn,
        &NewOrder {
            number: number.clone(),
            user_id: b.id,
            idempotency_key: format!("demo-history-{}", sale.serial),
            request_digest: String::new(),
            status: OrderStatus::PendingPayment.as_str().into(),
            payment_method: crate::domain::order::PaymentMethod::BankTransfer.as_str().into(),
            currency: "CNY".into(),
            items_fen,
            shipping_fen,
            total_fen,
            buyer_email: b.email.clone(),
            lang: b.lang.into(),
            recipient: b.name.clone(),
            phone: b.phone.clone(),
            country: "CN".into(),
            region_code: Some(b.county.clone()),
            region_text: b.region_text.clone(),
            address_line: b.line.clone(),
            postal_code: String::new(),
            reserved_until: created + TimeDelta::days(3),
            created_at: created,
            updated_at: created,
        },
    )?;
    let reference = format!("BT{}{:06}", sale.day.format("%Y%m%d"), order);
    let mut placed = Placed {
        order,
        number: number.clone(),
        total_fen,
        reference: reference.clone(),
        parcels: Vec::new(),
        lines: Vec::new(),
    };
    for ((workshop, lines), fee) in parcels.iter().zip(fees) {
        let shipment = q::insert_shipment(conn, order, *workshop, fee)?;
        let lead = lines.iter().filter_map(|(i, _)| i.product.lead_time_days).max().unwrap_or(0);
        let made = lines.iter().any(|(i, _)| i.product.made_to_order);
        placed.parcels.push((shipment, *workshop, made, i64::from(lead)));
        for (item, quantity) in lines {
            let line = q::insert_line(conn, &frozen(order, shipment, &item.product, *quantity))?;
            for (worker, role, share) in &item.makers {
                q::insert_line_maker(conn, line, *worker, role, *share)?;
            }
            placed.lines.push((
                line,
                shipment,
                item.product.price_fen * quantity,
                *quantity,
                item.product.made_to_order,
            ));
        }
    }
    // The bank transfer arrives and the operator confirms it, as `confirm_offline_payment`;
    // the capture follows in [`capture`].
    pay::insert_payment(
        conn,
        &NewPayment {
            order_id: order,
            provider: "offline",
            provider_ref: &reference,
            amount_fen: total_fen,
            currency: "CNY",
            status: "succeeded",
            confirmed_by: Some(operator),
        },
        sale.paid_at,
    )?;
    let to = OrderStatus::PendingPayment.apply(OrderEvent::PaymentReceived)?;
    q::move_order(conn, order, OrderStatus::PendingPayment.as_str(), to.as_str(), sale.paid_at)?;
    Ok(placed)
}

/// The captures of orders just paid, `(order, when paid, sale day)` with their confirmation
/// in the audit log, as `confirm_offline_payment` posts them (in one write for all of them).
pub fn capture(conn: &mut DbConn, paid: &[(&Placed, NaiveDateTime, NaiveDate)], operator: i64) -> Result<(), AppError> {
    let sales: Vec<(i64, NaiveDateTime, NaiveDate)> = paid.iter().map(|(p, at, day)| (p.order, *at, *day)).collect();
    crate::payouts::ledger::post_captures_each(conn, &sales)?;
    for (p, at, _) in paid {
        audit::append(
            conn,
            AuditEvent::new(
                Some(crate::domain::account::UserId(operator)),
                "order.payment_confirmed",
                format!("order:{}", p.number),
                serde_json::json!({ "amount_fen": p.total_fen, "reference": p.reference }),
            ),
            *at,
        )?;
    }
    Ok(())
}

/// The carriers parcels go by.
const CARRIERS: [&str; 4] = ["顺丰速运", "中国邮政", "中通快递", "京东物流"];

/// The workshop hands a parcel to a carrier.
pub fn ship(conn: &mut DbConn, shipment: i64, at: NaiveDateTime) -> Result<bool, AppError> {
    let carrier = CARRIERS[(shipment % 4) as usize];
    Ok(q::ship(conn, shipment, carrier, &format!("SF{:04}{shipment:08}", at.format("%m%d")), at)?)
}

/// The buyer (or, after the configured days, the platform) marks a parcel delivered.
pub fn deliver(conn: &mut DbConn, shipment: i64, by_buyer: bool, at: NaiveDateTime) -> Result<bool, AppError> {
    Ok(q::deliver(conn, shipment, if by_buyer { "buyer" } else { "auto" }, at)?)
}

/// A refund of part of a line: pieces returned, or a price agreed down.
#[derive(Debug, Clone)]
pub struct RefundPlan {
    pub order: i64,
    pub line: i64,
    pub quantity: i32,
    pub amount_fen: i64,
    pub reason: &'static str,
    pub requested_by: i64,
}

/// A refund that went through, as `complete_refund` completes one: the refund, its reversal
/// in the journal (from what the line kept before it), the line's and order's totals and the
/// order's status.
pub fn refund(conn: &mut DbConn, r: &RefundPlan, operator: i64, at: NaiveDateTime) -> Result<(), AppError> {
    q::lock_order(conn, r.order)?;
    let id = rq::insert_refund(
        conn,
        &NewRefund {
            order_id: r.order,
            order_line_id: Some(r.line),
            shipment_id: None,
            quantity: r.quantity,
            amount_fen: r.amount_fen,
            reason: r.reason.into(),
            status: "pending".into(),
            requested_by: Some(r.requested_by),
            decided_by: Some(operator),
            created_at: at,
            updated_at: at,
        },
    )?;
    let row = rq::refund(conn, id)?.ok_or(AppError::NotFound)?;
    if !rq::move_refund(conn, id, "pending", "succeeded", None, Some(&format!("RF{id:08}")), at)? {
        return Ok(());
    }
    crate::payouts::ledger::post_refund(conn, &row, at)?;
    rq::apply_refund(conn, &row, at)?;
    let order = v::order_by_id(conn, r.order)?;
    let from = OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Paid);
    let to = from.apply(OrderEvent::Refunded { fully: order.refunded_fen >= order.total_fen })?;
    q::move_order(conn, order.id, from.as_str(), to.as_str(), at)?;
    Ok(())
}

/// The reasons buyers give.
pub const RETURN_REASON: &str = "七天无理由退货";
pub const ADJUSTMENT_REASONS: [&str; 3] = ["包装破损，协商部分退款", "色差与图片不符，协商部分退款", "延迟发货补偿"];

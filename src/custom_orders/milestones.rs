//! A custom order once accepted: each milestone paid through an order of its own, progress
//! photos, shipping and receipt of the piece, and cancellation by the stated rule.
//!
//! Paying a milestone makes an ordinary order of one line: quantity 1, the milestone's amount
//! as its price, and the quote's terms (commission, wage rule, makers and shares) frozen on
//! it, so capture, attribution, refund and settlement are those of any line. A milestone has
//! at most one live order, so a retried or doubled "pay" answers the same order: that is each
//! milestone's idempotency. An order that lapses unpaid is replaced at the next attempt.

use super::order_address::{copy_address, new_order};
use super::{locked, standing, CustomOrders, Side};
use crate::accounts::authz::Action;
use crate::db::custom_orders::{self as q, MilestoneRow, ProgressRow, Stamp};
use crate::db::order_views as v;
use crate::db::orders::{self as oq, NewLine, NewOrder};
use crate::db::DbConn;
use crate::domain::account::Principal;
use crate::domain::address::{AddressInput, ShippingAddress};
use crate::domain::custom_order::{refunds_on_cancel, Canceller, CustomStatus, DueAt};
use crate::domain::ids::{CustomOrderId, OrderId};
use crate::domain::order::{CancelReason, DeliveredBy, OrderStatus, PaymentMethod};
use crate::domain::Fen;
use crate::error::AppError;
use crate::orders::notify::OrderMail;
use crate::orders::refunds::{Authority, RefundTarget};
use serde::Deserialize;

/// How the buyer pays a milestone.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PayInput {
    /// `bank_transfer` (default) or `stripe` (when online payment is configured).
    #[serde(default)]
    pub payment_method: String,
    /// Where the piece goes: needed with the first payment; later ones use the last address.
    #[serde(default)]
    pub address: Option<AddressInput>,
}

/// Whether a milestone's money has come in (and was not given back unpaid).
pub(crate) fn is_paid(m: &MilestoneRow) -> bool {
    m.order_status
        .as_deref()
        .and_then(OrderStatus::parse)
        .is_some_and(|s| matches!(s, OrderStatus::Paid | OrderStatus::PartiallyRefunded | OrderStatus::Refunded))
}

/// Whether milestone `m` has fallen due once the steps before it are paid: a `progress`
/// milestone when a progress photo of its step is among `progress`, any other at once. The
/// payment, the page and the buyer's e-mail all ask this.
pub(crate) fn falls_due(m: &MilestoneRow, progress: &[ProgressRow]) -> bool {
    m.due != DueAt::Progress.as_str() || progress.iter().any(|p| p.position == m.position)
}

/// Whether a milestone's order is waiting for its money.
pub(crate) fn is_open(m: &MilestoneRow) -> bool {
    m.order_status.as_deref().and_then(OrderStatus::parse).is_some_and(OrderStatus::is_open)
}

impl CustomOrders {
    /// The buyer pays the next milestone that has fallen due: its order is made (or the one
    /// already waiting is answered). Returns the order's number, which the order pages and
    /// `/api/v1/orders/{number}/pay` take from there.
    pub async fn pay(&self, who: &Principal, id: CustomOrderId, input: PayInput) -> Result<String, AppError> {
        let method = match input.payment_method.trim() {
            "" => PaymentMethod::BankTransfer,
            m => PaymentMethod::parse(m)
                .filter(|m| *m != PaymentMethod::CashOnDelivery)
                .ok_or(AppError::BadRequest { field: "payment_method", key: "checkout.error.method" })?,
        };
        if method == PaymentMethod::Stripe && !self.orders.payments().stripe_enabled() {
            return Err(AppError::BadRequest { field: "payment_method", key: "checkout.error.no_stripe" });
        }
        let address = match &input.address {
            Some(a) => {
                let parsed =
                    ShippingAddress::parse(a).map_err(|e| AppError::BadRequest { field: e.field, key: e.key })?;
                let region = self.orders.region_text(&parsed)?;
                Some((parsed, region))
            }
            None => None,
        };
        let (this, who) = (self.clone(), who.clone());
        self.db.write(move |c| this.pay_in(c, &who, id, method, address.clone())).await
    }

    fn pay_in(
        &self,
        c: &mut DbConn,
        who: &Principal,
        id: CustomOrderId,
        method: PaymentMethod,
        address: Option<(ShippingAddress, String)>,
    ) -> Result<String, AppError> {
        let row = locked(c, id)?;
        if standing(who, &row, Action::ViewWorkshop)? != Side::Buyer {
            return Err(AppError::Forbidden { key: "custom.error.buyer_pays" });
        }
        if row.status != CustomStatus::InProgress.as_str() {
            return Err(AppError::Conflict { key: "custom.error.state" });
        }
        let milestones = q::milestones(c, id)?;
        let next =
            milestones.iter().find(|m| !is_paid(m)).ok_or(AppError::Conflict { key: "custom.error.all_paid" })?;
        if is_open(next) {
            return Ok(next.order_number.clone().unwrap_or_default());
        }
        if !falls_due(next, &q::progress(c, id)?) {
            return Err(AppError::Conflict { key: "custom.error.not_due" });
        }
        let product = row.product_id.ok_or(AppError::Conflict { key: "custom.error.state" })?;
        let now = self.now();
        let earlier = milestones.iter().rev().find_map(|m| m.order_id.filter(|_| m.position < next.position));
        let order = match (address, earlier) {
            (Some((a, region)), _) => new_order(&a, region),
            (None, Some(o)) => copy_address(&v::order_by_id(c, o)?),
            (None, None) => return Err(AppError::BadRequest { field: "recipient", key: "custom.error.address" }),
        };
        let number = crate::domain::order::order_number(self.clock.today(), &rand::random::<[u8; 6]>());
        let amount = next.amount_fen;
        let order_id = oq::insert_order(
            c,
            &NewOrder {
                number: number.clone(),
                user_id: who.user_id.get(),
                idempotency_key: format!("custom-{id}-m{}-a{}", next.position, next.attempts.saturating_add(1)),
                request_digest: format!("custom:{id}:{}", next.position),
                status: OrderStatus::PendingPayment.as_str().into(),
                payment_method: method.as_str().into(),
                currency: "CNY".into(),
                items_fen: amount,
                shipping_fen: 0,
                total_fen: amount,
                buyer_email: who.email.clone(),
                lang: row.lang.clone(),
                reserved_until: now + self.orders.config().hold(method),
                created_at: now,
                updated_at: now,
                ..order
            },
        )?;
        let shipment = oq::insert_shipment(c, order_id, row.workshop_id, 0)?;
        let piece = oq::sale_products(c, &[product])?.pop().ok_or(AppError::NotFound)?;
        let count = milestones.len();
        let line = NewLine {
            order_id,
            shipment_id: shipment,
            product_id: piece.id,
            workshop_id: piece.workshop_id,
            heritage_item_id: piece.heritage_item_id,
            county_code: piece.county_code.clone(),
            title_zh: piece.title_zh.clone(),
            title_en: piece.title_en.clone(),
            trace_code: piece.trace_code.clone(),
            unit_price_fen: amount,
            quantity: 1,
            commission_bp: piece.commission_bp,
            wage_rule: piece.wage_rule.clone(),
            wage_bp: piece.wage_bp,
            piece_rate_fen: piece.piece_rate_fen,
            designer_id: piece.designer_id.filter(|_| piece.designer_bp > 0),
            designer_bp: piece.designer_bp,
            made_to_order: true,
            lead_time_days: piece.lead_time_days,
            variant_id: None,
            sku: None,
            // The milestone is named where a variant's label goes, on the order and the slip.
            variant_zh: Some(format!("定制第 {} / {count} 期", next.position)),
            variant_en: Some(format!("Custom order, milestone {} of {count}", next.position)),
        };
        let line_id = oq::insert_line(c, &line)?;
        for (_, worker, role, share) in oq::makers_of(c, &[product])? {
            oq::insert_line_maker(c, line_id, worker, &role, share)?;
        }
        // Counted as sold, as a made-to-order sale is; a lapsed order gives the count back.
        q::count_piece(c, product)?;
        let lapsed = next.order_id.map(OrderId);
        if !q::set_milestone_order(c, id, next.position, lapsed, OrderId(order_id))? {
            return Err(AppError::Conflict { key: "custom.error.state" });
        }
        self.orders.queue_order_mail(c, order_id, OrderMail::Placed)?;
        Ok(number)
    }

    /// The workshop posts a progress photo for a milestone (by default the next unpaid one).
    /// The first photo marks the work begun.
    pub async fn post_progress(
        &self,
        who: &Principal,
        id: CustomOrderId,
        position: Option<i32>,
        photo: Option<Vec<u8>>,
        note: &str,
    ) -> Result<i64, AppError> {
        // Checked before the photo is processed, and again in the transaction.
        let who_ = who.clone();
        self.db
            .run(move |c| {
                let row = q::custom_order(c, id)?.ok_or(AppError::NotFound)?;
                standing(&who_, &row, Action::FulfilOrders)?
                    .eq(&Side::Workshop)
                    .then_some(())
                    .ok_or(AppError::Forbidden { key: "error.forbidden" })
            })
            .await?;
        let note = crate::portal::input::bounded("note", note, 500)?;
        let photo = photo.ok_or(AppError::BadRequest { field: "photo", key: "photo.missing" })?;
        let saved = self.portal.save_photo(photo, &format!("custom-{id}")).await?;
        let (this, who, now, main) = (self.clone(), who.clone(), self.now(), saved.main.clone());
        let result = self
            .db
            .write(move |c| {
                let row = locked(c, id)?;
                if standing(&who, &row, Action::FulfilOrders)? != Side::Workshop {
                    return Err(AppError::Forbidden { key: "error.forbidden" });
                }
                if row.status != CustomStatus::InProgress.as_str() {
                    return Err(AppError::Conflict { key: "custom.error.state" });
                }
                let milestones = q::milestones(c, id)?;
                let at = match position {
                    Some(p) if milestones.iter().any(|m| m.position == p) => p,
                    Some(_) => return Err(AppError::BadRequest { field: "position", key: "custom.error.position" }),
                    None => milestones.iter().find(|m| !is_paid(m)).or(milestones.last()).map_or(1, |m| m.position),
                };
                let photo = q::insert_progress(c, id, at, &main, &note, who.user_id, now)?;
                q::stamp(c, id, Stamp::WorkBegun, now)?;
                super::notify::if_due(&this.orders, c, &row, super::notify::Trigger::Photo(at))?;
                Ok(photo)
            })
            .await;
        if result.is_err() {
            self.portal.forget_photo(&saved.dir).await;
        }
        result
    }

    /// The workshop ships the piece once every milestone is paid: every milestone's parcel
    /// carries the one tracking number, and the buyer gets one e-mail.
    pub async fn ship(
        &self,
        who: &Principal,
        id: CustomOrderId,
        carrier: &str,
        tracking: &str,
    ) -> Result<(), AppError> {
        let (this, who, carrier, tracking) = (self.clone(), who.clone(), carrier.to_owned(), tracking.to_owned());
        self.db
            .write(move |c| {
                let row = locked(c, id)?;
                if standing(&who, &row, Action::FulfilOrders)? != Side::Workshop {
                    return Err(AppError::Forbidden { key: "error.forbidden" });
                }
                let carrier = short("carrier", &carrier)?;
                let tracking = short("tracking_number", &tracking)?;
                let milestones = q::milestones(c, id)?;
                let all_paid = milestones.iter().all(|m| m.order_status.as_deref() == Some(OrderStatus::Paid.as_str()));
                if !all_paid {
                    return Err(AppError::Conflict { key: "custom.error.unpaid" });
                }
                let now = this.now();
                if !q::move_status(c, id, CustomStatus::InProgress, CustomStatus::Shipped, now)? {
                    return Err(AppError::Conflict { key: "custom.error.state" });
                }
                let mut last = None;
                for order in milestones.iter().filter_map(|m| m.order_id) {
                    crate::db::orders::lock_order(c, order)?;
                    for s in v::shipments_of(c, order)? {
                        if !oq::ship(c, s.id, &carrier, &tracking, now)? {
                            return Err(AppError::Conflict { key: "order.error.changed" });
                        }
                        last = Some((order, s.id));
                    }
                }
                if let Some((order, shipment)) = last {
                    this.orders.queue_order_mail(c, order, OrderMail::Shipped { shipment })?;
                }
                Ok(())
            })
            .await
    }

    /// The piece arrived: its buyer, its workshop's staff or an operator says so. Every
    /// milestone's parcel is delivered, and the return window starts for each.
    pub async fn receive(&self, who: &Principal, id: CustomOrderId) -> Result<(), AppError> {
        let (this, who) = (self.clone(), who.clone());
        self.db
            .write(move |c| {
                let row = locked(c, id)?;
                let by = match standing(&who, &row, Action::FulfilOrders)? {
                    Side::Buyer => DeliveredBy::Buyer,
                    Side::Workshop if matches!(who.role, crate::domain::account::Role::Operator) => {
                        DeliveredBy::Operator
                    }
                    Side::Workshop => DeliveredBy::Workshop,
                };
                if !q::move_status(c, id, CustomStatus::Shipped, CustomStatus::Delivered, this.now())? {
                    return Err(AppError::Conflict { key: "custom.error.state" });
                }
                for order in q::milestones(c, id)?.iter().filter_map(|m| m.order_id) {
                    let o = crate::db::orders::lock_order(c, order)?;
                    for s in v::shipments_of(c, order)? {
                        this.orders.deliver_in(c, &s, &o, by)?;
                    }
                }
                Ok(())
            })
            .await
    }

    /// Cancels a custom order. Before acceptance the buyer withdraws a request or a quote.
    /// Once accepted, either side may cancel before the piece ships, by the stated rule: the
    /// workshop's cancellation, or the buyer's before any progress photo, refunds every paid
    /// milestone in full; the buyer's after work has begun keeps what was paid, earned and
    /// settled at once. Orders still waiting for money are cancelled.
    pub async fn cancel(&self, who: &Principal, id: CustomOrderId) -> Result<(), AppError> {
        let (this, who) = (self.clone(), who.clone());
        self.db.write(move |c| this.cancel_in(c, &who, id)).await
    }

    fn cancel_in(&self, c: &mut DbConn, who: &Principal, id: CustomOrderId) -> Result<(), AppError> {
        let row = locked(c, id)?;
        let side = standing(who, &row, Action::Refund)?;
        let status = CustomStatus::parse(&row.status).ok_or(AppError::Conflict { key: "custom.error.state" })?;
        let now = self.now();
        let by = match side {
            Side::Buyer => Canceller::Buyer,
            Side::Workshop => Canceller::Workshop,
        };
        let closed = match by {
            Canceller::Buyer => "buyer",
            Canceller::Workshop => "workshop",
        };
        match (status, by) {
            (CustomStatus::Requested | CustomStatus::Quoted, Canceller::Buyer) => {}
            (CustomStatus::InProgress, _) => {
                let milestones = q::milestones(c, id)?;
                let paid: Vec<Fen> =
                    milestones.iter().map(|m| if is_paid(m) { Fen(m.amount_fen) } else { Fen::ZERO }).collect();
                let refunds = refunds_on_cancel(by, row.work_begun_at.is_some(), &paid);
                let reason = format!("custom order {id} cancelled by the {closed}");
                for ((m, refund), was_paid) in milestones.iter().zip(&refunds).zip(&paid) {
                    let Some(order) = m.order_id else { continue };
                    if is_open(m) {
                        let cause = if by == Canceller::Buyer { CancelReason::Buyer } else { CancelReason::Operator };
                        self.orders.cancel_in(c, order, cause)?;
                        continue;
                    }
                    if was_paid.get() == 0 {
                        continue;
                    }
                    let line = v::lines_of(c, order)?.first().map(|l| l.id).ok_or(AppError::NotFound)?;
                    if refund.get() > 0 {
                        let target = RefundTarget::Line { line, quantity: 1, amount: Some(*refund) };
                        self.orders.refund_in(c, who, target, &reason, Authority::CustomRule)?;
                    } else {
                        // Kept by the rule: earned now, so it settles now.
                        q::settle_lines(c, &[line], now)?;
                    }
                }
            }
            _ => return Err(AppError::Conflict { key: "custom.error.state" }),
        }
        if !q::move_status(c, id, status, CustomStatus::Cancelled, now)? {
            return Err(AppError::Conflict { key: "custom.error.state" });
        }
        q::stamp(c, id, Stamp::Closed(Some(closed)), now)?;
        crate::db::audit::append(
            c,
            crate::db::audit::AuditEvent::new(
                Some(who.user_id),
                "custom.cancelled",
                format!("custom:{id}"),
                serde_json::json!({ "by": closed }),
            ),
            now,
        )?;
        Ok(())
    }
}

/// A carrier or tracking number: 1 to 100 characters.
fn short(field: &'static str, text: &str) -> Result<String, AppError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(AppError::BadRequest { field, key: "order.error.reference_missing" });
    }
    crate::portal::input::bounded(field, t, 100)
}

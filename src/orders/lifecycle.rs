//! The moves of an order after checkout: payment received (offline confirmation here, Stripe in
//! [`super::stripe_events`]), a workshop's answer to cash on delivery, cancellation and expiry
//! (stock goes back), the bank-transfer reminder, parcels shipped and delivered (by the
//! workshop, an operator, the buyer, or automatically).

use super::notify::OrderMail;
use super::{authorize_workshop, order_for, Orders, Standing};
use crate::accounts::authz::Action;
use crate::db::audit::{self, AuditEvent};
use crate::db::order_views as v;
use crate::db::orders as q;
use crate::db::payments as pay;
use crate::db::DbConn;
use crate::domain::account::{Principal, Role};
use crate::domain::ids::{ProductId, VariantId};
use crate::domain::order::{
    CancelReason, DeliveredBy, OrderEvent, OrderStatus, PaymentMethod, ShipmentEvent, ShipmentStatus,
};
use crate::error::AppError;

fn parse_status(s: &str) -> Result<OrderStatus, AppError> {
    OrderStatus::parse(s).ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown order status {s:?}")))
}

fn parse_shipment_status(s: &str) -> Result<ShipmentStatus, AppError> {
    ShipmentStatus::parse(s).ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown shipment status {s:?}")))
}

/// Whether any parcel of the order is in `status`.
fn has_parcel(conn: &mut DbConn, order: i64, status: ShipmentStatus) -> Result<bool, AppError> {
    Ok(v::shipments_of(conn, order)?.iter().any(|s| s.status == status.as_str()))
}

/// A short reference typed by staff (bank reference, tracking number): 1 to 100 characters.
fn reference(text: &str, field: &'static str) -> Result<String, AppError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(AppError::BadRequest { field, key: "order.error.reference_missing" });
    }
    if t.chars().count() > 100 {
        return Err(AppError::BadRequest { field, key: "address.error.too_long" });
    }
    Ok(t.to_owned())
}

impl Orders {
    /// Marks an order paid (inside a transaction): the state machine decides, the update applies
    /// only from the status read, the capture is posted to the journal, and the e-mails are queued. Returns false when the order
    /// had already moved (a duplicate confirmation).
    pub(crate) fn mark_paid(&self, conn: &mut DbConn, order_id: i64) -> Result<bool, AppError> {
        let order = crate::db::orders::lock_order(conn, order_id)?;
        let from = parse_status(&order.status)?;
        let to = from.apply(OrderEvent::PaymentReceived)?;
        if !q::move_order(conn, order_id, from.as_str(), to.as_str(), self.now())? {
            return Ok(false);
        }
        // The capture: each line's money attributed in the journal, in this transaction.
        crate::payouts::ledger::post_captures(conn, &[order_id], self.now(), self.clock.today())?;
        self.queue_order_mail(conn, order_id, OrderMail::Paid)?;
        // A custom order's step paid: its buyer hears when the next falls due.
        crate::custom_orders::notify::after_payment(self, conn, crate::domain::ids::OrderId(order_id))?;
        Ok(true)
    }

    /// Staff confirm an offline payment with the bank's or courier's reference.
    /// - A bank transfer reaches the platform's account: only an operator confirms it.
    /// - Cash on delivery is paid to the courier at the door: the workshop (or an operator)
    ///   confirms it once the parcel has shipped, and the parcel counts as delivered.
    pub async fn confirm_offline_payment(
        &self,
        who: &Principal,
        number: String,
        reference_text: &str,
    ) -> Result<(), AppError> {
        let reference = reference(reference_text, "reference")?;
        let who = who.clone();
        let now = self.now();
        self.write(move |this, conn| {
            let (order, standing) = order_for(conn, &who, &number)?;
            let order = crate::db::orders::lock_order(conn, order.id)?;
            let method = PaymentMethod::parse(&order.payment_method);
            let by = match (standing, method) {
                (Standing::Buyer, _) => return Err(AppError::Forbidden { key: "error.forbidden" }),
                (_, Some(PaymentMethod::Stripe) | None) => {
                    return Err(AppError::Conflict { key: "order.error.not_offline" })
                }
                (Standing::Operator, _) => DeliveredBy::Operator,
                (Standing::Workshop(w), Some(PaymentMethod::CashOnDelivery)) => {
                    authorize_workshop(&who, Action::ConfirmPayments, w.get())?;
                    DeliveredBy::Workshop
                }
                (Standing::Workshop(_), Some(PaymentMethod::BankTransfer)) => {
                    return Err(AppError::Forbidden { key: "order.error.operator_confirms" })
                }
            };
            parse_status(&order.status)?.apply(OrderEvent::PaymentReceived)?;
            let parcels = v::shipments_of(conn, order.id)?;
            if method == Some(PaymentMethod::CashOnDelivery)
                && parcels.iter().any(|s| s.status == ShipmentStatus::Pending.as_str())
            {
                return Err(AppError::Conflict { key: "order.error.cod_not_shipped" });
            }
            pay::insert_payment(
                conn,
                &pay::NewPayment {
                    order_id: order.id,
                    provider: "offline",
                    provider_ref: &reference,
                    amount_fen: order.total_fen,
                    currency: &order.currency,
                    status: "succeeded",
                    confirmed_by: Some(who.user_id.get()),
                },
                now,
            )
            .map_err(|e| match AppError::from(e) {
                AppError::Conflict { .. } => AppError::Conflict { key: "order.error.reference_used" },
                other => other,
            })?;
            if !this.mark_paid(conn, order.id)? {
                return Err(AppError::Conflict { key: "order.error.already_paid" });
            }
            // Paid at the door: the parcel arrived with the money.
            if method == Some(PaymentMethod::CashOnDelivery) {
                let paid = crate::db::orders::lock_order(conn, order.id)?;
                for s in parcels.iter().filter(|s| s.status == ShipmentStatus::Shipped.as_str()) {
                    this.deliver_in(conn, s, &paid, by)?;
                }
            }
            audit::append(
                conn,
                AuditEvent::new(
                    Some(who.user_id),
                    "order.payment_confirmed",
                    format!("order:{}", order.number),
                    serde_json::json!({ "amount_fen": order.total_fen, "reference": reference }),
                ),
                now,
            )?;
            Ok(())
        })
        .await
    }

    /// The workshop (or an operator) answers a cash-on-delivery order: accepted, it may ship
    /// unpaid; refused, it is cancelled and its stock goes back. Once accepted and shipped, a
    /// refusal means the buyer did not pay at the door and the parcel came back.
    pub async fn answer_cash_on_delivery(&self, who: &Principal, number: String, accept: bool) -> Result<(), AppError> {
        let who = who.clone();
        let now = self.now();
        self.write(move |this, conn| {
            let (order, standing) = order_for(conn, &who, &number)?;
            let order = crate::db::orders::lock_order(conn, order.id)?;
            match standing {
                Standing::Operator => {}
                Standing::Workshop(w) => authorize_workshop(&who, Action::FulfilOrders, w.get())?,
                Standing::Buyer => return Err(AppError::Forbidden { key: "error.forbidden" }),
            }
            if order.payment_method != PaymentMethod::CashOnDelivery.as_str() {
                return Err(AppError::Conflict { key: "order.error.not_cod" });
            }
            let from = parse_status(&order.status)?;
            let to = from.apply(if accept { OrderEvent::Accept } else { OrderEvent::Cancel })?;
            // Refused before it left, the buyer is told; a parcel that came back unpaid from
            // the door needs no news.
            let on_its_way = has_parcel(conn, order.id, ShipmentStatus::Shipped)?;
            let (moved, mail) = if accept {
                (q::move_order(conn, order.id, from.as_str(), to.as_str(), now)?, Some(OrderMail::CodAccepted))
            } else if on_its_way {
                (this.cancel_in(conn, order.id, CancelReason::NotCollected)?, None)
            } else {
                (this.cancel_in(conn, order.id, CancelReason::Refused)?, Some(OrderMail::CodRefused))
            };
            if !moved {
                return Err(AppError::Conflict { key: "order.error.changed" });
            }
            if let Some(mail) = mail {
                this.queue_order_mail(conn, order.id, mail)?;
            }
            let action = if accept { "order.cod_accepted" } else { "order.cod_refused" };
            audit::append(
                conn,
                AuditEvent::new(Some(who.user_id), action, format!("order:{}", order.number), serde_json::json!({})),
                now,
            )?;
            Ok(())
        })
        .await
    }

    /// Cancels an unpaid order (the buyer, or an operator) and gives its stock back. A buyer
    /// cannot cancel a cash-on-delivery parcel already on its way.
    pub async fn cancel(&self, who: &Principal, number: String) -> Result<(), AppError> {
        let who = who.clone();
        self.write(move |this, conn| {
            let (order, standing) = order_for(conn, &who, &number)?;
            let order = crate::db::orders::lock_order(conn, order.id)?;
            let reason = match standing {
                Standing::Buyer => CancelReason::Buyer,
                Standing::Operator => CancelReason::Operator,
                Standing::Workshop(_) => return Err(AppError::Forbidden { key: "error.forbidden" }),
            };
            if standing == Standing::Buyer && has_parcel(conn, order.id, ShipmentStatus::Shipped)? {
                return Err(AppError::Conflict { key: "order.error.already_shipped" });
            }
            if !this.cancel_in(conn, order.id, reason)? {
                return Err(AppError::Conflict { key: "order.error.changed" });
            }
            Ok(())
        })
        .await
    }

    /// Cancels an order inside a transaction and gives back its stock; false when it had moved.
    pub(crate) fn cancel_in(&self, conn: &mut DbConn, order_id: i64, reason: CancelReason) -> Result<bool, AppError> {
        crate::db::orders::lock_order(conn, order_id)?;
        let order = v::order_by_id(conn, order_id)?;
        parse_status(&order.status)?.apply(OrderEvent::Cancel)?;
        if !q::cancel_order(conn, order_id, reason, self.now())? {
            return Ok(false);
        }
        for l in q::line_quantities(conn, order_id)? {
            let quantity = i64::from(l.quantity);
            match l.variant_id {
                Some(v) => crate::db::variants::give_back_stock(
                    conn,
                    ProductId(l.product_id),
                    VariantId(v),
                    quantity,
                    l.made_to_order,
                )?,
                None => {
                    q::give_back_stock(conn, l.product_id, quantity, l.made_to_order)?;
                }
            }
        }
        Ok(true)
    }

    /// Cancels unpaid orders whose hold has run out; returns how many. A cash-on-delivery
    /// order its workshop never answered is cancelled as unanswered, and its buyer told.
    pub fn expire_reservations(&self) -> Result<usize, AppError> {
        let expired = self.db.run_blocking(|conn| q::expired(conn, self.now(), 200))?;
        let mut done = 0;
        for id in expired {
            let cancelled = self.db.write_blocking(|c| {
                let order = crate::db::orders::lock_order(c, id)?;
                let unanswered = order.status == OrderStatus::AwaitingAcceptance.as_str();
                let reason = if unanswered { CancelReason::Unanswered } else { CancelReason::Expired };
                match self.cancel_in(c, id, reason) {
                    Ok(true) if unanswered => {
                        self.queue_order_mail(c, id, OrderMail::CodRefused)?;
                        Ok(true)
                    }
                    Err(AppError::Conflict { .. }) => Ok(false),
                    other => other,
                }
            })?;
            done += usize::from(cancelled);
        }
        Ok(done)
    }

    /// Reminds, once, each bank-transfer buyer whose hold runs out within the configured hours;
    /// returns how many were reminded. The reminder is claimed on the order row in the
    /// transaction that queues its e-mail, so with several nodes it is still sent once.
    pub fn remind_bank_transfers(&self) -> Result<usize, AppError> {
        let now = self.now();
        let by = now + chrono::TimeDelta::hours(self.config.bank_transfer_reminder_hours);
        let due = self.db.run_blocking(|conn| q::due_for_reminder(conn, now, by, 200))?;
        let mut done = 0;
        for id in due {
            let sent = self.db.write_blocking(|c| {
                if !q::claim_reminder(c, id, now)? {
                    return Ok::<bool, AppError>(false);
                }
                self.queue_order_mail(c, id, OrderMail::TransferReminder)?;
                Ok(true)
            })?;
            done += usize::from(sent);
        }
        Ok(done)
    }

    /// A workshop ships its parcel with the carrier and tracking number.
    pub async fn ship(&self, who: &Principal, shipment: i64, carrier: &str, tracking: &str) -> Result<(), AppError> {
        let carrier = reference(carrier, "carrier")?;
        let tracking = reference(tracking, "tracking_number")?;
        let who = who.clone();
        self.write(move |this, conn| {
            let s = v::shipment(conn, shipment)?.ok_or(AppError::NotFound)?;
            authorize_workshop(&who, Action::FulfilOrders, s.workshop_id)?;
            let order = crate::db::orders::lock_order(conn, s.order_id)?;
            parse_shipment_status(&s.status)?.apply(parse_status(&order.status)?, ShipmentEvent::Ship)?;
            if !q::ship(conn, shipment, &carrier, &tracking, this.now())? {
                return Err(AppError::Conflict { key: "order.error.changed" });
            }
            this.queue_order_mail(conn, order.id, OrderMail::Shipped { shipment })?;
            Ok(())
        })
        .await
    }

    /// Records that a parcel arrived: its workshop, an operator, or the buyer may say so.
    pub async fn deliver(&self, who: &Principal, shipment: i64) -> Result<(), AppError> {
        let who = who.clone();
        self.write(move |this, conn| {
            let s = v::shipment(conn, shipment)?.ok_or(AppError::NotFound)?;
            let order = crate::db::orders::lock_order(conn, s.order_id)?;
            let by = if order.user_id == who.user_id.get() {
                DeliveredBy::Buyer
            } else if who.role == Role::Operator {
                DeliveredBy::Operator
            } else {
                authorize_workshop(&who, Action::FulfilOrders, s.workshop_id)?;
                DeliveredBy::Workshop
            };
            this.deliver_in(conn, &s, &order, by)
        })
        .await
    }

    pub(crate) fn deliver_in(
        &self,
        conn: &mut DbConn,
        s: &v::ShipmentRow,
        order: &v::OrderRow,
        by: DeliveredBy,
    ) -> Result<(), AppError> {
        parse_shipment_status(&s.status)?.apply(parse_status(&order.status)?, ShipmentEvent::Deliver)?;
        if !q::deliver(conn, s.id, by.as_str(), self.now())? {
            return Err(AppError::Conflict { key: "order.error.changed" });
        }
        Ok(())
    }

    /// Marks delivered the parcels shipped more than the configured days ago; returns how many.
    pub fn auto_deliver(&self) -> Result<usize, AppError> {
        let before = self.now() - chrono::TimeDelta::days(self.config.auto_deliver_days);
        let due = self.db.run_blocking(|conn| q::due_for_auto_delivery(conn, before, 200))?;
        let mut done = 0;
        for id in due {
            let delivered = self.db.write_blocking(|c| {
                let Some(s) = v::shipment(c, id)? else { return Ok(false) };
                let order = crate::db::orders::lock_order(c, s.order_id)?;
                match self.deliver_in(c, &s, &order, DeliveredBy::Auto) {
                    Ok(()) => Ok(true),
                    Err(AppError::Conflict { .. }) => Ok(false),
                    Err(e) => Err(e),
                }
            })?;
            done += usize::from(delivered);
        }
        Ok(done)
    }
}

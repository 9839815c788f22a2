//! Returns and refunds. A buyer may ask to return a delivered piece within the return window
//! (not a made-to-order one); staff approve or reject the request, or refund part of a line, or
//! a parcel's shipping, directly. An approved refund of a Stripe payment is sent to Stripe by the
//! order worker through the outbox (with an idempotency key, so a retry never refunds twice);
//! an offline refund is recorded as paid back at once.

use super::notify::OrderMail;
use super::{authorize_workshop, order_for, Orders, Standing};
use crate::accounts::authz::Action;
use crate::db::audit::{self, AuditEvent};
use crate::db::order_views as v;
use crate::db::orders as q;
use crate::db::payments as pay;
use crate::db::refunds::{self as rq, NewRefund, RefundRow};
use crate::db::{outbox, DbConn};
use crate::domain::account::{Principal, Role};
use crate::domain::order::{refundable, within_return_window, OrderEvent, OrderStatus, RefundStatus};
use crate::domain::Fen;
use crate::error::AppError;

/// The outbox topic of refunds waiting for the payment provider; the key is the refund id.
pub const REFUND_TOPIC: &str = "payment.refund";

/// Who decided a refund (see [`Orders::refund_in`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Authority {
    /// Staff of the line's workshop, or an operator.
    Staff,
    /// A custom order's stated cancellation rule.
    CustomRule,
}

/// What a refund is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundTarget {
    /// Part or all of a line: `quantity` pieces (0 for a price adjustment) and an amount,
    /// by default the pieces' price.
    Line { line: i64, quantity: i64, amount: Option<Fen> },
    /// A parcel's shipping fee (what is left of it).
    Shipping { shipment: i64 },
}

fn reason_text(reason: &str) -> Result<String, AppError> {
    let r = reason.trim();
    if r.chars().count() > 500 {
        return Err(AppError::BadRequest { field: "reason", key: "address.error.too_long" });
    }
    Ok(r.to_owned())
}

/// An amount too large for i64 fen: no real order gets here, so it is an internal error.
fn overflow() -> AppError {
    AppError::Internal(anyhow::anyhow!("refund amount overflows i64 fen"))
}

/// What `quantity` of the `pieces_left` pieces of a line are still worth: their part of what is
/// left of the line's money, pro rata. A price adjustment (a refund of no pieces) lowered every
/// remaining piece alike, so a later return refunds what is left of its pieces, not their list
/// price. Rounded down; the last pieces returned take the remainder, so returning them all
/// refunds exactly what was left.
pub fn pieces_share(left: Fen, quantity: i64, pieces_left: i64) -> Result<Fen, AppError> {
    if pieces_left <= 0 || quantity <= 0 {
        return Ok(Fen(0));
    }
    // i128 so that a large price times a count cannot overflow before the division.
    let share = i128::from(left.get())
        .checked_mul(i128::from(quantity))
        .and_then(|x| x.checked_div(i128::from(pieces_left)))
        .and_then(|x| i64::try_from(x).ok())
        .ok_or_else(overflow)?;
    Ok(Fen(share))
}

impl Orders {
    /// A buyer asks to return `quantity` pieces of a delivered line. Returns the request's id.
    pub async fn request_return(
        &self,
        who: &Principal,
        number: String,
        line: i64,
        quantity: i64,
        reason: &str,
    ) -> Result<i64, AppError> {
        let reason = reason_text(reason)?;
        let who = who.clone();
        let now = self.now();
        self.write(move |this, conn| {
            let (order, standing) = order_for(conn, &who, &number)?;
            let order = crate::db::orders::lock_order(conn, order.id)?;
            if standing != Standing::Buyer {
                return Err(AppError::Forbidden { key: "error.forbidden" });
            }
            let l = v::line(conn, line)?.filter(|l| l.order_id == order.id).ok_or(AppError::NotFound)?;
            let s = v::shipment(conn, l.shipment_id)?.ok_or(AppError::NotFound)?;
            within_return_window(s.delivered_at, l.made_to_order, this.config.return_window_days, now)?;
            let (amount, quantity) = this.line_refund(conn, &l, quantity, None)?;
            let id = rq::insert_refund(
                conn,
                &NewRefund {
                    order_id: order.id,
                    order_line_id: Some(l.id),
                    shipment_id: None,
                    quantity: i32::try_from(quantity).unwrap_or(0),
                    amount_fen: amount.get(),
                    reason: reason.clone(),
                    status: RefundStatus::Requested.as_str().into(),
                    requested_by: Some(who.user_id.get()),
                    decided_by: None,
                    created_at: now,
                    updated_at: now,
                },
            )?;
            Ok(id)
        })
        .await
    }

    /// The amount and quantity a line refund may have: at most the pieces not yet refunded or
    /// requested, and at most what is left of the line's money.
    fn line_refund(
        &self,
        conn: &mut DbConn,
        l: &v::LineRow,
        quantity: i64,
        amount: Option<Fen>,
    ) -> Result<(Fen, i64), AppError> {
        let (committed_fen, committed_qty) = rq::committed_refunds_of_line(conn, l.id)?;
        let pieces_left = i64::from(l.quantity) - committed_qty;
        if quantity < 0 || quantity > pieces_left {
            return Err(AppError::invalid(
                "quantity",
                "refund.error.quantity",
                &[("max", pieces_left.max(0).to_string())],
            ));
        }
        let gross = l.unit_price_fen.checked_mul(i64::from(l.quantity)).ok_or_else(overflow)?;
        let left = refundable(Fen(gross), Fen(committed_fen));
        let amount = match amount {
            Some(a) => a,
            None => pieces_share(left, quantity, pieces_left)?,
        };
        if amount.get() <= 0 {
            return Err(AppError::BadRequest { field: "amount", key: "refund.error.amount_missing" });
        }
        if amount > left {
            return Err(AppError::invalid("amount", "refund.error.too_much", &[("max", left.yuan_string())]));
        }
        Ok((amount, quantity))
    }

    /// Staff refund part of a line or a parcel's shipping. Returns the refund's id.
    pub async fn refund(&self, who: &Principal, target: RefundTarget, reason: &str) -> Result<i64, AppError> {
        let reason = reason_text(reason)?;
        let who = who.clone();
        self.write(move |this, conn| this.refund_in(conn, &who, target, &reason, Authority::Staff)).await
    }

    /// A refund inside the caller's transaction. [`Authority::Staff`] checks that `who` may
    /// refund for the workshop; [`Authority::CustomRule`] is a custom order's cancellation
    /// rule, already decided by its service. Returns the refund's id.
    pub(crate) fn refund_in(
        &self,
        conn: &mut DbConn,
        who: &Principal,
        target: RefundTarget,
        reason: &str,
        authority: Authority,
    ) -> Result<i64, AppError> {
        let now = self.now();
        let check = |this: &Orders, workshop: i64| match authority {
            Authority::Staff => this.may_refund(who, workshop),
            Authority::CustomRule => Ok(()),
        };
        let (order_id, line, shipment, amount, quantity) = match target {
            RefundTarget::Line { line, quantity, amount } => {
                let l = v::line(conn, line)?.ok_or(AppError::NotFound)?;
                check(self, l.workshop_id)?;
                crate::db::orders::lock_order(conn, l.order_id)?;
                let (amount, quantity) = self.line_refund(conn, &l, quantity, amount)?;
                (l.order_id, Some(line), None, amount, quantity)
            }
            RefundTarget::Shipping { shipment } => {
                let s = v::shipment(conn, shipment)?.ok_or(AppError::NotFound)?;
                check(self, s.workshop_id)?;
                crate::db::orders::lock_order(conn, s.order_id)?;
                let left = refundable(Fen(s.shipping_fen), Fen(rq::committed_refunds_of_shipping(conn, shipment)?));
                if left.get() == 0 {
                    return Err(AppError::Conflict { key: "refund.error.nothing_left" });
                }
                (s.order_id, None, Some(shipment), left, 0)
            }
        };
        let order = v::order_by_id(conn, order_id)?;
        let status = OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Cancelled);
        if !status.is_paid() {
            status.apply(OrderEvent::Refunded { fully: false })?;
        }
        let id = rq::insert_refund(
            conn,
            &NewRefund {
                order_id,
                order_line_id: line,
                shipment_id: shipment,
                quantity: i32::try_from(quantity).unwrap_or(0),
                amount_fen: amount.get(),
                reason: reason.to_owned(),
                status: RefundStatus::Pending.as_str().into(),
                requested_by: Some(who.user_id.get()),
                decided_by: Some(who.user_id.get()),
                created_at: now,
                updated_at: now,
            },
        )?;
        self.approved(conn, who, id, &order)?;
        Ok(id)
    }

    fn may_refund(&self, who: &Principal, workshop: i64) -> Result<(), AppError> {
        if who.role == Role::Operator {
            return Ok(());
        }
        authorize_workshop(who, Action::Refund, workshop)
    }

    /// Staff approve or reject a buyer's return request.
    pub async fn decide_return(&self, who: &Principal, refund: i64, approve: bool) -> Result<(), AppError> {
        let who = who.clone();
        let now = self.now();
        self.write(move |this, conn| {
            let r = rq::refund(conn, refund)?.ok_or(AppError::NotFound)?;
            crate::db::orders::lock_order(conn, r.order_id)?;
            let line = r.order_line_id.and_then(|l| v::line(conn, l).ok().flatten()).ok_or(AppError::NotFound)?;
            this.may_refund(&who, line.workshop_id)?;
            let to = if approve { RefundStatus::Pending } else { RefundStatus::Rejected };
            if !rq::move_refund(
                conn,
                refund,
                RefundStatus::Requested.as_str(),
                to.as_str(),
                Some(who.user_id.get()),
                None,
                now,
            )? {
                return Err(AppError::Conflict { key: "refund.error.decided" });
            }
            if approve {
                let order = v::order_by_id(conn, r.order_id)?;
                this.approved(conn, &who, refund, &order)?;
            }
            Ok(())
        })
        .await
    }

    /// An approved refund: recorded at once for an offline payment, queued for the provider
    /// otherwise. Audited either way.
    fn approved(&self, conn: &mut DbConn, who: &Principal, refund: i64, order: &v::OrderRow) -> Result<(), AppError> {
        let r = rq::refund(conn, refund)?.ok_or(AppError::NotFound)?;
        let payment = pay::payment_of(conn, order.id)?;
        match payment {
            Some(p) if p.provider == "stripe" => {
                outbox::insert(conn, REFUND_TOPIC, &refund.to_string())?;
                self.worker.wake();
            }
            _ => self.complete_refund(conn, &r, None)?,
        }
        // After the posting: the audit log's chain head is the last lock (see db::orders).
        audit::append(
            conn,
            AuditEvent::new(
                Some(who.user_id),
                "order.refund",
                format!("order:{}", order.number),
                serde_json::json!({ "refund": refund, "amount_fen": r.amount_fen, "line": r.order_line_id, "shipment": r.shipment_id }),
            ),
            self.now(),
        )?;
        Ok(())
    }

    /// A refund went through: its reversal in the journal, its line, parcel and order totals,
    /// the order's status, and the buyer's e-mail. Nothing happens if it was already complete.
    pub(crate) fn complete_refund(
        &self,
        conn: &mut DbConn,
        r: &RefundRow,
        provider_ref: Option<&str>,
    ) -> Result<(), AppError> {
        let now = self.now();
        crate::db::orders::lock_order(conn, r.order_id)?;
        if !rq::move_refund(
            conn,
            r.id,
            RefundStatus::Pending.as_str(),
            RefundStatus::Succeeded.as_str(),
            None,
            provider_ref,
            now,
        )? {
            return Ok(());
        }
        // The reversal is computed from what was kept before this refund, so it posts first.
        crate::payouts::ledger::post_refund(conn, r, now)?;
        rq::apply_refund(conn, r, now)?;
        let order = v::order_by_id(conn, r.order_id)?;
        let from = OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Paid);
        let to = from.apply(OrderEvent::Refunded { fully: order.refunded_fen >= order.total_fen })?;
        q::move_order(conn, order.id, from.as_str(), to.as_str(), now)?;
        self.queue_order_mail(conn, order.id, OrderMail::Refunded { refund: r.id })?;
        Ok(())
    }
}

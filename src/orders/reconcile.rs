//! Stripe payments whose webhook never came. Before an unpaid Stripe order's reservation is
//! given up, its PaymentIntent is read back: paid, the order is marked paid; not paid, the
//! intent is cancelled at Stripe first, so it can no longer be paid, and only then the order.
//! `gongfang payments reconcile --since …` compares every recent Stripe payment with its
//! intent, fixes what a missed webhook left behind, and reports every difference.

use super::Orders;
use crate::db::order_views as v;
use crate::db::payments as pay;
use crate::domain::order::{OrderStatus, PaymentStatus};
use crate::error::AppError;
use crate::payments::{IntentState, IntentStatus, PaymentError};
use chrono::NaiveDateTime;

/// What the reconciliation found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Reconciliation {
    /// Payments compared with Stripe.
    pub checked: usize,
    /// Differences fixed, one sentence each.
    pub fixed: Vec<String>,
    /// Differences left for a person, one sentence each.
    pub reported: Vec<String>,
    /// Intents Stripe could not be asked about (tried again next time).
    pub unreachable: usize,
}

impl Orders {
    /// Settles unpaid Stripe orders whose reservation has run out; returns how many were
    /// cancelled or found paid. Stripe unreachable leaves an order for the next round.
    pub async fn settle_expired_intents(&self) -> Result<usize, AppError> {
        let Ok(gateway) = self.payments.stripe() else { return Ok(0) };
        let now = self.now();
        let due = self.db.run(move |c| Ok(pay::expired_with_intent(c, now, 100)?)).await?;
        let mut settled = 0;
        for (order_id, intent_id) in due {
            let intent = match gateway.retrieve(&intent_id).await {
                Ok(intent) if matches!(intent.status, IntentStatus::Succeeded | IntentStatus::Processing) => intent,
                Ok(intent) if intent.status == IntentStatus::Cancelled => intent,
                Ok(_) => match gateway.cancel_intent(&intent_id).await {
                    Ok(cancelled) => cancelled,
                    // Paid (or cancelled) in the meantime: what Stripe says now decides.
                    Err(PaymentError::Refused { .. }) => match gateway.retrieve(&intent_id).await {
                        Ok(intent) => intent,
                        Err(e) => {
                            tracing::warn!(order = order_id, error = %e, "Stripe unreachable; the order waits");
                            continue;
                        }
                    },
                    Err(e) => {
                        tracing::warn!(order = order_id, error = %e, "Stripe unreachable; the order waits");
                        continue;
                    }
                },
                Err(e) => {
                    tracing::warn!(order = order_id, error = %e, "Stripe unreachable; the order waits");
                    continue;
                }
            };
            if intent.status == IntentStatus::Processing {
                continue;
            }
            let this = self.clone();
            let moved = self
                .db
                .write(move |conn| {
                    this.apply_intent(conn, &intent)?;
                    if intent.status == IntentStatus::Succeeded {
                        return Ok(true);
                    }
                    this.cancel_in(conn, order_id, crate::domain::order::CancelReason::Expired)
                })
                .await?;
            settled += usize::from(moved);
        }
        Ok(settled)
    }

    /// Compares the Stripe payments of orders placed since `since` with their intents; fixes
    /// what a missed webhook left (a paid intent on an unpaid order, a cancelled intent on a
    /// pending payment) through the webhook's own path, and reports what it cannot fix.
    pub async fn reconcile_payments(&self, since: NaiveDateTime) -> Result<Reconciliation, AppError> {
        let gateway = self.payments.stripe()?;
        let rows = self.db.run(move |c| Ok(pay::stripe_payments_since(c, since)?)).await?;
        let mut out = Reconciliation::default();
        for row in rows {
            out.checked += 1;
            let intent = match gateway.retrieve(&row.intent).await {
                Ok(intent) => intent,
                Err(PaymentError::Refused { message, .. }) => {
                    out.reported
                        .push(format!("order {}: Stripe does not know intent {} ({message})", row.number, row.intent));
                    continue;
                }
                Err(_) => {
                    out.unreachable += 1;
                    continue;
                }
            };
            let paid_here = row.payment_status == PaymentStatus::Succeeded.as_str()
                || row.payment_status == PaymentStatus::Refunded.as_str();
            match (&intent.status, paid_here) {
                (IntentStatus::Succeeded, true) | (IntentStatus::Processing, _) => {}
                (IntentStatus::Succeeded, false) if intent.amount != row.amount_fen => out.reported.push(format!(
                    "order {}: intent {} succeeded for {} fen, but the order's payment is {} fen",
                    row.number, row.intent, intent.amount, row.amount_fen
                )),
                (IntentStatus::Succeeded, false) => {
                    let after = self.apply(row.order_id, intent.clone()).await?;
                    out.fixed.push(format!(
                        "order {}: paid at Stripe ({}), the webhook never came; the order is now {after}",
                        row.number, row.intent
                    ));
                }
                (_, true) => out.reported.push(format!(
                    "order {}: recorded as paid, but Stripe says intent {} is not",
                    row.number, row.intent
                )),
                (IntentStatus::Cancelled, false) if row.payment_status != PaymentStatus::Cancelled.as_str() => {
                    let after = self.apply(row.order_id, intent.clone()).await?;
                    out.fixed.push(format!(
                        "order {}: intent {} was cancelled at Stripe; the payment is marked cancelled (order {after})",
                        row.number, row.intent
                    ));
                }
                _ if row.order_status == OrderStatus::Cancelled.as_str() => {
                    // A cancelled order whose intent could still be paid: close it at Stripe.
                    let closed = gateway.cancel_intent(&row.intent).await;
                    if closed.is_ok() {
                        out.fixed.push(format!(
                            "order {}: cancelled, but intent {} could still be paid; it is cancelled at Stripe",
                            row.number, row.intent
                        ));
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// Applies an intent as its webhook would have; returns the order's status after.
    async fn apply(&self, order_id: i64, intent: IntentState) -> Result<String, AppError> {
        let this = self.clone();
        self.db
            .write(move |conn| {
                this.apply_intent(conn, &intent)?;
                Ok(v::order_by_id(conn, order_id)?.status)
            })
            .await
    }
}

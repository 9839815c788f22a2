//! Paying by Stripe: the PaymentIntent of an order, and what a webhook event does. An event is
//! verified, then its PaymentIntent is read back from Stripe, and one transaction records the
//! event id and applies the intent's current state. A duplicate finds its id recorded and does
//! nothing; events out of order do no harm, because the state applied is Stripe's latest, and a
//! succeeded payment is never moved back.

use super::{order_for, Orders, Standing};
use crate::db::order_views as v;
use crate::db::payments as pay;
use crate::db::{outbox, DbConn};
use crate::domain::account::Principal;
use crate::domain::order::{OrderStatus, PaymentMethod, PaymentStatus};
use crate::error::AppError;
use crate::payments::{IntentState, IntentStatus, PaymentError};

/// The outbox topic of payments that arrived after their order was cancelled, to be given
/// back whole; the key is the payment id.
pub const LATE_PAYMENT_TOPIC: &str = "payment.refund_late";

/// What the pay step gives the browser (Stripe.js confirms with the client secret).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PaymentStart {
    pub intent: String,
    pub client_secret: Option<String>,
    pub publishable_key: Option<String>,
    pub amount_fen: i64,
    pub status: String,
}

/// What a webhook delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookOutcome {
    Applied,
    Duplicate,
    /// Not about a payment of this application.
    Ignored,
}

impl Orders {
    /// The buyer's PaymentIntent for an unpaid Stripe order, created the first time.
    pub async fn start_payment(&self, who: &Principal, number: String) -> Result<PaymentStart, AppError> {
        let gateway = self.payments.stripe()?.clone();
        let who = who.clone();
        let (order, payment) = self
            .db
            .run(move |conn| {
                let (order, standing) = order_for(conn, &who, &number)?;
                if standing != Standing::Buyer {
                    return Err(AppError::NotFound);
                }
                let payment = pay::payment_of(conn, order.id)?;
                Ok((order, payment))
            })
            .await?;
        if order.payment_method != PaymentMethod::Stripe.as_str() {
            return Err(AppError::Conflict { key: "order.error.not_stripe" });
        }
        if order.status != OrderStatus::PendingPayment.as_str() {
            return Err(AppError::Conflict { key: "order.error.already_paid" });
        }
        let intent = match &payment {
            Some(p) => gateway.retrieve(&p.provider_ref).await?,
            None => gateway.create_intent(&order.number, order.total_fen).await?,
        };
        if payment.is_none() {
            let (order_id, amount, intent_id, now) = (order.id, order.total_fen, intent.id.clone(), self.now());
            self.db
                .run(move |conn| {
                    let inserted = crate::db::tx::write(&mut *conn, |c| {
                        pay::insert_payment(
                            c,
                            &pay::NewPayment {
                                order_id,
                                provider: "stripe",
                                provider_ref: &intent_id,
                                amount_fen: amount,
                                currency: "CNY",
                                status: PaymentStatus::Pending.as_str(),
                                confirmed_by: None,
                            },
                            now,
                        )
                    });
                    match inserted {
                        // Another tab created the same (idempotent) intent first.
                        Ok(_)
                        | Err(diesel::result::Error::DatabaseError(
                            diesel::result::DatabaseErrorKind::UniqueViolation,
                            _,
                        )) => Ok(()),
                        Err(e) => Err(e.into()),
                    }
                })
                .await?;
        }
        Ok(PaymentStart {
            intent: intent.id,
            client_secret: intent.client_secret,
            publishable_key: gateway.publishable_key().map(str::to_owned),
            amount_fen: order.total_fen,
            status: intent.status.as_str().to_owned(),
        })
    }

    /// Handles one webhook delivery. A bad signature is a 400 and changes nothing; Stripe being
    /// unreachable when the intent is read back is a 503, so Stripe delivers the event again.
    pub async fn stripe_webhook(&self, payload: &str, signature: &str) -> Result<WebhookOutcome, AppError> {
        let gateway = self.payments.stripe()?;
        let event = gateway
            .verify(payload, signature)
            .map_err(|_| AppError::BadRequest { field: "Stripe-Signature", key: "payment.error.signature" })?;
        let intent = match &event.intent {
            Some(id) => match gateway.retrieve(id).await {
                Ok(intent) => Some(intent),
                // Stripe does not know it (another account's, or a test event): nothing to do,
                // and answering 2xx stops Stripe from sending it again and again.
                Err(PaymentError::Refused { .. }) => None,
                Err(unavailable) => return Err(unavailable.into()),
            },
            None => None,
        };
        let this = self.clone();
        self.db
            .write(move |conn| {
                let object = intent.as_ref().map_or("", |i| i.id.as_str());
                if !pay::record_event(conn, &event.id, "stripe", &event.kind, object, this.now())? {
                    return Ok(WebhookOutcome::Duplicate);
                }
                match &intent {
                    Some(intent) => this.apply_intent(conn, intent),
                    None => Ok(WebhookOutcome::Ignored),
                }
            })
            .await
    }

    /// Reads the PaymentIntent of an unpaid order back from Stripe and applies it: the safety
    /// net for a webhook that never came. Returns whether the order is now paid.
    pub async fn sync_payment(&self, order_id: i64) -> Result<bool, AppError> {
        let gateway = self.payments.stripe()?;
        let payment = self.db.run(move |conn| Ok(pay::payment_of(conn, order_id)?)).await?;
        let Some(payment) = payment.filter(|p| p.provider == "stripe") else { return Ok(false) };
        let intent = gateway.retrieve(&payment.provider_ref).await?;
        let this = self.clone();
        self.db
            .write(move |conn| {
                this.apply_intent(conn, &intent)?;
                Ok(v::order_by_id(conn, order_id)?.status != OrderStatus::PendingPayment.as_str())
            })
            .await
    }

    /// Applies a PaymentIntent's state to its payment and order (inside a transaction).
    pub(crate) fn apply_intent(&self, conn: &mut DbConn, intent: &IntentState) -> Result<WebhookOutcome, AppError> {
        let Some(payment) = pay::payment_by_ref(conn, "stripe", &intent.id)? else {
            return Ok(WebhookOutcome::Ignored);
        };
        crate::db::orders::lock_order(conn, payment.order_id)?;
        let now = self.now();
        let final_states = [PaymentStatus::Succeeded.as_str(), PaymentStatus::Refunded.as_str()];
        match intent.status {
            IntentStatus::Succeeded => {
                if intent.amount != payment.amount_fen || !intent.currency.eq_ignore_ascii_case(&payment.currency) {
                    tracing::error!(payment = payment.id, "a PaymentIntent succeeded with another amount or currency");
                    return Ok(WebhookOutcome::Ignored);
                }
                if !pay::set_payment_status(conn, payment.id, PaymentStatus::Succeeded.as_str(), &final_states, now)? {
                    return Ok(WebhookOutcome::Applied);
                }
                let order = v::order_by_id(conn, payment.order_id)?;
                if order.status == OrderStatus::Cancelled.as_str() {
                    // Paid after the reservation ran out: the stock is gone, so the money goes back.
                    outbox::insert(conn, LATE_PAYMENT_TOPIC, &payment.id.to_string())?;
                    self.worker.wake();
                } else {
                    self.mark_paid(conn, payment.order_id)?;
                }
            }
            IntentStatus::AwaitingPayment => {
                if payment.status == PaymentStatus::Pending.as_str() {
                    pay::set_payment_status(conn, payment.id, PaymentStatus::Failed.as_str(), &final_states, now)?;
                }
            }
            IntentStatus::Cancelled => {
                pay::set_payment_status(conn, payment.id, PaymentStatus::Cancelled.as_str(), &final_states, now)?;
            }
            IntentStatus::Processing => {}
        }
        Ok(WebhookOutcome::Applied)
    }
}

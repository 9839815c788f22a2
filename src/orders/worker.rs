//! The order worker: a thread that cancels unpaid orders whose reservation ran out (their stock
//! goes back; a Stripe order only after Stripe says its intent was not paid, and cancels it),
//! reminds bank-transfer buyers once before their hold runs out,
//! marks long-shipped parcels delivered, purges abandoned signed-out carts, and sends approved
//! refunds and late payments back through Stripe from the outbox. A provider outage leaves the
//! outbox rows for the next round; nothing is lost. With several app nodes, one at a time
//! runs a round (a lease), and each outbox row is claimed by one.

use super::refunds::REFUND_TOPIC;
use super::stripe_events::LATE_PAYMENT_TOPIC;
use super::Orders;
use crate::db::payments as pay;
use crate::db::refunds as rq;
use crate::db::{leases, outbox};
use crate::domain::order::{PaymentStatus, RefundStatus};
use crate::error::AppError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// Refunds claimed at a time: each waits for Stripe, well within the outbox's lease.
const CLAIM_BATCH: i64 = 10;

/// How long one node keeps the sweep: far longer than a round takes. A node that dies
/// mid-round holds it back from the others this long at most.
const SWEEP_LEASE: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    wake: (Mutex<bool>, Condvar),
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// Controls the worker thread; clones share it.
#[derive(Clone, Default)]
pub struct WorkerHandle {
    shared: Arc<Shared>,
}

impl WorkerHandle {
    /// Asks the worker to look for work now.
    pub fn wake(&self) {
        let (flag, cv) = &self.shared.wake;
        if let Ok(mut woken) = flag.lock() {
            *woken = true;
            cv.notify_one();
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub expired: usize,
    /// Bank-transfer buyers reminded that their hold runs out.
    pub reminded: usize,
    pub delivered: usize,
    pub refunded: usize,
    /// Signed-out browsers' carts deleted as abandoned.
    pub carts_purged: usize,
}

impl Orders {
    /// Starts the worker thread.
    pub fn start_worker(&self) -> std::io::Result<()> {
        let orders = self.clone();
        let handle = std::thread::Builder::new().name("orders".into()).spawn(move || orders.work())?;
        if let Ok(mut slot) = self.worker.shared.thread.lock() {
            *slot = Some(handle);
        }
        Ok(())
    }

    /// Stops the worker after its current round and waits for it.
    pub fn shutdown(&self) {
        self.worker.shared.stop.store(true, Ordering::SeqCst);
        self.worker.wake();
        let handle = self.worker.shared.thread.lock().ok().and_then(|mut slot| slot.take());
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }

    fn work(&self) {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                tracing::error!(error = %e, "order worker could not start its runtime");
                return;
            }
        };
        while !self.worker.shared.stop.load(Ordering::SeqCst) {
            if let Err(e) = runtime.block_on(self.round()) {
                tracing::warn!(error = %e, "order worker round failed; will try again");
            }
            let (flag, cv) = &self.worker.shared.wake;
            if let Ok(mut woken) = flag.lock() {
                if !*woken {
                    woken =
                        cv.wait_timeout(woken, self.config.sweep).map(|(g, _)| g).unwrap_or_else(|e| e.into_inner().0);
                }
                *woken = false;
            }
        }
    }

    /// One round of the worker's duties (also run directly by tests and commands), on one
    /// node at a time: a node that finds another holding the sweep's lease does nothing.
    pub async fn round(&self) -> Result<Round, AppError> {
        let db = self.db.clone();
        let ours = actix_web::web::block(move || db.take_lease(leases::ORDER_SWEEP, SWEEP_LEASE)).await??;
        if !ours {
            return Ok(Round::default());
        }
        let round = self.round_held().await;
        let db = self.db.clone();
        actix_web::web::block(move || db.release_lease(leases::ORDER_SWEEP)).await??;
        round
    }

    async fn round_held(&self) -> Result<Round, AppError> {
        // Stripe orders first: each is asked about at Stripe before its reservation is given up.
        let settled = self.settle_expired_intents().await?;
        let this = self.clone();
        let (expired, reminded, delivered) = tokio::task::spawn_blocking(move || {
            Ok::<_, AppError>((this.expire_reservations()?, this.remind_bank_transfers()?, this.auto_deliver()?))
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("order sweep: {e}")))??;
        let refunded = self.send_refunds().await? + self.return_late_payments().await?;
        let before = self.now() - chrono::TimeDelta::days(self.config.abandoned_cart_days);
        // A browser's favourites are kept as long as its cart would be.
        let carts_purged = self
            .db
            .write(move |c| {
                crate::db::favourites::purge_abandoned(c, before)?;
                Ok(crate::db::carts::purge_abandoned(c, before)?)
            })
            .await?;
        Ok(Round { expired: expired + settled, reminded, delivered, refunded, carts_purged })
    }

    /// Sends approved refunds of Stripe payments; returns how many went through.
    async fn send_refunds(&self) -> Result<usize, AppError> {
        // The outbox runs on the wall clock (as the mail worker does), not the business clock.
        let now = crate::db::now();
        let due = self.db.claim(REFUND_TOPIC, CLAIM_BATCH).await?;
        let mut done = 0;
        for row in due {
            let id: i64 = row.item_key.parse().unwrap_or(0);
            let found = self
                .db
                .run(move |c| {
                    let r = rq::refund(c, id)?;
                    let payment = match &r {
                        Some(r) => pay::payment_of(c, r.order_id)?,
                        None => None,
                    };
                    Ok((r, payment))
                })
                .await?;
            let (Some(refund), Some(payment)) = found else {
                self.db.run(move |c| Ok(outbox::mark_done(c, &[row.id], now)?)).await?;
                continue;
            };
            if refund.status != RefundStatus::Pending.as_str() {
                self.db.run(move |c| Ok(outbox::mark_done(c, &[row.id], now)?)).await?;
                continue;
            }
            // The key names the intent too: refund ids restart in every database (a restored
            // backup, staging), and Stripe would answer a reused key with the old refund.
            let sent = self
                .payments
                .stripe()?
                .refund(
                    &payment.provider_ref,
                    refund.amount_fen,
                    &format!("gongfang-refund-{}-{id}", payment.provider_ref),
                )
                .await;
            match sent {
                Ok(stripe_id) => {
                    let this = self.clone();
                    self.db
                        .write(move |c| {
                            this.complete_refund(c, &refund, Some(&stripe_id))?;
                            outbox::mark_done(c, &[row.id], now)?;
                            Ok(())
                        })
                        .await?;
                    done += 1;
                }
                Err(e) => {
                    let next = now + chrono::TimeDelta::seconds(30 * i64::from(row.attempts + 1).min(120));
                    let message = e.to_string();
                    self.db.run(move |c| Ok(outbox::retry_later(c, &[row.id], next, &message)?)).await?;
                    tracing::warn!(refund = id, error = %e, "refund delayed");
                }
            }
        }
        Ok(done)
    }

    /// Gives back payments that arrived after their order was cancelled.
    async fn return_late_payments(&self) -> Result<usize, AppError> {
        // The outbox runs on the wall clock (as the mail worker does), not the business clock.
        let now = crate::db::now();
        let due = self.db.claim(LATE_PAYMENT_TOPIC, CLAIM_BATCH).await?;
        let mut done = 0;
        for row in due {
            let id: i64 = row.item_key.parse().unwrap_or(0);
            let payment = self
                .db
                .run(move |c| {
                    use crate::db::schema::payments;
                    use diesel::prelude::*;
                    Ok(payments::table.find(id).select(pay::PaymentRow::as_select()).first(c).optional()?)
                })
                .await?;
            let Some(payment) = payment else {
                self.db.run(move |c| Ok(outbox::mark_done(c, &[row.id], now)?)).await?;
                continue;
            };
            match self
                .payments
                .stripe()?
                .refund(&payment.provider_ref, payment.amount_fen, &format!("gongfang-late-{}", payment.provider_ref))
                .await
            {
                Ok(_) => {
                    self.db
                        .write(move |c| {
                            pay::set_payment_status(c, id, PaymentStatus::Refunded.as_str(), &[], now)?;
                            outbox::mark_done(c, &[row.id], now)?;
                            Ok(())
                        })
                        .await?;
                    done += 1;
                }
                Err(e) => {
                    let next = now + chrono::TimeDelta::seconds(60);
                    let message = e.to_string();
                    self.db.run(move |c| Ok(outbox::retry_later(c, &[row.id], next, &message)?)).await?;
                }
            }
        }
        Ok(done)
    }
}

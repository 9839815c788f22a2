//! Settlement, payouts and income attribution: the journal postings of every captured line and
//! refund ([`ledger`]), settlement after the return window and payout runs per period
//! ([`run`]), the two payout rails — the bank batch file and Stripe Connect transfers
//! ([`rails`]) — wage statements ([`statements`]) with the workshop's proof of paying each
//! worker ([`disbursements`]) and the worker's one-time acknowledgement ([`acks`]), the
//! buyer's impact receipt ([`impact`]), and the audit check that recomputes all of it from the
//! journal ([`verify`]).

pub mod acks;
pub mod disbursements;
pub mod generate;
pub mod impact;
pub mod ledger;
pub mod rails;
pub mod run;
pub mod seal;
pub mod statements;
pub mod verify;

use crate::accounts::secrets::SecretKey;
use crate::clock::Clock;
use crate::config::PayoutsConfig;
use crate::db::{Db, DbConn};
use crate::error::AppError;
use crate::payments::Payments;

/// The payouts service shared by handlers and commands.
#[derive(Clone)]
pub struct Payouts {
    pub(crate) db: Db,
    pub(crate) clock: Clock,
    pub(crate) config: PayoutsConfig,
    /// Days after delivery before a line settles (the orders' return window).
    pub(crate) return_window_days: i64,
    pub(crate) key: SecretKey,
    pub(crate) payments: Payments,
    pub(crate) public_url: String,
    pub(crate) reference: std::sync::Arc<crate::catalog::reference::Reference>,
    /// Where voucher photos are kept: outside the public media directory, served only to
    /// those who may read the statement.
    pub(crate) storage: crate::storage::Storage,
    pub(crate) photo_limits: crate::media::photos::PhotoLimits,
    /// The employment rule's configuration: its statuses are the one definition of a poor
    /// household for statements and receipts, as for the reports.
    pub(crate) rule: crate::domain::employment_rule::RuleConfig,
}

impl Payouts {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        db: Db,
        clock: Clock,
        config: PayoutsConfig,
        return_window_days: i64,
        key: SecretKey,
        payments: Payments,
        public_url: String,
        reference: std::sync::Arc<crate::catalog::reference::Reference>,
        vouchers: (crate::storage::Storage, crate::media::photos::PhotoLimits),
        rule: crate::domain::employment_rule::RuleConfig,
    ) -> Payouts {
        let (storage, photo_limits) = vouchers;
        Payouts {
            db,
            clock,
            config,
            return_window_days,
            key,
            payments,
            public_url,
            reference,
            storage,
            photo_limits,
            rule,
        }
    }

    /// The same service on another clock (tests and generated data run at chosen times).
    pub fn with_clock(&self, clock: Clock) -> Payouts {
        Payouts { clock, ..self.clone() }
    }

    pub(crate) fn now(&self) -> chrono::NaiveDateTime {
        self.clock.now().naive_utc()
    }

    /// Today in China, by this service's clock.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Runs `f` in one writing transaction ([`Db::write`]).
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnMut(&Payouts, &mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let this = self.clone();
        let mut f = f;
        self.db.write(move |conn| f(&this, conn)).await
    }

    /// Runs `f` reading, off the async workers.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&Payouts, &mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let this = self.clone();
        self.db.run(move |conn| f(&this, conn)).await
    }
}

//! Carts, checkout and the life of an order: payment (offline, or Stripe through
//! [`crate::payments`]), parcels shipped and delivered, cancellations, returns and refunds,
//! and the e-mails each step sends through the outbox. Every move is checked by the state
//! machine in [`crate::domain::order`] and applied with a conditional update, so a move happens
//! once however many requests or webhook deliveries race for it.

pub mod cart;
pub mod checkout;
pub mod idempotency;
pub mod lifecycle;
pub mod next;
pub mod notify;
pub mod reconcile;
pub mod refunds;
pub mod stripe_events;
mod units;
pub mod views;
pub mod worker;

use crate::accounts::authz::{authorize, Action};
use crate::catalog::reference::Reference;
use crate::clock::Clock;
use crate::config::OrdersConfig;
use crate::db::order_views::{self as v, OrderRow};
use crate::db::{Db, DbConn};
use crate::domain::account::{Principal, Role};
use crate::domain::order::IllegalMove;
use crate::domain::WorkshopId;
use crate::error::AppError;
use crate::mail::Mailer;
use crate::payments::Payments;
use std::sync::Arc;

/// The orders service shared by handlers and the order worker.
#[derive(Clone)]
pub struct Orders {
    pub(crate) db: Db,
    pub(crate) clock: Clock,
    pub(crate) config: OrdersConfig,
    pub(crate) mailer: Mailer,
    pub(crate) payments: Payments,
    pub(crate) reference: Arc<Reference>,
    pub(crate) public_url: String,
    pub(crate) worker: worker::WorkerHandle,
}

impl Orders {
    pub fn new(
        db: Db,
        clock: Clock,
        config: OrdersConfig,
        mailer: Mailer,
        payments: Payments,
        reference: Arc<Reference>,
        public_url: String,
    ) -> Orders {
        Orders { db, clock, config, mailer, payments, reference, public_url, worker: worker::WorkerHandle::default() }
    }

    pub(crate) fn now(&self) -> chrono::NaiveDateTime {
        self.clock.now().naive_utc()
    }

    /// The same service on another clock (generated sales happen at chosen times).
    pub fn with_clock(&self, clock: Clock) -> Orders {
        Orders { clock, ..self.clone() }
    }

    pub fn config(&self) -> &OrdersConfig {
        &self.config
    }

    pub fn payments(&self) -> &Payments {
        &self.payments
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Runs `f` in one writing transaction ([`Db::write`]): the shape of every order move.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnMut(&Orders, &mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let this = self.clone();
        let mut f = f;
        self.db.write(move |conn| f(&this, conn)).await
    }
}

impl From<IllegalMove> for AppError {
    fn from(m: IllegalMove) -> Self {
        AppError::Conflict { key: m.key }
    }
}

/// How a user stands to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The buyer who placed it.
    Buyer,
    /// Staff of a workshop with a parcel in it (sees that parcel's side).
    Workshop(WorkshopId),
    Operator,
}

/// The order `number` as `who` may see it: the buyer, an operator, or staff of a workshop with
/// a parcel in it. Anyone else gets not found, the same as for a number that does not exist.
pub fn order_for(conn: &mut DbConn, who: &Principal, number: &str) -> Result<(OrderRow, Standing), AppError> {
    let order = v::order_by_number(conn, number)?.ok_or(AppError::NotFound)?;
    if order.user_id == who.user_id.get() {
        return Ok((order, Standing::Buyer));
    }
    let standing = match who.role {
        Role::Operator => Standing::Operator,
        Role::Manager(w) | Role::Editor(w) if v::order_workshops(conn, order.id)?.contains(&w.get()) => {
            Standing::Workshop(w)
        }
        _ => return Err(AppError::NotFound),
    };
    Ok((order, standing))
}

/// Checks that `who` may do `action` for the workshop of a parcel.
pub(crate) fn authorize_workshop(who: &Principal, action: Action, workshop: i64) -> Result<(), AppError> {
    Ok(authorize(Some(who), action, Some(WorkshopId(workshop)))?)
}

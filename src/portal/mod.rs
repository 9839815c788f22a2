//! The workshop portal's actions: profile and certification, the roster (consent, household
//! status, sealed ID and bank numbers), products with makers and review, and photos. Each
//! action finds the workshop the row belongs to, asks [`crate::accounts::authz`], and makes
//! its change and its audit entry in one transaction. Search hears of changes through the
//! database triggers that fill the outbox.

pub mod designers;
pub mod input;
pub mod photos;
pub mod products;
pub mod profile;
pub mod training;
pub mod workers;

use crate::accounts::authz::{authorize, Action, Denial};
use crate::accounts::secrets::SecretKey;
use crate::clock::Clock;
use crate::db::{portal as q, Db, DbConn};
use crate::domain::account::Principal;
use crate::domain::WorkshopId;
use crate::error::AppError;
use crate::media::photos::PhotoLimits;

/// The portal service shared by handlers.
#[derive(Clone)]
pub struct Portal {
    pub(crate) db: Db,
    pub(crate) key: SecretKey,
    pub(crate) clock: Clock,
    pub(crate) storage: crate::storage::Storage,
    pub(crate) photo_limits: PhotoLimits,
    /// Photo decodes running at once (each may take `max_alloc` of memory).
    pub(crate) uploads: std::sync::Arc<tokio::sync::Semaphore>,
}

/// What kind of row an id names, to find its workshop.
#[derive(Debug, Clone, Copy)]
pub enum Owned {
    Workshop(i64),
    Product(i64),
    Worker(i64),
    Photo(i64),
}

impl Portal {
    pub fn new(
        db: Db,
        key: SecretKey,
        clock: Clock,
        storage: crate::storage::Storage,
        photo_limits: PhotoLimits,
    ) -> Portal {
        let uploads = std::sync::Arc::new(tokio::sync::Semaphore::new(2));
        Portal { db, key, clock, storage, photo_limits, uploads }
    }

    pub(crate) fn now(&self) -> chrono::NaiveDateTime {
        self.clock.now().naive_utc()
    }

    pub fn photo_limits(&self) -> &PhotoLimits {
        &self.photo_limits
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

/// Finds the workshop a row belongs to and checks `who` may do `action` there. A row that
/// does not exist and a row of a workshop the user has no part in look the same: not found.
pub(crate) fn authorized(
    conn: &mut DbConn,
    who: &Principal,
    action: Action,
    row: Owned,
) -> Result<WorkshopId, AppError> {
    crate::accounts::authz::may_enter_portal(Some(who))?;
    let workshop = match row {
        Owned::Workshop(id) => q::workshop_exists(conn, WorkshopId(id))?.then_some(id),
        Owned::Product(id) => q::product_workshop(conn, id)?,
        Owned::Worker(id) => q::worker_workshop(conn, id)?,
        Owned::Photo(id) => q::image_owner(conn, id)?.map(|(_, w)| w),
    }
    .map(WorkshopId);
    match authorize(Some(who), action, workshop) {
        Ok(()) => workshop.ok_or(AppError::NotFound),
        // An operator asking for a row that is not there.
        Err(Denial::NotFound) => Err(AppError::NotFound),
        Err(d) => Err(d.into()),
    }
}

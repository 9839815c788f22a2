//! The one way to open a write transaction ([`write`]), savepoints inside one
//! ([`savepoint`]), and read-only snapshots ([`snapshot`]). Everything else that begins a
//! transaction is forbidden by clippy's `disallowed-methods` (clippy.toml), so these rules
//! hold by construction:
//!
//! - **Locks first.** On SQLite the transaction begins with `BEGIN IMMEDIATE`, so it holds the
//!   write lock before its first read (a deferred transaction that reads, then writes, fails
//!   with SQLITE_BUSY once another writer has committed in between). On PostgreSQL row locks
//!   are taken in one order by the code inside (see `orders::locks`).
//! - **Retries.** A transaction that PostgreSQL aborts with a deadlock (40P01) or a
//!   serialization failure (40001) is rolled back and run again, up to [`MAX_ATTEMPTS`] times,
//!   so the closure must be safe to run again: it only touches the database.
//! - **Never half-done.** An error rolls back. A panic unwinds out of the pooled connection
//!   while the thread is panicking, and the pool's manager (`has_broken`) then discards the
//!   connection instead of returning it with an open transaction; closing it rolls the
//!   transaction back and releases SQLite's write lock. A connection whose transaction state
//!   is broken is discarded the same way.

use super::DbConn;
use crate::error::AppError;
use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use std::time::Duration;

/// How often a transaction is tried before its deadlock or serialization failure is answered.
pub const MAX_ATTEMPTS: u32 = 5;

/// An error a transaction can end with: it can hold a database error, and can say whether it
/// is a transient conflict worth running the transaction again for.
pub trait TxError: From<DieselError> {
    /// A deadlock or serialization failure: the transaction was rolled back and may succeed
    /// if run again.
    fn is_transient(&self) -> bool;
}

impl TxError for DieselError {
    fn is_transient(&self) -> bool {
        is_transient(self)
    }
}

impl TxError for AppError {
    fn is_transient(&self) -> bool {
        matches!(self, AppError::Internal(e) if e.downcast_ref::<DieselError>().is_some_and(is_transient))
    }
}

impl TxError for anyhow::Error {
    fn is_transient(&self) -> bool {
        self.downcast_ref::<DieselError>().is_some_and(is_transient)
    }
}

/// Whether PostgreSQL rolled the transaction back for a conflict with another one. Diesel
/// names 40001; a deadlock (40P01) reaches it only as its message, which PostgreSQL writes
/// in the server's `lc_messages` (English by default).
fn is_transient(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(_, info) => info.message().contains("deadlock detected"),
        _ => false,
    }
}

/// Runs `f` in one writing transaction on `conn`, committing what it returns `Ok` for and
/// rolling back on `Err` (or panic, see the module notes). A transient conflict on PostgreSQL
/// runs `f` again after a short pause. Must not be called inside another transaction: use
/// [`savepoint`] there.
pub fn write<T, E, F>(conn: &mut DbConn, mut f: F) -> Result<T, E>
where
    F: FnMut(&mut DbConn) -> Result<T, E>,
    E: TxError,
{
    let mut attempt = 1;
    loop {
        match once(conn, &mut f) {
            Err(e) if attempt < MAX_ATTEMPTS && e.is_transient() => {
                tracing::info!(attempt, "transaction rolled back by a conflict; running it again");
                // A short, growing pause with jitter, so that the two sides of a deadlock do
                // not meet again at once.
                let base = 5u64 << attempt.min(6);
                std::thread::sleep(Duration::from_millis(base + rand::random_range(0..base)));
                attempt += 1;
            }
            other => return other,
        }
    }
}

fn once<T, E, F>(conn: &mut DbConn, f: &mut F) -> Result<T, E>
where
    F: FnMut(&mut DbConn) -> Result<T, E>,
    E: TxError,
{
    // The one place that begins a transaction (clippy.toml forbids it everywhere else).
    #[allow(clippy::disallowed_methods)]
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Postgresql(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN")?,
    }
    finish(conn, f)
}

/// Runs the reads of `f` in one read-only transaction, so that they all see one snapshot (an
/// export's figures and its digest, say). It takes no lock and writes nothing, so it is not a
/// second write path; on a PostgreSQL hot standby it is allowed.
pub fn snapshot<T, E, F>(conn: &mut DbConn, mut f: F) -> Result<T, E>
where
    F: FnMut(&mut DbConn) -> Result<T, E>,
    E: From<DieselError>,
{
    #[allow(clippy::disallowed_methods)]
    match conn {
        // SQLite in WAL mode: a deferred transaction reads one snapshot from its first read.
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN DEFERRED")?,
        DbConn::Postgresql(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?
        }
    }
    finish(conn, &mut f)
}

/// Runs `f` inside a savepoint of the current transaction: its `Err` undoes only what `f`
/// did (an insert that may meet a unique row, say), and the transaction goes on.
pub fn savepoint<T, E, F>(conn: &mut DbConn, mut f: F) -> Result<T, E>
where
    F: FnMut(&mut DbConn) -> Result<T, E>,
    E: From<DieselError>,
{
    #[allow(clippy::disallowed_methods)]
    <DbConn as Connection>::TransactionManager::begin_transaction(conn)?;
    finish(conn, &mut f)
}

/// Runs the insert `f` in a savepoint: true when it inserted, false when it met a unique row
/// (inserted meanwhile by another transaction, say), which leaves the transaction usable.
pub fn insert_if_absent<F>(conn: &mut DbConn, f: F) -> Result<bool, DieselError>
where
    F: FnMut(&mut DbConn) -> Result<usize, DieselError>,
{
    match savepoint(conn, f) {
        Ok(n) => Ok(n > 0),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Commits on `Ok`, rolls back on `Err`, as diesel's own `transaction` does.
fn finish<T, E, F>(conn: &mut DbConn, f: &mut F) -> Result<T, E>
where
    F: FnMut(&mut DbConn) -> Result<T, E>,
    E: From<DieselError>,
{
    type Manager = <DbConn as Connection>::TransactionManager;
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(user_error) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(DieselError::BrokenTransactionManager) => Err(user_error),
            Err(rollback_error) => Err(rollback_error.into()),
        },
    }
}

/// The outbox topic of the row [`test_hook_panic_inside_write`] writes before it panics.
pub const TEST_HOOK_TOPIC: &str = "test-hook.panic-inside-write";

/// Test-only: writes an outbox row inside [`super::Db::write`], then panics, so that a test
/// can show the row was never committed and the next write works.
pub async fn test_hook_panic_inside_write(db: &super::Db) -> Result<(), AppError> {
    db.write(|conn| -> Result<(), AppError> {
        super::outbox::insert(conn, TEST_HOOK_TOPIC, "1")?;
        #[allow(clippy::panic)]
        {
            panic!("test hook: a panic inside a write transaction");
        }
    })
    .await
}

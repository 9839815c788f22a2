//! The database: one diesel code path over SQLite or PostgreSQL, chosen at run time from
//! `DATABASE_URL`, with an r2d2 pool, embedded migrations and one module per table group.
//! Every call from async code goes through [`Db::run`], which moves it off the async workers;
//! every write transaction is opened by [`tx::write`] (through [`Db::write`] where a `Db` is
//! at hand).

pub mod accounts;
pub mod annuals;
pub mod audit;
pub mod carts;
pub mod catalog;
pub mod custom_orders;
pub mod designers;
pub mod favourites;
pub mod leases;
pub mod ledger;
pub mod messages;
pub mod order_views;
pub mod orders;
pub mod organisations;
pub mod outbox;
pub mod payments;
pub mod payouts;
pub mod portal;
pub mod reference;
pub mod references;
pub mod refunds;
pub mod replica;
pub mod reports;
pub mod reviews;
pub mod schema;
pub mod seals;
pub mod search_log;
pub mod training;
pub mod tx;
pub mod variants;
pub mod wages;
pub mod writes;

use crate::config::DatabaseUrl;
use crate::error::AppError;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

pub use connection::DbConn;

// diesel's derive implements the transaction manager by calling what clippy.toml forbids
// elsewhere.
#[allow(clippy::disallowed_methods)]
mod connection {
    /// A connection to either backend. Queries written once against it run on both.
    #[derive(diesel::MultiConnection)]
    pub enum DbConn {
        Postgresql(diesel::PgConnection),
        Sqlite(diesel::SqliteConnection),
    }
}

/// The PostgreSQL advisory lock held while migrating (any number the app uses for nothing else).
const MIGRATION_LOCK: i64 = 0x6766_6d69_6772;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Applied to every new SQLite connection: WAL so readers never block the writer, foreign
/// keys on (SQLite defaults them off), and a busy timeout instead of instant "locked" errors.
/// The busy timeout comes first so that the other pragmas wait for the lock too.
///
/// Reads go through a memory map of the file (up to 2 GiB, SQLite's build limit) and a 16 MB
/// page cache per connection: at national scale the database is gigabytes, and copying each
/// page out of the kernel's cache with `pread` was a tenth of a list page's time (issue 18's
/// profile). The map shares the kernel's pages, so it costs no memory per connection.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; \
     PRAGMA mmap_size = 2147418112; PRAGMA cache_size = -16000;";

/// Opens connections of the backend the URL names, directly, so that a wrong URL or a server
/// that is down reports its real error (diesel's multi-connection `establish` hides it).
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                diesel::PgConnection::establish(url).map(DbConn::Postgresql).map_err(r2d2::Error::ConnectionError)
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(SQLITE_PRAGMAS).map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    /// A connection dropped while its thread panics, or whose transaction did not finish,
    /// is closed instead of going back to the pool (see [`tx`]).
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

/// A pooled connection.
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// The database handle shared by the web server, the job worker and the commands.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<Manager>,
    backend: &'static str,
    /// SQLite has one writer at a time, and its busy handler wakes waiting writers by polling,
    /// in no order: under load a few wait very long. Writers of this process queue here
    /// instead (see [`Db::write`]).
    sqlite_writer: Option<std::sync::Arc<std::sync::Mutex<()>>>,
    /// This handle's name in outbox claims and leases (see [`Db::node`]).
    node: std::sync::Arc<str>,
    /// How long a claim holds outbox rows ([`outbox::LEASE`] unless configured).
    outbox_lease: chrono::TimeDelta,
    /// The streaming replica that takes [`Db::read`]s while it keeps up.
    replica: Option<std::sync::Arc<replica::Replica>>,
}

impl Db {
    /// Connects once directly (so a bad URL fails at once with its cause), then builds the pool.
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> anyhow::Result<Db> {
        let manager = Manager { url: url.clone() };
        manager
            .connect()
            .map_err(|e| anyhow::anyhow!("cannot open the {} database {}: {e}", url.backend_name(), url.redacted()))?;
        let pool =
            r2d2::Pool::builder().max_size(pool_size).connection_timeout(Duration::from_secs(10)).build(manager)?;
        let sqlite_writer = matches!(url, DatabaseUrl::Sqlite(_)).then(Default::default);
        Ok(Db {
            pool,
            backend: url.backend_name(),
            sqlite_writer,
            node: node_name().into(),
            outbox_lease: outbox::LEASE,
            replica: None,
        })
    }

    /// This handle with [`Db::read`]s sent to the streaming replica `config` names while it
    /// keeps up ([`replica`]).
    pub fn with_replica(mut self, config: Option<&crate::config::ReplicaConfig>) -> anyhow::Result<Db> {
        if let Some(config) = config {
            self.replica = Some(replica::Replica::start(config, self.pool.max_size(), self.pool.clone())?);
        }
        Ok(self)
    }

    /// The replica's lag and use, when one is configured.
    pub fn replica_status(&self) -> Option<replica::ReplicaStatus> {
        self.replica.as_ref().map(|r| r.status())
    }

    /// This handle with claims of outbox rows held for `lease` (`GONGFANG_OUTBOX_LEASE_SECS`).
    pub fn with_outbox_lease(mut self, lease: Duration) -> Db {
        self.outbox_lease = chrono::TimeDelta::from_std(lease).unwrap_or(outbox::LEASE);
        self
    }

    /// The name this node gives in outbox claims and leases: the host, the process and a
    /// random part (two apps in one process, as the tests run them, are two nodes).
    pub fn node(&self) -> &str {
        &self.node
    }

    /// Claims due outbox rows of `topic` for this node ([`outbox::claim`]), in a write
    /// transaction of their own.
    pub fn claim_blocking(&self, topic: &'static str, limit: i64) -> Result<Vec<outbox::OutboxRow>, AppError> {
        let (node, lease) = (self.node.clone(), self.outbox_lease);
        self.write_blocking(move |c| Ok(outbox::claim(c, topic, &node, now(), lease, limit)?))
    }

    /// [`Db::claim_blocking`] off the async workers.
    pub async fn claim(&self, topic: &'static str, limit: i64) -> Result<Vec<outbox::OutboxRow>, AppError> {
        let this = self.clone();
        actix_web::web::block(move || this.claim_blocking(topic, limit)).await?
    }

    /// Takes (or renews) the lease `name` for this node until `ttl` from now; false when another
    /// node holds it ([`leases::take`]).
    pub fn take_lease(&self, name: &'static str, ttl: chrono::TimeDelta) -> Result<bool, AppError> {
        let node = self.node.clone();
        self.write_blocking(move |c| Ok(leases::take(c, name, &node, now(), ttl)?))
    }

    /// Gives back a lease this node holds.
    pub fn release_lease(&self, name: &'static str) -> Result<(), AppError> {
        let node = self.node.clone();
        self.write_blocking(move |c| Ok(leases::release(c, name, &node).map(|_| ())?))
    }

    /// The pool's connections: (open, idle).
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }

    /// The pool's largest size.
    pub fn pool_max(&self) -> u32 {
        self.pool.max_size()
    }

    /// "sqlite" or "postgres".
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// A connection for blocking code (commands, the seed, the job worker thread).
    pub fn conn(&self) -> Result<PooledConn, AppError> {
        Ok(self.pool.get()?)
    }

    /// Runs blocking database work on actix's blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Runs a read that may be a little stale (by at most the replica's threshold) off the
    /// async workers: on the streaming replica while it keeps up, otherwise on the primary.
    /// `f` may run twice (on the primary after the replica failed it), so it only reads.
    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: Fn(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let this = self.clone();
        actix_web::web::block(move || match &this.replica {
            Some(replica) => replica.read(f, || this.conn()),
            None => f(&mut *this.conn()?),
        })
        .await?
    }

    /// Runs blocking reads on a pooled connection, returned to the pool at once.
    pub fn run_blocking<T, E>(&self, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, AppError>
    where
        AppError: From<E>,
    {
        Ok(f(&mut *self.conn()?)?)
    }

    /// Runs `f` in one writing transaction ([`tx::write`]), off the async workers: on SQLite
    /// after this process's other writers, in turn. `f` may run more than once (a PostgreSQL
    /// deadlock is retried), so it must only touch the database.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnMut(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let this = self.clone();
        actix_web::web::block(move || this.write_blocking(f)).await?
    }

    /// [`Db::write`] for blocking code (commands, the job workers).
    pub fn write_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnMut(&mut DbConn) -> Result<T, E>,
        E: tx::TxError + From<AppError>,
    {
        let mut conn = self.conn()?;
        // SQLite has one writer at a time, and its busy handler wakes waiting writers by
        // polling, in no order: under load a few would wait very long. This process's writers
        // queue here instead; a poisoned turn only means a writer panicked, and its connection
        // was discarded.
        let _turn = self.sqlite_writer.as_ref().map(|m| m.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        tx::write(&mut conn, f)
    }

    /// Applies the migrations the database has not seen yet; returns how many ran.
    pub fn migrate(&self) -> anyhow::Result<usize> {
        let mut conn = self.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
        let ran = match &mut *conn {
            DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
            DbConn::Postgresql(c) => {
                // Nodes of a fleet start at once: one migrates while the others wait, then
                // find nothing left to do.
                c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                    .map_err(|e| anyhow::anyhow!("waiting for the migration lock: {e}"))?;
                let ran = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len());
                let _ = c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
                ran
            }
        };
        ran.map_err(|e| anyhow::anyhow!("migration failed: {e}"))
    }
}

/// Inserts many rows in one statement. Diesel's multi-backend connection cannot batch
/// inserts, so this dispatches to the concrete connection (inside the same transaction).
#[macro_export]
macro_rules! insert_batch {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite(c) => diesel::insert_into($table).values($rows).execute(c),
            $crate::db::DbConn::Postgresql(c) => diesel::insert_into($table).values($rows).execute(c),
        }
    };
}

/// `host:pid:random`, unique per [`Db`] handle.
fn node_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".to_owned());
    format!("{host}:{}:{:08x}", std::process::id(), rand::random::<u32>())
}

/// The current time as stored in the database (UTC, naive).
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

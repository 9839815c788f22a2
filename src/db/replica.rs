//! Reads that may be a little stale, sent to a PostgreSQL streaming replica
//! (`DATABASE_READ_URL`) while it keeps up: officials' dashboards, exports and the public
//! impact pages (see [`super::Db::read`]). Writes, and reads that must see them, stay on the
//! primary.
//!
//! **How far behind.** Each node measures the lag itself, every `check_every`: it reads the
//! primary's WAL position, then the position the replica has replayed, and keeps the recent
//! primary positions with the time each was read. The replica is as fresh as the newest of
//! those it has replayed, so the lag is the time since that sample: 0 while the replica keeps
//! up (or the primary is idle), and growing while it stands still under writes. Until it has
//! replayed one of the node's samples (just after start, or while it is unreachable) the lag
//! is unknown.
//!
//! **When it is too far behind** (more than `max_lag`, unknown, or not measured lately),
//! reads go to the primary; they come back when the replica has caught up. A read the replica
//! fails (a conflict with recovery cancels it, say) runs again on the primary.

use super::{DbConn, Manager};
use crate::config::ReplicaConfig;
use crate::error::AppError;
use diesel::prelude::*;
use diesel::r2d2;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// The server's WAL position in bytes: the replayed one on a standby, the written one on a
/// primary (so a "replica" that is the primary itself reads as never behind).
const POSITION: &str = "(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() \
     ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::bigint";

/// Primary positions kept at most (a day of samples at the default rate is far more than any
/// threshold needs).
const HISTORY: usize = 20_000;

/// A node's view of the replica: its pool, the lag last measured and how reads were served.
pub struct Replica {
    pool: r2d2::Pool<Manager>,
    max_lag: Duration,
    check_every: Duration,
    /// When the lag was last measured, and the lag (`None`: unknown or unreachable).
    measured: Mutex<Option<(Instant, Option<Duration>)>>,
    on_replica: AtomicU64,
    on_primary: AtomicU64,
}

/// What `/readyz` and `/metrics` say about the replica.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplicaStatus {
    /// The lag last measured; `None` while unknown or unreachable.
    pub lag: Option<Duration>,
    /// Whether reads go to the replica now.
    pub in_use: bool,
    /// The threshold past which reads go to the primary.
    pub max_lag: Duration,
    /// Reads the replica served, and reads sent to the primary instead, since start.
    pub reads_on_replica: u64,
    pub reads_on_primary: u64,
}

impl Replica {
    /// Opens the replica's pool (without connecting: a replica that is down at start only
    /// sends reads to the primary) and starts measuring its lag against `primary`.
    pub(super) fn start(
        config: &ReplicaConfig,
        pool_size: u32,
        primary: r2d2::Pool<Manager>,
    ) -> anyhow::Result<Arc<Replica>> {
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(2))
            .build_unchecked(Manager { url: config.url.clone() });
        let replica = Arc::new(Replica {
            pool,
            max_lag: config.max_lag,
            check_every: config.check_every,
            measured: Mutex::new(None),
            on_replica: AtomicU64::new(0),
            on_primary: AtomicU64::new(0),
        });
        let weak = Arc::downgrade(&replica);
        std::thread::Builder::new().name("replica-lag".into()).spawn(move || measure_while_alive(&weak, &primary))?;
        Ok(replica)
    }

    /// Whether reads may go to the replica: the lag is known, recent and within the bound.
    fn fresh(&self) -> bool {
        let measured = *self.measured.lock().unwrap_or_else(|p| p.into_inner());
        // A measurement older than a few rounds means the measuring thread is stuck (on a
        // primary that does not answer, say): trust it no more.
        let recent = self.check_every.saturating_mul(4).max(self.max_lag);
        matches!(measured, Some((at, Some(lag))) if at.elapsed() <= recent && lag <= self.max_lag)
    }

    /// The replica's state for `/readyz` and `/metrics`.
    pub fn status(&self) -> ReplicaStatus {
        let measured = *self.measured.lock().unwrap_or_else(|p| p.into_inner());
        ReplicaStatus {
            lag: measured.and_then(|(_, lag)| lag),
            in_use: self.fresh(),
            max_lag: self.max_lag,
            reads_on_replica: self.on_replica.load(Ordering::Relaxed),
            reads_on_primary: self.on_primary.load(Ordering::Relaxed),
        }
    }

    /// Runs the read `f` on the replica when it is fresh; otherwise, or when the replica fails
    /// it, on a connection from `primary`.
    pub(super) fn read<T, F>(
        &self,
        f: F,
        primary: impl FnOnce() -> Result<super::PooledConn, AppError>,
    ) -> Result<T, AppError>
    where
        F: Fn(&mut DbConn) -> Result<T, AppError>,
    {
        if self.fresh() {
            match self.pool.get() {
                Ok(mut conn) => match f(&mut conn) {
                    Ok(value) => {
                        self.on_replica.fetch_add(1, Ordering::Relaxed);
                        return Ok(value);
                    }
                    // A refusal or a missing row is the answer; only a failure is retried.
                    Err(e) if !matches!(e, AppError::Internal(_) | AppError::Unavailable(_)) => return Err(e),
                    Err(e) => tracing::warn!(error = %e, "a read on the replica failed; reading from the primary"),
                },
                Err(e) => tracing::warn!(error = %e, "the replica gave no connection; reading from the primary"),
            }
        }
        self.on_primary.fetch_add(1, Ordering::Relaxed);
        f(&mut *primary()?)
    }

    fn record(&self, lag: Option<Duration>) {
        *self.measured.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), lag));
    }
}

/// The measuring thread: one round every `check_every` until the node drops its replica.
fn measure_while_alive(replica: &Weak<Replica>, primary: &r2d2::Pool<Manager>) {
    let mut history: VecDeque<(Instant, i64)> = VecDeque::new();
    let mut failing = false;
    loop {
        let Some(r) = replica.upgrade() else { return };
        let every = r.check_every;
        match measure(&r.pool, primary, &mut history) {
            Ok(lag) => {
                if failing {
                    tracing::info!("the replica answers again");
                }
                failing = false;
                r.record(lag);
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "cannot measure the replica's lag: reads go to the primary");
                }
                failing = true;
                history.clear();
                r.record(None);
            }
        }
        drop(r);
        std::thread::sleep(every);
    }
}

/// One round: the primary's position now, then the replica's; the lag is the age of the
/// newest primary sample the replica has replayed (`None` when it has replayed none yet).
fn measure(
    replica: &r2d2::Pool<Manager>,
    primary: &r2d2::Pool<Manager>,
    history: &mut VecDeque<(Instant, i64)>,
) -> anyhow::Result<Option<Duration>> {
    let position = |pool: &r2d2::Pool<Manager>| -> anyhow::Result<i64> {
        let mut conn = pool.get()?;
        Ok(diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(POSITION)).get_result(&mut *conn)?)
    };
    let now = Instant::now();
    history.push_back((now, position(primary)?));
    let replayed = position(replica)?;
    Ok(lag_of(history, replayed, now))
}

/// The lag from the samples and the replayed position, pruning samples no longer needed: the
/// newest one replayed is kept, those before it go.
fn lag_of(history: &mut VecDeque<(Instant, i64)>, replayed: i64, now: Instant) -> Option<Duration> {
    while history.len() > 1 && history[1].1 <= replayed {
        history.pop_front();
    }
    while history.len() > HISTORY {
        history.pop_front();
    }
    history.front().filter(|(_, position)| *position <= replayed).map(|(at, _)| now.saturating_duration_since(*at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lag_is_the_age_of_the_newest_sample_replayed() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut h = VecDeque::new();
        // Just started, the replica behind the first sample: unknown.
        h.push_back((at(0), 100));
        assert_eq!(lag_of(&mut h, 90, at(0)), None);
        // It caught up: no lag.
        h.push_back((at(500), 100));
        assert_eq!(lag_of(&mut h, 100, at(500)), Some(Duration::ZERO));
        // Writes go on and the replica stands still at 100: the lag grows with the clock.
        h.push_back((at(1000), 200));
        h.push_back((at(1500), 300));
        assert_eq!(lag_of(&mut h, 100, at(1500)), Some(Duration::from_millis(1000)));
        // It replays up to 250: as fresh as the sample at 1000.
        h.push_back((at(2000), 300));
        assert_eq!(lag_of(&mut h, 250, at(2000)), Some(Duration::from_millis(1000)));
        assert_eq!(h.front().map(|s| s.1), Some(200), "older samples are dropped");
        // And all the way.
        h.push_back((at(2500), 300));
        assert_eq!(lag_of(&mut h, 300, at(2500)), Some(Duration::ZERO));
        assert_eq!(h.len(), 1);
    }
}

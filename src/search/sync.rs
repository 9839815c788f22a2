//! Keeping the index in step with the catalogue. Database triggers write every change that
//! touches a product's document to the outbox; the worker here reads them in batches, builds
//! the current documents, sends upserts and removals, waits for the engine to apply them, and
//! marks the rows done. A rebuild fills a fresh index and swaps it in.
//!
//! Meilisearch is one index for every node, so its rows are claimed: one node delivers each.
//! If it is down, the rows wait with a growing delay: nothing is lost, only late. The
//! embedded engine is an index per node, so each node follows the whole log from its own
//! position ([`crate::db::search_log`]), saved with the index; a node whose index is new, or
//! that was away longer than the log is kept, fills its index from the catalogue first.

use super::{Engine, Search, SearchError};
use crate::db::outbox::{self, SEARCH_TOPIC};
use crate::db::search_log::{self, LogPosition};
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Outbox rows per batch.
const BATCH: i64 = 500;
/// Products per page when rebuilding.
const REBUILD_PAGE: i64 = 1_000;
/// How long delivered rows are kept (a rebuild replays the ones newer than its start, and a
/// node following the log may be this far behind).
const KEEP_DONE: chrono::Duration = chrono::Duration::hours(24);
/// An embedded index whose position was saved longer ago than this may have missed rows the
/// purge took: it is filled again from the catalogue.
const FOLLOW_STALE: chrono::Duration = chrono::Duration::hours(20);
/// How often an idle node saves its unchanged position, so that a restart can tell it was current.
const FOLLOW_TOUCH: chrono::Duration = chrono::Duration::minutes(5);

/// The delay before the next attempt after `attempts` failures: doubling from a quarter
/// second, capped.
pub fn backoff(attempts: i32, max: Duration) -> Duration {
    let exp = u32::try_from(attempts.clamp(0, 20)).unwrap_or(0);
    Duration::from_millis(250u64.saturating_mul(1u64 << exp)).min(max)
}

/// The fresh index a rebuild fills.
enum Target {
    Meili(super::meili::MeiliRebuild),
    Embedded(Box<super::embedded::EmbeddedRebuild>),
}

/// What a rebuild did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebuildReport {
    pub documents: usize,
    /// Time Meilisearch reported for its tasks (zero for the embedded engine).
    pub engine_task_time: Duration,
    pub elapsed: Duration,
}

impl Search {
    /// Applies the engine's settings (and creates its index if missing, queueing every
    /// product to fill it). Idempotent. The embedded engine was set up when it was opened
    /// ([`Search::open`]): its settings are its schema and query rules.
    pub async fn setup(&self) -> Result<(), SearchError> {
        let created = match &*self.inner.engine {
            Engine::Meili(m) => m.setup().await?,
            Engine::Embedded(_) => false,
        };
        if created {
            let queued = self.inner.db.run(|conn| Ok(outbox::queue_all_products(conn)?)).await?;
            tracing::info!(queued, engine = self.engine_name(), "created the search index; filling it");
            self.wake();
        }
        Ok(())
    }

    /// Delivers one batch of changes to the index. Returns how many outbox rows it applied.
    pub async fn sync_once(&self) -> Result<usize, SearchError> {
        match &*self.inner.engine {
            Engine::Meili(_) => self.deliver_claimed().await,
            Engine::Embedded(e) => self.follow_once(e).await,
        }
    }

    /// This node's own index: the next batch of the log after its position.
    async fn follow_once(&self, engine: &super::embedded::EmbeddedEngine) -> Result<usize, SearchError> {
        let saved = engine.position()?;
        let Some(saved) = saved.filter(|s| chrono::Utc::now() - s.at < FOLLOW_STALE) else {
            tracing::info!("filling this node's search index from the catalogue");
            let report = self.rebuild(None).await?;
            return Ok(report.documents.max(1));
        };
        let after = saved.position;
        let entries = self.inner.db.run(move |conn| Ok(search_log::read_after(conn, after, BATCH)?)).await?;
        let Some(last) = entries.last().map(|(p, _)| *p) else {
            if chrono::Utc::now() - saved.at > FOLLOW_TOUCH {
                engine.save_position(after)?;
            }
            return Ok(0);
        };
        let products: BTreeSet<i64> = entries.iter().filter_map(|(_, key)| key.parse().ok()).collect();
        let (docs, deletes) = self.documents(products.into_iter().collect()).await?;
        self.apply(docs, deletes).await?;
        engine.save_position(last)?;
        let ids: Vec<i64> = entries.iter().map(|(p, _)| p.id).collect();
        let done = crate::db::now();
        self.inner.db.run(move |conn| Ok(outbox::mark_done(conn, &ids, done)?)).await?;
        Ok(entries.len())
    }

    /// Meilisearch: due rows claimed for this node, so that of several nodes sharing it one
    /// delivers each change.
    async fn deliver_claimed(&self) -> Result<usize, SearchError> {
        let rows = self.inner.db.claim(SEARCH_TOPIC, BATCH).await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let row_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let products: BTreeSet<i64> = rows.iter().filter_map(|r| r.item_key.parse().ok()).collect();
        let result = match self.documents(products.into_iter().collect()).await {
            Ok((docs, deletes)) => self.apply(docs, deletes).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {
                let done = crate::db::now();
                let ids = row_ids.clone();
                self.inner.db.run(move |conn| Ok(outbox::mark_done(conn, &ids, done)?)).await?;
                Ok(row_ids.len())
            }
            Err(e) => {
                let attempts = rows.iter().map(|r| r.attempts).min().unwrap_or(0);
                let wait = backoff(attempts, self.inner.config.max_backoff);
                let next = crate::db::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                let message = e.to_string();
                self.inner.db.run(move |conn| Ok(outbox::retry_later(conn, &row_ids, next, &message)?)).await?;
                Err(e)
            }
        }
    }

    async fn apply(&self, docs: Vec<super::ProductDocument>, deletes: Vec<i64>) -> Result<(), SearchError> {
        match &*self.inner.engine {
            Engine::Meili(m) => m.apply(&docs, &deletes).await,
            Engine::Embedded(_) => {
                let engine = self.inner.engine.clone();
                super::blocking(move || match &*engine {
                    Engine::Embedded(e) => e.apply(&docs, &deletes),
                    Engine::Meili(_) => Ok(()),
                })
                .await
            }
        }
    }

    /// Changes not yet in the index: for Meilisearch the rows no node has delivered, for the
    /// embedded engine those after this node's position (at least 1 while it is unfilled).
    pub async fn pending(&self) -> Result<i64, SearchError> {
        Ok(self.behind().await?.0)
    }

    /// Whether this node's index follows the search log from a position of its own (the
    /// embedded engine), rather than sharing one engine that takes the outbox (Meilisearch).
    pub fn follows_log(&self) -> bool {
        matches!(&*self.inner.engine, Engine::Embedded(_))
    }

    /// [`Search::pending`] with the time the oldest of them was made.
    pub async fn behind(&self) -> Result<(i64, Option<chrono::NaiveDateTime>), SearchError> {
        let position = match &*self.inner.engine {
            Engine::Meili(_) => None,
            Engine::Embedded(e) => Some(e.position()?.map(|s| s.position)),
        };
        Ok(self
            .inner
            .db
            .run(move |conn| {
                Ok(match position {
                    None => outbox::pending_since(conn, SEARCH_TOPIC)?,
                    Some(Some(p)) => search_log::behind(conn, p)?,
                    Some(None) => {
                        let (n, oldest) = search_log::behind(conn, LogPosition::START)?;
                        (n.max(1), oldest)
                    }
                })
            })
            .await?)
    }

    /// Rebuilds the index from the catalogue into a fresh one and swaps it in; searches keep
    /// answering from the old index meanwhile. Changes made during the rebuild are replayed
    /// through the outbox afterwards. `progress` is told the total, then each page.
    pub async fn rebuild(&self, progress: Option<&indicatif::ProgressBar>) -> Result<RebuildReport, SearchError> {
        let started = Instant::now();
        let today = self.inner.clock.today();
        // Changes after this row (this log position) may be missing from what the rebuild reads.
        let (mark, from, total) = self
            .inner
            .db
            .run(move |conn| {
                Ok((
                    outbox::last_id(conn, SEARCH_TOPIC)?,
                    search_log::head(conn)?,
                    crate::db::catalog::count_listed(conn, today)?,
                ))
            })
            .await?;
        if let Some(p) = progress {
            p.set_length(u64::try_from(total).unwrap_or(0));
        }
        let mut after = 0;
        let mut documents = 0;
        let engine = self.inner.engine.clone();
        let mut target = match &*engine {
            Engine::Meili(m) => Target::Meili(m.begin_rebuild().await?),
            Engine::Embedded(e) => Target::Embedded(Box::new(e.begin_rebuild()?)),
        };
        loop {
            let page = move |conn: &mut crate::db::DbConn| {
                Ok(crate::db::catalog::listed_ids_after(conn, after, REBUILD_PAGE, today)?)
            };
            let ids = self.inner.db.run(page).await?;
            let Some(last) = ids.last().copied() else { break };
            after = last;
            let (docs, _) = self.documents(ids).await?;
            documents += docs.len();
            target = match (target, &*engine) {
                (Target::Meili(mut r), Engine::Meili(m)) => {
                    for chunk in docs.chunks(super::meili::REBUILD_BATCH) {
                        m.rebuild_add(&mut r, chunk).await?;
                    }
                    Target::Meili(r)
                }
                (Target::Embedded(mut r), _) => {
                    Target::Embedded(super::blocking(move || r.add(&docs).map(|()| r)).await?)
                }
                _ => return Err(SearchError::Failed("rebuild target does not match the engine".into())),
            };
            if let Some(p) = progress {
                p.set_position(documents as u64);
            }
        }
        let engine_task_time = match (target, &*engine) {
            (Target::Meili(r), Engine::Meili(m)) => m.rebuild_finish(r).await?,
            (Target::Embedded(r), Engine::Embedded(e)) => {
                // The new index follows the log from where the catalogue was read; other
                // nodes' indexes and the log itself are left as they are.
                super::blocking(move || r.finish(from)).await?;
                e.refresh()?;
                return Ok(RebuildReport { documents, engine_task_time: Duration::ZERO, elapsed: started.elapsed() });
            }
            _ => return Err(SearchError::Failed("rebuild target does not match the engine".into())),
        };
        let now = crate::db::now();
        let replayed = self
            .inner
            .db
            .run(move |conn| {
                outbox::settle_through(conn, SEARCH_TOPIC, mark, now)?;
                Ok(outbox::replay_search_after(conn, mark)?)
            })
            .await?;
        if replayed > 0 {
            self.wake();
        }
        Ok(RebuildReport { documents, engine_task_time, elapsed: started.elapsed() })
    }

    /// Starts the background worker on its own thread; it runs until [`Search::shutdown`].
    pub fn start_worker(&self) -> std::io::Result<()> {
        let search = self.clone();
        let handle = std::thread::Builder::new().name("search-sync".into()).spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!(error = %e, "search worker could not start");
                    return;
                }
            };
            rt.block_on(search.work());
        })?;
        if let Ok(mut slot) = self.inner.worker.lock() {
            *slot = Some(handle);
        }
        Ok(())
    }

    /// Stops the worker after its current batch and waits for it.
    pub fn shutdown(&self) {
        self.inner.stop.store(true, Ordering::SeqCst);
        self.inner.wake.notify_one();
        let handle = self.inner.worker.lock().ok().and_then(|mut slot| slot.take());
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }

    async fn work(&self) {
        let cfg = &self.inner.config;
        let mut ready = matches!(&*self.inner.engine, Engine::Embedded(_));
        let mut failures = 0;
        let mut last_purge = Instant::now();
        while !self.inner.stop.load(Ordering::SeqCst) {
            let outcome = if ready {
                if let Engine::Embedded(e) = &*self.inner.engine {
                    if let Err(err) = e.refresh() {
                        tracing::warn!(error = %err, "could not open the rebuilt search index");
                    }
                }
                self.sync_once().await
            } else {
                self.setup().await.map(|()| {
                    ready = true;
                    tracing::info!(engine = self.engine_name(), "search index ready");
                    0
                })
            };
            let wait = match outcome {
                // A full batch: more is likely due, go again at once. A partial one waits for
                // the poll, so that under a stream of small changes (a checkout each) the index
                // commits a few times a second, not once a change.
                Ok(n) if n >= BATCH.unsigned_abs() as usize => {
                    failures = 0;
                    continue;
                }
                Ok(_) => {
                    failures = 0;
                    cfg.poll
                }
                Err(e) => {
                    failures += 1;
                    tracing::warn!(error = %e, failures, "search index update delayed");
                    backoff(failures, cfg.max_backoff).max(cfg.poll)
                }
            };
            if last_purge.elapsed() > Duration::from_secs(600) {
                last_purge = Instant::now();
                let before = crate::db::now() - KEEP_DONE;
                if let Err(e) = self.inner.db.run(move |conn| Ok(outbox::purge_done(conn, before)?)).await {
                    tracing::warn!(error = %e, "could not purge delivered outbox rows");
                }
            }
            tokio::select! {
                () = self.inner.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps() {
        let max = Duration::from_secs(30);
        assert_eq!(backoff(0, max), Duration::from_millis(250));
        assert_eq!(backoff(1, max), Duration::from_millis(500));
        assert_eq!(backoff(4, max), Duration::from_secs(4));
        assert_eq!(backoff(10, max), max);
        assert_eq!(backoff(i32::MAX, max), max);
        assert_eq!(backoff(-1, max), Duration::from_millis(250));
    }
}

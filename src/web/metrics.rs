//! `GET /metrics`: this node's figures in the Prometheus (OpenMetrics) text format, for a
//! fleet's monitoring. Requests are counted by matched route pattern (never the raw path,
//! which can carry a token), method and status, with a latency histogram per route; the pool,
//! the outbox's depth and age per topic, the search sync lag and the read replica's lag and
//! use are read at each scrape.
//! No figure is about a person.

use crate::db::{outbox, Db};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TopicLabels {
    topic: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServedLabels {
    served_by: &'static str,
}

type Seconds = Gauge<f64, AtomicU64>;

/// One node's metrics; cloned handles share them.
pub struct Metrics {
    registry: Registry,
    db: Db,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    pool_open: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    outbox_depth: Family<TopicLabels, Gauge>,
    outbox_age: Family<TopicLabels, Seconds>,
    search_lag: Seconds,
    replica_lag: Seconds,
    replica_in_use: Gauge,
    replica_reads: Family<ServedLabels, Counter>,
}

/// From half a millisecond to about 16 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Metrics {
    /// Registers every metric; `db` is read at each scrape.
    pub fn new(db: Db) -> Metrics {
        let mut registry = Registry::with_prefix("gongfang");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route pattern, method and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route pattern",
            latency.clone(),
        );
        let (pool_open, pool_idle, pool_max) = (Gauge::default(), Gauge::default(), Gauge::default());
        registry.register("db_pool_connections", "Database connections open in this node's pool", pool_open.clone());
        registry.register("db_pool_idle_connections", "Open connections not in use", pool_idle.clone());
        registry.register("db_pool_max_connections", "The pool's largest size", pool_max.clone());
        let outbox_depth = Family::<TopicLabels, Gauge>::default();
        registry.register("outbox_pending", "Side effects not yet delivered, by topic", outbox_depth.clone());
        let outbox_age = Family::<TopicLabels, Seconds>::default();
        registry.register(
            "outbox_oldest_age_seconds",
            "Age of the oldest undelivered side effect, by topic",
            outbox_age.clone(),
        );
        let search_lag = Seconds::default();
        registry.register(
            "search_sync_lag_seconds",
            "Age of the oldest catalogue change not yet in the search index",
            search_lag.clone(),
        );
        let replica_lag = Seconds::default();
        registry.register(
            "db_replica_lag_seconds",
            "How far the read replica is behind the primary, as this node measures it (+Inf: unknown or unreachable)",
            replica_lag.clone(),
        );
        let replica_in_use = Gauge::default();
        registry.register(
            "db_replica_in_use",
            "1 while this node sends stale-tolerant reads to the replica, 0 while they go to the primary",
            replica_in_use.clone(),
        );
        let replica_reads = Family::<ServedLabels, Counter>::default();
        registry.register(
            "db_replica_reads",
            "Stale-tolerant reads, by the server that answered them (replica, or primary instead)",
            replica_reads.clone(),
        );
        Metrics {
            registry,
            db,
            requests,
            latency,
            pool_open,
            pool_idle,
            pool_max,
            outbox_depth,
            outbox_age,
            search_lag,
            replica_lag,
            replica_in_use,
            replica_reads,
        }
    }

    fn observe(&self, route: String, method: &str, status: u16, seconds: f64) {
        self.latency.get_or_create(&RouteLabels { route: route.clone() }).observe(seconds);
        self.requests.get_or_create(&RequestLabels { route, method: method.to_owned(), status }).inc();
    }

    /// Reads the scrape-time figures and encodes everything.
    pub async fn render(&self, search: &crate::search::Search) -> Result<String, AppError> {
        let (open, idle) = self.db.pool_state();
        self.pool_open.set(i64::from(open));
        self.pool_idle.set(i64::from(idle));
        self.pool_max.set(i64::from(self.db.pool_max()));
        if let Some(replica) = self.db.replica_status() {
            self.replica_lag.set(replica.lag.map_or(f64::INFINITY, |l| l.as_secs_f64()));
            self.replica_in_use.set(i64::from(replica.in_use));
            for (served_by, total) in [("replica", replica.reads_on_replica), ("primary", replica.reads_on_primary)] {
                let counter = self.replica_reads.get_or_create(&ServedLabels { served_by });
                counter.inc_by(total.saturating_sub(counter.get()));
            }
        }
        let backlog = self.db.run(|c| Ok(outbox::backlog(c)?)).await?;
        let now = crate::db::now();
        // A topic that drained since the last scrape reads 0, not its old figure.
        self.outbox_depth.clear();
        self.outbox_age.clear();
        self.search_lag.set(0.0);
        let age = |oldest: Option<chrono::NaiveDateTime>| {
            oldest.map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1000.0)
        };
        let mut search_oldest = None;
        for (topic, count, oldest) in backlog {
            if topic == outbox::SEARCH_TOPIC {
                search_oldest = oldest;
            }
            let labels = TopicLabels { topic };
            self.outbox_depth.get_or_create(&labels).set(count);
            self.outbox_age.get_or_create(&labels).set(age(oldest));
        }
        // The search lag: Meilisearch's is the search topic's undelivered rows, just read; with
        // the embedded engine each node has its own index, behind by its own position.
        if search.follows_log() {
            let (_, oldest) =
                search.behind().await.map_err(|e| AppError::Internal(anyhow::anyhow!("search lag: {e}")))?;
            search_oldest = oldest;
        }
        self.search_lag.set(age(search_oldest));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("encoding metrics: {e}")))?;
        Ok(text)
    }
}

/// Middleware: counts and times every request by its matched route pattern.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let route = req.match_pattern().unwrap_or_else(|| "(unmatched)".to_owned());
    let method = req.method().as_str().to_owned();
    let metrics = req.app_data::<web::Data<AppState>>().map(|s| s.metrics.clone());
    let res = next.call(req).await;
    if let Some(metrics) = metrics {
        let status = match &res {
            Ok(r) => r.status().as_u16(),
            Err(e) => e.as_response_error().status_code().as_u16(),
        };
        metrics.observe(route, &method, status, started.elapsed().as_secs_f64());
    }
    res
}

/// `GET /metrics`.
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let text = state.metrics.render(&state.search).await?;
    Ok(HttpResponse::Ok().content_type("application/openmetrics-text; version=1.0.0; charset=utf-8").body(text))
}

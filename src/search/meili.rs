//! The Meilisearch engine, through meilisearch-sdk. Every call has a deadline, so a hung
//! server delays the caller by seconds at most and is reported as unavailable.

use super::document::ProductDocument;
use super::meili_http::WholeBodyClient;
use super::settings::SearchSettings;
use super::{EngineHit, EngineQuery, EngineResults, Facets, SearchError, FACETS};
use crate::domain::listing::SearchSort;
use meilisearch_sdk::client::{Client, SwapIndexes};
use meilisearch_sdk::errors::{Error as MeiliError, ErrorCode};
use meilisearch_sdk::search::{MatchingStrategies, Selectors};
use meilisearch_sdk::task_info::TaskInfo;
use meilisearch_sdk::tasks::Task;
use serde::Deserialize;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// How long one search may take before the page says search is unavailable.
const SEARCH_DEADLINE: Duration = Duration::from_secs(3);
/// How long a write (and waiting for its task) may take before it is retried later.
const TASK_DEADLINE: Duration = Duration::from_secs(60);
/// Documents per request when rebuilding.
pub const REBUILD_BATCH: usize = 5_000;

/// Where Meilisearch is and which index holds the products.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeiliConfig {
    pub url: String,
    pub master_key: Option<String>,
    /// The live index's uid, `products` by default.
    pub index: String,
}

/// The Meilisearch engine.
pub struct MeiliEngine {
    client: Client<WholeBodyClient>,
    http: WholeBodyClient,
    url: String,
    index: String,
    settings: Arc<SearchSettings>,
}

/// A search answer, read with each hit's view left as JSON text.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Found {
    hits: Vec<Hit>,
    total_hits: Option<u64>,
    estimated_total_hits: Option<u64>,
    #[serde(default)]
    facet_distribution: std::collections::HashMap<String, std::collections::BTreeMap<String, u64>>,
}

#[derive(Deserialize)]
struct Hit {
    id: i64,
    view: Box<serde_json::value::RawValue>,
}

fn classify(e: MeiliError) -> SearchError {
    match e {
        MeiliError::Meilisearch(m) => {
            SearchError::Failed(format!("meilisearch: {} ({:?})", m.error_message, m.error_code))
        }
        other => SearchError::Unavailable(format!("meilisearch: {other}")),
    }
}

async fn within<T>(deadline: Duration, f: impl Future<Output = Result<T, MeiliError>>) -> Result<T, SearchError> {
    match tokio::time::timeout(deadline, f).await {
        Ok(r) => r.map_err(classify),
        Err(_) => Err(SearchError::Unavailable(format!("meilisearch: no answer within {deadline:?}"))),
    }
}

/// Quotes a value for a Meilisearch filter expression, so that no value can end the string
/// and add filter syntax of its own.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The filter expression for a query. Values are typed (codes, slugs, numbers) by the time
/// they get here, and are quoted as well.
pub fn filter_expression(q: &EngineQuery) -> String {
    let f = &q.filter;
    let mut parts = vec![format!("listed_until >= {}", q.listed_on)];
    let mut text = |name: &str, value: Option<&str>| {
        if let Some(v) = value {
            parts.push(format!("{name} = {}", quote(v)));
        }
    };
    text("province", f.province.as_ref().map(|c| c.as_str()));
    text("prefecture", f.prefecture.as_ref().map(|c| c.as_str()));
    text("county", f.county.as_ref().map(|c| c.as_str()));
    text("category", f.category.map(|c| c.as_str()));
    text("workshop", f.workshop.as_ref().map(|s| s.as_str()));
    if let Some(h) = f.heritage {
        parts.push(format!("heritage = {h}"));
    }
    if let Some(p) = f.min_price {
        parts.push(format!("price >= {}", p.get()));
    }
    if let Some(p) = f.max_price {
        parts.push(format!("price <= {}", p.get()));
    }
    for (name, on) in [
        ("in_stock", f.in_stock),
        ("sanqu_sanzhou", f.areas.sanqu_sanzhou),
        ("key_support_area", f.areas.key_support_area),
        ("poverty_county", f.areas.poverty_county),
    ] {
        if on {
            parts.push(format!("{name} = true"));
        }
    }
    parts.join(" AND ")
}

fn sort_of(sort: SearchSort) -> &'static [&'static str] {
    match sort {
        // Ties (and an empty query) fall to the ranking rules, which end with `sold:desc`.
        SearchSort::Relevance => &[],
        SearchSort::Newest => &["created:desc"],
        SearchSort::PriceAsc => &["price:asc"],
        SearchSort::PriceDesc => &["price:desc"],
        SearchSort::BestSelling => &["sold:desc"],
        SearchSort::TopRated => &["rating:desc", "rating_count:desc"],
    }
}

impl MeiliEngine {
    pub fn new(config: &MeiliConfig, settings: Arc<SearchSettings>) -> Result<MeiliEngine, SearchError> {
        let http = WholeBodyClient::new(config.master_key.as_deref()).map_err(classify)?;
        let url = config.url.trim_end_matches('/').to_owned();
        let client = Client::new_with_client(&url, config.master_key.as_deref(), http.clone());
        Ok(MeiliEngine { client, http, url, index: config.index.clone(), settings })
    }

    /// Whether Meilisearch answers its health check.
    pub async fn health(&self) -> Result<(), SearchError> {
        within(Duration::from_secs(2), self.client.health()).await.map(|_| ())
    }

    /// Waits for a task and turns a failed task into an error.
    async fn wait(&self, task: TaskInfo) -> Result<Task, SearchError> {
        let done = within(
            TASK_DEADLINE,
            self.client.wait_for_task(task, Some(Duration::from_millis(25)), Some(TASK_DEADLINE)),
        )
        .await?;
        match done {
            Task::Failed { content } => Err(SearchError::Failed(format!(
                "meilisearch task failed: {} ({:?})",
                content.error.error_message, content.error.error_code
            ))),
            other => Ok(other),
        }
    }

    /// Creates the index if it is missing and applies the settings. Returns true when the
    /// index was created (the caller then queues every product).
    pub async fn setup(&self) -> Result<bool, SearchError> {
        let created = self.ensure_index(&self.index).await?;
        self.apply_settings(&self.index).await?;
        Ok(created)
    }

    async fn ensure_index(&self, uid: &str) -> Result<bool, SearchError> {
        let found = tokio::time::timeout(SEARCH_DEADLINE, self.client.get_index(uid))
            .await
            .map_err(|_| SearchError::Unavailable("meilisearch: no answer".into()))?;
        match found {
            Ok(_) => Ok(false),
            Err(MeiliError::Meilisearch(m)) if m.error_code == ErrorCode::IndexNotFound => {
                let task = within(SEARCH_DEADLINE, self.client.create_index(uid, Some("id"))).await?;
                self.wait(task).await?;
                Ok(true)
            }
            Err(e) => Err(classify(e)),
        }
    }

    async fn apply_settings(&self, uid: &str) -> Result<(), SearchError> {
        let index = self.client.index(uid);
        let task = within(SEARCH_DEADLINE, index.set_settings(&self.settings.meili)).await?;
        self.wait(task).await.map(|_| ())
    }

    /// Runs a query.
    pub async fn search(&self, q: &EngineQuery) -> Result<EngineResults, SearchError> {
        let index = self.client.index(&self.index);
        let filter = filter_expression(q);
        let han = super::text::is_han(&q.text);
        let locales: &[&str] = if han { &["cmn"] } else { &[] };
        let mut query = index.search();
        let max = self.settings.max_total_hits();
        query
            .with_query(&q.text)
            .with_filter(&filter)
            .with_sort(sort_of(q.sort))
            .with_offset(q.offset)
            .with_limit(q.limit)
            // Every word must match, as in the embedded engine: a buyer who types two words
            // wants pieces with both, and "nothing found" beats pieces matching one.
            .with_matching_strategy(MatchingStrategies::ALL)
            .with_attributes_to_retrieve(Selectors::Some(&["id", "view"]));
        if han {
            query.with_locales(locales);
        }
        if q.facets {
            query.with_facets(Selectors::Some(&FACETS));
        }
        // The SDK builds the request; the answer is read here, because the SDK's typed hits
        // go through serde's buffered `flatten` and build every view as a value tree.
        let url = format!("{}/indexes/{}/search", self.url, self.index);
        let mut found: Found = within(SEARCH_DEADLINE, self.http.post_json(&url, &query)).await?;
        let total = found.total_hits.or(found.estimated_total_hits).unwrap_or(0).min(max as u64);
        let hits = found.hits.into_iter().map(|h| EngineHit { id: h.id, view: h.view }).collect();
        let mut facets = Facets::new();
        if q.facets {
            for name in FACETS {
                facets.insert(name.to_owned(), found.facet_distribution.remove(name).unwrap_or_default());
            }
        }
        Ok(EngineResults { hits, total, facets })
    }

    /// Sends documents and removals and waits until Meilisearch has applied them.
    pub async fn apply(&self, upserts: &[ProductDocument], deletes: &[i64]) -> Result<(), SearchError> {
        let index = self.client.index(&self.index);
        if !upserts.is_empty() {
            let task = within(TASK_DEADLINE, index.add_or_replace(upserts, Some("id"))).await?;
            self.wait(task).await?;
        }
        if !deletes.is_empty() {
            let task = within(TASK_DEADLINE, index.delete_documents(deletes)).await?;
            self.wait(task).await?;
        }
        Ok(())
    }

    /// Starts building a fresh index beside the live one, settings first (a swap exchanges
    /// settings too).
    pub async fn begin_rebuild(&self) -> Result<MeiliRebuild, SearchError> {
        let uid = format!("{}_rebuild_{}", self.index, chrono::Utc::now().format("%Y%m%d%H%M%S"));
        self.ensure_index(&uid).await?;
        self.apply_settings(&uid).await?;
        // The live index must exist for the swap.
        self.ensure_index(&self.index).await?;
        Ok(MeiliRebuild { uid, task_time: Duration::ZERO })
    }

    /// Adds a batch to a rebuild and waits for it.
    pub async fn rebuild_add(&self, rebuild: &mut MeiliRebuild, docs: &[ProductDocument]) -> Result<(), SearchError> {
        let index = self.client.index(&rebuild.uid);
        let task = within(TASK_DEADLINE, index.add_or_replace(docs, Some("id"))).await?;
        rebuild.task_time += task_duration(&self.wait(task).await?);
        Ok(())
    }

    /// Swaps the rebuilt index in and deletes the old one.
    pub async fn rebuild_finish(&self, mut rebuild: MeiliRebuild) -> Result<Duration, SearchError> {
        let swap = SwapIndexes { indexes: (self.index.clone(), rebuild.uid.clone()), rename: None };
        let task = within(TASK_DEADLINE, self.client.swap_indexes([&swap])).await?;
        rebuild.task_time += task_duration(&self.wait(task).await?);
        let task = within(TASK_DEADLINE, self.client.delete_index(&rebuild.uid)).await?;
        self.wait(task).await?;
        Ok(rebuild.task_time)
    }

    /// Deletes the index (tests clean up with this).
    pub async fn drop_index(&self) -> Result<(), SearchError> {
        let task = within(TASK_DEADLINE, self.client.delete_index(&self.index)).await?;
        self.wait(task).await.map(|_| ())
    }
}

fn task_duration(task: &Task) -> Duration {
    match task {
        Task::Succeeded { content } => content.duration,
        _ => Duration::ZERO,
    }
}

/// A rebuild in progress: the new index's uid and the time Meilisearch spent on its tasks.
pub struct MeiliRebuild {
    uid: String,
    task_time: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_cannot_be_escaped() {
        assert_eq!(quote("abc"), "\"abc\"");
        assert_eq!(quote("a\" OR price > 0 OR x = \"b"), "\"a\\\" OR price > 0 OR x = \\\"b\"");
        assert_eq!(quote("back\\\" = 1"), "\"back\\\\\\\" = 1\"");
        // Every quote inside is preceded by an odd number of backslashes.
        let q = quote("\\\"\\\\\"");
        let inner = &q[1..q.len() - 1];
        for (i, c) in inner.char_indices() {
            if c == '"' {
                let slashes = inner[..i].chars().rev().take_while(|c| *c == '\\').count();
                assert_eq!(slashes % 2, 1, "{q}");
            }
        }
    }
}

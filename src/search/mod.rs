//! Product search. One interface, two engines: Meilisearch when `MEILI_URL` is set, and an
//! embedded tantivy index in the data directory otherwise. Both take their settings from
//! `search-config/` and are kept in step with the catalogue through the outbox
//! (see [`sync`]). Hits carry the product's list view, so a search needs no database trip.

pub mod document;
pub mod embedded;
pub mod meili;
mod meili_http;
pub mod settings;
pub mod sync;
pub mod text;

use crate::catalog::reference::Reference;
use crate::clock::Clock;
use crate::db::Db;
use crate::domain::listing::{ProductFilter, SearchQuery, SearchSort};
use crate::error::AppError;
use document::{date_number, ProductDocument};
use embedded::EmbeddedEngine;
use meili::{MeiliConfig, MeiliEngine};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use settings::SearchSettings;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;
use text::{Analyzer, QueryPlan, Synonyms};

/// The facets every search counts, by name: each maps a value to how many hits have it.
pub const FACETS: [&str; 8] =
    ["province", "prefecture", "county", "heritage", "category", "workshop", "price_band", "in_stock"];

/// Facet name → value → count.
pub type Facets = BTreeMap<String, BTreeMap<String, u64>>;

/// Why a search or an index update did not happen.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SearchError {
    /// The engine could not be reached or did not answer in time: try again later.
    #[error("search engine unavailable: {0}")]
    Unavailable(String),
    /// The engine answered with an error.
    #[error("search engine error: {0}")]
    Failed(String),
}

impl From<SearchError> for AppError {
    fn from(e: SearchError) -> AppError {
        AppError::Unavailable(e.to_string())
    }
}

impl From<AppError> for SearchError {
    fn from(e: AppError) -> SearchError {
        SearchError::Failed(e.to_string())
    }
}

/// How search is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchConfig {
    /// Meilisearch, or `None` for the embedded engine.
    pub meili: Option<MeiliConfig>,
    /// Where the embedded engine keeps its index.
    pub embedded_dir: PathBuf,
    /// How often the worker looks for changes made outside this process.
    pub poll: Duration,
    /// The longest wait between retries while the engine is down.
    pub max_backoff: Duration,
}

/// A query as an engine runs it.
#[derive(Debug, Clone)]
pub struct EngineQuery {
    /// The text as typed (Meilisearch analyses it itself).
    pub text: String,
    /// The text analysed, with synonyms (the embedded engine and the highlighter use it).
    pub plan: QueryPlan,
    pub filter: ProductFilter,
    pub sort: SearchSort,
    pub offset: usize,
    pub limit: usize,
    pub facets: bool,
    /// Today as `yyyymmdd`: products of workshops listed until before today are left out.
    pub listed_on: i64,
}

/// One hit: the product id and its list view as the JSON text the engine stored (passed
/// through without building a value tree: most of a search's own cost was JSON).
#[derive(Debug, Clone)]
pub struct EngineHit {
    pub id: i64,
    pub view: Box<RawValue>,
}

/// What an engine found.
#[derive(Debug, Clone)]
pub struct EngineResults {
    pub hits: Vec<EngineHit>,
    pub total: u64,
    pub facets: Facets,
}

/// The engine in use.
pub enum Engine {
    Meili(MeiliEngine),
    Embedded(EmbeddedEngine),
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SearchError> + Send + 'static,
) -> Result<T, SearchError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| SearchError::Failed(format!("search task: {e}")))?
}

impl Engine {
    pub fn name(&self) -> &'static str {
        match self {
            Engine::Meili(_) => "meilisearch",
            Engine::Embedded(_) => "embedded",
        }
    }
}

/// A search page: hits with the product fields of `/api/v1/products` plus `highlight`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchPage {
    /// The stored product views, each with `highlight`.
    #[schema(value_type = Vec<SearchHit>)]
    pub hits: Vec<Box<RawValue>>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
    pub page_count: u32,
    /// Facet name → value → number of hits.
    #[schema(value_type = Object)]
    pub facets: Facets,
}

/// What a hit holds, for the API document (hits are passed on as stored, not built from this).
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SearchHit {
    #[serde(flatten)]
    product: crate::catalog::views::ProductView,
    highlight: HitHighlight,
}

/// A hit's titles as HTML: escaped, with the matched words in `<mark>`.
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct HitHighlight {
    title_zh: String,
    title_en: String,
}

/// The parts of a stored view that highlighting and suggestions read.
#[derive(Deserialize)]
struct ViewTitles<'a> {
    #[serde(borrow)]
    slug: Cow<'a, str>,
    #[serde(borrow)]
    title: Titles<'a>,
}

#[derive(Deserialize)]
struct Titles<'a> {
    #[serde(borrow)]
    zh: Cow<'a, str>,
    #[serde(borrow)]
    en: Cow<'a, str>,
}

fn json_failed(e: serde_json::Error) -> SearchError {
    SearchError::Failed(format!("search hit: {e}"))
}

/// A search-as-you-type suggestion.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    pub slug: String,
    pub title_zh: String,
    pub title_en: String,
    /// The titles as HTML with the typed words in `<mark>`.
    #[schema(value_type = Object)]
    pub highlight: serde_json::Value,
}

/// The search service. Cheap to clone.
#[derive(Clone)]
pub struct Search {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Arc<Engine>,
    db: Db,
    reference: Arc<Reference>,
    clock: Clock,
    analyzer: Analyzer,
    synonyms: Synonyms,
    settings: Arc<SearchSettings>,
    config: SearchConfig,
    wake: tokio::sync::Notify,
    stop: AtomicBool,
    /// The worker thread, joined by `shutdown` so that it never outlives the process's
    /// database and TLS libraries.
    worker: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Search {
    /// Builds the service. The embedded engine is opened here (and filled by the worker if
    /// it is new); Meilisearch is set up by the worker, so that a server that is down does
    /// not stop the start.
    pub fn open(config: SearchConfig, db: Db, reference: Arc<Reference>, clock: Clock) -> anyhow::Result<Search> {
        let settings = Arc::new(SearchSettings::load()?);
        let analyzer = Analyzer::new();
        let synonyms = Synonyms::new(&analyzer, &settings.synonym_groups);
        let engine = match &config.meili {
            Some(m) => {
                Engine::Meili(MeiliEngine::new(m, settings.clone()).map_err(|e| anyhow::anyhow!("MEILI_URL: {e}"))?)
            }
            None => {
                let e = EmbeddedEngine::new(config.embedded_dir.clone(), analyzer.clone(), settings.clone());
                // A new index has no log position: the worker fills it from the catalogue.
                e.setup().map_err(|e| anyhow::anyhow!("search index in {}: {e}", config.embedded_dir.display()))?;
                Engine::Embedded(e)
            }
        };
        Ok(Search {
            inner: Arc::new(Inner {
                engine: Arc::new(engine),
                db,
                reference,
                clock,
                analyzer,
                synonyms,
                settings,
                config,
                wake: tokio::sync::Notify::new(),
                stop: AtomicBool::new(false),
                worker: std::sync::Mutex::new(None),
            }),
        })
    }

    /// Whether the engine answers (the embedded one always does once opened).
    pub async fn health(&self) -> Result<(), SearchError> {
        match &*self.inner.engine {
            Engine::Meili(m) => m.health().await,
            Engine::Embedded(_) => Ok(()),
        }
    }

    /// Which engine answers: `meilisearch` or `embedded`.
    pub fn engine_name(&self) -> &'static str {
        self.inner.engine.name()
    }

    /// Analyses text into a plan (words, synonyms, the last word as a prefix).
    pub fn plan(&self, text: &str) -> QueryPlan {
        let words: Vec<String> = self.inner.analyzer.words(text, false).into_iter().map(|w| w.text).collect();
        self.inner.synonyms.plan(&words)
    }

    async fn run(&self, q: EngineQuery) -> Result<EngineResults, SearchError> {
        match &*self.inner.engine {
            Engine::Meili(m) => m.search(&q).await,
            Engine::Embedded(_) => {
                let engine = self.inner.engine.clone();
                blocking(move || match &*engine {
                    Engine::Embedded(e) => e.search(&q),
                    Engine::Meili(_) => Err(SearchError::Failed("engine changed".into())),
                })
                .await
            }
        }
    }

    /// Runs a buyer's search: hits with highlighted titles, the total and facet counts.
    pub async fn search(&self, query: SearchQuery) -> Result<SearchPage, SearchError> {
        let plan = self.plan(&query.text);
        let page = query.page;
        let q = EngineQuery {
            text: query.text,
            plan: plan.clone(),
            filter: query.filter,
            sort: query.sort,
            offset: usize::try_from(page.offset()).unwrap_or(usize::MAX),
            limit: page.per_page as usize,
            facets: true,
            listed_on: date_number(self.inner.clock.today()),
        };
        let found = self.run(q).await?;
        let marker = text::Highlighter::new(&plan, self.inner.settings.typo_sizes());
        let hits = found.hits.into_iter().map(|h| self.highlighted(&h.view, &marker)).collect::<Result<_, _>>()?;
        Ok(SearchPage {
            hits,
            total: found.total,
            page: page.page,
            per_page: page.per_page,
            page_count: page.page_count(i64::try_from(found.total).unwrap_or(i64::MAX)),
            facets: found.facets,
        })
    }

    /// Up to `limit` products whose titles match what has been typed so far.
    pub async fn suggest(&self, text: &str, limit: usize) -> Result<Vec<Suggestion>, SearchError> {
        let plan = self.plan(text);
        if plan.parts.is_empty() {
            return Ok(Vec::new());
        }
        let q = EngineQuery {
            text: text.to_owned(),
            plan: plan.clone(),
            filter: ProductFilter::default(),
            sort: SearchSort::Relevance,
            offset: 0,
            limit,
            facets: false,
            listed_on: date_number(self.inner.clock.today()),
        };
        let found = self.run(q).await?;
        let marker = text::Highlighter::new(&plan, self.inner.settings.typo_sizes());
        found
            .hits
            .iter()
            .map(|h| {
                let view: ViewTitles = serde_json::from_str(h.view.get()).map_err(json_failed)?;
                Ok(Suggestion {
                    slug: view.slug.into_owned(),
                    highlight: serde_json::json!({
                        "title_zh": self.mark(&marker, &view.title.zh),
                        "title_en": self.mark(&marker, &view.title.en),
                    }),
                    title_zh: view.title.zh.into_owned(),
                    title_en: view.title.en.into_owned(),
                })
            })
            .collect()
    }

    fn mark(&self, marker: &text::Highlighter, title: &str) -> String {
        text::marked_html(title, &marker.ranges(&self.inner.analyzer, title))
    }

    /// The view with `highlight: {title_zh, title_en}` (HTML, escaped, matches in `<mark>`)
    /// added as its last field.
    fn highlighted(&self, view: &RawValue, marker: &text::Highlighter) -> Result<Box<RawValue>, SearchError> {
        let titles: ViewTitles = serde_json::from_str(view.get()).map_err(json_failed)?;
        let highlight = serde_json::to_string(&serde_json::json!({
            "title_zh": self.mark(marker, &titles.title.zh),
            "title_en": self.mark(marker, &titles.title.en),
        }))
        .map_err(json_failed)?;
        let body = view.get().trim_end();
        let open =
            body.strip_suffix('}').ok_or_else(|| SearchError::Failed("a stored view is not an object".into()))?;
        let sep = if open.trim_end().ends_with('{') { "" } else { "," };
        RawValue::from_string(format!("{open}{sep}\"highlight\":{highlight}}}")).map_err(json_failed)
    }

    /// Asks the worker to look at the outbox now rather than at its next poll.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Builds the documents of these products; those no longer listed come back as removals.
    async fn documents(&self, ids: Vec<i64>) -> Result<(Vec<ProductDocument>, Vec<i64>), SearchError> {
        let (reference, today) = (self.inner.reference.clone(), self.inner.clock.today());
        let built = self
            .inner
            .db
            .run(move |conn| {
                let rows = crate::db::catalog::listed_products_by_ids(conn, &ids, today)?;
                let views = crate::catalog::assemble(conn, &reference, rows.clone())?;
                let listed: Vec<crate::domain::ProductId> =
                    rows.iter().map(|(p, _)| crate::domain::ProductId(p.id)).collect();
                let variants = crate::db::variants::variants_of(conn, &listed, true)?;
                let mut docs = Vec::with_capacity(rows.len());
                for ((p, w), view) in rows.iter().zip(&views) {
                    let own: Vec<_> = variants.iter().filter(|v| v.product_id == p.id).cloned().collect();
                    docs.push(
                        ProductDocument::build(&reference, p, w, view, &own)
                            .map_err(|e| AppError::Internal(e.into()))?,
                    );
                }
                let deletes = ids.into_iter().filter(|id| !rows.iter().any(|(p, _)| p.id == *id)).collect();
                Ok((docs, deletes))
            })
            .await?;
        Ok(built)
    }
}

//! The embedded search engine: a tantivy index in the data directory, used when no
//! Meilisearch is configured. It follows the same settings (field order, typo sizes,
//! synonyms, facet and hit limits) so that both engines pass one conformance suite.
//!
//! Layout: `{data_dir}/search/CURRENT` names the live `index-*` directory. A rebuild writes a
//! new directory and then replaces `CURRENT`, so searches keep answering from the old index
//! until the new one is complete; a running server notices the change on its next sync tick.

mod facets;
pub mod position;
mod query;
mod schema;

use super::document::ProductDocument;
use super::text::Analyzer;
use super::{EngineHit, EngineQuery, EngineResults, SearchError, FACETS};
use crate::db::search_log::LogPosition;
use crate::domain::listing::SearchSort;
use crate::search::settings::SearchSettings;
use query::{collect, filters, text_query};
use schema::{fields, same_fields, schema, to_tantivy, IndexTokenizer, TOKENIZER};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use tantivy::collector::TopDocs;
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query};
use tantivy::schema::Value;
use tantivy::{Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term};

const WRITER_MEMORY: usize = 50_000_000;

pub(super) fn failed(e: impl std::fmt::Display) -> SearchError {
    SearchError::Failed(format!("embedded index: {e}"))
}

/// One open index directory.
struct Live {
    name: String,
    index: Index,
    reader: IndexReader,
    fields: schema::Fields,
    /// Opened on first write, so that a read-only process never takes the writer lock.
    writer: Mutex<Option<IndexWriter>>,
    /// Each segment's facet dictionary, read once (see [`facets`]).
    facet_tables: facets::FacetTables,
    /// Where this index stands in the search log (see [`position`]); none until it is filled.
    position: Mutex<Option<position::Saved>>,
}

/// The embedded engine.
pub struct EmbeddedEngine {
    root: PathBuf,
    analyzer: Analyzer,
    settings: Arc<SearchSettings>,
    live: RwLock<Option<Arc<Live>>>,
}

impl EmbeddedEngine {
    /// An engine over `{root}`; nothing is opened until [`EmbeddedEngine::setup`].
    pub fn new(root: PathBuf, analyzer: Analyzer, settings: Arc<SearchSettings>) -> EmbeddedEngine {
        EmbeddedEngine { root, analyzer, settings, live: RwLock::new(None) }
    }

    /// Opens the live index, creating an empty one if there is none or its fields are out of
    /// date. Returns true when it had to create one (it has no log position until filled).
    pub fn setup(&self) -> Result<bool, SearchError> {
        std::fs::create_dir_all(&self.root).map_err(failed)?;
        let wanted = schema(&self.settings);
        let current = self.current_name();
        let usable = current
            .as_ref()
            .filter(|name| Index::open_in_dir(self.root.join(name)).is_ok_and(|i| same_fields(&i.schema(), &wanted)));
        let created = match usable {
            Some(name) => {
                self.open(name)?;
                false
            }
            None => {
                let name = self.create_dir()?;
                write_current(&self.root, &name)?;
                self.open(&name)?;
                true
            }
        };
        self.remove_stale();
        Ok(created)
    }

    fn current_name(&self) -> Option<String> {
        std::fs::read_to_string(self.root.join("CURRENT")).ok().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
    }

    fn create_dir(&self) -> Result<String, SearchError> {
        let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S%f");
        let name = format!("index-{stamp}-{}", std::process::id());
        let dir = self.root.join(&name);
        std::fs::create_dir_all(&dir).map_err(failed)?;
        let index = Index::create_in_dir(&dir, schema(&self.settings)).map_err(failed)?;
        index.tokenizers().register(TOKENIZER, IndexTokenizer(self.analyzer.clone()));
        Ok(name)
    }

    fn open(&self, name: &str) -> Result<(), SearchError> {
        let index = Index::open_in_dir(self.root.join(name)).map_err(failed)?;
        index.tokenizers().register(TOKENIZER, IndexTokenizer(self.analyzer.clone()));
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(failed)?;
        let fields = fields(&index.schema(), &self.settings)?;
        let live = Live {
            name: name.to_owned(),
            index,
            reader,
            fields,
            writer: Mutex::new(None),
            facet_tables: facets::FacetTables::default(),
            position: Mutex::new(position::read(&self.root.join(name))),
        };
        *self.live.write().map_err(failed)? = Some(Arc::new(live));
        Ok(())
    }

    fn live(&self) -> Result<Arc<Live>, SearchError> {
        self.live
            .read()
            .map_err(failed)?
            .clone()
            .ok_or_else(|| SearchError::Unavailable("the embedded index is not open yet".into()))
    }

    /// Where the live index stands in the search log, and when that was saved.
    pub fn position(&self) -> Result<Option<position::Saved>, SearchError> {
        Ok(*self.live()?.position.lock().map_err(failed)?)
    }

    /// Records that the live index holds every change up to `at` (after applying them).
    pub fn save_position(&self, at: LogPosition) -> Result<(), SearchError> {
        let live = self.live()?;
        let saved = position::write(&self.root.join(&live.name), at)?;
        *live.position.lock().map_err(failed)? = Some(saved);
        Ok(())
    }

    /// Switches to the index `CURRENT` names if another process rebuilt it.
    pub fn refresh(&self) -> Result<(), SearchError> {
        let Some(name) = self.current_name() else { return Ok(()) };
        if self.live()?.name != name {
            self.open(&name)?;
            tracing::info!(index = %name, "switched to the rebuilt search index");
            self.remove_stale();
        }
        Ok(())
    }

    /// Removes index directories other than the live one.
    fn remove_stale(&self) {
        let Some(keep) = self.current_name() else { return };
        let Ok(entries) = std::fs::read_dir(&self.root) else { return };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("index-") && name != keep {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }

    /// Writes documents and removals, and makes them visible to searches.
    pub fn apply(&self, upserts: &[ProductDocument], deletes: &[i64]) -> Result<(), SearchError> {
        let live = self.live()?;
        let mut guard = live.writer.lock().map_err(failed)?;
        if guard.is_none() {
            *guard = Some(live.index.writer_with_num_threads(1, WRITER_MEMORY).map_err(failed)?);
        }
        let Some(writer) = guard.as_mut() else { return Err(failed("no writer")) };
        for id in upserts.iter().map(|d| d.id).chain(deletes.iter().copied()) {
            writer.delete_term(Term::from_field_i64(live.fields.id, id));
        }
        for d in upserts {
            writer.add_document(to_tantivy(&live.index.schema(), &live.fields, d)?).map_err(failed)?;
        }
        if let Err(e) = writer.commit() {
            // Drop the writer so that the next attempt starts clean (and on the live index).
            *guard = None;
            return Err(failed(e));
        }
        live.reader.reload().map_err(failed)
    }

    /// Starts building a fresh index beside the live one.
    pub fn begin_rebuild(&self) -> Result<EmbeddedRebuild, SearchError> {
        std::fs::create_dir_all(&self.root).map_err(failed)?;
        let name = self.create_dir()?;
        let index = Index::open_in_dir(self.root.join(&name)).map_err(failed)?;
        index.tokenizers().register(TOKENIZER, IndexTokenizer(self.analyzer.clone()));
        let fields = fields(&index.schema(), &self.settings)?;
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY * 2).map_err(failed)?;
        Ok(EmbeddedRebuild { root: self.root.clone(), name, index, fields, writer })
    }

    /// Runs a query.
    pub fn search(&self, q: &EngineQuery) -> Result<EngineResults, SearchError> {
        let live = self.live()?;
        let schema = live.index.schema();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(text) = text_query(&self.settings, &live.fields, &q.plan) {
            clauses.push((Occur::Must, text));
        }
        for filter in filters(&schema, q)? {
            clauses.push((Occur::Must, filter));
        }
        let query: Box<dyn Query> =
            if clauses.is_empty() { Box::new(AllQuery) } else { Box::new(BooleanQuery::new(clauses)) };
        let searcher = live.reader.searcher();
        let facets = if q.facets {
            Some(live.facet_tables.counter(&searcher, self.settings.max_values_per_facet())?)
        } else {
            None
        };
        let max_hits = self.settings.max_total_hits();
        let limit = q.limit.min(max_hits.saturating_sub(q.offset)).max(1);
        let top = TopDocs::with_limit(limit).and_offset(q.offset);
        let has_text = !q.plan.parts.is_empty();
        let (addresses, count, facet_counts) = match (q.sort, has_text) {
            (SearchSort::Relevance, true) => collect(&searcher, &query, top.order_by_score(), facets),
            (SearchSort::Relevance, false) | (SearchSort::BestSelling, _) => {
                collect(&searcher, &query, top.order_by_fast_field::<i64>("sold", Order::Desc), facets)
            }
            (SearchSort::Newest, _) => {
                collect(&searcher, &query, top.order_by_fast_field::<i64>("created", Order::Desc), facets)
            }
            (SearchSort::PriceAsc, _) => {
                collect(&searcher, &query, top.order_by_fast_field::<i64>("price", Order::Asc), facets)
            }
            (SearchSort::PriceDesc, _) => {
                collect(&searcher, &query, top.order_by_fast_field::<i64>("price", Order::Desc), facets)
            }
            (SearchSort::TopRated, _) => {
                collect(&searcher, &query, top.order_by_fast_field::<i64>("rating", Order::Desc), facets)
            }
        }?;
        let total = count.min(max_hits);
        let mut hits = Vec::with_capacity(addresses.len());
        if q.offset < max_hits && q.limit > 0 {
            for address in addresses {
                let doc: TantivyDocument = searcher.doc(address).map_err(failed)?;
                let id = doc.get_first(live.fields.id).and_then(|v| v.as_i64()).unwrap_or_default();
                let view = doc.get_first(live.fields.view).and_then(|v| v.as_str()).unwrap_or("{}");
                hits.push(EngineHit {
                    id,
                    view: serde_json::value::RawValue::from_string(view.to_owned()).map_err(failed)?,
                });
            }
        }
        let mut out = super::Facets::new();
        if let Some(counted) = facet_counts {
            for (name, values) in FACETS.iter().zip(counted.0) {
                out.insert((*name).to_owned(), values.into_iter().collect());
            }
        }
        Ok(EngineResults { hits, total: total as u64, facets: out })
    }
}

/// A fresh index being built; [`EmbeddedRebuild::finish`] makes it the live one.
pub struct EmbeddedRebuild {
    root: PathBuf,
    name: String,
    index: Index,
    fields: schema::Fields,
    writer: IndexWriter,
}

impl EmbeddedRebuild {
    pub fn add(&mut self, docs: &[ProductDocument]) -> Result<(), SearchError> {
        let schema = self.index.schema();
        for d in docs {
            self.writer.add_document(to_tantivy(&schema, &self.fields, d)?).map_err(failed)?;
        }
        Ok(())
    }

    /// Commits, waits for merges, records the log position the catalogue was read from and
    /// points `CURRENT` at the new index.
    pub fn finish(mut self, from: LogPosition) -> Result<(), SearchError> {
        self.writer.commit().map_err(failed)?;
        self.writer.wait_merging_threads().map_err(failed)?;
        position::write(&self.root.join(&self.name), from)?;
        write_current(&self.root, &self.name)
    }
}

/// Replaces `CURRENT` atomically (write beside it, then rename over it).
fn write_current(root: &Path, name: &str) -> Result<(), SearchError> {
    let tmp = root.join(format!("CURRENT.{}", std::process::id()));
    std::fs::write(&tmp, name).map_err(failed)?;
    std::fs::rename(&tmp, root.join("CURRENT")).map_err(failed)
}

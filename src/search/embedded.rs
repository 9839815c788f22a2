//! The embedded search engine: a tantivy index in the data directory, used when no
//! Meilisearch is configured. It follows the same settings (field order, typo sizes,
//! synonyms, facet and hit limits) so that both engines pass one conformance suite.
//!
//! Layout: `{data_dir}/search/CURRENT` names the live `index-*` directory. A rebuild writes a
//! new directory and then replaces `CURRENT`, so searches keep answering from the old index
//! until the new one is complete; a running server notices the change on its next sync tick.

use super::document::ProductDocument;
use super::text::{typo_budget, Analyzer, QueryPlan};
use super::{EngineHit, EngineQuery, EngineResults, SearchError, FACETS};
use crate::domain::listing::SearchSort;
use crate::search::settings::SearchSettings;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use tantivy::collector::{Collector, Count, FacetCollector, FacetCounts, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{
    Facet, FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED,
    STORED, STRING,
};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term};

const TOKENIZER: &str = "gongfang";
const WRITER_MEMORY: usize = 50_000_000;

/// The jieba-based analyzer as a tantivy tokenizer.
#[derive(Clone)]
struct IndexTokenizer(Analyzer);

struct Words {
    tokens: Vec<Token>,
    at: usize,
}

impl TokenStream for Words {
    fn advance(&mut self) -> bool {
        self.at += 1;
        self.at <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.at - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.at - 1]
    }
}

impl Tokenizer for IndexTokenizer {
    type TokenStream<'a> = Words;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Words {
        let tokens = self
            .0
            .words(text, true)
            .into_iter()
            .enumerate()
            .map(|(position, w)| Token {
                offset_from: w.bytes.start,
                offset_to: w.bytes.end,
                position,
                text: w.text,
                position_length: 1,
            })
            .collect();
        Words { tokens, at: 0 }
    }
}

/// The index's fields, looked up once by name.
#[derive(Clone)]
struct Fields {
    id: Field,
    view: Field,
    /// Searchable fields with their weight and whether typos may match them.
    text: Vec<(Field, f32, bool)>,
    facets: Field,
}

fn schema(settings: &SearchSettings) -> Schema {
    let mut b = Schema::builder();
    b.add_i64_field("id", INDEXED | STORED | FAST);
    b.add_text_field("view", STORED);
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    for name in settings.searchable() {
        b.add_text_field(name, text.clone());
    }
    for name in ["province", "prefecture", "county", "category", "workshop", "price_band"] {
        b.add_text_field(&keyword_field(name), STRING);
    }
    for name in ["heritage", "price", "created", "sold", "listed_until"] {
        b.add_i64_field(name, INDEXED | FAST);
    }
    for name in ["in_stock", "sanqu_sanzhou", "key_support_area", "poverty_county"] {
        b.add_bool_field(name, INDEXED);
    }
    b.add_facet_field("facets", FacetOptions::default());
    b.build()
}

/// The exact-match twin of a field (`category` is also searchable text).
fn keyword_field(name: &str) -> String {
    format!("kw_{name}")
}

fn field(schema: &Schema, name: &str) -> Result<Field, SearchError> {
    schema.get_field(name).map_err(|e| SearchError::Failed(format!("embedded index: {e}")))
}

fn fields(schema: &Schema, settings: &SearchSettings) -> Result<Fields, SearchError> {
    let searchable = settings.searchable();
    let typo_free = settings.typo_free_fields();
    let mut text = Vec::with_capacity(searchable.len());
    for (rank, name) in searchable.iter().enumerate() {
        // Earlier fields weigh more, as Meilisearch's `attribute` rule ranks them.
        let weight = 1.0 + (searchable.len() - rank) as f32 / searchable.len() as f32 * 2.0;
        text.push((field(schema, name)?, weight, !typo_free.contains(name)));
    }
    Ok(Fields { id: field(schema, "id")?, view: field(schema, "view")?, text, facets: field(schema, "facets")? })
}

fn failed(e: impl std::fmt::Display) -> SearchError {
    SearchError::Failed(format!("embedded index: {e}"))
}

/// One open index directory.
struct Live {
    name: String,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// Opened on first write, so that a read-only process never takes the writer lock.
    writer: Mutex<Option<IndexWriter>>,
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
    /// date. Returns true when it had to create one (the caller then queues every product).
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
        let live = Live { name: name.to_owned(), index, reader, fields, writer: Mutex::new(None) };
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
        if let Some(text) = self.text_query(&live.fields, &q.plan) {
            clauses.push((Occur::Must, text));
        }
        for filter in filters(&schema, q)? {
            clauses.push((Occur::Must, filter));
        }
        let query: Box<dyn Query> =
            if clauses.is_empty() { Box::new(AllQuery) } else { Box::new(BooleanQuery::new(clauses)) };
        let searcher = live.reader.searcher();
        let mut facets = FacetCollector::for_field("facets");
        for name in FACETS {
            facets.add_facet(Facet::from_path([name]));
        }
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
        if q.facets {
            let cap = self.settings.max_values_per_facet();
            for name in FACETS {
                let mut values: Vec<(String, u64)> = facet_counts
                    .get(Facet::from_path([name]))
                    .filter_map(|(f, n)| f.to_path().last().map(|v| ((*v).to_owned(), n)))
                    .collect();
                values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                values.truncate(cap);
                out.insert(name.to_owned(), values.into_iter().collect());
            }
        }
        Ok(EngineResults { hits, total: total as u64, facets: out })
    }

    /// Every part of the plan must match; a part matches through any of its alternatives; a
    /// word matches exactly, with typos within its budget, or (the last) as a prefix.
    fn text_query(&self, fields: &Fields, plan: &QueryPlan) -> Option<Box<dyn Query>> {
        if plan.parts.is_empty() {
            return None;
        }
        let (one, two) = self.settings.typo_sizes();
        let typos = self.settings.typos_enabled();
        let last_part = plan.parts.len() - 1;
        let parts = plan
            .parts
            .iter()
            .enumerate()
            .map(|(i, alternatives)| {
                let prefix = plan.last_is_prefix && i == last_part;
                let alts = alternatives
                    .iter()
                    .map(|words| {
                        let musts = words
                            .iter()
                            .map(|w| {
                                (
                                    Occur::Must,
                                    word_query(fields, w, if typos { typo_budget(w, one, two) } else { 0 }, prefix),
                                )
                            })
                            .collect();
                        (Occur::Should, Box::new(BooleanQuery::new(musts)) as Box<dyn Query>)
                    })
                    .collect();
                (Occur::Must, Box::new(BooleanQuery::new(alts)) as Box<dyn Query>)
            })
            .collect();
        Some(Box::new(BooleanQuery::new(parts)))
    }
}

fn word_query(fields: &Fields, word: &str, budget: u8, prefix: bool) -> Box<dyn Query> {
    let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (field, weight, typos_ok) in &fields.text {
        let term = Term::from_field_text(*field, word);
        any.push((
            Occur::Should,
            Box::new(BoostQuery::new(Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)), *weight)),
        ));
        if budget > 0 && *typos_ok {
            let fuzzy = FuzzyTermQuery::new(term.clone(), budget, true);
            any.push((Occur::Should, Box::new(BoostQuery::new(Box::new(fuzzy), weight * 0.5))));
        }
        if prefix && !super::text::is_han(word) {
            let fuzzy = FuzzyTermQuery::new_prefix(term, 0, true);
            any.push((Occur::Should, Box::new(BoostQuery::new(Box::new(fuzzy), weight * 0.3))));
        }
    }
    Box::new(BooleanQuery::new(any))
}

fn filters(schema: &Schema, q: &EngineQuery) -> Result<Vec<Box<dyn Query>>, SearchError> {
    let f = &q.filter;
    let mut out: Vec<Box<dyn Query>> = Vec::new();
    let mut text = |name: &str, value: &str| -> Result<(), SearchError> {
        let term = Term::from_field_text(field(schema, &keyword_field(name))?, value);
        out.push(Box::new(TermQuery::new(term, IndexRecordOption::Basic)));
        Ok(())
    };
    if let Some(c) = &f.province {
        text("province", c.as_str())?;
    }
    if let Some(c) = &f.prefecture {
        text("prefecture", c.as_str())?;
    }
    if let Some(c) = &f.county {
        text("county", c.as_str())?;
    }
    if let Some(c) = f.category {
        text("category", c.as_str())?;
    }
    if let Some(s) = &f.workshop {
        text("workshop", s.as_str())?;
    }
    let mut flag = |name: &str, on: bool| -> Result<(), SearchError> {
        if on {
            let term = Term::from_field_bool(field(schema, name)?, true);
            out.push(Box::new(TermQuery::new(term, IndexRecordOption::Basic)));
        }
        Ok(())
    };
    flag("in_stock", f.in_stock)?;
    flag("sanqu_sanzhou", f.areas.sanqu_sanzhou)?;
    flag("key_support_area", f.areas.key_support_area)?;
    flag("poverty_county", f.areas.poverty_county)?;
    let heritage = field(schema, "heritage")?;
    if let Some(h) = f.heritage {
        out.push(Box::new(TermQuery::new(Term::from_field_i64(heritage, h), IndexRecordOption::Basic)));
    }
    let price = field(schema, "price")?;
    if f.min_price.is_some() || f.max_price.is_some() {
        let bound = |v: Option<crate::domain::Fen>| {
            v.map_or(Bound::Unbounded, |p| Bound::Included(Term::from_field_i64(price, p.get())))
        };
        out.push(Box::new(RangeQuery::new(bound(f.min_price), bound(f.max_price))));
    }
    let until = Term::from_field_i64(field(schema, "listed_until")?, q.listed_on);
    out.push(Box::new(RangeQuery::new(Bound::Included(until), Bound::Unbounded)));
    Ok(out)
}

type Collected = (Vec<DocAddress>, usize, FacetCounts);

fn collect<K, C>(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    top: C,
    facets: FacetCollector,
) -> Result<Collected, SearchError>
where
    C: Collector<Fruit = Vec<(K, DocAddress)>>,
{
    let (docs, count, facet_counts) = searcher.search(query, &(top, Count, facets)).map_err(failed)?;
    Ok((docs.into_iter().map(|(_, a)| a).collect(), count, facet_counts))
}

fn same_fields(a: &Schema, b: &Schema) -> bool {
    let names = |s: &Schema| s.fields().map(|(_, e)| e.name().to_owned()).collect::<Vec<_>>();
    names(a) == names(b)
}

fn to_tantivy(schema: &Schema, fields: &Fields, d: &ProductDocument) -> Result<TantivyDocument, SearchError> {
    let mut doc = TantivyDocument::default();
    doc.add_i64(fields.id, d.id);
    doc.add_text(fields.view, serde_json::to_string(&d.view).map_err(failed)?);
    for (name, values) in d.text_fields() {
        if let Ok(f) = schema.get_field(name) {
            for v in values {
                doc.add_text(f, v);
            }
        }
    }
    let mut keyword = |name: &str, value: &str| -> Result<(), SearchError> {
        doc.add_text(field(schema, &keyword_field(name))?, value);
        doc.add_facet(fields.facets, Facet::from_path([name, value]));
        Ok(())
    };
    keyword("province", &d.province)?;
    if let Some(p) = &d.prefecture {
        keyword("prefecture", p)?;
    }
    keyword("county", &d.county)?;
    keyword("category", &d.category)?;
    keyword("workshop", &d.workshop)?;
    keyword("price_band", &d.price_band)?;
    doc.add_facet(fields.facets, Facet::from_path(["heritage", &d.heritage.to_string()]));
    doc.add_facet(fields.facets, Facet::from_path(["in_stock", if d.in_stock { "true" } else { "false" }]));
    for (name, v) in [
        ("heritage", d.heritage),
        ("price", d.price),
        ("created", d.created),
        ("sold", d.sold),
        ("listed_until", d.listed_until),
    ] {
        doc.add_i64(field(schema, name)?, v);
    }
    for (name, v) in [
        ("in_stock", d.in_stock),
        ("sanqu_sanzhou", d.sanqu_sanzhou),
        ("key_support_area", d.key_support_area),
        ("poverty_county", d.poverty_county),
    ] {
        doc.add_bool(field(schema, name)?, v);
    }
    Ok(doc)
}

/// A fresh index being built; [`EmbeddedRebuild::finish`] makes it the live one.
pub struct EmbeddedRebuild {
    root: PathBuf,
    name: String,
    index: Index,
    fields: Fields,
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

    /// Commits, waits for merges and points `CURRENT` at the new index.
    pub fn finish(mut self) -> Result<(), SearchError> {
        self.writer.commit().map_err(failed)?;
        self.writer.wait_merging_threads().map_err(failed)?;
        write_current(&self.root, &self.name)
    }
}

/// Replaces `CURRENT` atomically (write beside it, then rename over it).
fn write_current(root: &Path, name: &str) -> Result<(), SearchError> {
    let tmp = root.join(format!("CURRENT.{}", std::process::id()));
    std::fs::write(&tmp, name).map_err(failed)?;
    std::fs::rename(&tmp, root.join("CURRENT")).map_err(failed)
}

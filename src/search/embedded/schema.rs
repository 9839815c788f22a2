//! The embedded index's schema: its fields, the jieba-based tokenizer, and how a product
//! document becomes a tantivy document.

use super::failed;
use crate::search::document::ProductDocument;
use crate::search::settings::SearchSettings;
use crate::search::text::Analyzer;
use crate::search::SearchError;
use tantivy::schema::{
    Facet, FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED,
    STRING,
};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::TantivyDocument;

/// The name the tokenizer is registered under.
pub(super) const TOKENIZER: &str = "gongfang";

/// The jieba-based analyzer as a tantivy tokenizer.
#[derive(Clone)]
pub(super) struct IndexTokenizer(pub(super) Analyzer);

/// The words of one text, as tantivy tokens.
pub(super) struct Words {
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
pub(super) struct Fields {
    pub(super) id: Field,
    pub(super) view: Field,
    /// Searchable fields with their weight and whether typos may match them.
    pub(super) text: Vec<(Field, f32, bool)>,
    pub(super) facets: Field,
}

pub(super) fn schema(settings: &SearchSettings) -> Schema {
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
    for name in ["heritage", "price", "created", "sold", "listed_until", "rating"] {
        b.add_i64_field(name, INDEXED | FAST);
    }
    for name in ["in_stock", "sanqu_sanzhou", "key_support_area", "poverty_county"] {
        b.add_bool_field(name, INDEXED);
    }
    b.add_facet_field("facets", FacetOptions::default());
    b.build()
}

/// The exact-match twin of a field (`category` is also searchable text).
pub(super) fn keyword_field(name: &str) -> String {
    format!("kw_{name}")
}

pub(super) fn field(schema: &Schema, name: &str) -> Result<Field, SearchError> {
    schema.get_field(name).map_err(|e| SearchError::Failed(format!("embedded index: {e}")))
}

pub(super) fn fields(schema: &Schema, settings: &SearchSettings) -> Result<Fields, SearchError> {
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

pub(super) fn same_fields(a: &Schema, b: &Schema) -> bool {
    let names = |s: &Schema| s.fields().map(|(_, e)| e.name().to_owned()).collect::<Vec<_>>();
    names(a) == names(b)
}

pub(super) fn to_tantivy(
    schema: &Schema,
    fields: &Fields,
    d: &ProductDocument,
) -> Result<TantivyDocument, SearchError> {
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
        ("rating", d.rating),
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

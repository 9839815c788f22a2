//! Turning a query plan and filters into tantivy queries, and collecting hits, counts and
//! facets in one pass.

use super::facets::{FacetCounter, FacetTotals};
use super::failed;
use super::schema::{field, keyword_field, Fields};
use crate::search::settings::SearchSettings;
use crate::search::text::{typo_budget, QueryPlan};
use crate::search::{EngineQuery, SearchError};
use std::ops::Bound;
use tantivy::collector::{Collector, Count};
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, Schema};
use tantivy::{DocAddress, Term};

/// Every part of the plan must match; a part matches through any of its alternatives; a
/// word matches exactly, with typos within its budget, or (the last) as a prefix.
pub(super) fn text_query(settings: &SearchSettings, fields: &Fields, plan: &QueryPlan) -> Option<Box<dyn Query>> {
    if plan.parts.is_empty() {
        return None;
    }
    let (one, two) = settings.typo_sizes();
    let typos = settings.typos_enabled();
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
        if prefix && !crate::search::text::is_han(word) {
            let fuzzy = FuzzyTermQuery::new_prefix(term, 0, true);
            any.push((Occur::Should, Box::new(BoostQuery::new(Box::new(fuzzy), weight * 0.3))));
        }
    }
    Box::new(BooleanQuery::new(any))
}

pub(super) fn filters(schema: &Schema, q: &EngineQuery) -> Result<Vec<Box<dyn Query>>, SearchError> {
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

pub(super) type Collected = (Vec<DocAddress>, usize, Option<FacetTotals>);

pub(super) fn collect<K, C>(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    top: C,
    facets: Option<FacetCounter>,
) -> Result<Collected, SearchError>
where
    C: Collector<Fruit = Vec<(K, DocAddress)>>,
{
    let (docs, count, facet_counts) = searcher.search(query, &(top, Count, facets)).map_err(failed)?;
    Ok((docs.into_iter().map(|(_, a)| a).collect(), count, facet_counts))
}

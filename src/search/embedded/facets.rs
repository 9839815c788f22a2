//! Facet counts for the embedded engine whose cost does not grow with the number of values.
//!
//! tantivy's `FacetCollector` streams a segment's whole facet dictionary on every query to map
//! ordinals to the requested facets, then looks up each counted ordinal's text: at national
//! scale (9,000 workshops, 2,800 counties) that was most of a search's CPU (issue 18's profile).
//! A segment never changes, so its dictionary is read once into a table (ordinal → facet and
//! value) kept beside the index; a query only counts ordinals, and only the values a page can
//! show (the most common `cap` of each facet) are copied out.

use super::failed;
use crate::search::{SearchError, FACETS};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::fastfield::FacetReader;
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, Searcher, SegmentOrdinal, SegmentReader, TantivyError};

/// The index field that holds every facet as a path `name/value`.
const FIELD: &str = "facets";
/// The facet index of an ordinal that belongs to none of [`FACETS`].
const NONE: u8 = u8::MAX;

/// One segment's facet dictionary: for each ordinal, its facet (an index into [`FACETS`]) and value.
pub(super) struct SegmentFacets {
    facet_of: Vec<u8>,
    value: Vec<Box<str>>,
}

impl SegmentFacets {
    fn read(segment: &SegmentReader) -> Result<SegmentFacets, SearchError> {
        let reader = segment.facet_reader(FIELD).map_err(failed)?;
        let n = reader.num_facets();
        let mut table = SegmentFacets { facet_of: vec![NONE; n], value: vec![Box::from(""); n] };
        let mut stream = reader.facet_dict().stream().map_err(failed)?;
        while stream.advance() {
            let key = stream.key();
            // A facet is stored as its path with a 0 byte between the parts: `workshop\0{slug}`.
            let Some(at) = key.iter().position(|b| *b == 0) else { continue };
            let Some(which) = FACETS.iter().position(|f| f.as_bytes() == &key[..at]) else { continue };
            let Some(slot) = usize::try_from(stream.term_ord()).ok().filter(|o| *o < n) else { continue };
            table.facet_of[slot] = u8::try_from(which).unwrap_or(NONE);
            table.value[slot] = String::from_utf8_lossy(&key[at + 1..]).into();
        }
        Ok(table)
    }
}

/// The tables of the segments an index has had, read when a segment is first searched.
#[derive(Default)]
pub(super) struct FacetTables(Mutex<HashMap<SegmentId, Arc<SegmentFacets>>>);

impl FacetTables {
    /// A collector over the searcher's segments that keeps the `cap` most common values of each
    /// facet. Tables of segments merged away are forgotten here.
    pub(super) fn counter(&self, searcher: &Searcher, cap: usize) -> Result<FacetCounter, SearchError> {
        let mut known = self.0.lock().map_err(failed)?;
        let mut tables = Vec::with_capacity(searcher.segment_readers().len());
        for segment in searcher.segment_readers() {
            let table = match known.get(&segment.segment_id()) {
                Some(table) => table.clone(),
                None => {
                    let table = Arc::new(SegmentFacets::read(segment)?);
                    known.insert(segment.segment_id(), table.clone());
                    table
                }
            };
            tables.push(table);
        }
        if known.len() > tables.len() {
            let live: HashSet<SegmentId> = searcher.segment_readers().iter().map(|s| s.segment_id()).collect();
            known.retain(|id, _| live.contains(id));
        }
        Ok(FacetCounter { tables, cap })
    }
}

/// Counts facet values over a search's hits (see [`FacetTables::counter`]).
pub(super) struct FacetCounter {
    tables: Vec<Arc<SegmentFacets>>,
    cap: usize,
}

/// Each facet's most common values with their counts, most common first (ties by value), in
/// the order of [`FACETS`].
pub(super) struct FacetTotals(pub(super) Vec<Vec<(String, u64)>>);

/// One segment's counts by ordinal, with the table that names them.
pub(super) struct SegmentCounter {
    table: Arc<SegmentFacets>,
    reader: FacetReader,
    counts: Vec<u32>,
}

impl SegmentCollector for SegmentCounter {
    type Fruit = (Arc<SegmentFacets>, Vec<u32>);

    fn collect(&mut self, doc: DocId, _: Score) {
        for ord in self.reader.facet_ords(doc) {
            // A document holds each facet value once, so a count never exceeds the segment's
            // document count (a u32).
            if let Some(n) = usize::try_from(ord).ok().and_then(|o| self.counts.get_mut(o)) {
                *n = n.saturating_add(1);
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        (self.table, self.counts)
    }
}

impl Collector for FacetCounter {
    type Fruit = FacetTotals;
    type Child = SegmentCounter;

    fn for_segment(&self, ord: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<SegmentCounter> {
        let table = usize::try_from(ord)
            .ok()
            .and_then(|o| self.tables.get(o))
            .cloned()
            .ok_or_else(|| TantivyError::InternalError(format!("no facet table for segment {ord}")))?;
        let reader = segment.facet_reader(FIELD)?;
        Ok(SegmentCounter { counts: vec![0; table.value.len()], table, reader })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<(Arc<SegmentFacets>, Vec<u32>)>) -> tantivy::Result<FacetTotals> {
        let mut by_facet: Vec<HashMap<&str, u64>> = vec![HashMap::new(); FACETS.len()];
        for (table, counts) in &segments {
            for ((facet, value), n) in table.facet_of.iter().zip(&table.value).zip(counts) {
                if *n > 0 {
                    if let Some(values) = by_facet.get_mut(usize::from(*facet)) {
                        let total = values.entry(value).or_default();
                        *total = total.saturating_add(u64::from(*n));
                    }
                }
            }
        }
        let totals = by_facet
            .into_iter()
            .map(|values| {
                let mut values: Vec<(&str, u64)> = values.into_iter().collect();
                let order = |a: &(&str, u64), b: &(&str, u64)| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0));
                if values.len() > self.cap && self.cap > 0 {
                    values.select_nth_unstable_by(self.cap - 1, order);
                }
                values.truncate(self.cap);
                values.sort_by(order);
                values.into_iter().map(|(v, n)| (v.to_owned(), n)).collect()
            })
            .collect();
        Ok(FacetTotals(totals))
    }
}

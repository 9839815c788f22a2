//! Reference data: the administrative divisions, the key-area flags, the 832 former poverty
//! counties and the heritage craft items, loaded from the CSVs in `reference-data/` (compiled
//! into the binary) whenever the database lacks them.

use super::schema::{heritage_item_regions, heritage_items, poverty_counties, regions};
use super::DbConn;
use crate::domain::{RegionCode, RegionLevel};
use anyhow::{bail, Context};
use diesel::prelude::*;
use serde::Deserialize;
use std::collections::HashSet;

const REGIONS_CSV: &str = include_str!("../../reference-data/regions.csv");
const KEY_AREAS_CSV: &str = include_str!("../../reference-data/key-areas.csv");
const POVERTY_COUNTIES_CSV: &str = include_str!("../../reference-data/poverty-counties.csv");
const HERITAGE_CSV: &str = include_str!("../../reference-data/heritage-crafts.csv");

/// Rows in `regions.csv`; a database holding fewer is (re)loaded.
pub const REGION_COUNT: i64 = 3_213;

#[derive(Debug, Deserialize)]
struct RegionRecord {
    code: String,
    name_zh: String,
    name_pinyin: String,
    level: String,
    parent_code: String,
    short_name_zh: String,
}

#[derive(Debug, Deserialize)]
struct KeyAreaRecord {
    group: String,
    subgroup: String,
    code: String,
}

#[derive(Debug, Deserialize)]
struct PovertyCountyRecord {
    code: String,
    province_code: String,
    prefecture_code: String,
    name_in_list: String,
    exit_year: String,
    notes: String,
}

#[derive(Debug, Deserialize)]
struct HeritageRecord {
    id: String,
    name_zh: String,
    name_en: String,
    category: String,
    region_codes: String,
    level: String,
    batch: String,
    declared_region_zh: String,
    in_revitalization_catalogue_2018: String,
    sources: String,
    notes: String,
}

#[derive(Insertable)]
#[diesel(table_name = regions)]
struct NewRegion {
    code: String,
    name_zh: String,
    name_pinyin: String,
    short_name_zh: String,
    level: String,
    parent_code: Option<String>,
    sanqu_sanzhou: bool,
    sanqu_group: Option<String>,
    key_support_area: bool,
    poverty_county: bool,
    poverty_exit_year: Option<i32>,
}

#[derive(Insertable)]
#[diesel(table_name = poverty_counties)]
struct NewPovertyCounty {
    name_in_list: String,
    region_code: Option<String>,
    province_code: String,
    prefecture_code: Option<String>,
    exit_year: Option<i32>,
    notes: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = heritage_items)]
struct NewHeritageItem {
    id: i64,
    code: String,
    list_number: Option<String>,
    name_zh: String,
    name_en: String,
    category: String,
    level: String,
    batch: Option<String>,
    declared_region_zh: Option<String>,
    revitalization_catalogue: Option<String>,
    sources: String,
    notes: Option<String>,
}

fn records<T: for<'de> Deserialize<'de>>(name: &str, text: &str) -> anyhow::Result<Vec<T>> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .enumerate()
        .map(|(i, r)| r.with_context(|| format!("{name}, row {}", i + 2)))
        .collect()
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// What a load did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReferenceCounts {
    pub regions: usize,
    pub poverty_counties: usize,
    pub heritage_items: usize,
}

/// Loads the reference data unless it is already there. Runs in one transaction, so a
/// half-loaded state is never visible. Returns `None` when nothing needed loading.
pub fn ensure_reference_data(conn: &mut DbConn) -> anyhow::Result<Option<ReferenceCounts>> {
    let have: i64 = regions::table.count().get_result(conn)?;
    if have >= REGION_COUNT {
        return Ok(None);
    }
    if have > 0 {
        bail!("the regions table holds {have} rows, fewer than the {REGION_COUNT} of the reference data; refusing to guess");
    }
    let counts = crate::db::tx::write(&mut *conn, load_all)?;
    Ok(Some(counts))
}

fn load_all(conn: &mut DbConn) -> anyhow::Result<ReferenceCounts> {
    let region_rows: Vec<RegionRecord> = records("regions.csv", REGIONS_CSV)?;
    let key_areas: Vec<KeyAreaRecord> = records("key-areas.csv", KEY_AREAS_CSV)?;
    let poverty: Vec<PovertyCountyRecord> = records("poverty-counties.csv", POVERTY_COUNTIES_CSV)?;
    let heritage: Vec<HeritageRecord> = records("heritage-crafts.csv", HERITAGE_CSV)?;

    let poverty_codes: std::collections::HashMap<&str, Option<i32>> = poverty
        .iter()
        .filter(|p| !p.code.is_empty())
        .map(|p| (p.code.as_str(), p.exit_year.trim().parse().ok()))
        .collect();
    let mut new_regions = Vec::with_capacity(region_rows.len());
    for r in &region_rows {
        let code = RegionCode::parse(&r.code).with_context(|| format!("regions.csv: bad code {:?}", r.code))?;
        let level = RegionLevel::parse(&r.level).with_context(|| format!("regions.csv: bad level {:?}", r.level))?;
        let sanqu = key_areas.iter().find(|k| k.code == r.code && k.group == "三区三州");
        let key_support = key_areas.iter().any(|k| k.code == r.code && k.group.starts_with("非遗+扶贫"));
        new_regions.push(NewRegion {
            code: code.to_string(),
            name_zh: r.name_zh.clone(),
            name_pinyin: r.name_pinyin.clone(),
            short_name_zh: r.short_name_zh.clone(),
            level: level.as_str().to_owned(),
            parent_code: non_empty(&r.parent_code),
            sanqu_sanzhou: sanqu.is_some(),
            sanqu_group: sanqu.map(|k| k.subgroup.clone()),
            key_support_area: key_support,
            poverty_county: poverty_codes.contains_key(r.code.as_str()),
            poverty_exit_year: poverty_codes.get(r.code.as_str()).copied().flatten(),
        });
    }
    // Parents before children, so the self-reference holds at every insert.
    new_regions.sort_by_key(|r| (RegionLevel::parse(&r.level), r.code.clone()));
    let known: HashSet<&str> = new_regions.iter().map(|r| r.code.as_str()).collect();
    for k in &key_areas {
        if !known.contains(k.code.as_str()) {
            bail!("key-areas.csv names unknown region {}", k.code);
        }
    }
    for chunk in new_regions.chunks(500) {
        crate::insert_batch!(conn, regions::table, chunk)?;
    }

    let new_poverty: Vec<NewPovertyCounty> = poverty
        .iter()
        .map(|p| NewPovertyCounty {
            name_in_list: p.name_in_list.clone(),
            region_code: non_empty(&p.code),
            province_code: p.province_code.clone(),
            prefecture_code: non_empty(&p.prefecture_code),
            exit_year: p.exit_year.trim().parse().ok(),
            notes: non_empty(&p.notes),
        })
        .collect();
    for chunk in new_poverty.chunks(500) {
        crate::insert_batch!(conn, poverty_counties::table, chunk)?;
    }

    let mut item_regions = Vec::new();
    let mut items = Vec::with_capacity(heritage.len());
    for (i, h) in heritage.iter().enumerate() {
        let id = i as i64 + 1;
        items.push(NewHeritageItem {
            id,
            code: format!("ich-{id:03}"),
            list_number: non_empty(&h.id),
            name_zh: h.name_zh.clone(),
            name_en: h.name_en.clone(),
            category: h.category.clone(),
            level: h.level.clone(),
            batch: non_empty(&h.batch),
            declared_region_zh: non_empty(&h.declared_region_zh),
            revitalization_catalogue: non_empty(&h.in_revitalization_catalogue_2018),
            sources: h.sources.clone(),
            notes: non_empty(&h.notes),
        });
        for code in h.region_codes.split(';').filter_map(non_empty) {
            if !known.contains(code.as_str()) {
                bail!("heritage-crafts.csv row {} names unknown region {code}", i + 2);
            }
            item_regions
                .push((heritage_item_regions::heritage_item_id.eq(id), heritage_item_regions::region_code.eq(code)));
        }
    }
    crate::insert_batch!(conn, heritage_items::table, &items)?;
    crate::insert_batch!(conn, heritage_item_regions::table, &item_regions)?;

    Ok(ReferenceCounts { regions: new_regions.len(), poverty_counties: new_poverty.len(), heritage_items: items.len() })
}

//! Reference data held in memory: every region with its flags and place in the hierarchy, and
//! every heritage item. Loaded once at start; it changes only with a new release of the CSVs.

use crate::db::catalog::{FlaggedRegions, HeritageRow, RegionRow};
use crate::domain::heritage::{HeritageCategory, HeritageLevel};
use crate::domain::listing::AreaFilter;
use crate::domain::RegionLevel;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A region as pages and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Region {
    pub code: String,
    pub name_zh: String,
    /// Pinyin of the short name (not an official English name).
    pub name_pinyin: String,
    pub short_name_zh: String,
    #[schema(value_type = String, example = "county")]
    pub level: RegionLevel,
    pub parent_code: Option<String>,
    /// In 三区三州, the deep-poverty areas.
    pub sanqu_sanzhou: bool,
    pub sanqu_group: Option<String>,
    /// A named "非遗+扶贫" key support area (2018, first batch).
    pub key_support_area: bool,
    /// One of the 832 former national poverty counties.
    pub poverty_county: bool,
    pub poverty_exit_year: Option<i32>,
}

/// A heritage (ICH) item.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HeritageItem {
    /// Row number in the reference data; the `/crafts/{id}` path.
    pub id: i64,
    /// Stable code, e.g. `ich-001`.
    pub code: String,
    /// National list number where known, e.g. `VIII-128`.
    pub list_number: Option<String>,
    pub name_zh: String,
    pub name_en: String,
    /// The reference data's text, notes included; pages show `category_key` instead.
    pub category: String,
    /// The reference data's text, notes included; pages show `level_key` instead.
    pub level: String,
    /// The category, for the catalogue (`heritage_category.*`).
    #[schema(value_type = String, example = "traditional_craftsmanship")]
    pub category_key: HeritageCategory,
    /// The level, for the catalogue (`heritage_level.*`).
    #[schema(value_type = String, example = "national")]
    pub level_key: HeritageLevel,
    pub batch: Option<String>,
    pub declared_region_zh: Option<String>,
    pub revitalization_catalogue: Option<String>,
    pub region_codes: Vec<String>,
    #[serde(skip)]
    pub sources: String,
}

/// Flags that apply to a place because of itself or any region above it.
#[derive(Debug, Clone, Copy, Default, Serialize, utoipa::ToSchema)]
pub struct AreaFlags {
    pub sanqu_sanzhou: bool,
    pub key_support_area: bool,
    pub poverty_county: bool,
}

/// All reference data, indexed.
#[derive(Debug, Default)]
pub struct Reference {
    regions: HashMap<String, Region>,
    children: HashMap<String, Vec<String>>,
    provinces: Vec<String>,
    heritage: BTreeMap<i64, HeritageItem>,
}

impl Reference {
    /// Builds the index from database rows.
    pub fn from_rows(
        region_rows: Vec<RegionRow>,
        heritage_rows: Vec<HeritageRow>,
        heritage_regions: Vec<(i64, String)>,
    ) -> Reference {
        let mut regions = HashMap::with_capacity(region_rows.len());
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        let mut provinces = Vec::new();
        for r in region_rows {
            let Some(level) = RegionLevel::parse(&r.level) else { continue };
            match &r.parent_code {
                Some(p) => children.entry(p.clone()).or_default().push(r.code.clone()),
                None => provinces.push(r.code.clone()),
            }
            regions.insert(
                r.code.clone(),
                Region {
                    code: r.code,
                    name_zh: r.name_zh,
                    name_pinyin: r.name_pinyin,
                    short_name_zh: r.short_name_zh,
                    level,
                    parent_code: r.parent_code,
                    sanqu_sanzhou: r.sanqu_sanzhou,
                    sanqu_group: r.sanqu_group,
                    key_support_area: r.key_support_area,
                    poverty_county: r.poverty_county,
                    poverty_exit_year: r.poverty_exit_year,
                },
            );
        }
        provinces.sort();
        for list in children.values_mut() {
            list.sort();
        }
        let mut heritage: BTreeMap<i64, HeritageItem> = heritage_rows
            .into_iter()
            .map(|h| {
                (
                    h.id,
                    HeritageItem {
                        id: h.id,
                        code: h.code,
                        list_number: h.list_number,
                        name_zh: h.name_zh,
                        name_en: h.name_en,
                        category_key: HeritageCategory::classify(&h.category),
                        level_key: HeritageLevel::classify(&h.level),
                        category: h.category,
                        level: h.level,
                        batch: h.batch,
                        declared_region_zh: h.declared_region_zh,
                        revitalization_catalogue: h.revitalization_catalogue,
                        region_codes: Vec::new(),
                        sources: h.sources,
                    },
                )
            })
            .collect();
        for (id, code) in heritage_regions {
            if let Some(h) = heritage.get_mut(&id) {
                h.region_codes.push(code);
            }
        }
        Reference { regions, children, provinces, heritage }
    }

    pub fn region(&self, code: &str) -> Option<&Region> {
        self.regions.get(code)
    }

    pub fn region_count(&self) -> usize {
        self.regions.len()
    }

    /// The region and those above it, top (province) first.
    pub fn path(&self, code: &str) -> Vec<&Region> {
        let mut path = Vec::new();
        let mut next = self.regions.get(code);
        while let Some(r) = next {
            path.push(r);
            next = r.parent_code.as_deref().and_then(|p| self.regions.get(p));
            if path.len() > 4 {
                break;
            }
        }
        path.reverse();
        path
    }

    /// Flags of the region or any region above it.
    pub fn flags(&self, code: &str) -> AreaFlags {
        self.path(code).iter().fold(AreaFlags::default(), |f, r| AreaFlags {
            sanqu_sanzhou: f.sanqu_sanzhou || r.sanqu_sanzhou,
            key_support_area: f.key_support_area || r.key_support_area,
            poverty_county: f.poverty_county || r.poverty_county,
        })
    }

    /// The regions directly below `code`.
    pub fn children(&self, code: &str) -> Vec<&Region> {
        self.children.get(code).map(|c| c.iter().filter_map(|k| self.regions.get(k)).collect()).unwrap_or_default()
    }

    pub fn provinces(&self) -> Vec<&Region> {
        self.provinces.iter().filter_map(|k| self.regions.get(k)).collect()
    }

    /// The 三区三州 areas and key support areas, in code order.
    pub fn key_areas(&self) -> Vec<&Region> {
        let mut v: Vec<&Region> = self.regions.values().filter(|r| r.sanqu_sanzhou || r.key_support_area).collect();
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    }

    /// For each key-area flag the filter sets, the codes of the regions that carry it
    /// themselves; a workshop is in the area when any level of its place is in the list.
    pub fn flagged_regions(&self, areas: AreaFilter) -> FlaggedRegions {
        let mut sets = Vec::new();
        let mut add = |wanted: bool, has: fn(&Region) -> bool| {
            if wanted {
                let mut codes: Vec<String> = self.regions.values().filter(|r| has(r)).map(|r| r.code.clone()).collect();
                codes.sort();
                sets.push(codes);
            }
        };
        add(areas.sanqu_sanzhou, |r| r.sanqu_sanzhou);
        add(areas.key_support_area, |r| r.key_support_area);
        add(areas.poverty_county, |r| r.poverty_county);
        FlaggedRegions(sets)
    }

    pub fn heritage_item(&self, id: i64) -> Option<&HeritageItem> {
        self.heritage.get(&id)
    }

    pub fn heritage_items(&self) -> impl Iterator<Item = &HeritageItem> {
        self.heritage.values()
    }
}

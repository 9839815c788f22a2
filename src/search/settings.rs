//! The index settings kept as files in `search-config/` and compiled into the binary:
//! `settings.json` in Meilisearch's own format, and `synonyms.toml` as groups of words that
//! mean the same thing. Both engines take their behaviour from here.

use meilisearch_sdk::settings::Settings;
use serde::Deserialize;
use std::collections::HashMap;

const SETTINGS_JSON: &str = include_str!("../../search-config/settings.json");
const SYNONYMS_TOML: &str = include_str!("../../search-config/synonyms.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SynonymFile {
    groups: Vec<Vec<String>>,
}

/// The settings, parsed once.
#[derive(Debug, Clone)]
pub struct SearchSettings {
    /// What is sent to Meilisearch, synonyms included.
    pub meili: Settings,
    /// The synonym groups as written.
    pub synonym_groups: Vec<Vec<String>>,
}

impl SearchSettings {
    /// Parses the embedded files; an error names the file.
    pub fn load() -> anyhow::Result<SearchSettings> {
        SearchSettings::parse(SETTINGS_JSON, SYNONYMS_TOML)
    }

    pub fn parse(settings_json: &str, synonyms_toml: &str) -> anyhow::Result<SearchSettings> {
        let mut meili: Settings =
            serde_json::from_str(settings_json).map_err(|e| anyhow::anyhow!("search-config/settings.json: {e}"))?;
        let file: SynonymFile =
            toml::from_str(synonyms_toml).map_err(|e| anyhow::anyhow!("search-config/synonyms.toml: {e}"))?;
        if meili.searchable_attributes.as_ref().is_none_or(Vec::is_empty) {
            anyhow::bail!("search-config/settings.json: searchableAttributes must list the fields to search");
        }
        meili.synonyms = Some(synonym_map(&file.groups));
        Ok(SearchSettings { meili, synonym_groups: file.groups })
    }

    /// Searchable fields, most important first.
    pub fn searchable(&self) -> &[String] {
        self.meili.searchable_attributes.as_deref().unwrap_or_default()
    }

    /// Word lengths from which one and two typos are allowed.
    pub fn typo_sizes(&self) -> (usize, usize) {
        let sizes = self.meili.typo_tolerance.as_ref().and_then(|t| t.min_word_size_for_typos.as_ref());
        let one = sizes.and_then(|s| s.one_typo).unwrap_or(5);
        let two = sizes.and_then(|s| s.two_typos).unwrap_or(9);
        (usize::from(one), usize::from(two))
    }

    /// Whether typo tolerance is on at all.
    pub fn typos_enabled(&self) -> bool {
        self.meili.typo_tolerance.as_ref().and_then(|t| t.enabled).unwrap_or(true)
    }

    /// Fields where a typo never matches.
    pub fn typo_free_fields(&self) -> &[String] {
        self.meili.typo_tolerance.as_ref().and_then(|t| t.disable_on_attributes.as_deref()).unwrap_or_default()
    }

    /// How many values each facet reports at most.
    pub fn max_values_per_facet(&self) -> usize {
        self.meili.faceting.as_ref().map_or(100, |f| f.max_values_per_facet)
    }

    /// How many hits a search can page through.
    pub fn max_total_hits(&self) -> usize {
        self.meili.pagination.as_ref().map_or(1000, |p| p.max_total_hits)
    }
}

/// Meilisearch's form: every word of a group maps to all the others.
fn synonym_map(groups: &[Vec<String>]) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for group in groups {
        for word in group {
            let others = map.entry(word.clone()).or_default();
            for other in group.iter().filter(|o| *o != word) {
                if !others.contains(other) {
                    others.push(other.clone());
                }
            }
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_files_parse() {
        let s = SearchSettings::load().map_err(|e| e.to_string());
        let s = s.as_ref();
        assert!(s.is_ok(), "{s:?}");
        let Ok(s) = s else { return };
        assert_eq!(s.searchable().first().map(String::as_str), Some("title_zh"));
        let synonyms = s.meili.synonyms.clone().unwrap_or_default();
        let miao = synonyms.get("苗绣").cloned().unwrap_or_default();
        assert!(miao.contains(&"Miao embroidery".to_string()) && miao.contains(&"miaoxiu".to_string()));
        assert!(synonyms.get("thangka").is_some_and(|v| v.contains(&"唐卡".to_string())));
        assert_eq!(s.typo_sizes(), (5, 9));
    }

    #[test]
    fn errors_name_the_file() {
        let e = SearchSettings::parse("{", "groups = []").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.starts_with("search-config/settings.json"), "{e}");
        let e = SearchSettings::parse(r#"{"searchableAttributes":["a"]}"#, "groups = 3")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("search-config/synonyms.toml"), "{e}");
    }
}

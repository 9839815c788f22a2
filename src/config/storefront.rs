//! The storefront's page cache settings: how much memory it may hold and how soon a node sees
//! a catalogue change.

use super::{err, ConfigError};
use std::collections::HashMap;
use std::time::Duration;

/// How the in-memory page cache of anonymous storefront pages behaves on each node.
#[derive(Debug, Clone)]
pub struct PageCacheConfig {
    /// The most bytes of rendered pages kept (`GONGFANG_PAGE_CACHE_MB`, 64; 0 turns the cache off).
    pub capacity_bytes: u64,
    /// How often a node re-reads the catalogue's change counter (`GONGFANG_PAGE_CACHE_REFRESH_MS`,
    /// 1000). A change is on every node's pages within this time; search pages, which wait on the
    /// search index, are kept no longer than this either.
    pub refresh: Duration,
}

impl Default for PageCacheConfig {
    fn default() -> Self {
        PageCacheConfig { capacity_bytes: 64 * 1024 * 1024, refresh: Duration::from_millis(1000) }
    }
}

/// Reads the page cache settings.
pub fn page_cache_from_env(env: &HashMap<String, String>) -> Result<PageCacheConfig, ConfigError> {
    let read = |var: &str, max: u64| -> Result<Option<u64>, ConfigError> {
        env.get(var)
            .map(|v| {
                v.trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n <= max)
                    .ok_or_else(|| err(var, format!("{v:?} is not a number from 0 to {max}")))
            })
            .transpose()
    };
    let defaults = PageCacheConfig::default();
    let capacity_bytes =
        read("GONGFANG_PAGE_CACHE_MB", 64 * 1024)?.map_or(defaults.capacity_bytes, |mb| mb * 1024 * 1024);
    let refresh = match read("GONGFANG_PAGE_CACHE_REFRESH_MS", 60_000)? {
        Some(0) => return Err(err("GONGFANG_PAGE_CACHE_REFRESH_MS", "must be at least 1")),
        Some(ms) => Duration::from_millis(ms),
        None => defaults.refresh,
    };
    Ok(PageCacheConfig { capacity_bytes, refresh })
}

//! `gongfang seed --scale national`: a national-scale dataset for the reports' benchmark.

use crate::db::Db;

/// Generates the national dataset; returns a one-line summary of what it made.
pub fn seed_national(_db: &Db, _progress: Option<&indicatif::ProgressBar>) -> anyhow::Result<String> {
    anyhow::bail!("the national dataset generator is not written yet")
}

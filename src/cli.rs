//! The command line: `gongfang [serve|migrate|seed|search]`.

use clap::{Parser, Subcommand};

/// 工坊 Gongfang: heritage crafts traced to the people who made them.
#[derive(Debug, Parser)]
#[command(name = "gongfang", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do; `serve` when none is given.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (migrates and loads reference data first).
    Serve {
        /// Add the demo catalogue first if it is missing.
        #[arg(long)]
        demo: bool,
        /// HTTP worker threads (default: one per core).
        #[arg(long, env = "GONGFANG_WORKERS")]
        workers: Option<usize>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load reference data, and with --demo the demo catalogue, then exit.
    Seed {
        /// Add the demo workshops, workers and products.
        #[arg(long)]
        demo: bool,
        /// For benchmarks: add copies of the demo products until there are this many.
        #[arg(long, value_name = "PRODUCTS")]
        scale: Option<usize>,
    },
    /// Manage the search index (Meilisearch when MEILI_URL is set, else the embedded one).
    Search {
        #[command(subcommand)]
        action: SearchAction,
    },
}

/// What to do with the search index.
#[derive(Debug, Subcommand)]
pub enum SearchAction {
    /// Apply the settings in search-config/ (idempotent; `serve` does this at start too).
    Setup,
    /// Build a fresh index from the catalogue and swap it in; searches keep answering.
    Reindex,
}

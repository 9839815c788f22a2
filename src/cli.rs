//! The command line: `gongfang [serve|migrate|seed|search|admin|audit|media|payments|payouts|report]`.

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
        /// For benchmarks: a number adds copies of the demo products until there are this many;
        /// `national` generates a national-scale dataset (about 9,000 workshops, 270,000
        /// workers and 5,000,000 order lines over 3 years; `GONGFANG_NATIONAL_FRACTION` scales it).
        #[arg(long, value_name = "PRODUCTS|national", value_parser = parse_scale)]
        scale: Option<Scale>,
    },
    /// Accounts the platform needs before anyone can invite.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// The hash-chained audit log.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Photo processing, as uploads get it (for checking a file or timing the pipeline), and
    /// moving the local photos and vouchers into an object store.
    Media {
        #[command(subcommand)]
        action: MediaAction,
    },
    /// Income-attribution reports for officials.
    Report {
        #[command(subcommand)]
        action: ReportAction,
    },
    /// Buyers' payments: reconcile Stripe's PaymentIntents with the orders.
    Payments {
        #[command(subcommand)]
        action: PaymentsAction,
    },
    /// Settlement and payouts to workshops.
    Payouts {
        #[command(subcommand)]
        action: PayoutAction,
    },
    /// Manage the search index (Meilisearch when MEILI_URL is set, else the embedded one).
    Search {
        #[command(subcommand)]
        action: SearchAction,
    },
}

/// Account administration.
#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// Create the first operator. The password is read from GONGFANG_OPERATOR_PASSWORD, or
    /// from the first line of standard input.
    CreateOperator {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Operator")]
        name: String,
    },
}

/// Audit log commands.
#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Check every link of the chain, and recompute every journal entry, payout and wage
    /// statement; exits 1 and names the first broken entry or the rows that differ.
    Verify,
}

/// Payment commands.
#[derive(Debug, Subcommand)]
pub enum PaymentsAction {
    /// Compare the Stripe payments of orders placed since a day (China time) with their
    /// PaymentIntents; fix what a missed webhook left behind and report every other
    /// difference. Exits 1 when something is reported or Stripe could not be asked.
    Reconcile {
        /// The first day, e.g. 2026-11-01.
        #[arg(long, value_name = "YYYY-MM-DD")]
        since: chrono::NaiveDate,
    },
}

/// Payout commands.
#[derive(Debug, Subcommand)]
pub enum PayoutAction {
    /// Settle what is due, create each workshop's payout for a month (running a month twice
    /// creates nothing new), then send its Stripe transfers.
    Run {
        /// The month, `YYYY-MM` (China time); it must have ended.
        #[arg(long)]
        period: String,
    },
    /// Send the Stripe transfers still pending (those that failed before).
    Send,
}

/// What `seed --scale` generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Products(usize),
    National,
}

fn parse_scale(s: &str) -> Result<Scale, String> {
    match s {
        "national" => Ok(Scale::National),
        n => {
            n.parse().map(Scale::Products).map_err(|_| format!("{s:?} is neither a number of products nor `national`"))
        }
    }
}

/// Report commands.
#[derive(Debug, Subcommand)]
pub enum ReportAction {
    /// Export a report as the dashboard shows it (every table, as XLSX by default), record it
    /// with its digest, and print where it went.
    Export {
        /// A region code (province, prefecture or county); the whole country when absent.
        #[arg(long)]
        region: Option<String>,
        /// One workshop (its worker rows), instead of a region.
        #[arg(long)]
        workshop: Option<i64>,
        /// `2026`, `2026-Q4` or `2026-11`.
        #[arg(long)]
        period: String,
        /// Only one heritage item.
        #[arg(long)]
        heritage: Option<i64>,
        /// `xlsx` or `csv`.
        #[arg(long, default_value = "xlsx")]
        format: String,
        /// For CSV, the table: summary, rows, months, risk or definitions.
        #[arg(long, default_value = "rows")]
        table: String,
        /// Where to write it (default: the file's own name, here).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Build the annual evaluation (年度评估) of a region or the whole country for a year, as
    /// a printable HTML page, an XLSX workbook and a PDF (printed by headless Chromium, see
    /// `GONGFANG_CHROMIUM`); record its digest for `audit verify`, and print where the files went.
    Annual(AnnualArgs),
}

/// Where the annual evaluation's files go.
#[derive(Debug, Clone, clap::Args)]
pub struct AnnualArgs {
    /// A region code (a province, a prefecture such as a key support area, or a county); the
    /// whole country when absent.
    #[arg(long)]
    pub region: Option<String>,
    /// The year evaluated, e.g. 2025 (compared with the year before).
    #[arg(long)]
    pub year: i32,
    /// The directory for the files (default: here).
    #[arg(long, default_value = ".")]
    pub out_dir: std::path::PathBuf,
    /// Write the HTML page and the XLSX only (on a machine without Chromium).
    #[arg(long)]
    pub no_pdf: bool,
}

/// Media commands.
#[derive(Debug, Subcommand)]
pub enum MediaAction {
    /// Decode, orient, strip and resize a photo as an upload would, into a temporary
    /// directory; prints the time of each run.
    Process {
        file: std::path::PathBuf,
        #[arg(long, default_value_t = 1)]
        repeat: u32,
    },
    /// Copy the local media directory and `{data_dir}/vouchers` into the store named by
    /// `GONGFANG_STORAGE_URL` (an S3-compatible bucket), keeping every path. Safe to run again.
    Import,
}

/// What to do with the search index.
#[derive(Debug, Subcommand)]
pub enum SearchAction {
    /// Apply the settings in search-config/ (idempotent; `serve` does this at start too).
    Setup,
    /// Build a fresh index from the catalogue and swap it in; searches keep answering.
    Reindex,
}

/// The language of the command line's messages: the first of `LC_ALL`, `LC_MESSAGES` and
/// `LANG` that names Chinese or English (`en_US.UTF-8`, `zh_CN.UTF-8`); Chinese otherwise, as
/// on the site.
pub fn terminal_lang() -> crate::i18n::Lang {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|var| std::env::var(var).ok())
        .find_map(|value| crate::i18n::Lang::parse(&value))
        .unwrap_or_default()
}

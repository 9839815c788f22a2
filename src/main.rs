//! The `gongfang` binary: configuration → logging → the chosen command.

use clap::Parser;
use gongfang::cli::{
    AdminAction, AuditAction, Cli, Command, MediaAction, PaymentsAction, PayoutAction, ReportAction, Scale,
    SearchAction,
};
use gongfang::clock::Clock;
use gongfang::config::{Config, LogFormat};
use gongfang::server::{self, PrepareOptions};
use std::io::IsTerminal;
use std::net::TcpListener;
use std::process::ExitCode;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::EnvFilter;

// mimalloc instead of glibc's malloc: a page draws many short-lived strings, and glibc's
// consolidation of freed chunks was about a quarter of a product page's CPU in the profile
// (bench/profile.sh, issue 18).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("gongfang: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(config.log_format);
    match run(cli, config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("gongfang: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// An application error as the operator should read it: its message (not its key), in the
/// terminal's language.
fn said(state: &gongfang::state::AppState, e: gongfang::error::AppError) -> anyhow::Error {
    anyhow::anyhow!(e.message(state.renderer.i18n(), gongfang::cli::terminal_lang()))
}

fn init_logging(format: LogFormat) {
    // meilisearch-sdk warns on every 404, including "index not found" answers this app expects.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,meilisearch_sdk=error"));
    // A line when each request's span closes: method, route, status, latency and request id.
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_span_events(FmtSpan::CLOSE).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}

fn run(cli: Cli, config: Config) -> anyhow::Result<()> {
    let progress = std::io::stderr().is_terminal();
    match cli.command.unwrap_or(Command::Serve { demo: false, workers: None }) {
        Command::Migrate => {
            config.ensure_dirs().map_err(|e| anyhow::anyhow!("GONGFANG_DATA_DIR: {e}"))?;
            let db = gongfang::db::Db::connect(&config.database, 1)?;
            let ran = db.migrate()?;
            println!("{ran} migration(s) applied to the {} database", db.backend());
            Ok(())
        }
        Command::Seed { demo, scale } => {
            let database = config.database.clone();
            let state = server::prepare(config, Clock::System, PrepareOptions { demo, history: demo, progress })?;
            drop(state);
            match scale {
                Some(Scale::Products(target)) => {
                    let db = gongfang::db::Db::connect(&database, 2)?;
                    let bar = progress.then(|| indicatif::ProgressBar::new(0));
                    let added = gongfang::seed::scale::seed_scale(&db, target, bar.as_ref())?;
                    if let Some(bar) = bar {
                        bar.finish_and_clear();
                    }
                    println!("added {added} generated products (catalogue of {target})");
                }
                Some(Scale::National) => {
                    let db = gongfang::db::Db::connect(&database, 2)?;
                    let started = std::time::Instant::now();
                    let bar = progress.then(|| bar("national dataset"));
                    let made = gongfang::seed::national::seed_national(&db, bar.as_ref())?;
                    if let Some(bar) = bar {
                        bar.finish_and_clear();
                    }
                    println!("{made} in {:.1} s", started.elapsed().as_secs_f64());
                }
                None => {}
            }
            println!("reference data present{}", if demo { "; demo catalogue present" } else { "" });
            Ok(())
        }
        Command::Search { action } => {
            let state =
                server::prepare(config, Clock::System, PrepareOptions { demo: false, history: false, progress })?;
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            rt.block_on(search_command(&state.search, action, progress))
        }
        Command::Serve { demo, workers } => {
            let bind = config.bind;
            let state = server::prepare(config, Clock::System, PrepareOptions { demo, history: demo, progress })?;
            let listener =
                TcpListener::bind(bind).map_err(|e| anyhow::anyhow!("GONGFANG_BIND: cannot listen on {bind}: {e}"))?;
            tracing::info!(url = %format!("http://{bind}"), "serving");
            eprintln!("Gongfang is serving at http://{bind}");
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let search = state.search.clone();
            let mailer = state.accounts.mailer().clone();
            let orders = state.orders.clone();
            let served =
                rt.block_on(async { server::start(state, listener, workers)?.await.map_err(anyhow::Error::from) });
            orders.shutdown();
            search.shutdown();
            mailer.shutdown();
            served
        }
        Command::Admin { action: AdminAction::CreateOperator { email, name } } => {
            let password = match std::env::var("GONGFANG_OPERATOR_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let state =
                server::prepare(config, Clock::System, PrepareOptions { demo: false, history: false, progress })?;
            let (id, email) = gongfang::accounts::admin::create_operator(state.portal.db(), &email, &name, &password)?;
            println!("operator {email} created (user {id})");
            Ok(())
        }
        Command::Payments { action: PaymentsAction::Reconcile { since } } => {
            let state =
                server::prepare(config, Clock::System, PrepareOptions { demo: false, history: false, progress })?;
            // China midnight of the first day, as stored (UTC).
            let from = since.and_time(chrono::NaiveTime::MIN) - chrono::TimeDelta::hours(8);
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let report = rt.block_on(state.orders.reconcile_payments(from)).map_err(|e| anyhow::anyhow!("{e}"))?;
            for line in &report.fixed {
                println!("FIXED: {line}");
            }
            for line in &report.reported {
                println!("DIFFERENCE: {line}");
            }
            println!(
                "{} Stripe payments since {since} compared: {} fixed, {} to look at, {} not reachable",
                report.checked,
                report.fixed.len(),
                report.reported.len(),
                report.unreachable
            );
            if !report.reported.is_empty() || report.unreachable > 0 {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Audit { action: AuditAction::Verify } => {
            config.ensure_dirs().map_err(|e| anyhow::anyhow!("GONGFANG_DATA_DIR: {e}"))?;
            let db = gongfang::db::Db::connect(&config.database, 1)?;
            db.migrate()?;
            let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
            let report = gongfang::db::audit::verify(&mut conn)?;
            let chain_ok = match report.first_broken {
                None => {
                    println!("audit log intact: {} entries verified", report.entries);
                    true
                }
                Some((seq, why)) => {
                    println!("audit log BROKEN at entry {seq}: {why} ({} entries before it verified)", report.entries);
                    false
                }
            };
            let seals = gongfang::payouts::seal::verify(&mut conn)?;
            let seals_ok = match &seals.first_broken {
                None => {
                    println!("journal sealed: {} entries verified", seals.entries);
                    true
                }
                Some(why) => {
                    println!("journal seal BROKEN: {why} ({} entries before it verified)", seals.entries);
                    false
                }
            };
            let bar = progress.then(|| bar("recomputing the journal"));
            let ledger = gongfang::payouts::verify::check(&mut conn, &config.reports, bar.as_ref())?;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            for problem in &ledger.problems {
                println!("LEDGER: {problem}");
            }
            if ledger.problems.is_empty() {
                println!(
                    "journal consistent: {} entries and {} postings recomputed; {} payouts and {} wage statement lines match",
                    ledger.entries, ledger.postings, ledger.payouts, ledger.statements
                );
            }
            let reports = gongfang::reports::verify::check(&mut conn)?;
            for problem in &reports.problems {
                println!("REPORTS: {problem}");
            }
            if reports.problems.is_empty() {
                println!(
                    "reports consistent: {} roll-up rows equal the journal; {} export digests recomputed; {} annual evaluation digests recomputed",
                    reports.rollup_rows, reports.exports, reports.annuals
                );
            }
            if !chain_ok || !seals_ok || !ledger.problems.is_empty() || !reports.problems.is_empty() {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Report { action: ReportAction::Export { region, workshop, period, heritage, format, table, out } } => {
            let format = gongfang::reports::export::Format::parse(&format)
                .ok_or_else(|| anyhow::anyhow!("--format: {format:?} is not csv or xlsx"))?;
            let table = gongfang::reports::export::Table::parse(&table).ok_or_else(|| {
                anyhow::anyhow!("--table: {table:?} is not summary, rows, months, risk or definitions")
            })?;
            let state =
                server::prepare(config, Clock::System, PrepareOptions { demo: false, history: false, progress })?;
            let bar = progress.then(|| {
                let b = bar("report");
                b.set_length(2);
                b.set_message("reading the figures");
                b
            });
            let request =
                gongfang::reports::Request { region, workshop, period: Some(period), heritage_item_id: heritage };
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let file = rt
                .block_on(state.reports.export(
                    gongfang::reports::Viewer::system(),
                    request,
                    format,
                    table,
                    gongfang::reports::export::Words::new(state.renderer.i18n(), gongfang::cli::terminal_lang()),
                ))
                .map_err(|e| said(&state, e))?;
            if let Some(b) = &bar {
                b.inc(1);
                b.set_message("writing the file");
            }
            let path = out.unwrap_or_else(|| std::path::PathBuf::from(&file.filename));
            std::fs::write(&path, &file.bytes)?;
            if let Some(b) = bar {
                b.inc(1);
                b.finish_and_clear();
            }
            println!("report export {} written to {} (SHA-256 {})", file.export_id, path.display(), file.digest);
            Ok(())
        }
        Command::Report { action: ReportAction::Annual(args) } => {
            let state =
                server::prepare(config, Clock::System, PrepareOptions { demo: false, history: false, progress })?;
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let lang = gongfang::cli::terminal_lang();
            let written = rt
                .block_on(gongfang::reports::annual_files::write_all(
                    &state.reports,
                    &state.renderer,
                    &state.config.chromium,
                    &args,
                    lang,
                ))
                .map_err(|e| said(&state, e))?;
            for path in &written.paths {
                println!("{}", path.display());
            }
            println!("annual evaluation {} recorded (SHA-256 {})", written.annual_id, written.digest);
            Ok(())
        }
        Command::Payouts { action } => {
            let state =
                server::prepare(config, Clock::System, PrepareOptions { demo: false, history: false, progress })?;
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let payouts = state.payouts.clone();
            match action {
                PayoutAction::Run { period } => {
                    let period = gongfang::domain::ledger::PayoutPeriod::parse(&period)
                        .ok_or_else(|| anyhow::anyhow!("--period: {period:?} is not a month like 2026-11"))?;
                    let bar = progress.then(|| bar("payouts"));
                    let report = payouts.run_blocking(period, None, bar.as_ref()).map_err(|e| said(&state, e))?;
                    if let Some(bar) = bar {
                        bar.finish_and_clear();
                    }
                    let (sent, failed) =
                        rt.block_on(payouts.send_transfers(Some(period))).map_err(|e| said(&state, e))?;
                    println!(
                        "period {}: {} lines settled; {} payouts created ({}), {} carried forward, {} already made; {sent} transfers sent, {failed} failed",
                        report.period,
                        report.settled_lines,
                        report.created,
                        gongfang::domain::Fen(report.paid_fen),
                        report.carried,
                        report.existing
                    );
                }
                PayoutAction::Send => {
                    let (sent, failed) = rt.block_on(payouts.send_transfers(None)).map_err(|e| said(&state, e))?;
                    println!("{sent} transfers sent, {failed} failed");
                }
            }
            Ok(())
        }
        Command::Media { action: MediaAction::Process { file, repeat } } => {
            let bytes = std::fs::read(&file)?;
            let limits = config.photos.clone();
            let dir = tempfile_dir()?;
            let storage = gongfang::storage::Storage::open(&gongfang::config::StorageConfig::Local, &dir, &dir)?;
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            for i in 0..repeat.max(1) {
                let started = std::time::Instant::now();
                let photo = gongfang::media::photos::process(&bytes, &limits)?;
                let processed = started.elapsed();
                let stored =
                    rt.block_on(gongfang::media::photos::store(&photo, &storage.photos, &format!("run-{i}")))?;
                let total = started.elapsed();
                println!(
                    "process_ms={:.3} store_ms={:.3} width={} height={} variants={:?}",
                    processed.as_secs_f64() * 1000.0,
                    (total - processed).as_secs_f64() * 1000.0,
                    stored.width,
                    stored.height,
                    stored.variant_widths
                );
            }
            let _ = std::fs::remove_dir_all(&dir);
            Ok(())
        }
        Command::Media { action: MediaAction::Import } => {
            if config.storage == gongfang::config::StorageConfig::Local {
                anyhow::bail!("GONGFANG_STORAGE_URL is not set: there is no object store to copy into");
            }
            let store = gongfang::storage::Storage::open(&config.storage, &config.media_dir, &config.data_dir)?;
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let photos = rt.block_on(gongfang::storage::import_dir(&config.media_dir, &store.photos))?;
            let vouchers =
                rt.block_on(gongfang::storage::import_dir(&config.data_dir.join("vouchers"), &store.vouchers))?;
            println!("copied {photos} photo files and {vouchers} voucher files into {}", store.describe());
            Ok(())
        }
    }
}

/// A progress bar with a label, position, length and time left.
fn bar(label: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(label);
    bar
}

/// A fresh directory under the system temp dir for `media process`.
fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("gongfang-media-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

async fn search_command(search: &gongfang::search::Search, action: SearchAction, progress: bool) -> anyhow::Result<()> {
    search.setup().await?;
    match action {
        SearchAction::Setup => {
            println!("search settings applied ({} engine)", search.engine_name());
        }
        SearchAction::Reindex => {
            let bar = progress.then(|| bar("indexing products"));
            let report = search.rebuild(bar.as_ref()).await?;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            println!(
                "reindexed {} products into a fresh {} index in {:.2} s (engine task time {:.2} s)",
                report.documents,
                search.engine_name(),
                report.elapsed.as_secs_f64(),
                report.engine_task_time.as_secs_f64()
            );
        }
    }
    Ok(())
}

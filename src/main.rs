//! The `gongfang` binary: configuration → logging → the chosen command.

use clap::Parser;
use gongfang::cli::{Cli, Command};
use gongfang::clock::Clock;
use gongfang::config::{Config, LogFormat};
use gongfang::server::{self, PrepareOptions};
use std::io::IsTerminal;
use std::net::TcpListener;
use std::process::ExitCode;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::EnvFilter;

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

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
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
        Command::Seed { demo } => {
            let state = server::prepare(config, Clock::System, PrepareOptions { demo, progress })?;
            let _ = state;
            println!("reference data present{}", if demo { "; demo catalogue present" } else { "" });
            Ok(())
        }
        Command::Serve { demo, workers } => {
            let bind = config.bind;
            let state = server::prepare(config, Clock::System, PrepareOptions { demo, progress })?;
            let listener =
                TcpListener::bind(bind).map_err(|e| anyhow::anyhow!("GONGFANG_BIND: cannot listen on {bind}: {e}"))?;
            tracing::info!(url = %format!("http://{bind}"), "serving");
            eprintln!("Gongfang is serving at http://{bind}");
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            rt.block_on(async { server::start(state, listener, workers)?.await.map_err(anyhow::Error::from) })
        }
    }
}

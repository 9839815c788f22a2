//! Building and starting the server: prepare the database (migrations, reference data,
//! optionally the demo), then serve the route table behind the shared middleware.

use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::render::Renderer;
use crate::search::Search;
use crate::state::AppState;
use crate::{routes, seed, web};
use actix_web::middleware::{from_fn, Compress, DefaultHeaders};
use actix_web::{web as aw, App, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use tracing_actix_web::TracingLogger;

/// Options for [`prepare`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PrepareOptions {
    /// Add the demo catalogue if it is missing.
    pub demo: bool,
    /// Show progress bars (on a terminal).
    pub progress: bool,
}

/// Connects, migrates, loads reference data (and the demo when asked) and builds the state.
/// Blocking: call it before the async server starts.
pub fn prepare(config: Config, clock: Clock, options: PrepareOptions) -> anyhow::Result<AppState> {
    config
        .ensure_dirs()
        .map_err(|e| anyhow::anyhow!("GONGFANG_DATA_DIR: cannot create {}: {e}", config.data_dir.display()))?;
    let db = Db::connect(&config.database, config.db_pool_size)?;
    let ran = db.migrate()?;
    if ran > 0 {
        tracing::info!(migrations = ran, backend = db.backend(), "database migrated");
    }
    if let Some(counts) = seed::ensure_reference(&db)? {
        tracing::info!(?counts, "reference data loaded");
    }
    let reference = {
        let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
        Arc::new(Catalog::load_reference(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))?)
    };
    if options.demo {
        let report = seed::seed_demo(&db, &reference, &config.media_dir, clock.today(), options.progress)?;
        if report.workshops > 0 {
            tracing::info!(?report, "demo catalogue added");
        }
    }
    let search = Search::open(config.search.clone(), db.clone(), reference.clone(), clock)?;
    Ok(AppState {
        search,
        catalog: Catalog::new(db, reference, clock),
        renderer: Arc::new(Renderer::load()?),
        config: Arc::new(config),
    })
}

/// Starts serving on `listener`, and the search worker beside it. The returned server stops
/// gracefully on SIGINT/SIGTERM, finishing requests in flight for up to 10 seconds; stop the
/// worker with [`Search::shutdown`] once it has.
pub fn start(state: AppState, listener: TcpListener, workers: Option<usize>) -> anyhow::Result<actix_web::dev::Server> {
    state.search.start_worker()?;
    let data = aw::Data::new(state);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(aw::PathConfig::default().error_handler(web::errors::bad_path))
            .configure(routes::configure)
            .default_service(aw::to(web::errors::not_found))
            .wrap(from_fn(web::errors::render_errors))
            .wrap(from_fn(web::lang::remember_choice))
            .wrap(Compress::default())
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "strict-origin-when-cross-origin"))
                    .add(("X-Frame-Options", "DENY"))
                    .add((
                        "Content-Security-Policy",
                        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
                    )),
            )
            .wrap(from_fn(web::ops::request_id_header))
            .wrap(TracingLogger::default())
    })
    .shutdown_timeout(10)
    .listen(listener)?;
    if let Some(n) = workers {
        server = server.workers(n);
    }
    Ok(server.run())
}

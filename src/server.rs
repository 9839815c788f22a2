//! Building and starting the server: prepare the database (migrations, reference data,
//! optionally the demo), then serve the route table behind the shared middleware.

use crate::accounts::secrets::SecretKey;
use crate::accounts::Accounts;
use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::mail::Mailer;
use crate::orders::Orders;
use crate::payments::Payments;
use crate::payouts::Payouts;
use crate::portal::Portal;
use crate::render::Renderer;
use crate::search::Search;
use crate::state::AppState;
use crate::{routes, seed, web};
use actix_web::middleware::{from_fn, Compress, DefaultHeaders};
use actix_web::{web as aw, App, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use tracing_actix_web::TracingLogger;

/// The largest form body accepted (the CSRF guard reads no further either).
pub const FORM_LIMIT: usize = 256 * 1024;

/// Options for [`prepare`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PrepareOptions {
    /// Add the demo catalogue if it is missing.
    pub demo: bool,
    /// With the demo, add its year of history (sales, refunds, payouts, disbursements and
    /// acknowledgements) if it is missing.
    pub history: bool,
    /// Show progress bars (on a terminal).
    pub progress: bool,
}

/// Connects, migrates, loads reference data (and the demo when asked) and builds the state.
/// Blocking: call it before the async server starts.
pub fn prepare(config: Config, clock: Clock, options: PrepareOptions) -> anyhow::Result<AppState> {
    config
        .ensure_dirs()
        .map_err(|e| anyhow::anyhow!("GONGFANG_DATA_DIR: cannot create {}: {e}", config.data_dir.display()))?;
    let db = Db::connect(&config.database, config.db_pool_size)?
        .with_outbox_lease(config.outbox_lease)
        .with_replica(config.replica.as_ref())?;
    let ran = db.migrate()?;
    if ran > 0 {
        tracing::info!(migrations = ran, backend = db.backend(), "database migrated");
    }
    // Journal entries written before the books were sealed (or by a bulk load) are sealed
    // now, in the order they were written.
    let sealed = db.write_blocking(crate::payouts::seal::seal_pending)?;
    if sealed > 0 {
        tracing::info!(entries = sealed, "journal entries sealed");
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
    let key = match &config.accounts.secret_key {
        Some(k) => k.clone(),
        None => load_or_create_key(&config.data_dir)?,
    };
    let renderer = Arc::new(Renderer::load()?);
    let mailer = Mailer::new(db.clone(), renderer.clone(), config.mail.clone());
    let accounts = Accounts::new(db.clone(), key.clone(), config.accounts.clone(), mailer, config.public_url.clone())?;
    if options.demo {
        let logins = seed::demo_logins(&db, clock)?;
        seed::print_demo_logins(&logins);
    }
    let storage = crate::storage::Storage::open(&config.storage, &config.media_dir, &config.data_dir)?;
    let portal = Portal::new(db.clone(), key.clone(), clock, storage.clone(), config.photos.clone());
    let payments = Payments::new(config.stripe.clone())?;
    let orders = Orders::new(
        db.clone(),
        clock,
        config.orders.clone(),
        accounts.mailer().clone(),
        payments.clone(),
        reference.clone(),
        config.public_url.clone(),
    );
    let payouts = Payouts::new(
        db.clone(),
        clock,
        config.payouts.clone(),
        config.orders.return_window_days,
        key,
        payments,
        config.public_url.clone(),
        reference.clone(),
        (storage.clone(), config.photos.clone()),
        config.reports.clone(),
    );
    if options.demo && options.history {
        let report = seed::history::seed_history(&db, &payouts, &reference, clock, options.progress)?;
        if report.orders > 0 {
            tracing::info!(?report, "demo history added");
        }
    }
    let reports = crate::reports::Reports::new(db.clone(), clock, config.reports.clone(), reference.clone());
    let catalog = Catalog::new(db.clone(), reference.clone(), clock);
    let reviews = crate::reviews::Reviews::new(db.clone(), clock, portal.clone(), reference.clone());
    let messages = crate::messages::Messages::new(
        db.clone(),
        clock,
        catalog.clone(),
        accounts.mailer().clone(),
        config.public_url.clone(),
    );
    let custom_orders = crate::custom_orders::CustomOrders::new(db.clone(), clock, orders.clone(), portal.clone());
    let organisations = crate::organisations::Organisations::new(
        db.clone(),
        clock,
        reference.clone(),
        config.reports.clone(),
        orders.clone(),
    );
    Ok(AppState {
        organisations,
        custom_orders,
        reviews,
        messages,
        search,
        accounts,
        portal,
        orders,
        payouts,
        reports,
        storage,
        metrics: Arc::new(web::metrics::Metrics::new(db.clone())),
        favourites: crate::favourites::Favourites::new(db.clone(), catalog.clone(), reference, clock),
        catalog,
        renderer,
        pages: Arc::new(web::page_cache::PageCache::new(&config.page_cache)),
        config: Arc::new(config),
    })
}

/// The secret key when `GONGFANG_SECRET_KEY` is not set: `{data_dir}/secret.key`, created
/// on first start (readable only by its owner). Fine for one machine; production sets the
/// variable from a secret store, so that a copy of the data dir does not carry its key.
fn load_or_create_key(data_dir: &std::path::Path) -> anyhow::Result<SecretKey> {
    let path = data_dir.join("secret.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => SecretKey::parse(&text).ok_or_else(|| anyhow::anyhow!("{} does not hold a key", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let hex = SecretKey::generate_hex();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            std::io::Write::write_all(&mut options.open(&path)?, hex.as_bytes())?;
            tracing::warn!(path = %path.display(), "GONGFANG_SECRET_KEY is not set: created a key file in the data dir");
            SecretKey::parse(&hex).ok_or_else(|| anyhow::anyhow!("generated key did not parse"))
        }
        Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
    }
}

/// Starts serving on `listener`, the background workers beside it and, with an object store,
/// the copy of the demo's pictures into it. The returned server stops gracefully on
/// SIGINT/SIGTERM, finishing requests in flight for up to 10 seconds; stop the worker with
/// [`Search::shutdown`] once it has.
pub fn start(state: AppState, listener: TcpListener, workers: Option<usize>) -> anyhow::Result<actix_web::dev::Server> {
    state.search.start_worker()?;
    state.accounts.mailer().start_worker()?;
    state.orders.start_worker()?;
    if matches!(state.config.storage, crate::config::StorageConfig::S3(_)) {
        // The demo's pictures are drawn into this machine's media dir: put the ones the
        // shared store lacks there, so that every node serves them.
        let (photos, media) = (state.storage.photos.clone(), state.config.media_dir.clone());
        tokio::spawn(async move {
            match crate::storage::copy_missing(&media, crate::seed::DEMO_PICTURES, &photos).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(files = n, "demo pictures copied to the object store"),
                Err(e) => tracing::warn!(error = %e, "demo pictures could not be copied to the object store"),
            }
        });
    }
    let data = aw::Data::new(state);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(aw::PathConfig::default().error_handler(web::errors::bad_path))
            // Product descriptions run to thousands of Chinese characters, three times as many
            // bytes once percent-encoded; actix's 16 KiB default for forms would refuse them.
            .app_data(aw::FormConfig::default().limit(FORM_LIMIT))
            .configure(routes::configure)
            .default_service(aw::to(web::errors::not_found))
            .wrap(from_fn(web::session::csrf_guard))
            .wrap(from_fn(web::input::refuse_nul))
            .wrap(from_fn(web::panics::catch_panics))
            .wrap(from_fn(web::errors::render_errors))
            .wrap(from_fn(web::lang::remember_choice))
            .wrap(Compress::default())
            // Pages and JSON carry personal and money data (orders, wages, reports, the
            // signed-in user): no shared or browser cache keeps them, unless a handler says
            // otherwise (static files, product photos and QR codes are public).
            .wrap(
                DefaultHeaders::new()
                    .add(("Cache-Control", "private, no-store"))
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "strict-origin-when-cross-origin"))
                    .add(("X-Frame-Options", "DENY"))
                    .add((
                        "Content-Security-Policy",
                        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
                    )),
            )
            .wrap(from_fn(web::ops::request_id_header))
            .wrap(from_fn(web::metrics::record))
            .wrap(TracingLogger::<web::ops::RedactedSpans>::new())
    })
    .shutdown_timeout(10)
    .listen(listener)?;
    if let Some(n) = workers {
        server = server.workers(n);
    }
    Ok(server.run())
}

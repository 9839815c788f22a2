//! The baseline of `bench/checkout.sh`: the bare conditional stock update that checkout makes,
//! in its own minimal transaction (write lock, `UPDATE … WHERE stock >= 1`, commit), looped by
//! `CONCURRENCY` threads on the same database for `RUN_SECS`. Prints updates per second.
//!
//!   DATABASE_URL=… PRODUCT=12 RUN_SECS=8 CONCURRENCY=32 cargo run --release --example stock_update_loop

use gongfang::config::DatabaseUrl;
use gongfang::db::{orders::take_stock, Db};
use gongfang::error::AppError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn var(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn main() -> anyhow::Result<()> {
    let url = DatabaseUrl::parse(&std::env::var("DATABASE_URL")?).map_err(anyhow::Error::msg)?;
    let product: i64 = var("PRODUCT", "1").parse()?;
    let seconds: u64 = var("RUN_SECS", "8").parse()?;
    let concurrency: u32 = var("CONCURRENCY", "32").parse()?;
    // As many connections as the server's pool (GONGFANG_DB_POOL_SIZE, 8 by default).
    let pool: u32 = var("POOL", "8").parse()?;
    let db = Db::connect(&url, pool)?;
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(seconds);
    let threads: Vec<_> = (0..concurrency)
        .map(|_| {
            let (db, done, failed) = (db.clone(), done.clone(), failed.clone());
            std::thread::spawn(move || {
                while Instant::now() < until {
                    // The app's one write path: its turn among writers, BEGIN IMMEDIATE, commit.
                    let took = db.write_blocking(|c| Ok::<_, AppError>(take_stock(c, product, 1)?));
                    match took {
                        Ok(true) => done.fetch_add(1, Ordering::Relaxed),
                        _ => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    let n = done.load(Ordering::Relaxed);
    println!(
        "{{\"updates\": {n}, \"failed\": {}, \"seconds\": {seconds}, \"updates_per_s\": {:.1}}}",
        failed.load(Ordering::Relaxed),
        n as f64 / seconds as f64
    );
    Ok(())
}

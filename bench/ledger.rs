//! The ledger benchmark (run by bench/ledger.sh): generates N paid order lines over the demo
//! catalogue, posts their captures through the application's posting path in batches of
//! 1,000 orders per transaction, delivers and settles them, and runs one payout month over
//! them. The baseline, in the same run and database: inserting the same number of rows as the
//! postings, shaped like them, into a bare table with no index, in the same batches.
//! Prints one `key=value` line per phase; `peak_rss_mib` is the process's high-water mark.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::TimeZone;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use gongfang::clock::Clock;
use gongfang::config::{Config, DatabaseUrl};
use gongfang::domain::ledger::PayoutPeriod;
use gongfang::payouts::generate::{self, Catalogue};
use gongfang::seed::generate::Dice;
use gongfang::server::{self, PrepareOptions};
use std::time::Instant;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

diesel::table! {
    bench_baseline (id) {
        id -> BigInt,
        entry_id -> BigInt,
        order_line_id -> BigInt,
        account -> Text,
        worker_id -> Nullable<BigInt>,
        household_status -> Nullable<Text>,
        amount_fen -> BigInt,
    }
}

fn main() {
    let lines_wanted: usize = std::env::var("LINES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let url = DatabaseUrl::parse(&std::env::var("DATABASE_URL").expect("DATABASE_URL")).expect("a database URL");
    let dir = std::env::var("GONGFANG_DATA_DIR").expect("GONGFANG_DATA_DIR");
    let mut config = Config::for_data_dir(std::path::Path::new(&dir), url.clone());
    config.media_dir = std::path::PathBuf::from(&dir).join("media");
    let sold_at = chrono::NaiveDate::from_ymd_opt(2027, 1, 3).unwrap().and_hms_opt(4, 0, 0).unwrap();
    let clock = Clock::Fixed(chrono::Utc.from_utc_datetime(&sold_at));
    let started = Instant::now();
    let state = server::prepare(config, clock, PrepareOptions { demo: true, history: false, progress: false })
        .expect("prepare");
    println!("phase=prepare seconds={:.1}", started.elapsed().as_secs_f64());
    let db = state.payouts.db().clone();
    let mut pooled = db.conn().unwrap();
    let conn: &mut gongfang::db::DbConn = &mut pooled;
    let cat = Catalogue::load(conn, sold_at).unwrap();
    let mut dice = Dice(20_261_129);

    // Orders, written in bulk (not the measured part).
    let t = Instant::now();
    let (mut orders, mut lines, mut shipments) = (Vec::new(), 0usize, Vec::new());
    let mut batch = 0;
    while lines < lines_wanted {
        let specs: Vec<_> = (0..2_000).map(|_| generate::random_order(&mut dice, &cat, 5, 4)).collect();
        let written = gongfang::db::tx::write(&mut *conn, |c| {
            generate::write_paid_orders(c, &cat, &specs, &format!("B{batch}"), sold_at)
        })
        .unwrap();
        batch += 1;
        for w in written {
            lines += w.lines.len();
            shipments.extend(w.shipments);
            orders.push(w.order);
        }
    }
    println!("phase=write_orders orders={} lines={lines} seconds={:.1}", orders.len(), t.elapsed().as_secs_f64());

    // Posting: the capture of every line, through the application's posting path.
    let t = Instant::now();
    let mut entries = 0;
    for chunk in orders.chunks(1_000) {
        entries += gongfang::db::tx::write(&mut *conn, |c| {
            gongfang::payouts::ledger::post_captures(c, chunk, sold_at, sold_at.date())
        })
        .unwrap();
    }
    let post_s = t.elapsed().as_secs_f64();
    let postings: i64 = gongfang::db::schema::journal_postings::table.count().get_result(conn).unwrap();
    println!(
        "phase=post lines={lines} entries={entries} postings={postings} seconds={post_s:.1} lines_per_s={:.0} postings_per_s={:.0} peak_rss_mib={:.0}",
        lines as f64 / post_s,
        postings as f64 / post_s,
        peak_rss_mib()
    );

    // Baseline: the same number of posting-shaped rows into a bare table, same batch sizes.
    conn.batch_execute(
        "CREATE TABLE bench_baseline (id BIGINT PRIMARY KEY, entry_id BIGINT NOT NULL, order_line_id BIGINT NOT NULL, \
         account TEXT NOT NULL, worker_id BIGINT, household_status TEXT, amount_fen BIGINT NOT NULL)",
    )
    .unwrap();
    let per_tx = (postings as usize * 1_000 / orders.len().max(1)).max(1);
    let t = Instant::now();
    let mut id = 0i64;
    while id < postings {
        let end = (id + per_tx as i64).min(postings);
        let rows: Vec<_> = (id..end)
            .map(|i| {
                (
                    bench_baseline::id.eq(i),
                    bench_baseline::entry_id.eq(i / 6),
                    bench_baseline::order_line_id.eq(i / 6),
                    bench_baseline::account.eq("wages_payable"),
                    bench_baseline::worker_id.eq(Some(i % 97)),
                    bench_baseline::household_status.eq(Some("not_poor")),
                    bench_baseline::amount_fen.eq(i),
                )
            })
            .collect();
        gongfang::db::tx::write(&mut *conn, |c| {
            for chunk in rows.chunks(2_000) {
                gongfang::insert_batch!(c, bench_baseline::table, chunk)?;
            }
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
        id = end;
    }
    let base_s = t.elapsed().as_secs_f64();
    println!(
        "phase=baseline rows={postings} seconds={base_s:.1} rows_per_s={:.0} post_over_baseline={:.2}",
        postings as f64 / base_s,
        post_s / base_s
    );

    // Delivery (bulk, not measured) and settlement.
    for chunk in shipments.chunks(20_000) {
        generate::deliver(conn, chunk, sold_at + chrono::TimeDelta::days(2)).unwrap();
    }
    let later = Clock::Fixed(chrono::Utc.with_ymd_and_hms(2027, 2, 2, 4, 0, 0).single().unwrap());
    let payouts = state.payouts.with_clock(later);
    let t = Instant::now();
    let settled = payouts.settle_due(conn).unwrap();
    let settle_s = t.elapsed().as_secs_f64();
    println!(
        "phase=settle lines={settled} seconds={settle_s:.1} lines_per_s={:.0} peak_rss_mib={:.0}",
        settled as f64 / settle_s,
        peak_rss_mib()
    );

    let t = Instant::now();
    let report = payouts.run_blocking(PayoutPeriod::parse("2027-01").unwrap(), None, None).unwrap();
    let run_s = t.elapsed().as_secs_f64();
    println!(
        "phase=payout_run payouts={} paid_fen={} entries={entries} seconds={run_s:.1} entries_per_s={:.0} peak_rss_mib={:.0}",
        report.created,
        report.paid_fen,
        entries as f64 / run_s,
        peak_rss_mib()
    );
    let t = Instant::now();
    let check = gongfang::payouts::verify::check(conn, &gongfang::domain::employment_rule::RuleConfig::default(), None)
        .unwrap();
    println!(
        "phase=audit_verify entries={} postings={} problems={} seconds={:.1} peak_rss_mib={:.0}",
        check.entries,
        check.postings,
        check.problems.len(),
        t.elapsed().as_secs_f64(),
        peak_rss_mib()
    );
}

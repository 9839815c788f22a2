//! The reports benchmark (run by bench/reports.sh, after `gongfang seed --scale national`):
//! for a sample of the provinces, prefectures and counties that have workshops, times the
//! officials' dashboard (`Reports::build`: the roll-up, headcounts, statements, rule and
//! certification figures) against the baseline, the same money figures computed by one raw
//! query over the journal (`db::reports::from_journal`), interleaved scope by scope and
//! alternating which goes first, so noise hits both alike. Checks that each sampled scope's
//! rolled-up money (sum of its rows) equals the journal's, and exits 1 if not.
//!
//! Environment: `DATABASE_URL`; `PERIOD` (default: last full year in China); `SAMPLES` scopes
//! per level (20); `RUNS` timed runs per view and level at least (50).
//! Prints `key=value` lines per level, then a summary table.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use gongfang::catalog::Catalog;
use gongfang::clock::Clock;
use gongfang::config::DatabaseUrl;
use gongfang::db::reports::{from_journal, MonthRow, Slice};
use gongfang::db::{Db, DbConn};
use gongfang::domain::employment_rule::RuleConfig;
use gongfang::domain::period::ReportPeriod;
use gongfang::reports::{Dashboard, Reports, Request};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Nearest-rank percentile of sorted durations, in milliseconds.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1].as_secs_f64() * 1000.0
}

/// `count` codes spread evenly over the sorted list.
fn spread(mut codes: Vec<String>, count: usize) -> Vec<String> {
    codes.sort();
    codes.dedup();
    if codes.len() <= count {
        return codes;
    }
    (0..count).map(|i| codes[i * codes.len() / count].clone()).collect()
}

/// The money of a scope: (gross, commission, wages, poor-household wages).
type Money = (i64, i64, i64, i64);

fn dashboard_money(d: &Dashboard) -> Money {
    d.rows.iter().fold((0, 0, 0, 0), |m, r| {
        let f = &r.figures;
        (m.0 + f.gross_fen, m.1 + f.commission_fen, m.2 + f.wages_fen, m.3 + f.poor_wages_fen)
    })
}

fn journal_money(rows: &[MonthRow]) -> Money {
    rows.iter().fold((0, 0, 0, 0), |m, r| {
        (
            m.0 + r.gross_fen,
            m.1 + r.commission_fen,
            m.2 + r.wages_fen,
            m.3 + r.registered_poor_fen + r.lifted_out_fen + r.monitored_fen,
        )
    })
}

struct Level {
    name: &'static str,
    scopes: usize,
    runs: usize,
    dashboard: Vec<Duration>,
    baseline: Vec<Duration>,
    mismatches: Vec<String>,
    gross_fen: i64,
}

fn count(conn: &mut DbConn, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql).get_result::<N>(conn).map(|r| r.n).unwrap_or(-1)
}

fn main() {
    let url = DatabaseUrl::parse(&std::env::var("DATABASE_URL").expect("DATABASE_URL")).expect("a database URL");
    let db = Db::connect(&url, 2).expect("connect");
    let mut pooled = db.conn().unwrap();
    let conn: &mut DbConn = &mut pooled;
    let reference = Arc::new(Catalog::load_reference(conn).unwrap());
    let reports = Reports::new(db.clone(), Clock::System, RuleConfig::default(), reference);
    use chrono::Datelike;
    let period_text = std::env::var("PERIOD").unwrap_or_else(|_| (Clock::System.today().year() - 1).to_string());
    let period = ReportPeriod::parse(&period_text).expect("PERIOD: 2025, 2025-Q4 or 2025-11");
    let samples: usize = env_or("SAMPLES", 20);
    let runs_wanted: usize = env_or("RUNS", 50);

    let workshops = count(conn, "SELECT COUNT(*) AS n FROM workshops");
    let lines = count(conn, "SELECT COUNT(*) AS n FROM order_lines");
    let postings = count(conn, "SELECT COUNT(*) AS n FROM journal_postings");
    let rollup = count(conn, "SELECT COUNT(*) AS n FROM report_months");
    println!(
        "backend={} period={} workshops={workshops} order_lines={lines} postings={postings} rollup_rows={rollup}",
        db.backend(),
        period.code()
    );

    let column = |conn: &mut DbConn, c: &str| -> Vec<String> {
        use gongfang::db::schema::workshops::dsl as w;
        match c {
            "province" => w::workshops.select(w::province_code).distinct().load(conn).unwrap(),
            "prefecture" => w::workshops
                .filter(w::prefecture_code.is_not_null())
                .select(w::prefecture_code.assume_not_null())
                .distinct()
                .load(conn)
                .unwrap(),
            _ => w::workshops.select(w::county_code).distinct().load(conn).unwrap(),
        }
    };
    let mut levels = Vec::new();
    for name in ["province", "prefecture", "county"] {
        let codes = spread(column(conn, name), samples);
        let rounds = runs_wanted.div_ceil(codes.len().max(1));
        let mut level = Level {
            name,
            scopes: codes.len(),
            runs: 0,
            dashboard: Vec::new(),
            baseline: Vec::new(),
            mismatches: Vec::new(),
            gross_fen: 0,
        };
        let resolved: Vec<_> = codes
            .iter()
            .map(|code| {
                let req = Request { region: Some(code.clone()), ..Request::default() };
                reports.resolve(conn, None, &req).unwrap_or_else(|e| panic!("resolve {code}: {e}"))
            })
            .collect();
        // Warm-up (untimed), and the check that the roll-up's money is the journal's.
        for (code, r) in codes.iter().zip(&resolved) {
            let d = reports.build(conn, r, period, None).unwrap();
            let slice = Slice { workshops: r.filter.clone(), period, heritage_item_id: None };
            let j = from_journal(conn, &slice, None).unwrap();
            let (dm, jm) = (dashboard_money(&d), journal_money(&j));
            let totals = (d.totals.gross_fen, d.totals.commission_fen, d.totals.wages_fen, d.totals.poor_wages_fen);
            if dm != jm || totals != jm {
                level.mismatches.push(format!("{code}: rows {dm:?} totals {totals:?} journal {jm:?}"));
            }
            level.gross_fen += jm.0;
        }
        for round in 0..rounds {
            for (i, r) in resolved.iter().enumerate() {
                let slice = Slice { workshops: r.filter.clone(), period, heritage_item_id: None };
                let dashboard_first = (round + i) % 2 == 0;
                let (mut d, mut b) = (Duration::ZERO, Duration::ZERO);
                for step in 0..2 {
                    let t = Instant::now();
                    if (step == 0) == dashboard_first {
                        std::hint::black_box(reports.build(conn, r, period, None).unwrap());
                        d = t.elapsed();
                    } else {
                        std::hint::black_box(from_journal(conn, &slice, None).unwrap());
                        b = t.elapsed();
                    }
                }
                level.dashboard.push(d);
                level.baseline.push(b);
                level.runs += 1;
            }
        }
        level.dashboard.sort();
        level.baseline.sort();
        let (d50, d99) = (percentile(&level.dashboard, 50.0), percentile(&level.dashboard, 99.0));
        let (b50, b99) = (percentile(&level.baseline, 50.0), percentile(&level.baseline, 99.0));
        println!(
            "level={} scopes={} runs={} dashboard_p50_ms={d50:.2} dashboard_p99_ms={d99:.2} baseline_p50_ms={b50:.2} \
             baseline_p99_ms={b99:.2} p50_ratio={:.3} p99_ratio={:.3} gross_yuan_sampled={} money_check={}",
            level.name,
            level.scopes,
            level.runs,
            d50 / b50.max(1e-9),
            d99 / b99.max(1e-9),
            level.gross_fen / 100,
            if level.mismatches.is_empty() { "ok" } else { "MISMATCH" }
        );
        for m in &level.mismatches {
            println!("MISMATCH level={} {m}", level.name);
        }
        levels.push(level);
    }
    println!("peak_rss_mib={:.0}", peak_rss_mib());

    println!();
    println!(
        "Reports benchmark ({}, period {}, {lines} order lines, {postings} postings)",
        db.backend(),
        period.code()
    );
    println!("| level | scopes × rounds | dashboard p50 / p99 ms | journal query p50 / p99 ms | dashboard ÷ journal p50 / p99 | money = journal |");
    println!("|---|---|---|---|---|---|");
    for l in &levels {
        let (d50, d99) = (percentile(&l.dashboard, 50.0), percentile(&l.dashboard, 99.0));
        let (b50, b99) = (percentile(&l.baseline, 50.0), percentile(&l.baseline, 99.0));
        println!(
            "| {} | {} × {} | {d50:.1} / {d99:.1} | {b50:.1} / {b99:.1} | {:.2} / {:.2} | {} |",
            l.name,
            l.scopes,
            l.runs / l.scopes.max(1),
            d50 / b50.max(1e-9),
            d99 / b99.max(1e-9),
            if l.mismatches.is_empty() {
                format!("yes ({} scopes)", l.scopes)
            } else {
                format!("NO ({})", l.mismatches.len())
            }
        );
    }
    if levels.iter().any(|l| !l.mismatches.is_empty()) {
        eprintln!("reports benchmark: the roll-up's money differs from the journal's");
        std::process::exit(1);
    }
}

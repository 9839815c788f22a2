//! `gongfang seed --scale national`: a national-scale dataset for the reports' benchmark —
//! about 9,000 workshops in the real key-area counties (poverty counties, 三区三州, key support
//! areas; weighted towards the last two), 270,000 workers with household-status histories,
//! products with makers and wage rules, and 5,000,000 paid order lines over the three years
//! ending today (China time), with their parcels, refunds and journal entries.
//!
//! The journal is what the app's rules give: every entry is computed by
//! [`crate::payouts::ledger::line_terms`] and the rules of [`crate::domain::ledger`]
//! (`attribution_postings`, `shipping_postings`, `refund_postings`), in the order
//! `post_captures` and `post_refund` would have posted them, each dated at its sale or refund
//! and labelled with each maker's household status on the sale date; only the writing is in
//! bulk, with ids assigned here: multi-row inserts on SQLite, binary `COPY` on PostgreSQL,
//! 2,000 orders per transaction, written by a second thread while the next batch is made.
//! The roll-up is then rebuilt from the journal once ([`crate::db::reports::rebuild`]),
//! statistics refreshed (`ANALYZE`), and the load recorded in the audit log; `gongfang audit
//! verify` recomputes every entry and the roll-up. No payouts or wage statements are made.
//!
//! `GONGFANG_NATIONAL_FRACTION` (default 1; e.g. 0.01) scales workshops, workers, buyers and
//! lines. The data is the same for the same fraction and moment (a fixed seed; the day's
//! last sales and refunds stop at the current time).
//!
//! **Idempotent**: a database that already holds a finished national dataset (its audit
//! record) gets nothing more, and the summary says so. One with national workshops but no
//! record (an earlier run that did not finish) is refused: seed a fresh database. Run it
//! alone: it assigns ids itself, so nothing else may write meanwhile.

mod ledger;
mod model;
mod places;
mod rows;
mod sales;

use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::db::audit::{self, AuditEvent};
use crate::db::schema::{audit_log, workshops};
use crate::db::{Db, DbConn};
use crate::seed::generate::Dice;
use crate::seed::spec::DemoCatalog;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use model::Plan;

/// The full scale.
const WORKSHOPS: f64 = 9_000.0;
const LINES: f64 = 5_000_000.0;
const BUYERS: f64 = 50_000.0;
/// The audit action that records a finished load.
const AUDIT_ACTION: &str = "seed.national";

/// `GONGFANG_NATIONAL_FRACTION`: a number in (0, 10], 1 when unset.
fn fraction() -> anyhow::Result<f64> {
    match std::env::var("GONGFANG_NATIONAL_FRACTION") {
        Err(_) => Ok(1.0),
        Ok(text) => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| *f > 0.0 && *f <= 10.0)
            .ok_or_else(|| anyhow::anyhow!("GONGFANG_NATIONAL_FRACTION: {text:?} is not a number in (0, 10]")),
    }
}

fn plan(fraction: f64, clock: Clock) -> anyhow::Result<Plan> {
    let today = clock.today();
    let start = today
        .checked_sub_months(chrono::Months::new(36))
        .and_then(|d| d.succ_opt())
        .ok_or_else(|| anyhow::anyhow!("no date three years before {today}"))?;
    let now = clock.now().naive_utc();
    let now = now - chrono::TimeDelta::nanoseconds(i64::from(chrono::Timelike::nanosecond(&now)));
    let scaled = |n: f64, least: usize| ((n * fraction).round() as usize).max(least);
    Ok(Plan {
        workshops: scaled(WORKSHOPS, 1),
        lines: scaled(LINES, 1),
        buyers: scaled(BUYERS, 20),
        today,
        start,
        now,
        fraction,
    })
}

/// The summary of a finished load, if there is one; an error for an unfinished one.
fn already_there(conn: &mut DbConn) -> anyhow::Result<Option<String>> {
    let done: Option<String> =
        audit_log::table.filter(audit_log::action.eq(AUDIT_ACTION)).select(audit_log::detail).first(conn).optional()?;
    if let Some(detail) = done {
        let summary = serde_json::from_str::<serde_json::Value>(&detail)
            .ok()
            .and_then(|v| v.get("summary").and_then(|s| s.as_str()).map(str::to_owned))
            .unwrap_or(detail);
        return Ok(Some(format!("national dataset already present, nothing added ({summary})")));
    }
    let started: i64 = workshops::table.filter(workshops::slug.like("nat-%")).count().get_result(conn)?;
    anyhow::ensure!(
        started == 0,
        "the database holds {started} national workshops from a load that did not finish: seed a fresh database"
    );
    Ok(None)
}

/// Generates the national dataset; returns a one-line summary of what it made.
pub fn seed_national(db: &Db, progress: Option<&indicatif::ProgressBar>) -> anyhow::Result<String> {
    seed_with(db, plan(fraction()?, Clock::System)?, progress)
}

fn seed_with(db: &Db, plan: Plan, progress: Option<&indicatif::ProgressBar>) -> anyhow::Result<String> {
    let mut pooled = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let conn: &mut DbConn = &mut pooled;
    if let Some(summary) = already_there(conn)? {
        return Ok(summary);
    }
    let reference = Catalog::load_reference(conn).map_err(|e| anyhow::anyhow!("{e}"))?;
    let demo = DemoCatalog::load()?;
    let next = |conn: &mut DbConn, table: &str| rows::next_id(conn, table);
    let first = places::FirstIds {
        workshop: next(conn, "workshops")?,
        worker: next(conn, "workers")?,
        status: next(conn, "worker_household_statuses")?,
        product: next(conn, "products")?,
        user: next(conn, "users")?,
    };
    let ids = sales::NextIds {
        order: next(conn, "orders")?,
        shipment: next(conn, "shipments")?,
        line: next(conn, "order_lines")?,
        payment: next(conn, "payments")?,
        refund: next(conn, "refunds")?,
        entry: next(conn, "journal_entries")?,
    };

    let phase = |message: &'static str, length: usize| {
        if let Some(bar) = progress {
            bar.set_message(message);
            bar.set_length(length as u64);
            bar.set_position(0);
        }
    };
    phase("national: workshops, workers, products", plan.workshops);
    let clock = std::time::Instant::now();
    let (mut laps, mut last) = (Vec::new(), 0.0);
    let mut lap = |what: &str| {
        let now = clock.elapsed().as_secs_f64();
        tracing::info!(seconds = now - last, "national seed: {what} done");
        laps.push(format!("{what} {:.1} s", now - last));
        last = now;
    };
    let mut dice = Dice(0x6e61_7469_6f6e ^ plan.workshops as u64);
    let (world, catalogue, buyers) = places::build(&reference, &demo, &plan, first, &mut dice)?;
    crate::db::tx::write(&mut *conn, |c| {
        catalogue.insert(c)?;
        rows::insert_buyers(c, &buyers)
    })?;
    if let Some(bar) = progress {
        bar.set_position(plan.workshops as u64);
    }
    lap("catalogue");

    phase("national: orders and journal", plan.lines);
    let totals = sales::write(conn, &world, &plan, ids, progress)?;
    lap("sales");
    // The bulk load writes the journal directly; its entries are sealed here, a chunk a
    // transaction, in the order they were written.
    while crate::db::tx::write(&mut *conn, |c| crate::payouts::seal::seal_up_to(c, 20_000))? > 0 {}
    lap("seal");

    phase("national: report roll-up and statistics", 1);
    rows::finish_sequences(conn)?;
    let rollup = crate::db::reports::rebuild(conn)?;
    lap("roll-up");
    conn.batch_execute("ANALYZE")?;
    lap("analyze");

    let poor = world
        .people
        .iter()
        .filter(|p| matches!(p.status_on(plan.today), Some("registered_poor" | "lifted_out" | "monitored")))
        .count();
    let mut counties: Vec<&str> = world.shops.iter().map(|s| s.county_code.as_str()).collect();
    counties.sort_unstable();
    counties.dedup();
    let summary = format!(
        "national dataset: {} workshops in {} counties, {} workers ({:.1}% of poor households), {} products, \
         {} buyers, {} orders with {} lines and {} refunds, {} journal entries with {} postings, {rollup} roll-up rows \
         ({} to {}, fraction {}; {})",
        world.shops.len(),
        counties.len(),
        world.people.len(),
        100.0 * poor as f64 / world.people.len().max(1) as f64,
        world.items.len(),
        world.buyers.len(),
        totals.orders,
        totals.lines,
        totals.refunds,
        totals.entries,
        totals.postings,
        plan.start,
        plan.today,
        plan.fraction,
        laps.join(", ")
    );
    let detail = serde_json::json!({ "summary": summary, "fraction": plan.fraction, "lines": totals.lines });
    crate::db::tx::write(&mut *conn, |c| {
        audit::append(c, AuditEvent::new(None, AUDIT_ACTION, "database".into(), detail.clone()), plan.now)
    })?;
    if let Some(bar) = progress {
        bar.set_position(1);
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// A small national dataset passes `audit verify`'s recomputation of every entry and of the
    /// roll-up, labels every wage with the status `statuses_on` gives for the sale day, and a
    /// second run adds nothing.
    #[test]
    fn a_small_national_dataset_is_what_the_rules_give() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::config::DatabaseUrl::parse(&dir.path().join("n.sqlite3").to_string_lossy()).unwrap();
        let db = Db::connect(&url, 2).unwrap();
        db.migrate().unwrap();
        crate::seed::ensure_reference(&db).unwrap();
        let clock = Clock::Fixed(chrono::Utc.with_ymd_and_hms(2026, 11, 29, 3, 0, 0).unwrap());
        let plan = plan(0.002, clock).unwrap();
        let summary = seed_with(&db, plan.clone(), None).unwrap();
        assert!(summary.contains("with 10000 lines"), "{summary}");

        let mut conn = db.conn().unwrap();
        let ledger =
            crate::payouts::verify::check(&mut conn, &crate::domain::employment_rule::RuleConfig::default(), None)
                .unwrap();
        assert!(ledger.problems.is_empty(), "{:?}", ledger.problems);
        assert!(ledger.entries > 10_000 && ledger.postings > 40_000, "{ledger:?}");
        let reports = crate::reports::verify::check(&mut conn).unwrap();
        assert!(reports.problems.is_empty() && reports.rollup_rows > 0, "{:?}", reports.problems);

        // Every capture's wage postings carry the status valid on the sale day (China time).
        let entries: Vec<(i64, chrono::NaiveDateTime)> = crate::db::schema::journal_entries::table
            .filter(crate::db::schema::journal_entries::kind.eq("capture"))
            .select((crate::db::schema::journal_entries::id, crate::db::schema::journal_entries::posted_at))
            .load(&mut *conn)
            .unwrap();
        let postings =
            crate::db::ledger::postings_of_entries(&mut conn, &entries.iter().map(|e| e.0).collect::<Vec<_>>())
                .unwrap();
        let day_of: std::collections::HashMap<i64, chrono::NaiveDate> =
            entries.iter().map(|(id, at)| (*id, (*at + chrono::TimeDelta::hours(8)).date())).collect();
        let mut checked = 0;
        for p in postings.iter().filter(|p| p.worker_id.is_some()) {
            let (worker, day) = (p.worker_id.unwrap(), day_of[&p.entry_id]);
            let want = crate::db::ledger::statuses_on(&mut conn, &[worker], day).unwrap().pop().map(|(_, s)| s);
            assert_eq!(p.household_status, want, "posting {} of worker {worker} on {day}", p.id);
            checked += 1;
            if checked > 2_000 {
                break;
            }
        }
        assert!(checked > 1_000);
        assert!(entries.iter().all(|(_, at)| *at <= plan.now && at.date() >= plan.start - chrono::TimeDelta::days(1)));

        let again = seed_with(&db, plan, None).unwrap();
        assert!(again.starts_with("national dataset already present"), "{again}");
    }
}

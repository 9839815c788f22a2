//! Issue 15, sealed books: the journal is hash-chained, so a rewrite of a line's frozen terms,
//! its postings and the roll-up that is consistent enough to pass the recomputation is still
//! caught by `gongfang audit verify`, which names the entry.

use crate::support::TestApp;
use diesel::prelude::*;
use gongfang::db::schema::{journal_entries, journal_postings, order_line_makers, order_lines};
use gongfang::domain::ledger::attribution_postings;
use gongfang::payouts::generate::{self, Catalogue};
use gongfang::payouts::ledger::{line_terms, makers_by_line};
use gongfang::seed::generate::Dice;
use std::collections::HashMap;

/// Paid sales of random demo products, captured in the journal (and so sealed).
fn paid_sales(app: &TestApp) {
    let mut conn = app.db.conn().unwrap();
    let sold_at = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap().and_hms_opt(4, 0, 0).unwrap();
    let cat = Catalogue::load(&mut conn, sold_at).unwrap();
    let mut dice = Dice(15);
    let specs: Vec<_> = (0..30).map(|_| generate::random_order(&mut dice, &cat, 3, 4)).collect();
    gongfang::db::tx::write(&mut conn, |c| {
        let w = generate::write_paid_orders(c, &cat, &specs, "SEAL", sold_at)?;
        let ids: Vec<i64> = w.iter().map(|o| o.order).collect();
        gongfang::payouts::ledger::post_captures(c, &ids, sold_at, sold_at.date())?;
        Ok::<_, gongfang::error::AppError>(())
    })
    .unwrap();
}

/// A captured line with at least two makers of different shares and a share-of-net rule:
/// `(entry, line)`.
fn capture_with_two_makers(app: &TestApp) -> (i64, i64) {
    let mut conn = app.db.conn().unwrap();
    let captures: Vec<(i64, i64)> = journal_entries::table
        .filter(journal_entries::kind.eq("capture"))
        .order(journal_entries::id)
        .select((journal_entries::id, journal_entries::order_line_id))
        .load(&mut conn)
        .unwrap();
    for (entry, line) in captures {
        let shares: Vec<i32> = order_line_makers::table
            .filter(order_line_makers::order_line_id.eq(line))
            .select(order_line_makers::share_bp)
            .load(&mut conn)
            .unwrap();
        let rule: String = order_lines::table.find(line).select(order_lines::wage_rule).first(&mut conn).unwrap();
        if shares.len() >= 2 && shares[0] != shares[1] && rule == "share_of_net" {
            return (entry, line);
        }
    }
    panic!("no captured line with two makers of different shares");
}

/// What an insider with the database owner's rights does first: drop the triggers that keep
/// the journal append-only.
fn drop_append_only_triggers(app: &TestApp) {
    if app.db.backend() == "postgres" {
        app.execute(
            "DROP TRIGGER journal_entries_no_change ON journal_entries; \
             DROP TRIGGER journal_postings_no_change ON journal_postings;",
        );
    } else {
        app.execute(
            "DROP TRIGGER journal_entries_no_update; DROP TRIGGER journal_entries_no_delete; \
             DROP TRIGGER journal_postings_no_update; DROP TRIGGER journal_postings_no_delete;",
        );
    }
}

/// Replaces an entry's postings with what the money rules give for its line's (rewritten)
/// terms, keeping each maker's household status: the rewrite an insider would make so that
/// the recomputation in `audit verify` still agrees.
fn rewrite_postings_from_terms(app: &TestApp, entry: i64, line: i64) {
    let mut conn = app.db.conn().unwrap();
    let statuses: HashMap<i64, &'static str> = journal_postings::table
        .filter(journal_postings::entry_id.eq(entry))
        .select((journal_postings::worker_id, journal_postings::household_status))
        .load::<(Option<i64>, Option<String>)>(&mut conn)
        .unwrap()
        .into_iter()
        .filter_map(|(w, s)| {
            let s = gongfang::domain::household::HouseholdStatus::parse(s.as_deref()?)?.as_str();
            Some((w?, s))
        })
        .collect();
    let row = gongfang::db::ledger::terms_of_line(&mut conn, line).unwrap();
    let makers = makers_by_line(&mut conn, &[line]).unwrap();
    let terms = line_terms(&row, makers.get(&line).map(Vec::as_slice).unwrap_or_default()).unwrap();
    let postings = attribution_postings(&terms.attribute(terms.gross()), &|w| statuses.get(&w).copied());
    diesel::delete(journal_postings::table.filter(journal_postings::entry_id.eq(entry))).execute(&mut conn).unwrap();
    for p in postings {
        diesel::insert_into(journal_postings::table)
            .values((
                journal_postings::entry_id.eq(entry),
                journal_postings::order_line_id.eq(line),
                journal_postings::account.eq(p.posting.account.as_str()),
                journal_postings::worker_id.eq(p.posting.worker_id),
                journal_postings::household_status.eq(p.household_status),
                journal_postings::amount_fen.eq(p.posting.amount.get()),
            ))
            .execute(&mut conn)
            .unwrap();
    }
}

/// Rebuilds the reports' roll-up from the (rewritten) journal, as an insider would.
fn rebuild_roll_up(app: &TestApp) {
    let mut conn = app.db.conn().unwrap();
    gongfang::db::tx::write(&mut conn, gongfang::db::reports::rebuild).unwrap();
}

/// `audit verify` fails, naming the entry and its seal, and nothing else: the rewrite was
/// consistent enough that only the seal catches it.
fn assert_caught_by_the_seal(app: &TestApp, entry: i64) {
    let (code, out) = app.audit_verify();
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(&format!("journal seal BROKEN: journal entry {entry} ")), "the entry is named: {out}");
    assert!(!out.contains("LEDGER:") && !out.contains("REPORTS:"), "only the seal catches it: {out}");
}

async fn sealed_app() -> TestApp {
    let app = TestApp::spawn().await;
    paid_sales(&app);
    let (code, out) = app.audit_verify();
    assert_eq!(code, Some(0), "the books verify before any rewrite: {out}");
    assert!(out.contains("journal sealed: "), "{out}");
    drop_append_only_triggers(&app);
    app
}

#[tokio::test]
async fn a_rewrite_of_maker_shares_postings_and_roll_up_is_caught_and_named() {
    let app = sealed_app().await;
    let (entry, line) = capture_with_two_makers(&app);
    // Swap the first two makers' shares, then make the postings and roll-up agree.
    let mut conn = app.db.conn().unwrap();
    let makers: Vec<(i64, i32)> = order_line_makers::table
        .filter(order_line_makers::order_line_id.eq(line))
        .order(order_line_makers::worker_id)
        .select((order_line_makers::worker_id, order_line_makers::share_bp))
        .load(&mut conn)
        .unwrap();
    for (worker, bp) in [(makers[0].0, makers[1].1), (makers[1].0, makers[0].1)] {
        diesel::update(
            order_line_makers::table
                .filter(order_line_makers::order_line_id.eq(line))
                .filter(order_line_makers::worker_id.eq(worker)),
        )
        .set(order_line_makers::share_bp.eq(bp))
        .execute(&mut conn)
        .unwrap();
    }
    rewrite_postings_from_terms(&app, entry, line);
    rebuild_roll_up(&app);
    assert_caught_by_the_seal(&app, entry);
}

#[tokio::test]
async fn moving_a_postings_household_status_with_the_roll_up_is_caught_and_named() {
    let app = sealed_app().await;
    let mut conn = app.db.conn().unwrap();
    let (posting, entry, status): (i64, i64, String) = journal_postings::table
        .filter(journal_postings::account.eq("wages_payable"))
        .filter(journal_postings::household_status.is_not_null())
        .filter(journal_postings::amount_fen.gt(0))
        .order(journal_postings::id)
        .select((
            journal_postings::id,
            journal_postings::entry_id,
            journal_postings::household_status.assume_not_null(),
        ))
        .first(&mut conn)
        .unwrap();
    let moved = if status == "not_poor" { "registered_poor" } else { "not_poor" };
    diesel::update(journal_postings::table.find(posting))
        .set(journal_postings::household_status.eq(moved))
        .execute(&mut conn)
        .unwrap();
    rebuild_roll_up(&app);
    assert_caught_by_the_seal(&app, entry);
}

#[tokio::test]
async fn a_rewrite_of_a_lines_wage_rule_with_its_postings_is_caught_and_named() {
    let app = sealed_app().await;
    let (entry, line) = capture_with_two_makers(&app);
    let mut conn = app.db.conn().unwrap();
    let bp: Option<i32> = order_lines::table.find(line).select(order_lines::wage_bp).first(&mut conn).unwrap();
    let lowered = (bp.unwrap() / 2).max(1);
    diesel::update(order_lines::table.find(line)).set(order_lines::wage_bp.eq(lowered)).execute(&mut conn).unwrap();
    rewrite_postings_from_terms(&app, entry, line);
    rebuild_roll_up(&app);
    assert_caught_by_the_seal(&app, entry);
}

#[tokio::test]
async fn a_deleted_or_reordered_entry_breaks_the_chain() {
    let app = sealed_app().await;
    let mut conn = app.db.conn().unwrap();
    let last: i64 = journal_entries::table
        .select(diesel::dsl::max(journal_entries::chain_seq).assume_not_null())
        .first(&mut conn)
        .unwrap();
    // Unsealing an entry (to reseal it after a rewrite) is seen too.
    diesel::update(journal_entries::table.filter(journal_entries::chain_seq.eq(last)))
        .set(journal_entries::chain_seq.eq(None::<i64>))
        .execute(&mut conn)
        .unwrap();
    let (code, out) = app.audit_verify();
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("journal seal BROKEN"), "{out}");
}

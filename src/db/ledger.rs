//! The journal's tables: entries and their postings (append-only: a trigger refuses changes),
//! the frozen terms the postings are computed from, and settlement.

use super::schema::{
    journal_entries, journal_postings, order_line_makers, order_lines, refunds, shipments, worker_household_statuses,
};
use super::DbConn;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// A new journal entry.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = journal_entries)]
// `None` is NULL, not DEFAULT: SQLite has no DEFAULT in a VALUES list, so with the default
// setting diesel inserts such rows one statement at a time; this way a batch is one statement.
#[diesel(treat_none_as_default_value = false)]
pub struct NewEntry {
    pub kind: &'static str,
    pub order_line_id: i64,
    pub workshop_id: i64,
    pub refund_id: Option<i64>,
    pub posted_at: NaiveDateTime,
}

/// A new posting of an entry.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = journal_postings)]
// As for entries: a batch of postings is one statement.
#[diesel(treat_none_as_default_value = false)]
pub struct NewPosting {
    pub entry_id: i64,
    pub order_line_id: i64,
    pub account: &'static str,
    pub worker_id: Option<i64>,
    pub household_status: Option<&'static str>,
    pub amount_fen: i64,
    pub designer_id: Option<i64>,
}

/// A stored posting.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = journal_postings)]
pub struct PostingRow {
    pub id: i64,
    pub entry_id: i64,
    pub order_line_id: i64,
    pub account: String,
    pub worker_id: Option<i64>,
    pub household_status: Option<String>,
    pub amount_fen: i64,
    pub designer_id: Option<i64>,
}

/// A stored entry.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = journal_entries)]
pub struct EntryRow {
    pub id: i64,
    pub kind: String,
    pub order_line_id: i64,
    pub workshop_id: i64,
    pub refund_id: Option<i64>,
    pub posted_at: NaiveDateTime,
}

/// What the postings of a line are computed from: the terms frozen on it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = order_lines)]
pub struct LineTermsRow {
    pub id: i64,
    pub order_id: i64,
    pub shipment_id: i64,
    pub workshop_id: i64,
    pub unit_price_fen: i64,
    pub quantity: i32,
    pub commission_bp: i32,
    pub wage_rule: String,
    pub wage_bp: Option<i32>,
    pub piece_rate_fen: Option<i64>,
    pub refunded_fen: i64,
    pub designer_id: Option<i64>,
    pub designer_bp: i32,
}

/// A written entry: `(id, order line, kind, refund)`.
pub type WrittenEntry = (i64, i64, String, Option<i64>);
/// A wage posting: `(worker, household status, amount)`.
pub type WagePosting = (i64, Option<String>, i64);

/// Rows per insert statement: well under SQLite's 32,766 bound parameters.
const CHUNK: usize = 2_000;

/// Inserts entries; returns `(id, order_line_id, kind, refund_id)` of each, in no set order.
pub fn insert_entries(conn: &mut DbConn, rows: &[NewEntry]) -> QueryResult<Vec<WrittenEntry>> {
    let mut out = Vec::with_capacity(rows.len());
    let cols = (journal_entries::id, journal_entries::order_line_id, journal_entries::kind, journal_entries::refund_id);
    for chunk in rows.chunks(CHUNK) {
        let got: Vec<WrittenEntry> = match conn {
            DbConn::Sqlite(c) => {
                diesel::insert_into(journal_entries::table).values(chunk).returning(cols).get_results(c)?
            }
            DbConn::Postgresql(c) => {
                diesel::insert_into(journal_entries::table).values(chunk).returning(cols).get_results(c)?
            }
        };
        out.extend(got);
    }
    Ok(out)
}

/// Inserts postings in batches.
pub fn insert_postings(conn: &mut DbConn, rows: &[NewPosting]) -> QueryResult<()> {
    for chunk in rows.chunks(CHUNK) {
        crate::insert_batch!(conn, journal_postings::table, chunk)?;
    }
    Ok(())
}

/// The frozen terms of the lines of some orders.
pub fn terms_of_orders(conn: &mut DbConn, orders: &[i64]) -> QueryResult<Vec<LineTermsRow>> {
    let mut out = Vec::new();
    for chunk in orders.chunks(CHUNK) {
        out.extend(
            order_lines::table
                .filter(order_lines::order_id.eq_any(chunk))
                .order(order_lines::id)
                .select(LineTermsRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// The frozen terms of one line.
pub fn terms_of_line(conn: &mut DbConn, line: i64) -> QueryResult<LineTermsRow> {
    order_lines::table.find(line).select(LineTermsRow::as_select()).first(conn)
}

/// `(line, worker, share_bp)` of some lines, in worker order.
pub fn makers_of_lines(conn: &mut DbConn, lines: &[i64]) -> QueryResult<Vec<(i64, i64, i32)>> {
    let mut out = Vec::new();
    for chunk in lines.chunks(CHUNK) {
        out.extend(
            order_line_makers::table
                .filter(order_line_makers::order_line_id.eq_any(chunk))
                .order((order_line_makers::order_line_id, order_line_makers::worker_id))
                .select((order_line_makers::order_line_id, order_line_makers::worker_id, order_line_makers::share_bp))
                .load::<(i64, i64, i32)>(conn)?,
        );
    }
    Ok(out)
}

/// Each worker's household status valid on `day` (the latest verified when several are).
pub fn statuses_on(conn: &mut DbConn, workers: &[i64], day: NaiveDate) -> QueryResult<Vec<(i64, String)>> {
    let mut out: Vec<(i64, String)> = Vec::new();
    for chunk in workers.chunks(CHUNK) {
        let rows: Vec<(i64, String)> = worker_household_statuses::table
            .filter(worker_household_statuses::worker_id.eq_any(chunk))
            .filter(worker_household_statuses::valid_from.le(day))
            .filter(worker_household_statuses::valid_until.is_null().or(worker_household_statuses::valid_until.ge(day)))
            .order((
                worker_household_statuses::worker_id,
                worker_household_statuses::valid_from.desc(),
                worker_household_statuses::verified_on.desc(),
                worker_household_statuses::id.desc(),
            ))
            .select((worker_household_statuses::worker_id, worker_household_statuses::status))
            .load(conn)?;
        for (w, s) in rows {
            if out.last().map(|l| l.0) != Some(w) {
                out.push((w, s));
            }
        }
    }
    Ok(out)
}

/// `(shipment, shipping_fen, first line id)` of the parcels of some orders.
pub fn shipping_of_orders(conn: &mut DbConn, orders: &[i64]) -> QueryResult<Vec<(i64, i64, i64)>> {
    let mut out = Vec::new();
    for chunk in orders.chunks(CHUNK) {
        out.extend(
            shipments::table
                .inner_join(order_lines::table.on(order_lines::shipment_id.eq(shipments::id)))
                .filter(shipments::order_id.eq_any(chunk))
                .group_by((shipments::id, shipments::shipping_fen))
                .select((shipments::id, shipments::shipping_fen, diesel::dsl::min(order_lines::id)))
                .load::<(i64, i64, Option<i64>)>(conn)?
                .into_iter()
                .filter_map(|(s, fen, line)| line.map(|l| (s, fen, l))),
        );
    }
    Ok(out)
}

/// The first line of a parcel, which carries its shipping entries.
pub fn first_line_of_shipment(conn: &mut DbConn, shipment: i64) -> QueryResult<Option<i64>> {
    order_lines::table
        .filter(order_lines::shipment_id.eq(shipment))
        .select(diesel::dsl::min(order_lines::id))
        .first::<Option<i64>>(conn)
}

/// Whether a line (or, with `kind = shipping`, its parcel) has been captured.
pub fn entry_exists(conn: &mut DbConn, line: i64, kind: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        journal_entries::table
            .filter(journal_entries::order_line_id.eq(line))
            .filter(journal_entries::kind.eq(kind))
            .filter(journal_entries::refund_id.is_null()),
    ))
    .get_result(conn)
}

/// `(line, kind)` of the capture and shipping entries of some lines.
pub fn posted_lines(conn: &mut DbConn, lines: &[i64]) -> QueryResult<Vec<(i64, String)>> {
    let mut out = Vec::new();
    for chunk in lines.chunks(CHUNK) {
        out.extend(
            journal_entries::table
                .filter(journal_entries::order_line_id.eq_any(chunk))
                .filter(journal_entries::refund_id.is_null())
                .select((journal_entries::order_line_id, journal_entries::kind))
                .load::<(i64, String)>(conn)?,
        );
    }
    Ok(out)
}

/// Whether a refund has been posted.
pub fn refund_posted(conn: &mut DbConn, refund: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(journal_entries::table.filter(journal_entries::refund_id.eq(refund))))
        .get_result(conn)
}

/// The household status each maker's capture posting carries on a line.
pub fn captured_statuses(conn: &mut DbConn, line: i64) -> QueryResult<Vec<(i64, Option<String>)>> {
    journal_postings::table
        .inner_join(journal_entries::table)
        .filter(journal_entries::order_line_id.eq(line))
        .filter(journal_entries::kind.eq("capture"))
        .filter(journal_postings::worker_id.is_not_null())
        .select((journal_postings::worker_id.assume_not_null(), journal_postings::household_status))
        .load(conn)
}

/// Settles the lines whose parcel was delivered at or before `delivered_by` and that have no
/// open return request or refund: each is stamped with the moment its window closed
/// (`delivered_at + window`), so settlement does not depend on when this runs. Returns how
/// many lines settled.
pub fn settle(conn: &mut DbConn, delivered_by: NaiveDateTime, window: chrono::TimeDelta) -> QueryResult<usize> {
    let due: Vec<(i64, Option<NaiveDateTime>)> = shipments::table
        .filter(shipments::status.eq("delivered"))
        .filter(shipments::delivered_at.le(delivered_by))
        .filter(diesel::dsl::exists(
            order_lines::table
                .filter(order_lines::shipment_id.eq(shipments::id))
                .filter(order_lines::settled_at.is_null()),
        ))
        .select((shipments::id, shipments::delivered_at))
        .load(conn)?;
    // One update per delivery instant (parcels delivered together settle together).
    let mut by_time: std::collections::BTreeMap<NaiveDateTime, Vec<i64>> = Default::default();
    for (id, at) in due {
        if let Some(at) = at {
            by_time.entry(at + window).or_default().push(id);
        }
    }
    let mut settled = 0;
    for (at, ids) in by_time {
        for chunk in ids.chunks(CHUNK) {
            settled += diesel::update(
                order_lines::table
                    .filter(order_lines::shipment_id.eq_any(chunk))
                    .filter(order_lines::settled_at.is_null())
                    .filter(diesel::dsl::not(diesel::dsl::exists(
                        refunds::table
                            .filter(refunds::order_line_id.eq(order_lines::id.nullable()))
                            .filter(refunds::status.eq_any(["requested", "pending"])),
                    ))),
            )
            .set(order_lines::settled_at.eq(Some(at)))
            .execute(conn)?;
        }
    }
    Ok(settled)
}

/// The postings of some entries, in id order.
pub fn postings_of_entries(conn: &mut DbConn, entries: &[i64]) -> QueryResult<Vec<PostingRow>> {
    let mut out = Vec::new();
    for chunk in entries.chunks(CHUNK) {
        out.extend(
            journal_postings::table
                .filter(journal_postings::entry_id.eq_any(chunk))
                .order(journal_postings::id)
                .select(PostingRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// `(refund id, amount)` of succeeded refunds, for recomputing their entries.
pub fn refund_amounts(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<(i64, i64)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        out.extend(
            refunds::table
                .filter(refunds::id.eq_any(chunk))
                .select((refunds::id, refunds::amount_fen))
                .load::<(i64, i64)>(conn)?,
        );
    }
    Ok(out)
}

/// The wage postings of an order's lines: `(worker, household status, amount)`, and the
/// lines' counties.
pub fn order_wages(conn: &mut DbConn, order: i64) -> QueryResult<(Vec<WagePosting>, Vec<String>)> {
    let wages: Vec<(Option<i64>, Option<String>, i64)> = journal_postings::table
        .inner_join(journal_entries::table.inner_join(order_lines::table))
        .filter(order_lines::order_id.eq(order))
        .filter(journal_postings::account.eq("wages_payable"))
        .select((journal_postings::worker_id, journal_postings::household_status, journal_postings::amount_fen))
        .load(conn)?;
    let counties: Vec<String> = order_lines::table
        .filter(order_lines::order_id.eq(order))
        .select(order_lines::county_code)
        .distinct()
        .load(conn)?;
    Ok((wages.into_iter().filter_map(|(w, s, a)| w.map(|w| (w, s, a))).collect(), counties))
}

/// The frozen terms of lines after `after`, in id order (for the audit check).
pub fn terms_after(conn: &mut DbConn, after: i64, limit: i64) -> QueryResult<Vec<LineTermsRow>> {
    order_lines::table
        .filter(order_lines::id.gt(after))
        .order(order_lines::id)
        .limit(limit)
        .select(LineTermsRow::as_select())
        .load(conn)
}

/// The entries of some lines, in id order.
pub fn entries_of_lines(conn: &mut DbConn, lines: &[i64]) -> QueryResult<Vec<EntryRow>> {
    let mut out = Vec::new();
    for chunk in lines.chunks(CHUNK) {
        out.extend(
            journal_entries::table
                .filter(journal_entries::order_line_id.eq_any(chunk))
                .select(EntryRow::as_select())
                .load(conn)?,
        );
    }
    out.sort_by_key(|e| e.id);
    Ok(out)
}

/// `(shipment, shipping_fen)` of some parcels.
pub fn shipping_fees(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<(i64, i64)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        out.extend(
            shipments::table
                .filter(shipments::id.eq_any(chunk))
                .select((shipments::id, shipments::shipping_fen))
                .load::<(i64, i64)>(conn)?,
        );
    }
    Ok(out)
}

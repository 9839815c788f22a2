//! Wage statements as pages read them, the workshops' records of paying each worker (with
//! voucher photos), the one-time acknowledgement codes, and the monthly income view.

use super::schema::{
    journal_entries, journal_postings, order_lines, orders, payout_entries, payouts, wage_acks, wage_disbursements,
    wage_statements, workers,
};
use super::DbConn;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// A line behind a statement: `(order number, line id, title, wages, household status)`.
pub type StatementLine = (String, i64, String, i64, Option<String>);
/// A worker's month for the income view: `(worker, period, amount, disbursed, acknowledged)`.
pub type IncomeRow = (i64, String, i64, bool, bool);
/// One worker's line of a wage statement, with how it was paid and acknowledged.
#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct StatementRow {
    pub id: i64,
    pub payout_id: i64,
    pub worker_id: i64,
    pub amount_fen: i64,
    pub poor_household_fen: i64,
    pub line_count: i32,
    #[serde(serialize_with = "crate::clock::china_time_opt")]
    pub acknowledged_at: Option<NaiveDateTime>,
    pub name_zh: String,
    pub name_latin: String,
    pub method: Option<String>,
    pub reference: Option<String>,
    pub paid_on: Option<NaiveDate>,
    pub voucher_path: Option<String>,
}

/// Statement lines with their workers' names and disbursements.
macro_rules! statement_query {
    () => {
        wage_statements::table.inner_join(workers::table).left_join(wage_disbursements::table).select((
            wage_statements::id,
            wage_statements::payout_id,
            wage_statements::worker_id,
            wage_statements::amount_fen,
            wage_statements::poor_household_fen,
            wage_statements::line_count,
            wage_statements::acknowledged_at,
            workers::name_zh,
            workers::name_latin,
            wage_disbursements::method.nullable(),
            wage_disbursements::reference.nullable(),
            wage_disbursements::paid_on.nullable(),
            wage_disbursements::voucher_path.nullable(),
        ))
    };
}

/// A payout's wage statement.
pub fn statements_of(conn: &mut DbConn, payout: i64) -> QueryResult<Vec<StatementRow>> {
    statement_query!().filter(wage_statements::payout_id.eq(payout)).order(wage_statements::worker_id).load(conn)
}

/// One statement line.
pub fn statement(conn: &mut DbConn, id: i64) -> QueryResult<Option<StatementRow>> {
    statement_query!().filter(wage_statements::id.eq(id)).first(conn).optional()
}

/// The order lines behind a statement line: `(order number, line id, title, wages, status)`.
pub fn statement_lines(conn: &mut DbConn, payout: i64, worker: i64) -> QueryResult<Vec<StatementLine>> {
    let rows: Vec<(String, i64, String, Option<String>, i64)> = payout_entries::table
        .inner_join(
            journal_entries::table
                .inner_join(journal_postings::table)
                .inner_join(order_lines::table.inner_join(orders::table)),
        )
        .filter(payout_entries::payout_id.eq(payout))
        .filter(journal_postings::worker_id.eq(worker))
        .order((order_lines::id, journal_postings::id))
        .select((
            orders::number,
            order_lines::id,
            order_lines::title_zh,
            journal_postings::household_status,
            journal_postings::amount_fen,
        ))
        .load(conn)?;
    // One row per line: its capture and any refunds of it, summed.
    let mut out: Vec<StatementLine> = Vec::new();
    for (number, line, title, status, amount) in rows {
        match out.last_mut() {
            Some(last) if last.1 == line => last.3 += amount,
            _ => out.push((number, line, title, amount, status)),
        }
    }
    Ok(out)
}

/// A workshop's record of paying a worker.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = wage_disbursements)]
pub struct NewDisbursement {
    pub statement_id: i64,
    pub method: String,
    pub reference: String,
    pub paid_on: NaiveDate,
    pub voucher_path: Option<String>,
    pub recorded_by: Option<i64>,
    pub recorded_at: NaiveDateTime,
}

pub fn insert_disbursement(conn: &mut DbConn, d: &NewDisbursement) -> QueryResult<usize> {
    diesel::insert_into(wage_disbursements::table).values(d).execute(conn)
}

/// Attaches the photo of a disbursement's voucher (relative to the voucher directory).
pub fn set_voucher(conn: &mut DbConn, statement: i64, path: &str) -> QueryResult<usize> {
    diesel::update(wage_disbursements::table.find(statement))
        .set(wage_disbursements::voucher_path.eq(Some(path)))
        .execute(conn)
}

pub fn insert_ack(
    conn: &mut DbConn,
    token_hash: &str,
    statement: i64,
    by: Option<i64>,
    now: NaiveDateTime,
    expires: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(wage_acks::table)
        .values((
            wage_acks::token_hash.eq(token_hash),
            wage_acks::statement_id.eq(statement),
            wage_acks::created_by.eq(by),
            wage_acks::created_at.eq(now),
            wage_acks::expires_at.eq(expires),
        ))
        .execute(conn)
}

/// The statement an unused, unexpired acknowledgement code names.
pub fn ack_statement(conn: &mut DbConn, token_hash: &str, now: NaiveDateTime) -> QueryResult<Option<i64>> {
    wage_acks::table
        .filter(wage_acks::token_hash.eq(token_hash))
        .filter(wage_acks::used_at.is_null())
        .filter(wage_acks::expires_at.gt(now))
        .select(wage_acks::statement_id)
        .first(conn)
        .optional()
}

/// Uses an acknowledgement code and marks its statement line acknowledged; false when the
/// code had been used (a race with another click).
pub fn use_ack(conn: &mut DbConn, token_hash: &str, statement: i64, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        wage_acks::table.filter(wage_acks::token_hash.eq(token_hash)).filter(wage_acks::used_at.is_null()),
    )
    .set(wage_acks::used_at.eq(Some(now)))
    .execute(conn)?;
    if n == 1 {
        diesel::update(wage_statements::table.find(statement).filter(wage_statements::acknowledged_at.is_null()))
            .set(wage_statements::acknowledged_at.eq(Some(now)))
            .execute(conn)?;
    }
    Ok(n == 1)
}

/// Per worker of a workshop and per payout period: `(worker, period, attributed, disbursed,
/// acknowledged)` in fen, for the portal's income view.
pub fn income_by_month(conn: &mut DbConn, workshop: i64) -> QueryResult<Vec<IncomeRow>> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(i64, String, i64, Option<String>, Option<NaiveDateTime>)> = wage_statements::table
        .inner_join(payouts::table)
        .left_join(wage_disbursements::table)
        .filter(payouts::workshop_id.eq(workshop))
        .order((wage_statements::worker_id, payouts::period.desc()))
        .select((
            wage_statements::worker_id,
            payouts::period,
            wage_statements::amount_fen,
            wage_disbursements::reference.nullable(),
            wage_statements::acknowledged_at,
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(|(w, p, a, d, ack)| (w, p, a, d.is_some(), ack.is_some())).collect())
}

/// Each wage posting of a workshop's makers: `(worker, posted_at, amount)`, for the monthly
/// income view.
pub fn wages_posted(conn: &mut DbConn, workshop: i64) -> QueryResult<Vec<(i64, NaiveDateTime, i64)>> {
    let rows: Vec<(Option<i64>, NaiveDateTime, i64)> = journal_postings::table
        .inner_join(journal_entries::table)
        .filter(journal_entries::workshop_id.eq(workshop))
        .filter(journal_postings::account.eq("wages_payable"))
        .select((journal_postings::worker_id, journal_entries::posted_at, journal_postings::amount_fen))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(w, at, a)| w.map(|w| (w, at, a))).collect())
}

/// A workshop's workers: `(id, name zh, name latin)`.
pub fn workers_of(conn: &mut DbConn, workshop: i64) -> QueryResult<Vec<(i64, String, String)>> {
    workers::table
        .filter(workers::workshop_id.eq(workshop))
        .order(workers::id)
        .select((workers::id, workers::name_zh, workers::name_latin))
        .load(conn)
}

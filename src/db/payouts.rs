//! Payouts, the entries each one paid, wage statements, the workshops' proof of paying each
//! worker, and the one-time acknowledgement links.

use super::schema::{
    journal_entries, journal_postings, order_lines, orders, payout_entries, payouts, wage_acks, wage_disbursements,
    wage_statements, workers, workshops,
};
use super::DbConn;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// A worker's wages in a set of entries: `(worker, household status, amount, lines)`.
pub type WageSum = (i64, Option<String>, i64, i64);
/// [`WageSum`] as the query reads it.
type WageSumRow = (Option<i64>, Option<String>, Option<i64>, i64);
/// A line behind a statement: `(order number, line id, title, wages, household status)`.
pub type StatementLine = (String, i64, String, i64, Option<String>);
/// A worker's month for the income view: `(worker, period, amount, disbursed, acknowledged)`.
pub type IncomeRow = (i64, String, i64, bool, bool);
/// How a workshop is paid: `(rail, Stripe account, sealed bank account, name zh, name en)`.
pub type Payee = (String, Option<String>, Option<String>, String, String);

/// The accounts a workshop is paid from: its own part and the wages it holds for its makers.
pub const PAYABLE: [&str; 2] = ["workshop_payable", "wages_payable"];

/// Entries of `$workshop` that no payout has paid, posted before `$cutoff`, whose line had
/// settled before `$cutoff`: what a payout for the period ending at `$cutoff` pays.
macro_rules! unpaid_settled {
    ($workshop:expr, $cutoff:expr) => {
        journal_entries::table
            .inner_join(order_lines::table)
            .left_join(payout_entries::table)
            .filter(journal_entries::workshop_id.eq($workshop))
            .filter(payout_entries::payout_id.is_null())
            .filter(journal_entries::posted_at.lt($cutoff))
            .filter(order_lines::settled_at.lt($cutoff))
    };
}

/// A payout row.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = payouts)]
pub struct PayoutRow {
    pub id: i64,
    pub workshop_id: i64,
    pub period: String,
    pub cutoff: NaiveDateTime,
    pub amount_fen: i64,
    pub wages_fen: i64,
    pub currency: String,
    pub rail: String,
    pub status: String,
    pub reference: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub confirmed_at: Option<NaiveDateTime>,
}

/// A new payout.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = payouts)]
pub struct NewPayout<'a> {
    pub workshop_id: i64,
    pub period: &'a str,
    pub cutoff: NaiveDateTime,
    pub amount_fen: i64,
    pub wages_fen: i64,
    pub currency: &'a str,
    pub rail: &'a str,
    pub status: &'a str,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A new wage statement line.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = wage_statements)]
pub struct NewStatement {
    pub payout_id: i64,
    pub worker_id: i64,
    pub amount_fen: i64,
    pub poor_household_fen: i64,
    pub line_count: i32,
}

/// One worker's line of a wage statement, with how it was paid and acknowledged.
#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct StatementRow {
    pub id: i64,
    pub payout_id: i64,
    pub worker_id: i64,
    pub amount_fen: i64,
    pub poor_household_fen: i64,
    pub line_count: i32,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub name_zh: String,
    pub name_latin: String,
    pub method: Option<String>,
    pub reference: Option<String>,
    pub paid_on: Option<NaiveDate>,
    pub voucher_path: Option<String>,
}

/// Workshops with entries a payout for the period ending at `cutoff` would pay.
pub fn workshops_due(conn: &mut DbConn, cutoff: NaiveDateTime) -> QueryResult<Vec<i64>> {
    journal_entries::table
        .inner_join(order_lines::table)
        .left_join(payout_entries::table)
        .filter(payout_entries::payout_id.is_null())
        .filter(journal_entries::posted_at.lt(cutoff))
        .filter(order_lines::settled_at.lt(cutoff))
        .select(journal_entries::workshop_id)
        .distinct()
        .order(journal_entries::workshop_id)
        .load(conn)
}

/// `SUM(amount_fen)` as a BIGINT on both backends (PostgreSQL's SUM of BIGINT is NUMERIC).
fn sum_fen() -> diesel::expression::SqlLiteral<diesel::sql_types::Nullable<diesel::sql_types::BigInt>> {
    diesel::dsl::sql("CAST(SUM(journal_postings.amount_fen) AS BIGINT)")
}

/// The columns of a [`WageSum`] query, grouped by worker and household status.
macro_rules! wage_sum_columns {
    () => {
        (
            journal_postings::worker_id,
            journal_postings::household_status,
            sum_fen(),
            diesel::dsl::count(journal_postings::order_line_id).aggregate_distinct(),
        )
    };
}

fn wage_sums(rows: Vec<WageSumRow>) -> Vec<WageSum> {
    rows.into_iter().filter_map(|(w, s, sum, n)| w.map(|w| (w, s, sum.unwrap_or(0), n))).collect()
}

/// The settled, unpaid balance of a workshop: what it is owed for the period ending at `cutoff`.
pub fn settled_balance(conn: &mut DbConn, workshop: i64, cutoff: NaiveDateTime) -> QueryResult<i64> {
    let sum: Option<i64> = unpaid_settled!(workshop, cutoff)
        .inner_join(journal_postings::table)
        .filter(journal_postings::account.eq_any(PAYABLE))
        .select(sum_fen())
        .first(conn)?;
    Ok(sum.unwrap_or(0))
}

/// The wages in that balance: `(worker, household status, amount, lines)`.
pub fn settled_wages(conn: &mut DbConn, workshop: i64, cutoff: NaiveDateTime) -> QueryResult<Vec<WageSum>> {
    let rows: Vec<WageSumRow> = unpaid_settled!(workshop, cutoff)
        .inner_join(journal_postings::table)
        .filter(journal_postings::account.eq("wages_payable"))
        .group_by((journal_postings::worker_id, journal_postings::household_status))
        .select(wage_sum_columns!())
        .load(conn)?;
    Ok(wage_sums(rows))
}

/// Records that a payout paid exactly the entries [`settled_balance`] summed.
pub fn assign_entries(conn: &mut DbConn, payout: i64, workshop: i64, cutoff: NaiveDateTime) -> QueryResult<usize> {
    use diesel::IntoSql;
    let select =
        unpaid_settled!(workshop, cutoff).select((journal_entries::id, payout.into_sql::<diesel::sql_types::BigInt>()));
    let insert = diesel::insert_into(payout_entries::table)
        .values(select)
        .into_columns((payout_entries::entry_id, payout_entries::payout_id));
    match conn {
        DbConn::Sqlite(c) => insert.execute(c),
        DbConn::Postgresql(c) => insert.execute(c),
    }
}

pub fn find_payout(conn: &mut DbConn, workshop: i64, period: &str) -> QueryResult<Option<PayoutRow>> {
    payouts::table
        .filter(payouts::workshop_id.eq(workshop))
        .filter(payouts::period.eq(period))
        .select(PayoutRow::as_select())
        .first(conn)
        .optional()
}

pub fn payout(conn: &mut DbConn, id: i64) -> QueryResult<Option<PayoutRow>> {
    payouts::table.find(id).select(PayoutRow::as_select()).first(conn).optional()
}

pub fn insert_payout(conn: &mut DbConn, p: &NewPayout<'_>) -> QueryResult<i64> {
    diesel::insert_into(payouts::table).values(p).returning(payouts::id).get_result(conn)
}

pub fn insert_statements(conn: &mut DbConn, rows: &[NewStatement]) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in rows.chunks(2_000) {
        n += crate::insert_batch!(conn, wage_statements::table, chunk)?;
    }
    Ok(n)
}

/// Payouts with their workshop's names, newest period first; filtered by period and workshop.
pub fn list(
    conn: &mut DbConn,
    period: Option<&str>,
    workshop: Option<i64>,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<(PayoutRow, String, String)>> {
    let mut q = payouts::table
        .inner_join(workshops::table)
        .select((PayoutRow::as_select(), workshops::name_zh, workshops::name_en))
        .order((payouts::period.desc(), payouts::workshop_id))
        .offset(offset)
        .limit(limit)
        .into_boxed();
    if let Some(p) = period {
        q = q.filter(payouts::period.eq(p.to_owned()));
    }
    if let Some(w) = workshop {
        q = q.filter(payouts::workshop_id.eq(w));
    }
    q.load(conn)
}

/// Payouts of a period on a rail in a status (for the bank file and the transfer sender).
pub fn on_rail(conn: &mut DbConn, period: Option<&str>, rail: &str, statuses: &[&str]) -> QueryResult<Vec<PayoutRow>> {
    let mut q = payouts::table
        .filter(payouts::rail.eq(rail.to_owned()))
        .filter(payouts::status.eq_any(statuses.iter().map(|s| s.to_string()).collect::<Vec<_>>()))
        .order(payouts::id)
        .select(PayoutRow::as_select())
        .into_boxed();
    if let Some(p) = period {
        q = q.filter(payouts::period.eq(p.to_owned()));
    }
    q.load(conn)
}

/// Moves a payout from one status to another with its reference; false when it had moved.
pub fn move_payout(
    conn: &mut DbConn,
    id: i64,
    from: &[&str],
    to: &str,
    reference: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let target = payouts::table
        .filter(payouts::id.eq(id))
        .filter(payouts::status.eq_any(from.iter().map(|s| s.to_string()).collect::<Vec<_>>()));
    let n = match to {
        "sent" => diesel::update(target)
            .set((
                payouts::status.eq(to),
                payouts::reference.eq(reference),
                payouts::sent_at.eq(Some(now)),
                payouts::updated_at.eq(now),
            ))
            .execute(conn)?,
        _ => diesel::update(target)
            .set((
                payouts::status.eq(to),
                payouts::reference.eq(reference),
                payouts::confirmed_at.eq(Some(now)),
                payouts::updated_at.eq(now),
            ))
            .execute(conn)?,
    };
    Ok(n == 1)
}

/// Records why a transfer attempt (already counted) failed.
pub fn transfer_failed(conn: &mut DbConn, id: i64, error: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(payouts::table.find(id))
        .set((payouts::last_error.eq(Some(error)), payouts::updated_at.eq(now)))
        .execute(conn)
}

/// Counts an attempt about to be made.
pub fn transfer_attempt(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(payouts::table.find(id))
        .set((payouts::attempts.eq(payouts::attempts + 1), payouts::updated_at.eq(now)))
        .execute(conn)
}

/// The entries a payout paid and the sum of their payable postings (for the audit check).
pub fn paid_sum(conn: &mut DbConn, payout: i64) -> QueryResult<i64> {
    let sum: Option<i64> = payout_entries::table
        .inner_join(journal_entries::table.inner_join(journal_postings::table))
        .filter(payout_entries::payout_id.eq(payout))
        .filter(journal_postings::account.eq_any(PAYABLE))
        .select(sum_fen())
        .first(conn)?;
    Ok(sum.unwrap_or(0))
}

/// Each worker's wages in the entries a payout paid: `(worker, status, amount, lines)`.
pub fn paid_wages(conn: &mut DbConn, payout: i64) -> QueryResult<Vec<WageSum>> {
    let rows: Vec<WageSumRow> = payout_entries::table
        .inner_join(journal_entries::table.inner_join(journal_postings::table))
        .filter(payout_entries::payout_id.eq(payout))
        .filter(journal_postings::account.eq("wages_payable"))
        .group_by((journal_postings::worker_id, journal_postings::household_status))
        .select(wage_sum_columns!())
        .load(conn)?;
    Ok(wage_sums(rows))
}

/// Every payout id, in order (for the audit check).
pub fn all_ids(conn: &mut DbConn, after: i64, limit: i64) -> QueryResult<Vec<i64>> {
    payouts::table.filter(payouts::id.gt(after)).order(payouts::id).limit(limit).select(payouts::id).load(conn)
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

/// How a workshop is paid: `(rail, Stripe account, sealed bank account, name zh, name en)`.
pub fn workshop_payee(conn: &mut DbConn, workshop: i64) -> QueryResult<Payee> {
    workshops::table
        .find(workshop)
        .select((
            workshops::payout_rail,
            workshops::stripe_account_id,
            workshops::payout_account_enc,
            workshops::name_zh,
            workshops::name_en,
        ))
        .first(conn)
}

/// Sets how a workshop is paid.
pub fn set_payee(conn: &mut DbConn, workshop: i64, rail: &str, stripe_account: Option<&str>) -> QueryResult<usize> {
    diesel::update(workshops::table.find(workshop))
        .set((workshops::payout_rail.eq(rail), workshops::stripe_account_id.eq(stripe_account)))
        .execute(conn)
}

/// `(county, prefecture, province)` of a workshop, for officials' scope.
pub fn workshop_regions(conn: &mut DbConn, workshop: i64) -> QueryResult<Option<(String, Option<String>, String)>> {
    workshops::table
        .find(workshop)
        .select((workshops::county_code, workshops::prefecture_code, workshops::province_code))
        .first(conn)
        .optional()
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

/// How many of a payout's entries had not settled, or were posted, before its cutoff (the
/// audit check expects none).
pub fn entries_outside_cutoff(conn: &mut DbConn, payout: i64, cutoff: NaiveDateTime) -> QueryResult<i64> {
    payout_entries::table
        .inner_join(journal_entries::table.inner_join(order_lines::table))
        .filter(payout_entries::payout_id.eq(payout))
        .filter(
            order_lines::settled_at
                .is_null()
                .or(order_lines::settled_at.ge(cutoff))
                .or(journal_entries::posted_at.ge(cutoff)),
        )
        .count()
        .get_result(conn)
}

/// A payout's stored statement: `(worker, amount, poor-household part, lines)`.
pub fn stored_statement(conn: &mut DbConn, payout: i64) -> QueryResult<Vec<(i64, i64, i64, i32)>> {
    wage_statements::table
        .filter(wage_statements::payout_id.eq(payout))
        .order(wage_statements::worker_id)
        .select((
            wage_statements::worker_id,
            wage_statements::amount_fen,
            wage_statements::poor_household_fen,
            wage_statements::line_count,
        ))
        .load(conn)
}

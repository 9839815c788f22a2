//! Payouts: the settled balances they pay, the entries each one paid, and the wage sums its
//! statement is made from (the statements as pages read them are in [`super::wages`]).

use super::schema::{
    journal_entries, journal_postings, order_lines, payout_entries, payouts, wage_statements, workshops,
};
use super::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A worker's wages in a set of entries: `(worker, household status, amount, lines)`.
pub type WageSum = (i64, Option<String>, i64, i64);
/// [`WageSum`] as the query reads it.
type WageSumRow = (Option<i64>, Option<String>, Option<i64>, i64);
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
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = payouts)]
pub struct PayoutRow {
    pub id: i64,
    pub workshop_id: i64,
    pub period: String,
    #[serde(serialize_with = "crate::clock::china_time")]
    pub cutoff: NaiveDateTime,
    pub amount_fen: i64,
    pub wages_fen: i64,
    pub currency: String,
    pub rail: String,
    pub status: String,
    pub reference: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    #[serde(serialize_with = "crate::clock::china_time")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::china_time_opt")]
    pub sent_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::china_time_opt")]
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

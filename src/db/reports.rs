//! The tables behind the officials' reports: `report_months`, the journal rolled up by
//! workshop, month (China time) and heritage item, kept in step in the transaction that posts;
//! the same sums computed straight from the journal (to verify the roll-up and exports, and as
//! the benchmark's baseline); headcounts of workers employed in a period with their household
//! status; and statement sums (wages disbursed with evidence, and acknowledged).
//!
//! These queries are written as SQL text because they group by expressions that differ by
//! backend (the month of a timestamp in China time). Only typed values are ever formatted into
//! them: region codes (six digits, parsed), ids, months and dates of a parsed period.

use super::schema::report_exports;
use super::DbConn;
use crate::domain::period::ReportPeriod;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde::Serialize;

/// Which workshops a query covers. Built only from parsed values (see the module's note).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkshopFilter {
    All,
    /// Workshops under a region: `column` is `province_code`, `prefecture_code` or `county_code`.
    Region {
        column: &'static str,
        code: String,
    },
    One(i64),
}

impl WorkshopFilter {
    /// The workshops under a parsed region, at its level.
    pub fn of_region(code: &crate::domain::RegionCode) -> WorkshopFilter {
        let column = match code.level() {
            crate::domain::RegionLevel::Province => "province_code",
            crate::domain::RegionLevel::Prefecture => "prefecture_code",
            crate::domain::RegionLevel::County => "county_code",
        };
        WorkshopFilter::Region { column, code: code.as_str().to_owned() }
    }

    /// The condition on the workshops table aliased `k`.
    pub(super) fn sql(&self) -> String {
        match self {
            WorkshopFilter::All => "1 = 1".to_owned(),
            WorkshopFilter::Region { column, code } => {
                let digits: String = code.chars().filter(char::is_ascii_digit).collect();
                format!("k.{column} = '{digits}'")
            }
            WorkshopFilter::One(id) => format!("k.id = {id}"),
        }
    }
}

/// One roll-up row: a workshop's sales of one heritage item in one month, net of refunds.
#[derive(Debug, Clone, Default, PartialEq, Eq, QueryableByName, Serialize)]
pub struct MonthRow {
    #[diesel(sql_type = BigInt)]
    pub workshop_id: i64,
    #[diesel(sql_type = Text)]
    pub month: String,
    #[diesel(sql_type = BigInt)]
    pub heritage_item_id: i64,
    #[diesel(sql_type = BigInt)]
    pub gross_fen: i64,
    #[diesel(sql_type = BigInt)]
    pub commission_fen: i64,
    #[diesel(sql_type = BigInt)]
    pub wages_fen: i64,
    #[diesel(sql_type = BigInt)]
    pub registered_poor_fen: i64,
    #[diesel(sql_type = BigInt)]
    pub lifted_out_fen: i64,
    #[diesel(sql_type = BigInt)]
    pub monitored_fen: i64,
    /// Designers' shares: never wages.
    #[diesel(sql_type = BigInt)]
    pub designer_fen: i64,
}

pub(super) const SUMS: &str = "\
    CAST(SUM(CASE WHEN p.account = 'buyer_clearing' THEN -p.amount_fen ELSE 0 END) AS BIGINT) AS gross_fen, \
    CAST(SUM(CASE WHEN p.account = 'platform_commission' THEN p.amount_fen ELSE 0 END) AS BIGINT) AS commission_fen, \
    CAST(SUM(CASE WHEN p.account = 'wages_payable' THEN p.amount_fen ELSE 0 END) AS BIGINT) AS wages_fen, \
    CAST(SUM(CASE WHEN p.household_status = 'registered_poor' THEN p.amount_fen ELSE 0 END) AS BIGINT) AS registered_poor_fen, \
    CAST(SUM(CASE WHEN p.household_status = 'lifted_out' THEN p.amount_fen ELSE 0 END) AS BIGINT) AS lifted_out_fen, \
    CAST(SUM(CASE WHEN p.household_status = 'monitored' THEN p.amount_fen ELSE 0 END) AS BIGINT) AS monitored_fen, \
    CAST(SUM(CASE WHEN p.account = 'designer_payable' THEN p.amount_fen ELSE 0 END) AS BIGINT) AS designer_fen";

/// The month of a posting in China time, as `YYYY-MM`.
fn month_of_posting(conn: &DbConn) -> &'static str {
    match conn {
        DbConn::Sqlite(_) => "strftime('%Y-%m', e.posted_at, '+8 hours')",
        DbConn::Postgresql(_) => "to_char(e.posted_at + interval '8 hours', 'YYYY-MM')",
    }
}

/// The journal's sales postings grouped as roll-up rows, under a condition on `e` (entries),
/// `p` (postings), `l` (lines) and `k` (workshops).
fn journal_grouped(conn: &DbConn, condition: &str) -> String {
    let month = month_of_posting(conn);
    format!(
        "SELECT e.workshop_id AS workshop_id, {month} AS month, l.heritage_item_id AS heritage_item_id, {SUMS} \
         FROM journal_entries e JOIN journal_postings p ON p.entry_id = e.id \
         JOIN order_lines l ON l.id = e.order_line_id JOIN workshops k ON k.id = e.workshop_id \
         WHERE e.kind IN ('capture', 'refund') AND {condition} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    )
}

const COLUMNS: &str = "workshop_id, month, heritage_item_id, gross_fen, commission_fen, wages_fen, \
                       registered_poor_fen, lifted_out_fen, monitored_fen, designer_fen";
const ADD_ON_CONFLICT: &str = "ON CONFLICT (workshop_id, month, heritage_item_id) DO UPDATE SET \
    gross_fen = report_months.gross_fen + excluded.gross_fen, \
    commission_fen = report_months.commission_fen + excluded.commission_fen, \
    wages_fen = report_months.wages_fen + excluded.wages_fen, \
    registered_poor_fen = report_months.registered_poor_fen + excluded.registered_poor_fen, \
    lifted_out_fen = report_months.lifted_out_fen + excluded.lifted_out_fen, \
    monitored_fen = report_months.monitored_fen + excluded.monitored_fen, \
    designer_fen = report_months.designer_fen + excluded.designer_fen";

/// Adds just-written journal entries to the roll-up, in the transaction that wrote them.
pub fn roll_up(conn: &mut DbConn, entries: &[i64]) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in entries.chunks(2000) {
        let ids = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let select = journal_grouped(conn, &format!("e.id IN ({ids})"));
        n += diesel::sql_query(format!("INSERT INTO report_months ({COLUMNS}) {select} {ADD_ON_CONFLICT}"))
            .execute(conn)?;
    }
    Ok(n)
}

/// Recomputes the whole roll-up from the journal (after a bulk load).
pub fn rebuild(conn: &mut DbConn) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM report_months").execute(conn)?;
    let select = journal_grouped(conn, "1 = 1");
    diesel::sql_query(format!("INSERT INTO report_months ({COLUMNS}) {select}")).execute(conn)
}

/// What a report reads: which workshops, which months, which heritage item.
#[derive(Debug, Clone)]
pub struct Slice {
    pub workshops: WorkshopFilter,
    pub period: ReportPeriod,
    pub heritage_item_id: Option<i64>,
}

impl Slice {
    fn heritage_sql(&self, column: &str) -> String {
        self.heritage_item_id.map_or_else(String::new, |h| format!(" AND {column} = {h}"))
    }
}

/// A period's bounds as stored timestamps: UTC, since China is UTC+8 with no daylight saving.
pub(super) fn utc_bounds(period: &ReportPeriod) -> (String, String) {
    let utc = |d: chrono::NaiveDate| d.and_time(chrono::NaiveTime::MIN) - chrono::TimeDelta::hours(8);
    let f = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
    (f(utc(period.start())), f(utc(period.end() + chrono::TimeDelta::days(1))))
}

/// The roll-up rows of a slice.
pub fn rolled_up(conn: &mut DbConn, slice: &Slice) -> QueryResult<Vec<MonthRow>> {
    let months = slice.period.months();
    let (first, last) = (months.first().cloned().unwrap_or_default(), months.last().cloned().unwrap_or_default());
    diesel::sql_query(format!(
        "SELECT r.workshop_id, r.month, r.heritage_item_id, r.gross_fen, r.commission_fen, r.wages_fen, \
         r.registered_poor_fen, r.lifted_out_fen, r.monitored_fen, r.designer_fen \
         FROM report_months r JOIN workshops k ON k.id = r.workshop_id \
         WHERE {} AND r.month >= '{first}' AND r.month <= '{last}'{}",
        slice.workshops.sql(),
        slice.heritage_sql("r.heritage_item_id")
    ))
    .load(conn)
}

/// The same rows computed from the journal alone: entries up to `upto` (all when `None`)
/// posted in the slice's period. This is the roll-up's check and the benchmark's baseline.
pub fn from_journal(conn: &mut DbConn, slice: &Slice, upto: Option<i64>) -> QueryResult<Vec<MonthRow>> {
    let (from, to) = utc_bounds(&slice.period);
    let upto = upto.map_or_else(String::new, |u| format!(" AND e.id <= {u}"));
    let condition = format!(
        "{} AND e.posted_at >= '{from}' AND e.posted_at < '{to}'{upto}{}",
        slice.workshops.sql(),
        slice.heritage_sql("l.heritage_item_id")
    );
    let sql = journal_grouped(conn, &condition);
    diesel::sql_query(sql).load(conn)
}

/// Every roll-up row (for `audit verify`).
pub fn all_rolled_up(conn: &mut DbConn) -> QueryResult<Vec<MonthRow>> {
    diesel::sql_query(format!("SELECT {COLUMNS} FROM report_months")).load(conn)
}

/// Every roll-up row recomputed from the journal (for `audit verify`).
pub fn all_from_journal(conn: &mut DbConn) -> QueryResult<Vec<MonthRow>> {
    let sql = journal_grouped(conn, "1 = 1");
    diesel::sql_query(sql).load(conn)
}

/// The newest journal entry, the watermark an export's figures include.
pub fn last_entry(conn: &mut DbConn) -> QueryResult<i64> {
    use super::schema::journal_entries;
    journal_entries::table
        .select(diesel::dsl::max(journal_entries::id))
        .first::<Option<i64>>(conn)
        .map(Option::unwrap_or_default)
}

/// Workers employed in a period, counted per workshop and household status (on the period's
/// last day, or the day they left). `status` is `None` where none was recorded.
#[derive(Debug, Clone, QueryableByName)]
pub struct HeadcountRow {
    #[diesel(sql_type = BigInt)]
    pub workshop_id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub status: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub workers: i64,
}

/// One worker employed in a period, with the household status that counts for it.
#[derive(Debug, Clone, QueryableByName)]
pub struct EmployedWorker {
    #[diesel(sql_type = BigInt)]
    pub workshop_id: i64,
    #[diesel(sql_type = BigInt)]
    pub worker_id: i64,
    #[diesel(sql_type = Text)]
    pub name_zh: String,
    #[diesel(sql_type = Text)]
    pub name_latin: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub status: Option<String>,
}

/// The workers employed in a slice, with the household status that counts for its period, as
/// SQL selecting `columns` from them (aliased `employed`).
pub(super) fn employed_sql(slice: &Slice, columns: &str) -> String {
    let (start, end) = (slice.period.start(), slice.period.end());
    let heritage = slice.heritage_item_id.map_or_else(String::new, |h| {
        format!(" AND k.id IN (SELECT workshop_id FROM workshop_heritage_items WHERE heritage_item_id = {h})")
    });
    // The status that counts is the one in force on the period's last day, or on the day the
    // worker left. One join and a window pick it for every worker at once: a lookup per worker
    // (a correlated subquery) was most of a province's dashboard on PostgreSQL.
    let on = format!("CASE WHEN w.left_on IS NOT NULL AND w.left_on < '{end}' THEN w.left_on ELSE '{end}' END");
    format!(
        "SELECT {columns} FROM (SELECT workshop_id, worker_id, name_zh, name_latin, status FROM (\
         SELECT w.workshop_id AS workshop_id, w.id AS worker_id, w.name_zh AS name_zh, w.name_latin AS name_latin, \
         s.status AS status, ROW_NUMBER() OVER (PARTITION BY w.id \
         ORDER BY s.valid_from DESC, s.verified_on DESC, s.id DESC) AS pick \
         FROM workers w JOIN workshops k ON k.id = w.workshop_id \
         LEFT JOIN worker_household_statuses s ON s.worker_id = w.id AND s.valid_from <= {on} \
         AND (s.valid_until IS NULL OR s.valid_until >= {on}) \
         WHERE {} AND w.joined_on <= '{end}' AND (w.left_on IS NULL OR w.left_on >= '{start}'){heritage}\
         ) ranked WHERE pick = 1) employed",
        slice.workshops.sql()
    )
}

/// Headcounts of a slice per workshop and status.
pub fn headcounts(conn: &mut DbConn, slice: &Slice) -> QueryResult<Vec<HeadcountRow>> {
    let sql = employed_sql(slice, "workshop_id, status, COUNT(*) AS workers");
    diesel::sql_query(format!("{sql} GROUP BY workshop_id, status")).load(conn)
}

/// The workers of a slice one by one (the worker-level rows of a workshop).
pub fn employed_workers(conn: &mut DbConn, slice: &Slice) -> QueryResult<Vec<EmployedWorker>> {
    let sql = employed_sql(slice, "workshop_id, worker_id, name_zh, name_latin, status");
    diesel::sql_query(format!("{sql} ORDER BY worker_id")).load(conn)
}

/// A workshop's (or a worker's) wage statements for the period's months: disbursed with
/// evidence, and acknowledged by the worker.
#[derive(Debug, Clone, QueryableByName)]
pub struct StatementSums {
    #[diesel(sql_type = BigInt)]
    pub workshop_id: i64,
    #[diesel(sql_type = BigInt)]
    pub worker_id: i64,
    #[diesel(sql_type = BigInt)]
    pub stated_fen: i64,
    #[diesel(sql_type = BigInt)]
    pub disbursed_fen: i64,
    #[diesel(sql_type = BigInt)]
    pub acknowledged_fen: i64,
}

/// Statement sums per workshop and worker for the slice's months (payouts of those periods).
pub fn statement_sums(conn: &mut DbConn, slice: &Slice) -> QueryResult<Vec<StatementSums>> {
    let months = slice.period.months().iter().map(|m| format!("'{m}'")).collect::<Vec<_>>().join(",");
    diesel::sql_query(format!(
        "SELECT o.workshop_id AS workshop_id, s.worker_id AS worker_id, \
         CAST(SUM(s.amount_fen) AS BIGINT) AS stated_fen, \
         CAST(SUM(CASE WHEN d.statement_id IS NOT NULL THEN s.amount_fen ELSE 0 END) AS BIGINT) AS disbursed_fen, \
         CAST(SUM(CASE WHEN s.acknowledged_at IS NOT NULL THEN s.amount_fen ELSE 0 END) AS BIGINT) AS acknowledged_fen \
         FROM wage_statements s JOIN payouts o ON o.id = s.payout_id JOIN workshops k ON k.id = o.workshop_id \
         LEFT JOIN wage_disbursements d ON d.statement_id = s.id \
         WHERE {} AND o.period IN ({months}) GROUP BY o.workshop_id, s.worker_id",
        slice.workshops.sql()
    ))
    .load(conn)
}

/// A worker's wages in a slice, by household status on the sale dates.
#[derive(Debug, Clone, QueryableByName)]
pub struct WorkerWages {
    #[diesel(sql_type = BigInt)]
    pub worker_id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub household_status: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub wages_fen: i64,
}

/// The wages of each worker of one workshop in a slice, straight from the journal.
pub fn worker_wages(conn: &mut DbConn, workshop: i64, slice: &Slice) -> QueryResult<Vec<WorkerWages>> {
    let (from, to) = utc_bounds(&slice.period);
    diesel::sql_query(format!(
        "SELECT p.worker_id AS worker_id, p.household_status AS household_status, \
         CAST(SUM(p.amount_fen) AS BIGINT) AS wages_fen \
         FROM journal_entries e JOIN journal_postings p ON p.entry_id = e.id JOIN order_lines l ON l.id = e.order_line_id \
         WHERE e.workshop_id = {workshop} AND e.kind IN ('capture', 'refund') AND p.account = 'wages_payable' \
         AND e.posted_at >= '{from}' AND e.posted_at < '{to}'{} GROUP BY p.worker_id, p.household_status",
        slice.heritage_sql("l.heritage_item_id")
    ))
    .load(conn)
}

/// A recorded export.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = report_exports)]
pub struct ExportRow {
    pub id: i64,
    pub region_code: Option<String>,
    pub workshop_id: Option<i64>,
    pub period: String,
    pub heritage_item_id: Option<i64>,
    pub upto_entry_id: i64,
    pub digest: String,
    pub format: String,
    pub created_by: Option<i64>,
    pub created_at: chrono::NaiveDateTime,
}

/// Records an export; returns its id.
pub fn insert_export(conn: &mut DbConn, row: &ExportRow) -> QueryResult<i64> {
    diesel::insert_into(report_exports::table)
        .values((
            report_exports::region_code.eq(&row.region_code),
            report_exports::workshop_id.eq(row.workshop_id),
            report_exports::period.eq(&row.period),
            report_exports::heritage_item_id.eq(row.heritage_item_id),
            report_exports::upto_entry_id.eq(row.upto_entry_id),
            report_exports::digest.eq(&row.digest),
            report_exports::format.eq(&row.format),
            report_exports::created_by.eq(row.created_by),
            report_exports::created_at.eq(row.created_at),
        ))
        .returning(report_exports::id)
        .get_result(conn)
}

/// Every recorded export, oldest first.
pub fn exports(conn: &mut DbConn) -> QueryResult<Vec<ExportRow>> {
    report_exports::table.order(report_exports::id).load(conn)
}

/// A workshop as the reports place it.
#[derive(Debug, Clone, QueryableByName, Serialize)]
pub struct WorkshopInfo {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub name_zh: String,
    #[diesel(sql_type = Text)]
    pub name_en: String,
    #[diesel(sql_type = Text)]
    pub county_code: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub prefecture_code: Option<String>,
    #[diesel(sql_type = Text)]
    pub province_code: String,
    #[diesel(sql_type = Nullable<diesel::sql_types::Date>)]
    pub cert_issued_on: Option<chrono::NaiveDate>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Date>)]
    pub cert_last_confirmed_on: Option<chrono::NaiveDate>,
}

/// The workshops of a slice (those practising its heritage item, when it names one).
pub fn workshops(conn: &mut DbConn, slice: &Slice) -> QueryResult<Vec<WorkshopInfo>> {
    let heritage = slice.heritage_item_id.map_or_else(String::new, |h| {
        format!(" AND k.id IN (SELECT workshop_id FROM workshop_heritage_items WHERE heritage_item_id = {h})")
    });
    diesel::sql_query(format!(
        "SELECT k.id, k.slug, k.name_zh, k.name_en, k.county_code, k.prefecture_code, k.province_code, \
         k.cert_issued_on, k.cert_last_confirmed_on FROM workshops k WHERE {}{heritage} ORDER BY k.id",
        slice.workshops.sql()
    ))
    .load(conn)
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The heritage items practised by the workshops under a filter (for the slicer).
pub fn heritage_items_of(conn: &mut DbConn, filter: &WorkshopFilter) -> QueryResult<Vec<i64>> {
    let rows: Vec<Id> = diesel::sql_query(format!(
        "SELECT DISTINCT h.heritage_item_id AS id FROM workshop_heritage_items h JOIN workshops k ON k.id = h.workshop_id \
         WHERE {} ORDER BY 1",
        filter.sql()
    ))
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

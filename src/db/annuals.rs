//! `report_annuals`: the record of every annual evaluation built, with the digest `audit
//! verify` recomputes from the journal.

use super::schema::report_annuals;
use super::DbConn;
use diesel::prelude::*;

/// One annual evaluation as recorded.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = report_annuals)]
pub struct AnnualRow {
    pub id: i64,
    /// The region evaluated; none for the whole country.
    pub region_code: Option<String>,
    pub year: i32,
    /// The newest journal entry its figures include.
    pub upto_entry_id: i64,
    pub digest: String,
    pub created_by: Option<i64>,
    pub created_at: chrono::NaiveDateTime,
}

/// Records an evaluation (the row's id is ignored); returns its id.
pub fn insert(conn: &mut DbConn, row: &AnnualRow) -> QueryResult<i64> {
    diesel::insert_into(report_annuals::table)
        .values((
            report_annuals::region_code.eq(&row.region_code),
            report_annuals::year.eq(row.year),
            report_annuals::upto_entry_id.eq(row.upto_entry_id),
            report_annuals::digest.eq(&row.digest),
            report_annuals::created_by.eq(row.created_by),
            report_annuals::created_at.eq(row.created_at),
        ))
        .returning(report_annuals::id)
        .get_result(conn)
}

/// Every recorded evaluation, oldest first.
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<AnnualRow>> {
    report_annuals::table.select(AnnualRow::as_select()).order(report_annuals::id).load(conn)
}

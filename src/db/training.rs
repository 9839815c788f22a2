//! Training sessions and who attended them (migration `2026-12-14-000001_training`): written
//! with their attendances in one transaction, listed per workshop (with the attendees) and per
//! worker, and summed for the officials' figures by the status that counts for the period.

use super::schema::{training_attendances, training_sessions, workers};
use super::DbConn;
use crate::db::reports::Slice;
use crate::domain::ids::{TrainingSessionId, WorkerId, WorkshopId};
use crate::domain::training::TrainingSession;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde::Serialize;

/// A session as stored.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = training_sessions)]
pub struct TrainingRow {
    pub id: i64,
    pub workshop_id: i64,
    pub programme: String,
    pub organiser_kind: String,
    pub organiser_name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub hours: i32,
}

/// One attendee of a session: the worker's id and names.
#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct Attendee {
    pub session_id: i64,
    pub worker_id: i64,
    pub name_zh: String,
    pub name_latin: String,
}

/// Records a session and its attendances; returns its id.
pub fn insert(
    conn: &mut DbConn,
    workshop: WorkshopId,
    s: &TrainingSession,
    by: i64,
    now: NaiveDateTime,
) -> QueryResult<TrainingSessionId> {
    let id: i64 = diesel::insert_into(training_sessions::table)
        .values((
            training_sessions::workshop_id.eq(workshop.get()),
            training_sessions::programme.eq(&s.programme),
            training_sessions::organiser_kind.eq(s.organiser_kind.as_str()),
            training_sessions::organiser_name.eq(&s.organiser_name),
            training_sessions::starts_on.eq(s.starts_on),
            training_sessions::ends_on.eq(s.ends_on),
            training_sessions::hours.eq(s.hours),
            training_sessions::recorded_by.eq(by),
            training_sessions::created_at.eq(now),
        ))
        .returning(training_sessions::id)
        .get_result(conn)?;
    // One row at a time: a batch insert is not available on the two-backend connection.
    for w in &s.workers {
        diesel::insert_into(training_attendances::table)
            .values((training_attendances::session_id.eq(id), training_attendances::worker_id.eq(*w)))
            .execute(conn)?;
    }
    Ok(TrainingSessionId(id))
}

/// Of `ids`, those on the workshop's roster for some day of `from..=to`.
pub fn employed_among(
    conn: &mut DbConn,
    workshop: WorkshopId,
    ids: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<i64>> {
    workers::table
        .filter(workers::workshop_id.eq(workshop.get()))
        .filter(workers::id.eq_any(ids))
        .filter(workers::joined_on.le(to))
        .filter(workers::left_on.is_null().or(workers::left_on.ge(from)))
        .select(workers::id)
        .load(conn)
}

/// A workshop's sessions, newest first: those ending within `within` (all when `None`),
/// `limit` of them from `offset`, and how many there are.
pub fn of_workshop(
    conn: &mut DbConn,
    workshop: WorkshopId,
    within: Option<(NaiveDate, NaiveDate)>,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<TrainingRow>, i64)> {
    let filtered = || {
        let mut q = training_sessions::table.filter(training_sessions::workshop_id.eq(workshop.get())).into_boxed();
        if let Some((from, to)) = within {
            q = q.filter(training_sessions::ends_on.ge(from)).filter(training_sessions::ends_on.le(to));
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((training_sessions::ends_on.desc(), training_sessions::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(TrainingRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// The attendees of some sessions, by name.
pub fn attendees(conn: &mut DbConn, sessions: &[i64]) -> QueryResult<Vec<Attendee>> {
    training_attendances::table
        .inner_join(workers::table)
        .filter(training_attendances::session_id.eq_any(sessions))
        .order((training_attendances::session_id, workers::name_zh, workers::id))
        .select((training_attendances::session_id, workers::id, workers::name_zh, workers::name_latin))
        .load(conn)
}

/// The sessions a worker took part in, newest first.
pub fn of_worker(conn: &mut DbConn, worker: WorkerId) -> QueryResult<Vec<TrainingRow>> {
    training_sessions::table
        .inner_join(training_attendances::table)
        .filter(training_attendances::worker_id.eq(worker.get()))
        .order((training_sessions::ends_on.desc(), training_sessions::id.desc()))
        .select(TrainingRow::as_select())
        .load(conn)
}

/// Workers trained in a slice's period (in a session of their workshop ending within it) and
/// their person-hours, per workshop and the household status that counts for the period.
#[derive(Debug, Clone, QueryableByName)]
pub struct TrainingSums {
    #[diesel(sql_type = BigInt)]
    pub workshop_id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub status: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub workers: i64,
    #[diesel(sql_type = BigInt)]
    pub hours: i64,
}

/// The training sums of a slice. The status is the one the headcounts use (the period's last
/// day, or the day the worker left), so a trained worker is counted as the rule counts them.
pub fn sums(conn: &mut DbConn, slice: &Slice) -> QueryResult<Vec<TrainingSums>> {
    let employed = super::reports::employed_sql(slice, "workshop_id, worker_id, status");
    let (start, end) = (slice.period.start(), slice.period.end());
    diesel::sql_query(format!(
        "SELECT e.workshop_id AS workshop_id, e.status AS status, COUNT(DISTINCT e.worker_id) AS workers, \
         CAST(COALESCE(SUM(t.hours), 0) AS BIGINT) AS hours \
         FROM ({employed}) e JOIN training_attendances a ON a.worker_id = e.worker_id \
         JOIN training_sessions t ON t.id = a.session_id AND t.workshop_id = e.workshop_id \
         WHERE t.ends_on >= '{start}' AND t.ends_on <= '{end}' GROUP BY e.workshop_id, e.status"
    ))
    .load(conn)
}

/// A workshop's training in a period, over every session: the workers who took part in any
/// and the person-hours.
#[derive(Debug, Clone, Default, QueryableByName)]
pub struct Totals {
    #[diesel(sql_type = BigInt)]
    pub workers: i64,
    #[diesel(sql_type = BigInt)]
    pub person_hours: i64,
}

/// The totals of a workshop's sessions ending from `from` to `to`.
pub fn totals(conn: &mut DbConn, workshop: WorkshopId, from: NaiveDate, to: NaiveDate) -> QueryResult<Totals> {
    diesel::sql_query(format!(
        "SELECT COUNT(DISTINCT a.worker_id) AS workers, CAST(COALESCE(SUM(t.hours), 0) AS BIGINT) AS person_hours \
         FROM training_attendances a JOIN training_sessions t ON t.id = a.session_id \
         WHERE t.workshop_id = {} AND t.ends_on >= '{from}' AND t.ends_on <= '{to}'",
        workshop.get()
    ))
    .get_result(conn)
}

/// One worker's training hours in a period at their workshop.
#[derive(Debug, Clone, QueryableByName)]
pub struct WorkerHours {
    #[diesel(sql_type = BigInt)]
    pub worker_id: i64,
    #[diesel(sql_type = BigInt)]
    pub hours: i64,
}

/// Each worker's training hours in a workshop and period (the worker rows of a report).
pub fn hours_by_worker(conn: &mut DbConn, workshop: i64, slice: &Slice) -> QueryResult<Vec<WorkerHours>> {
    let (start, end) = (slice.period.start(), slice.period.end());
    diesel::sql_query(format!(
        "SELECT a.worker_id AS worker_id, CAST(SUM(t.hours) AS BIGINT) AS hours \
         FROM training_attendances a JOIN training_sessions t ON t.id = a.session_id \
         WHERE t.workshop_id = {workshop} AND t.ends_on >= '{start}' AND t.ends_on <= '{end}' GROUP BY a.worker_id"
    ))
    .load(conn)
}

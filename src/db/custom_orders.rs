//! Custom orders, their milestones and progress photos (migration
//! `2026-12-13-000001_custom_orders`), and whether a workshop takes custom work.
//!
//! A status moves only from the status read ([`move_status`]), so of two racing moves one
//! wins. A milestone's order is set only where it has none, or its last one lapsed
//! ([`set_milestone_order`]).

use super::schema::{custom_milestones, custom_orders, custom_progress, orders, workshops};
use super::DbConn;
use crate::domain::account::UserId;
use crate::domain::custom_order::CustomStatus;
use crate::domain::ids::{CustomOrderId, OrderId, WorkshopId};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// A custom order as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = custom_orders)]
pub struct CustomRow {
    pub id: i64,
    pub buyer_id: i64,
    pub workshop_id: i64,
    pub status: String,
    pub description: String,
    pub budget_fen: Option<i64>,
    pub wanted_by: Option<NaiveDate>,
    pub lang: String,
    pub product_id: Option<i64>,
    pub price_fen: Option<i64>,
    pub lead_time_days: Option<i32>,
    pub quote_note: Option<String>,
    pub quoted_at: Option<NaiveDateTime>,
    pub accepted_at: Option<NaiveDateTime>,
    pub work_begun_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub cancelled_by: Option<String>,
    pub created_at: NaiveDateTime,
}

/// A milestone with the status of the order that pays it, if any.
#[derive(Debug, Clone, Queryable)]
pub struct MilestoneRow {
    pub position: i32,
    pub share_bp: i32,
    pub due: String,
    pub amount_fen: i64,
    pub order_id: Option<i64>,
    pub attempts: i32,
    pub order_number: Option<String>,
    pub order_status: Option<String>,
}

/// A progress photo as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = custom_progress)]
pub struct ProgressRow {
    pub id: i64,
    pub position: i32,
    pub photo_key: String,
    pub note: String,
    pub posted_at: NaiveDateTime,
}

/// A new request.
pub struct NewRequest<'a> {
    pub buyer: UserId,
    pub workshop: WorkshopId,
    pub description: &'a str,
    pub budget_fen: Option<i64>,
    pub wanted_by: Option<NaiveDate>,
    pub lang: &'a str,
}

/// Whether a workshop takes custom work (`None`: no such workshop).
pub fn accepts_custom(conn: &mut DbConn, workshop: WorkshopId) -> QueryResult<Option<bool>> {
    workshops::table.find(workshop.get()).select(workshops::accepts_custom).first(conn).optional()
}

/// Says whether a workshop takes custom work.
pub fn set_accepts_custom(conn: &mut DbConn, workshop: WorkshopId, accepts: bool) -> QueryResult<usize> {
    diesel::update(workshops::table.find(workshop.get())).set(workshops::accepts_custom.eq(accepts)).execute(conn)
}

pub fn insert_request(conn: &mut DbConn, r: &NewRequest<'_>, now: NaiveDateTime) -> QueryResult<CustomOrderId> {
    diesel::insert_into(custom_orders::table)
        .values((
            custom_orders::buyer_id.eq(r.buyer.get()),
            custom_orders::workshop_id.eq(r.workshop.get()),
            custom_orders::status.eq(CustomStatus::Requested.as_str()),
            custom_orders::description.eq(r.description),
            custom_orders::budget_fen.eq(r.budget_fen),
            custom_orders::wanted_by.eq(r.wanted_by),
            custom_orders::lang.eq(r.lang),
            custom_orders::created_at.eq(now),
            custom_orders::updated_at.eq(now),
        ))
        .returning(custom_orders::id)
        .get_result(conn)
        .map(CustomOrderId)
}

pub fn custom_order(conn: &mut DbConn, id: CustomOrderId) -> QueryResult<Option<CustomRow>> {
    custom_orders::table.find(id.get()).select(CustomRow::as_select()).first(conn).optional()
}

/// Locks a custom order's row for the rest of the transaction (PostgreSQL; SQLite's one
/// writer is the lock there).
pub fn lock(conn: &mut DbConn, id: CustomOrderId) -> QueryResult<Option<CustomRow>> {
    if let DbConn::Postgresql(pg) = conn {
        diesel::sql_query("SELECT id FROM custom_orders WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::BigInt, _>(id.get())
            .execute(pg)?;
    }
    custom_order(conn, id)
}

/// Who sees a list: a buyer's own, or a workshop's.
#[derive(Debug, Clone, Copy)]
pub enum ListOf {
    Buyer(UserId),
    Workshop(WorkshopId),
}

/// One page of custom orders, newest first, with the total.
pub fn page(conn: &mut DbConn, of: ListOf, limit: i64, offset: i64) -> QueryResult<(Vec<CustomRow>, i64)> {
    let base = || {
        let q = custom_orders::table.into_boxed();
        match of {
            ListOf::Buyer(u) => q.filter(custom_orders::buyer_id.eq(u.get())),
            ListOf::Workshop(w) => q.filter(custom_orders::workshop_id.eq(w.get())),
        }
    };
    let total = base().count().get_result(conn)?;
    let rows =
        base().order(custom_orders::id.desc()).limit(limit).offset(offset).select(CustomRow::as_select()).load(conn)?;
    Ok((rows, total))
}

/// The workshops of a list of custom orders by id: `(id, slug, name zh, name en)`.
pub fn workshop_labels(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<(i64, String, String, String)>> {
    workshops::table
        .filter(workshops::id.eq_any(ids))
        .select((workshops::id, workshops::slug, workshops::name_zh, workshops::name_en))
        .load(conn)
}

/// Moves a custom order from `from` to `to`; false when it was not in `from`.
pub fn move_status(
    conn: &mut DbConn,
    id: CustomOrderId,
    from: CustomStatus,
    to: CustomStatus,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(custom_orders::table.find(id.get()).filter(custom_orders::status.eq(from.as_str())))
        .set((custom_orders::status.eq(to.as_str()), custom_orders::updated_at.eq(now)))
        .execute(conn)?;
    Ok(n == 1)
}

/// The quote's terms.
pub struct Quote<'a> {
    pub product_id: i64,
    pub price_fen: i64,
    pub lead_time_days: i32,
    pub note: &'a str,
    /// `(share in bp, due, amount)` per milestone, in order.
    pub milestones: &'a [(i32, &'a str, i64)],
}

/// Stores a quote on a requested custom order (the caller moved its status).
pub fn store_quote(conn: &mut DbConn, id: CustomOrderId, q: &Quote<'_>, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(custom_orders::table.find(id.get()))
        .set((
            custom_orders::product_id.eq(Some(q.product_id)),
            custom_orders::price_fen.eq(Some(q.price_fen)),
            custom_orders::lead_time_days.eq(Some(q.lead_time_days)),
            custom_orders::quote_note.eq(Some(q.note)),
            custom_orders::quoted_at.eq(Some(now)),
        ))
        .execute(conn)?;
    // One row at a time: a batch insert is not portable across both backends here.
    for (i, (bp, due, amount)) in q.milestones.iter().enumerate() {
        diesel::insert_into(custom_milestones::table)
            .values((
                custom_milestones::custom_order_id.eq(id.get()),
                custom_milestones::position.eq(i32::try_from(i + 1).unwrap_or(i32::MAX)),
                custom_milestones::share_bp.eq(*bp),
                custom_milestones::due.eq(*due),
                custom_milestones::amount_fen.eq(*amount),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Stamps a moment on a custom order: accepted, work begun (the first photo only), closed.
pub fn stamp(conn: &mut DbConn, id: CustomOrderId, what: Stamp, now: NaiveDateTime) -> QueryResult<usize> {
    let target = custom_orders::table.find(id.get());
    match what {
        Stamp::Accepted => diesel::update(target).set(custom_orders::accepted_at.eq(Some(now))).execute(conn),
        Stamp::WorkBegun => diesel::update(target.filter(custom_orders::work_begun_at.is_null()))
            .set(custom_orders::work_begun_at.eq(Some(now)))
            .execute(conn),
        Stamp::Closed(by) => diesel::update(target)
            .set((custom_orders::closed_at.eq(Some(now)), custom_orders::cancelled_by.eq(by)))
            .execute(conn),
    }
}

/// A moment [`stamp`] records.
#[derive(Debug, Clone, Copy)]
pub enum Stamp {
    Accepted,
    WorkBegun,
    /// Closed: declined (`None`) or cancelled by a side (`"buyer"`, `"workshop"`).
    Closed(Option<&'static str>),
}

/// A custom order's milestones, in order, with their orders' numbers and statuses.
pub fn milestones(conn: &mut DbConn, id: CustomOrderId) -> QueryResult<Vec<MilestoneRow>> {
    custom_milestones::table
        .left_join(orders::table.on(orders::id.nullable().eq(custom_milestones::order_id)))
        .filter(custom_milestones::custom_order_id.eq(id.get()))
        .order(custom_milestones::position)
        .select((
            custom_milestones::position,
            custom_milestones::share_bp,
            custom_milestones::due,
            custom_milestones::amount_fen,
            custom_milestones::order_id,
            custom_milestones::attempts,
            orders::number.nullable(),
            orders::status.nullable(),
        ))
        .load(conn)
}

/// Names the order that pays a milestone, where it has none or had `lapsed` (the order it
/// replaces); counts the attempt. False when another request got there first.
pub fn set_milestone_order(
    conn: &mut DbConn,
    id: CustomOrderId,
    position: i32,
    lapsed: Option<OrderId>,
    order: OrderId,
) -> QueryResult<bool> {
    let target = custom_milestones::table
        .filter(custom_milestones::custom_order_id.eq(id.get()))
        .filter(custom_milestones::position.eq(position));
    let n = match lapsed {
        Some(old) => diesel::update(target.filter(custom_milestones::order_id.eq(old.get())))
            .set((
                custom_milestones::order_id.eq(Some(order.get())),
                custom_milestones::attempts.eq(custom_milestones::attempts + 1),
            ))
            .execute(conn)?,
        None => diesel::update(target.filter(custom_milestones::order_id.is_null()))
            .set((
                custom_milestones::order_id.eq(Some(order.get())),
                custom_milestones::attempts.eq(custom_milestones::attempts + 1),
            ))
            .execute(conn)?,
    };
    Ok(n == 1)
}

/// The custom order a milestone's order pays, and the milestone's position.
pub fn of_order(conn: &mut DbConn, order: OrderId) -> QueryResult<Option<(CustomOrderId, i32)>> {
    custom_milestones::table
        .filter(custom_milestones::order_id.eq(order.get()))
        .select((custom_milestones::custom_order_id, custom_milestones::position))
        .first::<(i64, i32)>(conn)
        .optional()
        .map(|r| r.map(|(c, p)| (CustomOrderId(c), p)))
}

pub fn insert_progress(
    conn: &mut DbConn,
    id: CustomOrderId,
    position: i32,
    photo_key: &str,
    note: &str,
    by: UserId,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(custom_progress::table)
        .values((
            custom_progress::custom_order_id.eq(id.get()),
            custom_progress::position.eq(position),
            custom_progress::photo_key.eq(photo_key),
            custom_progress::note.eq(note),
            custom_progress::posted_by.eq(by.get()),
            custom_progress::posted_at.eq(now),
        ))
        .returning(custom_progress::id)
        .get_result(conn)
}

pub fn progress(conn: &mut DbConn, id: CustomOrderId) -> QueryResult<Vec<ProgressRow>> {
    custom_progress::table
        .filter(custom_progress::custom_order_id.eq(id.get()))
        .order(custom_progress::id)
        .select(ProgressRow::as_select())
        .load(conn)
}

/// Settles lines now: the money of milestones a buyer's late cancellation leaves earned.
pub fn settle_lines(conn: &mut DbConn, lines: &[i64], at: NaiveDateTime) -> QueryResult<usize> {
    use super::schema::order_lines;
    diesel::update(order_lines::table.filter(order_lines::id.eq_any(lines)).filter(order_lines::settled_at.is_null()))
        .set(order_lines::settled_at.eq(Some(at)))
        .execute(conn)
}

/// Counts a custom piece's milestone sale, as a made-to-order sale is counted (it is never
/// listed, so the checkout's "on sale" condition does not apply).
pub fn count_piece(conn: &mut DbConn, product: i64) -> QueryResult<usize> {
    use super::schema::products;
    diesel::update(products::table.find(product)).set(products::sold_count.eq(products::sold_count + 1)).execute(conn)
}

//! Message threads between a buyer and a workshop, and their messages (migration
//! `2026-12-12-000001_messages`), and what lists name them by: workshops, pieces, orders and
//! buyers.
//!
//! A thread is unique per buyer, workshop and subject: [`open`] finds it or makes it (two
//! racing first questions meet the unique key, and the loser reads the winner's thread).

use super::schema::{message_threads, messages, orders, products, users, workshops};
use super::DbConn;
use crate::domain::account::UserId;
use crate::domain::message::{Side, SubjectKind};
use crate::domain::WorkshopId;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

/// A thread as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = message_threads)]
pub struct ThreadRow {
    pub id: i64,
    pub buyer_id: i64,
    pub workshop_id: i64,
    pub subject_kind: String,
    pub subject_id: i64,
    pub last_message_at: NaiveDateTime,
    pub buyer_unread: bool,
    pub workshop_unread: bool,
    pub reported_at: Option<NaiveDateTime>,
    pub report_reason: Option<String>,
    pub created_at: NaiveDateTime,
}

/// A message as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = messages)]
pub struct MessageRow {
    pub id: i64,
    pub thread_id: i64,
    pub author_id: i64,
    pub from_side: String,
    pub body: String,
    pub created_at: NaiveDateTime,
}

/// The thread of `buyer`, `workshop` and the subject, made if there is none; returns its id
/// and whether it is new.
pub fn open(
    conn: &mut DbConn,
    buyer: UserId,
    workshop: WorkshopId,
    (kind, subject): (SubjectKind, i64),
    now: NaiveDateTime,
) -> QueryResult<(i64, bool)> {
    let made = super::tx::insert_if_absent(conn, |c| {
        diesel::insert_into(message_threads::table)
            .values((
                message_threads::buyer_id.eq(buyer.get()),
                message_threads::workshop_id.eq(workshop.get()),
                message_threads::subject_kind.eq(kind.as_str()),
                message_threads::subject_id.eq(subject),
                message_threads::last_message_at.eq(now),
                message_threads::created_at.eq(now),
            ))
            .execute(c)
    })?;
    let id = message_threads::table
        .filter(message_threads::buyer_id.eq(buyer.get()))
        .filter(message_threads::workshop_id.eq(workshop.get()))
        .filter(message_threads::subject_kind.eq(kind.as_str()))
        .filter(message_threads::subject_id.eq(subject))
        .select(message_threads::id)
        .first(conn)?;
    Ok((id, made))
}

/// Adds a message to a thread and marks it unread for the other side.
pub fn post(
    conn: &mut DbConn,
    thread: i64,
    author: UserId,
    side: Side,
    body: &str,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let id = diesel::insert_into(messages::table)
        .values((
            messages::thread_id.eq(thread),
            messages::author_id.eq(author.get()),
            messages::from_side.eq(side.as_str()),
            messages::body.eq(body),
            messages::created_at.eq(now),
        ))
        .returning(messages::id)
        .get_result(conn)?;
    let target = message_threads::table.find(thread);
    match side {
        Side::Buyer => diesel::update(target)
            .set((message_threads::last_message_at.eq(now), message_threads::workshop_unread.eq(true)))
            .execute(conn)?,
        Side::Workshop => diesel::update(target)
            .set((message_threads::last_message_at.eq(now), message_threads::buyer_unread.eq(true)))
            .execute(conn)?,
    };
    Ok(id)
}

/// Serialises one author's messages for the rest of the transaction, so that two nodes
/// cannot both pass the rate limit with the last message it allows (an UPDATE locks the row
/// on PostgreSQL; SQLite's writer already holds its lock).
pub fn lock_author(conn: &mut DbConn, author: UserId) -> QueryResult<()> {
    diesel::update(users::table.find(author.get())).set(users::updated_at.eq(users::updated_at)).execute(conn)?;
    Ok(())
}

/// How many messages `author` sent since `since`, and when the oldest of them was sent (the
/// rate limit, and its wait).
pub fn sent_since(
    conn: &mut DbConn,
    author: UserId,
    since: NaiveDateTime,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    messages::table
        .filter(messages::author_id.eq(author.get()))
        .filter(messages::created_at.ge(since))
        .select((diesel::dsl::count_star(), diesel::dsl::min(messages::created_at)))
        .first(conn)
}

/// How many threads `buyer` opened since `since`, and when the oldest of them was opened (the
/// rate limit on new threads).
pub fn opened_since(
    conn: &mut DbConn,
    buyer: UserId,
    since: NaiveDateTime,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    message_threads::table
        .filter(message_threads::buyer_id.eq(buyer.get()))
        .filter(message_threads::created_at.ge(since))
        .select((diesel::dsl::count_star(), diesel::dsl::min(message_threads::created_at)))
        .first(conn)
}

/// One thread by id.
pub fn thread(conn: &mut DbConn, id: i64) -> QueryResult<Option<ThreadRow>> {
    message_threads::table.find(id).select(ThreadRow::as_select()).first(conn).optional()
}

/// A thread's messages, oldest first.
pub fn messages_of(conn: &mut DbConn, thread: i64) -> QueryResult<Vec<MessageRow>> {
    messages::table
        .filter(messages::thread_id.eq(thread))
        .order(messages::id)
        .select(MessageRow::as_select())
        .load(conn)
}

/// Threads, newest activity first: a buyer's, a workshop's, or (neither) the reported ones.
pub fn threads(
    conn: &mut DbConn,
    buyer: Option<UserId>,
    workshop: Option<WorkshopId>,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<ThreadRow>, i64)> {
    let scoped = || {
        let mut q = message_threads::table.into_boxed();
        match (buyer, workshop) {
            (Some(b), _) => q = q.filter(message_threads::buyer_id.eq(b.get())),
            (None, Some(w)) => q = q.filter(message_threads::workshop_id.eq(w.get())),
            (None, None) => q = q.filter(message_threads::reported_at.is_not_null()),
        }
        q
    };
    let total = scoped().count().get_result(conn)?;
    let rows = scoped()
        .order((message_threads::last_message_at.desc(), message_threads::id.desc()))
        .select(ThreadRow::as_select())
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok((rows, total))
}

/// Marks a thread read by one side.
pub fn mark_read(conn: &mut DbConn, thread: i64, side: Side) -> QueryResult<()> {
    let target = message_threads::table.find(thread);
    match side {
        Side::Buyer => diesel::update(target).set(message_threads::buyer_unread.eq(false)).execute(conn)?,
        Side::Workshop => diesel::update(target).set(message_threads::workshop_unread.eq(false)).execute(conn)?,
    };
    Ok(())
}

/// Reports a thread to operators, once; false when it was reported already.
pub fn report(conn: &mut DbConn, thread: i64, by: UserId, reason: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(message_threads::table.find(thread).filter(message_threads::reported_at.is_null()))
        .set((
            message_threads::reported_by.eq(by.get()),
            message_threads::reported_at.eq(now),
            message_threads::report_reason.eq(reason),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// A listed product's workshop: what a question about it goes to.
pub fn product_workshop(conn: &mut DbConn, product: i64) -> QueryResult<Option<i64>> {
    products::table.find(product).select(products::workshop_id).first(conn).optional()
}

/// What lists call the threads' workshops, pieces, orders and buyers.
#[derive(Debug, Default)]
pub struct Labels {
    /// Workshop id → (name zh, name en).
    pub workshops: HashMap<i64, (String, String)>,
    /// Product id → (slug, title zh, title en).
    pub products: HashMap<i64, (String, String, String)>,
    /// Order id → its number.
    pub orders: HashMap<i64, String>,
    /// Buyer id → display name.
    pub buyers: HashMap<i64, String>,
}

/// The labels of `rows`, four queries in all.
pub fn labels(conn: &mut DbConn, rows: &[ThreadRow]) -> QueryResult<Labels> {
    let of = |kind: SubjectKind| -> Vec<i64> {
        rows.iter().filter(|r| r.subject_kind == kind.as_str()).map(|r| r.subject_id).collect()
    };
    let workshop_ids: Vec<i64> = rows.iter().map(|r| r.workshop_id).collect();
    let buyer_ids: Vec<i64> = rows.iter().map(|r| r.buyer_id).collect();
    let workshops = workshops::table
        .filter(workshops::id.eq_any(&workshop_ids))
        .select((workshops::id, workshops::name_zh, workshops::name_en))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, zh, en)| (id, (zh, en)))
        .collect();
    let products = products::table
        .filter(products::id.eq_any(of(SubjectKind::Product)))
        .select((products::id, products::slug, products::title_zh, products::title_en))
        .load::<(i64, String, String, String)>(conn)?
        .into_iter()
        .map(|(id, slug, zh, en)| (id, (slug, zh, en)))
        .collect();
    let orders = orders::table
        .filter(orders::id.eq_any(of(SubjectKind::Order)))
        .select((orders::id, orders::number))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let buyers = users::table
        .filter(users::id.eq_any(&buyer_ids))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    Ok(Labels { workshops, products, orders, buyers })
}

/// Workshops by id, in `ids`' order: `(id, name zh, name en)`.
pub fn workshop_names(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<(i64, String, String)>> {
    let rows: Vec<(i64, String, String)> = workshops::table
        .filter(workshops::id.eq_any(ids))
        .select((workshops::id, workshops::name_zh, workshops::name_en))
        .load(conn)?;
    Ok(ids.iter().filter_map(|id| rows.iter().find(|r| r.0 == *id).cloned()).collect())
}

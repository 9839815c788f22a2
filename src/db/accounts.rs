//! Users, their session and bearer tokens, one-time links (password reset, invitation) and
//! recent login failures. Tokens are looked up by their SHA-256 only.

use super::schema::{auth_tokens, login_failures, one_time_tokens, users};
use super::DbConn;
use crate::domain::account::{Principal, Role, UserId};
use crate::domain::WorkshopId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A user as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub display_name: String,
    pub lang: String,
    pub role: String,
    pub workshop_id: Option<i64>,
    pub region_code: Option<String>,
}

impl UserRow {
    /// The user as a principal; `None` for a row whose role columns disagree.
    pub fn principal(&self) -> Option<Principal> {
        Some(Principal {
            user_id: UserId(self.id),
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            role: Role::from_columns(&self.role, self.workshop_id, self.region_code.as_deref())?,
        })
    }
}

/// A new user.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub email: String,
    pub password_hash: String,
    pub display_name: String,
    pub lang: String,
    pub role: String,
    pub workshop_id: Option<i64>,
    pub region_code: Option<String>,
    pub is_demo: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewUser {
    /// A user with `role` (and its scope), created now.
    pub fn new(email: &str, password_hash: String, display_name: &str, lang: &str, role: &Role) -> NewUser {
        let now = super::now();
        NewUser {
            email: email.to_owned(),
            password_hash,
            display_name: display_name.to_owned(),
            lang: lang.to_owned(),
            role: role.name().to_owned(),
            workshop_id: role.workshop().map(|w| w.get()),
            region_code: role.region().map(|r| r.as_str().to_owned()),
            is_demo: false,
            created_at: now,
            updated_at: now,
        }
    }
}

/// Inserts a user and returns its id (a taken address is a unique violation).
pub fn insert_user(conn: &mut DbConn, user: &NewUser) -> QueryResult<i64> {
    diesel::insert_into(users::table).values(user).returning(users::id).get_result(conn)
}

pub fn user_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<UserRow>> {
    users::table.filter(users::email.eq(email)).select(UserRow::as_select()).first(conn).optional()
}

pub fn user_by_id(conn: &mut DbConn, id: UserId) -> QueryResult<Option<UserRow>> {
    users::table.find(id.get()).select(UserRow::as_select()).first(conn).optional()
}

/// Staff of a workshop, managers first.
pub fn workshop_staff(conn: &mut DbConn, workshop: i64) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::workshop_id.eq(workshop))
        .order((users::role.desc(), users::id))
        .select(UserRow::as_select())
        .load(conn)
}

pub fn set_password(conn: &mut DbConn, user: UserId, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(user.get()))
        .set((users::password_hash.eq(hash), users::updated_at.eq(super::now())))
        .execute(conn)
}

/// Gives a user a new role and scope.
pub fn set_role(conn: &mut DbConn, user: UserId, role: &Role) -> QueryResult<usize> {
    diesel::update(users::table.find(user.get()))
        .set((
            users::role.eq(role.name()),
            users::workshop_id.eq(role.workshop().map(|w| w.get())),
            users::region_code.eq(role.region().map(|r| r.as_str().to_owned())),
            users::updated_at.eq(super::now()),
        ))
        .execute(conn)
}

/// Stores a session or bearer token (by hash).
pub fn insert_token(
    conn: &mut DbConn,
    hash: &str,
    user: UserId,
    kind: &str,
    label: &str,
    expires_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(auth_tokens::table)
        .values((
            auth_tokens::token_hash.eq(hash),
            auth_tokens::user_id.eq(user.get()),
            auth_tokens::kind.eq(kind),
            auth_tokens::label.eq(label),
            auth_tokens::created_at.eq(super::now()),
            auth_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
}

/// The user behind a live token of `kind`.
pub fn user_by_token(conn: &mut DbConn, hash: &str, kind: &str, now: NaiveDateTime) -> QueryResult<Option<UserRow>> {
    auth_tokens::table
        .inner_join(users::table)
        .filter(auth_tokens::token_hash.eq(hash))
        .filter(auth_tokens::kind.eq(kind))
        .filter(auth_tokens::expires_at.gt(now))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn delete_token(conn: &mut DbConn, hash: &str) -> QueryResult<usize> {
    diesel::delete(auth_tokens::table.filter(auth_tokens::token_hash.eq(hash))).execute(conn)
}

/// Ends every session and token of a user (after a password reset or a role change).
pub fn delete_user_tokens(conn: &mut DbConn, user: UserId) -> QueryResult<usize> {
    diesel::delete(auth_tokens::table.filter(auth_tokens::user_id.eq(user.get()))).execute(conn)
}

/// A one-time link waiting to be used.
#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = one_time_tokens)]
pub struct OneTimeToken {
    pub token_hash: String,
    pub purpose: String,
    pub user_id: Option<i64>,
    pub email: String,
    pub role: Option<String>,
    pub workshop_id: Option<i64>,
    pub region_code: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert_one_time(conn: &mut DbConn, token: &OneTimeToken) -> QueryResult<usize> {
    diesel::insert_into(one_time_tokens::table).values(token).execute(conn)
}

/// A link that is still valid (unused, unexpired), without using it.
pub fn peek_one_time(
    conn: &mut DbConn,
    hash: &str,
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<OneTimeToken>> {
    one_time_tokens::table
        .filter(one_time_tokens::token_hash.eq(hash))
        .filter(one_time_tokens::purpose.eq(purpose))
        .filter(one_time_tokens::used_at.is_null())
        .filter(one_time_tokens::expires_at.gt(now))
        .select(OneTimeToken::as_select())
        .first(conn)
        .optional()
}

/// Uses a link: marks it used in the same statement that checks it, so that two requests
/// racing with one link cannot both succeed.
pub fn take_one_time(conn: &mut DbConn, hash: &str, purpose: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        one_time_tokens::table
            .filter(one_time_tokens::token_hash.eq(hash))
            .filter(one_time_tokens::purpose.eq(purpose))
            .filter(one_time_tokens::used_at.is_null())
            .filter(one_time_tokens::expires_at.gt(now)),
    )
    .set(one_time_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Failed logins since `since`, for an account and for a client address.
pub fn recent_failures(conn: &mut DbConn, account: &str, ip: &str, since: NaiveDateTime) -> QueryResult<(i64, i64)> {
    let by_account = login_failures::table
        .filter(login_failures::account.eq(account))
        .filter(login_failures::at.gt(since))
        .count()
        .get_result(conn)?;
    let by_ip = login_failures::table
        .filter(login_failures::ip.eq(ip))
        .filter(login_failures::at.gt(since))
        .count()
        .get_result(conn)?;
    Ok((by_account, by_ip))
}

/// The newest failure for an account or an address since `since` (the lockout ends a window after it).
pub fn newest_failure(
    conn: &mut DbConn,
    account: &str,
    ip: &str,
    since: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    login_failures::table
        .filter(login_failures::account.eq(account).or(login_failures::ip.eq(ip)))
        .filter(login_failures::at.gt(since))
        .select(diesel::dsl::max(login_failures::at))
        .first(conn)
}

/// Records a failed (or not yet checked) login; returns its id.
pub fn record_failure(conn: &mut DbConn, account: &str, ip: &str, at: NaiveDateTime) -> QueryResult<i64> {
    diesel::insert_into(login_failures::table)
        .values((login_failures::account.eq(account), login_failures::ip.eq(ip), login_failures::at.eq(at)))
        .returning(login_failures::id)
        .get_result(conn)
}

pub fn delete_failure(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::delete(login_failures::table.find(id)).execute(conn)
}

/// Reset links of a user that still work.
pub fn live_resets(conn: &mut DbConn, user: i64, now: NaiveDateTime) -> QueryResult<i64> {
    one_time_tokens::table
        .filter(one_time_tokens::user_id.eq(user))
        .filter(one_time_tokens::purpose.eq("password_reset"))
        .filter(one_time_tokens::used_at.is_null())
        .filter(one_time_tokens::expires_at.gt(now))
        .count()
        .get_result(conn)
}

/// Ends every reset link of a user (after one of them was used).
pub fn end_resets(conn: &mut DbConn, user: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        one_time_tokens::table
            .filter(one_time_tokens::user_id.eq(user))
            .filter(one_time_tokens::purpose.eq("password_reset"))
            .filter(one_time_tokens::used_at.is_null()),
    )
    .set(one_time_tokens::used_at.eq(Some(now)))
    .execute(conn)
}

/// Forgets an account's failures after it signs in, and failures older than `before`.
pub fn clear_failures(conn: &mut DbConn, account: &str, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::account.eq(account).or(login_failures::at.lt(before))))
        .execute(conn)
}

/// Whom a notice goes to: address, language and name.
#[derive(Debug, Clone, Queryable)]
pub struct Recipient {
    pub email: String,
    pub lang: String,
    pub name: String,
}

/// A user as an e-mail's recipient.
pub fn recipient(conn: &mut DbConn, user: i64) -> QueryResult<Recipient> {
    users::table.find(user).select((users::email, users::lang, users::display_name)).first(conn)
}

/// A workshop's managers, as recipients of its e-mails (new orders, buyers' messages).
pub fn workshop_managers(conn: &mut DbConn, workshop: i64) -> QueryResult<Vec<Recipient>> {
    users::table
        .filter(users::workshop_id.eq(workshop))
        .filter(users::role.eq(Role::Manager(WorkshopId(workshop)).name()))
        .order(users::id)
        .select((users::email, users::lang, users::display_name))
        .load(conn)
}

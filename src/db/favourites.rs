//! Favourite pieces, kept by an account or, until it signs in, by a browser (under the hash of
//! its `gf_cart` token, as the cart is), and the workshops an account follows.

use super::carts::CartOwner;
use super::schema::{favourites, workshop_follows, workshops};
use super::DbConn;
use crate::domain::{ProductId, WorkshopId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The most favourites one owner keeps: a list to come back to, not a copy of the catalogue.
pub const MAX_FAVOURITES: i64 = 500;

/// The owner's favourite products, newest first.
pub fn list(conn: &mut DbConn, owner: &CartOwner) -> QueryResult<Vec<ProductId>> {
    let query = favourites::table.select(favourites::product_id).order(favourites::id.desc()).into_boxed();
    let ids: Vec<i64> = match owner {
        CartOwner::User(id) => query.filter(favourites::user_id.eq(*id)).load(conn)?,
        CartOwner::Browser(hash) => query.filter(favourites::browser_hash.eq(hash.clone())).load(conn)?,
    };
    Ok(ids.into_iter().map(ProductId).collect())
}

/// How many favourites the owner keeps.
pub fn count(conn: &mut DbConn, owner: &CartOwner) -> QueryResult<i64> {
    let query = favourites::table.count().into_boxed();
    match owner {
        CartOwner::User(id) => query.filter(favourites::user_id.eq(*id)).get_result(conn),
        CartOwner::Browser(hash) => query.filter(favourites::browser_hash.eq(hash.clone())).get_result(conn),
    }
}

/// Keeps `product` among the owner's favourites; false when it already was (a second add
/// racing this one meets the unique pair).
pub fn add(conn: &mut DbConn, owner: &CartOwner, product: ProductId, now: NaiveDateTime) -> QueryResult<bool> {
    let (user, browser) = match owner {
        CartOwner::User(id) => (Some(*id), None),
        CartOwner::Browser(hash) => (None, Some(hash.clone())),
    };
    super::tx::insert_if_absent(conn, |c| {
        diesel::insert_into(favourites::table)
            .values((
                favourites::user_id.eq(user),
                favourites::browser_hash.eq(browser.clone()),
                favourites::product_id.eq(product.get()),
                favourites::created_at.eq(now),
            ))
            .execute(c)
    })
}

/// Drops `product` from the owner's favourites; false when it was not there.
pub fn remove(conn: &mut DbConn, owner: &CartOwner, product: ProductId) -> QueryResult<bool> {
    let rows = favourites::table.filter(favourites::product_id.eq(product.get()));
    let n = match owner {
        CartOwner::User(id) => diesel::delete(rows.filter(favourites::user_id.eq(*id))).execute(conn)?,
        CartOwner::Browser(hash) => {
            diesel::delete(rows.filter(favourites::browser_hash.eq(hash.clone()))).execute(conn)?
        }
    };
    Ok(n > 0)
}

/// Moves a browser's favourites to the account that signed in on it; those the account
/// already keeps are dropped. Returns how many moved.
pub fn merge(conn: &mut DbConn, browser_hash: &str, user: i64) -> QueryResult<usize> {
    let kept: Vec<i64> =
        favourites::table.filter(favourites::user_id.eq(user)).select(favourites::product_id).load(conn)?;
    diesel::delete(
        favourites::table.filter(favourites::browser_hash.eq(browser_hash)).filter(favourites::product_id.eq_any(kept)),
    )
    .execute(conn)?;
    diesel::update(favourites::table.filter(favourites::browser_hash.eq(browser_hash)))
        .set((favourites::user_id.eq(Some(user)), favourites::browser_hash.eq(None::<String>)))
        .execute(conn)
}

/// Forgets the favourites of browsers that kept them before `before` and never signed in.
pub fn purge_abandoned(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        favourites::table.filter(favourites::browser_hash.is_not_null()).filter(favourites::created_at.lt(before)),
    )
    .execute(conn)
}

/// Whether `user` follows `workshop`.
pub fn follows(conn: &mut DbConn, user: i64, workshop: WorkshopId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        workshop_follows::table
            .filter(workshop_follows::user_id.eq(user))
            .filter(workshop_follows::workshop_id.eq(workshop.get())),
    ))
    .get_result(conn)
}

/// Follows or unfollows a workshop; returns whether anything changed.
pub fn set_follow(
    conn: &mut DbConn,
    user: i64,
    workshop: WorkshopId,
    follow: bool,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let existing = workshop_follows::table
        .filter(workshop_follows::user_id.eq(user))
        .filter(workshop_follows::workshop_id.eq(workshop.get()));
    if !follow {
        return Ok(diesel::delete(existing).execute(conn)? > 0);
    }
    super::tx::insert_if_absent(conn, |c| {
        diesel::insert_into(workshop_follows::table)
            .values((
                workshop_follows::user_id.eq(user),
                workshop_follows::workshop_id.eq(workshop.get()),
                workshop_follows::created_at.eq(now),
            ))
            .execute(c)
    })
}

/// How many accounts follow `workshop`.
pub fn followers(conn: &mut DbConn, workshop: WorkshopId) -> QueryResult<i64> {
    workshop_follows::table.filter(workshop_follows::workshop_id.eq(workshop.get())).count().get_result(conn)
}

/// The listed workshops `user` follows, newest first: (slug, name in Chinese, in English).
pub fn followed(conn: &mut DbConn, user: i64) -> QueryResult<Vec<(String, String, String)>> {
    workshop_follows::table
        .inner_join(workshops::table.on(workshops::id.eq(workshop_follows::workshop_id)))
        .filter(workshop_follows::user_id.eq(user))
        .filter(workshops::status.eq("active"))
        .order(workshop_follows::created_at.desc())
        .select((workshops::slug, workshops::name_zh, workshops::name_en))
        .load(conn)
}

/// The id of the listed workshop with this slug.
pub fn listed_workshop(conn: &mut DbConn, slug: &str) -> QueryResult<Option<WorkshopId>> {
    Ok(super::catalog::workshop_by_slug(conn, slug)?.map(|w| WorkshopId(w.id)))
}

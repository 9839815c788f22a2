//! Reviews in the database: which order line a buyer may review, writing a review with its
//! photos, a product's page of visible reviews, "helpful" votes, a workshop's reply, hiding,
//! and the product's rating count and sum (kept on its row for pages, search and sorting).

use super::schema::{order_lines, orders, products, review_photos, review_votes, reviews, shipments};
use super::DbConn;
use crate::domain::account::UserId;
use crate::domain::ids::{ProductId, WorkshopId};
use crate::domain::order::ShipmentStatus;
use crate::domain::review::{CheckedReview, ReviewSort, ShownAs};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A review as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reviews)]
pub struct ReviewRow {
    pub id: i64,
    pub order_line_id: i64,
    pub product_id: i64,
    pub workshop_id: i64,
    pub user_id: i64,
    pub rating: i32,
    pub body: String,
    pub shown_as: String,
    pub author_name: Option<String>,
    pub province_code: Option<String>,
    pub helpful_count: i64,
    pub reply_body: Option<String>,
    pub replied_at: Option<NaiveDateTime>,
    pub hidden_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// A photo of a review.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = review_photos)]
pub struct PhotoRow {
    pub review_id: i64,
    pub position: i32,
    pub path: String,
    pub width: i32,
    pub height: i32,
}

/// A delivered order line the buyer may review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewable {
    pub line: i64,
    pub product: ProductId,
    pub workshop: WorkshopId,
    pub title_zh: String,
    pub title_en: String,
    pub variant_zh: Option<String>,
    pub variant_en: Option<String>,
    /// The region the parcel went to (none abroad).
    pub region_code: Option<String>,
    /// Whether the line already has its review.
    pub reviewed: bool,
}

/// The columns of a line [`reviewable`] reads.
#[derive(Debug, Clone, Queryable)]
struct LineToReview {
    line: i64,
    product: i64,
    workshop: i64,
    title_zh: String,
    title_en: String,
    variant_zh: Option<String>,
    variant_en: Option<String>,
    region_code: Option<String>,
}

/// The order line `line` of order `number`, if `user` bought it and its parcel was delivered.
pub fn reviewable(conn: &mut DbConn, user: UserId, number: &str, line: i64) -> QueryResult<Option<Reviewable>> {
    let row: Option<LineToReview> = order_lines::table
        .inner_join(orders::table)
        .inner_join(shipments::table.on(shipments::id.eq(order_lines::shipment_id)))
        .filter(order_lines::id.eq(line))
        .filter(orders::number.eq(number))
        .filter(orders::user_id.eq(user.get()))
        .filter(shipments::status.eq(ShipmentStatus::Delivered.as_str()))
        .select((
            order_lines::id,
            order_lines::product_id,
            order_lines::workshop_id,
            order_lines::title_zh,
            order_lines::title_en,
            order_lines::variant_zh,
            order_lines::variant_en,
            orders::region_code,
        ))
        .first(conn)
        .optional()?;
    let Some(LineToReview { line, product, workshop, title_zh, title_en, variant_zh, variant_en, region_code }) = row
    else {
        return Ok(None);
    };
    let reviewed =
        diesel::select(diesel::dsl::exists(reviews::table.filter(reviews::order_line_id.eq(line)))).get_result(conn)?;
    Ok(Some(Reviewable {
        line,
        product: ProductId(product),
        workshop: WorkshopId(workshop),
        title_zh,
        title_en,
        variant_zh,
        variant_en,
        region_code,
        reviewed,
    }))
}

/// The lines of an order that have a review (for the order page's "reviewed" marks).
pub fn reviewed_lines(conn: &mut DbConn, lines: &[i64]) -> QueryResult<Vec<i64>> {
    reviews::table.filter(reviews::order_line_id.eq_any(lines)).select(reviews::order_line_id).load(conn)
}

/// The author as the review will name them.
#[derive(Debug, Clone)]
pub struct Author {
    pub user: UserId,
    pub name: Option<String>,
    pub province_code: Option<String>,
}

/// Writes a review of `of` (in the caller's write transaction); `None` when the line already
/// has one (the unique line meets a second, racing writer too).
pub fn insert(
    conn: &mut DbConn,
    of: &Reviewable,
    author: &Author,
    review: &CheckedReview,
    now: NaiveDateTime,
) -> QueryResult<Option<i64>> {
    let mut id = None;
    let inserted = super::tx::insert_if_absent(conn, |c| {
        let got: i64 = diesel::insert_into(reviews::table)
            .values((
                reviews::order_line_id.eq(of.line),
                reviews::product_id.eq(of.product.get()),
                reviews::workshop_id.eq(of.workshop.get()),
                reviews::user_id.eq(author.user.get()),
                reviews::rating.eq(review.rating.get()),
                reviews::body.eq(&review.body),
                reviews::shown_as.eq(review.shown_as.as_str()),
                reviews::author_name.eq(author.name.as_deref().filter(|_| review.shown_as == ShownAs::Name)),
                reviews::province_code.eq(&author.province_code),
                reviews::created_at.eq(now),
            ))
            .returning(reviews::id)
            .get_result(c)?;
        id = Some(got);
        Ok(1)
    })?;
    if !inserted {
        return Ok(None);
    }
    recount(conn, of.product)?;
    Ok(id)
}

/// Records a stored photo of a review.
pub fn add_photo(
    conn: &mut DbConn,
    review: i64,
    position: i32,
    (path, dir): (&str, &str),
    (width, height): (i32, i32),
) -> QueryResult<()> {
    diesel::insert_into(review_photos::table)
        .values((
            review_photos::review_id.eq(review),
            review_photos::position.eq(position),
            review_photos::path.eq(path),
            review_photos::dir.eq(dir),
            review_photos::width.eq(width),
            review_photos::height.eq(height),
        ))
        .execute(conn)?;
    Ok(())
}

/// Puts a product's count and sum of visible ratings on its row (which queues its search
/// document and tells the page cache, by the product's own triggers).
pub fn recount(conn: &mut DbConn, product: ProductId) -> QueryResult<()> {
    let ratings: Vec<i32> = reviews::table
        .filter(reviews::product_id.eq(product.get()))
        .filter(reviews::hidden_at.is_null())
        .select(reviews::rating)
        .load(conn)?;
    let count = i64::try_from(ratings.len()).unwrap_or(i64::MAX);
    let sum: i64 = ratings.iter().map(|r| i64::from(*r)).sum();
    diesel::update(products::table.find(product.get()))
        .set((products::rating_count.eq(count), products::rating_sum.eq(sum)))
        .execute(conn)?;
    Ok(())
}

/// One page of a product's visible reviews, in `sort` order, and how many there are.
pub fn page(
    conn: &mut DbConn,
    product: ProductId,
    sort: ReviewSort,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<ReviewRow>, i64)> {
    let visible = || {
        reviews::table.filter(reviews::product_id.eq(product.get())).filter(reviews::hidden_at.is_null()).into_boxed()
    };
    let total: i64 = visible().count().get_result(conn)?;
    let query = match sort {
        ReviewSort::Newest => visible().order((reviews::created_at.desc(), reviews::id.desc())),
        ReviewSort::Helpful => {
            visible().order((reviews::helpful_count.desc(), reviews::created_at.desc(), reviews::id.desc()))
        }
    };
    let rows = query.select(ReviewRow::as_select()).offset(offset).limit(limit).load(conn)?;
    Ok((rows, total))
}

/// A workshop's reviews, hidden ones too, newest first, and how many there are (the portal).
/// With no workshop, every workshop's (an operator's view).
pub fn of_workshop(
    conn: &mut DbConn,
    workshop: Option<WorkshopId>,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<ReviewRow>, i64)> {
    let scoped = || {
        let q = reviews::table.into_boxed();
        match workshop {
            Some(w) => q.filter(reviews::workshop_id.eq(w.get())),
            None => q,
        }
    };
    let total: i64 = scoped().count().get_result(conn)?;
    let rows = scoped()
        .order((reviews::created_at.desc(), reviews::id.desc()))
        .select(ReviewRow::as_select())
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok((rows, total))
}

/// One review by id.
pub fn get(conn: &mut DbConn, id: i64) -> QueryResult<Option<ReviewRow>> {
    reviews::table.find(id).select(ReviewRow::as_select()).first(conn).optional()
}

/// The photos of some reviews, in order.
pub fn photos_of(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<PhotoRow>> {
    review_photos::table
        .filter(review_photos::review_id.eq_any(ids))
        .order((review_photos::review_id, review_photos::position))
        .select(PhotoRow::as_select())
        .load(conn)
}

/// The products' titles by id (for the portal's list), as (id, zh, en, slug).
pub fn titles(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<(i64, String, String, String)>> {
    products::table
        .filter(products::id.eq_any(ids))
        .select((products::id, products::title_zh, products::title_en, products::slug))
        .load(conn)
}

/// Counts `user`'s "helpful" vote on a review, once; false when they had voted already.
pub fn vote(conn: &mut DbConn, review: i64, user: UserId, now: NaiveDateTime) -> QueryResult<bool> {
    let counted = super::tx::insert_if_absent(conn, |c| {
        diesel::insert_into(review_votes::table)
            .values((
                review_votes::review_id.eq(review),
                review_votes::user_id.eq(user.get()),
                review_votes::created_at.eq(now),
            ))
            .execute(c)
    })?;
    if counted {
        diesel::update(reviews::table.find(review))
            .set(reviews::helpful_count.eq(reviews::helpful_count + 1))
            .execute(conn)?;
    }
    Ok(counted)
}

/// Sets the workshop's reply if the review has none; false when it already had one.
pub fn reply(conn: &mut DbConn, review: i64, by: UserId, body: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(reviews::table.find(review).filter(reviews::reply_body.is_null()))
        .set((reviews::reply_body.eq(body), reviews::replied_by.eq(by.get()), reviews::replied_at.eq(now)))
        .execute(conn)?;
    Ok(n == 1)
}

/// Hides a visible review and recounts its product; false when it was hidden already.
pub fn hide(conn: &mut DbConn, review: &ReviewRow, by: UserId, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(reviews::table.find(review.id).filter(reviews::hidden_at.is_null()))
        .set((reviews::hidden_by.eq(by.get()), reviews::hidden_at.eq(now)))
        .execute(conn)?;
    if n == 1 {
        recount(conn, ProductId(review.product_id))?;
    }
    Ok(n == 1)
}

//! Reviews (issue 20): a buyer whose parcel was delivered reviews each piece once per order
//! line (a rating, a text in any language, up to four photos through the photo pipeline);
//! the workshop replies once; an operator hides a review with an audited reason; product
//! pages list the visible ones, newest or most helpful first, with their average and count.
//!
//! A review names its author as they chose: their display name, or "a buyer from <province>"
//! (the province the parcel went to). It holds nothing of the makers, so it cannot reveal a
//! maker's household status.

use crate::accounts::authz::{authorize, Action, Denial};
use crate::catalog::reference::Reference;
use crate::catalog::views::Text;
use crate::clock::Clock;
use crate::db::audit::{self, AuditEvent};
use crate::db::reviews::{self as q, Author, PhotoRow, ReviewRow, Reviewable};
use crate::db::Db;
use crate::domain::account::{Principal, Role};
use crate::domain::review::{
    self, average, HideInput, ReplyInput, ReviewInput, ReviewSort, ShownAs, MAX_PHOTOS, PAGE_SIZE,
};
use crate::domain::{ProductId, RegionCode, WorkshopId};
use crate::error::AppError;
use crate::portal::Portal;
use serde::Serialize;
use std::sync::Arc;

/// A review as pages and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReviewView {
    pub id: i64,
    /// 1 to 5.
    pub rating: i32,
    pub body: String,
    /// The author's display name, when they chose to be named.
    pub author_name: Option<String>,
    /// The province the parcel went to, when they chose "a buyer from <province>" (none for a
    /// parcel abroad: "a buyer").
    pub author_province: Option<Text>,
    pub photos: Vec<ReviewPhoto>,
    /// How many buyers found it helpful.
    pub helpful: i64,
    pub reply: Option<ReplyView>,
    #[serde(serialize_with = "crate::clock::china_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    /// Hidden by an operator (only the portal lists hidden reviews).
    pub hidden: bool,
}

/// A photo of a review: `/media/{path}`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReviewPhoto {
    pub path: String,
    pub width: i32,
    pub height: i32,
}

/// The workshop's reply.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReplyView {
    pub body: String,
    #[serde(serialize_with = "crate::clock::china_time")]
    #[schema(value_type = String, format = DateTime)]
    pub at: chrono::NaiveDateTime,
}

/// A product's rating: the average of its visible reviews, to one decimal, and their count.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema, PartialEq)]
pub struct RatingSummary {
    pub average: Option<f64>,
    pub count: i64,
}

impl RatingSummary {
    pub fn of(sum: i64, count: i64) -> RatingSummary {
        RatingSummary { average: average(sum, count), count }
    }
}

/// One page of a product's reviews.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReviewPage {
    pub reviews: Vec<ReviewView>,
    /// `newest` or `helpful`.
    pub sort: ReviewSort,
    pub page: u32,
    pub page_count: u32,
    pub total: i64,
}

/// A review in the portal's list, with the piece it is about.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PortalReview {
    #[serde(flatten)]
    pub review: ReviewView,
    pub product_slug: String,
    pub product_title: Text,
}

/// The order line a buyer is about to review (the review form's heading).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReviewTarget {
    pub title: Text,
    pub variant: Option<Text>,
    /// The province "a buyer from …" would name (none abroad).
    pub province: Option<Text>,
    /// The name "my display name" would show.
    pub display_name: String,
}

/// The reviews service.
#[derive(Clone)]
pub struct Reviews {
    db: Db,
    clock: Clock,
    portal: Portal,
    reference: Arc<Reference>,
}

impl Reviews {
    pub fn new(db: Db, clock: Clock, portal: Portal, reference: Arc<Reference>) -> Reviews {
        Reviews { db, clock, portal, reference }
    }

    fn province(&self, region: Option<&str>) -> Option<Text> {
        province(&self.reference, region)
    }

    /// The line `who` may review: not found unless they bought it and it was delivered;
    /// a conflict once it has its review.
    async fn reviewable(&self, who: &Principal, number: &str, line: i64) -> Result<Reviewable, AppError> {
        if who.role != Role::Buyer {
            return Err(AppError::NotFound);
        }
        let (user, number) = (who.user_id, number.to_owned());
        let target = self.db.run(move |c| Ok(q::reviewable(c, user, &number, line)?)).await?;
        let target = target.ok_or(AppError::NotFound)?;
        if target.reviewed {
            return Err(AppError::Conflict { key: "review.error.already" });
        }
        Ok(target)
    }

    /// What the review form of a line shows.
    pub async fn target(&self, who: &Principal, number: &str, line: i64) -> Result<ReviewTarget, AppError> {
        let t = self.reviewable(who, number, line).await?;
        let variant = match (t.variant_zh, t.variant_en) {
            (Some(zh), en) => Some(Text::new(zh.clone(), en.unwrap_or(zh))),
            _ => None,
        };
        Ok(ReviewTarget {
            title: Text::new(t.title_zh, t.title_en),
            variant,
            province: self.province(t.region_code.as_deref()),
            display_name: who.display_name.clone(),
        })
    }

    /// Writes `who`'s review of a delivered line with up to four photos. Photos are stored first (each checked and stripped of its metadata); if the review
    /// is then refused, they are deleted again.
    pub async fn write(
        &self,
        who: &Principal,
        number: &str,
        line: i64,
        input: ReviewInput,
        photos: Vec<Vec<u8>>,
    ) -> Result<(), AppError> {
        let checked = review::check(&input)?;
        if photos.len() > MAX_PHOTOS {
            return Err(AppError::invalid("photo", "error.at_most", &[("max", MAX_PHOTOS.to_string())]));
        }
        let target = self.reviewable(who, number, line).await?;
        let mut saved = Vec::with_capacity(photos.len());
        for bytes in photos {
            match self.portal.save_photo(bytes, "r").await {
                Ok(s) => saved.push(s),
                Err(e) => {
                    self.forget(&saved).await;
                    return Err(e);
                }
            }
        }
        let author = Author {
            user: who.user_id,
            name: Some(who.display_name.clone()),
            province_code: target.region_code.as_deref().and_then(RegionCode::parse).map(|c| c.province().to_string()),
        };
        let now = self.clock.now().naive_utc();
        let rows: Vec<_> = saved.iter().map(|s| (s.main.clone(), s.dir.clone(), s.width, s.height)).collect();
        let result = self
            .db
            .write(move |c| {
                let id = q::insert(c, &target, &author, &checked, now)?
                    .ok_or(AppError::Conflict { key: "review.error.already" })?;
                for (i, (path, dir, w, h)) in rows.iter().enumerate() {
                    let position = i32::try_from(i + 1).unwrap_or(i32::MAX);
                    q::add_photo(c, id, position, (path, dir), (*w, *h))?;
                }
                Ok(())
            })
            .await;
        if result.is_err() {
            self.forget(&saved).await;
        }
        result
    }

    async fn forget(&self, saved: &[crate::portal::photos::SavedPhoto]) {
        for s in saved {
            self.portal.forget_photo(&s.dir).await;
        }
    }

    /// One page (from 1) of a product's visible reviews.
    pub async fn page(&self, product: ProductId, sort: ReviewSort, page: u32) -> Result<ReviewPage, AppError> {
        let page = page.max(1);
        let offset = i64::from(page - 1) * PAGE_SIZE;
        let (rows, photos, total) = self
            .db
            .run(move |c| {
                let (rows, total) = q::page(c, product, sort, offset, PAGE_SIZE)?;
                let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
                Ok((rows, q::photos_of(c, &ids)?, total))
            })
            .await?;
        let page_count = u32::try_from((total + PAGE_SIZE - 1) / PAGE_SIZE).unwrap_or(u32::MAX).max(1);
        Ok(ReviewPage {
            reviews: views(&self.reference, rows, &photos),
            sort,
            page: page.min(page_count),
            page_count,
            total,
        })
    }

    /// A visible review, or not found.
    async fn visible(&self, id: i64) -> Result<ReviewRow, AppError> {
        let row = self.db.run(move |c| Ok(q::get(c, id)?)).await?;
        row.filter(|r| r.hidden_at.is_none()).ok_or(AppError::NotFound)
    }

    /// Counts `who`'s "helpful" vote, once (a second vote changes nothing); not on their own
    /// review. Returns the product's id.
    pub async fn vote(&self, who: &Principal, id: i64) -> Result<ProductId, AppError> {
        let row = self.visible(id).await?;
        if row.user_id == who.user_id.get() {
            return Err(AppError::Forbidden { key: "review.error.own" });
        }
        let (user, now) = (who.user_id, self.clock.now().naive_utc());
        self.db.write(move |c| Ok(q::vote(c, id, user, now)?)).await?;
        Ok(ProductId(row.product_id))
    }

    /// The workshop's one reply; staff of another workshop get not found.
    pub async fn reply(&self, who: &Principal, id: i64, input: ReplyInput) -> Result<(), AppError> {
        let row = self.db.run(move |c| Ok(q::get(c, id)?)).await?.ok_or(AppError::NotFound)?;
        allowed(who, Action::ReplyToReviews, Some(WorkshopId(row.workshop_id)))?;
        let body = review::check_reply(&input)?;
        let (user, now) = (who.user_id, self.clock.now().naive_utc());
        self.db
            .write(move |c| {
                if !q::reply(c, id, user, &body, now)? {
                    return Err(AppError::Conflict { key: "review.error.replied" });
                }
                Ok(())
            })
            .await
    }

    /// Hides a review (operators), with the reason in the audit log.
    pub async fn hide(&self, who: &Principal, id: i64, input: HideInput) -> Result<(), AppError> {
        allowed(who, Action::HideReviews, None)?;
        let reason = review::check_reason(&input)?;
        let row = self.db.run(move |c| Ok(q::get(c, id)?)).await?.ok_or(AppError::NotFound)?;
        let (user, now) = (who.user_id, self.clock.now().naive_utc());
        self.db
            .write(move |c| {
                if q::hide(c, &row, user, now)? {
                    let detail = serde_json::json!({ "product": row.product_id, "reason": reason });
                    audit::append(c, AuditEvent::new(Some(user), "review.hide", format!("review:{id}"), detail), now)?;
                }
                Ok(())
            })
            .await
    }

    /// The portal's list: a workshop's reviews (an operator's: every workshop's), hidden ones
    /// too, newest first.
    pub async fn for_portal(
        &self,
        who: &Principal,
        workshop: Option<WorkshopId>,
        page: u32,
    ) -> Result<(Vec<PortalReview>, u32, u32, i64), AppError> {
        let scope = match who.role {
            Role::Operator => workshop,
            Role::Manager(w) | Role::Editor(w) => Some(w),
            _ => return Err(Denial::Forbidden.into()),
        };
        allowed(who, Action::ReplyToReviews, scope)?;
        let page = page.max(1);
        let offset = i64::from(page - 1) * PAGE_SIZE;
        let (rows, photos, titles, total) = self
            .db
            .run(move |c| {
                let (rows, total) = q::of_workshop(c, scope, offset, PAGE_SIZE)?;
                let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
                let products: Vec<i64> = rows.iter().map(|r| r.product_id).collect();
                Ok((rows, q::photos_of(c, &ids)?, q::titles(c, &products)?, total))
            })
            .await?;
        let products: Vec<i64> = rows.iter().map(|r| r.product_id).collect();
        let list = views(&self.reference, rows, &photos)
            .into_iter()
            .zip(products)
            .map(|(review, product)| {
                let (slug, title) = titles
                    .iter()
                    .find(|t| t.0 == product)
                    .map(|t| (t.3.clone(), Text::new(t.1.clone(), t.2.clone())))
                    .unwrap_or_else(|| (String::new(), Text::new("", "")));
                PortalReview { review, product_slug: slug, product_title: title }
            })
            .collect();
        let page_count = u32::try_from((total + PAGE_SIZE - 1) / PAGE_SIZE).unwrap_or(u32::MAX).max(1);
        Ok((list, page.min(page_count), page_count, total))
    }
}

/// The province a region lies in, named in both scripts.
fn province(reference: &Reference, region: Option<&str>) -> Option<Text> {
    let code = RegionCode::parse(region?)?.province();
    let r = reference.region(&code.to_string())?;
    Some(Text::new(r.name_zh.clone(), r.name_pinyin.clone()))
}

/// Reviews as pages show them, each with its photos.
pub fn views(reference: &Reference, rows: Vec<ReviewRow>, photos: &[PhotoRow]) -> Vec<ReviewView> {
    rows.into_iter()
        .map(|r| {
            let named = ShownAs::parse(&r.shown_as) == Some(ShownAs::Name);
            ReviewView {
                id: r.id,
                rating: r.rating,
                author_name: if named { r.author_name.clone() } else { None },
                author_province: if named { None } else { province(reference, r.province_code.as_deref()) },
                photos: photos
                    .iter()
                    .filter(|p| p.review_id == r.id)
                    .map(|p| ReviewPhoto { path: p.path.clone(), width: p.width, height: p.height })
                    .collect(),
                helpful: r.helpful_count,
                reply: match (r.reply_body, r.replied_at) {
                    (Some(body), Some(at)) => Some(ReplyView { body, at }),
                    _ => None,
                },
                created_at: r.created_at,
                hidden: r.hidden_at.is_some(),
                body: r.body,
            }
        })
        .collect()
}

/// [`authorize`] as an application error.
fn allowed(who: &Principal, action: Action, workshop: Option<WorkshopId>) -> Result<(), AppError> {
    authorize(Some(who), action, workshop).map_err(AppError::from)
}

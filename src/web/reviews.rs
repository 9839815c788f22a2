//! Reviews: the buyer's form for a delivered line (multipart: `rating`, `body`, `shown_as` and
//! up to four `photo` fields), a product's reviews page, "helpful" votes, and the portal's list
//! where staff reply and operators hide. Each action serves a form post and a JSON call.

use super::forms::{answer, FormState};
use super::pages::Pager;
use super::portal::photos::read_parts;
use super::portal::{body, done, is_api};
use super::session::SignedIn;
use crate::domain::review::{HideInput, ReplyInput, ReviewInput, ReviewSort, MAX_PHOTOS};
use crate::domain::{ProductId, WorkshopId};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;
use actix_multipart::Multipart;
use actix_web::{web, Either, HttpRequest, HttpResponse};
use std::collections::HashMap;
use tera::Context;

/// The multipart form of a review.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Only describes the form for the API document; the handler reads it field by field.
pub struct ReviewUpload {
    /// 1 to 5.
    rating: i64,
    /// What the buyer thought, in any language (up to 2,000 characters).
    body: Option<String>,
    /// `name` (the buyer's display name) or `province` ("a buyer from <province>").
    shown_as: String,
    /// Up to four photos (JPEG, PNG or WebP), each sent as a `photo` field; their metadata is
    /// stripped.
    #[schema(value_type = Vec<String>, format = Binary)]
    photo: Vec<Vec<u8>>,
}

/// `?page=` and `?sort=` of a list.
#[derive(Debug, serde::Deserialize)]
pub struct ListQuery {
    #[serde(default, deserialize_with = "crate::portal::input::opt_i64")]
    page: Option<i64>,
    sort: Option<String>,
    #[serde(default, deserialize_with = "crate::portal::input::opt_i64")]
    workshop: Option<i64>,
}

impl ListQuery {
    fn page(&self) -> u32 {
        self.page.and_then(|p| u32::try_from(p).ok()).unwrap_or(1).max(1)
    }
}

/// Reads a review's multipart form: three text fields of at most 8 KiB, and up to four photos
/// of at most `limit` bytes each (a file field left empty sends a part with no bytes).
async fn read_review_form(
    form: &mut Multipart,
    limit: usize,
) -> Result<(HashMap<String, String>, Vec<Vec<u8>>), AppError> {
    let too_many = || AppError::invalid("photo", "error.at_most", &[("max", MAX_PHOTOS.to_string())]);
    let parts =
        read_parts(form, MAX_PHOTOS + 3, too_many(), |name| if name == "photo" { limit } else { 8 * 1024 }).await?;
    let (mut text, mut photos) = (HashMap::new(), Vec::new());
    for (name, bytes) in parts {
        if name == "photo" {
            if !bytes.is_empty() {
                photos.push(bytes);
            }
        } else {
            text.insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    if photos.len() > MAX_PHOTOS {
        return Err(too_many());
    }
    Ok((text, photos))
}

/// `GET /orders/{number}/lines/{line}/review`: the review form.
pub async fn form_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (number, line) = path.into_inner();
    draw_form(&state, &req, &who, &number, line, FormState::new("review").with("shown_as", "province")).await
}

async fn draw_form(
    state: &AppState,
    req: &HttpRequest,
    who: &SignedIn,
    number: &str,
    line: i64,
    form: FormState,
) -> Result<HttpResponse, AppError> {
    let target = state.reviews.target(&who.0, number, line).await?;
    let mut ctx = Context::new();
    ctx.insert("target", &target);
    ctx.insert("number", number);
    ctx.insert("line", &line);
    ctx.insert("form", &form);
    ctx.insert("max_photos", &MAX_PHOTOS);
    ctx.insert("upload_limit_mb", &(state.portal.photo_limits().max_bytes / (1024 * 1024)));
    state.renderer.page(req, Lang::of_request(req), "shop/review.html", ctx)
}

#[utoipa::path(post, path = "/api/v1/orders/{number}/lines/{line}/review", operation_id = "write_review", description = "Review a delivered order line, once (multipart/form-data: rating 1–5, body, shown_as `name` or `province`, and up to four `photo` fields). Photos are turned upright, stripped of metadata and resized.", request_body(content = ReviewUpload, content_type = "multipart/form-data"), params(("number" = String, Path), ("line" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 404, description = "Not your line, or its parcel was not delivered", body = crate::web::errors::ApiError), (status = 409, description = "Reviewed already", body = crate::web::errors::ApiError), (status = 413, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn write(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    path: web::Path<(String, i64)>,
    mut multipart: Multipart,
) -> Result<HttpResponse, AppError> {
    let (number, line) = path.into_inner();
    let mut typed = FormState::new("review");
    let result = async {
        let (mut text, photos) = read_review_form(&mut multipart, state.portal.photo_limits().max_bytes).await?;
        let mut take = |name: &str| text.remove(name).unwrap_or_default();
        let (rating, body, shown_as) = (take("rating"), take("body"), take("shown_as"));
        // A refused review keeps its words; its photos must be chosen again (a browser never
        // refills a file field).
        typed =
            typed.clone().with("rating", rating.clone()).with("body", body.clone()).with("shown_as", shown_as.clone());
        let rating = match rating.trim() {
            "" => None,
            r => Some(
                r.parse::<i64>().map_err(|_| AppError::BadRequest { field: "rating", key: "error.whole_number" })?,
            ),
        };
        let input = ReviewInput { rating, body, shown_as };
        state.reviews.write(&who.0, &number, line, input, photos).await?;
        Ok(done(&req, format!("/orders/{number}#line-{line}"), crate::web::replies::DONE))
    }
    .await;
    let form = (!is_api(&req)).then_some(typed);
    answer(&state, &req, result, form, |form| draw_form(&state, &req, &who, &number, line, form)).await
}

#[utoipa::path(get, path = "/api/v1/products/{slug}/reviews", operation_id = "product_reviews", description = "A listed product's visible reviews, 10 a page, newest (`sort=newest`, the default) or most helpful (`sort=helpful`) first.", params(("slug" = String, Path), ("page" = Option<u32>, Query), ("sort" = Option<String>, Query)), responses((status = 200, body = crate::reviews::ReviewPage), (status = 404, body = crate::web::errors::ApiError)))]
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let detail = state.catalog.product(&slug).await?;
    let sort = ReviewSort::of(query.sort.as_deref());
    let page = state.reviews.page(ProductId(detail.product.id), sort, query.page()).await?;
    if is_api(&req) {
        return Ok(HttpResponse::Ok().json(page));
    }
    let mut ctx = Context::new();
    ctx.insert("p", &detail);
    ctx.insert("pager", &Pager::of(&req, page.page, page.page_count, page.total));
    ctx.insert("reviews", &page);
    state.renderer.page(&req, Lang::of_request(&req), "reviews.html", ctx)
}

#[utoipa::path(post, path = "/api/v1/reviews/{id}/helpful", operation_id = "review_helpful", description = "Count the signed-in buyer's \"helpful\" vote on a review, once (again changes nothing); not on one's own.", params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn helpful(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let product = state.reviews.vote(&who.0, *id).await?;
    let slug = state.catalog.product_by_id(product.get()).await.map(|d| d.product.slug).unwrap_or_default();
    Ok(done(&req, format!("/products/{slug}/reviews"), crate::web::replies::DONE))
}

#[utoipa::path(get, path = "/api/v1/portal/reviews", operation_id = "portal_reviews", description = "The workshop's reviews, hidden ones too, newest first, 10 a page (an operator sees every workshop's, or one's with `workshop`).", params(("page" = Option<u32>, Query), ("workshop" = Option<i64>, Query)), responses((status = 200, body = Vec<crate::reviews::PortalReview>), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn portal_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    portal_page(&state, &req, &who, &query, None).await
}

/// The portal's reviews page, with a refused reply or hiding (`reply-{id}`, `hide-{id}`) drawn
/// again with its message.
async fn portal_page(
    state: &AppState,
    req: &HttpRequest,
    who: &SignedIn,
    query: &ListQuery,
    failed: Option<(String, FormState)>,
) -> Result<HttpResponse, AppError> {
    let (reviews, page, page_count, total) =
        state.reviews.for_portal(&who.0, query.workshop.map(WorkshopId), query.page()).await?;
    if is_api(req) {
        return Ok(HttpResponse::Ok().json(reviews));
    }
    let mut ctx = Context::new();
    ctx.insert("reviews", &reviews);
    ctx.insert("pager", &Pager::of(req, page, page_count, total));
    ctx.insert("operator", &matches!(who.0.role, crate::domain::account::Role::Operator));
    ctx.insert("blank", &FormState::new("r"));
    if let Some((name, form)) = failed {
        ctx.insert("failed", &serde_json::json!({ "form": name, "state": form.prefixed(&name) }));
    }
    state.renderer.page(req, Lang::of_request(req), "portal/reviews.html", ctx)
}

#[utoipa::path(post, path = "/api/v1/portal/reviews/{id}/reply", operation_id = "reply_to_review", description = "The workshop's one reply to a review of its piece (staff of another workshop get 404).", request_body = ReplyInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, description = "Replied already", body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn reply(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: Either<web::Json<ReplyInput>, web::Form<ReplyInput>>,
) -> Result<HttpResponse, AppError> {
    let input = body(input);
    let typed = FormState::new("r").with("body", input.body.clone());
    let result = state
        .reviews
        .reply(&who.0, *id, input)
        .await
        .map(|()| done(&req, format!("/portal/reviews#review-{id}"), crate::web::replies::DONE));
    let form = (!is_api(&req)).then_some(typed);
    let query = ListQuery { page: None, sort: None, workshop: None };
    answer(&state, &req, result, form, |form| {
        portal_page(&state, &req, &who, &query, Some((format!("reply-{id}"), form)))
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/portal/reviews/{id}/hide", operation_id = "hide_review", description = "Hide a review (operators), with a reason that goes to the audit log; the product's rating is recounted without it.", request_body = HideInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn hide(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: Either<web::Json<HideInput>, web::Form<HideInput>>,
) -> Result<HttpResponse, AppError> {
    let input = body(input);
    let typed = FormState::new("r").with("reason", input.reason.clone());
    let result = state
        .reviews
        .hide(&who.0, *id, input)
        .await
        .map(|()| done(&req, format!("/portal/reviews#review-{id}"), crate::web::replies::DONE));
    let form = (!is_api(&req)).then_some(typed);
    let query = ListQuery { page: None, sort: None, workshop: None };
    answer(&state, &req, result, form, |form| {
        portal_page(&state, &req, &who, &query, Some((format!("hide-{id}"), form)))
    })
    .await
}

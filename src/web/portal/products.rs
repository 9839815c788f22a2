//! The portal's product pages and actions: the new-product page, the product page with its
//! edit form (fields and makers together), review, submit, duplicate, and archive behind a
//! confirmation page. A refused form is drawn again with everything typed, makers included;
//! "add a maker" and "remove" are submit buttons, so the makers table works without script.

use super::product_makers::{editing_rows, form_makers, grouped, maker_rows, percent_text, shares_total};
use super::product_variants;
use super::{done, is_api};
use crate::domain::Fen;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::portal::products::{MakerInput, ProductEdit, ProductInput, ReviewInput};
use crate::state::AppState;
use crate::web::forms::{answer, FormState, Submission};
use crate::web::session::SignedIn;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use tera::Context;

/// The product form filled with a product as it is.
fn product_values(edit: &ProductEdit) -> FormState {
    let p = &edit.product;
    let mut form = FormState::default()
        .with("title_zh", p.title_zh.clone())
        .with("title_en", p.title_en.clone())
        .with("description_zh", p.description_zh.clone())
        .with("description_en", p.description_en.clone())
        .with("materials_zh", p.materials_zh.clone())
        .with("materials_en", p.materials_en.clone())
        .with("heritage_item_id", p.heritage_item_id.to_string())
        .with("category", p.category.clone())
        .with("price", Fen(p.price_fen).yuan_string())
        .with("stock", p.stock.to_string())
        .with("lead_time_days", p.lead_time_days.map(|d| d.to_string()).unwrap_or_default())
        .with("wage_rule", p.wage_rule.clone())
        .with("wage_percent", p.wage_bp.map(|b| percent_text(b.into())).unwrap_or_default())
        .with("piece_rate", p.piece_rate_fen.map(|f| Fen(f).yuan_string()).unwrap_or_default());
    if p.made_to_order {
        form = form.with("made_to_order", "on");
    }
    form.with_all("worker_id", edit.makers.iter().map(|m| m.worker_id.to_string()).collect())
        .with_all("role", edit.makers.iter().map(|m| m.role.clone()).collect())
        .with_all("share", edit.makers.iter().map(|m| percent_text(m.share_bp)).collect())
}

/// The product form's context: the form, its makers table and total, and the choices.
pub(crate) async fn form_context(
    state: &AppState,
    who: &SignedIn,
    workshop: i64,
    form: FormState,
) -> Result<Context, AppError> {
    let form = grouped(form);
    let rows = maker_rows(&form);
    let workers: Vec<_> = state.portal.workers(&who.0, workshop).await?.into_iter().filter(|w| w.current).collect();
    let mut ctx = Context::new();
    ctx.insert("total", &shares_total(&rows));
    ctx.insert("makers", &rows);
    ctx.insert("form", &form);
    ctx.insert("workers", &workers);
    ctx.insert("categories", crate::domain::product::ProductCategory::ALL);
    ctx.insert("maker_roles", crate::domain::product::MakerRole::ALL);
    ctx.insert("heritage_items", &state.catalog.reference().heritage_items().collect::<Vec<_>>());
    Ok(ctx)
}

/// The new-product page, empty or as typed.
async fn new_product_page(
    state: &AppState,
    req: &HttpRequest,
    who: &SignedIn,
    workshop: i64,
    form: FormState,
) -> Result<HttpResponse, AppError> {
    // Opening the page needs the right to edit the workshop's products.
    state.portal.products(&who.0, workshop).await?;
    let mut ctx = form_context(state, who, workshop, form).await?;
    ctx.insert("workshop_id", &workshop);
    state.renderer.page(req, Lang::of_request(req), "portal/product_new.html", ctx)
}

/// `/portal/workshops/{id}/products/new`.
pub async fn new_product(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    workshop: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let form = FormState::default().with("wage_rule", "share_of_net").with("role", "lead");
    new_product_page(&state, &req, &who, *workshop, form).await
}

#[utoipa::path(post, path = "/api/v1/portal/workshops/{id}/products", description = "Create a draft product, with its makers if given (`makers`: [{worker_id, role, share_bp}], shares summing to 10000); answers {id}.", request_body = crate::portal::products::ProductInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Created), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn create_product(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    workshop: web::Path<i64>,
    input: Submission<ProductInput>,
) -> Result<HttpResponse, AppError> {
    let workshop = *workshop;
    let (input, form) = input.split();
    let form = form.map(grouped);
    if let Some(form) = form.clone().filter(editing_rows) {
        return new_product_page(&state, &req, &who, workshop, form).await;
    }
    let result = async {
        let mut input = input?;
        if let Some(form) = &form {
            input.makers = form_makers(form, true)?;
        }
        let id = state.portal.create_product(&who.0, workshop, input).await?;
        Ok(done(&req, format!("/portal/products/{id}"), crate::web::replies::Created { id }))
    }
    .await;
    answer(&state, &req, result, form, |form| new_product_page(&state, &req, &who, workshop, form)).await
}

/// Which of the product page's forms was refused, if any.
#[derive(Default)]
pub(crate) struct Refused {
    pub(crate) edit: Option<FormState>,
    pub(crate) variants: Option<FormState>,
    pub(crate) review: Option<FormState>,
    pub(crate) actions: Option<FormState>,
    pub(crate) upload: Option<FormState>,
    pub(crate) design: Option<FormState>,
}

/// The product page: its actions, the operator's review, the edit form and the photos; after
/// a refused form, that form as typed with the message beside its field.
pub(crate) async fn product_page(
    state: &AppState,
    req: &HttpRequest,
    who: &SignedIn,
    id: i64,
    refused: Refused,
) -> Result<HttpResponse, AppError> {
    let edit = state.portal.product(&who.0, id).await?;
    let form = refused.edit.unwrap_or_else(|| product_values(&edit));
    let mut ctx = form_context(state, who, edit.product.workshop_id, form).await?;
    ctx.insert("review", &refused.review.unwrap_or_else(|| FormState::new("r")));
    ctx.insert("actions", &refused.actions.unwrap_or_else(|| FormState::new("a")));
    ctx.insert("upload", &refused.upload.unwrap_or_else(|| FormState::new("u")));
    ctx.insert("design", &refused.design.unwrap_or_else(|| super::designers::design_values(&edit.design)));
    ctx.insert("studios", &state.portal.workstations(&who.0).await?);
    let vform = refused.variants.unwrap_or_else(|| product_variants::stored_values(&edit.variants));
    let mut rows = product_variants::rows(&vform);
    if rows.is_empty() {
        rows.push(Default::default());
    }
    ctx.insert("variant_rows", &rows);
    let vform = ["sku", "value1", "value2", "price", "stock", "lead_time_days", "options"]
        .into_iter()
        .fold(vform, |f, field| f.group(field, "variants"));
    ctx.insert("vform", &vform);
    ctx.insert("is_operator", &(who.0.role == crate::domain::account::Role::Operator));
    ctx.insert("upload_limit_mb", &(state.portal.photo_limits().max_bytes / (1024 * 1024)));
    ctx.insert("p", &edit);
    state.renderer.page(req, Lang::of_request(req), "portal/product.html", ctx)
}

#[utoipa::path(get, path = "/api/v1/portal/products/{id}", operation_id = "portal_product", description = "A product as its editor sees it: every field, makers and photos (its workshop's staff, operators).", params(("id" = i64, Path)), responses((status = 200, body = crate::portal::products::ProductEdit), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn product(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    if is_api(&req) {
        return Ok(HttpResponse::Ok().json(state.portal.product(&who.0, *id).await?));
    }
    product_page(&state, &req, &who, *id, Refused::default()).await
}

#[utoipa::path(post, path = "/api/v1/portal/products/{id}", description = "Edit a product (not once archived); `makers`, if given, replaces its makers.", request_body = crate::portal::products::ProductInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn update_product(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: Submission<ProductInput>,
) -> Result<HttpResponse, AppError> {
    let id = *id;
    let (input, form) = input.split();
    let form = form.map(grouped);
    if let Some(form) = form.clone().filter(editing_rows) {
        return product_page(&state, &req, &who, id, Refused { edit: Some(form), ..Refused::default() }).await;
    }
    let result = async {
        let mut input = input?;
        if let Some(form) = &form {
            input.makers = form_makers(form, false)?;
        }
        state.portal.update_product(&who.0, id, input).await?;
        Ok(done(&req, format!("/portal/products/{id}"), crate::web::replies::DONE))
    }
    .await;
    answer(&state, &req, result, form, |form| {
        product_page(&state, &req, &who, id, Refused { edit: Some(form), ..Refused::default() })
    })
    .await
}

/// The makers, as JSON.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct MakersBody {
    pub makers: Vec<MakerInput>,
}

#[utoipa::path(post, path = "/api/v1/portal/products/{id}/makers", description = "Replace the makers; shares in basis points sum to 10000, makers are current workers.", request_body = crate::web::portal::products::MakersBody, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// The makers, as JSON `{"makers": [{worker_id, role, share_bp}]}` or as form rows of
/// `worker_id`, `role` and `share` (a percentage), blank rows ignored. A refused form shows
/// the product page with the makers as typed.
pub async fn makers(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    raw: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = *id;
    if is_api(&req) {
        let makers = super::json_of::<MakersBody>(&raw, "makers")?.makers;
        state.portal.set_makers(&who.0, id, makers).await?;
        return Ok(HttpResponse::Ok().json(crate::web::replies::DONE));
    }
    let sent = FormState::from_pairs(crate::i18n::url_pairs(std::str::from_utf8(&raw).unwrap_or("")));
    // The rest of the edit form shows the product as it is, with the makers as typed.
    let current = state.portal.product(&who.0, id).await?;
    let form = ["worker_id", "role", "share"]
        .into_iter()
        .fold(product_values(&current), |f, k| f.with_all(k, sent.values(k).to_vec()));
    let result = async {
        let makers = form_makers(&form, false)?.unwrap_or_default();
        state.portal.set_makers(&who.0, id, makers).await?;
        Ok(done(&req, format!("/portal/products/{id}"), crate::web::replies::DONE))
    }
    .await;
    answer(&state, &req, result, Some(form), |form| {
        product_page(&state, &req, &who, id, Refused { edit: Some(form), ..Refused::default() })
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/portal/products/{id}/variants", description = "Replace the options (at most 2, such as size and colour) and variants (each with its SKU, values, price in fen, and stock or, made to order, its own lead time); both empty removes them. Variants are matched by SKU; one no longer listed is taken off sale.", request_body = crate::domain::variant::VariantsInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// The options and variants, as JSON or as the variants table's form rows (blank rows
/// ignored; "add a variant" and "remove" redraw the table without saving).
pub async fn variants(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    raw: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = *id;
    if is_api(&req) {
        let input = super::json_of::<crate::domain::variant::VariantsInput>(&raw, "variants")?;
        state.portal.set_variants(&who.0, id, input).await?;
        return Ok(HttpResponse::Ok().json(crate::web::replies::DONE));
    }
    let form = FormState::from_pairs(crate::i18n::url_pairs(std::str::from_utf8(&raw).unwrap_or(""))).prefixed("v");
    let refused = |form| Refused { variants: Some(form), ..Refused::default() };
    if product_variants::editing_rows(&form) {
        return product_page(&state, &req, &who, id, refused(form)).await;
    }
    let result = async {
        state.portal.set_variants(&who.0, id, product_variants::input(&form)?).await?;
        Ok(done(&req, format!("/portal/products/{id}#variants"), crate::web::replies::DONE))
    }
    .await;
    answer(&state, &req, result, Some(form), |form| product_page(&state, &req, &who, id, refused(form))).await
}

#[utoipa::path(post, path = "/api/v1/portal/products/{id}/submit", description = "Send a draft for review.", params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::ProductMoved), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = *id;
    let result = async {
        state.portal.submit_product(&who.0, id).await?;
        Ok(done(
            &req,
            format!("/portal/products/{id}"),
            crate::web::replies::ProductMoved { status: "in_review".into() },
        ))
    }
    .await;
    // A refusal (no makers yet, already in review) is said above the actions.
    let form = (!is_api(&req)).then(|| FormState::new("a").anchor("makers", "f-makers"));
    answer(&state, &req, result, form, |form| {
        product_page(&state, &req, &who, id, Refused { actions: Some(form), ..Refused::default() })
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/portal/products/{id}/review", description = "Approve or reject with a reason (operator).", request_body = crate::portal::products::ReviewInput, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Done), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn review(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    input: Submission<ReviewInput>,
) -> Result<HttpResponse, AppError> {
    let id = *id;
    let (input, form) = input.split();
    let result = async {
        state.portal.review_product(&who.0, id, input?).await?;
        Ok(done(&req, "/portal/review".to_owned(), crate::web::replies::DONE))
    }
    .await;
    answer(&state, &req, result, form.map(|f| f.prefixed("r")), |form| {
        product_page(&state, &req, &who, id, Refused { review: Some(form), ..Refused::default() })
    })
    .await
}

/// A page that asks before something that cannot be undone: what it does, a button that
/// does it, and a way back.
pub(crate) fn confirm_page(
    state: &AppState,
    req: &HttpRequest,
    what: &str,
    text: String,
    action: String,
    back: String,
    image: Option<String>,
) -> Result<HttpResponse, AppError> {
    let mut ctx = Context::new();
    ctx.insert("what", what);
    ctx.insert("text", &text);
    ctx.insert("action", &action);
    ctx.insert("back", &back);
    ctx.insert("image", &image);
    state.renderer.page(req, Lang::of_request(req), "portal/confirm.html", ctx)
}

/// The body of a destructive action: a form from its confirmation page sends `confirm=yes`
/// (any other form post is sent to that page first); a JSON call needs nothing.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct Confirmation {
    #[serde(default)]
    pub confirm: Option<String>,
}

/// A destructive form post that did not come from its confirmation page (`confirm=yes`) is
/// sent there first: the redirect to `page`, or `None` to go ahead (and always for the API).
pub(crate) fn ask_first(req: &HttpRequest, raw: &[u8], page: String) -> Option<HttpResponse> {
    let yes = crate::i18n::url_pairs(std::str::from_utf8(raw).unwrap_or(""))
        .iter()
        .any(|(k, v)| k == "confirm" && v == "yes");
    (!is_api(req) && !yes).then(|| HttpResponse::SeeOther().insert_header((header::LOCATION, page)).finish())
}

/// `/portal/products/{id}/archive`: asks before archiving.
pub async fn archive_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let edit = state.portal.product(&who.0, *id).await?;
    let lang = Lang::of_request(&req);
    let p = &edit.product;
    let title = if lang == Lang::En && !p.title_en.is_empty() { &p.title_en } else { &p.title_zh };
    let text = state.renderer.i18n().format(lang, "confirm.archive_text", &[("title", title)]);
    let back = format!("/portal/products/{id}");
    confirm_page(&state, &req, "archive", text, format!("/portal/products/{id}/archive"), back, None)
}

#[utoipa::path(post, path = "/api/v1/portal/products/{id}/archive", description = "Archive a product.", request_body = crate::web::portal::products::Confirmation, params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::ProductMoved), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 409, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// Archives a product. A form post must come from the confirmation page (`confirm=yes`);
/// any other is sent there first.
pub async fn archive(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
    raw: web::Bytes,
) -> Result<HttpResponse, AppError> {
    if let Some(ask) = ask_first(&req, &raw, format!("/portal/products/{id}/archive")) {
        return Ok(ask);
    }
    state.portal.archive_product(&who.0, *id).await?;
    Ok(done(&req, format!("/portal/products/{id}"), crate::web::replies::ProductMoved { status: "archived".into() }))
}

#[utoipa::path(post, path = "/api/v1/portal/products/{id}/duplicate", description = "Copy a product as a new draft; answers {id}.", params(("id" = i64, Path)), responses((status = 200, body = crate::web::replies::Created), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn duplicate(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let new_id = state.portal.duplicate_product(&who.0, *id).await?;
    Ok(done(&req, format!("/portal/products/{new_id}"), crate::web::replies::Created { id: new_id }))
}

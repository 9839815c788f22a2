//! Reports on the web: the officials' dashboard (`/officials`, JSON at `/api/v1/reports`) with
//! its CSV and XLSX exports, and the public impact pages (`/impact`, per region and per
//! workshop; JSON under `/api/v1/impact`).

use super::session::Viewer as Session;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::reports::export::{Format, Table, Words};
use crate::reports::public::Place;
use crate::reports::{charts, Request, Viewer};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use tera::Context;

fn is_api(req: &HttpRequest) -> bool {
    req.path().starts_with("/api/")
}

fn query(req: &HttpRequest, name: &str) -> Option<String> {
    crate::domain::listing::query_value(&super::query_pairs(req), name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The scope, period and heritage item asked for. A workshop id that is not a number is an
/// edited URL: not found.
fn request_of(req: &HttpRequest) -> Result<Request, AppError> {
    let workshop = match query(req, "workshop") {
        Some(w) => Some(w.parse::<i64>().map_err(|_| AppError::NotFound)?),
        None => None,
    };
    let heritage_item_id = match query(req, "heritage") {
        Some(h) => {
            Some(h.parse::<i64>().map_err(|_| AppError::BadRequest { field: "heritage", key: "report.bad_heritage" })?)
        }
        None => None,
    };
    Ok(Request { region: query(req, "region"), workshop, period: query(req, "period"), heritage_item_id })
}

#[utoipa::path(get, path = "/api/v1/reports", description = "Income-attribution report (officials for their region subtree, operators for all): figures for a region (`region`, a 6-digit code) or one workshop (`workshop`, with its workers), a period (`2026`, `2026-Q4`, `2026-11`; this year by default) and optionally one heritage item; rows one level down, months, and workshops at risk of the 30% rule.", params(("region" = Option<String>, Query), ("workshop" = Option<i64>, Query), ("period" = Option<String>, Query), ("heritage" = Option<i64>, Query)), responses((status = 200, body = crate::reports::Dashboard), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn dashboard(state: web::Data<AppState>, req: HttpRequest, who: Session) -> Result<HttpResponse, AppError> {
    let request = request_of(&req)?;
    let d = state.reports.dashboard(who.0, request).await?;
    if is_api(&req) {
        return Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "private, no-store")).json(&d));
    }
    let lang = Lang::of_request(&req);
    let (shares, trend) = charts::dashboard_charts(&d, lang, state.renderer.i18n());
    let mut ctx = Context::new();
    ctx.insert("d", &d);
    ctx.insert("share_chart", &shares);
    ctx.insert("trend_chart", &trend);
    ctx.insert("definitions", crate::reports::figures::DEFINITIONS);
    ctx.insert("query", &export_query(&d));
    let mut page = state.renderer.page(&req, lang, "officials/dashboard.html", ctx)?;
    page.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("private, no-store"));
    Ok(page)
}

/// The query string that names the same report.
fn export_query(d: &crate::reports::Dashboard) -> String {
    let mut q = format!("period={}", d.period);
    if let Some(r) = &d.region_code {
        q.push_str(&format!("&region={r}"));
    }
    if let Some(w) = d.workshop_id {
        q.push_str(&format!("&workshop={w}"));
    }
    if let Some(h) = d.heritage_item_id {
        q.push_str(&format!("&heritage={h}"));
    }
    q
}

#[utoipa::path(get, path = "/api/v1/reports/export", description = "The report's tables as a file: `format=xlsx` (every table and a definitions sheet) or `format=csv` with `table` = summary, rows, months, risk or definitions. Headed in the reader's language (`lang`, the cookie or Accept-Language), money in yuan (XLSX: numbers formatted `#,##0.00`); the columns for programs (`key`, every `*_fen` amount in whole fen, statuses by stable name) come last, hidden in XLSX. Titled, dated, and carrying the digest `gongfang audit verify` checks.", params(("region" = Option<String>, Query), ("workshop" = Option<i64>, Query), ("period" = Option<String>, Query), ("heritage" = Option<i64>, Query), ("format" = Option<String>, Query), ("table" = Option<String>, Query)), responses((status = 200, description = "The file, as an attachment; its digest in X-Report-Digest", content((String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv"))), (status = 400, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn export(state: web::Data<AppState>, req: HttpRequest, who: Session) -> Result<HttpResponse, AppError> {
    let request = request_of(&req)?;
    let format = Format::parse(query(&req, "format").as_deref().unwrap_or("xlsx"))
        .ok_or(AppError::BadRequest { field: "format", key: "report.bad_format" })?;
    let table = Table::parse(query(&req, "table").as_deref().unwrap_or("rows"))
        .ok_or(AppError::BadRequest { field: "table", key: "report.bad_table" })?;
    let viewer = Viewer::of(who.0.as_ref())?;
    let words = Words::new(state.renderer.i18n(), Lang::of_request(&req));
    let file = state.reports.export(viewer, request, format, table, words).await?;
    Ok(HttpResponse::Ok()
        .content_type(file.format.content_type())
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", file.filename)))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header(("X-Report-Digest", file.digest))
        .body(file.bytes))
}

async fn public(state: web::Data<AppState>, req: HttpRequest, place: Place) -> Result<HttpResponse, AppError> {
    let page = state.reports.public_page(place, query(&req, "period")).await?;
    if is_api(&req) {
        return Ok(HttpResponse::Ok().json(&page));
    }
    let mut ctx = Context::new();
    ctx.insert("p", &page);
    state.renderer.page(&req, Lang::of_request(&req), "impact.html", ctx)
}

#[utoipa::path(get, path = "/api/v1/impact", description = "Public impact for the whole country, by province: workshops, workers, poor-household workers and wages, in aggregate. Counts under 3 people (and what would reveal them) are null.", params(("period" = Option<String>, Query)), responses((status = 200, body = crate::reports::public::PublicPage), (status = 400, body = crate::web::errors::ApiError)))]
pub async fn impact_country(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    public(state, req, Place::Country).await
}

#[utoipa::path(get, path = "/api/v1/impact/regions/{code}", description = "Public impact of a region, by the regions (or workshops) below it; suppressed as for the country.", params(("code" = String, Path), ("period" = Option<String>, Query)), responses((status = 200, body = crate::reports::public::PublicPage), (status = 400, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)))]
pub async fn impact_region(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    public(state, req, Place::Region(code.into_inner())).await
}

#[utoipa::path(get, path = "/api/v1/impact/workshops/{slug}", description = "Public impact of one workshop, as its row on its county's page.", params(("slug" = String, Path), ("period" = Option<String>, Query)), responses((status = 200, body = crate::reports::public::PublicPage), (status = 400, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)))]
pub async fn impact_workshop(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    public(state, req, Place::Workshop(slug.into_inner())).await
}

#[utoipa::path(get, path = "/api/v1/reports/training", description = "A workshop's training attendance list for a period (`2026`, `2026-Q4`, `2026-11`; this year by default): each session ending in it with the workers who took part, 20 a page (`page`), and the totals of every session. Officials for workshops in their region (any other is 404), operators for all; every view is audited.", params(("workshop" = i64, Query), ("period" = Option<String>, Query), ("page" = Option<i64>, Query)), responses((status = 200, body = crate::reports::training::Attendance), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// A workshop's training attendance list, for the officials of its region.
pub async fn attendance(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Session,
    paged: web::Query<crate::web::pages::PageQuery>,
) -> Result<HttpResponse, AppError> {
    let request = request_of(&req)?;
    let list = state.reports.attendance(who.0.as_ref(), request, paged.page()).await?;
    if is_api(&req) {
        return Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "private, no-store")).json(&list));
    }
    let mut ctx = Context::new();
    ctx.insert("pager", &crate::web::pages::Pager::of(&req, list.page, list.page_count, list.total));
    ctx.insert("a", &list);
    let mut page = state.renderer.page(&req, Lang::of_request(&req), "officials/training.html", ctx)?;
    page.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("private, no-store"));
    Ok(page)
}

/// What the annual evaluation is asked for as: its page, a file, or (the API's default) JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AnnualFormat {
    Html,
    Json,
    Xlsx,
    Pdf,
}

#[utoipa::path(get, path = "/api/v1/reports/annual", description = "The annual evaluation (年度评估) of a region (`region`: a province, a key support area or any region; officials their own region or one inside it, operators any; the whole country when absent for operators) for a year (`year`, last year by default), against the year before: workshops established, certified and lapsed; employment and the poor-household share against the target; wages and their poor-household part (designers' shares apart); training; sales by heritage item; the workshops needing attention. `format` = json (default here), html (the printable page), xlsx or pdf. Every evaluation built is recorded with its digest, which `gongfang audit verify` recomputes from the journal.", params(("region" = Option<String>, Query), ("year" = Option<i32>, Query), ("format" = Option<String>, Query)), responses((status = 200, description = "The evaluation as JSON, or as the page or file `format` asks for (its digest in X-Report-Digest)", content((crate::reports::annual::Annual = "application/json"), (String = "text/html"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "application/pdf"))), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError), (status = 503, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// The annual evaluation of a region or the whole country, as a page, JSON, XLSX or PDF.
pub async fn annual(state: web::Data<AppState>, req: HttpRequest, who: Session) -> Result<HttpResponse, AppError> {
    let bad_year = AppError::BadRequest { field: "year", key: "report.bad_year" };
    let year = match query(&req, "year") {
        Some(y) => y.parse::<i32>().map_err(|_| bad_year)?,
        None => state.reports.last_year(),
    };
    let format = match query(&req, "format").as_deref() {
        None if is_api(&req) => AnnualFormat::Json,
        None | Some("html") => AnnualFormat::Html,
        Some("json") => AnnualFormat::Json,
        Some("xlsx") => AnnualFormat::Xlsx,
        Some("pdf") => AnnualFormat::Pdf,
        Some(_) => return Err(AppError::BadRequest { field: "format", key: "report.bad_annual_format" }),
    };
    let viewer = Viewer::of(who.0.as_ref())?;
    let a = state.reports.annual(viewer, query(&req, "region"), year).await?;
    let lang = Lang::of_request(&req);
    let file = |content_type: &str, name: String, bytes: Vec<u8>| {
        HttpResponse::Ok()
            .content_type(content_type.to_owned())
            .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .insert_header(("X-Report-Digest", a.digest.clone()))
            .body(bytes)
    };
    use crate::reports::annual_files as files;
    Ok(match format {
        AnnualFormat::Json => HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "private, no-store")).json(&a),
        AnnualFormat::Html => HttpResponse::Ok()
            .content_type(header::ContentType::html())
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .insert_header((header::CONTENT_LANGUAGE, lang.tag()))
            .body(files::html(&state.renderer, lang, &a, true)?),
        AnnualFormat::Xlsx => file(
            Format::Xlsx.content_type(),
            files::filename(&a, "xlsx"),
            files::xlsx(&a, &Words::new(state.renderer.i18n(), lang))?,
        ),
        AnnualFormat::Pdf => {
            let page = files::html(&state.renderer, lang, &a, false)?;
            let chromium = state.config.chromium.clone();
            let printed = web::block(move || files::pdf(&chromium, &page))
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!("annual PDF: {e}")))??;
            file("application/pdf", files::filename(&a, "pdf"), printed)
        }
    })
}

//! Turning every error response into a page in the user's language, or JSON under `/api`.
//! Handlers return [`AppError`]; actix's own rejections (unknown route, wrong method, bad
//! query) pass through here too, so no user ever sees a bare status line.

use crate::error::{AppError, ErrorDetail};
use crate::i18n::Lang;
use crate::state::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

/// The default service: nothing matched.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// A path segment that does not parse (e.g. a non-numeric id) is simply not found.
pub fn bad_path(_: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    AppError::NotFound.into()
}

/// The JSON body of an API error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiError {
    pub error: ApiErrorBody,
}

/// What went wrong, for programs and for people.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiErrorBody {
    pub status: u16,
    /// Stable machine-readable code, e.g. `error.not_positive_integer`.
    pub code: String,
    /// The request field at fault, if any.
    pub field: Option<String>,
    /// The message in the request's language.
    pub message: String,
}

fn detail_for(status: StatusCode) -> ErrorDetail {
    let key = match status.as_u16() {
        400 => "error.bad_request",
        401 => "error.sign_in",
        403 => "error.forbidden",
        409 => "error.conflict",
        429 => "error.too_many",
        404 => "error.not_found",
        405 => "error.method_not_allowed",
        413 => "error.too_large",
        503 => "error.unavailable",
        s if s >= 500 => "error.internal",
        _ => "error.bad_request",
    };
    ErrorDetail::key(key)
}

/// Marks an error response whose body is already the page the user should see (the search
/// page that says search is briefly unavailable), so that [`render_errors`] keeps it.
#[derive(Debug, Clone, Copy)]
pub struct CompletePage;

/// Middleware: replaces the body of every 4xx/5xx response with a rendered error, unless the
/// handler marked it a [`CompletePage`].
pub async fn render_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error())
        || res.response().extensions().get::<CompletePage>().is_some()
    {
        return Ok(res.map_into_left_body());
    }
    let detail = res.response().extensions().get::<ErrorDetail>().cloned().unwrap_or_else(|| detail_for(status));
    let (req, old) = res.into_parts();
    // A page that needs a signed-in user sends the browser to the login form and back.
    if status == StatusCode::UNAUTHORIZED && !req.path().starts_with("/api/") {
        let next = match req.query_string() {
            "" => req.path().to_owned(),
            q => format!("{}?{q}", req.path()),
        };
        let to = format!("/login?{}", serde_urlencoded::to_string([("next", next)]).unwrap_or_default());
        let new = HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish();
        return Ok(ServiceResponse::new(req, new).map_into_right_body());
    }
    let lang = Lang::of_request(&req);
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let mut new = match state {
        Some(state) if !req.path().starts_with("/api/") => html_error(&state, &req, lang, status, &detail),
        Some(state) => json_error(&state, lang, status, &detail),
        None => HttpResponse::build(status).body(detail.key),
    };
    // Keep headers the handler meant for the client (e.g. Retry-After, and every cookie: a
    // response may set several, so each is appended, never one replacing the last).
    for (name, value) in old.headers() {
        if name == header::RETRY_AFTER || name == header::SET_COOKIE {
            new.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(req, new).map_into_right_body())
}

fn message(state: &AppState, lang: Lang, detail: &ErrorDetail) -> String {
    state.renderer.i18n().detail_message(lang, detail)
}

fn json_error(state: &AppState, lang: Lang, status: StatusCode, detail: &ErrorDetail) -> HttpResponse {
    HttpResponse::build(status).insert_header((header::CONTENT_LANGUAGE, lang.tag())).json(ApiError {
        error: ApiErrorBody {
            status: status.as_u16(),
            code: detail.key.to_owned(),
            field: detail.field.map(str::to_owned),
            message: message(state, lang, detail),
        },
    })
}

fn html_error(
    state: &AppState,
    req: &HttpRequest,
    lang: Lang,
    status: StatusCode,
    detail: &ErrorDetail,
) -> HttpResponse {
    let mut ctx = tera::Context::new();
    ctx.insert("status", &status.as_u16());
    ctx.insert("message", &message(state, lang, detail));
    ctx.insert("field", &detail.field);
    ctx.insert("back", &back_link(req));
    match state.renderer.html(req, lang, "error.html", ctx) {
        Ok(html) => HttpResponse::build(status)
            .content_type(ContentType::html())
            .insert_header((header::CONTENT_LANGUAGE, lang.tag()))
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            HttpResponse::build(status).content_type(ContentType::plaintext()).body(message(state, lang, detail))
        }
    }
}

/// The page the user came from on this site, so that a refused form can be corrected:
/// the path of a same-host `Referer`, never another site. The path passes the same check as
/// the login's `next=` ([`local_path`]), so `/\evil.example` is refused too.
pub(crate) fn back_link(req: &HttpRequest) -> Option<String> {
    let referer = req.headers().get(header::REFERER)?.to_str().ok()?;
    let host = req.connection_info().host().to_owned();
    let rest = referer.strip_prefix("https://").or_else(|| referer.strip_prefix("http://"))?;
    local_path(rest.strip_prefix(host.as_str())?)
}

/// A path on this site, or `None` for anything a browser could read as another site. Browsers
/// read `/\host` as `//host` and drop tabs and newlines inside URLs (so `/\t/host` becomes
/// `//host`): no control characters, spaces or backslashes at all.
pub(crate) fn local_path(path: &str) -> Option<String> {
    (path.starts_with('/')
        && !path.starts_with("//")
        && path.len() <= 2000
        && !path.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\'))
    .then(|| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::cookie::Cookie;
    use actix_web::middleware::from_fn;
    use actix_web::{test, App};

    #[actix_web::test]
    async fn an_error_page_keeps_every_cookie() {
        let app = test::init_service(App::new().wrap(from_fn(render_errors)).route(
            "/",
            web::get().to(|| async {
                HttpResponse::BadRequest().cookie(Cookie::new("a", "1")).cookie(Cookie::new("b", "2")).finish()
            }),
        ))
        .await;
        let res = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let mut names: Vec<String> = res.response().cookies().map(|c| c.name().to_owned()).collect();
        names.sort();
        assert_eq!(names, ["a", "b"]);
    }
}

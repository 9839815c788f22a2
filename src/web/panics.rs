//! A panic in a handler becomes a 500, drawn as the generic error page by
//! [`super::errors::render_errors`], instead of tearing down the worker and the connection.
//! Panics inside database work are already answers: they unwind out of `web::block`, and the
//! pool discards their connection (see `db::tx`).

use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::errors::{ApiError, ApiErrorBody};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;

/// Catches a panic in the rest of the chain and answers 500 with the generic message, as
/// JSON for the API and as a small page otherwise. The request itself is gone with the
/// unwinding (and may not be cloned before routing), so what the answer needs is read first.
pub async fn catch_panics(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let api = req.path().starts_with("/api/");
    let lang = Lang::of_request(req.request());
    let state = req.app_data::<web::Data<AppState>>().cloned();
    match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(res) => res,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(panic = %what, "a request panicked");
            let message = state
                .map(|s| s.renderer.i18n().format(lang, "error.internal", &[]))
                .unwrap_or_else(|| "internal error".to_owned());
            let status = StatusCode::INTERNAL_SERVER_ERROR;
            let mut res = HttpResponse::build(status);
            res.insert_header((header::CONTENT_LANGUAGE, lang.tag()));
            let res = if api {
                res.json(ApiError {
                    error: ApiErrorBody {
                        status: status.as_u16(),
                        code: "error.internal".into(),
                        field: None,
                        message,
                    },
                })
            } else {
                res.content_type(ContentType::html()).body(generic_page(lang, &message))
            };
            Err(actix_web::error::InternalError::from_response(what, res).into())
        }
    }
}

/// The page of a request that panicked: no template (the renderer needs the request).
fn generic_page(lang: Lang, message: &str) -> String {
    let escaped = message.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>500</title><link rel=\"stylesheet\" \
         href=\"/static/css/site.css\"></head><body><main><h1>500</h1><p>{escaped}</p><p><a href=\"/\">工坊 \
         Gongfang</a></p></main></body></html>",
        lang.tag()
    )
}

/// Test-only hook (404 unless `Config::test_hooks`): opens a write transaction, queues an
/// outbox row in it, and panics before it can commit.
pub async fn test_hook_panic_inside_write(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    if !state.config.test_hooks {
        return Err(AppError::NotFound);
    }
    crate::db::tx::test_hook_panic_inside_write(state.orders.db()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Test-only hook (404 unless `Config::test_hooks`): panics in the handler itself.
pub async fn test_hook_panic_in_handler(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    if !state.config.test_hooks {
        return Err(AppError::NotFound);
    }
    #[allow(clippy::panic)]
    {
        panic!("test hook: a panic in a handler");
    }
}

//! One error type for the whole web layer, mapped to HTTP in one place. A 4xx carries a
//! message key the user reads in their own language; a 5xx is logged with its cause and the
//! user sees a generic page. The page itself is drawn by [`crate::web::errors`], which knows
//! the request's language and whether it came to the JSON API.

use crate::domain::listing::FieldError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

/// What went wrong, as the user should hear it.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The thing asked for does not exist (or may not be seen by this user).
    #[error("not found")]
    NotFound,
    /// A field of the request is malformed; `key` names the message in the i18n catalogue.
    #[error("bad request: {field}: {key}")]
    BadRequest { field: &'static str, key: &'static str },
    /// A dependency (the database) is not reachable; the request may be retried.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Anything else: logged with its cause, shown as a generic 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What the error-page renderer needs, left in the response's extensions.
#[derive(Debug, Clone)]
pub struct ErrorDetail {
    /// i18n key of the message.
    pub key: &'static str,
    /// The request field at fault, if any.
    pub field: Option<&'static str>,
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::BadRequest { field: e.field, key: e.problem.message_key() }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::NotFound,
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(format!("database pool: {e}"))
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let detail = match self {
            AppError::NotFound => ErrorDetail { key: "error.not_found", field: None },
            AppError::BadRequest { field, key } => ErrorDetail { key, field: Some(field) },
            AppError::Unavailable(cause) => {
                tracing::warn!(%cause, "service unavailable");
                ErrorDetail { key: "error.unavailable", field: None }
            }
            AppError::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "internal error");
                ErrorDetail { key: "error.internal", field: None }
            }
        };
        let mut res = HttpResponse::build(self.status_code()).body(detail.key);
        res.extensions_mut().insert(detail);
        res
    }
}

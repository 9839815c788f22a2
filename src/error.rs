//! One error type for the whole web layer, mapped to HTTP in one place. A 4xx carries a
//! message key the user reads in their own language; a 5xx is logged with its cause and the
//! user sees a generic page. The page itself is drawn by [`crate::web::errors`], which knows
//! the request's language and whether it came to the JSON API.

use crate::domain::listing::FieldError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use diesel::result::DatabaseErrorKind;

/// What went wrong, as the user should hear it.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The thing asked for does not exist (or may not be seen by this user).
    #[error("not found")]
    NotFound,
    /// A field of the request is malformed; `key` names the message in the i18n catalogue.
    #[error("bad request: {field}: {key}")]
    BadRequest { field: &'static str, key: &'static str },
    /// The request needs a signed-in user (pages redirect to the login form).
    #[error("sign-in required")]
    Unauthorized,
    /// The user may not do this; `key` says why in words they understand.
    #[error("forbidden: {key}")]
    Forbidden { key: &'static str },
    /// The request is well-formed but the thing is not in a state that allows it.
    #[error("conflict: {key}")]
    Conflict { key: &'static str },
    /// As `Conflict`, with values the message names (e.g. which product sold out).
    #[error("conflict: {key}")]
    ConflictWith { key: &'static str, args: Vec<(&'static str, String)> },
    /// Too many attempts; try again after `retry_after` seconds.
    #[error("too many requests: {key}")]
    TooMany { key: &'static str, retry_after: u64 },
    /// An upload or body beyond its limit.
    #[error("too large: {key}")]
    TooLarge { key: &'static str },
    /// A field is wrong in a way the message explains with values (e.g. shares summing to 90%).
    #[error("invalid: {field}: {key}")]
    Invalid { field: &'static str, key: &'static str, args: Vec<(&'static str, String)> },
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
    /// Values the message names, `{name}` in the text.
    pub args: Vec<(&'static str, String)>,
}

impl ErrorDetail {
    /// A message without a field or values.
    pub fn key(key: &'static str) -> ErrorDetail {
        ErrorDetail { key, field: None, args: Vec::new() }
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::BadRequest { field: e.field, key: e.problem.message_key() }
    }
}

impl AppError {
    /// The message the user reads (its key, the field at fault, the values it names). A 5xx
    /// gets the generic message; its cause is for the log.
    pub fn detail(&self) -> ErrorDetail {
        match self {
            AppError::NotFound => ErrorDetail::key("error.not_found"),
            AppError::BadRequest { field, key } => ErrorDetail { key, field: Some(field), args: Vec::new() },
            AppError::Invalid { field, key, args } => ErrorDetail { key, field: Some(field), args: args.clone() },
            AppError::ConflictWith { key, args } => ErrorDetail { key, field: None, args: args.clone() },
            AppError::Unauthorized => ErrorDetail::key("error.sign_in"),
            AppError::Forbidden { key }
            | AppError::Conflict { key }
            | AppError::TooMany { key, .. }
            | AppError::TooLarge { key } => ErrorDetail::key(key),
            AppError::Unavailable(_) => ErrorDetail::key("error.unavailable"),
            AppError::Internal(_) => ErrorDetail::key("error.internal"),
        }
    }

    /// The error in words, for the command line: the message of a 4xx in `lang`, with its
    /// values; for a 5xx, its cause (the operator at the terminal is who must fix it).
    pub fn message(&self, i18n: &crate::i18n::I18n, lang: crate::i18n::Lang) -> String {
        match self {
            AppError::Unavailable(_) | AppError::Internal(_) => format!("{self:#}"),
            _ => i18n.detail_message(lang, &self.detail()),
        }
    }

    /// A field error with values for the message.
    pub fn invalid(field: &'static str, key: &'static str, args: &[(&'static str, String)]) -> AppError {
        AppError::Invalid { field, key, args: args.to_vec() }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::NotFound,
            // A unique constraint says the user asked for something that exists already
            // (an e-mail address, a slug); the caller usually maps it to a clearer message.
            diesel::result::Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::Conflict { key: "error.already_exists" }
            }
            // A row that names a missing row, or breaks a check: the request was wrong, and
            // the code that took it did not check it first (see `db::references`).
            diesel::result::Error::DatabaseError(
                kind @ (DatabaseErrorKind::ForeignKeyViolation
                | DatabaseErrorKind::CheckViolation
                | DatabaseErrorKind::NotNullViolation
                | DatabaseErrorKind::RestrictViolation),
                info,
            ) => {
                tracing::info!(?kind, constraint = info.constraint_name(), "a request broke a database constraint");
                let key = match kind {
                    DatabaseErrorKind::ForeignKeyViolation => "error.unknown_reference",
                    _ => "error.bad_request",
                };
                AppError::BadRequest { field: constraint_field(info.as_ref()), key }
            }
            other => AppError::Internal(other.into()),
        }
    }
}

/// The columns that hold references or checked values, as request fields are named. The
/// first one a constraint's column, name or message mentions is the field at fault.
const CONSTRAINED_FIELDS: [&str; 20] = [
    "heritage_item_id",
    "home_county_code",
    "county_code",
    "prefecture_code",
    "province_code",
    "region_code",
    "parent_code",
    "order_line_id",
    "workshop_id",
    "worker_id",
    "product_id",
    "order_id",
    "shipment_id",
    "payout_id",
    "statement_id",
    "refund_id",
    "entry_id",
    "cart_id",
    "user_id",
    "quantity",
];

/// The request field a constraint violation names: PostgreSQL gives the column or the
/// constraint (`products_heritage_item_id_fkey`); SQLite names columns of unique, check and
/// not-null failures in its message, but not the column of a foreign key.
fn constraint_field(info: &(dyn diesel::result::DatabaseErrorInformation + Send + Sync)) -> &'static str {
    let said = [info.column_name(), info.constraint_name(), Some(info.message())];
    CONSTRAINED_FIELDS
        .into_iter()
        .find(|field| said.iter().flatten().any(|text| text.contains(field)))
        .unwrap_or("request")
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
            AppError::BadRequest { .. } | AppError::Invalid { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::Conflict { .. } | AppError::ConflictWith { .. } => StatusCode::CONFLICT,
            AppError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Unavailable(cause) => tracing::warn!(%cause, "service unavailable"),
            AppError::Internal(cause) => tracing::error!(error = format!("{cause:#}"), "internal error"),
            _ => {}
        }
        let detail = self.detail();
        let mut builder = HttpResponse::build(self.status_code());
        if let AppError::TooMany { retry_after, .. } = self {
            builder.insert_header((actix_web::http::header::RETRY_AFTER, retry_after.to_string()));
        }
        let mut res = builder.body(detail.key);
        res.extensions_mut().insert(detail);
        res
    }
}

//! Text no backend can store is refused before any handler reads it. PostgreSQL's `text`
//! cannot hold the NUL character (SQLite can), so a `\0` anywhere in a request's path, query
//! string, or JSON or form body answers 400 `error.nul` on both backends alike, instead of a
//! database error deep inside a transaction.

use crate::error::AppError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::HttpMessage;
use futures_util::StreamExt;

/// The most a JSON or form body may be (actix's own JSON limit); larger ones are refused here.
const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Middleware: refuses a request that carries a NUL character (see the module's comment).
/// Multipart uploads are not read here: a picture's bytes may hold NUL, and their text fields
/// are bounded and checked where the form is read.
pub async fn refuse_nul(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let refuse = |req: ServiceRequest, field: &'static str| {
        Ok(req.error_response(AppError::BadRequest { field, key: "error.nul" }).map_into_right_body())
    };
    if encodes_nul(req.uri().path().as_bytes()) {
        return refuse(req, "path");
    }
    if encodes_nul(req.query_string().as_bytes()) {
        return refuse(req, "query");
    }
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let json = content_type.starts_with("application/json") || content_type.contains("+json");
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    if json || form {
        let mut payload = req.take_payload();
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            body.extend_from_slice(&chunk?);
            if body.len() > BODY_LIMIT {
                return Ok(req.error_response(AppError::TooLarge { key: "error.too_large" }).map_into_right_body());
            }
        }
        let body: Bytes = body.freeze();
        let nul = body.contains(&0) || if json { json_escapes_nul(&body) } else { encodes_nul(&body) };
        if nul {
            return refuse(req, "body");
        }
        req.set_payload(Payload::from(body));
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// `%00` in percent-encoded text.
fn encodes_nul(text: &[u8]) -> bool {
    text.windows(3).any(|w| w == b"%00")
}

/// `\u0000` in JSON text (the only way JSON can carry a NUL).
fn json_escapes_nul(text: &[u8]) -> bool {
    text.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_however_it_is_written() {
        assert!(encodes_nul(b"q=a%00b"));
        assert!(!encodes_nul(b"q=a%200"));
        assert!(json_escapes_nul(br#"{"story_en":"a\u0000b"}"#));
        assert!(!json_escapes_nul(br#"{"story_en":"a\u00e9b"}"#));
    }
}

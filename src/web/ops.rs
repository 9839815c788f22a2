//! Liveness, readiness and the request-id header.

use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse};
use tracing_actix_web::RequestId;

/// `GET /healthz`: the process is up. Also the minimal route benchmarks compare against.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// `GET /readyz`: each dependency's state, a line each. 503 when the database does not
/// answer (the node can do nothing). A read replica that lags or is down is named but keeps
/// the node ready (its reads go to the primary). A search engine that does not answer is
/// named but keeps the node ready, since the rest of the shop works without it and a
/// balancer would otherwise drain every node at once.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = state.catalog.ping().await;
    let search = state.search.health().await;
    let line = |ok: bool, what: &str| if ok { format!("ok ({what})") } else { format!("unavailable ({what})") };
    let mail = if state.config.mail.smtp_url.is_some() { "smtp" } else { "files in the data dir" };
    let mut body = format!(
        "database: {}\nsearch: {}\nmail: {mail}\n",
        line(database.is_ok(), state.catalog.backend()),
        line(search.is_ok(), state.search.engine_name()),
    );
    if let Some(replica) = state.catalog.replica_status() {
        body.push_str(&format!("replica: {}\n", replica_line(&replica)));
    }
    if let Err(e) = &search {
        tracing::warn!(error = %e, "readiness: the search engine does not answer");
    }
    match database {
        Ok(()) => HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(format!("ready\n{body}")),
        Err(e) => {
            tracing::error!(error = %e, "readiness: the database does not answer");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain; charset=utf-8")
                .body(format!("not ready\n{body}"))
        }
    }
}

/// The replica's state in words: how far behind, and where the stale-tolerant reads go.
fn replica_line(r: &crate::db::replica::ReplicaStatus) -> String {
    let max = r.max_lag.as_secs_f64();
    match r.lag {
        Some(lag) if r.in_use => format!("ok (behind by {:.1} s, at most {max:.1} s)", lag.as_secs_f64()),
        Some(lag) => format!("behind by {:.1} s, more than {max:.1} s: reads on the primary", lag.as_secs_f64()),
        None => "lag unknown or replica unreachable: reads on the primary".to_owned(),
    }
}

/// Middleware: echoes the request id (the one in every log line of the request) as
/// `X-Request-Id`, so a user's report can be matched to the logs.
pub async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let mut res = next.call(req).await?;
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut().insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}

/// The root span of every request, as tracing-actix-web's default but without the raw path
/// and query: paths like `/reset/{token}` and `/invite/{token}`, and `?csrf=` on uploads,
/// carry secrets, so the log names the matched route pattern instead.
pub struct RedactedSpans;

impl tracing_actix_web::RootSpanBuilder for RedactedSpans {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        let route = request.match_pattern().unwrap_or_else(|| "(unmatched)".to_owned());
        let request_id = request.extensions().get::<RequestId>().map(ToString::to_string).unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

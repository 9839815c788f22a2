//! Who is asking, and whether a state-changing request is genuine. The session cookie (or a
//! bearer token) becomes a [`Principal`] through the [`Viewer`] and [`SignedIn`] extractors;
//! the [`csrf_guard`] middleware refuses every POST, PUT, PATCH or DELETE that carries
//! neither a bearer token nor the CSRF token bound to this browser's `gf_csrf` cookie.

use crate::accounts::flows::TokenKind;
use crate::accounts::secrets::new_token;
use crate::domain::account::Principal;
use crate::error::AppError;
use crate::server::FORM_LIMIT;
use crate::state::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use std::future::Future;
use std::pin::Pin;

/// The session cookie: a random token whose SHA-256 is in `auth_tokens`.
pub const SESSION_COOKIE: &str = "gf_session";
/// This browser's CSRF nonce; forms carry the server's MAC of it.
pub const CSRF_COOKIE: &str = "gf_csrf";

/// The CSRF token for this request's browser, for templates (`{{ csrf }}`).
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// Whether the app is reached over TLS, so cookies get `Secure`.
fn secure(req: &HttpRequest, state: &AppState) -> bool {
    state.config.public_url.starts_with("https://") || req.connection_info().scheme() == "https"
}

/// A cookie with the flags every cookie of ours carries.
pub fn cookie<'a>(req: &HttpRequest, state: &AppState, name: &'a str, value: String) -> Cookie<'a> {
    let mut c = Cookie::build(name, value).path("/").http_only(true).same_site(SameSite::Lax).finish();
    c.set_secure(secure(req, state));
    c
}

/// An expired cookie that removes `name`.
pub fn removal<'a>(req: &HttpRequest, state: &AppState, name: &'a str) -> Cookie<'a> {
    let mut c = cookie(req, state, name, String::new());
    c.make_removal();
    c
}

/// Middleware: issues the CSRF cookie and checks the token on state-changing requests.
pub async fn csrf_guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let existing = req.cookie(CSRF_COOKIE).map(|c| c.value().to_owned()).filter(|v| v.len() >= 32);
    let nonce = existing.clone().unwrap_or_else(new_token);
    let key = state.accounts.key().clone();
    let changing = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // Creating a bearer token needs the password itself, which a forged request lacks.
    // Stripe's webhook is authenticated by its signature instead.
    let exempt = req.path() == "/api/v1/auth/tokens" || req.path() == "/webhooks/stripe";
    if changing && !exempt && bearer(req.request()).is_none() {
        let content_type =
            req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let is_form = content_type.starts_with("application/x-www-form-urlencoded");
        // A multipart upload is not read here (it may be megabytes), so its form carries the
        // token in its action's query string. Nothing else may: a token in a URL leaks through
        // logs, history and Referer headers.
        let is_upload = content_type.starts_with("multipart/form-data");
        let mut given =
            req.headers().get("X-CSRF-Token").and_then(|v| v.to_str().ok()).map(str::to_owned).or_else(|| {
                is_upload
                    .then(|| {
                        crate::domain::listing::query_value(&crate::i18n::url_pairs(req.query_string()), "csrf")
                            .map(str::to_owned)
                    })
                    .flatten()
            });
        if given.is_none() && is_form {
            let body = match req.extract::<web::Bytes>().await {
                Ok(b) if b.len() <= FORM_LIMIT => b,
                _ => {
                    return Ok(req.error_response(AppError::TooLarge { key: "error.too_large" }).map_into_right_body())
                }
            };
            given = crate::i18n::url_pairs(std::str::from_utf8(&body).unwrap_or(""))
                .into_iter()
                .find(|(k, _)| k == "csrf")
                .map(|(_, v)| v);
            req.set_payload(Payload::from(body));
        }
        let valid = matches!((&existing, &given), (Some(n), Some(t)) if key.csrf_matches(n, t));
        if !valid {
            return Ok(req.error_response(AppError::Forbidden { key: "error.csrf" }).map_into_right_body());
        }
    }
    req.extensions_mut().insert(CsrfToken(key.csrf_token(&nonce)));
    // Built before the call: the request must not be cloned while routing uses it.
    let fresh = existing.is_none().then(|| cookie(req.request(), &state, CSRF_COOKIE, nonce));
    let mut res = next.call(req).await?;
    // A login sets a new nonce of its own ([`renewed_csrf`]); that one stands.
    let renewed = res.response().cookies().any(|c| c.name() == CSRF_COOKIE);
    // A page a shared cache may keep has no form, so needs no nonce; and a kept Set-Cookie
    // would hand one nonce to every visitor of that cache.
    let public =
        res.headers().get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("public"));
    if let Some(c) = fresh.filter(|_| !renewed && !public) {
        let _ = res.response_mut().add_cookie(&c);
    }
    Ok(res.map_into_left_body())
}

/// A new CSRF nonce for a browser that has just signed in, so a nonce planted before the login
/// (by someone who set the cookie) is worth nothing after it: the cookie that replaces it, and
/// the token forms and the API must send from now on.
pub fn renewed_csrf<'a>(req: &HttpRequest, state: &AppState) -> (Cookie<'a>, String) {
    let nonce = new_token();
    let token = state.accounts.key().csrf_token(&nonce);
    (cookie(req, state, CSRF_COOKIE, nonce), token)
}

/// The signed-in user, if any (from a bearer token, else the session cookie).
#[derive(Debug, Clone)]
pub struct Viewer(pub Option<Principal>);

impl FromRequest for Viewer {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Viewer, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(v) = req.extensions().get::<Viewer>() {
                return Ok(v.clone());
            }
            let state = req.app_data::<web::Data<AppState>>().cloned().ok_or(AppError::Unavailable("state".into()))?;
            let found = match bearer(&req) {
                // A request with a bearer token is judged by it alone, never by cookies.
                Some(token) => state.accounts.principal(token, TokenKind::Bearer).await?,
                None => match req.cookie(SESSION_COOKIE) {
                    Some(c) => state.accounts.principal(c.value().to_owned(), TokenKind::Session).await?,
                    None => None,
                },
            };
            let viewer = Viewer(found);
            req.extensions_mut().insert(viewer.clone());
            Ok(viewer)
        })
    }
}

/// A signed-in user; without one, pages redirect to the login form and the API answers 401.
#[derive(Debug, Clone)]
pub struct SignedIn(pub Principal);

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<SignedIn, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let viewer = Viewer::from_request(req, payload);
        Box::pin(async move { viewer.await?.0.map(SignedIn).ok_or(AppError::Unauthorized) })
    }
}

/// The client's address for the login rate limit: the peer, or the first `X-Forwarded-For`
/// hop when the app is configured to sit behind a proxy.
pub fn client_ip(req: &HttpRequest, state: &AppState) -> String {
    if state.accounts.config().trust_proxy {
        // The right-most hop is the one our own proxy added; the ones before it are whatever
        // the client claimed.
        let forwarded = req.headers().get("X-Forwarded-For").and_then(|v| v.to_str().ok());
        if let Some(hop) = forwarded.and_then(|v| v.rsplit(',').next()).map(str::trim).filter(|h| !h.is_empty()) {
            return hop.to_owned();
        }
    }
    req.peer_addr().map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
}

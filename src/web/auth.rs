//! Sign-up, login and logout, password reset and invitations: the pages and their JSON twins.

use super::forms::{answer, FormState, Submission};
use super::session::{client_ip, cookie, removal, SignedIn, Viewer, SESSION_COOKIE};
use crate::accounts::flows::{SignedIn as Session, TokenKind};
use crate::accounts::invitations::InviteInput;
use crate::domain::account::{Principal, Role};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use tera::Context;

/// Email and password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Credentials {
    pub email: String,
    pub password: String,
    /// Where to go after logging in (a path on this site).
    #[serde(default)]
    pub next: Option<String>,
}

/// A new buyer account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub display_name: String,
    /// Where to go after signing up (a path on this site), e.g. back to checkout.
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct EmailOnly {
    pub email: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewPasswordInput {
    pub password: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// The signed-in user, as the API shows them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub workshop_id: Option<i64>,
    pub region_code: Option<String>,
}

impl From<&Principal> for UserView {
    fn from(p: &Principal) -> Self {
        UserView {
            id: p.user_id.get(),
            email: p.email.clone(),
            display_name: p.display_name.clone(),
            role: p.role.name().to_owned(),
            workshop_id: p.role.workshop().map(|w| w.get()),
            region_code: p.role.region().map(|r| r.as_str().to_owned()),
        }
    }
}

/// The session as the API shows it: the user (or null) and the CSRF token for cookie-based calls.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub user: Option<UserView>,
    pub csrf_token: Option<String>,
}

fn is_api(req: &HttpRequest) -> bool {
    req.path().starts_with("/api/")
}

/// Only paths on this site, so a crafted link cannot send a user elsewhere after login.
fn safe_next(next: Option<&str>) -> Option<String> {
    next.and_then(super::errors::local_path)
}

/// Where a user lands after signing in (unless a safe `next` says otherwise): staff at their
/// portal, officials at their reports, buyers at their account.
fn home_of(p: &Principal) -> &'static str {
    match p.role {
        Role::Manager(_) | Role::Editor(_) | Role::Operator => "/portal",
        Role::Official(_) => "/officials",
        Role::Buyer => "/account",
    }
}

/// The answer to a login (or a sign-up that logs in): the session cookie and a new CSRF nonce,
/// whose token the API answer carries.
fn signed_in_response(req: &HttpRequest, state: &AppState, session: Session, next: Option<String>) -> HttpResponse {
    let c = cookie(req, state, SESSION_COOKIE, session.token.clone());
    let (csrf_cookie, csrf) = super::session::renewed_csrf(req, state);
    if is_api(req) {
        return HttpResponse::Ok()
            .cookie(c)
            .cookie(csrf_cookie)
            .json(SessionView { user: Some((&session.principal).into()), csrf_token: Some(csrf) });
    }
    let to = next.unwrap_or_else(|| home_of(&session.principal).to_owned());
    HttpResponse::SeeOther().cookie(c).cookie(csrf_cookie).insert_header((header::LOCATION, to)).finish()
}

fn page(state: &AppState, req: &HttpRequest, template: &str, ctx: Context) -> Result<HttpResponse, AppError> {
    state.renderer.page(req, Lang::of_request(req), template, ctx)
}

/// A page that only says something (e.g. "check your e-mail").
fn message(state: &AppState, req: &HttpRequest, key: &str) -> Result<HttpResponse, AppError> {
    let mut ctx = Context::new();
    ctx.insert("message_key", key);
    page(state, req, "auth/message.html", ctx)
}

/// `/register` or `/login` carrying on to `next`, for the link from one form to the other.
fn with_next(path: &str, next: Option<&str>) -> String {
    match next {
        Some(n) => format!("{path}?{}", serde_urlencoded::to_string([("next", n)]).unwrap_or_default()),
        None => path.to_owned(),
    }
}

/// The `next` of a form (if kept) or else of the page's query string, if it is a local path.
fn next_of(req: &HttpRequest, form: &FormState) -> Option<String> {
    let pairs = super::query_pairs(req);
    safe_next(form.value("next").or_else(|| crate::domain::listing::query_value(&pairs, "next")))
}

/// The login form, empty or with what was typed and its message.
async fn login_form(state: &AppState, req: &HttpRequest, form: FormState) -> Result<HttpResponse, AppError> {
    let mut ctx = Context::new();
    let next = next_of(req, &form);
    ctx.insert("register_link", &with_next("/register", next.as_deref()));
    ctx.insert("next", &next);
    ctx.insert("form", &form);
    page(state, req, "auth/login.html", ctx)
}

pub async fn login_page(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    login_form(&state, &req, FormState::default()).await
}

#[utoipa::path(post, path = "/api/v1/auth/login", description = "Log in with a session cookie (send the CSRF token from /api/v1/auth/session). Rate-limited per account and per address.", request_body = Credentials, responses((status = 200, body = SessionView), (status = 400, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 429, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    input: Submission<Credentials>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let result = async {
        let input = input?;
        let ip = client_ip(&req, &state);
        let session = state.accounts.login(&input.email, &input.password, ip, TokenKind::Session).await?;
        let merged = super::shop::merge_browser_cart(&req, &state, session.principal.user_id.get()).await?;
        let mut res = signed_in_response(&req, &state, session, safe_next(input.next.as_deref()));
        if let Some(gone) = merged {
            let _ = res.add_cookie(&gone);
        }
        Ok(res)
    }
    .await;
    answer(&state, &req, result, form, |form| login_form(&state, &req, form)).await
}

#[utoipa::path(post, path = "/api/v1/auth/tokens", description = "A bearer token for apps; no CSRF token needed. Answers {token, user}.", request_body = Credentials, responses((status = 201, body = crate::web::replies::IssuedToken), (status = 400, body = crate::web::errors::ApiError), (status = 429, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
/// Issues a bearer token for an API client (mobile apps, mini-programs).
pub async fn create_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    input: web::Json<Credentials>,
) -> Result<HttpResponse, AppError> {
    let ip = client_ip(&req, &state);
    let s = state.accounts.login(&input.email, &input.password, ip, TokenKind::Bearer).await?;
    Ok(HttpResponse::Created()
        .json(crate::web::replies::IssuedToken { token: s.token, user: UserView::from(&s.principal) }))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", description = "End the session or revoke the bearer token.", responses((status = 204), (status = 403, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn logout(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
        .or_else(|| req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()));
    if let Some(t) = token {
        state.accounts.logout(t).await?;
    }
    let gone = removal(&req, &state, SESSION_COOKIE);
    if is_api(&req) {
        return Ok(HttpResponse::NoContent().cookie(gone).finish());
    }
    Ok(HttpResponse::SeeOther().cookie(gone).insert_header((header::LOCATION, "/")).finish())
}

#[utoipa::path(get, path = "/api/v1/auth/session", description = "The signed-in user (or null) and the CSRF token to send as X-CSRF-Token with cookie-based calls.", responses((status = 200, body = SessionView)))]
pub async fn session(req: HttpRequest, viewer: Viewer) -> Result<HttpResponse, AppError> {
    let csrf = req.extensions().get::<super::session::CsrfToken>().map(|t| t.0.clone());
    Ok(HttpResponse::Ok().json(SessionView { user: viewer.0.as_ref().map(UserView::from), csrf_token: csrf }))
}

/// The sign-up form, empty or with what was typed (never the password) and its message.
async fn register_form(state: &AppState, req: &HttpRequest, form: FormState) -> Result<HttpResponse, AppError> {
    let mut ctx = Context::new();
    let next = next_of(req, &form);
    ctx.insert("login_link", &with_next("/login", next.as_deref()));
    ctx.insert("next", &next);
    ctx.insert("form", &form);
    page(state, req, "auth/register.html", ctx)
}

pub async fn register_page(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    register_form(&state, &req, FormState::default()).await
}

#[utoipa::path(post, path = "/api/v1/auth/register", description = "Create a buyer account and sign it in.", request_body = Registration, responses((status = 200, body = SessionView), (status = 400, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    input: Submission<Registration>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let result = async {
        let input = input?;
        let lang = Lang::of_request(&req);
        let session = state.accounts.register(&input.email, &input.password, &input.display_name, lang).await?;
        let merged = super::shop::merge_browser_cart(&req, &state, session.principal.user_id.get()).await?;
        let mut res = signed_in_response(&req, &state, session, safe_next(input.next.as_deref()));
        if let Some(gone) = merged {
            let _ = res.add_cookie(&gone);
        }
        Ok(res)
    }
    .await;
    answer(&state, &req, result, form, |form| register_form(&state, &req, form)).await
}

pub async fn account(state: web::Data<AppState>, req: HttpRequest, who: SignedIn) -> Result<HttpResponse, AppError> {
    let mut ctx = Context::new();
    ctx.insert("user", &UserView::from(&who.0));
    page(&state, &req, "auth/account.html", ctx)
}

/// A page with one form: its template draws `form`.
fn form_page(state: &AppState, req: &HttpRequest, template: &str, form: FormState) -> Result<HttpResponse, AppError> {
    let mut ctx = Context::new();
    ctx.insert("form", &form);
    page(state, req, template, ctx)
}

pub async fn forgot_page(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    form_page(&state, &req, "auth/forgot.html", FormState::default())
}

#[utoipa::path(post, path = "/api/v1/auth/password-reset", description = "E-mail a reset link if the address has an account (the answer is the same either way).", request_body = EmailOnly, responses((status = 202, body = crate::web::replies::Sent), (status = 400, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn forgot(
    state: web::Data<AppState>,
    req: HttpRequest,
    input: Submission<EmailOnly>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let result = async {
        state.accounts.request_reset(&input?.email).await?;
        if is_api(&req) {
            return Ok(HttpResponse::Accepted().json(crate::web::replies::Sent { sent: true }));
        }
        message(&state, &req, "auth.reset_sent")
    }
    .await;
    answer(&state, &req, result, form, |form| async { form_page(&state, &req, "auth/forgot.html", form) }).await
}

pub async fn reset_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    if !state.accounts.reset_link_valid(token.into_inner()).await? {
        return Err(AppError::NotFound);
    }
    form_page(&state, &req, "auth/reset.html", FormState::default())
}

#[utoipa::path(post, path = "/api/v1/auth/password-reset/{token}", description = "Set a new password with a reset link's token; works once.", request_body = NewPasswordInput, params(("token" = String, Path)), responses((status = 204), (status = 400, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    input: Submission<NewPasswordInput>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let result = async {
        state.accounts.reset_password(token.into_inner(), &input?.password).await?;
        if is_api(&req) {
            return Ok(HttpResponse::NoContent().finish());
        }
        message(&state, &req, "auth.reset_done")
    }
    .await;
    answer(&state, &req, result, form, |form| async { form_page(&state, &req, "auth/reset.html", form) }).await
}

#[utoipa::path(post, path = "/api/v1/portal/invitations", description = "Invite an editor (manager), or a manager or official (operator).", request_body = crate::accounts::invitations::InviteInput, responses((status = 202, body = crate::web::replies::Sent), (status = 400, body = crate::web::errors::ApiError), (status = 401, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn invite(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    input: Submission<InviteInput>,
) -> Result<HttpResponse, AppError> {
    let (input, form) = input.split();
    let form = form.map(|f| f.prefixed("i").scoped("invite"));
    let result = async {
        state.accounts.invite(&who.0, input?).await?;
        if is_api(&req) {
            return Ok(HttpResponse::Accepted().json(crate::web::replies::Sent { sent: true }));
        }
        message(&state, &req, "auth.invite_sent")
    }
    .await;
    // A manager invites editors from the workshop's page; an operator from the portal's home.
    answer(&state, &req, result, form, |f| async {
        let workshop = f.value("workshop_id").and_then(|w| w.parse::<i64>().ok());
        match (f.value("role"), workshop) {
            (Some("editor"), Some(id)) => {
                let refused = super::portal::pages::WorkshopForms { invite: Some(f), ..Default::default() };
                super::portal::pages::workshop_page(&state, &req, &who, id, refused).await
            }
            _ => super::portal::pages::home_page(&state, &req, &who, Some(f)).await,
        }
    })
    .await
}

pub async fn invitation_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    invitation_form(&state, &req, token.into_inner(), FormState::default()).await
}

/// The invitation's form, empty or with the name typed and its message.
async fn invitation_form(
    state: &AppState,
    req: &HttpRequest,
    token: String,
    form: FormState,
) -> Result<HttpResponse, AppError> {
    let view = state.accounts.invitation(token).await?;
    let mut ctx = Context::new();
    ctx.insert("invitation", &view);
    ctx.insert("form", &form);
    page(state, req, "auth/invite.html", ctx)
}

#[utoipa::path(post, path = "/api/v1/invitations/{token}", description = "Accept an invitation: set name and password, sign in.", request_body = NewPasswordInput, params(("token" = String, Path)), responses((status = 200, body = SessionView), (status = 400, body = crate::web::errors::ApiError), (status = 403, body = crate::web::errors::ApiError), (status = 404, body = crate::web::errors::ApiError)), security(("bearer" = []), ("session" = [])))]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    input: Submission<NewPasswordInput>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let (input, form) = input.split();
    let result = async {
        let input = input?;
        let name = input.display_name.unwrap_or_default();
        let session = state.accounts.accept_invitation(token.clone(), &name, &input.password).await?;
        Ok(signed_in_response(&req, &state, session, None))
    }
    .await;
    answer(&state, &req, result, form, |form| invitation_form(&state, &req, token.clone(), form)).await
}

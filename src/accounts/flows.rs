//! The account flows handlers call: register, log in (rate-limited), log out, resolve a
//! token, reset a password by e-mailed link, invite staff and officials, accept an invitation.

use super::authz::{authorize, Action};
use super::secrets::{new_token, token_hash};
use super::{hash_password, verify_password, Accounts};
use crate::db::accounts::{self as q, NewUser, OneTimeToken};
use crate::db::audit::{self, AuditEvent};
use crate::db::DbConn;
use crate::domain::account::{EmailAddress, NewPassword, Principal, Role};
use crate::domain::{RegionCode, WorkshopId};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::mail::{MailKind, Mailer};
use chrono::NaiveDateTime;
use diesel::Connection;
use serde::Deserialize;

/// Session cookies or API bearer tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Session,
    Bearer,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Session => "session",
            TokenKind::Bearer => "bearer",
        }
    }
}

/// A signed-in user and the token that carries the sign-in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub principal: Principal,
    pub token: String,
    pub lang: Lang,
}

/// An invitation as the inviter fills it in.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct InviteInput {
    pub email: String,
    /// `manager`, `editor` or `official`.
    pub role: String,
    /// The workshop of a manager or editor (an editor's inviter's own by default).
    pub workshop_id: Option<i64>,
    /// The region of an official.
    pub region_code: Option<String>,
    /// The language of the e-mail: `zh` (default) or `en`.
    pub lang: Option<String>,
}

/// What an invitation offers, for the page that accepts it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InvitationView {
    pub email: String,
    pub role: String,
}

fn email_field(input: &str) -> Result<EmailAddress, AppError> {
    EmailAddress::parse(input).ok_or(AppError::BadRequest { field: "email", key: "error.email" })
}

fn password_field(input: &str) -> Result<NewPassword, AppError> {
    NewPassword::parse(input).ok_or(AppError::BadRequest { field: "password", key: "error.password_rules" })
}

fn name_field(input: &str) -> Result<String, AppError> {
    let name = input.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::BadRequest { field: "display_name", key: "error.name_length" });
    }
    Ok(name.to_owned())
}

fn later(now: NaiveDateTime, d: std::time::Duration) -> NaiveDateTime {
    now + chrono::Duration::from_std(d).unwrap_or_default()
}

impl Accounts {
    /// Sessions, links and lockouts run on the wall clock, not the injectable business
    /// clock: a fixed "today" in tests must not stop a link from expiring.
    fn now(&self) -> NaiveDateTime {
        crate::db::now()
    }

    fn start_session(&self, conn: &mut DbConn, principal: &Principal, kind: TokenKind) -> Result<String, AppError> {
        let token = new_token();
        let ttl = self.config.session_ttl;
        q::insert_token(conn, &token_hash(&token), principal.user_id, kind.as_str(), "", later(self.now(), ttl))?;
        Ok(token)
    }

    /// Creates a buyer account and signs it in.
    pub async fn register(&self, email: &str, password: &str, name: &str, lang: Lang) -> Result<SignedIn, AppError> {
        let email = email_field(email)?;
        let password = password_field(password)?;
        let name = name_field(name)?;
        let this = self.clone();
        self.db
            .run(move |conn| {
                let hash = hash_password(password.expose())?;
                let user = NewUser::new(email.as_str(), hash, &name, lang.code(), &Role::Buyer);
                let id = q::insert_user(conn, &user).map_err(|e| match AppError::from(e) {
                    AppError::Conflict { .. } => AppError::BadRequest { field: "email", key: "error.email_taken" },
                    other => other,
                })?;
                let row = q::user_by_id(conn, crate::domain::account::UserId(id))?.ok_or(AppError::NotFound)?;
                let principal = row.principal().ok_or(AppError::NotFound)?;
                let token = this.start_session(conn, &principal, TokenKind::Session)?;
                Ok(SignedIn { principal, token, lang })
            })
            .await
    }

    /// Checks a password, under the rate limit: after too many failures for one account or
    /// from one address within the window, attempts are refused until the window has passed.
    pub async fn login(&self, email: &str, password: &str, ip: String, kind: TokenKind) -> Result<SignedIn, AppError> {
        let account = email.trim().to_lowercase();
        let password = password.to_owned();
        let this = self.clone();
        self.db
            .run(move |conn| {
                let now = this.now();
                let window = chrono::Duration::from_std(this.config.login_window).unwrap_or_default();
                let since = now - window;
                let (by_account, by_ip) = q::recent_failures(conn, &account, &ip, since)?;
                if by_account >= this.config.max_failures_per_account || by_ip >= this.config.max_failures_per_ip {
                    let newest = q::newest_failure(conn, &account, &ip, since)?.unwrap_or(now);
                    let wait = (newest + window - now).num_seconds().max(1);
                    let key = if by_account >= this.config.max_failures_per_account {
                        "error.login_locked"
                    } else {
                        "error.login_locked_ip"
                    };
                    return Err(AppError::TooMany { key, retry_after: wait.unsigned_abs() });
                }
                let user = q::user_by_email(conn, &account)?;
                // Check a hash even for an unknown address, so timing does not tell who has an account.
                let stored = user.as_ref().map_or(this.dummy_hash.as_str(), |u| u.password_hash.as_str());
                let ok = verify_password(&password, stored) && user.is_some();
                match user.and_then(|u| u.principal().map(|p| (p, u.lang))).filter(|_| ok) {
                    Some((principal, lang)) => {
                        q::clear_failures(conn, &account, since)?;
                        let token = this.start_session(conn, &principal, kind)?;
                        Ok(SignedIn { principal, token, lang: Lang::parse(&lang).unwrap_or_default() })
                    }
                    None => {
                        q::record_failure(conn, &account, &ip, now)?;
                        Err(AppError::BadRequest { field: "password", key: "error.login_failed" })
                    }
                }
            })
            .await
    }

    /// Ends a session or revokes a bearer token.
    pub async fn logout(&self, token: String) -> Result<(), AppError> {
        self.db.run(move |conn| Ok(q::delete_token(conn, &token_hash(&token)).map(|_| ())?)).await
    }

    /// The user behind a token, if it is live.
    pub async fn principal(&self, token: String, kind: TokenKind) -> Result<Option<Principal>, AppError> {
        let now = self.now();
        self.db
            .run(move |conn| {
                Ok(q::user_by_token(conn, &token_hash(&token), kind.as_str(), now)?.and_then(|u| u.principal()))
            })
            .await
    }

    /// Sends a reset link if the address has an account. The answer is the same either
    /// way, so the form does not reveal who has an account.
    pub async fn request_reset(&self, email: &str) -> Result<(), AppError> {
        let Some(email) = EmailAddress::parse(email) else {
            return Err(AppError::BadRequest { field: "email", key: "error.email" });
        };
        let this = self.clone();
        self.db
            .run(move |conn| {
                let Some(user) = q::user_by_email(conn, email.as_str())? else {
                    return Ok(());
                };
                let token = new_token();
                let now = this.now();
                let lang = Lang::parse(&user.lang).unwrap_or_default();
                let mut vars = tera::Context::new();
                vars.insert("name", &user.display_name);
                vars.insert("link", &format!("{}/reset/{token}", this.public_url));
                vars.insert("minutes", &(this.config.reset_ttl.as_secs() / 60).max(1));
                let mail = this.mailer.compose(MailKind::PasswordReset, lang, &user.email, &vars)?;
                conn.transaction(|c| {
                    q::insert_one_time(
                        c,
                        &OneTimeToken {
                            token_hash: token_hash(&token),
                            purpose: "password_reset".into(),
                            user_id: Some(user.id),
                            email: user.email.clone(),
                            role: None,
                            workshop_id: None,
                            region_code: None,
                            created_by: None,
                            created_at: now,
                            expires_at: later(now, this.config.reset_ttl),
                        },
                    )?;
                    Mailer::enqueue(c, &mail)
                })?;
                this.mailer.wake();
                Ok(())
            })
            .await
    }

    /// Whether a reset link is still good (for showing its form).
    pub async fn reset_link_valid(&self, token: String) -> Result<bool, AppError> {
        let now = self.now();
        self.db.run(move |conn| Ok(q::peek_one_time(conn, &token_hash(&token), "password_reset", now)?.is_some())).await
    }

    /// Sets a new password through a reset link; the link then stops working and every
    /// session of the account ends.
    pub async fn reset_password(&self, token: String, password: &str) -> Result<(), AppError> {
        let password = password_field(password)?;
        let this = self.clone();
        self.db
            .run(move |conn| {
                let now = this.now();
                let hash = token_hash(&token);
                let link = q::peek_one_time(conn, &hash, "password_reset", now)?.ok_or(AppError::NotFound)?;
                let user = crate::domain::account::UserId(link.user_id.ok_or(AppError::NotFound)?);
                let new_hash = hash_password(password.expose())?;
                conn.transaction(|c| {
                    if !q::take_one_time(c, &hash, "password_reset", now)? {
                        return Err(AppError::NotFound);
                    }
                    q::set_password(c, user, &new_hash)?;
                    q::delete_user_tokens(c, user)?;
                    audit::append(
                        c,
                        AuditEvent::new(
                            Some(user),
                            "user.password_reset",
                            format!("user:{}", user.get()),
                            serde_json::json!({}),
                        ),
                        now,
                    )?;
                    Ok(())
                })
            })
            .await
    }

    /// Invites someone to a role: operators invite managers and officials, a manager invites
    /// editors of their own workshop.
    pub async fn invite(&self, who: &Principal, input: InviteInput) -> Result<(), AppError> {
        let email = email_field(&input.email)?;
        let lang = input.lang.as_deref().and_then(Lang::parse).unwrap_or_default();
        let role = match input.role.as_str() {
            "editor" => {
                let workshop = input.workshop_id.map(WorkshopId).or(who.role.workshop());
                authorize(Some(who), Action::InviteEditor, workshop)?;
                Role::Editor(workshop.ok_or(AppError::BadRequest { field: "workshop_id", key: "error.required" })?)
            }
            "manager" => {
                authorize(Some(who), Action::InviteManagerOrOfficial, None)?;
                let w =
                    input.workshop_id.ok_or(AppError::BadRequest { field: "workshop_id", key: "error.required" })?;
                Role::Manager(WorkshopId(w))
            }
            "official" => {
                authorize(Some(who), Action::InviteManagerOrOfficial, None)?;
                let code = input.region_code.as_deref().and_then(RegionCode::parse);
                Role::Official(code.ok_or(AppError::BadRequest { field: "region_code", key: "error.region_code" })?)
            }
            _ => return Err(AppError::BadRequest { field: "role", key: "error.role" }),
        };
        let this = self.clone();
        let inviter = who.clone();
        self.db
            .run(move |conn| {
                this.check_scope_exists(conn, &role)?;
                let token = new_token();
                let now = this.now();
                let mut vars = tera::Context::new();
                vars.insert("inviter", &inviter.display_name);
                vars.insert("role", role.name());
                vars.insert("link", &format!("{}/invite/{token}", this.public_url));
                vars.insert("days", &(this.config.invite_ttl.as_secs() / 86_400).max(1));
                let mail = this.mailer.compose(MailKind::Invitation, lang, email.as_str(), &vars)?;
                conn.transaction(|c| {
                    q::insert_one_time(
                        c,
                        &OneTimeToken {
                            token_hash: token_hash(&token),
                            purpose: "invitation".into(),
                            user_id: None,
                            email: email.as_str().to_owned(),
                            role: Some(role.name().to_owned()),
                            workshop_id: role.workshop().map(|w| w.get()),
                            region_code: role.region().map(|r| r.as_str().to_owned()),
                            created_by: Some(inviter.user_id.get()),
                            created_at: now,
                            expires_at: later(now, this.config.invite_ttl),
                        },
                    )?;
                    Mailer::enqueue(c, &mail)?;
                    audit::append(
                        c,
                        AuditEvent::new(
                            Some(inviter.user_id),
                            "user.invite",
                            scope_subject(&role),
                            serde_json::json!({"role": role.name()}),
                        ),
                        now,
                    )?;
                    Ok::<(), AppError>(())
                })?;
                this.mailer.wake();
                Ok(())
            })
            .await
    }

    fn check_scope_exists(&self, conn: &mut DbConn, role: &Role) -> Result<(), AppError> {
        let exists = match role {
            Role::Manager(w) | Role::Editor(w) => crate::db::portal::workshop_exists(conn, *w)?,
            Role::Official(r) => crate::db::portal::region_exists(conn, r.as_str())?,
            _ => true,
        };
        if exists {
            Ok(())
        } else {
            Err(AppError::BadRequest { field: "scope", key: "error.scope_unknown" })
        }
    }

    /// What a live invitation offers.
    pub async fn invitation(&self, token: String) -> Result<InvitationView, AppError> {
        let now = self.now();
        self.db
            .run(move |conn| {
                let link = q::peek_one_time(conn, &token_hash(&token), "invitation", now)?.ok_or(AppError::NotFound)?;
                Ok(InvitationView { email: link.email, role: link.role.unwrap_or_default() })
            })
            .await
    }

    /// Accepts an invitation: creates the account (or gives an existing one the role), sets
    /// its password and signs it in. The link then stops working.
    pub async fn accept_invitation(&self, token: String, name: &str, password: &str) -> Result<SignedIn, AppError> {
        let password = password_field(password)?;
        let name = name_field(name)?;
        let this = self.clone();
        self.db
            .run(move |conn| {
                let now = this.now();
                let hash = token_hash(&token);
                let link = q::peek_one_time(conn, &hash, "invitation", now)?.ok_or(AppError::NotFound)?;
                let role = Role::from_columns(
                    link.role.as_deref().unwrap_or(""),
                    link.workshop_id,
                    link.region_code.as_deref(),
                )
                .ok_or(AppError::NotFound)?;
                let password_hash = hash_password(password.expose())?;
                let principal = conn.transaction(|c| {
                    if !q::take_one_time(c, &hash, "invitation", now)? {
                        return Err(AppError::NotFound);
                    }
                    let id = match q::user_by_email(c, &link.email)? {
                        Some(existing) => {
                            let id = crate::domain::account::UserId(existing.id);
                            q::set_role(c, id, &role)?;
                            q::set_password(c, id, &password_hash)?;
                            q::delete_user_tokens(c, id)?;
                            id
                        }
                        None => crate::domain::account::UserId(q::insert_user(
                            c,
                            &NewUser::new(&link.email, password_hash.clone(), &name, "zh", &role),
                        )?),
                    };
                    audit::append(
                        c,
                        AuditEvent::new(
                            link.created_by.map(crate::domain::account::UserId),
                            "user.role",
                            format!("user:{}", id.get()),
                            serde_json::json!({"role": role.name(), "scope": scope_subject(&role)}),
                        ),
                        now,
                    )?;
                    q::user_by_id(c, id)?.and_then(|u| u.principal()).ok_or(AppError::NotFound)
                })?;
                let token = this.start_session(conn, &principal, TokenKind::Session)?;
                Ok(SignedIn { principal, token, lang: Lang::Zh })
            })
            .await
    }
}

/// The audit subject of a role's scope.
fn scope_subject(role: &Role) -> String {
    match role {
        Role::Manager(w) | Role::Editor(w) => format!("workshop:{w}"),
        Role::Official(r) => format!("region:{}", r.as_str()),
        _ => "platform".into(),
    }
}

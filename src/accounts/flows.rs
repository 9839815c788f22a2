//! The account flows handlers call: register, log in (rate-limited), log out, resolve a
//! token, reset a password by e-mailed link, invite staff and officials, accept an invitation.

use super::secrets::{new_token, token_hash};
use super::{hash_password, verify_password, Accounts};
use crate::db::accounts::{self as q, NewUser, OneTimeToken};
use crate::db::audit::{self, AuditEvent};
use crate::db::DbConn;
use crate::domain::account::{EmailAddress, NewPassword, Principal, Role, UserId};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::mail::{MailKind, Mailer};
use chrono::NaiveDateTime;

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

pub(super) fn email_field(input: &str) -> Result<EmailAddress, AppError> {
    EmailAddress::parse(input).ok_or(AppError::BadRequest { field: "email", key: "error.email" })
}

pub(super) fn password_field(input: &str) -> Result<NewPassword, AppError> {
    NewPassword::parse(input).ok_or(AppError::BadRequest { field: "password", key: "error.password_rules" })
}

pub(super) fn name_field(input: &str) -> Result<String, AppError> {
    let name = input.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::BadRequest { field: "display_name", key: "error.name_length" });
    }
    Ok(name.to_owned())
}

pub(super) fn later(now: NaiveDateTime, d: std::time::Duration) -> NaiveDateTime {
    now + chrono::Duration::from_std(d).unwrap_or_default()
}

impl Accounts {
    /// Sessions, links and lockouts run on the wall clock, not the injectable business
    /// clock: a fixed "today" in tests must not stop a link from expiring.
    pub(super) fn now(&self) -> NaiveDateTime {
        crate::db::now()
    }

    pub(super) fn start_session(
        &self,
        conn: &mut DbConn,
        principal: &Principal,
        kind: TokenKind,
    ) -> Result<String, AppError> {
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
                let row = q::user_by_id(conn, UserId(id))?.ok_or(AppError::NotFound)?;
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
                // The attempt counts as a failure before the password is checked, so that
                // parallel guesses cannot all slip under the limit; it is taken back when the
                // password is right, or when the attempt is refused unchecked.
                let attempt = q::record_failure(conn, &account, &ip, now)?;
                let (by_account, by_ip) = q::recent_failures(conn, &account, &ip, since)?;
                if by_account > this.config.max_failures_per_account || by_ip > this.config.max_failures_per_ip {
                    q::delete_failure(conn, attempt)?;
                    let newest = q::newest_failure(conn, &account, &ip, since)?.unwrap_or(now);
                    let wait = (newest + window - now).num_seconds().max(1);
                    let key = if by_account > this.config.max_failures_per_account {
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
                        q::delete_failure(conn, attempt)?;
                        q::clear_failures(conn, &account, since)?;
                        let token = this.start_session(conn, &principal, kind)?;
                        Ok(SignedIn { principal, token, lang: Lang::parse(&lang).unwrap_or_default() })
                    }
                    None => Err(AppError::BadRequest { field: "password", key: "error.login_failed" }),
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
                // Three live links are plenty: more would only flood the inbox.
                if q::live_resets(conn, user.id, this.now())? >= 3 {
                    return Ok(());
                }
                let token = new_token();
                let now = this.now();
                let lang = Lang::parse(&user.lang).unwrap_or_default();
                let mut vars = tera::Context::new();
                vars.insert("name", &user.display_name);
                vars.insert("link", &format!("{}/reset/{token}", this.public_url));
                vars.insert("minutes", &(this.config.reset_ttl.as_secs() / 60).max(1));
                let mail = this.mailer.compose(MailKind::PasswordReset, lang, &user.email, &vars)?;
                crate::db::tx::write(&mut *conn, |c| {
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
                let user = UserId(link.user_id.ok_or(AppError::NotFound)?);
                let new_hash = hash_password(password.expose())?;
                crate::db::tx::write(&mut *conn, |c| {
                    if !q::take_one_time(c, &hash, "password_reset", now)? {
                        return Err(AppError::NotFound);
                    }
                    q::end_resets(c, user.get(), now)?;
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
}

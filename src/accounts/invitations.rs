//! Invitations: operators invite workshop managers and officials, a manager invites the
//! workshop's editors. The link is e-mailed, works once, and gives the account its role.

use super::authz::{authorize, Action};
use super::flows::{email_field, later, name_field, password_field, SignedIn, TokenKind};
use super::secrets::{new_token, token_hash};
use super::{hash_password, Accounts};
use crate::db::accounts::{self as q, NewUser, OneTimeToken};
use crate::db::audit::{self, AuditEvent};
use crate::db::DbConn;
use crate::domain::account::{Principal, Role, UserId};
use crate::domain::{RegionCode, WorkshopId};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::mail::{MailKind, Mailer};
use serde::Deserialize;

/// An invitation as the inviter fills it in.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct InviteInput {
    pub email: String,
    /// `manager`, `editor` or `official`.
    pub role: String,
    /// The workshop of a manager or editor (an editor's inviter's own by default).
    #[serde(default, deserialize_with = "crate::portal::input::opt_i64")]
    pub workshop_id: Option<i64>,
    /// The region of an official.
    #[serde(default, deserialize_with = "crate::portal::input::opt_text")]
    pub region_code: Option<String>,
    /// The language of the e-mail: `zh` (default) or `en`.
    #[serde(default, deserialize_with = "crate::portal::input::opt_text")]
    pub lang: Option<String>,
}

/// What an invitation offers, for the page that accepts it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InvitationView {
    pub email: String,
    pub role: String,
}

impl Accounts {
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
                crate::db::tx::write(&mut *conn, |c| {
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
                let principal = crate::db::tx::write(&mut *conn, |c| {
                    if !q::take_one_time(c, &hash, "invitation", now)? {
                        return Err(AppError::NotFound);
                    }
                    let id = match q::user_by_email(c, &link.email)? {
                        Some(existing) => {
                            let id = UserId(existing.id);
                            q::set_role(c, id, &role)?;
                            q::set_password(c, id, &password_hash)?;
                            q::delete_user_tokens(c, id)?;
                            id
                        }
                        None => UserId(q::insert_user(
                            c,
                            &NewUser::new(&link.email, password_hash.clone(), &name, "zh", &role),
                        )?),
                    };
                    audit::append(
                        c,
                        AuditEvent::new(
                            link.created_by.map(UserId),
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

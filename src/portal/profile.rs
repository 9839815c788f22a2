//! A workshop's profile and story, its certification (operators record the certificate and
//! each yearly confirmation), and its payout account (sealed, shown masked).

use super::input::{bounded, date, opt_text, required};
use super::{authorized, Owned, Portal};
use crate::accounts::authz::Action;
use crate::accounts::secrets::mask;
use crate::db::audit::{self, AuditEvent};
use crate::db::catalog::WorkshopRow;
use crate::db::portal::{self as q, CertificationChange, ProfileChange};
use crate::domain::account::Principal;
use crate::domain::certification::{certification_status, next_confirmation_due};
use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// The workshop as its portal shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = PortalWorkshop)]
pub struct WorkshopView {
    pub id: i64,
    pub slug: String,
    pub name_zh: String,
    pub name_en: String,
    pub story_zh: String,
    pub story_en: String,
    pub cert_number: Option<String>,
    pub cert_authority: Option<String>,
    pub cert_issued_on: Option<chrono::NaiveDate>,
    pub cert_last_confirmed_on: Option<chrono::NaiveDate>,
    /// `active`, `confirmation_due` (a yearly confirmation is overdue), `lapsed` (two missed)
    /// or `uncertified`.
    pub certification: String,
    pub next_confirmation_due: Option<chrono::NaiveDate>,
    /// Whether the workshop takes custom work: buyers may then ask for a custom piece.
    pub accepts_custom: bool,
    /// The payout account, masked; only for the manager and operators.
    pub payout_account: Option<String>,
}

/// Profile text as the form or JSON sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ProfileInput {
    pub name_zh: String,
    pub name_en: String,
    #[serde(default)]
    pub story_zh: String,
    #[serde(default)]
    pub story_en: String,
    /// Whether the workshop takes custom work (a checkbox: absent means no).
    #[serde(default, deserialize_with = "crate::portal::input::flag")]
    pub accepts_custom: bool,
}

/// The certificate and its latest yearly confirmation (`YYYY-MM-DD`).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CertificationInput {
    #[serde(default, deserialize_with = "opt_text")]
    pub cert_number: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub cert_authority: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub cert_issued_on: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub cert_last_confirmed_on: Option<String>,
}

/// A bank account for payouts; empty clears it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct PayoutAccountInput {
    #[serde(default)]
    pub account: String,
}

fn view(row: WorkshopRow, today: chrono::NaiveDate, payout: Option<String>) -> WorkshopView {
    let status = certification_status(row.cert_issued_on, row.cert_last_confirmed_on, today);
    WorkshopView {
        id: row.id,
        slug: row.slug,
        name_zh: row.name_zh,
        name_en: row.name_en,
        story_zh: row.story_zh,
        story_en: row.story_en,
        cert_number: row.cert_number,
        cert_authority: row.cert_authority,
        cert_issued_on: row.cert_issued_on,
        cert_last_confirmed_on: row.cert_last_confirmed_on,
        certification: status.as_str().to_owned(),
        next_confirmation_due: row.cert_issued_on.map(|i| next_confirmation_due(i, row.cert_last_confirmed_on)),
        accepts_custom: row.accepts_custom,
        payout_account: payout,
    }
}

impl Portal {
    /// The workshop's portal view.
    pub async fn workshop(&self, who: &Principal, id: i64) -> Result<WorkshopView, AppError> {
        let (who, this) = (who.clone(), self.clone());
        self.db
            .run(move |conn| {
                authorized(conn, &who, Action::ViewWorkshop, Owned::Workshop(id))?;
                let sees_payout = authorized(conn, &who, Action::ViewSensitive, Owned::Workshop(id)).is_ok();
                let row = q::workshop(conn, id)?.ok_or(AppError::NotFound)?;
                let payout = if sees_payout {
                    q::payout_account(conn, id)?.and_then(|s| this.key.open(&s)).map(|p| mask(&p))
                } else {
                    None
                };
                Ok(view(row, this.clock.today(), payout))
            })
            .await
    }

    /// The workshops a user may open in the portal: their own, or every one for operators.
    pub async fn workshops(&self, who: &Principal) -> Result<Vec<WorkshopView>, AppError> {
        crate::accounts::authz::may_enter_portal(Some(who))?;
        let (own, today) = (who.role.workshop(), self.clock.today());
        self.db
            .run(move |conn| {
                let rows = match own {
                    Some(w) => q::workshop(conn, w.get())?.into_iter().collect(),
                    None => q::all_workshops(conn)?,
                };
                Ok(rows.into_iter().map(|r| view(r, today, None)).collect())
            })
            .await
    }

    pub async fn update_profile(&self, who: &Principal, id: i64, input: ProfileInput) -> Result<(), AppError> {
        let change = ProfileChange {
            name_zh: required("name_zh", &input.name_zh, 80)?,
            name_en: required("name_en", &input.name_en, 120)?,
            story_zh: bounded("story_zh", &input.story_zh, 4000)?,
            story_en: bounded("story_en", &input.story_en, 8000)?,
            accepts_custom: input.accepts_custom,
        };
        let (who, now) = (who.clone(), self.now());
        self.db
            .run(move |conn| {
                authorized(conn, &who, Action::EditProfile, Owned::Workshop(id))?;
                Ok(q::update_profile(conn, id, &change, now).map(|_| ())?)
            })
            .await
    }

    /// Records the certificate and the latest yearly confirmation (operators).
    pub async fn certify(&self, who: &Principal, id: i64, input: CertificationInput) -> Result<(), AppError> {
        let parse = |field, v: &Option<String>| v.as_deref().map(|s| date(field, s)).transpose();
        let change = CertificationChange {
            cert_number: input.cert_number.map(|s| bounded("cert_number", &s, 60)).transpose()?,
            cert_authority: input.cert_authority.map(|s| bounded("cert_authority", &s, 120)).transpose()?,
            cert_issued_on: parse("cert_issued_on", &input.cert_issued_on)?,
            cert_last_confirmed_on: parse("cert_last_confirmed_on", &input.cert_last_confirmed_on)?,
        };
        if let (Some(i), Some(c)) = (change.cert_issued_on, change.cert_last_confirmed_on) {
            if c < i {
                return Err(AppError::BadRequest {
                    field: "cert_last_confirmed_on",
                    key: "error.confirmed_before_issue",
                });
            }
        }
        let (who, now) = (who.clone(), self.now());
        self.db
            .run(move |conn| {
                crate::accounts::authz::authorize(Some(&who), Action::Certify, None)?;
                if !q::workshop_exists(conn, crate::domain::WorkshopId(id))? {
                    return Err(AppError::NotFound);
                }
                crate::db::tx::write(&mut *conn, |c| {
                    q::update_certification(c, id, &change, now)?;
                    let detail = serde_json::json!({
                        "issued_on": change.cert_issued_on, "last_confirmed_on": change.cert_last_confirmed_on,
                    });
                    audit::append(
                        c,
                        AuditEvent::new(Some(who.user_id), "workshop.certification", format!("workshop:{id}"), detail),
                        now,
                    )?;
                    Ok(())
                })
            })
            .await
    }

    /// Seals the payout account (manager or operator); the audit entry records only that it changed.
    pub async fn set_payout_account(
        &self,
        who: &Principal,
        id: i64,
        input: PayoutAccountInput,
    ) -> Result<(), AppError> {
        let account: String = input.account.chars().filter(|c| !c.is_whitespace()).collect();
        if !account.is_empty() && !(8..=34).contains(&account.len()) {
            return Err(AppError::BadRequest { field: "account", key: "error.account_number" });
        }
        let sealed = (!account.is_empty()).then(|| self.key.seal(&account));
        let (who, now) = (who.clone(), self.now());
        self.db
            .run(move |conn| {
                authorized(conn, &who, Action::ManageWorkers, Owned::Workshop(id))?;
                crate::db::tx::write(&mut *conn, |c| {
                    let cleared = sealed.is_none();
                    q::set_payout_account(c, id, sealed.clone())?;
                    let detail = serde_json::json!({"field": "payout_account", "change": if cleared { "cleared" } else { "set" }});
                    audit::append(c, AuditEvent::new(Some(who.user_id), "workshop.payout_details", format!("workshop:{id}"), detail), now)?;
                    Ok(())
                })
            })
            .await
    }
}

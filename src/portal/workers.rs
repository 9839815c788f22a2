//! The roster: workers with join and leave dates and inheritor level, consent to publish
//! name, photo and story (each given or withdrawn on its own), the household-status history
//! with who verified it, and ID and bank numbers sealed at rest and shown only masked.

use super::input::{bounded, date, opt_text, required};
use super::{authorized, Owned, Portal};
use crate::accounts::authz::Action;
use crate::accounts::secrets::mask;
use crate::db::audit::{self, AuditEvent};
use crate::db::portal::{self as q, StatusRow, WorkerChange, WorkerRow};
use crate::db::writes::{insert_worker, NewHouseholdStatus, NewWorker};
use crate::domain::account::Principal;
use crate::domain::household::HouseholdStatus;
use crate::domain::ids::WorkerId;
use crate::domain::product::InheritorLevel;
use crate::domain::RegionCode;
use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// A worker's roster fields as the form or JSON sends them.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct WorkerInput {
    pub name_zh: String,
    #[serde(default)]
    pub name_latin: String,
    #[serde(default)]
    pub story_zh: String,
    #[serde(default)]
    pub story_en: String,
    /// `national`, `provincial`, `prefectural`, `county`, `craftsman` or `apprentice`.
    pub inheritor_level: String,
    #[serde(default, deserialize_with = "opt_text")]
    pub home_county_code: Option<String>,
    /// `YYYY-MM-DD`.
    pub joined_on: String,
    #[serde(default, deserialize_with = "opt_text")]
    pub left_on: Option<String>,
}

/// One consent item given or withdrawn.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ConsentInput {
    /// `name`, `photo` or `story`.
    pub item: String,
    #[serde(deserialize_with = "super::input::flag")]
    pub given: bool,
}

/// A verified household status for a span of time.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct StatusInput {
    /// `registered_poor`, `lifted_out`, `monitored` or `not_poor`.
    pub status: String,
    pub valid_from: String,
    #[serde(default, deserialize_with = "opt_text")]
    pub valid_until: Option<String>,
    /// Who verified it (e.g. the village committee or county bureau).
    pub verified_by: String,
    pub verified_on: String,
}

/// An ID or bank number; empty clears it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct SecretInput {
    /// `id_number` or `bank_account`.
    pub field: String,
    #[serde(default)]
    pub value: String,
}

/// A worker as the portal shows them. Status and masked numbers only for those who may see them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkerView {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub worker: WorkerRow,
    pub current: bool,
    /// Newest first; absent for editors.
    #[schema(value_type = Option<Vec<Object>>)]
    pub household_status: Option<Vec<StatusRow>>,
    pub id_number: Option<String>,
    pub bank_account: Option<String>,
    /// The training sessions the worker took part in, newest first (one worker's record only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub trainings: Option<Vec<crate::db::training::TrainingRow>>,
}

fn change(input: WorkerInput) -> Result<WorkerChange, AppError> {
    let joined_on = date("joined_on", &input.joined_on)?;
    let left_on = input.left_on.as_deref().map(|d| date("left_on", d)).transpose()?;
    if left_on.is_some_and(|l| l < joined_on) {
        return Err(AppError::BadRequest { field: "left_on", key: "error.left_before_joined" });
    }
    let level = InheritorLevel::parse(input.inheritor_level.trim())
        .ok_or(AppError::BadRequest { field: "inheritor_level", key: "error.choice" })?;
    let county = match input.home_county_code.as_deref() {
        Some(c) => Some(
            RegionCode::parse(c).ok_or(AppError::BadRequest { field: "home_county_code", key: "error.region_code" })?,
        ),
        None => None,
    };
    Ok(WorkerChange {
        name_zh: required("name_zh", &input.name_zh, 40)?,
        name_latin: bounded("name_latin", &input.name_latin, 80)?,
        story_zh: bounded("story_zh", &input.story_zh, 2000)?,
        story_en: bounded("story_en", &input.story_en, 4000)?,
        inheritor_level: level.as_str().to_owned(),
        home_county_code: county.map(|c| c.as_str().to_owned()),
        joined_on,
        left_on,
    })
}

impl Portal {
    /// The roster, without household status or numbers: those are seen one worker at a
    /// time, and each such view is audited.
    pub async fn workers(&self, who: &Principal, workshop: i64) -> Result<Vec<WorkerView>, AppError> {
        let (who, today) = (who.clone(), self.clock.today());
        self.db
            .run(move |conn| {
                authorized(conn, &who, Action::ViewWorkshop, Owned::Workshop(workshop))?;
                let rows = q::workers_of(conn, workshop)?;
                Ok(rows
                    .into_iter()
                    .map(|w| {
                        let current = w.joined_on <= today && w.left_on.is_none_or(|l| l > today);
                        WorkerView {
                            worker: w,
                            current,
                            household_status: None,
                            id_number: None,
                            bank_account: None,
                            trainings: None,
                        }
                    })
                    .collect())
            })
            .await
    }

    /// One worker. For managers and operators this includes the status history and the
    /// masked numbers, and the access is written to the audit log.
    pub async fn worker(&self, who: &Principal, id: i64) -> Result<WorkerView, AppError> {
        let (who, this) = (who.clone(), self.clone());
        self.db
            .run(move |conn| {
                authorized(conn, &who, Action::ViewWorkshop, Owned::Worker(id))?;
                let sensitive = authorized(conn, &who, Action::ViewSensitive, Owned::Worker(id)).is_ok();
                let w = q::worker(conn, id)?.ok_or(AppError::NotFound)?;
                let today = this.clock.today();
                let trainings = Some(crate::db::training::of_worker(conn, WorkerId(id))?);
                let current = w.joined_on <= today && w.left_on.is_none_or(|l| l > today);
                if !sensitive {
                    return Ok(WorkerView {
                        worker: w.clone(),
                        current,
                        household_status: None,
                        id_number: None,
                        bank_account: None,
                        trainings,
                    });
                }
                let now = this.now();
                crate::db::tx::write(&mut *conn, |c| {
                    audit::append(
                        c,
                        AuditEvent::new(
                            Some(who.user_id),
                            "worker.sensitive_viewed",
                            format!("worker:{id}"),
                            serde_json::json!({}),
                        ),
                        now,
                    )?;
                    let open = |s: &Option<String>| s.as_deref().and_then(|s| this.key.open(s)).map(|p| mask(&p));
                    Ok(WorkerView {
                        id_number: open(&w.id_number_enc),
                        bank_account: open(&w.bank_account_enc),
                        household_status: Some(q::status_history(c, id)?),
                        worker: w.clone(),
                        current,
                        trainings: trainings.clone(),
                    })
                })
            })
            .await
    }

    /// Adds a worker to the roster (no consent given yet); returns the new id.
    pub async fn create_worker(&self, who: &Principal, workshop: i64, input: WorkerInput) -> Result<i64, AppError> {
        let c = change(input)?;
        let (who, now) = (who.clone(), self.now());
        self.db
            .run(move |conn| {
                authorized(conn, &who, Action::ManageWorkers, Owned::Workshop(workshop))?;
                if let Some(county) = &c.home_county_code {
                    crate::db::references::county(conn, "home_county_code", county)?;
                }
                let new = NewWorker {
                    workshop_id: workshop,
                    name_zh: c.name_zh,
                    name_latin: c.name_latin,
                    story_zh: c.story_zh,
                    story_en: c.story_en,
                    photo_path: None,
                    consent_name: false,
                    consent_photo: false,
                    consent_story: false,
                    consent_updated_at: now,
                    inheritor_level: c.inheritor_level,
                    home_county_code: c.home_county_code,
                    joined_on: c.joined_on,
                    left_on: c.left_on,
                    created_at: now,
                    updated_at: now,
                };
                Ok(insert_worker(conn, &new, &[])?)
            })
            .await
    }

    pub async fn update_worker(&self, who: &Principal, id: i64, input: WorkerInput) -> Result<(), AppError> {
        let c = change(input)?;
        let (who, now) = (who.clone(), self.now());
        self.db
            .run(move |conn| {
                authorized(conn, &who, Action::ManageWorkers, Owned::Worker(id))?;
                if let Some(county) = &c.home_county_code {
                    crate::db::references::county(conn, "home_county_code", county)?;
                }
                Ok(q::update_worker(conn, id, &c, now).map(|_| ())?)
            })
            .await
    }

    /// Gives or withdraws one consent item. A withdrawal reaches every page at once and the
    /// search index through the outbox.
    pub async fn set_consent(&self, who: &Principal, id: i64, input: ConsentInput) -> Result<(), AppError> {
        let item: &'static str = match input.item.as_str() {
            "name" => "name",
            "photo" => "photo",
            "story" => "story",
            _ => return Err(AppError::BadRequest { field: "item", key: "error.choice" }),
        };
        let (who, now) = (who.clone(), self.now());
        self.db
            .run(move |conn| {
                authorized(conn, &who, Action::ManageWorkers, Owned::Worker(id))?;
                crate::db::tx::write(&mut *conn, |c| {
                    q::set_consent(c, id, item, input.given, now)?;
                    let detail = serde_json::json!({"item": item, "given": input.given});
                    audit::append(
                        c,
                        AuditEvent::new(Some(who.user_id), "worker.consent", format!("worker:{id}"), detail),
                        now,
                    )?;
                    Ok(())
                })
            })
            .await
    }

    /// Records a verified household status. The audit entry says a status was recorded and
    /// by whom, not which status.
    pub async fn add_status(&self, who: &Principal, id: i64, input: StatusInput) -> Result<(), AppError> {
        let status = HouseholdStatus::parse(input.status.trim())
            .ok_or(AppError::BadRequest { field: "status", key: "error.choice" })?;
        let valid_from = date("valid_from", &input.valid_from)?;
        let valid_until = input.valid_until.as_deref().map(|d| date("valid_until", d)).transpose()?;
        if valid_until.is_some_and(|u| u < valid_from) {
            return Err(AppError::BadRequest { field: "valid_until", key: "error.until_before_from" });
        }
        let row = NewHouseholdStatus {
            worker_id: id,
            status: status.as_str().to_owned(),
            valid_from,
            valid_until,
            verified_by: required("verified_by", &input.verified_by, 120)?,
            verified_on: date("verified_on", &input.verified_on)?,
            created_at: self.now(),
        };
        let (who, now) = (who.clone(), self.now());
        self.db
            .run(move |conn| {
                authorized(conn, &who, Action::ManageWorkers, Owned::Worker(id))?;
                crate::db::tx::write(&mut *conn, |c| {
                    crate::db::writes::insert_status(c, &row)?;
                    let detail = serde_json::json!({
                        "change": "status_recorded", "valid_from": row.valid_from, "valid_until": row.valid_until,
                        "verified_by": row.verified_by,
                    });
                    audit::append(
                        c,
                        AuditEvent::new(Some(who.user_id), "worker.household_status", format!("worker:{id}"), detail),
                        now,
                    )?;
                    Ok(())
                })
            })
            .await
    }

    /// Seals (or clears) a worker's ID or bank number.
    pub async fn set_secret(&self, who: &Principal, id: i64, input: SecretInput) -> Result<(), AppError> {
        let field: &'static str = match input.field.as_str() {
            "id_number" => "id_number",
            "bank_account" => "bank_account",
            _ => return Err(AppError::BadRequest { field: "field", key: "error.choice" }),
        };
        let value: String = input.value.chars().filter(|c| !c.is_whitespace()).collect();
        let valid = match field {
            "id_number" => {
                value.len() == 18
                    && value.is_ascii()
                    && value[..17].bytes().all(|b| b.is_ascii_digit())
                    && value[17..].bytes().all(|b| b.is_ascii_digit() || b == b'X' || b == b'x')
            }
            _ => (8..=34).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric()),
        };
        if !value.is_empty() && !valid {
            return Err(AppError::BadRequest {
                field: "value",
                key: if field == "id_number" { "error.id_number" } else { "error.account_number" },
            });
        }
        let sealed = (!value.is_empty()).then(|| self.key.seal(&value.to_uppercase()));
        let (who, now) = (who.clone(), self.now());
        self.db
            .run(move |conn| {
                authorized(conn, &who, Action::ManageWorkers, Owned::Worker(id))?;
                crate::db::tx::write(&mut *conn, |c| {
                    let change = if sealed.is_some() { "set" } else { "cleared" };
                    q::set_worker_secret(c, id, field, sealed.clone())?;
                    let action = if field == "id_number" { "worker.id_number" } else { "worker.payout_details" };
                    audit::append(
                        c,
                        AuditEvent::new(
                            Some(who.user_id),
                            action,
                            format!("worker:{id}"),
                            serde_json::json!({"change": change}),
                        ),
                        now,
                    )?;
                    Ok(())
                })
            })
            .await
    }
}

//! Training records in the portal: a workshop's manager records a session with the workers who
//! took part (each on the roster for some day of it); staff list the sessions with their
//! attendees; a worker's record lists the sessions they took. Officials read the same sessions
//! for their region through [`crate::reports::training`].

use super::{authorized, Owned, Portal};
use crate::accounts::authz::Action;
use crate::db::audit::{self, AuditEvent};
use crate::db::training::{self as q, Attendee, TrainingRow};
use crate::db::DbConn;
use crate::domain::account::Principal;
use crate::domain::ids::{TrainingSessionId, WorkshopId};
use crate::domain::training::{person_hours, TrainingInput};
use crate::error::AppError;
use chrono::NaiveDate;
use serde::Serialize;

/// Sessions on a page of the list.
pub const PAGE_SIZE: i64 = 20;

/// A session with the workers who took part.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrainingView {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub session: TrainingRow,
    pub attendees: Vec<Attendee>,
    /// Class hours × participants.
    pub person_hours: i64,
}

/// A page of a workshop's sessions.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrainingPage {
    pub sessions: Vec<TrainingView>,
    pub total: i64,
    pub page: u32,
    pub page_count: u32,
}

/// The sessions of a workshop ending within `within` (all when `None`), one page of them, each
/// with its attendees.
pub fn sessions(
    conn: &mut DbConn,
    workshop: WorkshopId,
    within: Option<(NaiveDate, NaiveDate)>,
    page: u32,
    size: i64,
) -> Result<TrainingPage, AppError> {
    let page = page.max(1);
    let (rows, total) = q::of_workshop(conn, workshop, within, i64::from(page - 1) * size, size)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut attendees = q::attendees(conn, &ids)?;
    let sessions = rows
        .into_iter()
        .map(|session| {
            let mine: Vec<Attendee> = attendees.extract_if(.., |a| a.session_id == session.id).collect();
            let person_hours = person_hours(session.hours, mine.len()).unwrap_or(i64::MAX);
            TrainingView { session, attendees: mine, person_hours }
        })
        .collect();
    let page_count = u32::try_from(((total + size - 1) / size).max(1)).unwrap_or(u32::MAX);
    Ok(TrainingPage { sessions, total, page, page_count })
}

impl Portal {
    /// Records a training session (the workshop's manager, an operator). Every participant
    /// must be on the workshop's roster for some day of the session.
    pub async fn record_training(
        &self,
        who: &Principal,
        workshop: i64,
        input: TrainingInput,
    ) -> Result<TrainingSessionId, AppError> {
        let session = input.parse()?;
        let (who, now) = (who.clone(), self.now());
        self.db
            .run(move |conn| {
                let workshop = authorized(conn, &who, Action::ManageWorkers, Owned::Workshop(workshop))?;
                crate::db::tx::write(&mut *conn, |c| {
                    let found = q::employed_among(c, workshop, &session.workers, session.starts_on, session.ends_on)?;
                    if found.len() != session.workers.len() {
                        return Err(AppError::BadRequest { field: "workers", key: "error.attendee_not_on_roster" });
                    }
                    let id = q::insert(c, workshop, &session, who.user_id.0, now)?;
                    let detail = serde_json::json!({"attendees": session.workers.len(), "hours": session.hours});
                    audit::append(
                        c,
                        AuditEvent::new(Some(who.user_id), "training.recorded", format!("training:{id}"), detail),
                        now,
                    )?;
                    Ok(id)
                })
            })
            .await
    }

    /// A workshop's sessions, newest first, a page at a time (its staff, operators).
    pub async fn trainings(&self, who: &Principal, workshop: i64, page: u32) -> Result<TrainingPage, AppError> {
        let who = who.clone();
        self.db
            .run(move |conn| {
                let workshop = authorized(conn, &who, Action::ViewWorkshop, Owned::Workshop(workshop))?;
                sessions(conn, workshop, None, page, PAGE_SIZE)
            })
            .await
    }
}

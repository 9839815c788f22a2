//! The officials' attendance list: a workshop's training sessions ending in a period, with the
//! workers who took part, for an official whose region holds the workshop (anyone else: not
//! found) or an operator. It names workers, so each view is audited.

use super::{Reports, Request, Viewer};
use crate::db::audit::{self, AuditEvent};
use crate::domain::account::Principal;
use crate::domain::ids::WorkshopId;
use crate::error::AppError;
use crate::portal::training::{sessions, TrainingView};
use serde::Serialize;

/// The most sessions one attendance list shows (a workshop's year holds far fewer).
const MOST: i64 = 500;

/// A workshop's attendance list for a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Attendance {
    pub workshop_id: i64,
    pub name_zh: String,
    pub name_en: String,
    pub breadcrumb: Vec<super::scope::Crumb>,
    pub period: String,
    pub period_zh: String,
    pub period_en: String,
    pub sessions: Vec<TrainingView>,
    /// Workers who took part in at least one of the sessions.
    pub trained_workers: usize,
    pub person_hours: i64,
}

impl Reports {
    /// The attendance list of `req.workshop` for `req.period`.
    pub async fn attendance(&self, who: Option<&Principal>, req: Request) -> Result<Attendance, AppError> {
        let viewer = Viewer::of(who)?;
        let actor = viewer.actor;
        let workshop = req.workshop.ok_or(AppError::NotFound)?;
        let period = self.period(req.period.as_deref())?;
        let this = self.clone();
        let list = self
            .db
            .read(move |conn| {
                let resolved = this.resolve(conn, viewer.confined.as_ref(), &req)?;
                let page = sessions(conn, WorkshopId(workshop), Some((period.start(), period.end())), 1, MOST)?;
                let mut people: Vec<i64> =
                    page.sessions.iter().flat_map(|s| s.attendees.iter().map(|a| a.worker_id)).collect();
                people.sort_unstable();
                people.dedup();
                let person_hours = page.sessions.iter().map(|s| s.person_hours).fold(0i64, i64::saturating_add);
                Ok(Attendance {
                    workshop_id: workshop,
                    name_zh: resolved.name_zh,
                    name_en: resolved.name_en,
                    breadcrumb: resolved.breadcrumb,
                    period: period.code(),
                    period_zh: period.label_zh(),
                    period_en: period.label_en(),
                    sessions: page.sessions,
                    trained_workers: people.len(),
                    person_hours,
                })
            })
            .await?;
        let detail = serde_json::json!({ "period": list.period, "sessions": list.sessions.len() });
        let event = AuditEvent::new(actor, "report.training_attendance", format!("workshop:{workshop}"), detail);
        self.db.write(move |conn| Ok(audit::append(conn, event.clone(), crate::db::now())?)).await?;
        Ok(list)
    }
}

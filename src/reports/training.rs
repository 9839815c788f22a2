//! The officials' attendance list: a workshop's training sessions ending in a period, with the
//! workers who took part, for an official whose region holds the workshop (anyone else: not
//! found) or an operator, 20 sessions a page, with the totals of all of them. It names
//! workers, so each view is audited.

use super::{Reports, Request, Viewer};
use crate::db::audit::{self, AuditEvent};
use crate::domain::account::Principal;
use crate::domain::ids::WorkshopId;
use crate::error::AppError;
use crate::portal::training::{sessions, TrainingView};
use serde::Serialize;

/// Sessions on a page of the list.
const PAGE_SIZE: i64 = 20;

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
    /// This page's sessions, newest first.
    pub sessions: Vec<TrainingView>,
    /// Sessions in the period, on every page.
    pub total: i64,
    pub page: u32,
    pub page_count: u32,
    /// Workers who took part in at least one session of the period (every page).
    pub trained_workers: i64,
    /// Person-hours of every session of the period.
    pub person_hours: i64,
}

impl Reports {
    /// A page of the attendance list of `req.workshop` for `req.period`.
    pub async fn attendance(&self, who: Option<&Principal>, req: Request, page: u32) -> Result<Attendance, AppError> {
        let viewer = Viewer::of(who)?;
        let actor = viewer.actor;
        let workshop = req.workshop.ok_or(AppError::NotFound)?;
        let period = self.period(req.period.as_deref())?;
        let this = self.clone();
        let list = self
            .db
            .read(move |conn| {
                let resolved = this.resolve(conn, viewer.confined.as_ref(), &req)?;
                let (from, to) = (period.start(), period.end());
                let found = sessions(conn, WorkshopId(workshop), Some((from, to)), page, PAGE_SIZE)?;
                let totals = crate::db::training::totals(conn, WorkshopId(workshop), from, to)?;
                Ok(Attendance {
                    workshop_id: workshop,
                    name_zh: resolved.name_zh,
                    name_en: resolved.name_en,
                    breadcrumb: resolved.breadcrumb,
                    period: period.code(),
                    period_zh: period.label_zh(),
                    period_en: period.label_en(),
                    sessions: found.sessions,
                    total: found.total,
                    page: found.page,
                    page_count: found.page_count,
                    trained_workers: totals.workers,
                    person_hours: totals.person_hours,
                })
            })
            .await?;
        let detail = serde_json::json!({ "period": list.period, "page": list.page, "sessions": list.sessions.len() });
        let event = AuditEvent::new(actor, "report.training_attendance", format!("workshop:{workshop}"), detail);
        self.db.write(move |conn| Ok(audit::append(conn, event.clone(), crate::db::now())?)).await?;
        Ok(list)
    }
}

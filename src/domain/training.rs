//! Training of inheritors and craftspeople (issue 21): a session a workshop's manager records
//! (the programme, who organised it, its dates and class hours) and the workers who took part,
//! read from the form or JSON into a checked [`TrainingSession`]. The storage is
//! [`crate::db::training`], the service [`crate::portal::training`], and the officials'
//! figures count the workers trained and their person-hours ([`crate::reports::figures`]).

use crate::error::AppError;
use crate::portal::input::{date, loose_i64, required};
use chrono::NaiveDate;
use serde::Deserialize;

/// The most class hours one session may record per participant (a year's full-time course).
pub const MAX_HOURS: i64 = 2_000;
/// The most workers one session may list.
pub const MAX_ATTENDEES: usize = 500;

text_enum!(
    /// Who organised a training session.
    OrganiserKind {
        /// A university or college of the national training plan (研修研习培训).
        University = "university",
        /// A traditional-craft workstation (传统工艺工作站).
        Workstation = "workstation",
        /// A culture and tourism bureau.
        CulturalBureau = "cultural_bureau",
        /// A trade or craft association.
        Association = "association",
        /// The workshop itself (master and apprentice).
        Workshop = "workshop",
        Other = "other",
    }
);

/// A training session as the form or JSON sends it. A form lists the participants as ticked
/// `worker` boxes, read into `workers` by the handler.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct TrainingInput {
    /// The programme's name, e.g. "2025年中国非遗传承人研修培训计划·彝族漆器研修班".
    pub programme: String,
    /// `university`, `workstation`, `cultural_bureau`, `association`, `workshop` or `other`.
    pub organiser_kind: String,
    pub organiser_name: String,
    /// `YYYY-MM-DD`.
    pub starts_on: String,
    /// `YYYY-MM-DD`, not before the start.
    pub ends_on: String,
    /// Class hours per participant, 1 to 2000.
    #[serde(deserialize_with = "loose_i64")]
    pub hours: i64,
    /// The ids of the workers who took part, at least one, all of the workshop.
    #[serde(default)]
    pub workers: Vec<i64>,
}

/// A checked training session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingSession {
    pub programme: String,
    pub organiser_kind: OrganiserKind,
    pub organiser_name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub hours: i32,
    /// Sorted, without repeats.
    pub workers: Vec<i64>,
}

impl TrainingInput {
    /// Checks every field; the first at fault is named.
    pub fn parse(self) -> Result<TrainingSession, AppError> {
        let programme = required("programme", &self.programme, 120)?;
        let organiser_kind = OrganiserKind::parse(self.organiser_kind.trim())
            .ok_or(AppError::BadRequest { field: "organiser_kind", key: "error.choice" })?;
        let organiser_name = required("organiser_name", &self.organiser_name, 120)?;
        let starts_on = date("starts_on", &self.starts_on)?;
        let ends_on = date("ends_on", &self.ends_on)?;
        if ends_on < starts_on {
            return Err(AppError::BadRequest { field: "ends_on", key: "error.ends_before_start" });
        }
        let hours = i32::try_from(self.hours)
            .ok()
            .filter(|h| (1..=MAX_HOURS).contains(&i64::from(*h)))
            .ok_or_else(|| AppError::invalid("hours", "error.hours", &[("max", MAX_HOURS.to_string())]))?;
        let mut workers = self.workers;
        workers.sort_unstable();
        workers.dedup();
        if workers.is_empty() {
            return Err(AppError::BadRequest { field: "workers", key: "error.no_attendees" });
        }
        if workers.len() > MAX_ATTENDEES {
            return Err(AppError::invalid("workers", "error.too_many_items", &[("max", MAX_ATTENDEES.to_string())]));
        }
        Ok(TrainingSession { programme, organiser_kind, organiser_name, starts_on, ends_on, hours, workers })
    }
}

/// Person-hours of a session: its hours times its participants, `None` on overflow.
pub fn person_hours(hours: i32, participants: usize) -> Option<i64> {
    i64::from(hours).checked_mul(i64::try_from(participants).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> TrainingInput {
        TrainingInput {
            programme: " 彝族漆器研修班 ".into(),
            organiser_kind: "university".into(),
            organiser_name: "四川美术学院".into(),
            starts_on: "2025-07-01".into(),
            ends_on: "2025-07-30".into(),
            hours: 120,
            workers: vec![3, 1, 3],
        }
    }

    fn field(i: TrainingInput) -> &'static str {
        match i.parse() {
            Err(AppError::BadRequest { field, .. }) | Err(AppError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_session_reads_trimmed_with_its_workers_once_each() {
        let s = input().parse().unwrap();
        assert_eq!(s.programme, "彝族漆器研修班");
        assert_eq!(s.organiser_kind, OrganiserKind::University);
        assert_eq!(s.workers, [1, 3]);
        assert_eq!(person_hours(s.hours, s.workers.len()), Some(240));
    }

    #[test]
    fn each_mistake_names_its_field() {
        assert_eq!(field(TrainingInput { programme: " ".into(), ..input() }), "programme");
        assert_eq!(field(TrainingInput { organiser_kind: "school".into(), ..input() }), "organiser_kind");
        assert_eq!(field(TrainingInput { starts_on: "2025-13-01".into(), ..input() }), "starts_on");
        assert_eq!(field(TrainingInput { ends_on: "2025-06-30".into(), ..input() }), "ends_on");
        for hours in [0, -1, MAX_HOURS + 1, i64::MAX] {
            assert_eq!(field(TrainingInput { hours, ..input() }), "hours", "{hours}");
        }
        assert_eq!(field(TrainingInput { workers: vec![], ..input() }), "workers");
        let many = (0..=MAX_ATTENDEES as i64).collect();
        assert_eq!(field(TrainingInput { workers: many, ..input() }), "workers");
        // The same day is a one-day session.
        assert!(TrainingInput { ends_on: "2025-07-01".into(), ..input() }.parse().is_ok());
    }
}

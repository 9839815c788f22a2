//! Income-attribution reports for officials: for a region subtree (or one workshop) and a
//! period, the figures of [`figures`], broken down one level (province → prefecture → county
//! → workshop → worker), by month, and against the 30% rule; exports of the same tables
//! ([`export`]); and the public impact pages, aggregates only ([`public`]).
//!
//! The money figures come from `report_months`, the journal's roll-up kept in the posting
//! transaction; headcounts from the workers and their household statuses; disbursement and
//! acknowledgement from the wage statements.

pub mod annual;
pub mod annual_files;
pub mod charts;
pub mod export;
pub mod figures;
mod files;
pub mod public;
pub mod scope;
mod tables;
pub mod training;
pub mod verify;

use crate::catalog::reference::Reference;
use crate::clock::Clock;
use crate::db::audit::{self, AuditEvent};
use crate::db::reports::{self as q, Slice, WorkshopFilter};
use crate::db::{Db, DbConn};
use crate::domain::account::Principal;
use crate::domain::employment_rule::{RuleCheck, RuleConfig};
use crate::domain::household::HouseholdStatus;
use crate::domain::period::ReportPeriod;
use crate::domain::RegionCode;
use crate::error::AppError;
use figures::{Figures, Inputs};
use scope::{ChildLevel, Crumb, Resolved, Scope};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Who reads a report: the user (none for the command line) and the region an official is
/// confined to (none for operators and the command line).
#[derive(Debug, Clone)]
pub struct Viewer {
    pub actor: Option<crate::domain::account::UserId>,
    pub confined: Option<RegionCode>,
}

impl Viewer {
    /// Checks that a signed-in user may read reports at all.
    pub fn of(who: Option<&Principal>) -> Result<Viewer, AppError> {
        let confined = scope::viewer_region(who)?.copied();
        Ok(Viewer { actor: who.map(|p| p.user_id), confined })
    }

    /// The command line: everything, audited without a user.
    pub fn system() -> Viewer {
        Viewer { actor: None, confined: None }
    }
}

/// The reports service.
#[derive(Clone)]
pub struct Reports {
    pub(crate) db: Db,
    pub(crate) clock: Clock,
    pub(crate) rule: RuleConfig,
    pub(crate) reference: Arc<Reference>,
    /// The country's figures per period for the public pages, with when they were read.
    pub(crate) public_cache: Arc<std::sync::Mutex<PublicCache>>,
}

type PublicCache = std::collections::HashMap<String, (std::time::Instant, Arc<public::National>)>;

/// What a viewer asks for.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub region: Option<String>,
    pub workshop: Option<i64>,
    /// `2026`, `2026-Q4` or `2026-11`; this year when absent.
    pub period: Option<String>,
    pub heritage_item_id: Option<i64>,
}

/// One row below the scope: a region, a workshop, or (for a workshop) a worker.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ReportRow)]
pub struct Row {
    /// Region code, workshop id or worker id.
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    /// The query string that drills into it (none for workers).
    pub drill: Option<String>,
    pub figures: Figures,
    /// The 30% rule on the row's figures: for regions and workshops; none for a worker, since
    /// the rule is about a workshop's share, not about one person.
    pub rule: Option<RuleCheck>,
    /// For a worker: the household status counted for the period (sensitive).
    pub household_status: Option<HouseholdStatus>,
}

/// A workshop below the threshold, or one whose certification needs attention.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RiskRow {
    pub workshop_id: i64,
    pub name_zh: String,
    pub name_en: String,
    pub county_code: String,
    pub rule: RuleCheck,
    pub certification: figures::Certification,
}

/// The dashboard of one scope and period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub name_zh: String,
    pub name_en: String,
    pub region_code: Option<String>,
    pub workshop_id: Option<i64>,
    pub breadcrumb: Vec<Crumb>,
    pub period: String,
    pub period_zh: String,
    pub period_en: String,
    pub heritage_item_id: Option<i64>,
    /// The heritage items practised in the scope, for the slicer: `(id, name_zh, name_en)`.
    pub heritage_items: Vec<(i64, String, String)>,
    pub threshold_bp: i64,
    /// The threshold as people read it: `30%`.
    pub threshold_text: String,
    pub totals: Figures,
    pub rule: RuleCheck,
    pub children: ChildLevel,
    pub rows: Vec<Row>,
    pub months: Vec<(String, Figures)>,
    pub at_risk: Vec<RiskRow>,
    /// Whether statement figures apply (not for a heritage slice).
    pub with_statements: bool,
    /// The newest journal entry the figures include.
    pub upto_entry_id: i64,
}

impl Reports {
    pub fn new(db: Db, clock: Clock, rule: RuleConfig, reference: Arc<Reference>) -> Reports {
        Reports { db, clock, rule, reference, public_cache: Arc::default() }
    }

    /// The same service on another clock.
    pub fn with_clock(&self, clock: Clock) -> Reports {
        Reports { clock, ..self.clone() }
    }

    /// The period asked for, or this year.
    pub fn period(&self, text: Option<&str>) -> Result<ReportPeriod, AppError> {
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(ReportPeriod::year_of(self.clock.today())),
            Some(t) => ReportPeriod::parse(t).ok_or(AppError::BadRequest { field: "period", key: "report.bad_period" }),
        }
    }

    /// The dashboard a viewer asked for, read from the replica while it keeps up; the view of
    /// a workshop's worker rows is audited on the primary before it is shown.
    pub async fn dashboard(&self, who: Option<Principal>, req: Request) -> Result<Dashboard, AppError> {
        let viewer = Viewer::of(who.as_ref())?;
        let this = self.clone();
        let (dashboard, seen) =
            self.db.read(move |conn| this.dashboard_as(conn, &viewer, &req, "report.workers")).await?;
        if let Some(event) = seen {
            self.db.write(move |conn| Ok(audit::append(conn, event.clone(), crate::db::now())?)).await?;
        }
        Ok(dashboard)
    }

    /// The dashboard for a checked viewer, with the audit event to record when it shows a
    /// workshop's worker rows (as `action`). Only reads, so it can run on the replica.
    pub fn dashboard_as(
        &self,
        conn: &mut DbConn,
        viewer: &Viewer,
        req: &Request,
        action: &'static str,
    ) -> Result<(Dashboard, Option<AuditEvent>), AppError> {
        let period = self.period(req.period.as_deref())?;
        let resolved = self.resolve(conn, viewer.confined.as_ref(), req)?;
        let dashboard = self.build(conn, &resolved, period, req.heritage_item_id)?;
        let seen = match resolved.scope {
            Scope::Workshop(id) => {
                let detail = serde_json::json!({ "period": period.code(), "workers": dashboard.rows.len() });
                Some(AuditEvent::new(viewer.actor, action, format!("workshop:{id}"), detail))
            }
            _ => None,
        };
        Ok((dashboard, seen))
    }

    /// Resolves the scope asked for, within `confined` when the viewer is an official.
    pub fn resolve(
        &self,
        conn: &mut DbConn,
        confined: Option<&RegionCode>,
        req: &Request,
    ) -> Result<Resolved, AppError> {
        match req.workshop {
            Some(id) => {
                let slice = Slice {
                    workshops: WorkshopFilter::One(id),
                    period: ReportPeriod::year_of(self.clock.today()),
                    heritage_item_id: None,
                };
                let w = q::workshops(conn, &slice)?.into_iter().next().ok_or(AppError::NotFound)?;
                scope::workshop(&self.reference, confined, &w)
            }
            None => scope::region(&self.reference, confined, req.region.as_deref()),
        }
    }

    /// Reads and sums the figures of a resolved scope.
    pub fn build(
        &self,
        conn: &mut DbConn,
        resolved: &Resolved,
        period: ReportPeriod,
        heritage: Option<i64>,
    ) -> Result<Dashboard, AppError> {
        let upto_entry_id = q::last_entry(conn)?;
        let slice = Slice { workshops: resolved.filter.clone(), period, heritage_item_id: heritage };
        let workshops = q::workshops(conn, &slice)?;
        let months = q::rolled_up(conn, &slice)?;
        let headcounts = q::headcounts(conn, &slice)?;
        let statements = q::statement_sums(conn, &slice)?;
        let training = crate::db::training::sums(conn, &slice)?;
        let with_statements = heritage.is_none();
        let inputs = Inputs {
            training: &training,
            workshops: &workshops,
            months: &months,
            headcounts: &headcounts,
            statements: &statements,
            with_statements,
        };
        let as_of = period.end().min(self.clock.today());
        let per_workshop = figures::per_workshop(&inputs, as_of, &self.rule);
        let n = period.month_count();

        let mut totals = Figures::default();
        per_workshop.values().for_each(|f| totals.add(f));
        totals.finish(n);
        let mut at_risk = Vec::new();
        for w in &workshops {
            let mut f = per_workshop.get(&w.id).cloned().unwrap_or_default();
            f.finish(n);
            let rule = f.rule(&self.rule);
            let certification = figures::certification(w, as_of, &self.rule);
            if rule.at_risk() || certification.confirmation_due || f.lapsed > 0 {
                at_risk.push(RiskRow {
                    workshop_id: w.id,
                    name_zh: w.name_zh.clone(),
                    name_en: w.name_en.clone(),
                    county_code: w.county_code.clone(),
                    rule,
                    certification,
                });
            }
        }
        let rows = match resolved.children {
            ChildLevel::Worker => self.worker_rows(conn, &slice, &workshops, &statements)?,
            level => self.child_rows(level, &workshops, &per_workshop, &slice),
        };
        let heritage_items = q::heritage_items_of(conn, &resolved.filter)?
            .into_iter()
            .filter_map(|id| self.reference.heritage_item(id).map(|h| (id, h.name_zh.clone(), h.name_en.clone())))
            .collect();
        let (region_code, workshop_id) = match &resolved.scope {
            Scope::National => (None, None),
            Scope::Region(r) => (Some(r.as_str().to_owned()), None),
            Scope::Workshop(w) => (None, Some(*w)),
        };
        Ok(Dashboard {
            name_zh: resolved.name_zh.clone(),
            name_en: resolved.name_en.clone(),
            region_code,
            workshop_id,
            breadcrumb: resolved.breadcrumb.clone(),
            period: period.code(),
            period_zh: period.label_zh(),
            period_en: period.label_en(),
            heritage_item_id: heritage,
            heritage_items,
            threshold_bp: self.rule.threshold_bp,
            threshold_text: threshold_text(self.rule.threshold_bp),
            rule: totals.rule(&self.rule),
            totals,
            children: resolved.children,
            rows,
            months: figures::per_month(&months, &period, &self.rule),
            at_risk,
            with_statements,
            upto_entry_id,
        })
    }

    fn child_rows(
        &self,
        level: ChildLevel,
        workshops: &[q::WorkshopInfo],
        per_workshop: &BTreeMap<i64, Figures>,
        slice: &Slice,
    ) -> Vec<Row> {
        let mut grouped: BTreeMap<String, (Figures, String, String)> = BTreeMap::new();
        for w in workshops {
            let key = scope::child_key(level, w);
            let names = match level {
                ChildLevel::Workshop | ChildLevel::Worker => (w.name_zh.clone(), w.name_en.clone()),
                _ => self
                    .reference
                    .region(&key)
                    .map_or_else(|| (key.clone(), key.clone()), |r| (r.name_zh.clone(), r.name_pinyin.clone())),
            };
            let e = grouped.entry(key).or_insert_with(|| (Figures::default(), names.0, names.1));
            if let Some(f) = per_workshop.get(&w.id) {
                e.0.add(f);
            }
        }
        let tail = format!(
            "&period={}{}",
            slice.period.code(),
            slice.heritage_item_id.map_or_else(String::new, |h| format!("&heritage={h}"))
        );
        grouped
            .into_iter()
            .map(|(key, (mut f, name_zh, name_en))| {
                f.finish(slice.period.month_count());
                let drill = match level {
                    ChildLevel::Workshop => format!("workshop={key}{tail}"),
                    _ => format!("region={key}{tail}"),
                };
                Row {
                    rule: Some(f.rule(&self.rule)),
                    key,
                    name_zh,
                    name_en,
                    drill: Some(drill),
                    figures: f,
                    household_status: None,
                }
            })
            .collect()
    }

    /// A workshop's workers: who was employed, their status for the period, their wages from
    /// the journal, and their statements.
    fn worker_rows(
        &self,
        conn: &mut DbConn,
        slice: &Slice,
        workshops: &[q::WorkshopInfo],
        statements: &[q::StatementSums],
    ) -> Result<Vec<Row>, AppError> {
        let Some(w) = workshops.first() else { return Ok(Vec::new()) };
        let employed = q::employed_workers(conn, slice)?;
        let trained: BTreeMap<i64, i64> = crate::db::training::hours_by_worker(conn, w.id, slice)?
            .into_iter()
            .map(|t| (t.worker_id, t.hours))
            .collect();
        let mut wages: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
        for r in q::worker_wages(conn, w.id, slice)? {
            let e = wages.entry(r.worker_id).or_default();
            e.0 += r.wages_fen;
            if self.rule.counts(r.household_status.as_deref().and_then(HouseholdStatus::parse)) {
                e.1 += r.wages_fen;
            }
        }
        let n = slice.period.month_count();
        Ok(employed
            .into_iter()
            .map(|e| {
                let status = e.status.as_deref().and_then(HouseholdStatus::parse);
                let poor = self.rule.counts(status);
                let (wages_fen, poor_wages_fen) = wages.get(&e.worker_id).copied().unwrap_or_default();
                let stated = statements.iter().find(|s| s.worker_id == e.worker_id);
                let with = slice.heritage_item_id.is_none();
                let hours = trained.get(&e.worker_id).copied().unwrap_or(0);
                let mut f = Figures {
                    trained_workers: i64::from(hours > 0),
                    poor_trained_workers: i64::from(hours > 0 && poor),
                    training_hours: hours,
                    poor_training_hours: if poor { hours } else { 0 },
                    workers: 1,
                    poor_workers: i64::from(poor),
                    registered_poor_workers: i64::from(status == Some(HouseholdStatus::RegisteredPoor)),
                    lifted_out_workers: i64::from(status == Some(HouseholdStatus::LiftedOut)),
                    monitored_workers: i64::from(status == Some(HouseholdStatus::Monitored)),
                    wages_fen,
                    poor_wages_fen,
                    disbursed_fen: stated.filter(|_| with).map_or(0, |s| s.disbursed_fen),
                    acknowledged_fen: stated.filter(|_| with).map_or(0, |s| s.acknowledged_fen),
                    ..Figures::default()
                };
                f.finish(n);
                Row {
                    key: e.worker_id.to_string(),
                    name_zh: e.name_zh,
                    name_en: e.name_latin,
                    drill: None,
                    rule: None,
                    figures: f,
                    household_status: status,
                }
            })
            .collect())
    }
}

/// A threshold in basis points as a percentage: `30%`, `32.5%`.
pub fn threshold_text(bp: i64) -> String {
    let text = crate::domain::employment_rule::Share::new(bp, 10_000).percent_text();
    text.replace(".0%", "%")
}

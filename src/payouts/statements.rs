//! Wage statements: each payout's amount per worker with the order lines behind it and the
//! worker's household status on each sale date, and the monthly income of each worker. How
//! the workshop paid each worker is in [`super::disbursements`], the worker's acknowledgement
//! in [`super::acks`].
//!
//! Who sees a statement: the workshop's manager, operators, and officials whose region
//! contains the workshop. Household status is sensitive, so every view is audited.

use super::Payouts;
use crate::db::audit::{self, AuditEvent};
use crate::db::payouts::{self as q, PayoutRow};
use crate::db::wages::{self as w, StatementRow};
use crate::db::DbConn;
use crate::domain::account::{Principal, Role};
use crate::domain::ledger::PayoutPeriod;
use crate::error::AppError;
use chrono::TimeDelta;
use serde::Serialize;
use std::collections::BTreeMap;

/// A statement line as pages show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatementView {
    #[serde(flatten)]
    pub row: StatementRow,
    /// Unacknowledged longer than the configured days after the payout.
    pub flagged: bool,
    /// The lines behind it, each an array `[order number, line id, title, wages in fen,
    /// household status or null]`.
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    pub lines: Vec<w::StatementLine>,
}

/// A payout with its wage statement.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayoutView {
    pub payout: PayoutRow,
    pub workshop_name_zh: String,
    pub workshop_name_en: String,
    pub statements: Vec<StatementView>,
    /// Whether the viewer may record disbursements and make acknowledgement codes.
    pub can_record: bool,
}

/// One worker's month: attributed by the journal, and paid and acknowledged by statements.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct IncomeMonth {
    pub month: String,
    pub attributed_fen: i64,
    pub stated_fen: i64,
    pub disbursed_fen: i64,
    pub acknowledged_fen: i64,
}

/// A worker's income by month, newest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkerIncome {
    pub worker_id: i64,
    pub name_zh: String,
    pub name_latin: String,
    pub months: Vec<IncomeMonth>,
}

/// How a user stands to a workshop's statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reader {
    /// The manager or an operator: may also record disbursements.
    Keeper,
    /// An official in scope: reads only.
    Official,
}

/// Whether `who` may read a workshop's statements. Anyone else gets not found.
pub(super) fn reader(conn: &mut DbConn, who: &Principal, workshop: i64) -> Result<Reader, AppError> {
    let regions = q::workshop_regions(conn, workshop)?.ok_or(AppError::NotFound)?;
    match &who.role {
        Role::Operator => Ok(Reader::Keeper),
        Role::Manager(w) if w.get() == workshop => Ok(Reader::Keeper),
        Role::Official(region) => {
            let r = region.as_str();
            if regions.0 == r || regions.1.as_deref() == Some(r) || regions.2 == r {
                Ok(Reader::Official)
            } else {
                Err(AppError::NotFound)
            }
        }
        Role::Editor(w) if w.get() == workshop => Err(AppError::Forbidden { key: "error.forbidden" }),
        _ => Err(AppError::NotFound),
    }
}

pub(super) fn keeper(conn: &mut DbConn, who: &Principal, workshop: i64) -> Result<(), AppError> {
    match reader(conn, who, workshop)? {
        Reader::Keeper => Ok(()),
        Reader::Official => Err(AppError::Forbidden { key: "error.forbidden" }),
    }
}

impl Payouts {
    /// Payouts a user may see: every one for operators (optionally of a period), their own
    /// workshop's for a manager.
    pub async fn list(
        &self,
        who: &Principal,
        period: Option<PayoutPeriod>,
        page: i64,
    ) -> Result<Vec<(PayoutRow, String, String)>, AppError> {
        let workshop = match who.role {
            Role::Operator => None,
            Role::Manager(w) => Some(w.get()),
            _ => return Err(AppError::Forbidden { key: "error.forbidden" }),
        };
        let period = period.map(|p| p.to_string());
        let offset = (page.max(1) - 1) * 50;
        self.read(move |_, conn| Ok(q::list(conn, period.as_deref(), workshop, offset, 51)?)).await
    }

    /// A payout with its statement (the manager, operators, officials in scope). Audited.
    pub async fn payout(&self, who: &Principal, id: i64) -> Result<PayoutView, AppError> {
        let who = who.clone();
        self.write(move |this, conn| {
            let payout = q::payout(conn, id)?.ok_or(AppError::NotFound)?;
            let standing = reader(conn, &who, payout.workshop_id)?;
            let (_, _, _, name_zh, name_en) = q::workshop_payee(conn, payout.workshop_id)?;
            let flag_before = this.now() - TimeDelta::days(this.config.ack_flag_days);
            let mut statements = Vec::new();
            for row in w::statements_of(conn, id)? {
                let lines = w::statement_lines(conn, id, row.worker_id)?;
                let flagged = row.acknowledged_at.is_none() && payout.created_at < flag_before;
                statements.push(StatementView { row, flagged, lines });
            }
            audit::append(
                conn,
                AuditEvent::new(
                    Some(who.user_id),
                    "payout.statement_viewed",
                    format!("payout:{id}"),
                    serde_json::json!({}),
                ),
                this.now(),
            )?;
            Ok(PayoutView {
                payout,
                workshop_name_zh: name_zh,
                workshop_name_en: name_en,
                statements,
                can_record: standing == Reader::Keeper,
            })
        })
        .await
    }

    /// Each worker's income by month (the manager, operators, officials in scope):
    /// attributed in the journal (by posting month, China time), and as stated, disbursed and
    /// acknowledged (by payout period).
    pub async fn income(&self, who: &Principal, workshop: i64) -> Result<Vec<WorkerIncome>, AppError> {
        let who = who.clone();
        self.write(move |this, conn| {
            reader(conn, &who, workshop)?;
            let mut months: BTreeMap<(i64, String), IncomeMonth> = BTreeMap::new();
            let cst = TimeDelta::hours(8);
            for (worker, at, amount) in w::wages_posted(conn, workshop)? {
                let month = PayoutPeriod::of((at + cst).date()).to_string();
                months
                    .entry((worker, month.clone()))
                    .or_insert_with(|| IncomeMonth { month, ..Default::default() })
                    .attributed_fen += amount;
            }
            for (worker, period, amount, disbursed, acknowledged) in w::income_by_month(conn, workshop)? {
                let m = months
                    .entry((worker, period.clone()))
                    .or_insert_with(|| IncomeMonth { month: period, ..Default::default() });
                m.stated_fen += amount;
                if disbursed {
                    m.disbursed_fen += amount;
                }
                if acknowledged {
                    m.acknowledged_fen += amount;
                }
            }
            let mut out = Vec::new();
            for (id, name_zh, name_latin) in w::workers_of(conn, workshop)? {
                let mut mine: Vec<IncomeMonth> =
                    months.iter().filter(|((w, _), _)| *w == id).map(|(_, m)| m.clone()).collect();
                mine.reverse();
                if !mine.is_empty() {
                    out.push(WorkerIncome { worker_id: id, name_zh, name_latin, months: mine });
                }
            }
            audit::append(
                conn,
                AuditEvent::new(
                    Some(who.user_id),
                    "wage.income_viewed",
                    format!("workshop:{workshop}"),
                    serde_json::json!({}),
                ),
                this.now(),
            )?;
            Ok(out)
        })
        .await
    }
}

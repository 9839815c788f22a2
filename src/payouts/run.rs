//! Settlement and payout runs. A line settles when its parcel was delivered and the return
//! window has passed; a run for a period pays each workshop its settled balance — every
//! unpaid entry posted before the period's end whose line had settled by then — less any late
//! refund, whose negative balance carries into the next period. A run is idempotent: a
//! workshop's payout for a period is created once (a unique key), and each entry is paid at
//! most once (the primary key of `payout_entries`), in the transaction that creates the payout.

use super::Payouts;
use crate::db::audit::{self, AuditEvent};
use crate::db::payouts::{self as q, NewPayout, NewStatement};
use crate::db::{leases, ledger, DbConn};
use crate::domain::account::UserId;
use crate::domain::employment_rule::RuleConfig;
use crate::domain::household::HouseholdStatus;
use crate::domain::ledger::PayoutPeriod;
use crate::error::AppError;
use std::collections::BTreeMap;

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RunReport {
    pub period: String,
    /// Lines that settled before the run.
    pub settled_lines: usize,
    /// Payouts created, and the sum they pay.
    pub created: usize,
    pub paid_fen: i64,
    /// Workshops whose balance was zero or negative (carried into the next period).
    pub carried: usize,
    /// Workshops that already had this period's payout.
    pub existing: usize,
    /// Stripe transfers sent, and those that failed (retried on the next run).
    pub transfers_sent: usize,
    pub transfers_failed: usize,
}

/// The rail a payout goes by.
pub fn rail_of(workshop_rail: &str, stripe_account: Option<&str>, stripe_enabled: bool) -> &'static str {
    if workshop_rail == "stripe" && stripe_account.is_some() && stripe_enabled {
        "stripe"
    } else {
        "bank"
    }
}

impl Payouts {
    /// Settles every line whose window has passed by now; returns how many.
    pub fn settle_due(&self, conn: &mut DbConn) -> Result<usize, AppError> {
        let window = chrono::TimeDelta::days(self.return_window_days);
        let by = self.now() - window;
        Ok(crate::db::tx::write(&mut *conn, |c| ledger::settle(c, by, window))?)
    }

    /// Creates the period's payouts (blocking: the command line calls it directly, the web
    /// through [`Payouts::run`]). `progress` counts workshops. One run at a time across every
    /// node and shell: this one waits for another to finish, then finds its payouts made.
    pub fn run_blocking(
        &self,
        period: PayoutPeriod,
        by: Option<UserId>,
        progress: Option<&indicatif::ProgressBar>,
    ) -> Result<RunReport, AppError> {
        self.run_leased(period, by, progress, Busy::Wait)
    }

    fn run_leased(
        &self,
        period: PayoutPeriod,
        by: Option<UserId>,
        progress: Option<&indicatif::ProgressBar>,
        busy: Busy,
    ) -> Result<RunReport, AppError> {
        let cutoff = period.cutoff();
        if cutoff > self.now() {
            return Err(AppError::invalid("period", "payout.error.period_open", &[("period", period.to_string())]));
        }
        while !self.db.take_lease(leases::PAYOUT_RUN, RUN_LEASE)? {
            if busy == Busy::Refuse {
                return Err(AppError::Conflict { key: "payout.error.run_in_progress" });
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        let report = self.run_held(period, by, progress);
        self.db.release_lease(leases::PAYOUT_RUN)?;
        report
    }

    fn run_held(
        &self,
        period: PayoutPeriod,
        by: Option<UserId>,
        progress: Option<&indicatif::ProgressBar>,
    ) -> Result<RunReport, AppError> {
        let cutoff = period.cutoff();
        let mut conn = self.db.conn()?;
        let mut report = RunReport { period: period.to_string(), ..RunReport::default() };
        report.settled_lines = self.settle_due(&mut conn)?;
        let workshops = q::workshops_due(&mut conn, cutoff)?;
        if let Some(bar) = progress {
            bar.set_length(workshops.len() as u64);
        }
        for (i, workshop) in workshops.into_iter().enumerate() {
            if i % 200 == 199 {
                // A long run keeps its lease (no other node or shell has taken it meanwhile).
                self.db.take_lease(leases::PAYOUT_RUN, RUN_LEASE)?;
            }
            let made = crate::db::tx::write(&mut conn, |c| self.create_payout(c, workshop, period, by))?;
            match made {
                Made::Existing => report.existing += 1,
                Made::Carried => report.carried += 1,
                Made::Payout(amount) => {
                    report.created += 1;
                    report.paid_fen = report.paid_fen.saturating_add(amount);
                }
            }
            if let Some(bar) = progress {
                bar.inc(1);
            }
        }
        Ok(report)
    }

    /// One workshop's payout for a period, in the caller's transaction.
    fn create_payout(
        &self,
        conn: &mut DbConn,
        workshop: i64,
        period: PayoutPeriod,
        by: Option<UserId>,
    ) -> Result<Made, AppError> {
        let period_text = period.to_string();
        if q::find_payout(conn, workshop, &period_text)?.is_some() {
            return Ok(Made::Existing);
        }
        let cutoff = period.cutoff();
        let now = self.now();
        let balance = q::settled_balance(conn, workshop, cutoff)?;
        let wages = q::settled_wages(conn, workshop, cutoff)?;
        let wages_fen: i64 = wages.iter().map(|w| w.2).sum();
        let (rail, stripe_account, ..) = q::workshop_payee(conn, workshop)?;
        let rail = rail_of(&rail, stripe_account.as_deref(), self.payments.stripe_enabled());
        let carried = balance <= 0;
        let id = q::insert_payout(
            conn,
            &NewPayout {
                workshop_id: workshop,
                period: &period_text,
                cutoff,
                amount_fen: balance,
                wages_fen: if carried { 0 } else { wages_fen },
                currency: "CNY",
                rail,
                status: if carried { "carried" } else { "pending" },
                created_by: by.map(UserId::get),
                created_at: now,
                updated_at: now,
            },
        )?;
        if !carried {
            q::assign_entries(conn, id, workshop, cutoff)?;
            q::insert_statements(conn, &statement_lines(id, &wages, &self.rule))?;
        }
        audit::append(
            conn,
            AuditEvent::new(
                by,
                if carried { "payout.carried" } else { "payout.created" },
                format!("payout:{id}"),
                serde_json::json!({ "workshop": workshop, "period": period_text, "amount_fen": balance, "wages_fen": wages_fen, "rail": rail }),
            ),
            now,
        )?;
        Ok(if carried { Made::Carried } else { Made::Payout(balance) })
    }

    /// Runs a period from the web (off the async workers), then sends its Stripe transfers.
    pub async fn run(&self, period: PayoutPeriod, by: Option<UserId>) -> Result<RunReport, AppError> {
        let this = self.clone();
        // An operator's request does not wait for a run in another shell or node: it is told.
        let mut report = actix_web::web::block(move || this.run_leased(period, by, None, Busy::Refuse)).await??;
        let (sent, failed) = self.send_transfers(Some(period)).await?;
        report.transfers_sent = sent;
        report.transfers_failed = failed;
        Ok(report)
    }
}

/// What a run does when another holds the payout lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Busy {
    Wait,
    Refuse,
}

/// How long a run holds its lease before renewing it (every 200 workshops).
const RUN_LEASE: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

enum Made {
    Existing,
    Carried,
    Payout(i64),
}

/// One statement line per worker: the wages in the payout, the part earned while the
/// worker's household counted as poor (by the configured statuses), and how many lines they
/// come from.
pub fn statement_lines(payout: i64, wages: &[q::WageSum], rule: &RuleConfig) -> Vec<NewStatement> {
    let mut by_worker: BTreeMap<i64, (i64, i64, i64)> = BTreeMap::new();
    for (worker, status, amount, lines) in wages {
        let e = by_worker.entry(*worker).or_default();
        e.0 += amount;
        if rule.counts(status.as_deref().and_then(HouseholdStatus::parse)) {
            e.1 += amount;
        }
        e.2 += lines;
    }
    by_worker
        .into_iter()
        .map(|(worker_id, (amount_fen, poor_household_fen, lines))| NewStatement {
            payout_id: payout,
            worker_id,
            amount_fen,
            poor_household_fen,
            line_count: i32::try_from(lines).unwrap_or(i32::MAX),
        })
        .collect()
}

//! Wage statements: each payout's amount per worker with the order lines behind it and the
//! worker's household status on each sale date; the workshop's record of how it paid each
//! worker; the worker's acknowledgement through a one-time code (no login, and the page shows
//! nothing but that worker's own line); and the monthly income of each worker.
//!
//! Who sees a statement: the workshop's manager, operators, and officials whose region
//! contains the workshop. Household status is sensitive, so every view is audited.

use super::Payouts;
use crate::accounts::secrets::token_hash;
use crate::db::audit::{self, AuditEvent};
use crate::db::payouts::{self as q, NewDisbursement, PayoutRow, StatementRow};
use crate::db::DbConn;
use crate::domain::account::{Principal, Role};
use crate::domain::ledger::PayoutPeriod;
use crate::error::AppError;
use chrono::{NaiveDate, TimeDelta};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The characters of acknowledgement codes: Crockford's base32 (no I, L, O, U), easy to read
/// aloud and to type from an SMS.
const CODE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// 12 characters: 60 bits.
const CODE_LEN: usize = 12;

/// A new acknowledgement code.
fn new_code() -> String {
    (0..CODE_LEN).map(|_| CODE_ALPHABET[rand::random_range(0..CODE_ALPHABET.len())] as char).collect()
}

/// A typed code, normalised (case, spaces and dashes ignored); `None` when it cannot be one.
pub fn normalise_code(text: &str) -> Option<String> {
    let code: String =
        text.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
    (code.len() == CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(code)
}

/// A statement line as pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct StatementView {
    #[serde(flatten)]
    pub row: StatementRow,
    /// Unacknowledged longer than the configured days after the payout.
    pub flagged: bool,
    /// The lines behind it: `(order number, line id, title, wages, household status)`.
    pub lines: Vec<crate::db::payouts::StatementLine>,
}

/// A payout with its wage statement.
#[derive(Debug, Clone, Serialize)]
pub struct PayoutView {
    pub payout: PayoutRow,
    pub workshop_name_zh: String,
    pub workshop_name_en: String,
    pub statements: Vec<StatementView>,
    /// Whether the viewer may record disbursements and make acknowledgement codes.
    pub can_record: bool,
}

/// How a workshop paid a worker.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct DisbursementInput {
    /// `bank`, `wechat`, `alipay` or `cash`.
    pub method: String,
    /// The transfer reference (or receipt number for cash).
    pub reference: String,
    /// `YYYY-MM-DD`.
    pub paid_on: String,
}

/// What the worker sees through their code: their own line, nothing else.
#[derive(Debug, Clone, Serialize)]
pub struct AckView {
    pub worker_name: String,
    pub workshop_name_zh: String,
    pub workshop_name_en: String,
    pub period: String,
    pub amount_fen: i64,
    pub line_count: i32,
    pub method: Option<String>,
    pub paid_on: Option<NaiveDate>,
    pub acknowledged: bool,
}

/// One worker's month: attributed by the journal, and paid and acknowledged by statements.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IncomeMonth {
    pub month: String,
    pub attributed_fen: i64,
    pub stated_fen: i64,
    pub disbursed_fen: i64,
    pub acknowledged_fen: i64,
}

/// A worker's income by month, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct WorkerIncome {
    pub worker_id: i64,
    pub name_zh: String,
    pub name_latin: String,
    pub months: Vec<IncomeMonth>,
}

/// How a user stands to a workshop's statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// The manager or an operator: may also record disbursements.
    Keeper,
    /// An official in scope: reads only.
    Official,
}

/// Whether `who` may read a workshop's statements. Anyone else gets not found.
fn reader(conn: &mut DbConn, who: &Principal, workshop: i64) -> Result<Reader, AppError> {
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

fn keeper(conn: &mut DbConn, who: &Principal, workshop: i64) -> Result<(), AppError> {
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
            for row in q::statements_of(conn, id)? {
                let lines = q::statement_lines(conn, id, row.worker_id)?;
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

    /// The workshop records how it paid a worker their statement line. Once per line.
    pub async fn record_disbursement(
        &self,
        who: &Principal,
        statement: i64,
        input: DisbursementInput,
        voucher_path: Option<String>,
    ) -> Result<(), AppError> {
        let method = input.method.trim().to_owned();
        if !["bank", "wechat", "alipay", "cash"].contains(&method.as_str()) {
            return Err(AppError::BadRequest { field: "method", key: "wage.error.method" });
        }
        let reference = input.reference.trim().to_owned();
        if reference.is_empty() || reference.chars().count() > 100 {
            return Err(AppError::BadRequest { field: "reference", key: "order.error.reference_missing" });
        }
        let paid_on = NaiveDate::parse_from_str(input.paid_on.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::BadRequest { field: "paid_on", key: "wage.error.date" })?;
        let who = who.clone();
        self.write(move |this, conn| {
            let row = q::statement(conn, statement)?.ok_or(AppError::NotFound)?;
            let payout = q::payout(conn, row.payout_id)?.ok_or(AppError::NotFound)?;
            keeper(conn, &who, payout.workshop_id)?;
            if paid_on > this.clock.today() || paid_on < payout.cutoff.date() - TimeDelta::days(1) {
                return Err(AppError::BadRequest { field: "paid_on", key: "wage.error.date" });
            }
            let inserted = q::insert_disbursement(
                conn,
                &NewDisbursement {
                    statement_id: statement,
                    method: method.clone(),
                    reference: reference.clone(),
                    paid_on,
                    voucher_path: voucher_path.clone(),
                    recorded_by: Some(who.user_id.get()),
                    recorded_at: this.now(),
                },
            );
            match inserted.map_err(AppError::from) {
                Ok(_) => {}
                Err(AppError::Conflict { .. }) => return Err(AppError::Conflict { key: "wage.error.recorded" }),
                Err(e) => return Err(e),
            }
            audit::append(
                conn,
                AuditEvent::new(
                    Some(who.user_id),
                    "wage.disbursed",
                    format!("statement:{statement}"),
                    serde_json::json!({ "worker": row.worker_id, "amount_fen": row.amount_fen, "method": method, "reference": reference, "paid_on": paid_on, "voucher": voucher_path.is_some() }),
                ),
                this.now(),
            )?;
            Ok(())
        })
        .await
    }

    /// Attaches a photo of the voucher to a recorded disbursement (the manager or operators).
    /// It goes through the photo pipeline (checked, turned upright, stripped of EXIF and GPS)
    /// and is kept outside the public media directory.
    pub async fn attach_voucher(&self, who: &Principal, statement: i64, bytes: Vec<u8>) -> Result<(), AppError> {
        self.may_attach_voucher(who, statement).await?;
        let who = who.clone();
        let (limits, dir) = (self.photo_limits.clone(), self.voucher_dir.clone());
        let stored = actix_web::web::block(move || {
            let processed = crate::media::photos::process(&bytes, &limits)?;
            let key: String =
                format!("v{statement}-{}", crate::accounts::secrets::new_token().to_lowercase().replace('_', "-"))
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .take(40)
                    .collect();
            crate::media::photos::store(&processed, &dir, &key)
        })
        .await??;
        let width = stored.variant_widths.iter().copied().filter(|w| *w <= 1600).max().unwrap_or_default();
        let path = format!("{}/{}", stored.dir, crate::media::photos::variant_file(width, "jpg"));
        self.write(move |this, conn| {
            q::set_voucher(conn, statement, &path)?;
            audit::append(
                conn,
                AuditEvent::new(
                    Some(who.user_id),
                    "wage.voucher",
                    format!("statement:{statement}"),
                    serde_json::json!({}),
                ),
                this.now(),
            )?;
            Ok(())
        })
        .await
    }

    /// Whether `who` may attach a voucher to the statement line now (checked before an
    /// upload is read).
    pub async fn may_attach_voucher(&self, who: &Principal, statement: i64) -> Result<(), AppError> {
        let who = who.clone();
        self.read(move |_, conn| {
            let row = q::statement(conn, statement)?.ok_or(AppError::NotFound)?;
            let payout = q::payout(conn, row.payout_id)?.ok_or(AppError::NotFound)?;
            keeper(conn, &who, payout.workshop_id)?;
            if row.method.is_none() {
                return Err(AppError::Conflict { key: "wage.error.record_first" });
            }
            Ok(())
        })
        .await
    }

    /// The voucher photo of a statement line (the manager, operators, officials in scope).
    /// Audited.
    pub async fn voucher(&self, who: &Principal, statement: i64) -> Result<Vec<u8>, AppError> {
        let who = who.clone();
        let path = self
            .write(move |this, conn| {
                let row = q::statement(conn, statement)?.ok_or(AppError::NotFound)?;
                let payout = q::payout(conn, row.payout_id)?.ok_or(AppError::NotFound)?;
                reader(conn, &who, payout.workshop_id)?;
                let path = row.voucher_path.ok_or(AppError::NotFound)?;
                audit::append(
                    conn,
                    AuditEvent::new(
                        Some(who.user_id),
                        "wage.voucher_viewed",
                        format!("statement:{statement}"),
                        serde_json::json!({}),
                    ),
                    this.now(),
                )?;
                Ok(path)
            })
            .await?;
        // The path was written by attach_voucher: `photos/<key>/<width>.jpg`, no `..`.
        if path.split('/').any(|part| part == ".." || part.is_empty()) {
            return Err(AppError::NotFound);
        }
        let file = self.voucher_dir.join(path);
        actix_web::web::block(move || std::fs::read(file)).await?.map_err(|_| AppError::NotFound)
    }

    /// Makes a one-time acknowledgement code for a statement line (the manager or an
    /// operator), to send the worker by SMS or WeChat. Returns the code and its link.
    pub async fn ack_code(&self, who: &Principal, statement: i64) -> Result<(String, String), AppError> {
        let who = who.clone();
        let code = new_code();
        let hash = token_hash(&code);
        self.write(move |this, conn| {
            let row = q::statement(conn, statement)?.ok_or(AppError::NotFound)?;
            let payout = q::payout(conn, row.payout_id)?.ok_or(AppError::NotFound)?;
            keeper(conn, &who, payout.workshop_id)?;
            if row.acknowledged_at.is_some() {
                return Err(AppError::Conflict { key: "wage.error.acknowledged" });
            }
            let now = this.now();
            q::insert_ack(
                conn,
                &hash,
                statement,
                Some(who.user_id.get()),
                now,
                now + TimeDelta::days(this.config.ack_link_days),
            )?;
            audit::append(
                conn,
                AuditEvent::new(
                    Some(who.user_id),
                    "wage.ack_code",
                    format!("statement:{statement}"),
                    serde_json::json!({}),
                ),
                now,
            )?;
            let link = format!("{}/ack/{code}", this.public_url.trim_end_matches('/'));
            Ok((code, link))
        })
        .await
    }

    /// What a code shows: the worker's own line. Not found when the code is unknown, used or
    /// expired, so a guess learns nothing.
    pub async fn ack_view(&self, code: &str) -> Result<AckView, AppError> {
        let code = normalise_code(code).ok_or(AppError::NotFound)?;
        self.read(move |this, conn| {
            let statement = q::ack_statement(conn, &token_hash(&code), this.now())?.ok_or(AppError::NotFound)?;
            ack_view(conn, statement)
        })
        .await
    }

    /// The worker confirms receipt. The code then stops working.
    pub async fn acknowledge(&self, code: &str) -> Result<AckView, AppError> {
        let code = normalise_code(code).ok_or(AppError::NotFound)?;
        self.write(move |this, conn| {
            let hash = token_hash(&code);
            let now = this.now();
            let statement = q::ack_statement(conn, &hash, now)?.ok_or(AppError::NotFound)?;
            if !q::use_ack(conn, &hash, statement, now)? {
                return Err(AppError::NotFound);
            }
            audit::append(
                conn,
                AuditEvent::new(None, "wage.acknowledged", format!("statement:{statement}"), serde_json::json!({})),
                now,
            )?;
            ack_view(conn, statement)
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
            for (worker, at, amount) in q::wages_posted(conn, workshop)? {
                let month = PayoutPeriod::of((at + cst).date()).to_string();
                months
                    .entry((worker, month.clone()))
                    .or_insert_with(|| IncomeMonth { month, ..Default::default() })
                    .attributed_fen += amount;
            }
            for (worker, period, amount, disbursed, acknowledged) in q::income_by_month(conn, workshop)? {
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
            for (id, name_zh, name_latin) in q::workers_of(conn, workshop)? {
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

fn ack_view(conn: &mut DbConn, statement: i64) -> Result<AckView, AppError> {
    let row = q::statement(conn, statement)?.ok_or(AppError::NotFound)?;
    let payout = q::payout(conn, row.payout_id)?.ok_or(AppError::NotFound)?;
    let (_, _, _, name_zh, name_en) = q::workshop_payee(conn, payout.workshop_id)?;
    Ok(AckView {
        worker_name: row.name_zh,
        workshop_name_zh: name_zh,
        workshop_name_en: name_en,
        period: payout.period,
        amount_fen: row.amount_fen,
        line_count: row.line_count,
        method: row.method,
        paid_on: row.paid_on,
        acknowledged: row.acknowledged_at.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_forgivingly_and_strictly() {
        let code = new_code();
        assert_eq!(code.len(), CODE_LEN);
        assert_eq!(normalise_code(&code.to_lowercase()), Some(code.clone()));
        assert_eq!(normalise_code(&format!("{}-{}", &code[..6], &code[6..])), Some(code.clone()));
        assert_eq!(normalise_code("ABC"), None);
        assert_eq!(normalise_code("ILOUILOUILOU"), None);
    }
}

//! The two ways a payout leaves the platform, behind one interface ([`Rail`]):
//! - the **bank batch file** (the default): a transfer list, CSV or XLSX, for the platform's
//!   bank; the operator marks each payout sent and then confirmed with the bank's reference;
//! - a **Stripe Connect transfer** to the workshop's connected account, sent by the run and
//!   retried until it succeeds. Its idempotency key names the payout and the account, so a
//!   retry after a failure or a crash returns the first transfer and never pays twice.

use super::Payouts;
use crate::csv_file::CsvFile;
use crate::db::audit::{self, AuditEvent};
use crate::db::payouts::{self as q, PayoutRow};
use crate::domain::account::{Principal, Role};
use crate::domain::ledger::PayoutPeriod;
use crate::domain::Fen;
use crate::error::AppError;
use crate::payments::PaymentError;

/// A payout rail: what sending a payout does.
pub trait Rail {
    /// Sends one payout. `Ok(Some(reference))` when money moved; `Ok(None)` when the payout
    /// waits for a person (the bank file).
    fn send(
        &self,
        payout: &PayoutRow,
        destination: Option<&str>,
    ) -> impl std::future::Future<Output = Result<Option<String>, PaymentError>> + Send;
}

/// The bank batch rail: nothing is sent by the program; the payout is listed in the file.
pub struct BankBatch;

impl Rail for BankBatch {
    async fn send(&self, _payout: &PayoutRow, _destination: Option<&str>) -> Result<Option<String>, PaymentError> {
        Ok(None)
    }
}

/// The Stripe Connect rail.
pub struct StripeConnect<'a>(pub &'a crate::payments::StripeGateway);

impl Rail for StripeConnect<'_> {
    async fn send(&self, payout: &PayoutRow, destination: Option<&str>) -> Result<Option<String>, PaymentError> {
        let destination =
            destination.ok_or_else(|| PaymentError::Unavailable("the workshop has no connected account".into()))?;
        let id = self
            .0
            .transfer(
                destination,
                payout.amount_fen,
                &format!("gongfang-{}", payout.period),
                &transfer_key(payout.id, destination),
            )
            .await?;
        Ok(Some(id))
    }
}

/// The idempotency key of a payout's transfer to a destination. A retry to the same account
/// (after a failure or a crash) repeats the key, so Stripe answers with the first transfer; a
/// payout whose account was corrected after a refused transfer gets a fresh key (the old one
/// names a request that moved no money).
pub fn transfer_key(payout: i64, destination: &str) -> String {
    format!("gongfang-payout-{payout}-{destination}")
}

/// A row of the bank file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BankRow {
    pub payout_id: i64,
    pub workshop: String,
    /// The unsealed account number (the file goes to the bank).
    pub account: String,
    pub amount_fen: i64,
    pub memo: String,
}

/// The bank file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchFormat {
    Csv,
    Xlsx,
}

impl BatchFormat {
    pub fn parse(s: &str) -> Option<BatchFormat> {
        match s {
            "csv" => Some(BatchFormat::Csv),
            "xlsx" => Some(BatchFormat::Xlsx),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            BatchFormat::Csv => "text/csv; charset=utf-8",
            BatchFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            BatchFormat::Csv => "csv",
            BatchFormat::Xlsx => "xlsx",
        }
    }
}

const HEADERS: [&str; 6] = ["payout_id", "payee_workshop", "payee_account", "amount_fen", "amount_cny", "memo"];

/// The CSV bank file: a header, one row per payout, amounts in fen and as exact yuan text;
/// written through [`CsvFile`], so a workshop named like a formula stays text.
pub fn bank_csv(rows: &[BankRow]) -> Result<Vec<u8>, AppError> {
    let mut file = CsvFile::new("bank file");
    file.row(HEADERS)?;
    for r in rows {
        file.row([
            r.payout_id.to_string(),
            r.workshop.clone(),
            r.account.clone(),
            r.amount_fen.to_string(),
            Fen(r.amount_fen).yuan_string(),
            r.memo.clone(),
        ])?;
    }
    file.finish()
}

/// The XLSX bank file: the same columns, amounts in fen as numbers (integers, exact in a
/// spreadsheet) and the yuan as text, and a total row whose formula the spreadsheet computes.
pub fn bank_xlsx(rows: &[BankRow], title: &str) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format, Formula, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::Internal(anyhow::anyhow!("bank file: {e}"));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("payouts").map_err(fail)?;
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold).map_err(fail)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_number(row, 0, r.payout_id as f64).map_err(fail)?;
        sheet.write_string(row, 1, &r.workshop).map_err(fail)?;
        // Account numbers are text: as numbers a spreadsheet would round their last digits.
        sheet.write_string_with_format(row, 2, &r.account, &text).map_err(fail)?;
        // Integers below 2^53 are exact as spreadsheet numbers.
        sheet.write_number(row, 3, r.amount_fen as f64).map_err(fail)?;
        sheet.write_string_with_format(row, 4, Fen(r.amount_fen).yuan_string(), &text).map_err(fail)?;
        sheet.write_string(row, 5, &r.memo).map_err(fail)?;
    }
    let total_row = rows.len() as u32 + 1;
    let sum: i64 = rows.iter().map(|r| r.amount_fen).sum();
    sheet.write_string_with_format(total_row, 1, "TOTAL", &bold).map_err(fail)?;
    let formula = if rows.is_empty() { "=0".to_owned() } else { format!("=SUM(D2:D{})", total_row) };
    sheet.write_formula(total_row, 3, Formula::new(formula).set_result(sum.to_string())).map_err(fail)?;
    sheet.write_string_with_format(total_row, 4, Fen(sum).yuan_string(), &text).map_err(fail)?;
    sheet.set_column_width(1, 28).map_err(fail)?;
    sheet.set_column_width(2, 24).map_err(fail)?;
    sheet.set_column_width(5, 36).map_err(fail)?;
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_title(title));
    book.save_to_buffer().map_err(fail)
}

fn operator(who: &Principal) -> Result<(), AppError> {
    if who.role == Role::Operator {
        Ok(())
    } else {
        Err(AppError::Forbidden { key: "error.forbidden" })
    }
}

impl Payouts {
    /// The bank file of a period's bank payouts still to send or sent (operators). The
    /// account numbers are unsealed for the bank, so the export is audited.
    pub async fn bank_file(
        &self,
        who: &Principal,
        period: PayoutPeriod,
        format: BatchFormat,
    ) -> Result<Vec<u8>, AppError> {
        operator(who)?;
        let who_id = who.user_id;
        let rows = self
            .write(move |this, conn| {
                let mut rows = Vec::new();
                for p in q::on_rail(conn, Some(&period.to_string()), "bank", &["pending", "sent"])? {
                    let (_, _, sealed, name_zh, _) = q::workshop_payee(conn, p.workshop_id)?;
                    rows.push(BankRow {
                        payout_id: p.id,
                        workshop: name_zh,
                        account: sealed.and_then(|s| this.key.open(&s)).unwrap_or_default(),
                        amount_fen: p.amount_fen,
                        memo: format!("Gongfang payout {} #{}", p.period, p.id),
                    });
                }
                audit::append(
                    conn,
                    AuditEvent::new(
                        Some(who_id),
                        "payout.bank_file",
                        format!("period:{period}"),
                        serde_json::json!({ "payouts": rows.iter().map(|r| r.payout_id).collect::<Vec<_>>(), "format": format.extension() }),
                    ),
                    this.now(),
                )?;
                Ok(rows)
            })
            .await?;
        match format {
            BatchFormat::Csv => bank_csv(&rows),
            BatchFormat::Xlsx => bank_xlsx(&rows, &format!("Gongfang payouts {period}")),
        }
    }

    /// The operator marks a bank payout sent (`confirmed = false`) or confirmed by the bank,
    /// with the bank's reference.
    pub async fn mark(&self, who: &Principal, payout: i64, confirmed: bool, reference: &str) -> Result<(), AppError> {
        operator(who)?;
        let reference = reference.trim().to_owned();
        if reference.is_empty() || reference.chars().count() > 100 {
            return Err(AppError::BadRequest { field: "reference", key: "order.error.reference_missing" });
        }
        let who = who.clone();
        self.write(move |this, conn| this.mark_in(conn, &who, payout, confirmed, &reference)).await
    }

    /// [`Payouts::mark`] in the caller's transaction, with a checked reference.
    pub fn mark_in(
        &self,
        conn: &mut crate::db::DbConn,
        who: &Principal,
        payout: i64,
        confirmed: bool,
        reference: &str,
    ) -> Result<(), AppError> {
        operator(who)?;
        let p = q::payout(conn, payout)?.ok_or(AppError::NotFound)?;
        if p.rail != "bank" {
            return Err(AppError::Conflict { key: "payout.error.not_bank" });
        }
        let (from, to) = if confirmed { (&["sent"][..], "confirmed") } else { (&["pending"][..], "sent") };
        if !q::move_payout(conn, payout, from, to, Some(reference), self.now())? {
            return Err(AppError::Conflict { key: "payout.error.changed" });
        }
        audit::append(
            conn,
            AuditEvent::new(
                Some(who.user_id),
                if confirmed { "payout.confirmed" } else { "payout.sent" },
                format!("payout:{payout}"),
                serde_json::json!({ "amount_fen": p.amount_fen, "reference": reference }),
            ),
            self.now(),
        )?;
        Ok(())
    }

    /// Sends the pending Stripe payouts (of a period, or all); returns `(sent, failed)`. A
    /// failure is counted on the payout and retried by the next call.
    pub async fn send_transfers(&self, period: Option<PayoutPeriod>) -> Result<(usize, usize), AppError> {
        let Ok(gateway) = self.payments.stripe() else { return Ok((0, 0)) };
        let period = period.map(|p| p.to_string());
        let pending =
            self.read(move |_, conn| Ok(q::on_rail(conn, period.as_deref(), "stripe", &["pending"])?)).await?;
        let (mut sent, mut failed) = (0, 0);
        for p in pending {
            let id = p.id;
            let destination = self
                .write(move |this, conn| {
                    q::transfer_attempt(conn, id, this.now())?;
                    Ok(q::workshop_payee(conn, p.workshop_id)?.1)
                })
                .await?;
            match StripeConnect(gateway).send(&p, destination.as_deref()).await {
                Ok(reference) => {
                    self.record_transfer(id, p.amount_fen, reference).await?;
                    sent += 1;
                }
                Err(e) => {
                    tracing::warn!(payout = id, error = %e, "transfer failed; it will be retried");
                    let text = e.to_string();
                    self.write(move |this, conn| Ok(q::transfer_failed(conn, id, &text, this.now())?)).await?;
                    failed += 1;
                }
            }
        }
        Ok((sent, failed))
    }

    /// Records a transfer that went through; nothing if the payout had already been marked.
    async fn record_transfer(&self, id: i64, amount: i64, reference: Option<String>) -> Result<(), AppError> {
        self.write(move |this, conn| {
            if q::move_payout(conn, id, &["pending"], "confirmed", reference.as_deref(), this.now())? {
                audit::append(
                    conn,
                    AuditEvent::new(
                        None,
                        "payout.transferred",
                        format!("payout:{id}"),
                        serde_json::json!({ "amount_fen": amount, "reference": reference }),
                    ),
                    this.now(),
                )?;
            }
            Ok(())
        })
        .await
    }

    /// Sends one payout's transfer without recording it, as a crash right after Stripe
    /// answered would leave it (for the test that a retry does not pay twice).
    pub async fn send_transfer_unrecorded(&self, payout: i64) -> Result<Option<String>, AppError> {
        let gateway = self.payments.stripe()?;
        let (p, destination) = self
            .read(move |_, conn| {
                let p = q::payout(conn, payout)?.ok_or(AppError::NotFound)?;
                let destination = q::workshop_payee(conn, p.workshop_id)?.1;
                Ok((p, destination))
            })
            .await?;
        Ok(StripeConnect(gateway).send(&p, destination.as_deref()).await?)
    }

    /// Connects a workshop to Stripe (operators): creates its Express account, or records an
    /// existing account id, and pays it by transfer from then on.
    pub async fn connect_stripe(
        &self,
        who: &Principal,
        workshop: i64,
        account: Option<String>,
    ) -> Result<String, AppError> {
        operator(who)?;
        let account = match account.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()) {
            Some(a) if a.starts_with("acct_") && a.len() <= 64 => a,
            Some(_) => return Err(AppError::BadRequest { field: "account", key: "payout.error.account" }),
            None => {
                let email = format!("workshop-{workshop}@payouts.gongfang.invalid");
                self.payments.stripe()?.create_account(&email, &format!("gongfang-account-{workshop}")).await?
            }
        };
        let who_id = who.user_id;
        let stored = account.clone();
        self.write(move |this, conn| {
            if q::set_payee(conn, workshop, "stripe", Some(&stored))? != 1 {
                return Err(AppError::NotFound);
            }
            audit::append(
                conn,
                AuditEvent::new(
                    Some(who_id),
                    "payout.rail",
                    format!("workshop:{workshop}"),
                    serde_json::json!({ "rail": "stripe" }),
                ),
                this.now(),
            )?;
            Ok(())
        })
        .await?;
        Ok(account)
    }
}

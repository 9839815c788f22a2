//! The workshop's record of how it paid each worker their statement line, and the voucher
//! photo: stripped of metadata, kept outside the public media, shown only to readers.

use super::statements::{keeper, reader};
use super::Payouts;
use crate::db::audit::{self, AuditEvent};
use crate::db::payouts as q;
use crate::db::wages::{self as w, NewDisbursement};
use crate::domain::account::Principal;
use crate::error::AppError;
use chrono::{NaiveDate, TimeDelta};
use serde::Deserialize;

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

/// A disbursement as checked: one of the methods, a reference, a date.
#[derive(Debug, Clone)]
pub struct Disbursement {
    pub method: String,
    pub reference: String,
    pub paid_on: NaiveDate,
}

impl DisbursementInput {
    /// Checks the typed fields (each error names its field).
    pub fn check(&self) -> Result<Disbursement, AppError> {
        let method = self.method.trim().to_owned();
        if !["bank", "wechat", "alipay", "cash"].contains(&method.as_str()) {
            return Err(AppError::BadRequest { field: "method", key: "wage.error.method" });
        }
        let reference = self.reference.trim().to_owned();
        if reference.is_empty() || reference.chars().count() > 100 {
            return Err(AppError::BadRequest { field: "reference", key: "order.error.reference_missing" });
        }
        let paid_on = NaiveDate::parse_from_str(self.paid_on.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::BadRequest { field: "paid_on", key: "wage.error.date" })?;
        Ok(Disbursement { method, reference, paid_on })
    }
}

impl Payouts {
    /// The workshop records how it paid a worker their statement line. Once per line.
    pub async fn record_disbursement(
        &self,
        who: &Principal,
        statement: i64,
        input: DisbursementInput,
        voucher_path: Option<String>,
    ) -> Result<(), AppError> {
        let checked = input.check()?;
        let who = who.clone();
        self.write(move |this, conn| this.record_disbursement_in(conn, &who, statement, &checked, voucher_path.clone()))
            .await
    }

    /// [`Payouts::record_disbursement`] in the caller's transaction: the keeper of the
    /// statement's workshop records it once, dated between the payout's cutoff and today.
    pub fn record_disbursement_in(
        &self,
        conn: &mut crate::db::DbConn,
        who: &Principal,
        statement: i64,
        d: &Disbursement,
        voucher_path: Option<String>,
    ) -> Result<(), AppError> {
        let row = w::statement(conn, statement)?.ok_or(AppError::NotFound)?;
        let payout = q::payout(conn, row.payout_id)?.ok_or(AppError::NotFound)?;
        keeper(conn, who, payout.workshop_id)?;
        if d.paid_on > self.clock.today() || d.paid_on < payout.cutoff.date() - TimeDelta::days(1) {
            return Err(AppError::BadRequest { field: "paid_on", key: "wage.error.date" });
        }
        let inserted = w::insert_disbursement(
            conn,
            &NewDisbursement {
                statement_id: statement,
                method: d.method.clone(),
                reference: d.reference.clone(),
                paid_on: d.paid_on,
                voucher_path: voucher_path.clone(),
                recorded_by: Some(who.user_id.get()),
                recorded_at: self.now(),
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
                serde_json::json!({ "worker": row.worker_id, "amount_fen": row.amount_fen, "method": d.method, "reference": d.reference, "paid_on": d.paid_on, "voucher": voucher_path.is_some() }),
            ),
            self.now(),
        )?;
        Ok(())
    }

    /// Attaches a photo of the voucher to a recorded disbursement (the manager or operators).
    /// It goes through the photo pipeline (checked, turned upright, stripped of EXIF and GPS)
    /// and is kept outside the public media directory.
    pub async fn attach_voucher(&self, who: &Principal, statement: i64, bytes: Vec<u8>) -> Result<(), AppError> {
        self.may_attach_voucher(who, statement).await?;
        let who = who.clone();
        let limits = self.photo_limits.clone();
        let processed = actix_web::web::block(move || crate::media::photos::process(&bytes, &limits)).await??;
        let key: String =
            format!("v{statement}-{}", crate::accounts::secrets::new_token().to_lowercase().replace('_', "-"))
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .take(40)
                .collect();
        let stored = crate::media::photos::store(&processed, &self.storage.vouchers, &key).await?;
        let width = stored.variant_widths.iter().copied().filter(|w| *w <= 1600).max().unwrap_or_default();
        let path = format!("{}/{}", stored.dir, crate::media::photos::variant_file(width, "jpg"));
        self.write(move |this, conn| {
            w::set_voucher(conn, statement, &path)?;
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
            let row = w::statement(conn, statement)?.ok_or(AppError::NotFound)?;
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
                let row = w::statement(conn, statement)?.ok_or(AppError::NotFound)?;
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
        // The path was written by attach_voucher: `photos/<key>/<width>.jpg`; the store
        // refuses any other shape of key.
        Ok(self.storage.vouchers.get(&path).await?)
    }
}

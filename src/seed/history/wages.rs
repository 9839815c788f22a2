//! The demo history's money to the workshops and their workers, through the payouts
//! service's own steps: the monthly run ([`crate::payouts::Payouts::run_blocking`]), the
//! operator marking each bank payout sent and confirmed, and each workshop recording how it
//! paid every worker their statement line, then sending the worker a code that the worker
//! uses to acknowledge it.

use crate::db::payouts as q;
use crate::db::wages as w;
use crate::db::DbConn;
use crate::domain::account::Principal;
use crate::error::AppError;
use crate::payouts::disbursements::Disbursement;
use crate::payouts::Payouts;
use crate::seed::generate::Dice;
use chrono::{NaiveDateTime, TimeDelta};

/// A payout just created: `(payout id, workshop id)`, bank payouts only.
pub fn payouts_of(conn: &mut DbConn, period: &str) -> Result<Vec<(i64, i64)>, AppError> {
    Ok(q::list(conn, Some(period), None, 0, 10_000)?
        .into_iter()
        .filter(|(p, _, _)| p.rail == "bank" && p.status == "pending")
        .map(|(p, _, _)| (p.id, p.workshop_id))
        .collect())
}

/// The statement lines of a payout.
pub fn statements_of(conn: &mut DbConn, payout: i64) -> Result<Vec<i64>, AppError> {
    Ok(w::statements_of(conn, payout)?.into_iter().map(|s| s.id).collect())
}

/// How a workshop paid a worker: mostly WeChat Pay or a bank transfer, sometimes Alipay or
/// cash against a receipt; each with a plausible reference.
pub fn disbursement(dice: &mut Dice, statement: i64, at: NaiveDateTime) -> Disbursement {
    let day = (at + TimeDelta::hours(8)).date();
    let stamp = day.format("%Y%m%d");
    let (method, reference) = match dice.below(100) {
        0..45 => ("wechat", format!("4200{stamp}{:010}", statement * 7_919 % 10_000_000_000)),
        45..80 => ("bank", format!("TRF{stamp}{statement:06}")),
        80..90 => ("alipay", format!("{stamp}2001{statement:08}")),
        _ => ("cash", format!("收据 {stamp}-{statement:04}")),
    };
    Disbursement { method: method.into(), reference, paid_on: day }
}

/// The workshop records the payment and sends the code; `None` when the line was recorded
/// before.
pub fn record(
    payouts: &Payouts,
    conn: &mut DbConn,
    keeper: &Principal,
    statement: i64,
    d: &Disbursement,
) -> Result<Option<String>, AppError> {
    match payouts.record_disbursement_in(conn, keeper, statement, d, None) {
        Ok(()) => {}
        Err(AppError::Conflict { .. }) => return Ok(None),
        Err(e) => return Err(e),
    }
    let code = Payouts::new_ack_code();
    payouts.ack_code_in(conn, keeper, statement, &code)?;
    Ok(Some(code))
}

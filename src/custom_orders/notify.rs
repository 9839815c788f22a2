//! E-mails to a custom order's buyer, through the outbox in the buyer's language: a quote to
//! answer, and a step of the payment that has fallen due (at acceptance, when the step before
//! is paid, or when the workshop posts the progress photo a step waits for). Each names the
//! custom order's number, the workshop and the amount, and links to its page; nothing more.

use super::milestones::{falls_due, is_paid};
use crate::db::custom_orders::{self as q, CustomRow};
use crate::db::DbConn;
use crate::domain::custom_order::DueAt;
use crate::domain::ids::{CustomOrderId, OrderId};
use crate::domain::Fen;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::mail::{MailKind, Mailer};
use crate::orders::Orders;

/// What made a step fall due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// The quote was accepted, or a step was paid: the next step is due unless it waits for a
    /// progress photo not yet posted.
    Moved,
    /// The first progress photo of step `n` was posted.
    Photo(i32),
}

/// Tells the buyer that custom order `row` has been quoted at `price`.
pub(crate) fn quoted(orders: &Orders, c: &mut DbConn, row: &CustomRow, price: Fen) -> Result<(), AppError> {
    send(orders, c, row, MailKind::CustomQuoted, None, price)
}

/// Tells the buyer of custom order `row` that its next unpaid step has fallen due, if
/// `trigger` made it so.
pub(crate) fn if_due(orders: &Orders, c: &mut DbConn, row: &CustomRow, trigger: Trigger) -> Result<(), AppError> {
    let id = CustomOrderId(row.id);
    let milestones = q::milestones(c, id)?;
    let Some(next) = milestones.iter().find(|m| !is_paid(m)) else { return Ok(()) };
    let progress = q::progress(c, id)?;
    let due = match trigger {
        Trigger::Moved => falls_due(next, &progress),
        // Only the first photo of the step the buyer pays next makes it due.
        Trigger::Photo(at) => {
            let photos = progress.iter().filter(|p| p.position == next.position).count();
            next.due == DueAt::Progress.as_str() && at == next.position && photos == 1
        }
    };
    if !due || next.order_id.is_some() {
        return Ok(());
    }
    send(orders, c, row, MailKind::CustomMilestoneDue, Some(next.position), Fen(next.amount_fen))
}

/// After order `order` was paid: if it paid a custom order's step, tells the buyer of the next.
pub(crate) fn after_payment(orders: &Orders, c: &mut DbConn, order: OrderId) -> Result<(), AppError> {
    let Some((id, _)) = q::of_order(c, order)? else { return Ok(()) };
    let Some(row) = q::custom_order(c, id)? else { return Ok(()) };
    if_due(orders, c, &row, Trigger::Moved)
}

fn send(
    orders: &Orders,
    c: &mut DbConn,
    row: &CustomRow,
    kind: MailKind,
    step: Option<i32>,
    amount: Fen,
) -> Result<(), AppError> {
    let to = crate::db::accounts::recipient(c, row.buyer_id)?;
    let lang = Lang::parse(&to.lang).unwrap_or_default();
    let (_, _, zh, en) = q::workshop_labels(c, &[row.workshop_id])?.pop().ok_or(AppError::NotFound)?;
    let mut ctx = tera::Context::new();
    ctx.insert("name", &to.name);
    ctx.insert("number", &row.id.to_string());
    ctx.insert("workshop", if lang == Lang::En { &en } else { &zh });
    ctx.insert("step", &step.unwrap_or(0));
    ctx.insert("amount", &amount.to_string());
    ctx.insert("link", &format!("{}/custom/{}", orders.public_url, row.id));
    let email = orders.mailer.compose(kind, lang, &to.email, &ctx)?;
    Mailer::enqueue(c, &email)?;
    Ok(())
}

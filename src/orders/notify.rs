//! The e-mails of an order, composed in the buyer's language (the workshop's in its managers'
//! languages) and queued in the transaction of the change that causes them. The mail worker
//! sends them; an SMTP outage delays them and loses none.

use super::Orders;
use crate::db::order_views as v;
use crate::db::DbConn;
use crate::domain::order::PaymentMethod;
use crate::domain::Fen;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::mail::{MailKind, Mailer};

/// Which e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderMail {
    /// To the buyer, at checkout: what to do next, and by when.
    Placed,
    /// To the workshop's managers: a cash-on-delivery order to accept or refuse.
    CodRequested,
    /// To the buyer: the workshop accepted cash on delivery.
    CodAccepted,
    /// To the buyer: the workshop refused cash on delivery, or did not answer in time.
    CodRefused,
    /// To the buyer of an unpaid bank transfer, once, before its hold runs out.
    TransferReminder,
    /// To the buyer when the payment arrived, and to each workshop's managers.
    Paid,
    /// To the buyer, for one parcel.
    Shipped { shipment: i64 },
    /// To the buyer, for one refund.
    Refunded { refund: i64 },
}

impl Orders {
    /// Composes and queues an order's e-mail (call inside the transaction of the change).
    pub(crate) fn queue_order_mail(&self, conn: &mut DbConn, order_id: i64, mail: OrderMail) -> Result<(), AppError> {
        let order = v::order_by_id(conn, order_id)?;
        let lang = Lang::parse(&order.lang).unwrap_or_default();
        let lines = v::lines_of(conn, order_id)?;
        let mut ctx = tera::Context::new();
        ctx.insert("number", &order.number);
        ctx.insert("name", &order.recipient);
        ctx.insert("total", &Fen(order.total_fen).to_string());
        ctx.insert("link", &format!("{}/orders/{}", self.public_url, order.number));
        let titles = |lang: Lang, workshop: Option<i64>| -> Vec<String> {
            lines
                .iter()
                .filter(|l| workshop.is_none_or(|w| l.workshop_id == w))
                .map(|l| {
                    let title = if lang == Lang::En && !l.title_en.is_empty() { &l.title_en } else { &l.title_zh };
                    format!("{title} × {}", l.quantity)
                })
                .collect()
        };
        ctx.insert("lines", &titles(lang, None));
        ctx.insert("payment_method", &order.payment_method);
        // Rendered in China time by the templates' `china_time` filter.
        ctx.insert("deadline", &crate::clock::rfc3339(order.reserved_until));
        ctx.insert("payee", &self.config.bank_payee);
        let kind = match mail {
            OrderMail::Placed => MailKind::OrderPlaced,
            OrderMail::CodAccepted => MailKind::CodAccepted,
            OrderMail::CodRefused => MailKind::CodRefused,
            OrderMail::TransferReminder => MailKind::TransferReminder,
            OrderMail::CodRequested => {
                let link = |_| format!("{}/orders/{}", self.public_url, order.number);
                return self.queue_to_managers(conn, order_id, MailKind::WorkshopCodRequest, &ctx, &titles, link);
            }
            OrderMail::Paid => MailKind::OrderPaid,
            OrderMail::Shipped { shipment } => {
                let s = v::shipment(conn, shipment)?.ok_or(AppError::NotFound)?;
                ctx.insert("workshop", if lang == Lang::En { &s.workshop_name_en } else { &s.workshop_name_zh });
                ctx.insert("carrier", &s.carrier.unwrap_or_default());
                ctx.insert("tracking", &s.tracking_number.unwrap_or_default());
                MailKind::ParcelShipped
            }
            OrderMail::Refunded { refund } => {
                let r = crate::db::refunds::refund(conn, refund)?.ok_or(AppError::NotFound)?;
                ctx.insert("amount", &Fen(r.amount_fen).to_string());
                MailKind::Refunded
            }
        };
        let email = self.mailer.compose(kind, lang, &order.buyer_email, &ctx)?;
        Mailer::enqueue(conn, &email)?;
        // Cash on delivery is paid when the workshop has already shipped: nothing left to pack.
        if mail == OrderMail::Paid && order.payment_method != PaymentMethod::CashOnDelivery.as_str() {
            let link = |workshop| format!("{}/portal/workshops/{workshop}/orders", self.public_url);
            self.queue_to_managers(conn, order_id, MailKind::WorkshopNewOrder, &ctx, &titles, link)?;
        }
        Ok(())
    }

    /// Queues `kind` to the managers of each workshop in the order, in each one's language,
    /// listing only that workshop's pieces (`titles(lang, workshop)`) and linking to `link(workshop)`.
    fn queue_to_managers(
        &self,
        conn: &mut DbConn,
        order_id: i64,
        kind: MailKind,
        ctx: &tera::Context,
        titles: &dyn Fn(Lang, Option<i64>) -> Vec<String>,
        link: impl Fn(i64) -> String,
    ) -> Result<(), AppError> {
        for workshop in v::order_workshops(conn, order_id)? {
            for manager in crate::db::accounts::workshop_managers(conn, workshop)? {
                let (to, their_lang) = (manager.email, Lang::parse(&manager.lang).unwrap_or_default());
                let mut ctx = ctx.clone();
                ctx.insert("lines", &titles(their_lang, Some(workshop)));
                ctx.insert("link", &link(workshop));
                let email = self.mailer.compose(kind, their_lang, &to, &ctx)?;
                Mailer::enqueue(conn, &email)?;
            }
        }
        Ok(())
    }
}

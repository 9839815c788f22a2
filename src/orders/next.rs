//! What an order waits for next, and by when: the order page's "what happens next" line and
//! the API's `next_step` and `deadline`.

use super::views::ParcelView;
use crate::db::order_views::OrderRow;
use crate::domain::order::{OrderStatus, PaymentMethod, ShipmentStatus};
use serde::Serialize;

/// What an order waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NextStep {
    /// The buyer's bank transfer, by the deadline.
    Transfer,
    /// The buyer's online payment, by the deadline.
    PayOnline,
    /// The workshop's answer to cash on delivery, by the deadline.
    AwaitAcceptance,
    /// Cash on delivery accepted: the workshop ships.
    CodShip,
    /// Cash on delivery shipped: paid to the courier at the door.
    CodAtDoor,
    /// Paid: the workshop packs and ships.
    Prepare,
    /// Shipped: the buyer confirms receipt, or it is confirmed at the deadline.
    OnTheWay,
    /// Delivered: returns are open until the deadline.
    Delivered,
}

/// The next step of an order in `status`, paid by `method`, with these parcels, and its deadline.
pub(super) fn next_step(
    order: &OrderRow,
    status: OrderStatus,
    parcels: &[ParcelView],
    auto_deliver_days: i64,
    return_window_days: i64,
) -> (Option<NextStep>, Option<chrono::NaiveDateTime>) {
    let method = PaymentMethod::parse(&order.payment_method);
    let statuses: Vec<ShipmentStatus> =
        parcels.iter().filter_map(|p| ShipmentStatus::parse(&p.shipment.status)).collect();
    let any_pending = statuses.contains(&ShipmentStatus::Pending);
    match status {
        OrderStatus::PendingPayment if method == Some(PaymentMethod::Stripe) => {
            (Some(NextStep::PayOnline), Some(order.reserved_until))
        }
        OrderStatus::PendingPayment => (Some(NextStep::Transfer), Some(order.reserved_until)),
        OrderStatus::AwaitingAcceptance => (Some(NextStep::AwaitAcceptance), Some(order.reserved_until)),
        OrderStatus::Accepted if any_pending => (Some(NextStep::CodShip), None),
        OrderStatus::Accepted => (Some(NextStep::CodAtDoor), None),
        OrderStatus::Paid | OrderStatus::PartiallyRefunded if any_pending => (Some(NextStep::Prepare), None),
        OrderStatus::Paid | OrderStatus::PartiallyRefunded if statuses.contains(&ShipmentStatus::Shipped) => {
            let first = parcels
                .iter()
                .filter(|p| p.shipment.status == ShipmentStatus::Shipped.as_str())
                .filter_map(|p| p.shipment.shipped_at)
                .min();
            (Some(NextStep::OnTheWay), first.map(|t| t + chrono::TimeDelta::days(auto_deliver_days)))
        }
        OrderStatus::Paid | OrderStatus::PartiallyRefunded => {
            let last = parcels.iter().filter_map(|p| p.shipment.delivered_at).max();
            let open = last.map(|t| t + chrono::TimeDelta::days(return_window_days));
            (open.map(|_| NextStep::Delivered), open)
        }
        OrderStatus::Cancelled | OrderStatus::Refunded => (None, None),
    }
}

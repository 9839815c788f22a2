//! Orders: the statuses of an order, its parcels, payment and refunds; the one state machine
//! that says which move is legal; order numbers and shipping rules. Shipping addresses are in
//! [`super::address`].

use super::money::Fen;
use chrono::{NaiveDateTime, TimeDelta};

text_enum!(
    /// Where an order is in its life. Parcels have their own status ([`ShipmentStatus`]).
    OrderStatus {
        /// Created, stock held until the reservation expires (a bank transfer's hold, or the
        /// minutes of an online payment).
        PendingPayment = "pending_payment",
        /// Cash on delivery, waiting for the workshop to accept it; stock held meanwhile.
        AwaitingAcceptance = "awaiting_acceptance",
        /// Cash on delivery the workshop accepted: it ships unpaid and is paid at the door.
        Accepted = "accepted",
        Paid = "paid",
        /// Never paid (expired, or cancelled by the buyer or staff); its stock went back.
        Cancelled = "cancelled",
        PartiallyRefunded = "partially_refunded",
        Refunded = "refunded",
    }
);

text_enum!(
    /// Where one workshop's parcel of an order is.
    ShipmentStatus {
        /// Waiting for payment, or paid and waiting to be packed.
        Pending = "pending",
        Shipped = "shipped",
        Delivered = "delivered",
        /// The order was cancelled before it was paid.
        Cancelled = "cancelled",
    }
);

text_enum!(
    /// How an order is paid.
    PaymentMethod {
        /// To the platform's account; an operator confirms it with the bank's reference.
        /// Stock is held for the configured days, and the buyer is reminded once.
        BankTransfer = "bank_transfer",
        /// Accepted or refused by the workshop, shipped unpaid, paid to the courier at the
        /// door; the workshop confirms the money with the courier's reference.
        CashOnDelivery = "cash_on_delivery",
        Stripe = "stripe",
    }
);

text_enum!(
    /// A payment's state at its provider.
    PaymentStatus {
        Pending = "pending",
        Succeeded = "succeeded",
        Failed = "failed",
        Cancelled = "cancelled",
        /// Paid after its order had been cancelled, and given back whole.
        Refunded = "refunded",
    }
);

text_enum!(
    /// A refund's state: a buyer's return request waits for staff; an approved refund waits
    /// for the payment provider.
    RefundStatus {
        Requested = "requested",
        Pending = "pending",
        Succeeded = "succeeded",
        Rejected = "rejected",
    }
);

text_enum!(
    /// Why an order was cancelled before it was paid.
    CancelReason {
        Buyer = "buyer",
        Operator = "operator",
        /// Its hold ran out unpaid (a bank transfer that never came, an online payment left).
        Expired = "expired",
        /// Cash on delivery the workshop refused.
        Refused = "refused",
        /// Cash on delivery the workshop did not answer in time.
        Unanswered = "unanswered",
        /// Cash on delivery the buyer did not pay at the door; the parcel went back.
        NotCollected = "not_collected",
    }
);

text_enum!(
    /// Who said a parcel arrived.
    DeliveredBy {
        Workshop = "workshop",
        Operator = "operator",
        Buyer = "buyer",
        /// Nobody did within the configured days after shipping.
        Auto = "auto",
    }
);

/// A move on an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderEvent {
    /// The payment was received (provider confirmation, or staff with a reference).
    PaymentReceived,
    /// Cancelled before payment: by the buyer, by staff, because the reservation expired, or
    /// (cash on delivery) refused by the workshop or not paid at the door.
    Cancel,
    /// The workshop accepts a cash-on-delivery order.
    Accept,
    /// A refund went through; `fully` when nothing paid is left.
    Refunded { fully: bool },
}

/// A move on one parcel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShipmentEvent {
    Ship,
    Deliver,
    /// The order was cancelled before payment.
    Cancel,
}

/// A move that the state machine does not allow. `key` is the message the user reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalMove {
    pub key: &'static str,
}

impl OrderStatus {
    /// The status after `event`, or why the move is not allowed.
    pub fn apply(self, event: OrderEvent) -> Result<OrderStatus, IllegalMove> {
        use OrderStatus::*;
        let refused = |key| Err(IllegalMove { key });
        match (self, event) {
            (PendingPayment | Accepted, OrderEvent::PaymentReceived) => Ok(Paid),
            (AwaitingAcceptance, OrderEvent::PaymentReceived) => refused("order.error.not_accepted"),
            (PendingPayment | AwaitingAcceptance | Accepted, OrderEvent::Cancel) => Ok(Cancelled),
            (AwaitingAcceptance, OrderEvent::Accept) => Ok(Accepted),
            (Accepted, OrderEvent::Accept) => refused("order.error.already_accepted"),
            (PendingPayment, OrderEvent::Accept) => refused("order.error.not_cod"),
            (Cancelled, OrderEvent::Accept) => refused("order.error.cancelled"),
            (_, OrderEvent::Accept) => refused("order.error.already_paid"),
            (Paid | PartiallyRefunded, OrderEvent::Refunded { fully: true }) => Ok(Refunded),
            (Paid | PartiallyRefunded, OrderEvent::Refunded { fully: false }) => Ok(PartiallyRefunded),
            (Cancelled, OrderEvent::PaymentReceived) => refused("order.error.cancelled"),
            (_, OrderEvent::PaymentReceived) => refused("order.error.already_paid"),
            (Cancelled, OrderEvent::Cancel) => refused("order.error.cancelled"),
            (_, OrderEvent::Cancel) => refused("order.error.paid_cannot_cancel"),
            (PendingPayment | AwaitingAcceptance | Accepted, OrderEvent::Refunded { .. }) => {
                refused("order.error.not_paid")
            }
            (Cancelled, OrderEvent::Refunded { .. }) => refused("order.error.cancelled"),
            (Refunded, OrderEvent::Refunded { .. }) => refused("order.error.refunded"),
        }
    }

    /// Whether the goods of an order in this status are owed to the buyer (so parcels may ship).
    pub fn is_paid(self) -> bool {
        matches!(self, OrderStatus::Paid | OrderStatus::PartiallyRefunded)
    }

    /// Not paid yet and not cancelled: its stock is held for it.
    pub fn is_open(self) -> bool {
        matches!(self, OrderStatus::PendingPayment | OrderStatus::AwaitingAcceptance | OrderStatus::Accepted)
    }

    /// Whether its parcels may ship: paid, or cash on delivery the workshop accepted.
    pub fn may_ship(self) -> bool {
        self.is_paid() || self == OrderStatus::Accepted
    }
}

impl ShipmentStatus {
    /// The parcel's status after `event`, given its order's status.
    pub fn apply(self, order: OrderStatus, event: ShipmentEvent) -> Result<ShipmentStatus, IllegalMove> {
        use ShipmentStatus::*;
        let refused = |key| Err(IllegalMove { key });
        match (self, event) {
            (Pending, ShipmentEvent::Ship) if order.may_ship() => Ok(Shipped),
            (Pending, ShipmentEvent::Ship) if order == OrderStatus::PendingPayment => refused("order.error.not_paid"),
            (Pending, ShipmentEvent::Ship) if order == OrderStatus::AwaitingAcceptance => {
                refused("order.error.not_accepted")
            }
            (Pending, ShipmentEvent::Ship) => refused("order.error.nothing_to_ship"),
            (Shipped, ShipmentEvent::Ship) | (Delivered, ShipmentEvent::Ship) => refused("order.error.already_shipped"),
            (Shipped, ShipmentEvent::Deliver) => Ok(Delivered),
            (Pending, ShipmentEvent::Deliver) => refused("order.error.not_shipped"),
            (Delivered, ShipmentEvent::Deliver) => refused("order.error.already_delivered"),
            (Pending, ShipmentEvent::Cancel) if order.is_open() => Ok(Cancelled),
            // Cash on delivery the buyer did not pay at the door: the parcel comes back.
            (Shipped, ShipmentEvent::Cancel) if order == OrderStatus::Accepted => Ok(Cancelled),
            (_, ShipmentEvent::Cancel) => refused("order.error.paid_cannot_cancel"),
            (Cancelled, _) => refused("order.error.cancelled"),
        }
    }
}

/// A workshop's shipping rule: a flat fee per parcel, free from a subtotal on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShippingRule {
    pub flat: Fen,
    pub free_over: Option<Fen>,
}

impl ShippingRule {
    /// The fee for a parcel whose goods come to `subtotal`.
    pub fn fee(self, subtotal: Fen) -> Fen {
        match self.free_over {
            Some(threshold) if subtotal >= threshold => Fen::ZERO,
            _ => self.flat,
        }
    }
}

/// How long a buyer may return an item without giving a reason, counted from delivery.
/// Made-to-order pieces are exempt (they were made for this buyer).
pub fn within_return_window(
    delivered_at: Option<NaiveDateTime>,
    made_to_order: bool,
    window_days: i64,
    now: NaiveDateTime,
) -> Result<(), IllegalMove> {
    if made_to_order {
        return Err(IllegalMove { key: "order.error.made_to_order_no_return" });
    }
    let Some(delivered) = delivered_at else {
        return Err(IllegalMove { key: "order.error.not_delivered" });
    };
    if now > delivered + TimeDelta::days(window_days) {
        return Err(IllegalMove { key: "order.error.return_window_closed" });
    }
    Ok(())
}

/// The most one line may still be refunded: its gross less what was refunded or is on its way.
pub fn refundable(gross: Fen, refunded_or_pending: Fen) -> Fen {
    Fen((gross.get() - refunded_or_pending.get()).max(0))
}

/// The public order number: `GF` + the creation date (China time) + six random letters and
/// digits without look-alikes, e.g. `GF20261129-7KQ2MX`. Unguessable enough that a mistyped
/// number finds nothing, short enough to read out on the phone.
pub fn order_number(date: chrono::NaiveDate, random: &[u8; 6]) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let tail: String = random.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect();
    format!("GF{}-{tail}", date.format("%Y%m%d"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn an_order_is_paid_once_and_cancelled_only_before_payment() {
        use OrderStatus::*;
        assert_eq!(PendingPayment.apply(OrderEvent::PaymentReceived), Ok(Paid));
        assert_eq!(PendingPayment.apply(OrderEvent::Cancel), Ok(Cancelled));
        assert_eq!(Paid.apply(OrderEvent::PaymentReceived).map_err(|e| e.key), Err("order.error.already_paid"));
        assert_eq!(Paid.apply(OrderEvent::Cancel).map_err(|e| e.key), Err("order.error.paid_cannot_cancel"));
        assert_eq!(Cancelled.apply(OrderEvent::PaymentReceived).map_err(|e| e.key), Err("order.error.cancelled"));
        assert_eq!(Cancelled.apply(OrderEvent::Cancel).map_err(|e| e.key), Err("order.error.cancelled"));
    }

    #[test]
    fn cash_on_delivery_is_accepted_then_shipped_unpaid_then_paid() {
        use OrderStatus::*;
        assert_eq!(AwaitingAcceptance.apply(OrderEvent::Accept), Ok(Accepted));
        assert_eq!(
            AwaitingAcceptance.apply(OrderEvent::PaymentReceived).map_err(|e| e.key),
            Err("order.error.not_accepted")
        );
        assert_eq!(AwaitingAcceptance.apply(OrderEvent::Cancel), Ok(Cancelled));
        assert_eq!(Accepted.apply(OrderEvent::Accept).map_err(|e| e.key), Err("order.error.already_accepted"));
        assert_eq!(PendingPayment.apply(OrderEvent::Accept).map_err(|e| e.key), Err("order.error.not_cod"));
        assert_eq!(Accepted.apply(OrderEvent::PaymentReceived), Ok(Paid));
        assert_eq!(Accepted.apply(OrderEvent::Cancel), Ok(Cancelled));
        assert_eq!(
            ShipmentStatus::Pending.apply(AwaitingAcceptance, ShipmentEvent::Ship).map_err(|e| e.key),
            Err("order.error.not_accepted")
        );
        assert_eq!(ShipmentStatus::Pending.apply(Accepted, ShipmentEvent::Ship), Ok(ShipmentStatus::Shipped));
        assert_eq!(ShipmentStatus::Shipped.apply(Accepted, ShipmentEvent::Cancel), Ok(ShipmentStatus::Cancelled));
        assert!(ShipmentStatus::Shipped.apply(Paid, ShipmentEvent::Cancel).is_err());
        for s in OrderStatus::ALL {
            assert_eq!(s.is_open(), s.apply(OrderEvent::Cancel).is_ok(), "{s:?}");
        }
    }

    #[test]
    fn refunds_move_from_paid_to_refunded() {
        use OrderStatus::*;
        assert_eq!(Paid.apply(OrderEvent::Refunded { fully: false }), Ok(PartiallyRefunded));
        assert_eq!(PartiallyRefunded.apply(OrderEvent::Refunded { fully: false }), Ok(PartiallyRefunded));
        assert_eq!(PartiallyRefunded.apply(OrderEvent::Refunded { fully: true }), Ok(Refunded));
        assert_eq!(Paid.apply(OrderEvent::Refunded { fully: true }), Ok(Refunded));
        for from in [PendingPayment, AwaitingAcceptance, Accepted, Cancelled, Refunded] {
            assert!(from.apply(OrderEvent::Refunded { fully: false }).is_err(), "{from:?}");
        }
    }

    #[test]
    fn every_order_move_is_decided() {
        // The match is exhaustive; this checks the answers are consistent: a move that
        // succeeds leads somewhere else, and only refunds may repeat.
        let events = [
            OrderEvent::PaymentReceived,
            OrderEvent::Cancel,
            OrderEvent::Accept,
            OrderEvent::Refunded { fully: true },
            OrderEvent::Refunded { fully: false },
        ];
        for from in OrderStatus::ALL {
            for event in events {
                if let Ok(to) = from.apply(event) {
                    let repeats = matches!(event, OrderEvent::Refunded { fully: false });
                    assert!(to != *from || repeats, "{from:?} --{event:?}--> itself");
                }
            }
        }
    }

    #[test]
    fn parcels_ship_after_payment_and_arrive_after_shipping() {
        use ShipmentStatus::*;
        let paid = OrderStatus::Paid;
        assert_eq!(Pending.apply(paid, ShipmentEvent::Ship), Ok(Shipped));
        assert_eq!(Pending.apply(OrderStatus::PartiallyRefunded, ShipmentEvent::Ship), Ok(Shipped));
        assert_eq!(
            Pending.apply(OrderStatus::PendingPayment, ShipmentEvent::Ship).map_err(|e| e.key),
            Err("order.error.not_paid")
        );
        assert_eq!(
            Pending.apply(OrderStatus::Refunded, ShipmentEvent::Ship).map_err(|e| e.key),
            Err("order.error.nothing_to_ship")
        );
        assert_eq!(Shipped.apply(paid, ShipmentEvent::Ship).map_err(|e| e.key), Err("order.error.already_shipped"));
        assert_eq!(Pending.apply(paid, ShipmentEvent::Deliver).map_err(|e| e.key), Err("order.error.not_shipped"));
        assert_eq!(Shipped.apply(paid, ShipmentEvent::Deliver), Ok(Delivered));
        assert_eq!(
            Delivered.apply(paid, ShipmentEvent::Deliver).map_err(|e| e.key),
            Err("order.error.already_delivered")
        );
        assert_eq!(Pending.apply(OrderStatus::PendingPayment, ShipmentEvent::Cancel), Ok(Cancelled));
        assert!(Pending.apply(paid, ShipmentEvent::Cancel).is_err());
        assert!(Cancelled.apply(paid, ShipmentEvent::Ship).is_err());
        assert!(Cancelled.apply(paid, ShipmentEvent::Deliver).is_err());
    }

    #[test]
    fn shipping_is_free_from_the_threshold() {
        let rule = ShippingRule { flat: Fen(1000), free_over: Some(Fen(29_900)) };
        assert_eq!(rule.fee(Fen(29_899)), Fen(1000));
        assert_eq!(rule.fee(Fen(29_900)), Fen::ZERO);
        let never = ShippingRule { flat: Fen(1500), free_over: None };
        assert_eq!(never.fee(Fen(10_000_000)), Fen(1500));
    }

    #[test]
    fn returns_within_seven_days_of_delivery_except_made_to_order() {
        let delivered = NaiveDate::from_ymd_opt(2026, 11, 1).and_then(|d| d.and_hms_opt(12, 0, 0));
        let at = |day, hour| NaiveDate::from_ymd_opt(2026, 11, day).and_then(|d| d.and_hms_opt(hour, 0, 0));
        let (Some(d), Some(in_time), Some(edge), Some(late)) = (delivered, at(5, 0), at(8, 12), at(8, 13)) else {
            panic!("dates")
        };
        assert_eq!(within_return_window(Some(d), false, 7, in_time), Ok(()));
        assert_eq!(within_return_window(Some(d), false, 7, edge), Ok(()));
        assert_eq!(
            within_return_window(Some(d), false, 7, late).map_err(|e| e.key),
            Err("order.error.return_window_closed")
        );
        assert_eq!(
            within_return_window(Some(d), true, 7, in_time).map_err(|e| e.key),
            Err("order.error.made_to_order_no_return")
        );
        assert_eq!(within_return_window(None, false, 7, in_time).map_err(|e| e.key), Err("order.error.not_delivered"));
    }

    #[test]
    fn order_numbers_read_well() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default();
        let n = order_number(date, &[0, 1, 31, 32, 200, 255]);
        assert_eq!(n, "GF20261129-23Z2AZ");
        assert_eq!(n.len(), 17);
        assert_eq!(refundable(Fen(1000), Fen(300)), Fen(700));
        assert_eq!(refundable(Fen(1000), Fen(1300)), Fen(0));
    }
}

//! The address columns of a milestone's order: from the address the buyer gave with the
//! first payment, or copied from an earlier milestone's order.

use crate::db::order_views as v;
use crate::db::orders::NewOrder;
use crate::domain::address::{Destination, ShippingAddress};

/// An order's address columns from a parsed address (the rest filled by the caller).
pub(super) fn new_order(a: &ShippingAddress, region_text: String) -> NewOrder {
    let (region_code, country) = match &a.destination {
        Destination::China { county } => (Some(county.as_str().to_owned()), "CN".to_owned()),
        Destination::Overseas { country, .. } => (None, country.clone()),
    };
    NewOrder {
        recipient: a.recipient.clone(),
        phone: a.phone.clone(),
        country,
        region_code,
        region_text,
        address_line: a.line.clone(),
        postal_code: a.postal_code.clone(),
        ..blank()
    }
}

/// An order's address columns copied from an earlier milestone's order.
pub(super) fn copy_address(o: &v::OrderRow) -> NewOrder {
    NewOrder {
        recipient: o.recipient.clone(),
        phone: o.phone.clone(),
        country: o.country.clone(),
        region_code: o.region_code.clone(),
        region_text: o.region_text.clone(),
        address_line: o.address_line.clone(),
        postal_code: o.postal_code.clone(),
        ..blank()
    }
}

fn blank() -> NewOrder {
    let epoch = chrono::NaiveDateTime::default();
    NewOrder {
        number: String::new(),
        user_id: 0,
        idempotency_key: String::new(),
        request_digest: String::new(),
        status: String::new(),
        payment_method: String::new(),
        currency: String::new(),
        items_fen: 0,
        shipping_fen: 0,
        total_fen: 0,
        buyer_email: String::new(),
        lang: String::new(),
        recipient: String::new(),
        phone: String::new(),
        country: String::new(),
        region_code: None,
        region_text: String::new(),
        address_line: String::new(),
        postal_code: String::new(),
        reserved_until: epoch,
        created_at: epoch,
        updated_at: epoch,
    }
}

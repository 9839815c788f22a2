//! A checkout's idempotency: the key's shape, the items added up, and the digest of what was
//! asked for, which tells a retry (the same request again: the first order comes back) from a
//! key reused for a different checkout (refused).

use super::checkout::CheckoutRequest;
use crate::db::carts::CartKey;
use crate::domain::address::Destination;
use crate::error::AppError;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Checks an idempotency key's shape: 8 to 100 letters, digits, `-` or `_`.
pub fn valid_key(key: &str) -> bool {
    (8..=100).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Adds up repeated lines and refuses quantities below one.
pub(crate) fn merge_items(items: &[(CartKey, i64)]) -> Result<Vec<(CartKey, i64)>, AppError> {
    let mut merged: BTreeMap<CartKey, i64> = BTreeMap::new();
    for (id, quantity) in items {
        if *quantity < 1 {
            return Err(AppError::BadRequest { field: "quantity", key: "error.not_positive_integer" });
        }
        let sum = merged.get(id).copied().unwrap_or(0).checked_add(*quantity);
        *merged.entry(*id).or_default() =
            sum.ok_or(AppError::BadRequest { field: "quantity", key: "error.quantity_too_large" })?;
    }
    Ok(merged.into_iter().collect())
}

/// The version mark of [`request_digest`]'s input, so a digest stored by an older form of it
/// (before version 2 it was built from Rust's `Debug` output) is recognised.
const DIGEST_VERSION: &str = "v2:";

/// A digest of what a checkout asked for, so that a key reused for a different checkout is
/// told apart from a retry. Its input is stable text: the items as `id×quantity` (a variant as
/// `id/variant×quantity`), the payment
/// method's stable name, and each address field, each length-prefixed so no field can run into
/// the next. The destination is `CN` and the county code, or the country and the typed region.
pub(crate) fn request_digest(request: &CheckoutRequest, items: Option<&[(CartKey, i64)]>) -> String {
    let items = match (items, &request.items) {
        (Some(i), _) => i.to_vec(),
        (None, Some(i)) => merge_items(i).unwrap_or_default(),
        (None, None) => Vec::new(),
    };
    let a = &request.address;
    let (country, region) = match &a.destination {
        Destination::China { county } => ("CN", county.as_str()),
        Destination::Overseas { country, region } => (country.as_str(), region.as_str()),
    };
    let items_text: Vec<String> = items
        .iter()
        .map(|(key, quantity)| match key.variant {
            Some(v) => format!("{}/{v}×{quantity}", key.product),
            None => format!("{}×{quantity}", key.product),
        })
        .collect();
    let mut text = String::new();
    for field in [
        items_text.join(",").as_str(),
        request.payment_method.as_str(),
        &a.recipient,
        &a.phone,
        country,
        region,
        &a.line,
        &a.postal_code,
    ] {
        text.push_str(&format!("{}:{field}|", field.len()));
    }
    // Only when set, so that the digests of orders placed before the flag existed still match.
    if request.for_organisation {
        text.push_str("organisation|");
    }
    let hex: String = Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    format!("{DIGEST_VERSION}{hex}")
}

/// Whether a retry asked for what the first attempt did. Both digests come from
/// [`request_digest`], except for an order placed before its version 2: that stored digest
/// cannot be recomputed (it hashed `Debug` output), so its key alone identifies the order,
/// as for a cart checkout; the retry gets that order back and never a second one.
pub(crate) fn same_request(stored: &str, retry: &str) -> bool {
    stored == retry || !stored.starts_with(DIGEST_VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_items() {
        assert!(valid_key("checkout-1234"));
        assert!(!valid_key("short"));
        assert!(!valid_key("has space in it"));
        let k = CartKey::product;
        assert_eq!(merge_items(&[(k(3), 1), (k(1), 2), (k(3), 2)]).ok(), Some(vec![(k(1), 2), (k(3), 3)]));
        assert!(merge_items(&[(k(1), 0)]).is_err());
    }
}

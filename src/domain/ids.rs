//! Typed row ids, so that a worker id can never be passed where a product id belongs.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw database id.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// A workshop's id.
    WorkshopId,
    /// A worker's id.
    WorkerId,
    /// A product's id.
    ProductId,
    /// One variant of a product (a size, a colour) with its own SKU, price and stock.
    VariantId,
    /// A heritage (ICH) item's id: its row number in the reference data.
    HeritageItemId,
    /// An order's row id (buyers see its number instead).
    OrderId,
    /// One workshop's parcel of an order.
    ShipmentId,
    /// A line of an order.
    OrderLineId,
    /// A refund or return request.
    RefundId,
    /// A custom order: a buyer's request, its quote and its milestones.
    CustomOrderId,
    /// A training session a workshop recorded.
    TrainingSessionId,
);

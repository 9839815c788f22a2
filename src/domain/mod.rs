//! Pure domain types and rules: money, shares, codes and the parsed forms of user input.
//! Nothing here touches the database or HTTP, so every rule is unit-tested in place.

pub mod account;
pub mod attribution;
pub mod certification;
pub mod household;
pub mod ids;
pub mod listing;
pub mod money;
pub mod product;
pub mod region;
pub mod slug;

pub use ids::{HeritageItemId, ProductId, WorkerId, WorkshopId};
pub use money::{Currency, Fen};
pub use region::{RegionCode, RegionLevel};
pub use slug::Slug;

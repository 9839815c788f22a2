//! Pure domain types and rules: money, shares, codes and the parsed forms of user input.
//! Nothing here touches the database or HTTP, so every rule is unit-tested in place.

/// A closed set of words stored as text: `as_str`, `parse` and `ALL`. Defined before the
/// modules so that each can use it.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The stored and serialised text.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s { $($text => Some($name::$variant),)* _ => None }
            }
        }
    };
}

pub mod account;
pub mod address;
pub mod attribution;
pub mod certification;
pub mod employment_rule;
pub mod heritage;
pub mod household;
pub mod ids;
pub mod ledger;
pub mod listing;
pub mod money;
pub mod order;
pub mod period;
pub mod product;
pub mod region;
pub mod slug;

pub use ids::{HeritageItemId, ProductId, WorkerId, WorkshopId};
pub use money::{Currency, Fen};
pub use region::{RegionCode, RegionLevel};
pub use slug::Slug;

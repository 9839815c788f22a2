//! Pure domain types and rules: money, shares, codes and the parsed forms of user input.
//! Nothing here touches the database or HTTP, so every rule is unit-tested in place.

/// A closed set of words stored as text: `as_str`, `parse` and `ALL`. Defined before the
/// modules so that each can use it.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),*
        }

        // Written out rather than derived: utoipa's derive does not see a `serde(rename)` that
        // a macro passes in, and would document the variants' Rust names, not their texts.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),*]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

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
pub mod credit_code;
pub mod custom_order;
pub mod employment_rule;
pub mod heritage;
pub mod household;
pub mod ids;
pub mod ledger;
pub mod listing;
pub mod message;
pub mod money;
pub mod order;
pub mod organisation;
pub mod period;
pub mod product;
pub mod region;
pub mod review;
pub mod slug;
pub mod training;
pub mod variant;

pub use ids::{HeritageItemId, ProductId, WorkerId, WorkshopId};
pub use money::{Currency, Fen};
pub use region::{RegionCode, RegionLevel};
pub use slug::Slug;

#[cfg(test)]
mod tests {
    #[test]
    fn a_text_enums_schema_lists_the_texts_it_sends() {
        let schema = serde_json::to_value(<super::review::ReviewSort as utoipa::PartialSchema>::schema()).unwrap();
        let texts: Vec<&str> = super::review::ReviewSort::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(schema["type"], "string");
        assert_eq!(schema["enum"], serde_json::json!(texts), "{schema}");
        assert_eq!(serde_json::to_value(super::review::ReviewSort::ALL[0]).unwrap(), texts[0]);
    }
}

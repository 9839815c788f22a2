//! Reviews as typed input: a rating of 1 to 5, a text in any language, how the author is
//! named, the order a product page lists them in, a workshop's reply and an operator's reason
//! for hiding one. Parsed here, so the layers below only see values that are allowed.

use crate::error::AppError;
use crate::portal::input::{bounded, required};
use serde::{Deserialize, Serialize};

/// The longest review text, in characters.
pub const MAX_BODY: usize = 2_000;
/// The longest reply, in characters.
pub const MAX_REPLY: usize = 1_000;
/// The longest reason for hiding, in characters.
pub const MAX_REASON: usize = 500;
/// The most photos on one review.
pub const MAX_PHOTOS: usize = 4;
/// Reviews on one page of a product's list.
pub const PAGE_SIZE: i64 = 10;

text_enum!(
    /// How a review names its author.
    ShownAs {
        /// Their display name, as it was when they wrote.
        Name = "name",
        /// "A buyer from <province>" (the province the parcel went to).
        Province = "province",
    }
);

text_enum!(
    /// The order of a product's reviews.
    ReviewSort {
        Newest = "newest",
        Helpful = "helpful",
    }
);

impl ReviewSort {
    /// The sort named in a query string; newest when absent or unknown.
    pub fn of(text: Option<&str>) -> ReviewSort {
        text.and_then(ReviewSort::parse).unwrap_or(ReviewSort::Newest)
    }
}

/// A rating of 1 to 5 stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rating(i32);

impl Rating {
    /// Parses the text of a form field or a JSON number.
    pub fn parse(value: i64) -> Result<Rating, AppError> {
        match i32::try_from(value) {
            Ok(v @ 1..=5) => Ok(Rating(v)),
            _ => Err(AppError::invalid("rating", "error.between", &[("min", "1".into()), ("max", "5".into())])),
        }
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

/// A review as sent (form or JSON).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema, PartialEq, Eq)]
pub struct ReviewInput {
    /// 1 to 5.
    #[serde(default, deserialize_with = "crate::portal::input::opt_i64")]
    pub rating: Option<i64>,
    /// What the buyer thought, in any language (up to 2,000 characters; may be empty).
    #[serde(default)]
    pub body: String,
    /// `name` (the buyer's display name) or `province` ("a buyer from <province>").
    #[serde(default)]
    pub shown_as: String,
}

/// A review that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedReview {
    pub rating: Rating,
    pub body: String,
    pub shown_as: ShownAs,
}

/// Checks a review field by field.
pub fn check(input: &ReviewInput) -> Result<CheckedReview, AppError> {
    let rating = Rating::parse(input.rating.ok_or(AppError::BadRequest { field: "rating", key: "error.required" })?)?;
    let body = bounded("body", &input.body, MAX_BODY)?;
    let shown_as =
        ShownAs::parse(input.shown_as.trim()).ok_or(AppError::BadRequest { field: "shown_as", key: "error.choice" })?;
    Ok(CheckedReview { rating, body, shown_as })
}

/// A workshop's reply as sent.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema, PartialEq, Eq)]
pub struct ReplyInput {
    /// The reply (1 to 1,000 characters).
    #[serde(default)]
    pub body: String,
}

/// Checks a reply: required, at most [`MAX_REPLY`] characters.
pub fn check_reply(input: &ReplyInput) -> Result<String, AppError> {
    required("body", &input.body, MAX_REPLY)
}

/// An operator's reason for hiding a review, as sent.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema, PartialEq, Eq)]
pub struct HideInput {
    /// Why it is hidden (1 to 500 characters); kept in the audit log.
    #[serde(default)]
    pub reason: String,
}

/// Checks a reason for hiding: required, at most [`MAX_REASON`] characters.
pub fn check_reason(input: &HideInput) -> Result<String, AppError> {
    required("reason", &input.reason, MAX_REASON)
}

/// The average of `count` ratings summing to `sum`, to one decimal (none without ratings).
pub fn average(sum: i64, count: i64) -> Option<f64> {
    if count <= 0 {
        return None;
    }
    // Ratings are 1..=5, so the sum of any real count is far inside f64's exact range.
    Some(((sum as f64 / count as f64) * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(rating: i64, body: &str, shown_as: &str) -> ReviewInput {
        ReviewInput { rating: Some(rating), body: body.into(), shown_as: shown_as.into() }
    }

    fn field(e: AppError) -> &'static str {
        match e {
            AppError::BadRequest { field, .. } | AppError::Invalid { field, .. } => field,
            other => panic!("not a field error: {other:?}"),
        }
    }

    #[test]
    fn a_review_is_checked_field_by_field() {
        let ok = check(&input(5, "  很好，银饰做工精细  ", "province")).unwrap();
        assert_eq!((ok.rating.get(), ok.body.as_str(), ok.shown_as), (5, "很好，银饰做工精细", ShownAs::Province));
        assert_eq!(check(&input(1, "", "name")).unwrap().body, "", "the text may be empty");
        for bad in [0, 6, -1, i64::MAX] {
            assert_eq!(field(check(&input(bad, "x", "name")).unwrap_err()), "rating", "{bad}");
        }
        assert_eq!(field(check(&input(4, &"字".repeat(MAX_BODY + 1), "name")).unwrap_err()), "body");
        assert!(check(&input(4, &"字".repeat(MAX_BODY), "name")).is_ok());
        assert_eq!(field(check(&ReviewInput { rating: None, ..input(1, "x", "name") }).unwrap_err()), "rating");
        for bad in ["", "Name", "anonymous"] {
            assert_eq!(field(check(&input(4, "x", bad)).unwrap_err()), "shown_as", "{bad}");
        }
    }

    #[test]
    fn replies_and_reasons_are_required_and_bounded() {
        assert_eq!(field(check_reply(&ReplyInput { body: "  ".into() }).unwrap_err()), "body");
        assert_eq!(check_reply(&ReplyInput { body: " 谢谢 ".into() }).unwrap(), "谢谢");
        assert_eq!(field(check_reason(&HideInput { reason: "x".repeat(MAX_REASON + 1) }).unwrap_err()), "reason");
        assert_eq!(field(check_reason(&HideInput::default()).unwrap_err()), "reason");
    }

    #[test]
    fn averages_round_to_one_decimal() {
        assert_eq!(average(0, 0), None);
        assert_eq!(average(14, 3), Some(4.7));
        assert_eq!(average(5, 1), Some(5.0));
        assert_eq!(ReviewSort::of(Some("helpful")), ReviewSort::Helpful);
        assert_eq!(ReviewSort::of(Some("<script>")), ReviewSort::Newest);
        assert_eq!(ReviewSort::of(None), ReviewSort::Newest);
    }
}

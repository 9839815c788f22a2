//! Messages between a buyer and a workshop, as typed input: what a thread is about, which side
//! wrote, a message's text, a report's reason, and the rate limit's bounds.

use crate::error::AppError;
use crate::portal::input::required;
use serde::{Deserialize, Serialize};

/// The longest message, in characters.
pub const MAX_BODY: usize = 2_000;
/// The longest reason for reporting a thread, in characters.
pub const MAX_REASON: usize = 500;
/// The most messages one account sends in an hour (a buyer's question and a workshop's
/// answers alike); beyond it, 429 with the wait.
pub const PER_HOUR: i64 = 20;
/// The most new threads one buyer opens in a day.
pub const NEW_THREADS_PER_DAY: i64 = 10;

text_enum!(
    /// What a thread is about.
    SubjectKind {
        Product = "product",
        Order = "order",
    }
);

text_enum!(
    /// Who wrote a message.
    Side {
        Buyer = "buyer",
        Workshop = "workshop",
    }
);

/// A message as sent (form or JSON).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema, PartialEq, Eq)]
pub struct MessageInput {
    /// The text (1 to 2,000 characters).
    #[serde(default)]
    pub body: String,
}

/// Checks a message: required, at most [`MAX_BODY`] characters.
pub fn check(input: &MessageInput) -> Result<String, AppError> {
    required("body", &input.body, MAX_BODY)
}

/// A report of a thread as sent.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema, PartialEq, Eq)]
pub struct ReportInput {
    /// Why (1 to 500 characters); operators read it.
    #[serde(default)]
    pub reason: String,
}

/// Checks a report's reason: required, at most [`MAX_REASON`] characters.
pub fn check_report(input: &ReportInput) -> Result<String, AppError> {
    required("reason", &input.reason, MAX_REASON)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_reports_are_required_and_bounded() {
        assert_eq!(check(&MessageInput { body: " 这个手镯可以刻字吗？ ".into() }).unwrap(), "这个手镯可以刻字吗？");
        assert!(check(&MessageInput { body: "  ".into() }).is_err());
        assert!(check(&MessageInput { body: "字".repeat(MAX_BODY + 1) }).is_err());
        assert!(check_report(&ReportInput { reason: "广告".into() }).is_ok());
        assert!(check_report(&ReportInput::default()).is_err());
        assert_eq!(SubjectKind::parse("order"), Some(SubjectKind::Order));
        assert_eq!(Side::Workshop.as_str(), "workshop");
    }
}

//! Workshop certification: a certified workshop confirms its registration every year, and
//! one that misses two yearly confirmations in a row has lapsed.

use chrono::{Months, NaiveDate};
use serde::Serialize;

/// Where a workshop's certification stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CertificationStatus {
    /// No certificate recorded.
    Uncertified,
    /// Confirmed within the last year.
    Active,
    /// One yearly confirmation is overdue; the workshop still counts as certified.
    ConfirmationDue,
    /// Two yearly confirmations missed: the workshop has lost its status.
    Lapsed,
}

impl CertificationStatus {
    /// Whether the workshop's products may be shown in the storefront.
    pub fn is_listable(self) -> bool {
        matches!(self, CertificationStatus::Active | CertificationStatus::ConfirmationDue)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CertificationStatus::Uncertified => "uncertified",
            CertificationStatus::Active => "active",
            CertificationStatus::ConfirmationDue => "confirmation_due",
            CertificationStatus::Lapsed => "lapsed",
        }
    }
}

/// The status on `today` of a certificate issued on `issued_on` and last confirmed on
/// `last_confirmed_on` (the issue date counts as the first confirmation).
pub fn certification_status(
    issued_on: Option<NaiveDate>,
    last_confirmed_on: Option<NaiveDate>,
    today: NaiveDate,
) -> CertificationStatus {
    let Some(issued) = issued_on else {
        return CertificationStatus::Uncertified;
    };
    let last = last_confirmed_on.map_or(issued, |c| c.max(issued));
    let one_year = last.checked_add_months(Months::new(12)).unwrap_or(last);
    let two_years = last.checked_add_months(Months::new(24)).unwrap_or(last);
    if today <= one_year {
        CertificationStatus::Active
    } else if today <= two_years {
        CertificationStatus::ConfirmationDue
    } else {
        CertificationStatus::Lapsed
    }
}

/// The day the next yearly confirmation falls due.
pub fn next_confirmation_due(issued_on: NaiveDate, last_confirmed_on: Option<NaiveDate>) -> NaiveDate {
    let last = last_confirmed_on.map_or(issued_on, |c| c.max(issued_on));
    last.checked_add_months(Months::new(12)).unwrap_or(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn two_missed_years_lapse() {
        let issued = Some(d(2022, 3, 1));
        assert_eq!(certification_status(None, None, d(2026, 1, 1)), CertificationStatus::Uncertified);
        assert_eq!(certification_status(issued, None, d(2023, 3, 1)), CertificationStatus::Active);
        assert_eq!(certification_status(issued, None, d(2023, 3, 2)), CertificationStatus::ConfirmationDue);
        assert_eq!(certification_status(issued, None, d(2024, 3, 2)), CertificationStatus::Lapsed);
        assert_eq!(
            certification_status(issued, Some(d(2025, 6, 1)), d(2026, 11, 28)),
            CertificationStatus::ConfirmationDue
        );
        assert!(!CertificationStatus::Lapsed.is_listable());
        assert_eq!(next_confirmation_due(d(2022, 3, 1), Some(d(2025, 6, 1))), d(2026, 6, 1));
    }
}

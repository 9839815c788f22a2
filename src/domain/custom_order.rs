//! Custom orders in milestones (issue 20), as typed input and pure rules: a buyer's request,
//! a workshop's schedule of milestones, the exact split of the quoted price into milestone
//! amounts, and the stated cancellation rule.
//!
//! A milestone is a line-like unit (DESIGN.md): once its money is confirmed it is attributed
//! by the same rules as an order line (commission, wage pool, maker shares, frozen from the
//! quote), and a refund reverses it exactly. This module holds no storage: the service is
//! [`crate::custom_orders`], the tables [`crate::db::custom_orders`].

use super::attribution::{split_largest_remainder, MakerShare, ShareBp};
use super::money::Fen;
use crate::error::AppError;
use crate::portal::input::required;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The longest request or quote note, in characters.
pub const MAX_TEXT: usize = 2_000;
/// The most milestones a quote has.
pub const MAX_MILESTONES: usize = 6;
/// The longest lead time a quote may promise, in days.
pub const MAX_LEAD_DAYS: i64 = 365;

text_enum!(
    /// Where a custom order stands.
    CustomStatus {
        /// The buyer asked; the workshop has not quoted.
        Requested = "requested",
        /// The workshop quoted; the buyer has not answered.
        Quoted = "quoted",
        /// The buyer accepted: milestones are paid one by one while the piece is made.
        InProgress = "in_progress",
        /// Every milestone is paid; the piece is shipped.
        Shipped = "shipped",
        Delivered = "delivered",
        /// The workshop declined the request, or the buyer the quote.
        Declined = "declined",
        Cancelled = "cancelled",
    }
);

text_enum!(
    /// When a milestone falls due.
    DueAt {
        /// When the buyer accepts the quote (a deposit).
        Acceptance = "acceptance",
        /// When the workshop posts the progress photo it names.
        Progress = "progress",
        /// Before the piece ships (the balance).
        BeforeShipping = "before_shipping",
    }
);

/// Who cancels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canceller {
    Buyer,
    Workshop,
}

/// A buyer's request as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomRequest {
    pub description: String,
    /// What the buyer means to spend, if they said.
    pub budget: Option<Fen>,
    pub wanted_by: Option<NaiveDate>,
}

/// A buyer's request as sent.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct RequestInput {
    #[serde(default)]
    pub description: String,
    /// In yuan, e.g. `3000` or `2999.50`.
    #[serde(default)]
    pub budget: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub wanted_by: String,
}

/// Checks a request: a description; a budget, if any, a positive amount; a wanted-by date, if
/// any, after `today` (China's date).
pub fn check_request(input: &RequestInput, today: NaiveDate) -> Result<CustomRequest, AppError> {
    let description = required("description", &input.description, MAX_TEXT)?;
    let budget = match input.budget.trim() {
        "" => None,
        text => Some(
            Fen::parse_typed_yuan(text)
                .filter(|f| f.get() > 0)
                .ok_or(AppError::BadRequest { field: "budget", key: "error.amount" })?,
        ),
    };
    let wanted_by = match input.wanted_by.trim() {
        "" => None,
        text => {
            let date = crate::portal::input::date("wanted_by", text)?;
            if date <= today {
                return Err(AppError::BadRequest { field: "wanted_by", key: "custom.error.wanted_by_past" });
            }
            Some(date)
        }
    };
    Ok(CustomRequest { description, budget, wanted_by })
}

/// One milestone of a quote: its part of the price and when it falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MilestoneTerm {
    pub share: ShareBp,
    pub due: DueAt,
}

/// Checks a quote's schedule: one to [`MAX_MILESTONES`] milestones whose parts add up to
/// 100%, each above nothing; at most one deposit, and only first; the last due before
/// shipping, so that nothing is owed after the piece has left.
pub fn check_schedule(terms: &[MilestoneTerm]) -> Result<(), AppError> {
    let bad = |key: &'static str| AppError::BadRequest { field: "milestones", key };
    if terms.is_empty() || terms.len() > MAX_MILESTONES {
        return Err(bad("custom.error.milestone_count"));
    }
    if terms.iter().map(|t| t.share.get()).sum::<i64>() != ShareBp::FULL.get()
        || terms.iter().any(|t| t.share.get() == 0)
    {
        return Err(bad("custom.error.milestone_shares"));
    }
    if terms.iter().skip(1).any(|t| t.due == DueAt::Acceptance) {
        return Err(bad("custom.error.deposit_first"));
    }
    if terms.last().map(|t| t.due) != Some(DueAt::BeforeShipping) {
        return Err(bad("custom.error.balance_last"));
    }
    Ok(())
}

/// The quoted price split into the milestones' amounts, exactly: each the floor of its part,
/// the fen left over one each to the largest remainders (earliest milestone first on a tie),
/// the same rule as maker shares. The amounts add up to the price.
pub fn milestone_amounts(price: Fen, terms: &[MilestoneTerm]) -> Vec<Fen> {
    let parts: Vec<MakerShare> = terms
        .iter()
        .enumerate()
        .map(|(i, t)| MakerShare { worker_id: i64::try_from(i).unwrap_or(i64::MAX), share_bp: t.share })
        .collect();
    split_largest_remainder(price, &parts).into_iter().map(|(_, amount)| amount).collect()
}

/// What the stated cancellation rule refunds of each paid milestone, in the schedule's order.
///
/// - The workshop cancels: every paid milestone is refunded in full.
/// - The buyer cancels before the workshop has posted a progress photo: the same (no work is
///   shown as begun).
/// - The buyer cancels after work has begun: what is paid is earned and kept; nothing more
///   falls due.
///
/// `paid` holds each milestone's amount paid (zero for an unpaid one).
pub fn refunds_on_cancel(by: Canceller, work_begun: bool, paid: &[Fen]) -> Vec<Fen> {
    let refund_all = by == Canceller::Workshop || !work_begun;
    paid.iter().map(|p| if refund_all { *p } else { Fen::ZERO }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn term(bp: i64, due: DueAt) -> MilestoneTerm {
        MilestoneTerm { share: ShareBp::new(bp).unwrap_or(ShareBp::FULL), due }
    }

    #[test]
    fn a_request_is_checked_field_by_field() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let ok = RequestInput {
            description: " 一幅绿度母唐卡 ".into(),
            budget: "3000".into(),
            wanted_by: "2027-02-01".into(),
        };
        let r = check_request(&ok, today).unwrap();
        assert_eq!(
            (r.description.as_str(), r.budget, r.wanted_by.is_some()),
            ("一幅绿度母唐卡", Some(Fen(300_000)), true)
        );
        let field = |input: RequestInput| match check_request(&input, today) {
            Err(AppError::BadRequest { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(RequestInput { description: "".into(), ..ok.clone() }), "description");
        assert_eq!(field(RequestInput { budget: "-5".into(), ..ok.clone() }), "budget");
        assert_eq!(field(RequestInput { wanted_by: "2026-12-06".into(), ..ok.clone() }), "wanted_by");
        assert_eq!(field(RequestInput { wanted_by: "明年".into(), ..ok }), "wanted_by");
    }

    #[test]
    fn a_schedule_is_a_deposit_first_and_a_balance_last_adding_up_to_the_price() {
        let deposit_then_balance = [term(3_000, DueAt::Acceptance), term(7_000, DueAt::BeforeShipping)];
        assert!(check_schedule(&deposit_then_balance).is_ok());
        assert!(check_schedule(&[]).is_err());
        assert!(check_schedule(&[term(3_000, DueAt::Acceptance), term(6_000, DueAt::BeforeShipping)]).is_err());
        assert!(check_schedule(&[term(10_000, DueAt::Acceptance)]).is_err(), "nothing due before shipping");
        assert!(check_schedule(&[term(5_000, DueAt::BeforeShipping), term(5_000, DueAt::Acceptance)]).is_err());
        assert!(check_schedule(&[term(0, DueAt::Acceptance), term(10_000, DueAt::BeforeShipping)]).is_err());
        // ¥1,000.01 at 30/70: 300.00 and 700.01, together the price.
        assert_eq!(milestone_amounts(Fen(100_001), &deposit_then_balance), vec![Fen(30_000), Fen(70_001)]);
    }

    #[test]
    fn the_cancellation_rule() {
        let paid = [Fen(30_000), Fen(0)];
        assert_eq!(refunds_on_cancel(Canceller::Workshop, true, &paid), paid.to_vec());
        assert_eq!(refunds_on_cancel(Canceller::Buyer, false, &paid), paid.to_vec());
        assert_eq!(refunds_on_cancel(Canceller::Buyer, true, &paid), vec![Fen::ZERO, Fen::ZERO]);
    }

    proptest! {
        #[test]
        fn milestone_amounts_add_up_to_the_price(price in 1i64..10_000_000_000, cuts in proptest::collection::vec(1i64..10_000, 0..5)) {
            // Random cut points of 10,000 bp into up to six parts, each above nothing.
            let mut points: Vec<i64> = cuts;
            points.sort_unstable();
            points.dedup();
            let mut bounds = vec![0];
            bounds.extend(points);
            bounds.push(10_000);
            let terms: Vec<MilestoneTerm> = bounds.windows(2).map(|w| term(w[1] - w[0], DueAt::BeforeShipping)).collect();
            let amounts = milestone_amounts(Fen(price), &terms);
            prop_assert_eq!(amounts.iter().map(|a| a.get()).sum::<i64>(), price);
            for (a, t) in amounts.iter().zip(&terms) {
                let exact = i128::from(price) * i128::from(t.share.get());
                prop_assert!((i128::from(a.get()) * 10_000 - exact).abs() < 10_000, "within a fen of its part");
            }
        }
    }
}

//! The journal's rules: the balanced postings of a line's capture, of its parcel's shipping,
//! and of each refund, and the payout period. Pure arithmetic on the numbers frozen on the
//! line; the database layer only stores what these functions return, and `audit verify`
//! recomputes every posting with them.

use super::attribution::{split_largest_remainder, DesignerShare, LineAttribution, MakerShare, ShareBp, WageRule};
use super::money::{div_round_half_up, Fen};
use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta};

text_enum!(
    /// The ledger's accounts.
    Account {
        /// What the buyer paid, awaiting attribution (negative: money in).
        BuyerClearing = "buyer_clearing",
        /// The platform's commission.
        PlatformCommission = "platform_commission",
        /// The workshop's own part of the net (net less the wage pool), plus shipping.
        WorkshopPayable = "workshop_payable",
        /// A maker's wage share, held by the workshop for disbursement.
        WagesPayable = "wages_payable",
        /// A designer's share, owed to the designer (never a worker's wage).
        DesignerPayable = "designer_payable",
    }
);

text_enum!(
    /// What an entry records.
    EntryKind {
        Capture = "capture",
        Shipping = "shipping",
        Refund = "refund",
        ShippingRefund = "shipping_refund",
    }
);

/// One posting: an account (a maker's, for wages; a designer's, for a design share) and a
/// signed amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    pub account: Account,
    pub worker_id: Option<i64>,
    pub designer_id: Option<i64>,
    pub amount: Fen,
}

impl Posting {
    fn new(account: Account, worker_id: Option<i64>, amount: i64) -> Posting {
        Posting { account, worker_id, designer_id: None, amount: Fen(amount) }
    }

    /// Whether two postings are to the same account (and person).
    fn same_account(&self, o: &Posting) -> bool {
        self.account == o.account && self.worker_id == o.worker_id && self.designer_id == o.designer_id
    }
}

/// The terms frozen on an order line when it was sold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineTerms {
    pub unit_price: Fen,
    pub quantity: i64,
    pub commission: ShareBp,
    pub rule: WageRule,
    pub makers: Vec<MakerShare>,
    /// The designer's share of the net, if the product gives one.
    pub designer: Option<DesignerShare>,
}

impl LineTerms {
    /// `unit_price × quantity`.
    pub fn gross(&self) -> Fen {
        Fen(self.unit_price.get() * self.quantity)
    }

    /// The attribution of the `kept` fen of this line's gross that the buyer has not been
    /// refunded, by DESIGN.md's rule: commission rounded half up, the wage rule on the net
    /// (a piece-rate pool pro rata to what is kept, rounded half up and never above the net),
    /// and the largest-remainder split. `kept = gross` is the capture.
    pub fn attribute(&self, kept: Fen) -> LineAttribution {
        let gross = self.gross();
        let kept = Fen(kept.get().clamp(0, gross.get()));
        let commission =
            Fen(div_round_half_up(i128::from(kept.get()) * i128::from(self.commission.get()), 10_000) as i64);
        let net = Fen(kept.get() - commission.get());
        let wage_pool = match self.rule {
            WageRule::ShareOfNet { .. } => self.rule.pool(net, self.quantity),
            WageRule::PieceRate { per_unit } => {
                let full = per_unit.get().saturating_mul(self.quantity);
                let pro_rata = if gross.get() == 0 {
                    0
                } else {
                    div_round_half_up(i128::from(full) * i128::from(kept.get()), i128::from(gross.get())) as i64
                };
                Fen(pro_rata.min(net.get()))
            }
        };
        let shares = split_largest_remainder(wage_pool, &self.makers);
        let designer = self.designer.map(|d| (d.designer_id, d.of(net, wage_pool)));
        LineAttribution { gross: kept, commission, net, wage_pool, shares, designer }
    }
}

/// The postings that record an attribution (each amount as it stands; zero amounts left out).
pub fn attribution_postings(a: &LineAttribution, statuses: &dyn Fn(i64) -> Option<&'static str>) -> Vec<Labelled> {
    let mut out = vec![
        Labelled::plain(Posting::new(Account::BuyerClearing, None, -a.gross.get())),
        Labelled::plain(Posting::new(Account::PlatformCommission, None, a.commission.get())),
        Labelled::plain(Posting::new(Account::WorkshopPayable, None, a.workshop_keeps().get())),
    ];
    out.extend(a.shares.iter().map(|(worker, amount)| Labelled {
        posting: Posting::new(Account::WagesPayable, Some(*worker), amount.get()),
        household_status: statuses(*worker),
    }));
    if let Some((designer, amount)) = a.designer {
        let posting =
            Posting { designer_id: Some(designer), ..Posting::new(Account::DesignerPayable, None, amount.get()) };
        out.push(Labelled::plain(posting));
    }
    out.retain(|p| p.posting.amount != Fen::ZERO);
    out
}

/// A posting with the maker's household status on the sale date (wages only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Labelled {
    pub posting: Posting,
    pub household_status: Option<&'static str>,
}

impl Labelled {
    fn plain(posting: Posting) -> Labelled {
        Labelled { posting, household_status: None }
    }
}

/// The reversal of a refund that took the line's kept amount from `before` to `after`: the
/// difference of the two attributions, account by account, so that after every refund the
/// postings of a line add up to the attribution of what is kept (zero after a full refund).
pub fn refund_postings(
    terms: &LineTerms,
    kept_before: Fen,
    kept_after: Fen,
    statuses: &dyn Fn(i64) -> Option<&'static str>,
) -> Vec<Labelled> {
    let before = attribution_postings(&terms.attribute(kept_before), statuses);
    let after = attribution_postings(&terms.attribute(kept_after), statuses);
    let mut out: Vec<Labelled> = Vec::new();
    let mut add = |l: Labelled, sign: i64| match out.iter_mut().find(|o| o.posting.same_account(&l.posting)) {
        Some(o) => o.posting.amount = Fen(o.posting.amount.get() + sign * l.posting.amount.get()),
        None => {
            out.push(Labelled { posting: Posting { amount: Fen(sign * l.posting.amount.get()), ..l.posting }, ..l })
        }
    };
    for l in after {
        add(l, 1);
    }
    for l in before {
        add(l, -1);
    }
    out.retain(|p| p.posting.amount != Fen::ZERO);
    out
}

/// The postings of a parcel's shipping fee (or, negated, of its refund).
pub fn shipping_postings(amount: Fen) -> Vec<Labelled> {
    if amount == Fen::ZERO {
        return Vec::new();
    }
    vec![
        Labelled::plain(Posting::new(Account::BuyerClearing, None, -amount.get())),
        Labelled::plain(Posting::new(Account::WorkshopPayable, None, amount.get())),
    ]
}

/// Whether the postings balance.
pub fn balanced(postings: &[Labelled]) -> bool {
    postings.iter().map(|p| p.posting.amount.get()).sum::<i64>() == 0
}

/// A payout period: one calendar month in China time, written `2026-11`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PayoutPeriod {
    year: i32,
    month: u32,
}

impl PayoutPeriod {
    /// Parses `YYYY-MM`.
    pub fn parse(text: &str) -> Option<PayoutPeriod> {
        let (y, m) = text.trim().split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let (year, month) = (y.parse().ok()?, m.parse().ok()?);
        NaiveDate::from_ymd_opt(year, month, 1).map(|_| PayoutPeriod { year, month })
    }

    /// The month that contains a date.
    pub fn of(date: NaiveDate) -> PayoutPeriod {
        PayoutPeriod { year: date.year(), month: date.month() }
    }

    /// The month before this one.
    pub fn previous(self) -> PayoutPeriod {
        if self.month == 1 {
            PayoutPeriod { year: self.year - 1, month: 12 }
        } else {
            PayoutPeriod { year: self.year, month: self.month - 1 }
        }
    }

    /// The end of the period as a UTC instant: midnight China time after its last day.
    /// Balances settled and entries posted before it are paid in this period.
    pub fn cutoff(self) -> NaiveDateTime {
        let (y, m) = if self.month == 12 { (self.year + 1, 1) } else { (self.year, self.month + 1) };
        let first = NaiveDate::from_ymd_opt(y, m, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).unwrap_or_default();
        first - TimeDelta::hours(8)
    }
}

impl std::fmt::Display for PayoutPeriod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::attribution::attribute_line;
    use proptest::prelude::*;

    fn bp(v: i64) -> ShareBp {
        ShareBp::new(v).unwrap_or(ShareBp::FULL)
    }

    fn no_status(_: i64) -> Option<&'static str> {
        None
    }

    fn terms(price: i64, qty: i64, commission: i64, rule: WageRule, shares: &[i64]) -> LineTerms {
        LineTerms {
            unit_price: Fen(price),
            quantity: qty,
            commission: bp(commission),
            rule,
            makers: shares
                .iter()
                .enumerate()
                .map(|(i, s)| MakerShare { worker_id: i as i64 + 1, share_bp: bp(*s) })
                .collect(),
            designer: None,
        }
    }

    #[test]
    fn periods() {
        let p = PayoutPeriod::parse("2026-11").unwrap_or_else(|| unreachable!());
        assert_eq!(p.to_string(), "2026-11");
        assert_eq!(p.cutoff().to_string(), "2026-11-30 16:00:00");
        assert_eq!(PayoutPeriod::parse("2026-12").map(|p| p.cutoff().to_string()), Some("2026-12-31 16:00:00".into()));
        assert_eq!(p.previous().to_string(), "2026-10");
        for bad in ["2026-13", "2026-1", "26-11", "2026/11", ""] {
            assert_eq!(PayoutPeriod::parse(bad), None, "{bad}");
        }
    }

    /// The worked example: ¥199.99 × 3 at 8% commission, 60% wage, makers 50/30/20.
    #[test]
    fn worked_example() {
        let t = terms(19_999, 3, 800, WageRule::ShareOfNet { wage_bp: bp(6000) }, &[5000, 3000, 2000]);
        let a = t.attribute(t.gross());
        assert_eq!(a.gross, Fen(59_997));
        assert_eq!(a.commission, Fen(4_800)); // 4,799.76 rounds half up
        assert_eq!(a.net, Fen(55_197));
        assert_eq!(a.wage_pool, Fen(33_118)); // 33,118.2
                                              // floors 16,559 / 9,935 / 6,623 leave one fen, for the largest remainder (.6).
        assert_eq!(a.shares, vec![(1, Fen(16_559)), (2, Fen(9_935)), (3, Fen(6_624))]);
        assert_eq!(a.workshop_keeps(), Fen(22_079));
    }

    #[test]
    fn a_refund_reverses_exactly_the_refunded_part() {
        let t = terms(19_999, 3, 800, WageRule::ShareOfNet { wage_bp: bp(6000) }, &[5000, 3000, 2000]);
        let capture = attribution_postings(&t.attribute(t.gross()), &no_status);
        let refund = refund_postings(&t, t.gross(), Fen(39_998), &no_status);
        assert!(balanced(&capture) && balanced(&refund));
        // Capture plus reversal is the attribution of the one piece kept.
        let kept = attribution_postings(&t.attribute(Fen(39_998)), &no_status);
        for k in &kept {
            let sum: i64 = capture
                .iter()
                .chain(&refund)
                .filter(|p| p.posting.account == k.posting.account && p.posting.worker_id == k.posting.worker_id)
                .map(|p| p.posting.amount.get())
                .sum();
            assert_eq!(sum, k.posting.amount.get(), "{:?}", k.posting);
        }
    }

    proptest! {
        #[test]
        fn capture_equals_the_line_rule_and_refunds_end_at_zero(
            price in 0i64..2_000_000,
            qty in 1i64..20,
            commission in 0i64..=10_000,
            wage in 0i64..=10_000,
            piece in prop::option::of(0i64..500_000),
            makers in crate::domain::attribution::tests::shares_strategy(),
            cuts in prop::collection::vec(1i64..1_000, 0..4),
            design in prop::option::of(0i64..=10_000),
        ) {
            let rule = match piece { Some(p) => WageRule::PieceRate { per_unit: Fen(p) }, None => WageRule::ShareOfNet { wage_bp: bp(wage) } };
            let designer = design.map(|d| DesignerShare { designer_id: 77, share_bp: bp(d) });
            let t = LineTerms { makers, designer, ..terms(price, qty, commission, rule, &[]) };
            let a = t.attribute(t.gross());
            // A designer's share changes nothing of the makers' rule.
            prop_assert_eq!(
                LineAttribution { designer: None, ..a.clone() },
                attribute_line(t.unit_price, qty, t.commission, rule, &t.makers)
            );
            // It is the rounded share of the net, within what the wages leave, and the net is
            // exactly wages, the designer's share and the workshop's part.
            let d = a.designer_fen().get();
            let exact = crate::domain::money::div_round_half_up(i128::from(a.net.get()) * i128::from(design.unwrap_or(0)), 10_000) as i64;
            prop_assert_eq!(d, exact.min(a.net.get() - a.wage_pool.get()).max(0));
            prop_assert!(a.workshop_keeps().get() >= 0);
            prop_assert_eq!(a.wage_pool.get() + d + a.workshop_keeps().get(), a.net.get());
            let capture = attribution_postings(&a, &no_status);
            prop_assert!(balanced(&capture));
            prop_assert!(capture.iter().all(|p| p.posting.account != Account::WagesPayable || p.posting.designer_id.is_none()));
            let mut kept = t.gross();
            let mut sums = std::collections::HashMap::new();
            for p in attribution_postings(&t.attribute(kept), &no_status) {
                *sums.entry((p.posting.account, p.posting.worker_id, p.posting.designer_id)).or_insert(0) += p.posting.amount.get();
            }
            for cut in cuts.iter().chain(std::iter::once(&i64::MAX)) {
                let after = Fen((kept.get() - (*cut).min(kept.get())).max(0));
                let r = refund_postings(&t, kept, after, &no_status);
                prop_assert!(balanced(&r));
                for p in r {
                    *sums.entry((p.posting.account, p.posting.worker_id, p.posting.designer_id)).or_insert(0) += p.posting.amount.get();
                }
                kept = after;
            }
            prop_assert!(sums.values().all(|v| *v == 0), "{:?}", sums);
        }
    }
}

//! The buyer's impact receipt: of what they paid, how much went to the wages of how many
//! makers, where, and how many of them are from poor households (the configured statuses).
//! Counts below 3 are shown as "fewer than 3". The poor-household count is told only when at
//! least 3 makers are from poor households and at least 3 are not: otherwise "0", "all" or a
//! near-all figure would tell a named maker's status to the buyer of their piece.

use super::Payouts;
use crate::catalog::reference::Reference;
use crate::db::ledger as q;
use crate::domain::account::Principal;
use crate::domain::employment_rule::RuleConfig;
use crate::domain::household::HouseholdStatus;
use crate::error::AppError;
use crate::orders::{order_for, Standing};
use serde::Serialize;
use std::collections::BTreeMap;

/// Counts under this are not shown.
pub const SMALL_COUNT: usize = 3;

/// A count as shown to the public: exact from 3, "fewer than 3" below; or not told at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum PublicCount {
    Exact(usize),
    FewerThan(usize),
    /// Not published: it would tell something about one person.
    Withheld,
}

impl PublicCount {
    pub fn of(n: usize) -> PublicCount {
        if n == 0 || n >= SMALL_COUNT {
            PublicCount::Exact(n)
        } else {
            PublicCount::FewerThan(SMALL_COUNT)
        }
    }

    /// The part of `of` people with a sensitive trait: exact only when at least 3 have it and
    /// at least 3 do not, so that neither "none", "all" nor "all but one or two" is told.
    pub fn part(part: usize, of: usize) -> PublicCount {
        if part >= SMALL_COUNT && of.saturating_sub(part) >= SMALL_COUNT {
            PublicCount::Exact(part)
        } else {
            PublicCount::Withheld
        }
    }
}

/// The impact receipt of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImpactReceipt {
    pub paid_fen: i64,
    pub wages_fen: i64,
    pub makers: PublicCount,
    pub poor_household_makers: PublicCount,
    /// Prefecture names (zh), in code order.
    pub places_zh: Vec<String>,
    pub places_en: Vec<String>,
}

/// Builds a receipt from an order's wage postings (net of refunds) and its lines' counties.
pub fn receipt(
    paid_fen: i64,
    wages: &[crate::db::ledger::WagePosting],
    counties: &[String],
    reference: &Reference,
    rule: &RuleConfig,
) -> ImpactReceipt {
    let mut per_worker: BTreeMap<i64, (i64, bool)> = BTreeMap::new();
    for (worker, status, amount) in wages {
        let e = per_worker.entry(*worker).or_default();
        e.0 += amount;
        e.1 |= rule.counts(status.as_deref().and_then(HouseholdStatus::parse));
    }
    let paid: Vec<&(i64, bool)> = per_worker.values().filter(|(amount, _)| *amount > 0).collect();
    let mut places: BTreeMap<String, (String, String)> = BTreeMap::new();
    for county in counties {
        let path = reference.path(county);
        // The prefecture when there is one (凉山州), else the county itself.
        if let Some(r) = path.iter().find(|r| r.level == crate::domain::RegionLevel::Prefecture).or(path.last()) {
            places.insert(r.code.clone(), (r.name_zh.clone(), r.name_pinyin.clone()));
        }
    }
    ImpactReceipt {
        paid_fen,
        wages_fen: paid.iter().map(|(a, _)| a).sum(),
        makers: PublicCount::of(paid.len()),
        poor_household_makers: PublicCount::part(paid.iter().filter(|(_, poor)| *poor).count(), paid.len()),
        places_zh: places.values().map(|p| p.0.clone()).collect(),
        places_en: places.values().map(|p| p.1.clone()).collect(),
    }
}

impl Payouts {
    /// The impact receipt of an order (its buyer or an operator); none before it is paid. A
    /// paid order whose wage pools rounded to nothing says so: ¥0 of wages.
    pub async fn impact(&self, who: &Principal, number: String) -> Result<Option<ImpactReceipt>, AppError> {
        let who = who.clone();
        self.read(move |this, conn| {
            let (order, standing) = order_for(conn, &who, &number)?;
            if matches!(standing, Standing::Workshop(_)) {
                return Err(AppError::NotFound);
            }
            if order.paid_at.is_none() {
                return Ok(None);
            }
            let (wages, counties) = q::order_wages(conn, order.id)?;
            Ok(Some(receipt(order.total_fen - order.refunded_fen, &wages, &counties, &this.reference, &this.rule)))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_not_shown() {
        assert_eq!(PublicCount::of(0), PublicCount::Exact(0));
        assert_eq!(PublicCount::of(1), PublicCount::FewerThan(3));
        assert_eq!(PublicCount::of(2), PublicCount::FewerThan(3));
        assert_eq!(PublicCount::of(3), PublicCount::Exact(3));
    }

    #[test]
    fn a_part_is_told_only_when_both_sides_have_three() {
        for of in 0..10 {
            for part in 0..=of {
                let told = PublicCount::part(part, of) != PublicCount::Withheld;
                assert_eq!(told, part >= 3 && of - part >= 3, "{part} of {of}");
            }
        }
        assert_eq!(PublicCount::part(3, 6), PublicCount::Exact(3));
    }
}

//! The national dataset in memory while it is generated: workshops, their workers with
//! household-status histories, and their products. Sales are drawn from it day by day.

use crate::seed::generate::Dice;
use chrono::{NaiveDate, NaiveDateTime};
use std::ops::Range;

/// What to generate, after `GONGFANG_NATIONAL_FRACTION` has scaled it.
#[derive(Debug, Clone)]
pub struct Plan {
    pub workshops: usize,
    pub lines: usize,
    pub buyers: usize,
    /// Today in China; sales run from `start` to it.
    pub today: NaiveDate,
    pub start: NaiveDate,
    /// Now (UTC, as stored); nothing is dated after it.
    pub now: NaiveDateTime,
    /// The scale, as given, for the summary and the order numbers.
    pub fraction: f64,
}

impl Plan {
    /// The 91-day quarter (counted from `start`) of a day; product makers change per quarter.
    pub fn quarter(&self, day: NaiveDate) -> i64 {
        (day - self.start).num_days().max(0) / 91
    }
}

/// One household-status row of a worker.
#[derive(Debug, Clone)]
pub struct Span {
    pub id: i64,
    pub status: &'static str,
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
    pub verified_on: NaiveDate,
}

/// A worker.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: i64,
    pub joined: NaiveDate,
    pub left: Option<NaiveDate>,
    pub history: Vec<Span>,
}

impl Person {
    /// The status valid on `day`, chosen as `crate::db::ledger::statuses_on` chooses it: of the
    /// rows covering the day, the latest `valid_from`, then `verified_on`, then id.
    pub fn status_on(&self, day: NaiveDate) -> Option<&'static str> {
        self.history
            .iter()
            .filter(|s| s.from <= day && s.until.is_none_or(|u| u >= day))
            .max_by_key(|s| (s.from, s.verified_on, s.id))
            .map(|s| s.status)
    }

    /// Employed on every day from `from` to `to`.
    fn employed_over(&self, from: NaiveDate, to: NaiveDate) -> bool {
        self.joined <= from && self.left.is_none_or(|l| l >= to)
    }
}

/// A workshop.
#[derive(Debug, Clone)]
pub struct Shop {
    pub id: i64,
    pub county_code: String,
    pub commission_bp: i32,
    /// It sells from this day, and until `closed` (the day its certification lapsed).
    pub opened: NaiveDate,
    pub closed: Option<NaiveDate>,
    pub popularity: u64,
    pub workers: Range<usize>,
    pub products: Range<usize>,
}

impl Shop {
    pub fn open_on(&self, day: NaiveDate) -> bool {
        self.opened <= day && self.closed.is_none_or(|c| day < c)
    }
}

/// A product.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: i64,
    pub shop: usize,
    pub heritage_item_id: i64,
    pub title_zh: String,
    pub title_en: String,
    pub trace_code: String,
    pub price_fen: i64,
    pub wage_bp: Option<i32>,
    pub piece_rate_fen: Option<i64>,
    pub made_to_order: bool,
    pub lead_time_days: Option<i32>,
}

/// A buyer account and the county its parcels go to (`None`: abroad).
#[derive(Debug, Clone)]
pub struct Buyer {
    pub id: i64,
    pub email: String,
    pub county: Option<String>,
    /// The county's name, or `Overseas`.
    pub region_text: String,
}

/// Everything sales are drawn from.
#[derive(Debug, Default)]
pub struct World {
    pub shops: Vec<Shop>,
    pub people: Vec<Person>,
    pub items: Vec<Item>,
    pub buyers: Vec<Buyer>,
}

/// Maker shares (basis points summing to 10,000) by number of makers.
const SHARES: [&[i32]; 3] = [&[10_000], &[6_000, 4_000], &[5_000, 3_000, 2_000]];
const ROLES: [&str; 3] = ["lead", "maker", "apprentice"];

impl World {
    pub fn person(&self, worker_id: i64) -> Option<&Person> {
        let first = self.people.first()?.id;
        usize::try_from(worker_id - first).ok().and_then(|i| self.people.get(i))
    }

    /// The makers of a product in the quarter holding `day`: `(worker id, share_bp, role)`,
    /// drawn (the same way every time) from the workers its workshop employed over the whole
    /// quarter, else on that day, else any of its workers.
    pub fn makers(&self, plan: &Plan, product: usize, day: NaiveDate) -> Vec<(i64, i32, &'static str)> {
        let Some(item) = self.items.get(product) else { return Vec::new() };
        let Some(shop) = self.shops.get(item.shop) else { return Vec::new() };
        let quarter = plan.quarter(day);
        let q_start = (plan.start + chrono::Days::new(91 * quarter as u64)).min(day);
        let q_end = (q_start + chrono::Days::new(90)).min(plan.today).max(day);
        let staff = &self.people[shop.workers.clone()];
        let mut pool: Vec<i64> = staff.iter().filter(|p| p.employed_over(q_start, q_end)).map(|p| p.id).collect();
        if pool.is_empty() {
            pool = staff.iter().filter(|p| p.employed_over(day, day)).map(|p| p.id).collect();
        }
        if pool.is_empty() {
            pool = staff.iter().map(|p| p.id).collect();
        }
        if pool.is_empty() {
            return Vec::new();
        }
        let mut dice = Dice(0x6d61_6b65_7273 ^ (item.id as u64) << 12 ^ quarter as u64);
        let count = (1 + dice.below(3) as usize).min(pool.len());
        let mut out = Vec::with_capacity(count);
        for (i, share) in SHARES[count.saturating_sub(1).min(2)].iter().enumerate() {
            let k = dice.below(pool.len() as u64) as usize;
            out.push((pool.swap_remove(k), *share, ROLES[i]));
        }
        out
    }
}

/// Noon in China (04:00 UTC) of a day.
pub fn at_noon(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(4, 0, 0).unwrap_or_default()
}

/// A day `n` days after `d` (or before, when negative).
pub fn shift(d: NaiveDate, n: i64) -> NaiveDate {
    d.checked_add_signed(chrono::TimeDelta::days(n)).unwrap_or(d)
}

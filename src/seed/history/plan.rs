//! The demo history's sales, planned before anything is written: how many orders each
//! workshop gets on each day of the year (by season), of which pieces (those its makers could
//! have made by then, the cheaper ones more often), in what quantities, and by whom.

use super::china_time;
use super::sales::Item;
use super::DAYS;
use crate::seed::generate::Dice;
use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta};

/// A planned sale: the buyer (none: the demo buyer), when, and `(workshop index, item index,
/// quantity)` per line.
pub struct Plan {
    pub buyer: Option<usize>,
    pub paid_at: NaiveDateTime,
    pub day: NaiveDate,
    pub lines: Vec<(usize, usize, i64)>,
}

/// A day's share of the year's sales: high before Double Eleven and in December, low around
/// the Spring Festival, growing slowly over the year.
fn day_weight(day: NaiveDate, i: u64) -> u64 {
    let season = match (day.month(), day.day()) {
        (11, 1..=11) => 260,
        (11, _) | (12, _) => 140,
        (1, 20..) | (2, ..=15) => 50,
        (6, 1..=18) => 150,
        _ => 100,
    };
    (1_000 + i * 600 / DAYS) * season
}

/// The year's sales, planned in advance: each workshop sells 110 to 200 orders' worth over
/// the year, spread by [`day_weight`], of the pieces its makers could have made by then.
pub fn plan_sales(
    catalogue: &[(i64, Vec<Item>)],
    buyers: usize,
    demo_buyer: bool,
    start: NaiveDate,
    today: NaiveDate,
    now: NaiveDateTime,
) -> Vec<Plan> {
    let mut dice = Dice(0x0073_616c_6573);
    let yearly: Vec<u64> = catalogue.iter().map(|_| 110 + dice.below(90)).collect();
    let days: Vec<NaiveDate> = (1..=DAYS).map(|i| start + TimeDelta::days(i as i64)).collect();
    let total: u64 = days.iter().enumerate().map(|(i, d)| day_weight(*d, i as u64)).sum();
    let mut plans = Vec::new();
    let mut last_demo_month = 0;
    for (i, day) in days.iter().enumerate() {
        let weight = day_weight(*day, i as u64);
        for (w, (_, items)) in catalogue.iter().enumerate() {
            // Expected sales of the day in thousandths; the fraction is drawn.
            let expected = yearly[w] * weight * 1_000 / total.max(1);
            let n = expected / 1_000 + u64::from(dice.below(1_000) < expected % 1_000);
            for _ in 0..n {
                let paid_at = china_time(*day, 8 * 60 + dice.below(15 * 60) as i64);
                let Some(first) = pick(&mut dice, items, *day) else { continue };
                if paid_at > now || *day > today {
                    continue;
                }
                let mut lines = vec![(w, first, quantity(&mut dice, &items[first]))];
                if dice.chance(10) {
                    if let Some(second) = pick(&mut dice, items, *day).filter(|s| *s != first) {
                        lines.push((w, second, 1));
                    }
                }
                if dice.chance(6) && catalogue.len() > 1 {
                    let other = (w + 1 + dice.below(catalogue.len() as u64 - 1) as usize) % catalogue.len();
                    if let Some(item) = pick(&mut dice, &catalogue[other].1, *day) {
                        lines.push((other, item, 1));
                    }
                }
                // The demo buyer's own orders: one a month, so their receipts have history.
                let month = day.year() * 12 + day.month() as i32;
                let buyer = if demo_buyer && day.day() >= 10 && month != last_demo_month {
                    last_demo_month = month;
                    None
                } else {
                    Some(dice.below(buyers.max(1) as u64) as usize)
                };
                plans.push(Plan { buyer, paid_at, day: *day, lines });
            }
        }
    }
    plans
}

/// A piece on sale on `day`, the cheaper ones more often.
fn pick(dice: &mut Dice, items: &[Item], day: NaiveDate) -> Option<usize> {
    let weights: Vec<(usize, u64)> = items
        .iter()
        .enumerate()
        .filter(|(_, i)| i.from <= day)
        .map(|(k, i)| (k, 1_000_000 / (i.product.price_fen / 100).max(1).isqrt().max(1) as u64))
        .collect();
    let total: u64 = weights.iter().map(|w| w.1).sum();
    if total == 0 {
        return None;
    }
    let mut roll = dice.below(total);
    for (k, w) in weights {
        if roll < w {
            return Some(k);
        }
        roll -= w;
    }
    None
}

/// How many: one of most things, sometimes two or three of the small ones.
fn quantity(dice: &mut Dice, item: &Item) -> i64 {
    let small = item.product.price_fen < 20_000 && !item.product.made_to_order;
    let roll = dice.below(100);
    match (small, roll) {
        (true, 0..70) | (false, 0..95) => 1,
        (true, 70..92) | (false, _) => 2,
        (true, _) => 3,
    }
}

//! How the demo's workers and products are generated from the hand-written specs in
//! `demo.toml`: deterministic, so every machine gets the same demo.

use super::spec::{DemoCatalog, ProductKind, WorkshopSpec, Ymd};
use crate::catalog::reference::HeritageItem;
use crate::db::writes::{NewHouseholdStatus, NewMaker, NewProduct, NewWorker};
use crate::domain::household::HouseholdStatus;
use crate::domain::product::{InheritorLevel, MakerRole, ProductStatus, WageRuleKind};
use anyhow::Context;
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime};

/// A small deterministic generator (splitmix64), so the demo is the same on every machine.
pub struct Dice(pub u64);

impl Dice {
    pub fn roll(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.roll() % n.max(1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

pub fn date((y, m, d): Ymd) -> anyhow::Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).with_context(|| format!("bad date {y}-{m}-{d}"))
}

/// The day the demo's certification dates were written for. Seeding later moves them forward
/// by whole months, so the demo workshops stay as certified as they were on this day.
const DEMO_AUTHORED_ON: Ymd = (2026, 11, 28);

/// A demo date moved forward by the months between [`DEMO_AUTHORED_ON`] and `today`.
pub fn demo_date(ymd: Ymd, today: NaiveDate) -> anyhow::Result<NaiveDate> {
    let authored = date(DEMO_AUTHORED_ON)?;
    let d = date(ymd)?;
    if today <= authored {
        return Ok(d);
    }
    let months = (today.year() - authored.year()) * 12 + today.month() as i32 - authored.month() as i32;
    Ok(d.checked_add_months(chrono::Months::new(months.max(0) as u32)).unwrap_or(d))
}

/// A trace code derived from the slug: 10 characters of Crockford base32 (no I, L, O, U).
pub fn demo_trace_code(slug: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in slug.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut dice = Dice(h);
    (0..10).map(|_| char::from(ALPHABET[dice.below(32) as usize])).collect()
}

pub fn product_slug(spec: &WorkshopSpec, kind: &ProductKind, edition: u64) -> String {
    match edition {
        0 => format!("{}-{}", spec.slug, kind.slug),
        _ => format!("{}-{}-collector", spec.slug, kind.slug),
    }
}

#[allow(clippy::too_many_arguments)]
pub fn demo_worker(
    dice: &mut Dice,
    demo: &DemoCatalog,
    workshop_id: i64,
    county: &str,
    heritage: &HeritageItem,
    position: usize,
    today: NaiveDate,
    now: NaiveDateTime,
) -> anyhow::Result<(NewWorker, Vec<NewHouseholdStatus>)> {
    let pick = |dice: &mut Dice, list: &[(String, String)]| -> anyhow::Result<(String, String)> {
        list.get(dice.below(list.len() as u64) as usize).cloned().context("demo.toml: an empty name or story list")
    };
    let (sur_zh, sur_latin) = pick(dice, &demo.surnames)?;
    let (given_zh, given_latin) = pick(dice, &demo.given_names)?;
    let (story_zh, story_en) = pick(dice, &demo.story_templates)?;
    let level = match position {
        0 if dice.chance(40) => InheritorLevel::Provincial,
        0 => InheritorLevel::Prefectural,
        1 => InheritorLevel::County,
        5 => InheritorLevel::Apprentice,
        _ => InheritorLevel::Craftsman,
    };
    let joined = today.checked_sub_days(Days::new(200 + dice.below(2200))).unwrap_or(today);
    // Consent is each worker's own choice: most publish their name, fewer their photo or story.
    let consent_name = position == 0 || dice.chance(70);
    let worker = NewWorker {
        workshop_id,
        name_zh: format!("{sur_zh}{given_zh}"),
        name_latin: format!("{sur_latin} {given_latin}"),
        story_zh: story_zh.replace("{craft_zh}", &heritage.name_zh),
        story_en: story_en.replace("{craft_en}", &heritage.name_en),
        photo_path: None,
        consent_name,
        consent_photo: consent_name && dice.chance(50),
        consent_story: consent_name && dice.chance(60),
        consent_updated_at: now,
        inheritor_level: level.as_str().into(),
        home_county_code: Some(county.to_owned()),
        joined_on: joined,
        left_on: None,
        created_at: now,
        updated_at: now,
    };
    // Roughly: 35% lifted out (registered poor until 2019 or 2020), 10% monitored,
    // 10% still registered poor, the rest not poor.
    let verified_by = "县乡村振兴局（示例）".to_string();
    let status = |s: HouseholdStatus, from: Ymd, until: Option<Ymd>| -> anyhow::Result<NewHouseholdStatus> {
        Ok(NewHouseholdStatus {
            worker_id: 0,
            status: s.as_str().into(),
            valid_from: date(from)?,
            valid_until: until.map(date).transpose()?,
            verified_by: verified_by.clone(),
            verified_on: date(from)?,
            created_at: now,
        })
    };
    let roll = dice.below(100);
    let exit_year = 2019 + dice.below(2) as i32;
    let history = match roll {
        0..35 => vec![
            status(HouseholdStatus::RegisteredPoor, (2015, 3, 1), Some((exit_year, 12, 31)))?,
            status(HouseholdStatus::LiftedOut, (exit_year + 1, 1, 1), None)?,
        ],
        35..45 => vec![
            status(HouseholdStatus::LiftedOut, (2020, 1, 1), Some((2022, 6, 30)))?,
            status(HouseholdStatus::Monitored, (2022, 7, 1), None)?,
        ],
        45..55 => vec![status(HouseholdStatus::RegisteredPoor, (2016, 5, 1), None)?],
        _ => vec![status(HouseholdStatus::NotPoor, (2018, 1, 1), None)?],
    };
    Ok((worker, history))
}

#[allow(clippy::too_many_arguments)]
pub fn demo_product(
    dice: &mut Dice,
    spec: &WorkshopSpec,
    kind: &ProductKind,
    edition: u64,
    kind_index: usize,
    workshop_id: i64,
    heritage_item_id: i64,
    worker_ids: &[i64],
    now: NaiveDateTime,
) -> (NewProduct, Vec<NewMaker>) {
    let slug = product_slug(spec, kind, edition);
    let collector = edition == 1;
    let price_yuan = if collector { kind.price_yuan * 9 / 5 } else { kind.price_yuan };
    let made_to_order = kind.lead_time_days.is_some();
    // Made-to-order pieces have no ready stock; a few stocked ones are sold out.
    let stock =
        if made_to_order || dice.chance(15) { 0 } else { 1 + dice.below(if collector { 4 } else { 20 }) as i64 };
    let (wage_rule, wage_bp, piece_rate_fen) = match kind.piece_rate_yuan {
        Some(y) => (WageRuleKind::PieceRate, None, Some(if collector { y * 9 / 5 } else { y } * 100)),
        None => (WageRuleKind::ShareOfNet, Some(4000 + 500 * dice.below(6) as i32), None),
    };
    // One to three makers; the lead is the workshop's senior artisan or the second.
    let count = 1 + dice.below(3) as usize;
    let shares: &[i32] = match count {
        1 => &[10_000],
        2 => &[6_000, 4_000],
        _ => &[5_000, 3_000, 2_000],
    };
    let first = (kind_index + edition as usize) % 2;
    let makers = shares
        .iter()
        .enumerate()
        .map(|(i, share)| NewMaker {
            product_id: 0,
            worker_id: worker_ids[(first + i * 2 + edition as usize) % worker_ids.len()],
            role: match i {
                0 => MakerRole::Lead,
                1 => MakerRole::Maker,
                _ if collector => MakerRole::Finishing,
                _ => MakerRole::Apprentice,
            }
            .as_str()
            .into(),
            share_bp: *share,
        })
        .collect();
    let created = now - chrono::Duration::hours((kind_index as i64 * 2 + edition as i64) * 7 + dice.below(500) as i64);
    let title_zh = if collector { format!("{}（典藏款）", kind.title_zh) } else { kind.title_zh.to_owned() };
    let title_en =
        if collector { format!("{} (collector's edition)", kind.title_en) } else { kind.title_en.to_owned() };
    let product = NewProduct {
        trace_code: demo_trace_code(&slug),
        slug,
        workshop_id,
        heritage_item_id,
        title_zh,
        title_en,
        description_zh: kind.description_zh.clone(),
        description_en: kind.description_en.clone(),
        materials_zh: kind.materials_zh.clone(),
        materials_en: kind.materials_en.clone(),
        price_fen: price_yuan * 100,
        currency: "CNY".into(),
        stock,
        made_to_order,
        lead_time_days: kind.lead_time_days,
        wage_rule: wage_rule.as_str().into(),
        wage_bp,
        piece_rate_fen,
        status: ProductStatus::Active.as_str().into(),
        featured: spec.featured && kind_index < 2 && edition == 0,
        sold_count: dice.below(300) as i64,
        created_at: created,
        updated_at: created,
        category: kind.category.unwrap_or(spec.category).as_str().into(),
    };
    (product, makers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_dates_move_with_time() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
        assert_eq!(demo_date((2026, 3, 1), d(2026, 1, 1)).ok(), Some(d(2026, 3, 1)));
        assert_eq!(demo_date((2026, 3, 1), d(2028, 2, 5)).ok(), Some(d(2027, 6, 1)), "15 months later");
    }

    #[test]
    fn trace_codes_are_stable_and_distinct() {
        assert_eq!(demo_trace_code("a"), demo_trace_code("a"));
        assert_ne!(demo_trace_code("a"), demo_trace_code("b"));
        assert_eq!(demo_trace_code("xide-bowl").len(), 10);
    }
}

//! Filling the database: reference data (always, when missing) and the demo catalogue
//! (only when asked, with `seed --demo` or `serve --demo`). Both are idempotent.

pub mod demo_data;
pub mod images;
pub mod spec;

use crate::catalog::reference::Reference;
use crate::db::reference::{ensure_reference_data, ReferenceCounts};
use crate::db::writes::{self, NewHouseholdStatus, NewImage, NewMaker, NewProduct, NewWorker, NewWorkshop};
use crate::db::{Db, DbConn};
use crate::domain::household::HouseholdStatus;
use crate::domain::product::{InheritorLevel, MakerRole, ProductStatus, WageRuleKind};
use crate::domain::RegionLevel;
use anyhow::Context;
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime};
use diesel::Connection;
use indicatif::{ProgressBar, ProgressStyle};
use spec::{ProductKind, WorkshopSpec, Ymd};
use std::path::Path;

/// Loads the reference data if the database lacks it.
pub fn ensure_reference(db: &Db) -> anyhow::Result<Option<ReferenceCounts>> {
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    ensure_reference_data(&mut conn)
}

/// What a demo seed added.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DemoReport {
    pub workshops: usize,
    pub workers: usize,
    pub products: usize,
    pub images_drawn: usize,
}

/// Workers per demo workshop.
const WORKERS_PER_WORKSHOP: usize = 6;

/// A small deterministic generator (splitmix64), so the demo is the same on every machine.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn date((y, m, d): Ymd) -> anyhow::Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).with_context(|| format!("bad date {y}-{m}-{d}"))
}

/// The day the demo's certification dates were written for. Seeding later moves them forward
/// by whole months, so the demo workshops stay as certified as they were on this day.
const DEMO_AUTHORED_ON: Ymd = (2026, 11, 28);

/// A demo date moved forward by the months between [`DEMO_AUTHORED_ON`] and `today`.
fn demo_date(ymd: Ymd, today: NaiveDate) -> anyhow::Result<NaiveDate> {
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

/// Adds the demo workshops that are not there yet, with their workers, products and pictures.
/// Running it again adds nothing. Shows progress bars on a terminal when `progress` is set.
pub fn seed_demo(db: &Db, reference: &Reference, media_dir: &Path, today: NaiveDate, progress: bool) -> anyhow::Result<DemoReport> {
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut missing = Vec::new();
    for (index, spec) in demo_data::WORKSHOPS.iter().enumerate() {
        if !writes::workshop_exists(&mut conn, spec.slug)? {
            missing.push((index, spec));
        }
    }
    let mut report = DemoReport::default();
    if missing.is_empty() {
        return Ok(report);
    }

    // Pictures first, on every core and outside any transaction.
    let jobs: Vec<images::Job> = missing
        .iter()
        .flat_map(|(index, spec)| picture_paths(spec).into_iter().map(move |(rel, seed)| (rel, seed, *index, spec.palette)))
        .map(|(rel, seed, index, palette)| images::Job { path: media_dir.join(rel), palette, seed: (index as u64) << 16 | seed })
        .collect();
    let bar = progress_bar(progress, jobs.len(), "pictures");
    report.images_drawn = images::draw_all(&jobs, &|| bar.inc(1))?;
    bar.finish_and_clear();

    let bar = progress_bar(progress, missing.len(), "workshops");
    for (index, spec) in missing {
        let added = seed_workshop(&mut conn, reference, today, index, spec).with_context(|| format!("demo workshop {}", spec.slug))?;
        report.workshops += 1;
        report.workers += added.workers;
        report.products += added.products;
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(report)
}

fn progress_bar(show: bool, len: usize, what: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(what.to_owned());
    bar
}

/// The pictures of a workshop's products: `(relative path, seed)` per picture, grouped by
/// product in the order the products are made. Collector's editions get two.
fn product_pictures(spec: &WorkshopSpec) -> Vec<Vec<(String, u64)>> {
    let mut out = Vec::new();
    for (k, kind) in spec.kinds.iter().enumerate() {
        for edition in 0..2u64 {
            let slug = product_slug(spec, kind, edition);
            out.push(
                (1..=1 + edition)
                    .map(|n| (format!("demo/{slug}-{n}.jpg"), (k as u64) << 8 | edition << 4 | n))
                    .collect(),
            );
        }
    }
    out
}

fn picture_paths(spec: &WorkshopSpec) -> Vec<(String, u64)> {
    product_pictures(spec).into_iter().flatten().collect()
}

fn seed_workshop(conn: &mut DbConn, reference: &Reference, today: NaiveDate, index: usize, spec: &WorkshopSpec) -> anyhow::Result<DemoReport> {
    let mut dice = Dice(0x6f6e_6766_616e_67 ^ (index as u64) << 8);
    let path = reference.path(spec.county_code);
    let at = |level: RegionLevel| path.iter().find(|r| r.level == level).map(|r| r.code.clone());
    let county = at(RegionLevel::County).with_context(|| format!("{} is not a county code", spec.county_code))?;
    let province = at(RegionLevel::Province).context("county without a province")?;
    let heritage = reference
        .heritage_items()
        .find(|h| h.code == spec.heritage_code)
        .with_context(|| format!("unknown heritage item {}", spec.heritage_code))?;
    let now = at_noon(today);
    let pictures = product_pictures(spec);

    conn.transaction(|conn| {
        let workshop_id = writes::insert_workshop(
            conn,
            &NewWorkshop {
                slug: spec.slug.into(),
                name_zh: spec.name_zh.into(),
                name_en: spec.name_en.into(),
                county_code: county.clone(),
                prefecture_code: at(RegionLevel::Prefecture),
                province_code: province,
                story_zh: spec.story_zh.into(),
                story_en: spec.story_en.into(),
                cert_number: Some(spec.cert_number.into()),
                cert_authority: Some(spec.cert_authority.into()),
                cert_issued_on: Some(demo_date(spec.cert_issued_on, today)?),
                cert_last_confirmed_on: spec.cert_last_confirmed_on.map(|d| demo_date(d, today)).transpose()?,
                commission_bp: spec.commission_bp,
                status: "active".into(),
                featured: spec.featured,
                is_demo: true,
                created_at: now,
                updated_at: now,
            },
            &[heritage.id],
        )?;

        let mut worker_ids = Vec::new();
        for w in 0..WORKERS_PER_WORKSHOP {
            let (new_worker, history) = demo_worker(&mut dice, workshop_id, &county, heritage, w, today, now)?;
            worker_ids.push(writes::insert_worker(conn, &new_worker, &history)?);
        }

        let mut products = 0;
        let mut paths = pictures.iter();
        for (k, kind) in spec.kinds.iter().enumerate() {
            for edition in 0..2u64 {
                let images: Vec<String> = paths.next().map(|p| p.iter().map(|(rel, _)| rel.clone()).collect()).unwrap_or_default();
                let (product, makers) = demo_product(&mut dice, spec, kind, edition, k, workshop_id, heritage.id, &worker_ids, now);
                let images: Vec<NewImage> = images
                    .into_iter()
                    .enumerate()
                    .map(|(n, path)| NewImage {
                        product_id: 0,
                        position: n as i32,
                        path,
                        width: images::SIDE as i32,
                        height: images::SIDE as i32,
                        alt_zh: format!("{}，{}", product.title_zh, spec.name_zh),
                        alt_en: format!("{}, {}", product.title_en, spec.name_en),
                    })
                    .collect();
                writes::insert_product(conn, &product, &makers, &images)?;
                products += 1;
            }
        }
        Ok::<_, anyhow::Error>(DemoReport { workshops: 1, workers: worker_ids.len(), products, images_drawn: 0 })
    })
}

fn at_noon(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(4, 0, 0).unwrap_or_default()
}

fn product_slug(spec: &WorkshopSpec, kind: &ProductKind, edition: u64) -> String {
    match edition {
        0 => format!("{}-{}", spec.slug, kind.slug),
        _ => format!("{}-{}-collector", spec.slug, kind.slug),
    }
}

fn demo_worker(
    dice: &mut Dice,
    workshop_id: i64,
    county: &str,
    heritage: &crate::catalog::reference::HeritageItem,
    position: usize,
    today: NaiveDate,
    now: NaiveDateTime,
) -> anyhow::Result<(NewWorker, Vec<NewHouseholdStatus>)> {
    let (sur_zh, sur_latin) = demo_data::SURNAMES[dice.below(demo_data::SURNAMES.len() as u64) as usize];
    let (given_zh, given_latin) = demo_data::GIVEN_NAMES[dice.below(demo_data::GIVEN_NAMES.len() as u64) as usize];
    let (story_zh, story_en) = demo_data::STORY_TEMPLATES[dice.below(demo_data::STORY_TEMPLATES.len() as u64) as usize];
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
fn demo_product(
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
    let stock = if made_to_order { 0 } else if dice.chance(15) { 0 } else { 1 + dice.below(if collector { 4 } else { 20 }) as i64 };
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
    let title_en = if collector { format!("{} (collector's edition)", kind.title_en) } else { kind.title_en.to_owned() };
    let product = NewProduct {
        trace_code: demo_trace_code(&slug),
        slug,
        workshop_id,
        heritage_item_id,
        title_zh,
        title_en,
        description_zh: kind.description_zh.into(),
        description_en: kind.description_en.into(),
        materials_zh: kind.materials_zh.into(),
        materials_en: kind.materials_en.into(),
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

    #[test]
    fn demo_data_is_well_formed() {
        let mut slugs = std::collections::HashSet::new();
        let mut products = 0;
        for w in demo_data::WORKSHOPS {
            assert!(crate::domain::Slug::parse(w.slug).is_some(), "{}", w.slug);
            assert!(slugs.insert(w.slug.to_string()), "duplicate {}", w.slug);
            for k in w.kinds {
                for e in 0..2 {
                    let s = product_slug(w, k, e);
                    assert!(crate::domain::Slug::parse(&s).is_some(), "{s}");
                    assert!(slugs.insert(s), "duplicate product slug");
                    products += 1;
                }
            }
        }
        assert!(demo_data::WORKSHOPS.len() >= 12);
        assert!(demo_data::WORKSHOPS.len() * WORKERS_PER_WORKSHOP >= 60);
        assert!(products >= 100, "{products}");
    }
}

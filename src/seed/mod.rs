//! Filling the database: reference data (always, when missing) and the demo catalogue
//! (only when asked, with `seed --demo` or `serve --demo`). Both are idempotent.

mod accounts;
pub mod generate;
pub mod history;
pub mod images;
pub mod national;
pub mod scale;
pub mod spec;

use crate::catalog::reference::Reference;
use crate::db::reference::{ensure_reference_data, ReferenceCounts};
use crate::db::writes::{self, NewImage, NewWorkshop};
use crate::db::{Db, DbConn};
use crate::domain::RegionLevel;
pub use accounts::{demo_logins, print_demo_logins, DemoLogin, DEMO_PASSWORD};
use anyhow::Context;
use chrono::{NaiveDate, NaiveDateTime};
use generate::{demo_date, demo_product, demo_worker, product_slug, Dice};
use indicatif::{ProgressBar, ProgressStyle};
use spec::{DemoCatalog, WorkshopSpec};
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

/// Adds the demo workshops that are not there yet, with their workers, products and pictures.
/// Running it again adds nothing. Shows progress bars on a terminal when `progress` is set.
pub fn seed_demo(
    db: &Db,
    reference: &Reference,
    media_dir: &Path,
    today: NaiveDate,
    progress: bool,
) -> anyhow::Result<DemoReport> {
    let demo = DemoCatalog::load()?;
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut missing = Vec::new();
    for (index, spec) in demo.workshops.iter().enumerate() {
        if !writes::workshop_exists(&mut conn, &spec.slug)? {
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
        .flat_map(|(index, spec)| {
            picture_paths(spec).into_iter().map(move |(rel, seed)| (rel, seed, *index, spec.palette))
        })
        .map(|(rel, seed, index, palette)| images::Job {
            path: media_dir.join(rel),
            palette,
            seed: (index as u64) << 16 | seed,
        })
        .collect();
    let bar = progress_bar(progress, jobs.len(), "pictures");
    report.images_drawn = images::draw_all(&jobs, &|| bar.inc(1))?;
    bar.finish_and_clear();

    let bar = progress_bar(progress, missing.len(), "workshops");
    for (index, spec) in missing {
        let added = seed_workshop(&mut conn, reference, &demo, today, index, spec)
            .with_context(|| format!("demo workshop {}", spec.slug))?;
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
/// The media dir's folder of the demo's pictures (drawn at seeding, the same on every machine).
pub const DEMO_PICTURES: &str = "demo";

fn product_pictures(spec: &WorkshopSpec) -> Vec<Vec<(String, u64)>> {
    let mut out = Vec::new();
    for (k, kind) in spec.kinds.iter().enumerate() {
        for edition in 0..2u64 {
            let slug = product_slug(spec, kind, edition);
            out.push(
                (1..=1 + edition)
                    .map(|n| (format!("{DEMO_PICTURES}/{slug}-{n}"), (k as u64) << 8 | edition << 4 | n))
                    .collect(),
            );
        }
    }
    out
}

fn picture_paths(spec: &WorkshopSpec) -> Vec<(String, u64)> {
    product_pictures(spec).into_iter().flatten().collect()
}

fn seed_workshop(
    conn: &mut DbConn,
    reference: &Reference,
    demo: &DemoCatalog,
    today: NaiveDate,
    index: usize,
    spec: &WorkshopSpec,
) -> anyhow::Result<DemoReport> {
    let mut dice = Dice(0x006f_6e67_6661_6e67 ^ (index as u64) << 8);
    let path = reference.path(&spec.county_code);
    let at = |level: RegionLevel| path.iter().find(|r| r.level == level).map(|r| r.code.clone());
    let county = at(RegionLevel::County).with_context(|| format!("{} is not a county code", spec.county_code))?;
    let province = at(RegionLevel::Province).context("county without a province")?;
    let heritage = reference
        .heritage_items()
        .find(|h| h.code == spec.heritage_code)
        .with_context(|| format!("unknown heritage item {}", spec.heritage_code))?;
    let now = at_noon(today);
    let pictures = product_pictures(spec);

    crate::db::tx::write(&mut *conn, |conn| {
        let workshop_id = writes::insert_workshop(
            conn,
            &NewWorkshop {
                slug: spec.slug.clone(),
                name_zh: spec.name_zh.clone(),
                name_en: spec.name_en.clone(),
                county_code: county.clone(),
                prefecture_code: at(RegionLevel::Prefecture),
                province_code: province.clone(),
                story_zh: spec.story_zh.clone(),
                story_en: spec.story_en.clone(),
                cert_number: Some(spec.cert_number.clone()),
                cert_authority: Some(spec.cert_authority.clone()),
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
        if spec.accepts_custom {
            crate::db::custom_orders::set_accepts_custom(conn, crate::domain::WorkshopId(workshop_id), true)?;
        }

        let mut worker_ids = Vec::new();
        for w in 0..WORKERS_PER_WORKSHOP {
            let (new_worker, history) = demo_worker(&mut dice, demo, workshop_id, &county, heritage, w, today, now)?;
            worker_ids.push(writes::insert_worker(conn, &new_worker, &history)?);
        }

        let mut products = 0;
        let mut paths = pictures.iter();
        for (k, kind) in spec.kinds.iter().enumerate() {
            for edition in 0..2u64 {
                let images: Vec<String> =
                    paths.next().map(|p| p.iter().map(|(rel, _)| rel.clone()).collect()).unwrap_or_default();
                let (product, makers) =
                    demo_product(&mut dice, spec, kind, edition, k, workshop_id, heritage.id, &worker_ids, now);
                let images: Vec<NewImage> = images
                    .into_iter()
                    .enumerate()
                    .map(|(n, path)| NewImage {
                        product_id: 0,
                        position: n as i32,
                        path: images::main_file(&path),
                        variant_widths: images::WIDTHS.map(|w| w.to_string()).join(","),
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

/// Noon in China (04:00 UTC) of a day, for demo timestamps.
fn at_noon(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(4, 0, 0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_data_is_well_formed() {
        let mut slugs = std::collections::HashSet::new();
        let mut products = 0;
        let demo = DemoCatalog::load().unwrap();
        for w in &demo.workshops {
            assert!(crate::domain::Slug::parse(&w.slug).is_some(), "{}", w.slug);
            assert!(slugs.insert(w.slug.to_string()), "duplicate {}", w.slug);
            for k in &w.kinds {
                for e in 0..2 {
                    let s = product_slug(w, k, e);
                    assert!(crate::domain::Slug::parse(&s).is_some(), "{s}");
                    assert!(slugs.insert(s), "duplicate product slug");
                    products += 1;
                }
            }
        }
        assert!(demo.workshops.len() >= 12);
        assert!(demo.workshops.len() * WORKERS_PER_WORKSHOP >= 60);
        assert!(products >= 100, "{products}");
    }
}

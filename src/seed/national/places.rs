//! The national catalogue: workshops placed in the real key-area counties (weighted towards
//! 三区三州 and the key support areas), each with one or two heritage items of its province
//! where there are any, a certification that is active, due for confirmation or lapsed;
//! workers whose households move between statuses over the years; products with makers and
//! wage rules taken from the demo's kinds of piece; and the buyers.

use super::model::{at_noon, shift, Buyer, Item, Person, Plan, Shop, Span, World};
use super::rows::{BuyerRow, CatalogueRows, CraftRow, ProductMakerRow, ProductRow, StatusRow, WorkerRow, WorkshopRow};
use crate::catalog::reference::{HeritageItem, Reference, Region};
use crate::domain::RegionLevel;
use crate::seed::generate::Dice;
use crate::seed::spec::{DemoCatalog, ProductKind, WorkshopSpec};
use anyhow::Context;
use chrono::NaiveDate;

/// The first ids of the catalogue's tables.
#[derive(Debug, Clone, Copy)]
pub struct FirstIds {
    pub workshop: i64,
    pub worker: i64,
    pub status: i64,
    pub product: i64,
    pub user: i64,
}

/// A county where workshops go, and how strongly.
struct County<'a> {
    region: &'a Region,
    province: &'a Region,
    prefecture: Option<&'a Region>,
    weight: u64,
}

fn counties(reference: &Reference) -> Vec<(&Region, u64)> {
    let mut out = Vec::new();
    let mut stack: Vec<&Region> = reference.provinces();
    while let Some(r) = stack.pop() {
        if r.level == RegionLevel::County {
            let f = reference.flags(&r.code);
            let weight =
                2 * u64::from(f.poverty_county) + 3 * u64::from(f.sanqu_sanzhou) + 3 * u64::from(f.key_support_area);
            out.push((r, weight));
        }
        stack.extend(reference.children(&r.code));
    }
    out.sort_by(|a, b| a.0.code.cmp(&b.0.code));
    out
}

/// Picks an index by weight.
fn weighted(dice: &mut Dice, cumulative: &[u64]) -> usize {
    let total = cumulative.last().copied().unwrap_or(0);
    let x = dice.below(total.max(1));
    cumulative.partition_point(|c| *c <= x).min(cumulative.len().saturating_sub(1))
}

/// Heritage items for a county: those listed for its county, prefecture or province first.
fn crafts_for<'a>(dice: &mut Dice, items: &[&'a HeritageItem], county: &County) -> Vec<&'a HeritageItem> {
    let close = |h: &&&HeritageItem, digits: usize| {
        h.region_codes.iter().any(|c| c.get(..digits) == county.region.code.get(..digits))
    };
    let near: Vec<&HeritageItem> = [6, 4, 2]
        .iter()
        .map(|d| items.iter().filter(|h| close(h, *d)).copied().collect::<Vec<_>>())
        .find(|v| !v.is_empty())
        .unwrap_or_default();
    let mut out = Vec::new();
    let count = if dice.chance(40) { 2 } else { 1 };
    while out.len() < count {
        let pool = if !near.is_empty() && dice.chance(85) { &near } else { items };
        if let Some(h) = pool.get(dice.below(pool.len() as u64) as usize) {
            if !out.iter().any(|o: &&HeritageItem| o.id == h.id) {
                out.push(*h);
            } else if pool.len() < 2 {
                break;
            }
        }
    }
    out
}

/// The demo's kinds of piece for a heritage item: its own demo workshop's, else a workshop's
/// chosen by the item's id (so every workshop practising it makes the same kinds).
fn kinds_for<'a>(demo: &'a DemoCatalog, item: &HeritageItem) -> Option<(&'a WorkshopSpec, &'a [ProductKind])> {
    let spec = demo
        .workshops
        .iter()
        .find(|s| s.heritage_code == item.code)
        .or_else(|| demo.workshops.get(item.id.unsigned_abs() as usize % demo.workshops.len().max(1)))?;
    Some((spec, spec.kinds.as_slice()))
}

/// A worker's household-status history, for a workshop whose share of poor households is
/// about `poor_permille`: registered poor households lifted out (before the period or during
/// it), lifted-out households put under monitoring, households still registered, non-poor
/// households (a few of them monitored later), and a few unrecorded.
fn history(dice: &mut Dice, plan: &Plan, poor_permille: u64) -> Vec<(&'static str, NaiveDate, Option<NaiveDate>)> {
    let day = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).unwrap_or(plan.start);
    let in_period =
        |dice: &mut Dice| shift(plan.start, dice.below((plan.today - plan.start).num_days().max(1) as u64) as i64);
    let since = day(2014 + dice.below(3) as i32, 1 + dice.below(12) as u32, 1);
    if dice.below(1000) < poor_permille {
        match dice.below(100) {
            0..50 => {
                let exit = day(2016 + dice.below(5) as i32, 12, 31);
                vec![("registered_poor", since, Some(exit)), ("lifted_out", shift(exit, 1), None)]
            }
            50..68 => {
                let exit = in_period(dice);
                vec![("registered_poor", since, Some(exit)), ("lifted_out", shift(exit, 1), None)]
            }
            68..85 => {
                let watch = if dice.chance(50) { in_period(dice) } else { day(2022, 1 + dice.below(12) as u32, 1) };
                vec![("lifted_out", day(2020, 1, 1), Some(shift(watch, -1))), ("monitored", watch, None)]
            }
            _ => vec![("registered_poor", since, None)],
        }
    } else {
        match dice.below(100) {
            0..6 => {
                let watch = in_period(dice);
                vec![("not_poor", day(2018, 1, 1), Some(shift(watch, -1))), ("monitored", watch, None)]
            }
            6..9 => Vec::new(),
            _ => vec![("not_poor", day(2018, 1, 1), None)],
        }
    }
}

/// Builds the catalogue in memory and as rows.
pub fn build(
    reference: &Reference,
    demo: &DemoCatalog,
    plan: &Plan,
    first: FirstIds,
    dice: &mut Dice,
) -> anyhow::Result<(World, CatalogueRows, Vec<BuyerRow>)> {
    let all = counties(reference);
    let places: Vec<County> = all
        .iter()
        .filter(|(_, w)| *w > 0)
        .filter_map(|(r, weight)| {
            let path = reference.path(&r.code);
            let province = *path.first()?;
            let prefecture = path.iter().find(|p| p.level == RegionLevel::Prefecture).copied();
            Some(County { region: r, province, prefecture, weight: *weight })
        })
        .collect();
    anyhow::ensure!(!places.is_empty(), "the reference data has no key-area counties: load it first");
    let items: Vec<&HeritageItem> = reference.heritage_items().collect();
    anyhow::ensure!(!items.is_empty() && !demo.workshops.is_empty(), "no heritage items or demo kinds to draw from");
    let cumulative: Vec<u64> = places
        .iter()
        .scan(0u64, |acc, c| {
            *acc += c.weight;
            Some(*acc)
        })
        .collect();

    let mut world = World::default();
    let mut rows = CatalogueRows::default();
    let mut per_county = std::collections::HashMap::<&str, usize>::new();
    let (mut status_id, mut product_id) = (first.status, first.product);
    let now = plan.now;
    let pick = |dice: &mut Dice, list: &[(String, String)]| {
        list.get(dice.below(list.len() as u64) as usize).cloned().unwrap_or_default()
    };
    for s in 0..plan.workshops {
        let county = &places[weighted(dice, &cumulative)];
        let n = per_county.entry(county.region.code.as_str()).or_default();
        *n += 1;
        let shop_id = first.workshop + s as i64;
        let crafts = crafts_for(dice, &items, county);
        let craft = crafts.first().copied().context("a workshop without a craft")?;
        // Certification: most before the period, a fifth during it; then active, due or lapsed.
        let issued = if dice.chance(80) {
            shift(plan.start, -(dice.below(2_100) as i64) - 1)
        } else {
            shift(plan.start, dice.below((plan.today - plan.start).num_days().max(121) as u64 - 120) as i64)
        };
        let confirmed = match dice.below(100) {
            0..70 => shift(plan.today, -(dice.below(330) as i64)),
            70..87 => shift(plan.today, -366 - dice.below(360) as i64),
            _ => shift(plan.today, -731 - dice.below(330) as i64),
        }
        .max(issued);
        let lapses = confirmed.checked_add_months(chrono::Months::new(24)).filter(|d| *d < plan.today);
        let opened = shift(issued, 14);
        let path_name = county.prefecture.unwrap_or(county.province);
        rows.workshops.push(WorkshopRow {
            id: shop_id,
            slug: format!("nat-{}-{n}", county.region.code),
            name_zh: format!("{}{}第{n}工坊", county.region.short_name_zh, craft.name_zh),
            name_en: format!("{} {} Workshop No. {n}", county.region.name_pinyin, craft.name_en),
            county_code: county.region.code.clone(),
            prefecture_code: county.prefecture.map(|p| p.code.clone()),
            province_code: county.province.code.clone(),
            story_zh: format!("{}的{}非遗扶贫就业工坊（生成的全国数据）。", county.region.name_zh, craft.name_zh),
            story_en: format!(
                "A heritage workshop for {} in {} (generated national data).",
                craft.name_en, county.region.name_pinyin
            ),
            cert_number: Some(format!("FYGF-{}-{n:03}", county.region.code)),
            cert_authority: Some(format!("{}文化和旅游局", path_name.name_zh)),
            cert_issued_on: Some(issued),
            cert_last_confirmed_on: (confirmed > issued).then_some(confirmed),
            commission_bp: 500 + 50 * dice.below(11) as i32,
            status: "active",
            featured: false,
            is_demo: true,
            created_at: at_noon(issued),
            updated_at: at_noon(confirmed),
        });
        rows.crafts.extend(crafts.iter().map(|h| CraftRow { workshop_id: shop_id, heritage_item_id: h.id }));

        // Workers: two founders who stay, the rest joining over the years, some leaving.
        let poor_permille = (360 + dice.below(261) as i64 - 130 + dice.below(121) as i64 - 60).clamp(60, 900) as u64;
        let count = 5 + dice.below(24) as usize + dice.below(29) as usize;
        let workers_from = world.people.len();
        let verified_by = format!("{}乡村振兴局", county.region.name_zh);
        let last_join = (plan.today - opened).num_days().max(30) as u64;
        for w in 0..count {
            let id = first.worker + world.people.len() as i64;
            let joined = if w < 2 {
                shift(opened, -(dice.below(365) as i64))
            } else {
                shift(opened, dice.below(last_join + 150) as i64 - 180)
            };
            let left = (w >= 2 && dice.chance(18))
                .then(|| shift(joined, 60 + dice.below(1_500) as i64))
                .filter(|l| *l < shift(plan.today, -1));
            let mut person = Person { id, joined, left, history: Vec::new() };
            for (status, from, until) in history(dice, plan, poor_permille) {
                let verified_on = shift(from, dice.below(20) as i64).min(plan.today);
                rows.statuses.push(StatusRow {
                    id: status_id,
                    worker_id: id,
                    status,
                    valid_from: from,
                    valid_until: until,
                    verified_by: verified_by.clone(),
                    verified_on,
                    created_at: at_noon(verified_on).min(now),
                });
                person.history.push(Span { id: status_id, status, from, until, verified_on });
                status_id += 1;
            }
            let (sur_zh, sur_latin) = pick(dice, &demo.surnames);
            let (given_zh, given_latin) = pick(dice, &demo.given_names);
            let (story_zh, story_en) = pick(dice, &demo.story_templates);
            let consent_name = w == 0 || dice.chance(70);
            rows.workers.push(WorkerRow {
                id,
                workshop_id: shop_id,
                name_zh: format!("{sur_zh}{given_zh}"),
                name_latin: format!("{sur_latin} {given_latin}"),
                story_zh: story_zh.replace("{craft_zh}", &craft.name_zh),
                story_en: story_en.replace("{craft_en}", &craft.name_en),
                consent_name,
                consent_photo: consent_name && dice.chance(40),
                consent_story: consent_name && dice.chance(50),
                consent_updated_at: at_noon(joined).min(now),
                inheritor_level: match w {
                    0 if dice.chance(30) => "provincial",
                    0 => "prefectural",
                    1 => "county",
                    _ if dice.chance(15) => "apprentice",
                    _ => "craftsman",
                },
                home_county_code: Some(county.region.code.clone()),
                joined_on: joined,
                left_on: left,
                created_at: at_noon(joined).min(now),
                updated_at: at_noon(left.unwrap_or(joined)).min(now),
            });
            world.people.push(person);
        }

        // Products: a handful, of the kinds the demo makes for its crafts.
        let products_from = world.items.len();
        let wanted = 3 + dice.below(6) as usize;
        for k in 0..wanted {
            let h = crafts[if k % 3 == 2 { crafts.len() - 1 } else { 0 }];
            let Some((spec, kinds)) = kinds_for(demo, h) else { continue };
            let Some(kind) = kinds.get((k + s) % kinds.len().max(1)) else { continue };
            let collector = k >= kinds.len();
            let factor = 60 + dice.below(90) as i64;
            let edition = if collector { 9 } else { 5 };
            let scale = |yuan: i64| (yuan * 100 * factor / 100 * edition / 5).max(100);
            let piece =
                kind.piece_rate_yuan.map(scale).or_else(|| dice.chance(10).then(|| scale(kind.price_yuan) * 35 / 100));
            let slug = format!("nat-{}-{n}-{k}", county.region.code);
            world.items.push(Item {
                id: product_id,
                shop: s,
                heritage_item_id: h.id,
                title_zh: if collector { format!("{}（典藏款）", kind.title_zh) } else { kind.title_zh.clone() },
                title_en: if collector {
                    format!("{} (collector's edition)", kind.title_en)
                } else {
                    kind.title_en.clone()
                },
                trace_code: trace_code(product_id),
                price_fen: scale(kind.price_yuan),
                wage_bp: piece.is_none().then(|| 4_000 + 500 * dice.below(7) as i32),
                piece_rate_fen: piece,
                made_to_order: kind.lead_time_days.is_some(),
                lead_time_days: kind.lead_time_days,
            });
            let item = world.items.last().context("just pushed")?;
            rows.products.push(ProductRow {
                id: product_id,
                slug,
                trace_code: item.trace_code.clone(),
                workshop_id: shop_id,
                heritage_item_id: h.id,
                title_zh: item.title_zh.clone(),
                title_en: item.title_en.clone(),
                description_zh: kind.description_zh.clone(),
                description_en: kind.description_en.clone(),
                materials_zh: kind.materials_zh.clone(),
                materials_en: kind.materials_en.clone(),
                price_fen: item.price_fen,
                currency: "CNY",
                stock: if item.made_to_order { 0 } else { dice.below(30) as i64 },
                made_to_order: item.made_to_order,
                lead_time_days: item.lead_time_days,
                wage_rule: if item.wage_bp.is_some() { "share_of_net" } else { "piece_rate" },
                wage_bp: item.wage_bp,
                piece_rate_fen: item.piece_rate_fen,
                status: "active",
                featured: false,
                sold_count: 0,
                created_at: at_noon(opened).min(now),
                updated_at: at_noon(opened).min(now),
                category: kind.category.unwrap_or(spec.category).as_str(),
            });
            product_id += 1;
        }
        world.shops.push(Shop {
            id: shop_id,
            county_code: county.region.code.clone(),
            commission_bp: rows.workshops.last().map_or(800, |w| w.commission_bp),
            opened,
            closed: lapses,
            popularity: [1, 1, 2, 2, 3, 4, 6, 10][dice.below(8) as usize],
            workers: workers_from..world.people.len(),
            products: products_from..world.items.len(),
        });
        // The makers each product lists today (its sales freeze the makers of their quarter).
        for p in products_from..world.items.len() {
            let item_id = world.items[p].id;
            for (worker_id, share_bp, role) in world.makers(plan, p, plan.today) {
                rows.makers.push(ProductMakerRow { product_id: item_id, worker_id, role, share_bp });
            }
        }
    }

    let buyers: Vec<BuyerRow> = (0..plan.buyers)
        .map(|i| {
            let id = first.user + i as i64;
            let county = (!dice.chance(4)).then(|| all[dice.below(all.len() as u64) as usize].0);
            let email = format!("buyer{id}@national.gongfang.invalid");
            world.buyers.push(Buyer {
                id,
                email: email.clone(),
                county: county.map(|c| c.code.clone()),
                region_text: county.map_or_else(|| "Overseas".to_owned(), |c| c.name_zh.clone()),
            });
            let created = at_noon(shift(plan.start, -(dice.below(400) as i64)));
            BuyerRow {
                id,
                email,
                password_hash: "!",
                display_name: format!("买家{i}"),
                lang: if dice.chance(90) { "zh" } else { "en" },
                role: "buyer",
                is_demo: true,
                created_at: created,
                updated_at: created,
            }
        })
        .collect();
    Ok((world, rows, buyers))
}

/// A unique trace code for a generated product: `N` and nine base-32 digits of its id.
fn trace_code(id: i64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut x = id.unsigned_abs();
    let mut digits = [b'0'; 9];
    for d in digits.iter_mut().rev() {
        *d = ALPHABET[(x % 32) as usize];
        x /= 32;
    }
    format!("N{}", String::from_utf8_lossy(&digits))
}

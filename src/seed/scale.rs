//! A generated catalogue at national scale, for benchmarks: copies of the demo products with
//! numbered titles, varied prices and sales, and the same makers and pictures. Run after the
//! demo (`gongfang seed --demo --scale 100000`). Not for production data.

use crate::db::catalog::{images_of, makers_of, ProductRow};
use crate::db::schema::products;
use crate::db::writes::{insert_product, NewImage, NewMaker, NewProduct};
use crate::db::Db;
use diesel::prelude::*;

/// Products written per transaction.
const CHUNK: usize = 2_000;

/// Adds copies of the demo products until the catalogue holds `target` products. Returns how
/// many it added. `progress` is told each chunk.
pub fn seed_scale(db: &Db, target: usize, progress: Option<&indicatif::ProgressBar>) -> anyhow::Result<usize> {
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let existing: i64 = products::table.count().get_result(&mut *conn)?;
    let templates: Vec<ProductRow> = products::table
        .filter(products::status.eq("active"))
        .filter(products::slug.not_like("%-s%"))
        .order(products::id)
        .select(ProductRow::as_select())
        .load(&mut *conn)?;
    if templates.is_empty() {
        anyhow::bail!("the scale seed copies the demo products: run `gongfang seed --demo` first");
    }
    let ids: Vec<i64> = templates.iter().map(|p| p.id).collect();
    let makers = makers_of(&mut conn, &ids)?;
    let images = images_of(&mut conn, &ids)?;
    let wanted = target.saturating_sub(usize::try_from(existing).unwrap_or(0));
    if let Some(p) = progress {
        p.set_length(wanted as u64);
    }
    let mut added = 0;
    while added < wanted {
        let n = CHUNK.min(wanted - added);
        crate::db::tx::write::<_, anyhow::Error, _>(&mut conn, |conn| {
            for i in added..added + n {
                let t = &templates[i % templates.len()];
                let copy = existing as usize + i;
                let p = NewProduct {
                    slug: format!("{}-s{copy}", t.slug),
                    trace_code: format!("S{copy:09}"),
                    workshop_id: t.workshop_id,
                    heritage_item_id: t.heritage_item_id,
                    title_zh: format!("{}（第{}号）", t.title_zh, copy),
                    title_en: format!("{} No. {copy}", t.title_en),
                    description_zh: t.description_zh.clone(),
                    description_en: t.description_en.clone(),
                    materials_zh: t.materials_zh.clone(),
                    materials_en: t.materials_en.clone(),
                    // Spread prices and sales so that sorts and price bands have work to do.
                    price_fen: t.price_fen / 2 + (copy as i64 * 7_919) % t.price_fen.max(1),
                    currency: t.currency.clone(),
                    stock: (copy as i64 * 31) % 7,
                    made_to_order: t.made_to_order,
                    lead_time_days: t.lead_time_days,
                    wage_rule: t.wage_rule.clone(),
                    wage_bp: t.wage_bp,
                    piece_rate_fen: t.piece_rate_fen,
                    status: t.status.clone(),
                    featured: false,
                    sold_count: (copy as i64 * 104_729) % 997,
                    created_at: t.created_at - chrono::Duration::minutes(copy as i64),
                    updated_at: t.updated_at,
                    category: t.category.clone(),
                };
                let m: Vec<NewMaker> = makers
                    .iter()
                    .filter(|m| m.product_id == t.id)
                    .map(|m| NewMaker {
                        product_id: 0,
                        worker_id: m.worker.id,
                        role: m.role.clone(),
                        share_bp: m.share_bp,
                    })
                    .collect();
                let im: Vec<NewImage> = images
                    .iter()
                    .filter(|im| im.product_id == t.id)
                    .map(|im| NewImage {
                        product_id: 0,
                        position: im.position,
                        path: im.path.clone(),
                        variant_widths: im.variant_widths.clone(),
                        width: im.width,
                        height: im.height,
                        alt_zh: im.alt_zh.clone(),
                        alt_en: im.alt_en.clone(),
                    })
                    .collect();
                insert_product(conn, &p, &m, &im)?;
            }
            Ok(())
        })?;
        added += n;
        if let Some(p) = progress {
            p.set_position(added as u64);
        }
    }
    Ok(added)
}

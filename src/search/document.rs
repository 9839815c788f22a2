//! The product document both engines index: every text a buyer might type, the fields that
//! filter, facet and sort, and the product's list view to show as the hit without a
//! database trip. Built from the same views the storefront shows, so consent rules carry
//! over: a maker's name is in the document only while they consent to it being shown.

use crate::catalog::reference::Reference;
use crate::catalog::views::ProductView;
use crate::db::catalog::{ProductRow, WorkshopRow};
use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// Price bands for the facet, in fen: `[from, to)`; the last has no upper end.
pub const PRICE_BANDS: [(i64, Option<i64>); 5] =
    [(0, Some(10_000)), (10_000, Some(30_000)), (30_000, Some(100_000)), (100_000, Some(300_000)), (300_000, None)];

/// The band key of a price, e.g. `100-300` (yuan).
pub fn price_band(price_fen: i64) -> String {
    let (from, to) = PRICE_BANDS
        .iter()
        .copied()
        .find(|(from, to)| price_fen >= *from && to.is_none_or(|t| price_fen < t))
        .unwrap_or(PRICE_BANDS[0]);
    match to {
        Some(t) => format!("{}-{}", from / 100, t / 100),
        None => format!("{}-", from / 100),
    }
}

/// A date as the number `yyyymmdd`, which orders like the date.
pub fn date_number(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

/// The last day a workshop stays listed: two years after its latest certification or
/// confirmation (the rule in [`crate::domain::certification`]). Searches filter on it, so a
/// workshop that lapses overnight drops out of results before any update reaches the index.
pub fn listed_until(issued: Option<NaiveDate>, last_confirmed: Option<NaiveDate>) -> i64 {
    let latest = issued.max(last_confirmed);
    latest.and_then(|d| d.checked_add_months(Months::new(24))).map_or(0, date_number)
}

/// One product as indexed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProductDocument {
    pub id: i64,
    pub title_zh: String,
    pub title_en: String,
    pub heritage_zh: String,
    pub heritage_en: String,
    pub category: String,
    /// Names of makers who consented to be named, in Chinese and Latin letters.
    pub makers: Vec<String>,
    pub workshop_zh: String,
    pub workshop_en: String,
    /// County, prefecture and province: full and short Chinese names.
    pub regions_zh: Vec<String>,
    pub regions_pinyin: Vec<String>,
    pub materials_zh: String,
    pub materials_en: String,
    /// The variants on sale: each one's label in both languages and its SKU, so a buyer who
    /// types "17 cm" or a workshop's code finds the piece.
    #[serde(default)]
    pub variants: Vec<String>,
    pub description_zh: String,
    pub description_en: String,
    pub province: String,
    pub prefecture: Option<String>,
    pub county: String,
    pub heritage: i64,
    pub workshop: String,
    pub price: i64,
    pub price_band: String,
    pub in_stock: bool,
    pub sanqu_sanzhou: bool,
    pub key_support_area: bool,
    pub poverty_county: bool,
    /// Seconds since 1970, for "newest".
    pub created: i64,
    pub sold: i64,
    /// The average rating × 100 (0 without reviews), for "top rated".
    pub rating: i64,
    /// How many reviews rate it.
    pub rating_count: i64,
    /// `yyyymmdd` of the workshop's last listed day.
    pub listed_until: i64,
    /// The product as `/api/v1/products` shows it.
    pub view: serde_json::Value,
}

impl ProductDocument {
    /// The document of a listed product and its list view.
    pub fn build(
        reference: &Reference,
        p: &ProductRow,
        w: &WorkshopRow,
        view: &ProductView,
        variants: &[crate::db::variants::VariantRow],
    ) -> Result<ProductDocument, serde_json::Error> {
        let mut variant_text: Vec<String> = Vec::new();
        for v in variants.iter().filter(|v| v.product_id == p.id && v.active) {
            let label = v.label();
            for t in [label.zh, label.en, v.sku.clone()] {
                if !variant_text.contains(&t) {
                    variant_text.push(t);
                }
            }
        }
        let mut makers = Vec::new();
        for m in &view.makers {
            makers.extend(m.display_name.iter().cloned());
            makers.extend(m.display_name_latin.iter().cloned());
        }
        let path = reference.path(&w.county_code);
        let mut regions_zh = Vec::new();
        for r in &path {
            regions_zh.push(r.name_zh.clone());
            if r.short_name_zh != r.name_zh && !r.short_name_zh.is_empty() {
                regions_zh.push(r.short_name_zh.clone());
            }
        }
        let heritage = reference.heritage_item(p.heritage_item_id);
        let flags = reference.flags(&w.county_code);
        Ok(ProductDocument {
            id: p.id,
            title_zh: p.title_zh.clone(),
            title_en: p.title_en.clone(),
            heritage_zh: heritage.map(|h| h.name_zh.clone()).unwrap_or_default(),
            heritage_en: heritage.map(|h| h.name_en.clone()).unwrap_or_default(),
            category: p.category.clone(),
            makers,
            workshop_zh: w.name_zh.clone(),
            workshop_en: w.name_en.clone(),
            regions_zh,
            regions_pinyin: path.iter().map(|r| r.name_pinyin.clone()).collect(),
            materials_zh: p.materials_zh.clone(),
            materials_en: p.materials_en.clone(),
            variants: variant_text,
            description_zh: p.description_zh.clone(),
            description_en: p.description_en.clone(),
            province: w.province_code.clone(),
            prefecture: w.prefecture_code.clone(),
            county: w.county_code.clone(),
            heritage: p.heritage_item_id,
            workshop: w.slug.clone(),
            price: p.price_fen,
            price_band: price_band(p.price_fen),
            in_stock: p.stock > 0,
            sanqu_sanzhou: flags.sanqu_sanzhou,
            key_support_area: flags.key_support_area,
            poverty_county: flags.poverty_county,
            created: p.created_at.and_utc().timestamp(),
            sold: p.sold_count,
            rating: if p.rating_count > 0 { p.rating_sum.saturating_mul(100) / p.rating_count } else { 0 },
            rating_count: p.rating_count,
            listed_until: listed_until(w.cert_issued_on, w.cert_last_confirmed_on),
            view: serde_json::to_value(view)?,
        })
    }

    /// The text fields, by name, for engines that index field by field.
    pub fn text_fields(&self) -> Vec<(&'static str, Vec<&str>)> {
        fn one(s: &str) -> Vec<&str> {
            vec![s]
        }
        fn many(v: &[String]) -> Vec<&str> {
            v.iter().map(String::as_str).collect()
        }
        vec![
            ("title_zh", one(&self.title_zh)),
            ("title_en", one(&self.title_en)),
            ("heritage_zh", one(&self.heritage_zh)),
            ("heritage_en", one(&self.heritage_en)),
            ("category", one(&self.category)),
            ("makers", many(&self.makers)),
            ("workshop_zh", one(&self.workshop_zh)),
            ("workshop_en", one(&self.workshop_en)),
            ("regions_zh", many(&self.regions_zh)),
            ("regions_pinyin", many(&self.regions_pinyin)),
            ("materials_zh", one(&self.materials_zh)),
            ("materials_en", one(&self.materials_en)),
            ("variants", many(&self.variants)),
            ("description_zh", one(&self.description_zh)),
            ("description_en", one(&self.description_en)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_cover_every_price_once() {
        assert_eq!(price_band(1), "0-100");
        assert_eq!(price_band(9_999), "0-100");
        assert_eq!(price_band(10_000), "100-300");
        assert_eq!(price_band(299_999), "1000-3000");
        assert_eq!(price_band(300_000), "3000-");
        assert_eq!(price_band(i64::MAX), "3000-");
    }

    /// The query-time filter `listed_until >= today` agrees with the SQL listing rule
    /// (certified or confirmed on or after the lapse cutoff) on every day around the edge.
    #[test]
    fn listed_until_agrees_with_the_listing_rule() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
        let dates = [None, Some(d(2024, 2, 29)), Some(d(2024, 3, 31)), Some(d(2024, 11, 28)), Some(d(2025, 6, 1))];
        for issued in dates {
            for confirmed in dates {
                let mut today = d(2026, 1, 1);
                while today <= d(2027, 7, 1) {
                    let cutoff = crate::db::catalog::lapse_cutoff(today);
                    let listed = issued.is_some_and(|i| i >= cutoff) || confirmed.is_some_and(|c| c >= cutoff);
                    let by_date = listed_until(issued, confirmed) >= date_number(today);
                    assert_eq!(by_date, listed, "issued {issued:?}, confirmed {confirmed:?}, today {today}");
                    today = today.succ_opt().unwrap_or(today);
                }
            }
        }
    }

    #[test]
    fn dates_order_as_numbers() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
        assert_eq!(date_number(d(2026, 11, 28)), 20261128);
        assert!(date_number(d(2026, 12, 1)) > date_number(d(2026, 11, 30)));
    }
}

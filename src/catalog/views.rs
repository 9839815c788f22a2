//! The read models shown by the storefront pages and served by the JSON API. Built only
//! through the constructors here, which apply the consent rules: a maker's name, photo and
//! story appear only with that worker's consent, and household status never appears.

use super::reference::{AreaFlags, HeritageItem, Reference, Region};
use crate::db::catalog::{ImageRow, MakerRow, ProductRow, WorkerPublicRow, WorkshopRow};
use crate::domain::attribution::{attribute_line, MakerShare, ShareBp, WageRule};
use crate::domain::certification::{certification_status, next_confirmation_due, CertificationStatus};
use crate::domain::heritage::{HeritageCategory, HeritageLevel};
use crate::domain::{Currency, Fen};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

/// A text in both languages.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[schema(as = BilingualText)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Text {
        Text { zh: zh.into(), en: en.into() }
    }
}

/// A region named in both scripts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegionRef {
    pub code: String,
    /// Chinese name, e.g. 喜德县.
    pub name_zh: String,
    /// Pinyin of the short name, e.g. Xide.
    pub name_pinyin: String,
    pub level: String,
}

impl RegionRef {
    pub fn from_region(r: &Region) -> RegionRef {
        RegionRef {
            code: r.code.clone(),
            name_zh: r.name_zh.clone(),
            name_pinyin: r.name_pinyin.clone(),
            level: r.level.as_str().to_owned(),
        }
    }
}

/// Where a workshop is: county, prefecture (where one exists) and province, with the flags
/// that apply to it from any level.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Place {
    pub county: Option<RegionRef>,
    pub prefecture: Option<RegionRef>,
    pub province: Option<RegionRef>,
    /// Province first, county last: the breadcrumb read top-down.
    pub path: Vec<RegionRef>,
    pub flags: AreaFlags,
}

impl Place {
    pub fn of(reference: &Reference, county_code: &str) -> Place {
        let path: Vec<&Region> = reference.path(county_code);
        let at = |level: crate::domain::RegionLevel| {
            path.iter().find(|r| r.level == level).map(|r| RegionRef::from_region(r))
        };
        Place {
            county: at(crate::domain::RegionLevel::County),
            prefecture: at(crate::domain::RegionLevel::Prefecture),
            province: at(crate::domain::RegionLevel::Province),
            path: path.iter().map(|r| RegionRef::from_region(r)).collect(),
            flags: reference.flags(county_code),
        }
    }
}

/// A heritage item as a product or workshop names it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HeritageRef {
    pub id: i64,
    pub code: String,
    pub list_number: Option<String>,
    pub name: Text,
    pub category: String,
    pub level: String,
    #[schema(value_type = String)]
    pub category_key: HeritageCategory,
    #[schema(value_type = String)]
    pub level_key: HeritageLevel,
}

impl HeritageRef {
    pub fn from_item(h: &HeritageItem) -> HeritageRef {
        HeritageRef {
            id: h.id,
            code: h.code.clone(),
            list_number: h.list_number.clone(),
            name: Text::new(&h.name_zh, &h.name_en),
            category: h.category.clone(),
            level: h.level.clone(),
            category_key: h.category_key,
            level_key: h.level_key,
        }
    }
}

/// A workshop's certification as the public sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Certification {
    /// `active`, `confirmation_due`, `lapsed` or `uncertified`.
    pub status: String,
    pub number: Option<String>,
    pub authority: Option<String>,
    pub issued_on: Option<NaiveDate>,
    pub last_confirmed_on: Option<NaiveDate>,
    pub next_confirmation_due: Option<NaiveDate>,
}

impl Certification {
    pub fn of(w: &WorkshopRow, today: NaiveDate) -> Certification {
        let status = certification_status(w.cert_issued_on, w.cert_last_confirmed_on, today);
        Certification {
            status: status.as_str().to_owned(),
            number: w.cert_number.clone(),
            authority: w.cert_authority.clone(),
            issued_on: w.cert_issued_on,
            last_confirmed_on: w.cert_last_confirmed_on,
            next_confirmation_due: w
                .cert_issued_on
                .filter(|_| status != CertificationStatus::Uncertified)
                .map(|i| next_confirmation_due(i, w.cert_last_confirmed_on)),
        }
    }
}

/// A workshop as products name it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkshopRef {
    pub slug: String,
    pub name: Text,
}

/// A workshop's public profile.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkshopView {
    pub slug: String,
    pub name: Text,
    pub story: Text,
    pub place: Place,
    pub certification: Certification,
    pub heritage_items: Vec<HeritageRef>,
    /// Demo data: the workshop and its people are fictional.
    pub is_demo: bool,
    /// Buyers may ask it for a piece made for them (`/workshops/{slug}/custom`).
    pub accepts_custom: bool,
}

impl WorkshopView {
    pub fn build(reference: &Reference, w: &WorkshopRow, heritage_ids: &[i64], today: NaiveDate) -> WorkshopView {
        WorkshopView {
            slug: w.slug.clone(),
            name: Text::new(&w.name_zh, &w.name_en),
            story: Text::new(&w.story_zh, &w.story_en),
            place: Place::of(reference, &w.county_code),
            certification: Certification::of(w, today),
            heritage_items: heritage_ids
                .iter()
                .filter_map(|id| reference.heritage_item(*id))
                .map(HeritageRef::from_item)
                .collect(),
            is_demo: w.is_demo,
            accepts_custom: w.accepts_custom,
        }
    }
}

/// One maker of a product. Without the worker's consent the name and id are null and pages
/// say "a craftsperson of <workshop>".
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MakerView {
    /// The artisan page id; null without consent to publish the name.
    pub worker_id: Option<i64>,
    /// `lead`, `maker`, `finishing` or `apprentice`.
    pub role: String,
    /// Labour share in basis points (10,000 = 100%).
    pub share_bp: i32,
    /// The name in Chinese; null without consent.
    pub display_name: Option<String>,
    /// The name in Latin letters; null without consent.
    pub display_name_latin: Option<String>,
    pub inheritor_level: String,
}

impl MakerView {
    pub fn from_row(m: &MakerRow) -> MakerView {
        let named = m.worker.consent_name;
        MakerView {
            worker_id: named.then_some(m.worker.id),
            role: m.role.clone(),
            share_bp: m.share_bp,
            display_name: named.then(|| m.worker.name_zh.clone()),
            display_name_latin: named.then(|| m.worker.name_latin.clone()),
            inheritor_level: m.worker.inheritor_level.clone(),
        }
    }
}

/// A product photo.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImageView {
    pub url: String,
    pub width: i32,
    pub height: i32,
    pub alt: Text,
    /// For `<img srcset>`: the JPEG copies of the photo with their widths.
    pub srcset: Option<String>,
    /// For `<source type="image/webp" srcset>`: the lossy WebP copies with their widths.
    pub webp_srcset: Option<String>,
}

impl ImageView {
    pub fn from_row(i: &ImageRow) -> ImageView {
        // A photo's main file is one of its copies, `<dir>/<width>.jpg`, beside `<width>.webp`.
        let set = |ext: &str| {
            i.path.rsplit_once('/').filter(|_| !i.variant_widths.is_empty()).map(|(dir, _)| {
                i.variant_widths
                    .split(',')
                    .map(|w| {
                        format!("/media/{dir}/{} {w}w", crate::media::photos::variant_file(w.parse().unwrap_or(0), ext))
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        };
        ImageView {
            url: format!("/media/{}", i.path),
            width: i.width,
            height: i.height,
            alt: Text::new(&i.alt_zh, &i.alt_en),
            srcset: set("jpg"),
            webp_srcset: set("webp"),
        }
    }
}

/// How the makers are paid from each sale.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WageView {
    /// `share_of_net` or `piece_rate`.
    pub rule: String,
    pub wage_bp: Option<i32>,
    pub piece_rate_fen: Option<i64>,
    /// Of one unit sold at the list price, this many fen go to the makers' wages.
    pub per_unit_fen: i64,
}

/// A product as lists and the API show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductView {
    /// The id that carts and checkout take.
    pub id: i64,
    pub slug: String,
    pub trace_code: String,
    pub title: Text,
    pub price_fen: i64,
    pub currency: Currency,
    /// Ready stock; 0 for made-to-order pieces without stock.
    pub stock: i64,
    pub in_stock: bool,
    pub made_to_order: bool,
    pub lead_time_days: Option<i32>,
    pub workshop: WorkshopRef,
    pub county_code: String,
    pub prefecture_code: Option<String>,
    pub province_code: String,
    pub place: Place,
    pub heritage_item: Option<HeritageRef>,
    /// What kind of piece it is, e.g. `lacquerware`.
    pub category: String,
    pub makers: Vec<MakerView>,
    pub images: Vec<ImageView>,
    pub wage: WageView,
    /// The average of its visible reviews and their count.
    pub rating: crate::reviews::RatingSummary,
}

/// The product's wage rule, or `None` if the stored row is inconsistent.
pub fn wage_rule_of(p: &ProductRow) -> Option<WageRule> {
    match p.wage_rule.as_str() {
        "share_of_net" => ShareBp::new(i64::from(p.wage_bp?)).map(|wage_bp| WageRule::ShareOfNet { wage_bp }),
        "piece_rate" => Some(WageRule::PieceRate { per_unit: Fen(p.piece_rate_fen?) }),
        _ => None,
    }
}

impl ProductView {
    pub fn build(
        reference: &Reference,
        p: &ProductRow,
        w: &WorkshopRow,
        makers: &[&MakerRow],
        images: &[&ImageRow],
    ) -> ProductView {
        let shares: Vec<MakerShare> = makers
            .iter()
            .filter_map(|m| {
                ShareBp::new(i64::from(m.share_bp)).map(|share_bp| MakerShare { worker_id: m.worker.id, share_bp })
            })
            .collect();
        let per_unit = wage_rule_of(p).map_or(Fen::ZERO, |rule| {
            let commission = ShareBp::new(i64::from(w.commission_bp)).unwrap_or(ShareBp::FULL);
            attribute_line(Fen(p.price_fen), 1, commission, rule, &shares).wage_pool
        });
        ProductView {
            id: p.id,
            slug: p.slug.clone(),
            trace_code: p.trace_code.clone(),
            title: Text::new(&p.title_zh, &p.title_en),
            price_fen: p.price_fen,
            currency: Currency::parse(&p.currency).unwrap_or(Currency::Cny),
            stock: p.stock,
            in_stock: p.stock > 0,
            made_to_order: p.made_to_order,
            lead_time_days: p.lead_time_days,
            workshop: WorkshopRef { slug: w.slug.clone(), name: Text::new(&w.name_zh, &w.name_en) },
            county_code: w.county_code.clone(),
            prefecture_code: w.prefecture_code.clone(),
            province_code: w.province_code.clone(),
            place: Place::of(reference, &w.county_code),
            heritage_item: reference.heritage_item(p.heritage_item_id).map(HeritageRef::from_item),
            category: p.category.clone(),
            makers: makers.iter().map(|m| MakerView::from_row(m)).collect(),
            images: images.iter().map(|i| ImageView::from_row(i)).collect(),
            wage: WageView {
                rule: p.wage_rule.clone(),
                wage_bp: p.wage_bp,
                piece_rate_fen: p.piece_rate_fen,
                per_unit_fen: per_unit.get(),
            },
            rating: crate::reviews::RatingSummary::of(p.rating_sum, p.rating_count),
        }
    }
}

/// A product's own page: the list view plus everything the provenance story needs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductDetail {
    #[serde(flatten)]
    pub product: ProductView,
    pub description: Text,
    pub materials: Text,
    pub workshop_profile: WorkshopView,
    pub heritage: Option<HeritageItem>,
    /// What the page suggests next.
    pub related: Related,
    /// The option names (size, colour), when the product has variants.
    pub options: Vec<crate::domain::variant::Bilingual>,
    /// The variants on sale; a buyer chooses one.
    pub variants: Vec<VariantView>,
    /// Its newest visible reviews (the rest on its reviews page).
    pub reviews: Vec<crate::reviews::ReviewView>,
    /// "Designed with …": the designer or workstation credited, if any.
    pub credit: Option<crate::db::designers::Credit>,
}

/// One variant as a buyer chooses it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VariantView {
    pub id: i64,
    pub sku: String,
    /// "17 cm" or "17 cm / 红".
    pub label: crate::domain::variant::Bilingual,
    pub price_fen: i64,
    pub stock: i64,
    pub in_stock: bool,
    /// Its own lead time (made-to-order), when it differs from the product's.
    pub lead_time_days: Option<i32>,
}

impl VariantView {
    pub fn from_row(v: &crate::db::variants::VariantRow) -> VariantView {
        VariantView {
            id: v.id,
            sku: v.sku.clone(),
            label: v.label(),
            price_fen: v.price_fen,
            stock: v.stock,
            in_stock: v.stock > 0,
            lead_time_days: v.lead_time_days,
        }
    }
}

/// A product page's suggestions, each a few listed pieces, newest first.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Related {
    /// More from the same workshop.
    pub workshop: Vec<ProductView>,
    /// The same heritage craft from other workshops.
    pub craft: Vec<ProductView>,
    /// Other workshops' pieces from the same county.
    pub county: Vec<ProductView>,
}

/// An artisan's public page (only with consent to publish the name).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArtisanView {
    pub id: i64,
    pub name_zh: String,
    pub name_latin: String,
    pub inheritor_level: String,
    /// Only with consent to publish the story.
    pub story: Option<Text>,
    /// Only with consent to publish the photo.
    pub photo_url: Option<String>,
    pub joined_on: NaiveDate,
    pub workshop: WorkshopRef,
}

impl ArtisanView {
    pub fn from_row(wk: &WorkerPublicRow, w: &WorkshopRow) -> ArtisanView {
        ArtisanView {
            id: wk.id,
            name_zh: wk.name_zh.clone(),
            name_latin: wk.name_latin.clone(),
            inheritor_level: wk.inheritor_level.clone(),
            story: wk.consent_story.then(|| Text::new(&wk.story_zh, &wk.story_en)),
            photo_url: wk.photo_path.as_ref().filter(|_| wk.consent_photo).map(|p| format!("/media/{p}")),
            joined_on: wk.joined_on,
            workshop: WorkshopRef { slug: w.slug.clone(), name: Text::new(&w.name_zh, &w.name_en) },
        }
    }
}

//! The demo catalogue's hand-written data (`demo.toml`, compiled into the binary) and its shape.

use crate::domain::product::ProductCategory;
use serde::Deserialize;

/// A date as [year, month, day].
pub type Ymd = (i32, u32, u32);

/// Everything `demo.toml` holds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoCatalog {
    /// (Chinese, pinyin) surnames.
    pub surnames: Vec<(String, String)>,
    /// (Chinese, pinyin) given names: poetic words, so that no name reads as a real person.
    pub given_names: Vec<(String, String)>,
    /// (zh, en) worker stories with `{craft_zh}` / `{craft_en}` placeholders.
    pub story_templates: Vec<(String, String)>,
    pub workshops: Vec<WorkshopSpec>,
}

impl DemoCatalog {
    /// Parses the embedded `demo.toml`.
    pub fn load() -> anyhow::Result<DemoCatalog> {
        toml::from_str(include_str!("demo.toml")).map_err(|e| anyhow::anyhow!("src/seed/demo.toml: {e}"))
    }
}

/// One demo workshop, placed in a real county and practising a real heritage item.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkshopSpec {
    /// URL slug, unique, e.g. `xide-yi-lacquer`.
    pub slug: String,
    /// Plainly fictional name.
    pub name_zh: String,
    pub name_en: String,
    /// A county-level code from `reference-data/regions.csv`.
    pub county_code: String,
    /// The heritage item's code, `ich-NNN`: its row number in `heritage-crafts.csv`.
    pub heritage_code: String,
    /// What most of its pieces are, e.g. `lacquerware`; a kind may say otherwise.
    pub category: ProductCategory,
    pub story_zh: String,
    pub story_en: String,
    /// Fictional certificate number and the issuing authority (a real kind of bureau).
    pub cert_number: String,
    pub cert_authority: String,
    pub cert_issued_on: Ymd,
    pub cert_last_confirmed_on: Option<Ymd>,
    /// Platform commission in basis points.
    pub commission_bp: i32,
    pub featured: bool,
    /// Whether it takes custom work (custom orders in milestones).
    #[serde(default)]
    pub accepts_custom: bool,
    /// Three RGB colours the demo pictures are drawn in.
    pub palette: [[u8; 3]; 3],
    /// The kinds of piece the workshop makes; each becomes two products (standard and
    /// collector's edition).
    pub kinds: Vec<ProductKind>,
}

/// A kind of piece a workshop makes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductKind {
    /// Slug fragment, e.g. `wine-cup-set`.
    pub slug: String,
    pub title_zh: String,
    pub title_en: String,
    pub description_zh: String,
    pub description_en: String,
    pub materials_zh: String,
    pub materials_en: String,
    /// List price of the standard edition in whole yuan.
    pub price_yuan: i64,
    /// Made to order with this lead time in days; absent means sold from stock.
    pub lead_time_days: Option<i32>,
    /// A piece rate per unit in whole yuan; absent means the wage is a share of the net.
    pub piece_rate_yuan: Option<i64>,
    /// The category when it differs from the workshop's.
    pub category: Option<ProductCategory>,
}

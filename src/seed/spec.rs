//! The shapes of the demo catalogue's hand-written data (see `demo_data.rs`).

/// A date as (year, month, day).
pub type Ymd = (i32, u32, u32);

/// One demo workshop, placed in a real county and practising a real heritage item.
pub struct WorkshopSpec {
    /// URL slug, unique, e.g. `xide-yi-lacquer`.
    pub slug: &'static str,
    /// Plainly fictional name.
    pub name_zh: &'static str,
    pub name_en: &'static str,
    /// A county-level code from `reference-data/regions.csv`.
    pub county_code: &'static str,
    /// The heritage item's code, `ich-NNN`: its row number in `heritage-crafts.csv`.
    pub heritage_code: &'static str,
    pub story_zh: &'static str,
    pub story_en: &'static str,
    /// Fictional certificate number and the issuing authority (a real kind of bureau).
    pub cert_number: &'static str,
    pub cert_authority: &'static str,
    pub cert_issued_on: Ymd,
    pub cert_last_confirmed_on: Option<Ymd>,
    /// Platform commission in basis points.
    pub commission_bp: i32,
    pub featured: bool,
    /// Three RGB colours the demo pictures are drawn in.
    pub palette: [[u8; 3]; 3],
    /// The kinds of piece the workshop makes; each becomes two products (standard and
    /// collector's edition).
    pub kinds: &'static [ProductKind],
}

/// A kind of piece a workshop makes.
pub struct ProductKind {
    /// Slug fragment, e.g. `wine-cup-set`.
    pub slug: &'static str,
    pub title_zh: &'static str,
    pub title_en: &'static str,
    pub description_zh: &'static str,
    pub description_en: &'static str,
    pub materials_zh: &'static str,
    pub materials_en: &'static str,
    /// List price of the standard edition in whole yuan.
    pub price_yuan: i64,
    /// Made to order with this lead time in days; `None` means sold from stock.
    pub lead_time_days: Option<i32>,
    /// A piece rate per unit in whole yuan; `None` means the wage is a share of the net.
    pub piece_rate_yuan: Option<i64>,
}

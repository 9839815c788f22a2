//! The shapes of what the catalogue returns: pages of products and workshops, and the page
//! models of the storefront and the API.

use super::reference::{self, Region};
use super::views::{self, ArtisanView, ProductView, RegionRef, WorkshopView};
use serde::Serialize;
use utoipa::ToSchema;

/// One page of products: the shape of `GET /api/v1/products`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductPage {
    pub items: Vec<ProductView>,
    pub total: i64,
    /// True when `total` is a lower bound: storefront pages (and a region's page) count matches
    /// only ten pages past the one shown. The product list of the API counts them all.
    pub total_is_at_least: bool,
    pub page: u32,
    pub per_page: u32,
    pub page_count: u32,
}

/// A product as a card in a list draws it: only what `partials/card.html` shows, borrowed from
/// the full view. Putting whole views (makers, wage rule, places, heritage records) into a list
/// page's context cost more than drawing the cards.
#[derive(Debug, Serialize)]
pub struct Card<'a> {
    pub slug: &'a str,
    pub title: &'a views::Text,
    pub price_fen: i64,
    pub stock: i64,
    pub in_stock: bool,
    pub made_to_order: bool,
    pub lead_time_days: Option<i32>,
    pub workshop: &'a views::WorkshopRef,
    pub place: CardPlace<'a>,
    /// The first image only: the one a card shows.
    pub images: &'a [views::ImageView],
}

/// Where a card says a piece was made.
#[derive(Debug, Serialize)]
pub struct CardPlace<'a> {
    pub county: Option<&'a RegionRef>,
}

impl<'a> Card<'a> {
    pub fn of(p: &'a ProductView) -> Card<'a> {
        Card {
            slug: &p.slug,
            title: &p.title,
            price_fen: p.price_fen,
            stock: p.stock,
            in_stock: p.in_stock,
            made_to_order: p.made_to_order,
            lead_time_days: p.lead_time_days,
            workshop: &p.workshop,
            place: CardPlace { county: p.place.county.as_ref() },
            images: p.images.get(..1).unwrap_or_default(),
        }
    }

    /// The cards of some products.
    pub fn all(items: &'a [ProductView]) -> Vec<Card<'a>> {
        items.iter().map(Card::of).collect()
    }
}

/// A page of workshops.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkshopList {
    pub items: Vec<WorkshopView>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    pub page_count: u32,
}

/// A workshop's page: its profile, named artisans and products.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkshopPage {
    pub workshop: WorkshopView,
    pub artisans: Vec<ArtisanView>,
    pub products: Vec<ProductView>,
    /// How many accounts follow the workshop.
    pub followers: i64,
}

/// An artisan's page and the pieces they made.
#[derive(Debug, Clone, Serialize)]
pub struct ArtisanPage {
    pub artisan: ArtisanView,
    pub products: Vec<ProductView>,
}

/// A child region with the number of listed workshops in it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegionCount {
    pub region: RegionRef,
    pub workshops: usize,
}

/// A region's page: the region, its place, the regions below it and what is made there.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegionPage {
    pub region: Region,
    pub path: Vec<RegionRef>,
    pub flags: reference::AreaFlags,
    pub children: Vec<RegionCount>,
    pub workshops: WorkshopList,
    pub products: ProductPage,
}

/// A heritage item's page.
#[derive(Debug, Clone, Serialize)]
pub struct CraftPage {
    pub item: reference::HeritageItem,
    pub regions: Vec<RegionRef>,
    pub workshops: WorkshopList,
    pub products: ProductPage,
}

/// The home page.
#[derive(Debug, Clone, Serialize)]
pub struct HomePage {
    pub featured: Vec<ProductView>,
    pub workshops: WorkshopList,
    pub key_areas: Vec<KeyAreaView>,
    pub product_count: i64,
}

/// A key area on the home page.
#[derive(Debug, Clone, Serialize)]
pub struct KeyAreaView {
    pub region: RegionRef,
    pub sanqu_sanzhou: bool,
    pub key_support_area: bool,
    pub workshops: usize,
}

/// The choices a product-list filter form offers. Narrower regions appear once the wider
/// one is chosen, so the form works without script.
#[derive(Debug, Clone, Serialize)]
pub struct FilterOptions {
    pub provinces: Vec<RegionRef>,
    pub prefectures: Vec<RegionRef>,
    pub counties: Vec<RegionRef>,
    pub heritage_items: Vec<HeritageChoice>,
}

/// A heritage item as a filter offers it: what the option needs, not the item's whole record
/// (a page draws some sixty of them).
#[derive(Debug, Clone, Serialize)]
pub struct HeritageChoice {
    pub id: i64,
    pub name_zh: String,
    pub name_en: String,
}

//! The shapes of what the catalogue returns: pages of products and workshops, and the page
//! models of the storefront and the API.

use super::reference::{self, Region};
use super::views::{ArtisanView, ProductView, RegionRef, WorkshopView};
use serde::Serialize;
use utoipa::ToSchema;

/// One page of products: the shape of `GET /api/v1/products`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductPage {
    pub items: Vec<ProductView>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    pub page_count: u32,
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
    pub heritage_items: Vec<reference::HeritageItem>,
}

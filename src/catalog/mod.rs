//! The catalogue as buyers see it: the read side shared by the storefront pages and the JSON
//! API. Each method does its database work in one trip off the async workers and returns
//! views that already respect consent.

mod build;
pub mod pages;
pub mod reference;
pub mod views;

use crate::clock::Clock;
use crate::db::catalog as q;
pub use crate::db::catalog::WorkshopScope;
use crate::db::{Db, DbConn};
use crate::domain::listing::{PageRequest, ProductFilter, ProductQuery, ProductSort};
use crate::domain::Slug;
use crate::error::AppError;
pub(crate) use build::assemble;
use build::{detail, product_page, Counting};
use chrono::NaiveDate;
pub use pages::{
    ArtisanPage, Card, CraftPage, FilterOptions, HomePage, KeyAreaView, ProductPage, RegionCount, RegionPage,
    WorkshopList, WorkshopPage,
};
use reference::Reference;
use std::sync::Arc;
use views::{ArtisanView, ProductDetail, RegionRef, WorkshopView};

/// How many workshops a region or craft page shows before pointing to the full list.
const WORKSHOPS_ON_A_PAGE: u32 = 24;

/// The state of the catalogue a storefront page was drawn from: equal versions, equal pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogueVersion {
    pub changes: i64,
    pub today: NaiveDate,
}

/// The catalogue service.
#[derive(Clone)]
pub struct Catalog {
    db: Db,
    reference: Arc<Reference>,
    clock: Clock,
}

impl Catalog {
    pub fn new(db: Db, reference: Arc<Reference>, clock: Clock) -> Catalog {
        Catalog { db, reference, clock }
    }

    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// Loads the reference data into memory (after it has been ensured in the database).
    pub fn load_reference(conn: &mut DbConn) -> Result<Reference, AppError> {
        let regions = q::all_regions(conn)?;
        let (items, item_regions) = q::all_heritage_items(conn)?;
        Ok(Reference::from_rows(regions, items, item_regions))
    }

    /// The filter form's choices for a chosen filter.
    pub fn filter_options(&self, filter: &ProductFilter) -> FilterOptions {
        let r = &self.reference;
        let below = |code: Option<crate::domain::RegionCode>, level: crate::domain::RegionLevel| -> Vec<RegionRef> {
            code.map(|c| {
                r.children(c.as_str()).into_iter().filter(|x| x.level == level).map(RegionRef::from_region).collect()
            })
            .unwrap_or_default()
        };
        FilterOptions {
            provinces: r.provinces().into_iter().map(RegionRef::from_region).collect(),
            prefectures: below(filter.province, crate::domain::RegionLevel::Prefecture),
            // Counties of the chosen prefecture, or those directly under a chosen province
            // (municipalities and province-administered counties).
            counties: below(filter.prefecture.or(filter.province), crate::domain::RegionLevel::County),
            heritage_items: r
                .heritage_items()
                .map(|h| pages::HeritageChoice { id: h.id, name_zh: h.name_zh.clone(), name_en: h.name_en.clone() })
                .collect(),
        }
    }

    /// What every storefront page depends on besides its URL: the catalogue's change counter
    /// and today's date in China (a certification lapses at midnight).
    pub async fn version(&self) -> Result<CatalogueVersion, AppError> {
        let today = self.clock.today();
        let changes = self.db.run(|conn| Ok(q::storefront_changes(conn)?)).await?;
        Ok(CatalogueVersion { changes, today })
    }

    /// A page of listed products matching the query.
    pub async fn products(&self, query: ProductQuery) -> Result<ProductPage, AppError> {
        let (reference, today) = (self.reference.clone(), self.clock.today());
        self.db.run(move |conn| product_page(conn, &reference, &query.filter, query.page, today, Counting::All)).await
    }

    /// A page of listed products for the storefront: counted only some pages ahead.
    pub async fn browse(&self, query: ProductQuery) -> Result<ProductPage, AppError> {
        let (reference, today) = (self.reference.clone(), self.clock.today());
        self.db.run(move |conn| product_page(conn, &reference, &query.filter, query.page, today, Counting::Ahead)).await
    }

    /// A listed product by slug.
    pub async fn product(&self, slug: &str) -> Result<ProductDetail, AppError> {
        let slug = Slug::parse(slug).ok_or(AppError::NotFound)?;
        self.listed(q::ProductKey::Slug(slug.as_str().to_owned())).await
    }

    /// A listed product by its trace code.
    pub async fn traced(&self, code: &str) -> Result<ProductDetail, AppError> {
        if code.is_empty() || code.len() > 32 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(AppError::NotFound);
        }
        self.listed(q::ProductKey::TraceCode(code.to_ascii_uppercase())).await
    }

    /// A listed product by its id (a form that names the product by id is drawn again).
    pub async fn product_by_id(&self, id: i64) -> Result<ProductDetail, AppError> {
        self.listed(q::ProductKey::Id(id)).await
    }

    async fn listed(&self, key: q::ProductKey) -> Result<ProductDetail, AppError> {
        let (reference, today) = (self.reference.clone(), self.clock.today());
        self.db
            .run(move |conn| {
                let row = q::listed_product(conn, &key, today)?.ok_or(AppError::NotFound)?;
                detail(conn, &reference, row, today)
            })
            .await
    }

    /// A workshop's page.
    pub async fn workshop(&self, slug: &str) -> Result<WorkshopPage, AppError> {
        let slug = Slug::parse(slug).ok_or(AppError::NotFound)?;
        let (reference, today) = (self.reference.clone(), self.clock.today());
        self.db
            .run(move |conn| {
                let w = q::workshop_by_slug(conn, slug.as_str())?.ok_or(AppError::NotFound)?;
                let crafts: Vec<i64> = q::crafts_of_workshops(conn, &[w.id])?.into_iter().map(|(_, h)| h).collect();
                let artisans =
                    q::named_workers_of(conn, w.id)?.iter().map(|wk| ArtisanView::from_row(wk, &w)).collect();
                let filter = ProductFilter { workshop: Some(slug), ..ProductFilter::default() };
                let products = product_page(
                    conn,
                    &reference,
                    &filter,
                    PageRequest { page: 1, per_page: 100 },
                    today,
                    Counting::Ahead,
                )?;
                Ok(WorkshopPage {
                    workshop: WorkshopView::build(&reference, &w, &crafts, today),
                    artisans,
                    products: products.items,
                    followers: crate::db::favourites::followers(conn, crate::domain::WorkshopId(w.id))?,
                })
            })
            .await
    }

    /// An artisan's page; not found unless the worker consented to publish their name.
    pub async fn artisan(&self, id: i64) -> Result<ArtisanPage, AppError> {
        let (reference, today) = (self.reference.clone(), self.clock.today());
        self.db
            .run(move |conn| {
                let (worker, workshop) = q::named_worker(conn, id)?.ok_or(AppError::NotFound)?;
                let ids = q::product_ids_made_by(conn, worker.id)?;
                let rows = q::listed_products_by_ids(conn, &ids, today)?;
                Ok(ArtisanPage {
                    artisan: ArtisanView::from_row(&worker, &workshop),
                    products: assemble(conn, &reference, rows)?,
                })
            })
            .await
    }

    /// A region's page.
    pub async fn region(&self, code: &str, page: PageRequest) -> Result<RegionPage, AppError> {
        let region = self.reference.region(code).ok_or(AppError::NotFound)?.clone();
        let (reference, today) = (self.reference.clone(), self.clock.today());
        self.db
            .run(move |conn| {
                let code = crate::domain::RegionCode::parse(&region.code).ok_or(AppError::NotFound)?;
                let mut filter = ProductFilter::default();
                match region.level {
                    crate::domain::RegionLevel::Province => filter.province = Some(code),
                    crate::domain::RegionLevel::Prefecture => filter.prefecture = Some(code),
                    crate::domain::RegionLevel::County => filter.county = Some(code),
                }
                let located = q::workshop_counts_by_county(conn, today)?;
                let children = reference
                    .children(&region.code)
                    .into_iter()
                    .map(|r| RegionCount {
                        region: RegionRef::from_region(r),
                        workshops: count_located(&located, &r.code),
                    })
                    .collect();
                let first = PageRequest { page: 1, per_page: WORKSHOPS_ON_A_PAGE };
                let workshops = workshops_in(conn, &reference, today, &q::WorkshopScope::InRegion(code), first)?;
                let products = product_page(conn, &reference, &filter, page, today, Counting::Ahead)?;
                Ok(RegionPage {
                    path: reference.path(&region.code).into_iter().map(RegionRef::from_region).collect(),
                    flags: reference.flags(&region.code),
                    region,
                    children,
                    workshops,
                    products,
                })
            })
            .await
    }

    /// A heritage item's page.
    pub async fn craft(&self, id: i64, page: PageRequest) -> Result<CraftPage, AppError> {
        let item = self.reference.heritage_item(id).ok_or(AppError::NotFound)?.clone();
        let (reference, today) = (self.reference.clone(), self.clock.today());
        self.db
            .run(move |conn| {
                let first = PageRequest { page: 1, per_page: WORKSHOPS_ON_A_PAGE };
                let workshops = workshops_in(conn, &reference, today, &q::WorkshopScope::Practising(item.id), first)?;
                let filter = ProductFilter { heritage: Some(item.id), ..ProductFilter::default() };
                let products = product_page(conn, &reference, &filter, page, today, Counting::Ahead)?;
                let regions =
                    item.region_codes.iter().filter_map(|c| reference.region(c)).map(RegionRef::from_region).collect();
                Ok(CraftPage { item, regions, workshops, products })
            })
            .await
    }

    /// A page of listed workshops.
    pub async fn workshops(&self, page: PageRequest) -> Result<WorkshopList, AppError> {
        let (reference, today) = (self.reference.clone(), self.clock.today());
        self.db.run(move |conn| workshops_in(conn, &reference, today, &q::WorkshopScope::All, page)).await
    }

    /// The names of the listed workshops in `scope` (at most `limit`), by slug: the choices of
    /// a filter scoped to a place, or the names of a search's workshop facet.
    pub async fn workshop_choices(
        &self,
        scope: WorkshopScope,
        limit: i64,
    ) -> Result<Vec<views::WorkshopRef>, AppError> {
        let today = self.clock.today();
        self.db
            .run(move |conn| {
                Ok(q::listed_workshop_names(conn, today, &scope, limit)?
                    .into_iter()
                    .map(|(slug, zh, en)| views::WorkshopRef { slug, name: views::Text::new(zh, en) })
                    .collect())
            })
            .await
    }

    /// The home page: featured pieces, workshops and the key areas they are in.
    pub async fn home(&self) -> Result<HomePage, AppError> {
        let (reference, today) = (self.reference.clone(), self.clock.today());
        self.db
            .run(move |conn| {
                let filter = ProductFilter { sort: ProductSort::Featured, ..ProductFilter::default() };
                let featured = product_page(
                    conn,
                    &reference,
                    &filter,
                    PageRequest { page: 1, per_page: 8 },
                    today,
                    Counting::Ahead,
                )?;
                let first = PageRequest { page: 1, per_page: 12 };
                let workshops = workshops_in(conn, &reference, today, &q::WorkshopScope::All, first)?;
                let located = q::workshop_counts_by_county(conn, today)?;
                let key_areas = reference
                    .key_areas()
                    .into_iter()
                    .map(|r| KeyAreaView {
                        region: RegionRef::from_region(r),
                        sanqu_sanzhou: r.sanqu_sanzhou,
                        key_support_area: r.key_support_area,
                        workshops: count_located(&located, &r.code),
                    })
                    .collect();
                Ok(HomePage { featured: featured.items, workshops, key_areas, product_count: featured.total })
            })
            .await
    }

    /// "sqlite" or "postgres".
    pub fn backend(&self) -> &'static str {
        self.db.backend()
    }

    /// The read replica's lag and use, when one is configured.
    pub fn replica_status(&self) -> Option<crate::db::replica::ReplicaStatus> {
        self.db.replica_status()
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), AppError> {
        self.db.run(|conn| q::ping(conn).map_err(|e| AppError::Unavailable(e.to_string()))).await
    }
}

/// How many of the located workshops lie in the region `code` (at any level).
fn count_located(located: &[q::WorkshopsInCounty], code: &str) -> usize {
    let n: i64 = located
        .iter()
        .filter(|(county, pref, prov, _)| county == code || pref.as_deref() == Some(code) || prov == code)
        .map(|(_, _, _, n)| n)
        .sum();
    usize::try_from(n).unwrap_or(0)
}

fn workshops_in(
    conn: &mut DbConn,
    reference: &Reference,
    today: NaiveDate,
    scope: &q::WorkshopScope,
    page: PageRequest,
) -> Result<WorkshopList, AppError> {
    let (rows, total) = q::listed_workshops(conn, today, scope, page)?;
    let ids: Vec<i64> = rows.iter().map(|w| w.id).collect();
    let crafts = q::crafts_of_workshops(conn, &ids)?;
    let items = rows
        .iter()
        .map(|w| {
            let mine: Vec<i64> = crafts.iter().filter(|(wid, _)| *wid == w.id).map(|(_, h)| *h).collect();
            WorkshopView::build(reference, w, &mine, today)
        })
        .collect();
    Ok(WorkshopList { items, total, page: page.page, per_page: page.per_page, page_count: page.page_count(total) })
}

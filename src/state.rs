//! The application state every handler receives: configuration, the catalogue, search,
//! accounts and portal services and the renderer. Built once by [`crate::server::prepare`]; no global statics.

use crate::accounts::Accounts;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::orders::Orders;
use crate::payouts::Payouts;
use crate::portal::Portal;
use crate::render::Renderer;
use crate::search::Search;
use std::sync::Arc;

/// Shared, cheaply cloned state.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub catalog: Catalog,
    pub renderer: Arc<Renderer>,
    pub search: Search,
    pub accounts: Accounts,
    pub portal: Portal,
    pub orders: Orders,
    pub payouts: Payouts,
    pub reports: crate::reports::Reports,
    /// Buyers' reviews, workshops' replies, operators' hiding.
    pub reviews: crate::reviews::Reviews,
    /// Messages between buyers and workshops.
    pub messages: crate::messages::Messages,
    /// Custom orders in milestones.
    pub custom_orders: crate::custom_orders::CustomOrders,
    /// Institutional buyers: organisations, their members, invoices and purchase reports.
    pub organisations: crate::organisations::Organisations,
    /// Favourite pieces and followed workshops.
    pub favourites: crate::favourites::Favourites,
    /// Photos and vouchers: local directories or an S3-compatible store.
    pub storage: crate::storage::Storage,
    /// This node's Prometheus metrics.
    pub metrics: Arc<crate::web::metrics::Metrics>,
    /// Rendered anonymous storefront pages.
    pub pages: Arc<crate::web::page_cache::PageCache>,
}

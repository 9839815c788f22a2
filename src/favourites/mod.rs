//! Favourites and follows (issue 20): the pieces a buyer keeps to come back to, on their
//! account or, before they sign in, on their browser (joined to the account at sign-in, as the
//! cart is), and the workshops a signed-in buyer follows. Only listed pieces and workshops can
//! be kept or followed; a piece that stops being listed drops out of the list shown.

use crate::catalog::reference::Reference;
use crate::catalog::views::{ProductView, Text, WorkshopRef};
use crate::clock::Clock;
use crate::db::carts::CartOwner;
use crate::db::favourites as q;
use crate::db::Db;
use crate::domain::{ProductId, Slug};
use crate::error::AppError;
use serde::Serialize;
use std::sync::Arc;

/// What the favourites page and `GET /api/v1/favourites` show.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FavouritesView {
    /// The listed pieces kept, newest first.
    pub products: Vec<ProductView>,
    /// The workshops followed (signed in only), newest first.
    pub workshops: Vec<WorkshopRef>,
}

/// The favourites service.
#[derive(Clone)]
pub struct Favourites {
    db: Db,
    catalog: crate::catalog::Catalog,
    reference: Arc<Reference>,
    clock: Clock,
}

impl Favourites {
    pub fn new(db: Db, catalog: crate::catalog::Catalog, reference: Arc<Reference>, clock: Clock) -> Favourites {
        Favourites { db, catalog, reference, clock }
    }

    /// The owner's favourites (none for a browser without a token).
    pub async fn view(&self, owner: Option<CartOwner>) -> Result<FavouritesView, AppError> {
        let Some(owner) = owner else {
            return Ok(FavouritesView { products: Vec::new(), workshops: Vec::new() });
        };
        let user = match &owner {
            CartOwner::User(id) => Some(*id),
            CartOwner::Browser(_) => None,
        };
        let (reference, today) = (self.reference.clone(), self.clock.today());
        let (products, followed) = self
            .db
            .run(move |c| {
                let followed = match user {
                    Some(u) => q::followed(c, u)?,
                    None => Vec::new(),
                };
                let ids: Vec<i64> = q::list(c, &owner)?.into_iter().map(ProductId::get).collect();
                // Listed ones only, in the order they were kept.
                let mut rows = crate::db::catalog::listed_products_by_ids(c, &ids, today)?;
                rows.sort_by_key(|(p, _)| ids.iter().position(|id| *id == p.id));
                Ok((crate::catalog::assemble(c, &reference, rows)?, followed))
            })
            .await?;
        let workshops =
            followed.into_iter().map(|(slug, zh, en)| WorkshopRef { slug, name: Text::new(zh, en) }).collect();
        Ok(FavouritesView { products, workshops })
    }

    /// Keeps (`keep`) or drops a piece. Only a listed piece can be kept, and an owner keeps
    /// at most [`q::MAX_FAVOURITES`].
    pub async fn set(&self, owner: CartOwner, product: ProductId, keep: bool) -> Result<(), AppError> {
        if keep {
            // Not found unless listed, as its page is.
            self.catalog.product_by_id(product.get()).await?;
        }
        let now = self.clock.now().naive_utc();
        self.db
            .write(move |c| {
                if !keep {
                    q::remove(c, &owner, product)?;
                    return Ok(());
                }
                if q::count(c, &owner)? >= q::MAX_FAVOURITES {
                    return Err(AppError::Conflict { key: "favourites.error.full" });
                }
                q::add(c, &owner, product, now)?;
                Ok(())
            })
            .await
    }

    /// Moves a browser's favourites into the account that signed in on it.
    pub async fn merge(&self, browser_hash: String, user: i64) -> Result<usize, AppError> {
        self.db.write(move |c| Ok(q::merge(c, &browser_hash, user)?)).await
    }

    /// Follows (`follow`) or unfollows a listed workshop.
    pub async fn follow(&self, user: i64, workshop: &str, follow: bool) -> Result<(), AppError> {
        let slug = Slug::parse(workshop).ok_or(AppError::NotFound)?;
        let now = self.clock.now().naive_utc();
        self.db
            .write(move |c| {
                let id = q::listed_workshop(c, slug.as_str())?.ok_or(AppError::NotFound)?;
                q::set_follow(c, user, id, follow, now)?;
                Ok(())
            })
            .await
    }
}

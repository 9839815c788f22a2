//! Custom orders in milestones (issue 20): a buyer asks a workshop that takes custom work for
//! a piece; the workshop quotes; the buyer accepts; the milestones are paid one by one; the
//! workshop posts progress photos, ships, and the buyer receives the piece. Either side may
//! cancel by the stated rule ([`crate::domain::custom_order::refunds_on_cancel`]).
//!
//! The quote freezes its terms as an archived product (never listed, never edited): the
//! piece's heritage item, price, lead time, wage rule and makers with their shares. Each
//! milestone, when the buyer pays it, becomes an ordinary order of one line at the
//! milestone's amount with those terms frozen on it ([`milestones`]). So its money is paid
//! (Stripe or bank transfer), captured, attributed, refunded and settled by the rules every
//! line follows, and `audit verify` checks it the same way.

pub mod milestones;
pub(crate) mod notify;
mod order_address;
pub mod views;

use crate::accounts::authz::{authorize, Action};
use crate::clock::Clock;
use crate::db::audit::{self, AuditEvent};
use crate::db::custom_orders::{self as q, CustomRow, ListOf, Stamp};
use crate::db::{Db, DbConn};
use crate::domain::account::{Principal, Role};
use crate::domain::attribution::ShareBp;
use crate::domain::custom_order::{self as rules, CustomStatus, DueAt, MilestoneTerm, RequestInput};
use crate::domain::ids::{CustomOrderId, WorkshopId};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::orders::Orders;
use crate::portal::products::ProductInput;
use crate::portal::Portal;
use chrono::NaiveDateTime;
use serde::Deserialize;

/// Custom orders in a list page.
pub const PAGE_SIZE: i64 = 20;

/// Rows of the quote form's milestones table (a quote has one to six milestones; the form
/// offers four, which covers a deposit, two progress payments and the balance).
pub const MILESTONE_ROWS: usize = 4;

/// One milestone of a quote as sent: its part of the price in percent (e.g. `30` or `33.5`)
/// and when it falls due.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct MilestoneInput {
    #[serde(default)]
    pub percent: String,
    /// `acceptance` (a deposit, first only), `progress` (with a progress photo) or
    /// `before_shipping` (the last).
    #[serde(default)]
    pub due: String,
}

/// A workshop's quote as sent: the piece (title, heritage item, price, lead time, wage rule
/// and makers, as a product is described), the milestones and a note to the buyer.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct QuoteInput {
    #[serde(flatten)]
    pub piece: ProductInput,
    #[serde(default)]
    pub milestones: Vec<MilestoneInput>,
    #[serde(default)]
    pub note: String,
}

/// The custom orders service.
#[derive(Clone)]
pub struct CustomOrders {
    pub(crate) db: Db,
    pub(crate) clock: Clock,
    pub(crate) orders: Orders,
    pub(crate) portal: Portal,
}

/// How a user stands to a custom order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Buyer,
    /// Staff of its workshop, or an operator.
    Workshop,
}

impl CustomOrders {
    pub fn new(db: Db, clock: Clock, orders: Orders, portal: Portal) -> CustomOrders {
        CustomOrders { db, clock, orders, portal }
    }

    pub(crate) fn now(&self) -> NaiveDateTime {
        self.clock.now().naive_utc()
    }

    /// A buyer asks a workshop that takes custom work for a piece. Returns its id.
    pub async fn request(
        &self,
        who: &Principal,
        workshop_slug: &str,
        input: RequestInput,
        lang: Lang,
    ) -> Result<CustomOrderId, AppError> {
        if who.role != Role::Buyer {
            return Err(AppError::Forbidden { key: "custom.error.buyers_ask" });
        }
        let request = rules::check_request(&input, self.clock.today())?;
        let (user, now, slug) = (who.user_id, self.now(), workshop_slug.to_owned());
        self.db
            .write(move |c| {
                let found = crate::db::catalog::workshop_by_slug(c, &slug)?.ok_or(AppError::NotFound)?;
                let workshop = WorkshopId(found.id);
                match q::accepts_custom(c, workshop)? {
                    None => return Err(AppError::NotFound),
                    Some(false) => return Err(AppError::Conflict { key: "custom.error.not_taken" }),
                    Some(true) => {}
                }
                let new = q::NewRequest {
                    buyer: user,
                    workshop,
                    description: &request.description,
                    budget_fen: request.budget.map(|b| b.get()),
                    wanted_by: request.wanted_by,
                    lang: lang.code(),
                };
                Ok(q::insert_request(c, &new, now)?)
            })
            .await
    }

    /// The workshop quotes a requested piece: its terms frozen, its milestones' amounts split
    /// from the price exactly.
    pub async fn quote(&self, who: &Principal, id: CustomOrderId, input: QuoteInput) -> Result<(), AppError> {
        let mut piece = input.piece;
        // A custom piece is made to order, and quoted with its lead time.
        piece.made_to_order = true;
        let (this, who, now, today) = (self.clone(), who.clone(), self.now(), self.clock.today());
        self.db
            .write(move |c| {
                let row = locked(c, id)?;
                // Who may quote is decided before what they sent is read.
                if row.buyer_id == who.user_id.get() {
                    return Err(AppError::Forbidden { key: "error.forbidden" });
                }
                authorize(Some(&who), Action::QuoteCustomWork, Some(WorkshopId(row.workshop_id)))?;
                let terms = milestone_terms(&input.milestones)?;
                rules::check_schedule(&terms)?;
                let note = crate::portal::input::bounded("note", &input.note, rules::MAX_TEXT)?;
                if !q::move_status(c, id, CustomStatus::Requested, CustomStatus::Quoted, now)? {
                    return Err(AppError::Conflict { key: "custom.error.state" });
                }
                let product = crate::portal::products::freeze_custom_piece(c, &who, row.workshop_id, &piece, today, now)?;
                let amounts = rules::milestone_amounts(crate::domain::Fen(product.price_fen), &terms);
                let stored: Vec<(i32, &str, i64)> = terms
                    .iter()
                    .zip(&amounts)
                    .map(|(t, a)| (i32::try_from(t.share.get()).unwrap_or(0), t.due.as_str(), a.get()))
                    .collect();
                let quote = q::Quote {
                    product_id: product.id,
                    price_fen: product.price_fen,
                    lead_time_days: product.lead_time_days,
                    note: &note,
                    milestones: &stored,
                };
                q::store_quote(c, id, &quote, now)?;
                notify::quoted(&this.orders, c, &row, crate::domain::Fen(product.price_fen))?;
                audit::append(
                    c,
                    AuditEvent::new(
                        Some(who.user_id),
                        "custom.quoted",
                        format!("custom:{id}"),
                        serde_json::json!({ "product": product.id, "price_fen": product.price_fen, "milestones": stored }),
                    ),
                    now,
                )?;
                Ok(())
            })
            .await
    }

    /// The buyer accepts the quote: the first milestone falls due.
    pub async fn accept(&self, who: &Principal, id: CustomOrderId) -> Result<(), AppError> {
        self.buyer_move(who, id, CustomStatus::Quoted, CustomStatus::InProgress).await
    }

    /// Declines: the workshop a request, or the buyer a quote.
    pub async fn decline(&self, who: &Principal, id: CustomOrderId) -> Result<(), AppError> {
        let (who, now) = (who.clone(), self.now());
        self.db
            .write(move |c| {
                let row = locked(c, id)?;
                let from = match standing(&who, &row, Action::QuoteCustomWork)? {
                    Side::Buyer => CustomStatus::Quoted,
                    Side::Workshop => CustomStatus::Requested,
                };
                if !q::move_status(c, id, from, CustomStatus::Declined, now)? {
                    return Err(AppError::Conflict { key: "custom.error.state" });
                }
                q::stamp(c, id, Stamp::Closed(None), now)?;
                Ok(())
            })
            .await
    }

    async fn buyer_move(
        &self,
        who: &Principal,
        id: CustomOrderId,
        from: CustomStatus,
        to: CustomStatus,
    ) -> Result<(), AppError> {
        let (this, who, now) = (self.clone(), who.clone(), self.now());
        self.db
            .write(move |c| {
                let row = locked(c, id)?;
                if standing(&who, &row, Action::QuoteCustomWork)? != Side::Buyer {
                    return Err(AppError::Forbidden { key: "custom.error.buyer_answers" });
                }
                if !q::move_status(c, id, from, to, now)? {
                    return Err(AppError::Conflict { key: "custom.error.state" });
                }
                q::stamp(c, id, Stamp::Accepted, now)?;
                notify::if_due(&this.orders, c, &row, notify::Trigger::Moved)?;
                Ok(())
            })
            .await
    }

    /// A page (from 1) of the signed-in user's custom orders: a buyer's own, or a workshop's
    /// for its staff.
    pub async fn list(&self, who: &Principal, page: u32) -> Result<views::CustomPage, AppError> {
        let of = match who.role {
            Role::Buyer => ListOf::Buyer(who.user_id),
            Role::Manager(w) | Role::Editor(w) => ListOf::Workshop(w),
            Role::Operator | Role::Official(_) => return Err(AppError::Forbidden { key: "error.forbidden" }),
        };
        let page = page.max(1);
        let offset = i64::from(page - 1) * PAGE_SIZE;
        self.db
            .run(move |c| {
                let (rows, total) = q::page(c, of, PAGE_SIZE, offset)?;
                views::CustomPage::load(c, rows, total, page)
            })
            .await
    }

    /// One custom order with its quote, milestones and progress, for its buyer, its
    /// workshop's staff or an operator; anyone else gets 404.
    pub async fn view(&self, who: &Principal, id: CustomOrderId) -> Result<views::CustomView, AppError> {
        let who = who.clone();
        self.db
            .run(move |c| {
                let row = q::custom_order(c, id)?.ok_or(AppError::NotFound)?;
                let side = standing(&who, &row, Action::ViewWorkshop)?;
                views::CustomView::load(c, row, side)
            })
            .await
    }
}

/// The custom order, locked for the transaction; not found if there is none.
pub(crate) fn locked(c: &mut DbConn, id: CustomOrderId) -> Result<CustomRow, AppError> {
    q::lock(c, id)?.ok_or(AppError::NotFound)
}

/// How `who` stands to a custom order: its buyer, or staff allowed `action` for its workshop
/// (an operator too). Anyone else: not found.
pub(crate) fn standing(who: &Principal, row: &CustomRow, action: Action) -> Result<Side, AppError> {
    if row.buyer_id == who.user_id.get() {
        return Ok(Side::Buyer);
    }
    match who.role {
        Role::Buyer | Role::Official(_) => Err(AppError::NotFound),
        _ => {
            authorize(Some(who), action, Some(WorkshopId(row.workshop_id)))?;
            Ok(Side::Workshop)
        }
    }
}

/// The milestones as terms: each percent a positive number with at most two decimals.
fn milestone_terms(input: &[MilestoneInput]) -> Result<Vec<MilestoneTerm>, AppError> {
    let bad = |key: &'static str| AppError::BadRequest { field: "milestones", key };
    input
        .iter()
        .map(|m| {
            // Percent with two decimals is basis points: "33.5" → 3350.
            let bp = crate::domain::Fen::parse_typed_yuan(&m.percent).ok_or(bad("custom.error.milestone_percent"))?;
            let share = ShareBp::new(bp.get()).ok_or(bad("custom.error.milestone_percent"))?;
            let due = DueAt::parse(m.due.trim()).ok_or(bad("custom.error.milestone_due"))?;
            Ok(MilestoneTerm { share, due })
        })
        .collect()
}

//! What the custom order pages and the JSON API show: a list page, and one custom order with
//! its quote, milestones (each with the order that pays it) and progress photos.

use super::milestones::{falls_due, is_open, is_paid};
use super::Side;
use crate::catalog::views::Text;
use crate::db::custom_orders::{self as q, CustomRow};
use crate::db::DbConn;
use crate::domain::custom_order::CustomStatus;
use crate::domain::ids::CustomOrderId;
use crate::error::AppError;
use serde::Serialize;

/// One custom order in a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomSummary {
    pub id: i64,
    pub workshop_id: i64,
    pub workshop: Text,
    pub workshop_slug: String,
    /// `requested`, `quoted`, `in_progress`, `shipped`, `delivered`, `declined` or `cancelled`.
    pub status: String,
    pub description: String,
    pub price_fen: Option<i64>,
    pub created_at: String,
}

/// A page of custom orders.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomPage {
    pub items: Vec<CustomSummary>,
    pub page: u32,
    pub page_count: u32,
    pub total: i64,
}

/// The workshops' slugs and names by id (`db::custom_orders::workshop_labels`).
type Labels = [(i64, String, String, String)];

impl CustomPage {
    pub(crate) fn load(c: &mut DbConn, rows: Vec<CustomRow>, total: i64, page: u32) -> Result<CustomPage, AppError> {
        let mut ids: Vec<i64> = rows.iter().map(|r| r.workshop_id).collect();
        ids.dedup();
        let labels = q::workshop_labels(c, &ids)?;
        let pages = (total + super::PAGE_SIZE - 1) / super::PAGE_SIZE;
        Ok(CustomPage {
            items: rows.iter().map(|r| summary(r, &labels)).collect(),
            page,
            page_count: u32::try_from(pages.max(1)).unwrap_or(u32::MAX),
            total,
        })
    }
}

fn summary(r: &CustomRow, labels: &Labels) -> CustomSummary {
    let (slug, name) = labels
        .iter()
        .find(|l| l.0 == r.workshop_id)
        .map(|(_, slug, zh, en)| (slug.clone(), Text::new(zh, en)))
        .unwrap_or_default();
    CustomSummary {
        id: r.id,
        workshop_id: r.workshop_id,
        workshop: name,
        workshop_slug: slug,
        status: r.status.clone(),
        description: r.description.clone(),
        price_fen: r.price_fen,
        created_at: crate::clock::rfc3339(r.created_at),
    }
}

/// A milestone as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MilestoneView {
    pub position: i32,
    /// Its part of the price, in basis points (3000 = 30%).
    pub share_bp: i32,
    /// `acceptance`, `progress` or `before_shipping`.
    pub due: String,
    pub amount_fen: i64,
    /// The order that pays it, once the buyer has paid or begun to.
    pub order_number: Option<String>,
    pub order_status: Option<String>,
}

/// A progress photo as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProgressView {
    pub id: i64,
    pub position: i32,
    /// The photo's path under `/media/`.
    pub photo: String,
    pub note: String,
    pub posted_at: String,
}

/// The milestone the buyer pays next.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NextMilestone {
    pub position: i32,
    pub amount_fen: i64,
    /// Whether it has fallen due (a `progress` milestone once its photo is posted).
    pub due_now: bool,
    /// The order already waiting for its money, if any.
    pub order_number: Option<String>,
    /// Whether paying it needs the address (no earlier milestone gave one).
    pub needs_address: bool,
}

/// One custom order.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomView {
    #[serde(flatten)]
    pub summary: CustomSummary,
    pub budget_fen: Option<i64>,
    pub wanted_by: Option<String>,
    /// The frozen piece (an unlisted product) once quoted.
    pub product_id: Option<i64>,
    pub lead_time_days: Option<i32>,
    pub quote_note: Option<String>,
    pub work_begun: bool,
    pub cancelled_by: Option<String>,
    /// Who reads it: `buyer`, or `workshop` (its staff, or an operator).
    pub viewer: String,
    /// While the work is in progress, the milestone to pay next.
    pub next_milestone: Option<NextMilestone>,
    pub milestones: Vec<MilestoneView>,
    pub progress: Vec<ProgressView>,
}

impl CustomView {
    pub(crate) fn load(c: &mut DbConn, row: CustomRow, side: Side) -> Result<CustomView, AppError> {
        let id = CustomOrderId(row.id);
        let rows = q::milestones(c, id)?;
        let stored_progress = q::progress(c, id)?;
        let in_progress = row.status == CustomStatus::InProgress.as_str();
        let next_milestone = rows.iter().find(|m| !is_paid(m)).filter(|_| in_progress).map(|m| NextMilestone {
            position: m.position,
            amount_fen: m.amount_fen,
            due_now: falls_due(m, &stored_progress),
            order_number: m.order_number.clone().filter(|_| is_open(m)),
            needs_address: !rows.iter().any(|e| e.position < m.position && e.order_id.is_some()),
        });
        let milestones = rows
            .into_iter()
            .map(|m| MilestoneView {
                position: m.position,
                share_bp: m.share_bp,
                due: m.due,
                amount_fen: m.amount_fen,
                order_number: m.order_number,
                order_status: m.order_status,
            })
            .collect();
        let progress = stored_progress
            .into_iter()
            .map(|p| ProgressView {
                id: p.id,
                position: p.position,
                photo: p.photo_key,
                note: p.note,
                posted_at: crate::clock::rfc3339(p.posted_at),
            })
            .collect();
        let labels = q::workshop_labels(c, &[row.workshop_id])?;
        Ok(CustomView {
            summary: summary(&row, &labels),
            budget_fen: row.budget_fen,
            wanted_by: row.wanted_by.map(|d| d.to_string()),
            product_id: row.product_id,
            lead_time_days: row.lead_time_days,
            quote_note: row.quote_note,
            work_begun: row.work_begun_at.is_some(),
            cancelled_by: row.cancelled_by,
            viewer: match side {
                Side::Buyer => "buyer",
                Side::Workshop => "workshop",
            }
            .to_owned(),
            next_milestone,
            milestones,
            progress,
        })
    }
}

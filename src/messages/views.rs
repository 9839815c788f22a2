//! Threads and messages as pages and the API show them, built from stored rows and their
//! [`Labels`]. A workshop's message is signed by the workshop, never by the member of staff
//! who wrote it; a buyer's by their display name. Nothing here names an artisan.

use crate::catalog::views::Text;
use crate::db::messages::{Labels, MessageRow, ThreadRow};
use crate::domain::message::{Side, SubjectKind};
use serde::Serialize;

/// Who is reading a thread, and so what they may do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reader {
    /// The buyer who asked: reads, writes, reports.
    Buyer,
    /// Staff of the workshop asked: read, answer, report.
    Workshop,
    /// An operator, of a reported thread only: reads.
    Operator,
}

impl Reader {
    /// The side the reader writes for, if they may write.
    pub fn side(self) -> Option<Side> {
        match self {
            Reader::Buyer => Some(Side::Buyer),
            Reader::Workshop => Some(Side::Workshop),
            Reader::Operator => None,
        }
    }
}

/// What a thread is about.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubjectView {
    /// `product` or `order`.
    pub kind: String,
    /// The piece's title, or the order's number (the same in both scripts).
    pub title: Text,
    /// The product's slug (a question about a piece).
    pub product_slug: Option<String>,
    /// The order's number (a question about an order).
    pub order_number: Option<String>,
}

/// A thread in a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ThreadSummary {
    pub id: i64,
    pub subject: SubjectView,
    pub workshop: Text,
    /// The buyer's display name.
    pub buyer: String,
    /// Whether the reader's side has a message it has not opened.
    pub unread: bool,
    /// Whether either side reported it to operators.
    pub reported: bool,
    #[serde(serialize_with = "crate::clock::china_time")]
    #[schema(value_type = String, format = DateTime)]
    pub last_message_at: chrono::NaiveDateTime,
}

/// One message.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    pub id: i64,
    /// `buyer` or `workshop`.
    pub from: String,
    /// The buyer's display name, or the workshop's name.
    pub author: Text,
    pub body: String,
    #[serde(serialize_with = "crate::clock::china_time")]
    #[schema(value_type = String, format = DateTime)]
    pub at: chrono::NaiveDateTime,
}

/// A thread with its messages, oldest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ThreadView {
    #[serde(flatten)]
    pub summary: ThreadSummary,
    pub messages: Vec<MessageView>,
    /// Who is reading: `buyer`, `workshop` or `operator`.
    pub reader: Reader,
    /// Why it was reported (operators and the side that reported see it).
    pub report_reason: Option<String>,
}

/// One page of threads.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ThreadPage {
    pub threads: Vec<ThreadSummary>,
    pub page: u32,
    pub page_count: u32,
    pub total: i64,
}

/// A thread in a list, as `reader` sees it.
pub fn summary(row: &ThreadRow, labels: &Labels, reader: Reader) -> ThreadSummary {
    let workshop = labels.workshops.get(&row.workshop_id).map(|(zh, en)| Text::new(zh, en)).unwrap_or_default();
    let subject = match SubjectKind::parse(&row.subject_kind) {
        Some(SubjectKind::Product) => {
            let (slug, zh, en) = labels.products.get(&row.subject_id).cloned().unwrap_or_default();
            SubjectView {
                kind: row.subject_kind.clone(),
                title: Text::new(zh, en),
                product_slug: Some(slug),
                order_number: None,
            }
        }
        _ => {
            let number = labels.orders.get(&row.subject_id).cloned().unwrap_or_default();
            SubjectView {
                kind: row.subject_kind.clone(),
                title: Text::new(number.clone(), number.clone()),
                product_slug: None,
                order_number: Some(number),
            }
        }
    };
    ThreadSummary {
        id: row.id,
        subject,
        workshop,
        buyer: labels.buyers.get(&row.buyer_id).cloned().unwrap_or_default(),
        unread: match reader {
            Reader::Buyer => row.buyer_unread,
            Reader::Workshop => row.workshop_unread,
            Reader::Operator => false,
        },
        reported: row.reported_at.is_some(),
        last_message_at: row.last_message_at,
    }
}

/// A thread with its messages, as `reader` sees it.
pub fn thread(row: &ThreadRow, messages: Vec<MessageRow>, labels: &Labels, reader: Reader) -> ThreadView {
    let summary = summary(row, labels, reader);
    let messages = messages
        .into_iter()
        .map(|m| MessageView {
            id: m.id,
            author: if m.from_side == Side::Workshop.as_str() {
                summary.workshop.clone()
            } else {
                Text::new(summary.buyer.clone(), summary.buyer.clone())
            },
            from: m.from_side,
            body: m.body,
            at: m.created_at,
        })
        .collect();
    ThreadView { summary, messages, reader, report_reason: row.report_reason.clone() }
}

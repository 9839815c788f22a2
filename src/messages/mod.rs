//! Messages between a buyer and a workshop (issue 20): a buyer asks about a listed piece or
//! about one of their orders; the workshop's staff answer in the portal. There is one thread
//! per buyer, workshop and subject. Each message queues an e-mail notice to the other side,
//! in the recipient's language, through the outbox, in the transaction that stores it: the
//! notice names who wrote and what about, and links back; it never carries the message.
//!
//! A rate limit stops spam: an account sends at most [`PER_HOUR`] messages an hour, and a
//! buyer opens at most [`NEW_THREADS_PER_DAY`] threads a day; beyond either, 429 with the
//! wait. Either side can report a thread; operators read the reported ones, and only those.
//! Staff of another workshop get 404, as everywhere.

pub mod views;

use crate::accounts::authz::{authorize, Action};
use crate::clock::Clock;
use crate::db::accounts::{recipient, workshop_managers, Recipient};
use crate::db::audit::{self, AuditEvent};
use crate::db::messages::{self as q, ThreadRow};
use crate::db::{order_views, Db, DbConn};
use crate::domain::account::{Principal, Role, UserId};
use crate::domain::message::{self, MessageInput, ReportInput, Side, SubjectKind, NEW_THREADS_PER_DAY, PER_HOUR};
use crate::domain::WorkshopId;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::mail::{MailKind, Mailer};
use chrono::{Duration, NaiveDateTime};
use views::{Reader, ThreadPage, ThreadView};

/// Threads in a list page.
pub const PAGE_SIZE: i64 = 20;

/// What a buyer asks about.
#[derive(Debug, Clone)]
pub enum Ask {
    /// A listed piece, by its slug.
    Product(String),
    /// One of the buyer's orders, by its number, and which of its workshops (needed when the
    /// order holds pieces of several).
    Order(String, Option<WorkshopId>),
}

/// The workshops a buyer can ask about an order: `(id, name zh, name en)`.
pub type OrderWorkshops = Vec<(i64, String, String)>;

/// The messages service.
#[derive(Clone)]
pub struct Messages {
    db: Db,
    clock: Clock,
    catalog: crate::catalog::Catalog,
    mailer: Mailer,
    public_url: String,
}

impl Messages {
    pub fn new(db: Db, clock: Clock, catalog: crate::catalog::Catalog, mailer: Mailer, public_url: String) -> Messages {
        Messages { db, clock, catalog, mailer, public_url }
    }

    fn now(&self) -> NaiveDateTime {
        self.clock.now().naive_utc()
    }

    /// The workshops of `who`'s order (not found unless it is theirs).
    pub async fn order_workshops(&self, who: &Principal, number: &str) -> Result<OrderWorkshops, AppError> {
        Ok(self.buyers_order(who, number).await?.1)
    }

    /// `who`'s order by its number, with its workshops; not found unless it is theirs.
    async fn buyers_order(&self, who: &Principal, number: &str) -> Result<(i64, OrderWorkshops), AppError> {
        let (user, number) = (who.user_id, number.to_owned());
        let buyer = who.role == Role::Buyer;
        self.db
            .run(move |c| {
                let order = order_views::order_by_number(c, &number)?
                    .filter(|o| buyer && o.user_id == user.get())
                    .ok_or(AppError::NotFound)?;
                let ids = order_views::order_workshops(c, order.id)?;
                Ok((order.id, q::workshop_names(c, &ids)?))
            })
            .await
    }

    /// A buyer's question: finds or opens the thread of its subject, adds the message, and
    /// queues the notice to the workshop's managers. Returns the thread's id.
    pub async fn ask(&self, who: &Principal, about: Ask, input: MessageInput) -> Result<i64, AppError> {
        if who.role != Role::Buyer {
            return Err(AppError::Forbidden { key: "message.error.buyers_ask" });
        }
        let body = message::check(&input)?;
        let subject = match about {
            Ask::Product(slug) => {
                let id = self.catalog.product(&slug).await?.product.id;
                let workshop = self.db.run(move |c| Ok(q::product_workshop(c, id)?)).await?;
                (SubjectKind::Product, id, WorkshopId(workshop.ok_or(AppError::NotFound)?))
            }
            Ask::Order(number, workshop) => {
                let (id, workshops) = self.buyers_order(who, &number).await?;
                let chosen = match (workshop, workshops.as_slice()) {
                    (Some(w), list) if list.iter().any(|x| x.0 == w.get()) => w,
                    (None, [only]) => WorkshopId(only.0),
                    _ => return Err(AppError::BadRequest { field: "workshop_id", key: "message.error.workshop" }),
                };
                (SubjectKind::Order, id, chosen)
            }
        };
        let (this, user, now) = (self.clone(), who.user_id, self.now());
        let thread = self
            .db
            .write(move |c| {
                q::lock_author(c, user)?;
                this.within_hourly_limit(c, user, now)?;
                let (thread, new) = q::open(c, user, subject.2, (subject.0, subject.1), now)?;
                if new {
                    let (opened, oldest) = q::opened_since(c, user, now - Duration::days(1))?;
                    if opened > NEW_THREADS_PER_DAY {
                        return Err(too_many(oldest, Duration::days(1), now));
                    }
                }
                this.post_and_notify(c, thread, user, Side::Buyer, &body, now)?;
                Ok(thread)
            })
            .await?;
        self.mailer.wake();
        Ok(thread)
    }

    /// Refuses a message beyond the hourly limit, with the wait.
    fn within_hourly_limit(&self, c: &mut DbConn, user: UserId, now: NaiveDateTime) -> Result<(), AppError> {
        let (sent, oldest) = q::sent_since(c, user, now - Duration::hours(1))?;
        if sent >= PER_HOUR {
            return Err(too_many(oldest, Duration::hours(1), now));
        }
        Ok(())
    }

    /// Stores a message and queues its notice to the other side.
    fn post_and_notify(
        &self,
        c: &mut DbConn,
        thread: i64,
        author: UserId,
        side: Side,
        body: &str,
        now: NaiveDateTime,
    ) -> Result<(), AppError> {
        q::post(c, thread, author, side, body, now)?;
        let row = q::thread(c, thread)?.ok_or(AppError::NotFound)?;
        let labels = q::labels(c, std::slice::from_ref(&row))?;
        let recipients: Vec<(Recipient, Reader)> = match side {
            Side::Buyer => workshop_managers(c, row.workshop_id)?.into_iter().map(|r| (r, Reader::Workshop)).collect(),
            Side::Workshop => vec![(recipient(c, row.buyer_id)?, Reader::Buyer)],
        };
        for (to, reader) in recipients {
            let lang = Lang::parse(&to.lang).unwrap_or_default();
            let summary = views::summary(&row, &labels, reader);
            let pick = |t: &crate::catalog::views::Text| if lang == Lang::En { t.en.clone() } else { t.zh.clone() };
            let from = match side {
                Side::Buyer => summary.buyer.clone(),
                Side::Workshop => pick(&summary.workshop),
            };
            let mut ctx = tera::Context::new();
            ctx.insert("name", &to.name);
            ctx.insert("from", &from);
            ctx.insert("subject", &pick(&summary.subject.title));
            let place = if reader == Reader::Workshop { "/portal/messages" } else { "/messages" };
            ctx.insert("link", &format!("{}{place}/{thread}", self.public_url));
            let email = self.mailer.compose(MailKind::MessageReceived, lang, &to.email, &ctx)?;
            Mailer::enqueue(c, &email)?;
        }
        Ok(())
    }

    /// Who `who` is to a thread; not found when they are no one to it (an operator is someone
    /// only to a reported thread).
    fn reader(who: &Principal, row: &ThreadRow) -> Result<Reader, AppError> {
        match who.role {
            Role::Buyer if row.buyer_id == who.user_id.get() => Ok(Reader::Buyer),
            Role::Operator if row.reported_at.is_some() => Ok(Reader::Operator),
            Role::Manager(_) | Role::Editor(_) => {
                authorize(Some(who), Action::AnswerMessages, Some(WorkshopId(row.workshop_id)))?;
                Ok(Reader::Workshop)
            }
            _ => Err(AppError::NotFound),
        }
    }

    async fn row(&self, id: i64) -> Result<ThreadRow, AppError> {
        self.db.run(move |c| Ok(q::thread(c, id)?)).await?.ok_or(AppError::NotFound)
    }

    /// A thread with its messages; opening it marks it read for the reader's side.
    pub async fn thread(&self, who: &Principal, id: i64) -> Result<ThreadView, AppError> {
        let row = self.row(id).await?;
        let reader = Self::reader(who, &row)?;
        let unread = match reader {
            Reader::Buyer => row.buyer_unread,
            Reader::Workshop => row.workshop_unread,
            Reader::Operator => false,
        };
        if let (true, Some(side)) = (unread, reader.side()) {
            self.db.write(move |c| Ok(q::mark_read(c, id, side)?)).await?;
        }
        let (messages, labels) = {
            let row = row.clone();
            self.db.run(move |c| Ok((q::messages_of(c, id)?, q::labels(c, std::slice::from_ref(&row))?))).await?
        };
        let mut view = views::thread(&row, messages, &labels, reader);
        view.summary.unread = false;
        Ok(view)
    }

    /// Adds `who`'s message to a thread they are on (operators only read).
    pub async fn write(&self, who: &Principal, id: i64, input: MessageInput) -> Result<(), AppError> {
        let row = self.row(id).await?;
        let side = Self::reader(who, &row)?.side().ok_or(AppError::Forbidden { key: "error.forbidden" })?;
        let body = message::check(&input)?;
        let (this, user, now) = (self.clone(), who.user_id, self.now());
        self.db
            .write(move |c| {
                q::lock_author(c, user)?;
                this.within_hourly_limit(c, user, now)?;
                this.post_and_notify(c, id, user, side, &body, now)
            })
            .await?;
        self.mailer.wake();
        Ok(())
    }

    /// Reports a thread to operators (either side, once), with the reason in the audit log.
    pub async fn report(&self, who: &Principal, id: i64, input: ReportInput) -> Result<(), AppError> {
        let row = self.row(id).await?;
        Self::reader(who, &row)?.side().ok_or(AppError::Forbidden { key: "error.forbidden" })?;
        let reason = message::check_report(&input)?;
        let (user, now) = (who.user_id, self.now());
        self.db
            .write(move |c| {
                if q::report(c, id, user, &reason, now)? {
                    let detail = serde_json::json!({ "reason": reason });
                    audit::append(
                        c,
                        AuditEvent::new(Some(user), "message.report", format!("thread:{id}"), detail),
                        now,
                    )?;
                }
                Ok(())
            })
            .await
    }

    /// One page (from 1) of threads, newest activity first: a buyer's own, a workshop's (its
    /// staff's), or the reported ones (operators').
    pub async fn list(&self, who: &Principal, page: u32) -> Result<ThreadPage, AppError> {
        let (buyer, workshop, reader) = match who.role {
            Role::Buyer => (Some(who.user_id), None, Reader::Buyer),
            Role::Manager(w) | Role::Editor(w) => {
                authorize(Some(who), Action::AnswerMessages, Some(w))?;
                (None, Some(w), Reader::Workshop)
            }
            Role::Operator => (None, None, Reader::Operator),
            Role::Official(_) => return Err(AppError::Forbidden { key: "error.forbidden" }),
        };
        let page = page.max(1);
        let offset = i64::from(page - 1).saturating_mul(PAGE_SIZE);
        let (rows, labels, total) = self
            .db
            .run(move |c| {
                let (rows, total) = q::threads(c, buyer, workshop, offset, PAGE_SIZE)?;
                let labels = q::labels(c, &rows)?;
                Ok((rows, labels, total))
            })
            .await?;
        let page_count = u32::try_from((total + PAGE_SIZE - 1) / PAGE_SIZE).unwrap_or(u32::MAX).max(1);
        Ok(ThreadPage {
            threads: rows.iter().map(|r| views::summary(r, &labels, reader)).collect(),
            page: page.min(page_count),
            page_count,
            total,
        })
    }
}

/// 429, with the seconds until the oldest message (or thread) in the window leaves it.
fn too_many(oldest: Option<NaiveDateTime>, window: Duration, now: NaiveDateTime) -> AppError {
    let wait = oldest.map_or(window, |t| t + window - now).num_seconds().max(1);
    AppError::TooMany { key: "message.error.too_many", retry_after: wait.unsigned_abs() }
}

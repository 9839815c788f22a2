//! E-mail: composed from templates in the recipient's language, stored with an outbox row in
//! the same transaction as the change that causes it, and sent afterwards by a worker thread
//! through SMTP (`SMTP_URL`) or, with no SMTP configured, written as `.eml` files in the data
//! dir. An SMTP outage delays mail and loses none: a failed send waits and is tried again.

use crate::db::schema::emails;
use crate::db::{outbox, Db, DbConn};
use crate::i18n::Lang;
use crate::render::Renderer;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use lettre::message::header::ContentType;
use lettre::{Message, Transport};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// The outbox topic of e-mails; the key is the `emails` row id.
pub const MAIL_TOPIC: &str = "mail";

/// Where mail goes.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://host:port` (plain, for a relay on the same network), `smtps://…` or
    /// `smtp://…?tls=required`, with optional `user:password@`.
    pub smtp_url: Option<String>,
    /// The From address, e.g. `工坊 Gongfang <noreply@gongfang.example>`.
    pub from: String,
    /// Where `.eml` files go when there is no SMTP server.
    pub eml_dir: PathBuf,
    /// How often the worker looks for due mail.
    pub poll: Duration,
    /// The longest wait between attempts after failures.
    pub max_backoff: Duration,
}

/// E-mails claimed at a time: at the SMTP timeout each, well within the outbox's lease.
const CLAIM_BATCH: i64 = 20;

/// What an e-mail is about; names its template `emails/<name>.txt` and subject key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    PasswordReset,
    Invitation,
    OrderPlaced,
    OrderPaid,
    ParcelShipped,
    Refunded,
    /// To a workshop's managers: a paid order to pack.
    WorkshopNewOrder,
    /// To a workshop's managers: a cash-on-delivery order to accept or refuse.
    WorkshopCodRequest,
    /// To the buyer: cash on delivery accepted.
    CodAccepted,
    /// To the buyer: cash on delivery refused or unanswered; the order is cancelled.
    CodRefused,
    /// To the buyer: a bank transfer's hold runs out soon.
    TransferReminder,
    /// To the other side of a message thread: a new message (never its text), with a link.
    MessageReceived,
    /// To a custom order's buyer: the workshop's quote, to answer.
    CustomQuoted,
    /// To a custom order's buyer: a step of the payment has fallen due.
    CustomMilestoneDue,
}

impl MailKind {
    pub fn name(self) -> &'static str {
        match self {
            MailKind::PasswordReset => "password_reset",
            MailKind::Invitation => "invitation",
            MailKind::OrderPlaced => "order_placed",
            MailKind::OrderPaid => "order_paid",
            MailKind::ParcelShipped => "parcel_shipped",
            MailKind::Refunded => "refunded",
            MailKind::WorkshopNewOrder => "workshop_new_order",
            MailKind::WorkshopCodRequest => "workshop_cod_request",
            MailKind::CodAccepted => "cod_accepted",
            MailKind::CodRefused => "cod_refused",
            MailKind::TransferReminder => "transfer_reminder",
            MailKind::MessageReceived => "message_received",
            MailKind::CustomQuoted => "custom_quoted",
            MailKind::CustomMilestoneDue => "custom_milestone_due",
        }
    }
}

/// A composed e-mail, ready to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = emails)]
pub struct NewEmail {
    pub to_addr: String,
    pub lang: String,
    pub kind: String,
    pub subject: String,
    pub body_text: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = emails)]
struct StoredEmail {
    id: i64,
    to_addr: String,
    lang: String,
    subject: String,
    body_text: String,
    created_at: NaiveDateTime,
}

impl StoredEmail {
    /// The same for every attempt to send this e-mail, so a copy sent again after a node died
    /// between sending it and recording it is recognisable as the same message. The creation
    /// time keeps it unique across databases whose ids restart (a restored backup, staging).
    fn message_id(&self, from: &str) -> String {
        let domain = from.rsplit_once('@').map_or("gongfang.invalid", |(_, d)| d.trim_end_matches('>').trim());
        format!("<mail-{}-{}@{domain}>", self.id, self.created_at.and_utc().timestamp_micros())
    }
}

struct Shared {
    stop: AtomicBool,
    wake: (Mutex<bool>, Condvar),
    /// The worker thread, joined by `shutdown` so that it never outlives the process's
    /// database and TLS libraries.
    worker: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// Composes, queues and sends mail.
#[derive(Clone)]
pub struct Mailer {
    db: Db,
    renderer: Arc<Renderer>,
    config: MailConfig,
    shared: Arc<Shared>,
}

impl Mailer {
    pub fn new(db: Db, renderer: Arc<Renderer>, config: MailConfig) -> Mailer {
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            wake: (Mutex::new(false), Condvar::new()),
            worker: Mutex::new(None),
        });
        Mailer { db, renderer, config, shared }
    }

    /// Renders `emails/<kind>.txt` and the subject in `lang`.
    pub fn compose(&self, kind: MailKind, lang: Lang, to: &str, vars: &tera::Context) -> anyhow::Result<NewEmail> {
        let (subject, body) = self.renderer.email(lang, kind.name(), vars)?;
        Ok(NewEmail {
            to_addr: to.to_owned(),
            lang: lang.code().to_owned(),
            kind: kind.name().to_owned(),
            subject,
            body_text: body,
            created_at: crate::db::now(),
        })
    }

    /// Stores an e-mail and its outbox row; call inside the transaction of the change.
    pub fn enqueue(conn: &mut DbConn, email: &NewEmail) -> QueryResult<i64> {
        let id: i64 = diesel::insert_into(emails::table).values(email).returning(emails::id).get_result(conn)?;
        outbox::insert(conn, MAIL_TOPIC, &id.to_string())?;
        Ok(id)
    }

    /// Asks the worker to look for mail now.
    pub fn wake(&self) {
        let (flag, cv) = &self.shared.wake;
        if let Ok(mut woken) = flag.lock() {
            *woken = true;
            cv.notify_one();
        }
    }

    /// Stops the worker after its current batch and waits for it.
    pub fn shutdown(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.wake();
        let handle = self.shared.worker.lock().ok().and_then(|mut slot| slot.take());
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }

    /// Starts the sending worker on its own thread.
    pub fn start_worker(&self) -> std::io::Result<()> {
        let mailer = self.clone();
        let handle = std::thread::Builder::new().name("mail".into()).spawn(move || mailer.work())?;
        if let Ok(mut slot) = self.shared.worker.lock() {
            *slot = Some(handle);
        }
        Ok(())
    }

    fn work(&self) {
        let mut failures = 0;
        while !self.shared.stop.load(Ordering::SeqCst) {
            let wait = match self.send_due() {
                Ok(n) if n > 0 => {
                    failures = 0;
                    continue;
                }
                Ok(_) => {
                    failures = 0;
                    self.config.poll
                }
                Err(e) => {
                    failures += 1;
                    tracing::warn!(error = %e, failures, "mail delayed");
                    crate::search::sync::backoff(failures, self.config.max_backoff).max(self.config.poll)
                }
            };
            let (flag, cv) = &self.shared.wake;
            if let Ok(mut woken) = flag.lock() {
                if !*woken {
                    woken = cv.wait_timeout(woken, wait).map(|(g, _)| g).unwrap_or_else(|e| e.into_inner().0);
                }
                *woken = false;
            }
        }
    }

    /// Sends what is due; returns how many went out. A failure leaves the rest for later.
    pub fn send_due(&self) -> anyhow::Result<usize> {
        // Claimed first, so that of several nodes one sends each (see `outbox::claim`).
        let due = self.db.claim_blocking(MAIL_TOPIC, CLAIM_BATCH).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut conn = self.db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
        let now = crate::db::now();
        let mut sent = 0;
        for (i, row) in due.iter().enumerate() {
            let id: i64 = row.item_key.parse().unwrap_or(0);
            let email: Option<StoredEmail> =
                emails::table.find(id).select(StoredEmail::as_select()).first(&mut conn).optional()?;
            let Some(email) = email else {
                outbox::mark_done(&mut conn, &[row.id], now)?;
                continue;
            };
            match self.send(&email) {
                Ok(()) => {
                    crate::db::tx::write(&mut conn, |c| {
                        // A sent body is not kept: reset and invitation links in it would
                        // outlive the mail in every database backup.
                        diesel::update(emails::table.find(email.id))
                            .set((emails::sent_at.eq(Some(now)), emails::body_text.eq("")))
                            .execute(c)?;
                        outbox::mark_done(c, &[row.id], now)
                    })?;
                    sent += 1;
                }
                Err(e) => {
                    let next = now
                        + chrono::Duration::from_std(crate::search::sync::backoff(
                            row.attempts + 1,
                            self.config.max_backoff,
                        ))
                        .unwrap_or_default();
                    outbox::retry_later(&mut conn, &[row.id], next, &e.to_string())?;
                    // The rest of the batch waits as long, not for the lease to run out.
                    let rest: Vec<i64> = due[i + 1..].iter().map(|r| r.id).collect();
                    outbox::unclaim(&mut conn, &rest, next)?;
                    return Err(e.context(format!("sending e-mail {}", email.id)));
                }
            }
        }
        Ok(sent)
    }

    fn send(&self, email: &StoredEmail) -> anyhow::Result<()> {
        let message = Message::builder()
            .from(self.config.from.parse()?)
            .to(email.to_addr.parse()?)
            .subject(&email.subject)
            .message_id(Some(email.message_id(&self.config.from)))
            .header(ContentType::TEXT_PLAIN)
            .header(ContentLanguage(email.lang.clone()))
            .body(email.body_text.clone())?;
        match &self.config.smtp_url {
            Some(url) => {
                let transport = lettre::SmtpTransport::from_url(url)?.timeout(Some(Duration::from_secs(10))).build();
                transport.send(&message)?;
            }
            None => {
                std::fs::create_dir_all(&self.config.eml_dir)?;
                lettre::FileTransport::new(&self.config.eml_dir).send(&message)?;
            }
        }
        Ok(())
    }

    /// E-mails waiting to be sent.
    pub fn pending(&self) -> anyhow::Result<i64> {
        let mut conn = self.db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(outbox::pending(&mut conn, MAIL_TOPIC)?)
    }
}

/// The `Content-Language` header, so mail clients know zh from en.
#[derive(Debug, Clone)]
struct ContentLanguage(String);

impl lettre::message::header::Header for ContentLanguage {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ContentLanguage(s.to_owned()))
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

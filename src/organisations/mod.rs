//! Institutional buyers (消费帮扶, issue 21): a buyer registers their organisation (its legal
//! name, credit code and invoice details) and adds the colleagues who may buy for it; members
//! order by the cart, filled by hand or from a CSV of lines, and an order placed "for the
//! organisation" carries its invoice request; each workshop records the invoice number on its
//! parcel. The organisation's page and export show what it bought, by the journal: how much
//! went to workshops in key support areas and in 三区三州, how much became wages, and the
//! poor-household part (shown only where at least 3 makers stand on each side, so that no one
//! maker's status can be read from it). Officials see the purchases into their region
//! ([`purchases`]).

pub mod purchases;

use crate::accounts::authz::Action;
use crate::catalog::reference::Reference;
use crate::clock::Clock;
use crate::db::audit::{self, AuditEvent};
use crate::db::carts::{CartKey, CartOwner};
use crate::db::organisations::{self as q, Member, OrganisationRow, Parcel};
use crate::db::Db;
use crate::domain::account::{Principal, Role};
use crate::domain::employment_rule::RuleConfig;
use crate::domain::organisation::{csv_lines, invoice_number, OrganisationInput};
use crate::error::AppError;
use crate::orders::authorize_workshop;
use crate::orders::Orders;
use purchases::Purchases;
use serde::Serialize;
use std::sync::Arc;

/// The most parcels the organisation's page lists (newest first).
const PARCELS_SHOWN: i64 = 200;

/// The institutional buyers' service.
#[derive(Clone)]
pub struct Organisations {
    db: Db,
    clock: Clock,
    reference: Arc<Reference>,
    rule: RuleConfig,
    orders: Orders,
}

/// What a buyer's organisation page shows: nothing but the form when they belong to none.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = OrganisationPage)]
pub struct OrganisationPage {
    pub organisation: Option<OrganisationRow>,
    pub is_admin: bool,
    pub members: Vec<Member>,
    pub parcels: Vec<Parcel>,
    pub purchases: Option<Purchases>,
}

fn unique_violation(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
}

impl Organisations {
    pub fn new(db: Db, clock: Clock, reference: Arc<Reference>, rule: RuleConfig, orders: Orders) -> Organisations {
        Organisations { db, clock, reference, rule, orders }
    }

    fn buyer(who: &Principal) -> Result<i64, AppError> {
        match who.role {
            Role::Buyer => Ok(who.user_id.get()),
            _ => Err(AppError::Forbidden { key: "organisation.error.buyers_only" }),
        }
    }

    /// Registers an organisation with `who` as its administrator; a buyer already in one, or a
    /// credit code already registered, is refused.
    pub async fn register(&self, who: &Principal, input: OrganisationInput) -> Result<i64, AppError> {
        let user = Self::buyer(who)?;
        let new = input.parse()?;
        let now = self.clock.now().naive_utc();
        self.db
            .write(move |conn| {
                if q::membership(conn, user)?.is_some() {
                    return Err(AppError::BadRequest { field: "legal_name", key: "error.already_member" });
                }
                let id = q::insert(conn, &new, user, now).map_err(|e| {
                    if unique_violation(&e) {
                        AppError::BadRequest { field: "credit_code", key: "error.credit_code_taken" }
                    } else {
                        e.into()
                    }
                })?;
                // A second registration racing this one finds the user taken: the same answer.
                q::add_member(conn, id, user, true, now).map_err(|e| {
                    if unique_violation(&e) {
                        AppError::BadRequest { field: "legal_name", key: "error.already_member" }
                    } else {
                        e.into()
                    }
                })?;
                let detail = serde_json::json!({ "credit_code": new.credit_code.as_str() });
                audit::append(
                    conn,
                    AuditEvent::new(
                        Some(who_id(user)),
                        "organisation.registered",
                        format!("organisation:{id}"),
                        detail,
                    ),
                    now,
                )?;
                Ok(id)
            })
            .await
    }

    /// Adds a buyer (by e-mail) to the administrator's organisation.
    pub async fn add_member(&self, who: &Principal, email: &str) -> Result<(), AppError> {
        let user = Self::buyer(who)?;
        let email = email.trim().to_lowercase();
        let now = self.clock.now().naive_utc();
        self.db
            .write(move |conn| {
                let (org, admin) = q::membership(conn, user)?.ok_or(AppError::NotFound)?;
                if !admin {
                    return Err(AppError::Forbidden { key: "organisation.error.admins_only" });
                }
                let member = crate::db::accounts::user_by_email(conn, &email)?
                    .filter(|u| u.role == "buyer")
                    .ok_or(AppError::BadRequest { field: "email", key: "error.no_such_buyer" })?;
                q::add_member(conn, org.id, member.id, false, now).map_err(|e| {
                    if unique_violation(&e) {
                        AppError::BadRequest { field: "email", key: "error.already_member" }
                    } else {
                        e.into()
                    }
                })?;
                let detail = serde_json::json!({ "member": member.id });
                audit::append(
                    conn,
                    AuditEvent::new(
                        Some(who_id(user)),
                        "organisation.member_added",
                        format!("organisation:{}", org.id),
                        detail,
                    ),
                    now,
                )?;
                Ok(())
            })
            .await
    }

    /// The buyer's organisation page.
    pub async fn page(&self, who: &Principal) -> Result<OrganisationPage, AppError> {
        let user = Self::buyer(who)?;
        let this = self.clone();
        // On the primary: the page follows the user's own writes (a registration, a member).
        self.db
            .run(move |conn| {
                let Some((org, is_admin)) = q::membership(conn, user)? else {
                    return Ok(OrganisationPage {
                        organisation: None,
                        is_admin: false,
                        members: Vec::new(),
                        parcels: Vec::new(),
                        purchases: None,
                    });
                };
                let bought = q::bought_by(conn, org.id)?;
                let makers = q::maker_wages(conn, org.id)?;
                Ok(OrganisationPage {
                    members: q::members(conn, org.id)?,
                    parcels: q::parcels(conn, org.id, PARCELS_SHOWN)?,
                    purchases: Some(purchases::of(&bought, &makers, &this.reference, &this.rule)?),
                    organisation: Some(org),
                    is_admin,
                })
            })
            .await
    }

    /// The organisation a buyer belongs to, if any (for the checkout form).
    pub async fn of(&self, who: &Principal) -> Result<Option<OrganisationRow>, AppError> {
        let user = who.user_id.get();
        self.db.run(move |conn| Ok(q::membership(conn, user)?.map(|m| m.0))).await
    }

    /// The invoice request of an order already shown to its viewer (see
    /// [`crate::orders::Orders::order_view`]), with each parcel's invoice number.
    pub async fn order_invoice(&self, number: String) -> Result<Option<q::OrderInvoice>, AppError> {
        self.db.run(move |conn| Ok(q::invoice_by_number(conn, &number)?)).await
    }

    /// Puts the lines of an uploaded CSV into the member's cart, all or none; returns how many.
    pub async fn upload_lines(&self, who: &Principal, csv: &[u8]) -> Result<usize, AppError> {
        let user = Self::buyer(who)?;
        if self.of(who).await?.is_none() {
            return Err(AppError::NotFound);
        }
        let lines = csv_lines(csv)?
            .into_iter()
            .map(|l| {
                let key = CartKey { product: l.product_id, variant: l.variant_id.map(crate::domain::ids::VariantId) };
                (l.row, key, l.quantity)
            })
            .collect();
        self.orders.fill_cart(CartOwner::User(user), lines).await
    }

    /// Records the invoice number the workshop issued for a parcel of an organisation's order.
    pub async fn record_invoice(&self, who: &Principal, shipment: i64, number: &str) -> Result<(), AppError> {
        let number = invoice_number(number)?;
        let (who, now) = (who.clone(), self.clock.now().naive_utc());
        self.db
            .write(move |conn| {
                let s = crate::db::order_views::shipment(conn, shipment)?.ok_or(AppError::NotFound)?;
                authorize_workshop(&who, Action::FulfilOrders, s.workshop_id)?;
                if !q::parcel_wants_invoice(conn, shipment)? {
                    return Err(AppError::BadRequest { field: "invoice_number", key: "error.no_invoice_requested" });
                }
                // An issued invoice is a record: a second number is refused, not written over.
                if q::invoice_number_of(conn, shipment)?.is_some() {
                    return Err(AppError::Conflict { key: "organisation.error.invoice_recorded" });
                }
                q::set_invoice_number(conn, shipment, &number)?;
                let detail = serde_json::json!({ "invoice_number": number });
                audit::append(
                    conn,
                    AuditEvent::new(Some(who.user_id), "shipment.invoice", format!("shipment:{shipment}"), detail),
                    now,
                )?;
                Ok(())
            })
            .await
    }
}

fn who_id(user: i64) -> crate::domain::account::UserId {
    crate::domain::account::UserId(user)
}

//! The tables of institutional buyers: `organisations`, their `organisation_members`, the
//! invoice request an order carries (`order_invoices`), the invoice number on a parcel; and
//! what an organisation bought, summed from the journal by the same rules as the reports.

use super::reports::{utc_bounds, WorkshopFilter, SUMS};
use super::schema::{order_invoices, orders, organisation_members, organisations, shipments, users, workshops};
use super::DbConn;
use crate::domain::organisation::NewOrganisation;
use crate::domain::period::ReportPeriod;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::Serialize;

/// An organisation as stored.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = organisations)]
#[schema(as = Organisation)]
pub struct OrganisationRow {
    pub id: i64,
    pub legal_name: String,
    pub credit_code: String,
    pub invoice_title: String,
    pub tax_number: String,
    pub invoice_address: String,
    #[serde(skip)]
    pub created_by: i64,
    #[serde(serialize_with = "crate::clock::china_time")]
    #[schema(value_type = String)]
    pub created_at: NaiveDateTime,
}

/// Records an organisation; returns its id (a credit code already registered is a unique
/// violation).
pub fn insert(conn: &mut DbConn, o: &NewOrganisation, by: i64, now: NaiveDateTime) -> QueryResult<i64> {
    diesel::insert_into(organisations::table)
        .values((
            organisations::legal_name.eq(&o.legal_name),
            organisations::credit_code.eq(o.credit_code.as_str()),
            organisations::invoice_title.eq(&o.invoice_title),
            organisations::tax_number.eq(&o.tax_number),
            organisations::invoice_address.eq(&o.invoice_address),
            organisations::created_by.eq(by),
            organisations::created_at.eq(now),
        ))
        .returning(organisations::id)
        .get_result(conn)
}

/// Adds a member (a user already in an organisation is a unique violation).
pub fn add_member(conn: &mut DbConn, org: i64, user: i64, is_admin: bool, now: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(organisation_members::table)
        .values((
            organisation_members::organisation_id.eq(org),
            organisation_members::user_id.eq(user),
            organisation_members::is_admin.eq(is_admin),
            organisation_members::added_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The organisation a user buys for, and whether they administer it.
pub fn membership(conn: &mut DbConn, user: i64) -> QueryResult<Option<(OrganisationRow, bool)>> {
    organisation_members::table
        .inner_join(organisations::table)
        .filter(organisation_members::user_id.eq(user))
        .select((OrganisationRow::as_select(), organisation_members::is_admin))
        .first(conn)
        .optional()
}

/// A member as the organisation's page lists them.
#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
#[schema(as = OrganisationMember)]
pub struct Member {
    pub user_id: i64,
    pub display_name: String,
    pub email: String,
    pub is_admin: bool,
}

/// An organisation's members, administrators first.
pub fn members(conn: &mut DbConn, org: i64) -> QueryResult<Vec<Member>> {
    organisation_members::table
        .inner_join(users::table)
        .filter(organisation_members::organisation_id.eq(org))
        .order((organisation_members::is_admin.desc(), users::id))
        .select((users::id, users::display_name, users::email, organisation_members::is_admin))
        .load(conn)
}

/// Freezes an order's invoice request from its organisation's details.
pub fn insert_invoice(conn: &mut DbConn, order: i64, org: &OrganisationRow) -> QueryResult<()> {
    diesel::insert_into(order_invoices::table)
        .values((
            order_invoices::order_id.eq(order),
            order_invoices::organisation_id.eq(org.id),
            order_invoices::title.eq(&org.invoice_title),
            order_invoices::tax_number.eq(&org.tax_number),
            order_invoices::address.eq(&org.invoice_address),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The invoice request of an order, if it carries one: `(title, tax number, address)`.
pub fn invoice_of(conn: &mut DbConn, order: i64) -> QueryResult<Option<(String, String, String)>> {
    order_invoices::table
        .find(order)
        .select((order_invoices::title, order_invoices::tax_number, order_invoices::address))
        .first(conn)
        .optional()
}

/// The invoice request of an order by its number, with each parcel's invoice number so far.
pub fn invoice_by_number(conn: &mut DbConn, number: &str) -> QueryResult<Option<OrderInvoice>> {
    let Some((order, title, tax_number, address, organisation)) = order_invoices::table
        .inner_join(orders::table)
        .inner_join(organisations::table)
        .filter(orders::number.eq(number))
        .select((
            orders::id,
            order_invoices::title,
            order_invoices::tax_number,
            order_invoices::address,
            organisations::legal_name,
        ))
        .first::<(i64, String, String, String, String)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let parcels = shipments::table
        .filter(shipments::order_id.eq(order))
        .order(shipments::id)
        .select((shipments::id, shipments::invoice_number))
        .load::<(i64, Option<String>)>(conn)?
        .into_iter()
        .map(|(id, n)| (id.to_string(), n))
        .collect();
    Ok(Some(OrderInvoice { organisation, title, tax_number, address, parcels }))
}

/// An order's invoice request as its page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct OrderInvoice {
    pub organisation: String,
    pub title: String,
    pub tax_number: String,
    pub address: String,
    /// Each parcel's invoice number (by shipment id), once the workshop recorded it.
    pub parcels: std::collections::BTreeMap<String, Option<String>>,
}

/// A parcel of an organisation's order, with its invoice number once recorded.
#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
#[schema(as = OrganisationParcel)]
pub struct Parcel {
    pub order_number: String,
    pub order_status: String,
    pub total_fen: i64,
    pub shipment_id: i64,
    pub shipment_status: String,
    pub workshop_name_zh: String,
    pub workshop_name_en: String,
    pub invoice_number: Option<String>,
    #[serde(serialize_with = "crate::clock::china_time")]
    #[schema(value_type = String)]
    pub ordered_at: NaiveDateTime,
}

/// The parcels of an organisation's orders, newest order first (at most `limit`).
pub fn parcels(conn: &mut DbConn, org: i64, limit: i64) -> QueryResult<Vec<Parcel>> {
    order_invoices::table
        .inner_join(orders::table)
        .inner_join(shipments::table.on(shipments::order_id.eq(order_invoices::order_id)))
        .inner_join(workshops::table.on(workshops::id.eq(shipments::workshop_id)))
        .filter(order_invoices::organisation_id.eq(org))
        .order((orders::id.desc(), shipments::id))
        .limit(limit)
        .select((
            orders::number,
            orders::status,
            orders::total_fen,
            shipments::id,
            shipments::status,
            workshops::name_zh,
            workshops::name_en,
            shipments::invoice_number,
            orders::created_at,
        ))
        .load(conn)
}

/// Records a parcel's invoice number.
pub fn set_invoice_number(conn: &mut DbConn, shipment: i64, number: &str) -> QueryResult<usize> {
    diesel::update(shipments::table.find(shipment)).set(shipments::invoice_number.eq(number)).execute(conn)
}

/// The invoice number recorded on a parcel, if any.
pub fn invoice_number_of(conn: &mut DbConn, shipment: i64) -> QueryResult<Option<String>> {
    shipments::table.find(shipment).select(shipments::invoice_number).first(conn).optional().map(Option::flatten)
}

/// Whether the order of this number carries an invoice request.
pub fn has_invoice(conn: &mut DbConn, number: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        order_invoices::table.inner_join(orders::table).filter(orders::number.eq(number)),
    ))
    .get_result(conn)
}

/// Whether a parcel belongs to an order that asked for an invoice.
pub fn parcel_wants_invoice(conn: &mut DbConn, shipment: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        shipments::table
            .inner_join(order_invoices::table.on(order_invoices::order_id.eq(shipments::order_id)))
            .filter(shipments::id.eq(shipment)),
    ))
    .get_result(conn)
}

/// What a buyer bought of one workshop, from the journal (sales net of refunds).
#[derive(Debug, Clone, Default, PartialEq, Eq, QueryableByName, Serialize)]
pub struct Bought {
    /// The organisation (for the officials' list) or 0.
    #[diesel(sql_type = BigInt)]
    pub organisation_id: i64,
    #[diesel(sql_type = Text)]
    pub legal_name: String,
    #[diesel(sql_type = BigInt)]
    pub workshop_id: i64,
    #[diesel(sql_type = Text)]
    pub workshop_name_zh: String,
    #[diesel(sql_type = Text)]
    pub workshop_name_en: String,
    #[diesel(sql_type = Text)]
    pub county_code: String,
    #[diesel(sql_type = BigInt)]
    pub gross_fen: i64,
    #[diesel(sql_type = BigInt)]
    pub commission_fen: i64,
    #[diesel(sql_type = BigInt)]
    pub wages_fen: i64,
    #[diesel(sql_type = BigInt)]
    pub registered_poor_fen: i64,
    #[diesel(sql_type = BigInt)]
    pub lifted_out_fen: i64,
    #[diesel(sql_type = BigInt)]
    pub monitored_fen: i64,
    #[diesel(sql_type = BigInt)]
    pub designer_fen: i64,
}

/// The journal's sales postings of organisations' orders under a condition on `e`, `i`
/// (invoices) and `k` (workshops), by organisation and workshop.
fn bought(condition: &str) -> String {
    format!(
        "SELECT i.organisation_id AS organisation_id, o.legal_name AS legal_name, e.workshop_id AS workshop_id, \
         k.name_zh AS workshop_name_zh, k.name_en AS workshop_name_en, k.county_code AS county_code, {SUMS} \
         FROM journal_entries e JOIN journal_postings p ON p.entry_id = e.id \
         JOIN order_lines l ON l.id = e.order_line_id JOIN order_invoices i ON i.order_id = l.order_id \
         JOIN organisations o ON o.id = i.organisation_id JOIN workshops k ON k.id = e.workshop_id \
         WHERE e.kind IN ('capture', 'refund') AND {condition} \
         GROUP BY i.organisation_id, o.legal_name, e.workshop_id, k.name_zh, k.name_en, k.county_code ORDER BY 1, 3"
    )
}

/// What one organisation bought, by workshop.
pub fn bought_by(conn: &mut DbConn, org: i64) -> QueryResult<Vec<Bought>> {
    diesel::sql_query(bought(&format!("i.organisation_id = {org}"))).load(conn)
}

/// What organisations bought of the workshops under `filter` in a period, by organisation and
/// workshop.
pub fn bought_in(conn: &mut DbConn, filter: &WorkshopFilter, period: &ReportPeriod) -> QueryResult<Vec<Bought>> {
    let (from, to) = utc_bounds(period);
    let condition = format!("{} AND e.posted_at >= '{from}' AND e.posted_at < '{to}'", filter.sql());
    diesel::sql_query(bought(&condition)).load(conn)
}

/// One maker's net wages from an organisation's orders under one household status.
#[derive(Debug, Clone, QueryableByName)]
pub struct MakerWages {
    #[diesel(sql_type = BigInt)]
    pub worker_id: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub household_status: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub wages_fen: i64,
}

/// The makers' wages from an organisation's orders, net of refunds, by maker and status.
pub fn maker_wages(conn: &mut DbConn, org: i64) -> QueryResult<Vec<MakerWages>> {
    diesel::sql_query(format!(
        "SELECT p.worker_id AS worker_id, p.household_status AS household_status, \
         CAST(SUM(p.amount_fen) AS BIGINT) AS wages_fen \
         FROM journal_entries e JOIN journal_postings p ON p.entry_id = e.id \
         JOIN order_lines l ON l.id = e.order_line_id JOIN order_invoices i ON i.order_id = l.order_id \
         WHERE e.kind IN ('capture', 'refund') AND p.account = 'wages_payable' AND i.organisation_id = {org} \
         GROUP BY p.worker_id, p.household_status"
    ))
    .load(conn)
}

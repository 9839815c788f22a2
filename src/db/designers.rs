//! Workstations, their designers, and a product's design credit and share (migration
//! `2026-12-15-000001_designers`).

use super::schema::{designers, products, workstations};
use super::DbConn;
use crate::domain::ids::ProductId;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

/// A workstation as stored.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = workstations)]
pub struct WorkstationRow {
    pub id: i64,
    pub name_zh: String,
    pub name_en: String,
    pub region_code: String,
}

/// A designer as stored.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = designers)]
pub struct DesignerRow {
    pub id: i64,
    pub workstation_id: Option<i64>,
    pub name_zh: String,
    pub name_latin: String,
}

/// Adds a workstation; returns its id.
pub fn insert_workstation(
    conn: &mut DbConn,
    name_zh: &str,
    name_en: &str,
    region: &str,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(workstations::table)
        .values((
            workstations::name_zh.eq(name_zh),
            workstations::name_en.eq(name_en),
            workstations::region_code.eq(region),
            workstations::created_at.eq(now),
        ))
        .returning(workstations::id)
        .get_result(conn)
}

/// Adds a designer to a workstation; returns their id.
pub fn insert_designer(
    conn: &mut DbConn,
    workstation: i64,
    name_zh: &str,
    name_latin: &str,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(designers::table)
        .values((
            designers::workstation_id.eq(workstation),
            designers::name_zh.eq(name_zh),
            designers::name_latin.eq(name_latin),
            designers::created_at.eq(now),
        ))
        .returning(designers::id)
        .get_result(conn)
}

/// Every workstation, by name.
pub fn workstations(conn: &mut DbConn) -> QueryResult<Vec<WorkstationRow>> {
    workstations::table.order(workstations::name_zh).select(WorkstationRow::as_select()).load(conn)
}

/// Every designer, by name.
pub fn designers(conn: &mut DbConn) -> QueryResult<Vec<DesignerRow>> {
    designers::table.order((designers::name_zh, designers::id)).select(DesignerRow::as_select()).load(conn)
}

pub fn workstation(conn: &mut DbConn, id: i64) -> QueryResult<Option<WorkstationRow>> {
    workstations::table.find(id).select(WorkstationRow::as_select()).first(conn).optional()
}

pub fn designer(conn: &mut DbConn, id: i64) -> QueryResult<Option<DesignerRow>> {
    designers::table.find(id).select(DesignerRow::as_select()).first(conn).optional()
}

/// A product's design credit: `(designer, workstation, designer_bp)`.
pub fn credit_of(conn: &mut DbConn, product: ProductId) -> QueryResult<(Option<i64>, Option<i64>, i32)> {
    products::table
        .find(product.get())
        .select((products::designer_id, products::credit_workstation_id, products::designer_bp))
        .first(conn)
}

/// Sets a product's design credit and share.
pub fn set_credit(
    conn: &mut DbConn,
    product: ProductId,
    designer: Option<i64>,
    workstation: Option<i64>,
    bp: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(products::table.find(product.get()))
        .set((
            products::designer_id.eq(designer),
            products::credit_workstation_id.eq(workstation),
            products::designer_bp.eq(bp),
            products::updated_at.eq(now),
        ))
        .execute(conn)
}

/// The names a product's page shows for its credit: the designer's (if any) and the
/// workstation's (the designer's own, or the one credited).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Credit {
    pub designer_zh: Option<String>,
    pub designer_latin: Option<String>,
    pub workstation_zh: Option<String>,
    pub workstation_en: Option<String>,
}

/// The credit of a product, if it has one.
pub fn credit(conn: &mut DbConn, product: ProductId) -> QueryResult<Option<Credit>> {
    let (designer, workstation, _) = credit_of(conn, product)?;
    let d = match designer {
        Some(id) => self::designer(conn, id)?,
        None => None,
    };
    let w = match workstation.or(d.as_ref().and_then(|d| d.workstation_id)) {
        Some(id) => self::workstation(conn, id)?,
        None => None,
    };
    if d.is_none() && w.is_none() {
        return Ok(None);
    }
    Ok(Some(Credit {
        designer_zh: d.as_ref().map(|d| d.name_zh.clone()),
        designer_latin: d.map(|d| d.name_latin),
        workstation_zh: w.as_ref().map(|w| w.name_zh.clone()),
        workstation_en: w.map(|w| w.name_en),
    }))
}

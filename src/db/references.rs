//! User input that names another row (a heritage item, a county), checked inside the write
//! that stores it. SQLite's foreign-key error does not say which key failed, so a wrong
//! reference is found here and answered as the user's 400 naming the field, on both backends.
//! Any violation that still reaches the database is a 400 too (see `error.rs`).

use super::schema::{heritage_items, regions};
use super::DbConn;
use crate::domain::region::RegionLevel;
use crate::error::AppError;
use diesel::prelude::*;

/// Refuses a heritage item id that is not in the list.
pub fn heritage_item(conn: &mut DbConn, field: &'static str, id: i64) -> Result<(), AppError> {
    let found: i64 = heritage_items::table.filter(heritage_items::id.eq(id)).count().get_result(conn)?;
    if found == 0 {
        return Err(AppError::BadRequest { field, key: "error.unknown_reference" });
    }
    Ok(())
}

/// Refuses a region code that is not a county (or county-level district) in the reference data.
pub fn county(conn: &mut DbConn, field: &'static str, code: &str) -> Result<(), AppError> {
    let found: i64 = regions::table
        .filter(regions::code.eq(code))
        .filter(regions::level.eq(RegionLevel::County.as_str()))
        .count()
        .get_result(conn)?;
    if found == 0 {
        return Err(AppError::BadRequest { field, key: "error.unknown_county" });
    }
    Ok(())
}

/// Refuses a region code (of any level) that is not in the reference data.
pub fn region(conn: &mut DbConn, field: &'static str, code: &str) -> Result<(), AppError> {
    let found: i64 = regions::table.filter(regions::code.eq(code)).count().get_result(conn)?;
    if found == 0 {
        return Err(AppError::BadRequest { field, key: "error.region_code" });
    }
    Ok(())
}

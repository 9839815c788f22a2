//! The reports' part of `gongfang audit verify`: the roll-up equals the journal, row by row,
//! and every recorded export's and annual evaluation's digest is what the journal gives for
//! what it covered.

use crate::db::reports::{self as q, MonthRow};
use crate::db::DbConn;
use crate::error::AppError;
use std::collections::BTreeMap;

/// What the check found.
#[derive(Debug, Clone, Default)]
pub struct ReportsCheck {
    pub rollup_rows: usize,
    pub exports: usize,
    pub annuals: usize,
    pub problems: Vec<String>,
}

type Key = (i64, String, i64);

fn keyed(rows: Vec<MonthRow>) -> BTreeMap<Key, MonthRow> {
    rows.into_iter().map(|r| ((r.workshop_id, r.month.clone(), r.heritage_item_id), r)).collect()
}

/// Recomputes the roll-up from the journal and every export's digest.
pub fn check(conn: &mut DbConn) -> Result<ReportsCheck, AppError> {
    let stored = keyed(q::all_rolled_up(conn)?);
    let journal = keyed(q::all_from_journal(conn)?);
    let mut problems = Vec::new();
    for (k, j) in &journal {
        match stored.get(k) {
            Some(s) if s == j => {}
            Some(s) => problems.push(format!(
                "report roll-up (workshop {}, {}, heritage item {}) holds gross {} / commission {} / wages {}; the journal gives {} / {} / {}",
                k.0, k.1, k.2, s.gross_fen, s.commission_fen, s.wages_fen, j.gross_fen, j.commission_fen, j.wages_fen
            )),
            None => problems.push(format!("report roll-up lacks workshop {}, {}, heritage item {}", k.0, k.1, k.2)),
        }
    }
    for k in stored.keys().filter(|k| !journal.contains_key(*k)) {
        problems.push(format!(
            "report roll-up has workshop {}, {}, heritage item {} with no journal postings",
            k.0, k.1, k.2
        ));
    }
    let (exports, export_problems) = super::export::verify_exports(conn)?;
    problems.extend(export_problems);
    let (annuals, annual_problems) = super::annual::verify_annuals(conn)?;
    problems.extend(annual_problems);
    Ok(ReportsCheck { rollup_rows: stored.len(), exports, annuals, problems })
}

//! The annual evaluation (年度评估) of a province, a key support area (any region) or the whole
//! country for one year: workshops established, certified and lapsed; employment and the
//! poor-household share against the threshold; wages and their poor-household part; designers'
//! shares apart; training; sales by heritage item; the workshops needing attention; and every
//! headline against the year before.
//!
//! It is the dashboard's figures for the two years, read in one snapshot, plus what only the
//! year's document shows (workshops established, sales by heritage item). Each document built
//! is recorded with the SHA-256 of the journal-derived figures of both years, which `gongfang
//! audit verify` recomputes ([`verify_annuals`]). The files are made by [`super::annual_files`].

use super::figures::{poor_wages, DEFINITIONS};
use super::scope::Scope;
use super::{Dashboard, Reports, Request, Viewer};
use crate::db::annuals::{self, AnnualRow};
use crate::db::audit::{self, AuditEvent};
use crate::db::reports::{self as q, MonthRow, Slice, WorkshopFilter};
use crate::db::DbConn;
use crate::domain::period::ReportPeriod;
use crate::error::AppError;
use chrono::Datelike;
use serde::Serialize;
use std::collections::BTreeMap;

/// The sales of one heritage item in the year, with the year before's for comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = AnnualHeritageSales)]
pub struct HeritageSales {
    pub heritage_item_id: i64,
    pub name_zh: String,
    pub name_en: String,
    pub gross_fen: i64,
    pub net_fen: i64,
    pub wages_fen: i64,
    pub poor_wages_fen: i64,
    pub previous_gross_fen: i64,
}

/// A headline against the year before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = AnnualChange)]
pub struct Change {
    /// The figure's stable name (a dashboard figure's key, or `established`).
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub current: i64,
    pub previous: i64,
    /// `current − previous`.
    pub delta: i64,
    /// Whether the figure is money in fen.
    pub money: bool,
    /// The change as a percentage of last year's, `+12.5%`; `—` when last year's is 0.
    pub change_text: String,
}

/// One annual evaluation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = AnnualEvaluation)]
pub struct Annual {
    pub year: i32,
    pub name_zh: String,
    pub name_en: String,
    /// The region evaluated; none for the whole country.
    pub region_code: Option<String>,
    /// The year's dashboard: totals, the rows one level down, months and workshops at risk.
    pub current: Dashboard,
    /// The year before's, for the changes.
    pub previous: Dashboard,
    /// Workshops whose certificate was issued in the year.
    pub established: i64,
    pub established_previous: i64,
    /// The poor-household share of workers this year and last, and of wages this year, as
    /// people read them (`33.3%`).
    pub headcount_share_text: String,
    pub previous_headcount_share_text: String,
    pub income_share_text: String,
    /// Sales by heritage item, largest first.
    pub heritage: Vec<HeritageSales>,
    pub changes: Vec<Change>,
    /// SHA-256 of the journal-derived figures of both years, as recorded for `audit verify`.
    pub digest: String,
    /// When it was built, China time (`YYYY-MM-DD HH:MM`).
    pub generated: String,
    /// The record's id in `report_annuals`.
    pub annual_id: i64,
}

/// The headlines compared with the year before, in order.
const HEADLINES: [&str; 14] = [
    "workshops",
    "established",
    "certified",
    "lapsed",
    "workers",
    "poor_workers",
    "gross_fen",
    "net_fen",
    "wages_fen",
    "poor_wages_fen",
    "designer_fen",
    "trained_workers",
    "poor_trained_workers",
    "training_hours",
];

/// The name of `established`, which only the annual evaluation shows.
pub const ESTABLISHED: (&str, &str) = ("当年新认定", "Established");

fn headline(d: &Dashboard, established: i64, key: &str) -> i64 {
    let f = &d.totals;
    match key {
        "workshops" => f.workshops,
        "established" => established,
        "certified" => f.certified,
        "lapsed" => f.lapsed,
        "workers" => f.workers,
        "poor_workers" => f.poor_workers,
        "gross_fen" => f.gross_fen,
        "net_fen" => f.net_fen,
        "wages_fen" => f.wages_fen,
        "poor_wages_fen" => f.poor_wages_fen,
        "designer_fen" => f.designer_fen,
        "trained_workers" => f.trained_workers,
        "poor_trained_workers" => f.poor_trained_workers,
        "training_hours" => f.training_hours,
        _ => 0,
    }
}

/// `+12.5%`, `-3.0%`, or `—` when there is nothing to compare with.
fn change_text(delta: i64, previous: i64) -> String {
    if previous <= 0 {
        return "—".to_owned();
    }
    let share = crate::domain::employment_rule::Share::new(delta.unsigned_abs().min(i64::MAX as u64) as i64, previous);
    let sign = if delta < 0 { "-" } else { "+" };
    format!("{sign}{}", share.percent_text())
}

fn changes(current: &Dashboard, previous: &Dashboard, est: (i64, i64)) -> Result<Vec<Change>, AppError> {
    HEADLINES
        .iter()
        .map(|key| {
            let (now, before) = (headline(current, est.0, key), headline(previous, est.1, key));
            let delta = now
                .checked_sub(before)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("annual change of {key} overflows")))?;
            let (name_zh, name_en) = match *key {
                "established" => ESTABLISHED,
                k => DEFINITIONS.iter().find(|d| d.key == k).map_or((k, k), |d| (d.name_zh, d.name_en)),
            };
            Ok(Change {
                key: (*key).to_owned(),
                name_zh: name_zh.to_owned(),
                name_en: name_en.to_owned(),
                current: now,
                previous: before,
                delta,
                money: key.ends_with("_fen"),
                change_text: change_text(delta, before),
            })
        })
        .collect()
}

/// The label the digest of an annual evaluation covers.
fn label(region: Option<&str>, year: i32) -> String {
    format!("annual|{}|{year}", region.unwrap_or("-"))
}

/// The slice of a recorded region (none: the whole country) and period.
fn slice(region: Option<&str>, period: ReportPeriod) -> Result<Slice, AppError> {
    let workshops = match region {
        None => WorkshopFilter::All,
        Some(code) => {
            let code = crate::domain::RegionCode::parse(code)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("annual evaluation of region {code:?}")))?;
            WorkshopFilter::of_region(&code)
        }
    };
    Ok(Slice { workshops, period, heritage_item_id: None })
}

/// A year as a report period, and the year before; a year outside 2000 up to this one is
/// refused, naming `year`.
fn years(year: i32, today: chrono::NaiveDate) -> Result<(ReportPeriod, ReportPeriod), AppError> {
    let bad = AppError::BadRequest { field: "year", key: "report.bad_year" };
    if !(2001..=today.year()).contains(&year) {
        return Err(bad);
    }
    let parse = |y: i32| ReportPeriod::parse(&y.to_string());
    match (parse(year), parse(year - 1)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(bad),
    }
}

/// Sales by heritage item from the roll-up rows of the two years, largest first.
fn heritage_sales(reports: &Reports, now: &[MonthRow], before: &[MonthRow]) -> Result<Vec<HeritageSales>, AppError> {
    let overflow = || AppError::Internal(anyhow::anyhow!("annual heritage sales overflow"));
    let mut by: BTreeMap<i64, HeritageSales> = BTreeMap::new();
    for r in now {
        let e = by.entry(r.heritage_item_id).or_default();
        e.gross_fen = e.gross_fen.checked_add(r.gross_fen).ok_or_else(overflow)?;
        let net = r.gross_fen.checked_sub(r.commission_fen).ok_or_else(overflow)?;
        e.net_fen = e.net_fen.checked_add(net).ok_or_else(overflow)?;
        e.wages_fen = e.wages_fen.checked_add(r.wages_fen).ok_or_else(overflow)?;
        e.poor_wages_fen = e.poor_wages_fen.checked_add(poor_wages(r, &reports.rule)).ok_or_else(overflow)?;
    }
    for r in before {
        let e = by.entry(r.heritage_item_id).or_default();
        e.previous_gross_fen = e.previous_gross_fen.checked_add(r.gross_fen).ok_or_else(overflow)?;
    }
    let mut out: Vec<HeritageSales> = by
        .into_iter()
        .map(|(id, mut s)| {
            s.heritage_item_id = id;
            let names = reports.reference.heritage_item(id).map(|h| (h.name_zh.clone(), h.name_en.clone()));
            (s.name_zh, s.name_en) = names.unwrap_or_else(|| (id.to_string(), id.to_string()));
            s
        })
        .collect();
    out.sort_by(|a, b| b.gross_fen.cmp(&a.gross_fen).then(a.heritage_item_id.cmp(&b.heritage_item_id)));
    Ok(out)
}

impl Reports {
    /// The last full year (China time): the year evaluated when none is named.
    pub fn last_year(&self) -> i32 {
        self.clock.today().year() - 1
    }

    /// Builds the annual evaluation of `region` (the whole country when none) for `year`,
    /// records it with its digest, and audits it as `report.annual`. Officials get their own
    /// region or one inside it (any other is 404).
    pub async fn annual(&self, viewer: Viewer, region: Option<String>, year: i32) -> Result<Annual, AppError> {
        let (this, actor) = (self.clone(), viewer.actor);
        let mut annual = self
            .db
            .read(move |conn| {
                crate::db::tx::snapshot(conn, |conn| this.annual_as(conn, &viewer, region.as_deref(), year))
            })
            .await?;
        let now = self.clock.now();
        let row = AnnualRow {
            id: 0,
            region_code: annual.region_code.clone(),
            year,
            upto_entry_id: annual.current.upto_entry_id,
            digest: annual.digest.clone(),
            created_by: actor.map(|u| u.get()),
            created_at: now.naive_utc(),
        };
        annual.annual_id = self
            .db
            .write(move |conn| {
                let id = annuals::insert(conn, &row)?;
                let detail = serde_json::json!({ "region": row.region_code, "year": row.year, "digest": row.digest });
                audit::append(
                    conn,
                    AuditEvent::new(actor, "report.annual", format!("report_annual:{id}"), detail),
                    row.created_at,
                )?;
                Ok(id)
            })
            .await?;
        Ok(annual)
    }

    /// Reads the evaluation (only reads: run it in a snapshot).
    fn annual_as(
        &self,
        conn: &mut DbConn,
        viewer: &Viewer,
        region: Option<&str>,
        year: i32,
    ) -> Result<Annual, AppError> {
        let (this_year, last_year) = years(year, self.clock.today())?;
        let req = Request { region: region.map(str::to_owned), ..Request::default() };
        let resolved = self.resolve(conn, viewer.confined.as_ref(), &req)?;
        let region_code = match &resolved.scope {
            Scope::Region(r) => Some(r.as_str().to_owned()),
            _ => None,
        };
        let current = self.build(conn, &resolved, this_year, None)?;
        let previous = self.build(conn, &resolved, last_year, None)?;
        let (slice_now, slice_before) =
            (slice(region_code.as_deref(), this_year)?, slice(region_code.as_deref(), last_year)?);
        let (rows_now, rows_before) = (q::rolled_up(conn, &slice_now)?, q::rolled_up(conn, &slice_before)?);
        let workshops = q::workshops(conn, &slice_now)?;
        let issued_in = |y: i32| workshops.iter().filter(|w| w.cert_issued_on.is_some_and(|d| d.year() == y)).count();
        let established = (issued_in(year) as i64, issued_in(year - 1) as i64);
        let digest = super::export::digest(
            &[rows_now.as_slice(), rows_before.as_slice()].concat(),
            &label(region_code.as_deref(), year),
            current.upto_entry_id,
        );
        let generated = crate::clock::china_minute(self.clock.now());
        Ok(Annual {
            year,
            name_zh: resolved.name_zh.clone(),
            name_en: resolved.name_en.clone(),
            region_code,
            heritage: heritage_sales(self, &rows_now, &rows_before)?,
            changes: changes(&current, &previous, established)?,
            headcount_share_text: current.totals.headcount_share.percent_text(),
            previous_headcount_share_text: previous.totals.headcount_share.percent_text(),
            income_share_text: current.totals.income_share.percent_text(),
            established: established.0,
            established_previous: established.1,
            current,
            previous,
            digest,
            generated,
            annual_id: 0,
        })
    }
}

/// Recomputes every recorded annual evaluation's digest from the journal; each mismatch is
/// named.
pub fn verify_annuals(conn: &mut DbConn) -> Result<(usize, Vec<String>), AppError> {
    let recorded = annuals::all(conn)?;
    let mut problems = Vec::new();
    for a in &recorded {
        let (Some(now), Some(before)) =
            (ReportPeriod::parse(&a.year.to_string()), ReportPeriod::parse(&(a.year - 1).to_string()))
        else {
            problems.push(format!("annual evaluation {} has year {}", a.id, a.year));
            continue;
        };
        let region = a.region_code.as_deref();
        let rows = [
            q::from_journal(conn, &slice(region, now)?, Some(a.upto_entry_id))?,
            q::from_journal(conn, &slice(region, before)?, Some(a.upto_entry_id))?,
        ]
        .concat();
        let again = super::export::digest(&rows, &label(region, a.year), a.upto_entry_id);
        if again != a.digest {
            problems.push(format!(
                "annual evaluation {} ({} {}) has digest {}; the journal gives {again}",
                a.id,
                region.unwrap_or("CN"),
                a.year,
                a.digest
            ));
        }
    }
    Ok((recorded.len(), problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_signed_percentages_of_last_year() {
        assert_eq!(change_text(25, 200), "+12.5%");
        assert_eq!(change_text(-6, 200), "-3.0%");
        assert_eq!(change_text(0, 200), "+0.0%");
        assert_eq!(change_text(5, 0), "—", "nothing to compare with");
    }

    #[test]
    fn years_run_from_2001_to_this_one() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default();
        assert!(years(2025, today).is_ok());
        assert!(years(2026, today).is_ok(), "this year so far");
        for y in [2027, 2000, -5] {
            assert!(matches!(years(y, today), Err(AppError::BadRequest { field: "year", .. })), "{y}");
        }
    }
}

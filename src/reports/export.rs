//! Exports of the dashboard's tables, with the same numbers: CSV (one table) and XLSX (every
//! table, plus a sheet that defines every column). Each file is titled and dated and carries
//! the SHA-256 digest of the journal-derived figures it was built from; the export is recorded
//! with the last journal entry it includes, so `gongfang audit verify` recomputes the digest
//! from the journal alone.

use super::files::{csv_of, xlsx_of};
use super::tables::{grids, title_lines};
use super::{Reports, Request, Viewer};
use crate::db::audit::{self, AuditEvent};
use crate::db::reports::{self as q, MonthRow, Slice, WorkshopFilter};
use crate::db::DbConn;
use crate::domain::period::ReportPeriod;
use crate::domain::RegionCode;
use crate::error::AppError;
use crate::i18n::{I18n, Lang};
use sha2::{Digest, Sha256};

/// The file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// The tables of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Summary,
    Rows,
    Months,
    Risk,
    Definitions,
}

impl Table {
    pub const ALL: [Table; 5] = [Table::Summary, Table::Rows, Table::Months, Table::Risk, Table::Definitions];

    pub fn parse(s: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Table::Summary => "summary",
            Table::Rows => "rows",
            Table::Months => "months",
            Table::Risk => "risk",
            Table::Definitions => "definitions",
        }
    }
}

/// The words of an export in its reader's language: column headings, status names and the
/// title lines, from the message catalogue (the sections the tables use).
#[derive(Debug, Clone)]
pub struct Words {
    lang: Lang,
    messages: serde_json::Value,
}

impl Words {
    /// The catalogue sections an export reads, in `lang`.
    pub fn new(i18n: &I18n, lang: Lang) -> Words {
        let all = i18n.messages(lang);
        let messages = ["export", "household", "cert"]
            .into_iter()
            .filter_map(|k| all.get(k).map(|v| (k.to_owned(), v.clone())))
            .collect::<serde_json::Map<_, _>>();
        Words { lang, messages: serde_json::Value::Object(messages) }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// A message by dotted key (the key itself if it is missing, and a test fails).
    pub fn text(&self, key: &str) -> String {
        key.split('.')
            .try_fold(&self.messages, |v, k| v.get(k))
            .and_then(serde_json::Value::as_str)
            .map_or_else(|| key.to_owned(), str::to_owned)
    }

    /// The Chinese or the English of a pair, by the reader's language.
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// A finished export.
#[derive(Debug, Clone)]
pub struct ExportFile {
    pub bytes: Vec<u8>,
    pub filename: String,
    pub format: Format,
    pub digest: String,
    pub export_id: i64,
}

/// The digest of a slice's journal-derived figures: every roll-up row in key order, with what
/// the slice covered and the last entry included.
pub fn digest(rows: &[MonthRow], label: &str, upto: i64) -> String {
    let mut sorted: Vec<&MonthRow> = rows.iter().collect();
    sorted.sort_by(|a, b| {
        (a.workshop_id, &a.month, a.heritage_item_id).cmp(&(b.workshop_id, &b.month, b.heritage_item_id))
    });
    let mut h = Sha256::new();
    h.update(format!("gongfang-report-v1|{label}|{upto}\n"));
    for r in sorted {
        h.update(format!(
            "{}|{}|{}|{}|{}|{}|{}|{}|{}\n",
            r.workshop_id,
            r.month,
            r.heritage_item_id,
            r.gross_fen,
            r.commission_fen,
            r.wages_fen,
            r.registered_poor_fen,
            r.lifted_out_fen,
            r.monitored_fen
        ));
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn label(region: Option<&str>, workshop: Option<i64>, period: &str, heritage: Option<i64>) -> String {
    format!(
        "{}|{}|{period}|{}",
        region.unwrap_or("-"),
        workshop.map_or_else(|| "-".to_owned(), |w| w.to_string()),
        heritage.map_or_else(|| "-".to_owned(), |h| h.to_string())
    )
}

/// An export read from one snapshot, before it is recorded.
struct Drafted {
    file: ExportFile,
    row: q::ExportRow,
    /// The view of a workshop's worker rows, when the export holds them.
    seen: Option<AuditEvent>,
}

impl Reports {
    /// Exports a dashboard (one table as CSV, or all as XLSX) in the reader's `words` and
    /// records the export. The figures are read from one snapshot, on the replica while it
    /// keeps up; the record and its audit go to the primary before the file is handed out.
    pub async fn export(
        &self,
        viewer: Viewer,
        req: Request,
        format: Format,
        table: Table,
        words: Words,
    ) -> Result<ExportFile, AppError> {
        let (this, actor) = (self.clone(), viewer.actor);
        let Drafted { mut file, row, seen } = self
            .db
            .read(move |conn| {
                crate::db::tx::snapshot(conn, |conn| this.draft(conn, &viewer, &req, format, table, &words))
            })
            .await?;
        file.export_id = self
            .db
            .write(move |conn| {
                if let Some(event) = &seen {
                    audit::append(conn, event.clone(), row.created_at)?;
                }
                let id = q::insert_export(conn, &row)?;
                let detail = serde_json::json!({ "period": row.period, "format": row.format, "digest": row.digest });
                let event = AuditEvent::new(actor, "report.export", format!("report_export:{id}"), detail);
                audit::append(conn, event, row.created_at)?;
                Ok(id)
            })
            .await?;
        Ok(file)
    }

    /// Reads and builds an export in one snapshot (see [`crate::db::tx::snapshot`]), so that
    /// the figures and the digest match the journal.
    fn draft(
        &self,
        conn: &mut DbConn,
        viewer: &Viewer,
        req: &Request,
        format: Format,
        table: Table,
        words: &Words,
    ) -> Result<Drafted, AppError> {
        let (d, seen) = self.dashboard_as(conn, viewer, req, "report.export.workers")?;
        let slice = slice_of(d.region_code.as_deref(), d.workshop_id, &d.period, d.heritage_item_id)?;
        let rows = q::rolled_up(conn, &slice)?;
        let digest = digest(
            &rows,
            &label(d.region_code.as_deref(), d.workshop_id, &d.period, d.heritage_item_id),
            d.upto_entry_id,
        );
        let now = self.clock.now();
        let generated = crate::clock::china_minute(now);
        let titles = title_lines(&d, words, &generated, &digest);
        let grids = grids(&d, words);
        let bytes = match format {
            Format::Xlsx => xlsx_of(&grids, &titles)?,
            Format::Csv => {
                let grid = grids.iter().find(|g| g.name == table.as_str()).ok_or(AppError::NotFound)?;
                csv_of(grid, &titles)?
            }
        };
        let row = q::ExportRow {
            id: 0,
            region_code: d.region_code.clone(),
            workshop_id: d.workshop_id,
            period: d.period.clone(),
            heritage_item_id: d.heritage_item_id,
            upto_entry_id: d.upto_entry_id,
            digest: digest.clone(),
            format: format.as_str().to_owned(),
            created_by: viewer.actor.map(|u| u.get()),
            created_at: now.naive_utc(),
        };
        let scope =
            d.region_code.clone().or(d.workshop_id.map(|w| format!("workshop-{w}"))).unwrap_or_else(|| "CN".into());
        let suffix = if format == Format::Csv { format!("-{}", table.as_str()) } else { String::new() };
        let file = ExportFile {
            bytes,
            filename: format!("gongfang-report-{scope}-{}{suffix}.{}", d.period, format.as_str()),
            format,
            digest,
            export_id: 0,
        };
        Ok(Drafted { file, row, seen })
    }
}

fn slice_of(
    region: Option<&str>,
    workshop: Option<i64>,
    period: &str,
    heritage: Option<i64>,
) -> Result<Slice, AppError> {
    let bad =
        || AppError::Internal(anyhow::anyhow!("report export {region:?}/{workshop:?}/{period} cannot be read back"));
    let workshops = match (region, workshop) {
        (_, Some(w)) => WorkshopFilter::One(w),
        (Some(code), None) => WorkshopFilter::of_region(&RegionCode::parse(code).ok_or_else(bad)?),
        (None, None) => WorkshopFilter::All,
    };
    Ok(Slice { workshops, period: ReportPeriod::parse(period).ok_or_else(bad)?, heritage_item_id: heritage })
}

/// Recomputes every recorded export's digest from the journal; each mismatch is named.
pub fn verify_exports(conn: &mut DbConn) -> Result<(usize, Vec<String>), AppError> {
    let exports = q::exports(conn)?;
    let mut problems = Vec::new();
    for e in &exports {
        let slice = slice_of(e.region_code.as_deref(), e.workshop_id, &e.period, e.heritage_item_id)?;
        let rows = q::from_journal(conn, &slice, Some(e.upto_entry_id))?;
        let again = digest(
            &rows,
            &label(e.region_code.as_deref(), e.workshop_id, &e.period, e.heritage_item_id),
            e.upto_entry_id,
        );
        if again != e.digest {
            problems.push(format!(
                "report export {} ({} {}) has digest {}; the journal gives {again}",
                e.id,
                e.region_code.as_deref().unwrap_or("CN"),
                e.period,
                e.digest
            ));
        }
    }
    Ok((exports.len(), problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_ignore_row_order_but_not_values() {
        let a = MonthRow {
            workshop_id: 1,
            month: "2026-11".into(),
            heritage_item_id: 2,
            gross_fen: 100,
            ..MonthRow::default()
        };
        let b = MonthRow { workshop_id: 2, ..a.clone() };
        let d1 = digest(&[a.clone(), b.clone()], "x", 5);
        assert_eq!(d1, digest(&[b.clone(), a.clone()], "x", 5));
        assert_ne!(d1, digest(&[a.clone(), MonthRow { gross_fen: 101, ..b.clone() }], "x", 5));
        assert_ne!(d1, digest(&[a, b], "x", 6));
    }
}

//! The makers table of the product form: its rows as drawn (what was chosen and typed, kept
//! after a refusal), the running total of the shares, and the makers read back from a form
//! post, whose "add a maker" and "remove" buttons work without script.

use crate::domain::attribution::ShareBp;
use crate::domain::Fen;
use crate::error::AppError;
use crate::portal::products::MakerInput;
use crate::web::forms::FormState;
use serde::Serialize;

/// One row of the makers table as drawn: what was chosen and typed, as text.
#[derive(Debug, Clone, Default, Serialize)]
pub(super) struct MakerRow {
    worker_id: String,
    role: String,
    share: String,
    /// The row just added: its first field takes the focus.
    focus: bool,
}

/// The running total of the shares under the makers table.
#[derive(Debug, Serialize)]
pub(super) struct SharesTotal {
    /// `ok` (exactly 100%), `short` or `over`.
    state: &'static str,
    sum: String,
    left: String,
}

/// A percentage in basis points as people write it: 6000 → "60", 3750 → "37.5".
pub(crate) fn percent_text(bp: i64) -> String {
    ShareBp::new(bp).map_or_else(|| Fen(bp).yuan_string(), |b| b.percent_string()).trim_end_matches('%').to_owned()
}

/// The makers table of a form, with a row added or removed if that button was pressed;
/// always at least one row.
pub(super) fn maker_rows(form: &FormState) -> Vec<MakerRow> {
    let (workers, roles, shares) = (form.values("worker_id"), form.values("role"), form.values("share"));
    let count = workers.len().max(roles.len()).max(shares.len());
    let at = |list: &[String], i: usize| list.get(i).map(|s| s.trim().to_owned()).unwrap_or_default();
    let mut rows: Vec<MakerRow> = (0..count)
        .map(|i| MakerRow { worker_id: at(workers, i), role: at(roles, i), share: at(shares, i), focus: false })
        .collect();
    if let Some(i) = form.value("remove_maker").and_then(|v| v.parse::<usize>().ok()).filter(|i| *i < rows.len()) {
        rows.remove(i);
    }
    if form.has("add_maker") || rows.is_empty() {
        rows.push(MakerRow { role: "maker".into(), focus: form.has("add_maker"), ..MakerRow::default() });
    }
    rows
}

/// The form with its makers table's fields reported as one: a refused share or worker is
/// shown beside the table (`{p}-makers`). Applied before the refusal is recorded.
pub(crate) fn grouped(form: FormState) -> FormState {
    form.group("worker_id", "makers").group("role", "makers").group("share", "makers")
}

/// Whether the form was sent to add or remove a makers row rather than to be saved.
pub(crate) fn editing_rows(form: &FormState) -> bool {
    form.has("add_maker") || form.has("remove_maker")
}

pub(super) fn shares_total(rows: &[MakerRow]) -> SharesTotal {
    let sum: i64 = rows.iter().filter_map(|r| Fen::parse_yuan(&r.share)).map(Fen::get).sum();
    let state = match sum {
        10_000 => "ok",
        s if s > 10_000 => "over",
        _ => "short",
    };
    SharesTotal {
        state,
        sum: format!("{}%", percent_text(sum)),
        left: format!("{}%", percent_text((10_000 - sum).max(0))),
    }
}

/// The makers a form's table names: `None` when the form has no table, or (for a new
/// product) when every row is blank; otherwise every filled row, each with a worker and a
/// share in percent.
pub(crate) fn form_makers(form: &FormState, blank_is_none: bool) -> Result<Option<Vec<MakerInput>>, AppError> {
    if !form.has("worker_id") && !form.has("share") {
        return Ok(None);
    }
    let rows: Vec<MakerRow> =
        maker_rows(form).into_iter().filter(|r| !r.worker_id.is_empty() || !r.share.is_empty()).collect();
    if rows.is_empty() && blank_is_none {
        return Ok(None);
    }
    rows.iter()
        .map(|r| {
            let worker_id =
                r.worker_id.parse().map_err(|_| AppError::BadRequest { field: "worker_id", key: "error.required" })?;
            let share_bp = Fen::parse_yuan(&r.share)
                .map(Fen::get)
                .ok_or(AppError::BadRequest { field: "share", key: "error.percent" })?;
            let role = if r.role.is_empty() { "maker".to_owned() } else { r.role.clone() };
            Ok(MakerInput { worker_id, role, share_bp })
        })
        .collect::<Result<Vec<_>, AppError>>()
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(query: &str) -> FormState {
        FormState::from_pairs(crate::i18n::url_pairs(query))
    }

    #[test]
    fn the_makers_table_grows_and_shrinks_without_script() {
        let sent = form("worker_id=1&role=lead&share=60&worker_id=2&role=maker&share=30&add_maker=1");
        let rows = maker_rows(&sent);
        assert_eq!(rows.len(), 3);
        assert_eq!((rows[1].worker_id.as_str(), rows[1].share.as_str()), ("2", "30"));
        assert!(rows[2].focus && rows[2].worker_id.is_empty());
        let total = shares_total(&rows);
        assert_eq!((total.state, total.sum.as_str(), total.left.as_str()), ("short", "90%", "10%"));
        let removed = maker_rows(&form("worker_id=1&share=60&worker_id=2&share=40&remove_maker=0"));
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].worker_id, "2");
        assert_eq!(shares_total(&maker_rows(&form("worker_id=1&share=62.5&worker_id=2&share=37.5"))).state, "ok");
    }

    #[test]
    fn the_makers_of_a_form_are_its_filled_rows() {
        let read = |q: &str, blank_is_none: bool| match form_makers(&form(q), blank_is_none) {
            Ok(Some(list)) => format!("{:?}", list.iter().map(|m| (m.worker_id, m.share_bp)).collect::<Vec<_>>()),
            Ok(None) => "none".into(),
            Err(AppError::BadRequest { field, .. }) => format!("bad {field}"),
            Err(e) => format!("{e}"),
        };
        assert_eq!(read("title_zh=x", false), "none");
        assert_eq!(read("worker_id=&role=maker&share=", true), "none");
        assert_eq!(read("worker_id=&role=maker&share=", false), "[]");
        assert_eq!(read("worker_id=4&role=lead&share=62.5&worker_id=&share=", false), "[(4, 6250)]");
        assert_eq!(read("worker_id=&share=50", false), "bad worker_id");
        assert_eq!(read("worker_id=4&share=half", false), "bad share");
    }
}

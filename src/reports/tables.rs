//! The dashboard's tables for people: each table as a grid of columns headed in the reader's
//! language, money in yuan, statuses in words; after them, the same figures for programs (the
//! row's key, every amount in whole fen, every status by its stable name), last in a CSV and
//! hidden in an XLSX (written by [`super::files`]); and the title lines.

use super::export::Words;
use super::figures::{Figures, DEFINITIONS};
use super::Dashboard;

/// The figure columns of the summary and rows tables, after the key and the names.
const FIGURE_COLUMNS: [&str; 21] = [
    "workshops",
    "certified",
    "lapsed",
    "confirmation_due",
    "workers",
    "poor_workers",
    "headcount_share",
    "gross_fen",
    "commission_fen",
    "net_fen",
    "wages_fen",
    "poor_wages_fen",
    "income_share",
    "designer_fen",
    "disbursed_fen",
    "acknowledged_fen",
    "avg_monthly_poor_wage_fen",
    "trained_workers",
    "poor_trained_workers",
    "training_hours",
    "poor_training_hours",
];

/// The money columns of the months table.
const MONTH_MONEY: [&str; 6] =
    ["gross_fen", "commission_fen", "net_fen", "wages_fen", "poor_wages_fen", "designer_fen"];

/// An average: its total row shows the total's own average, never a sum of averages.
const NOT_SUMMED: [&str; 1] = ["avg_monthly_poor_wage_fen"];

/// A cell.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cell {
    /// A whole number: a count, an id, or an amount in fen in a column for programs.
    Num(i64),
    /// An amount in fen, shown to people in yuan.
    Money(i64),
    Text(String),
}

/// A column: its stable name, its heading for people, whether it is for programs (last, and
/// hidden in XLSX) and whether a total row sums it.
#[derive(Debug, Clone)]
pub(super) struct Column {
    pub(super) key: String,
    pub(super) label: String,
    pub(super) machine: bool,
    pub(super) summed: bool,
}

impl Column {
    pub(super) fn human(key: &str, label: String) -> Column {
        Column { key: key.to_owned(), label, machine: false, summed: !NOT_SUMMED.contains(&key) }
    }

    pub(super) fn machine(key: &str) -> Column {
        Column { key: key.to_owned(), label: key.to_owned(), machine: true, summed: !NOT_SUMMED.contains(&key) }
    }
}

/// A table as columns and rows of cells (in column order), and whether its last row is a
/// total.
pub(super) struct Grid {
    pub(super) name: &'static str,
    pub(super) columns: Vec<Column>,
    pub(super) rows: Vec<Vec<Cell>>,
    pub(super) total: bool,
}

/// The heading of a figure column: its defined name, with the unit for money.
pub(super) fn figure_label(words: &Words, key: &str) -> String {
    let name = DEFINITIONS.iter().find(|d| d.key == key).map_or(key, |d| words.pick(d.name_zh, d.name_en));
    if key.ends_with("_fen") {
        words.text("export.yuan").replace("{name}", name)
    } else {
        name.to_owned()
    }
}

/// The figure columns for people, then those for programs (the amounts in fen).
fn figure_columns(words: &Words, keys: &[&str]) -> (Vec<Column>, Vec<Column>) {
    let human = keys.iter().map(|k| Column::human(k, figure_label(words, k))).collect();
    let machine = keys.iter().filter(|k| k.ends_with("_fen")).map(|k| Column::machine(k)).collect();
    (human, machine)
}

/// A figure's cell for people.
fn figure_cell(f: &Figures, key: &str) -> Cell {
    match key {
        "headcount_share" => Cell::Text(f.headcount_share.percent_text()),
        "income_share" => Cell::Text(f.income_share.percent_text()),
        "avg_monthly_poor_wage_fen" => f.avg_monthly_poor_wage_fen.map_or_else(|| Cell::Text("—".into()), Cell::Money),
        k if k.ends_with("_fen") => Cell::Money(money_of(f, k)),
        k => Cell::Num(count_of(f, k)),
    }
}

fn money_of(f: &Figures, key: &str) -> i64 {
    match key {
        "gross_fen" => f.gross_fen,
        "commission_fen" => f.commission_fen,
        "net_fen" => f.net_fen,
        "wages_fen" => f.wages_fen,
        "poor_wages_fen" => f.poor_wages_fen,
        "designer_fen" => f.designer_fen,
        "disbursed_fen" => f.disbursed_fen,
        "acknowledged_fen" => f.acknowledged_fen,
        _ => 0,
    }
}

fn count_of(f: &Figures, key: &str) -> i64 {
    match key {
        "workshops" => f.workshops,
        "certified" => f.certified,
        "lapsed" => f.lapsed,
        "confirmation_due" => f.confirmation_due,
        "workers" => f.workers,
        "poor_workers" => f.poor_workers,
        "trained_workers" => f.trained_workers,
        "poor_trained_workers" => f.poor_trained_workers,
        "training_hours" => f.training_hours,
        "poor_training_hours" => f.poor_training_hours,
        _ => 0,
    }
}

/// The figures of a row: the cells for people, then the amounts in fen for programs.
fn figure_cells(f: &Figures, keys: &[&str]) -> (Vec<Cell>, Vec<Cell>) {
    let human = keys.iter().map(|k| figure_cell(f, k)).collect();
    let machine = keys
        .iter()
        .filter(|k| k.ends_with("_fen"))
        .map(|k| match (*k, f.avg_monthly_poor_wage_fen) {
            ("avg_monthly_poor_wage_fen", Some(v)) => Cell::Num(v),
            ("avg_monthly_poor_wage_fen", None) => Cell::Text(String::new()),
            (k, _) => Cell::Num(money_of(f, k)),
        })
        .collect();
    (human, machine)
}

/// Joins the parts of a row: people's cells first, programs' last.
fn row(parts: [Vec<Cell>; 4]) -> Vec<Cell> {
    parts.concat()
}

pub(super) fn grids(d: &Dashboard, words: &Words) -> Vec<Grid> {
    let (figures_h, figures_m) = figure_columns(words, &FIGURE_COLUMNS);
    let names = |first: &str, label: &str| {
        vec![
            Column::human(first, words.text(label)),
            Column::human("name_zh", words.text("export.name_zh")),
            Column::human("name_en", words.text("export.name_en")),
        ]
    };
    let scope = d.region_code.clone().or(d.workshop_id.map(|w| format!("workshop {w}"))).unwrap_or_else(|| "CN".into());
    let (totals_h, totals_m) = figure_cells(&d.totals, &FIGURE_COLUMNS);
    let summary = Grid {
        name: "summary",
        columns: [names("scope", "export.scope"), figures_h.clone(), vec![Column::machine("scope")], figures_m.clone()]
            .concat(),
        rows: vec![row([
            vec![Cell::Text(scope.clone()), Cell::Text(d.name_zh.clone()), Cell::Text(d.name_en.clone())],
            totals_h.clone(),
            vec![Cell::Text(scope)],
            totals_m.clone(),
        ])],
        total: false,
    };

    let workers = d.workshop_id.is_some();
    let status_h: Vec<Column> =
        if workers { vec![Column::human("household_status", words.text("export.household_status"))] } else { vec![] };
    let status_m: Vec<Column> = if workers { vec![Column::machine("household_status")] } else { vec![] };
    let mut rows: Vec<Vec<Cell>> = d
        .rows
        .iter()
        .map(|r| {
            let (h, m) = figure_cells(&r.figures, &FIGURE_COLUMNS);
            let status = r.household_status.map_or("", |s| s.as_str());
            let (sh, sm) = if workers {
                let word = if status.is_empty() { String::new() } else { words.text(&format!("household.{status}")) };
                (vec![Cell::Text(word)], vec![Cell::Text(status.to_owned())])
            } else {
                (vec![], vec![])
            };
            let key = Cell::Text(r.key.clone());
            row([
                [vec![key.clone(), Cell::Text(r.name_zh.clone()), Cell::Text(r.name_en.clone())], h].concat(),
                sh,
                vec![key],
                [m, sm].concat(),
            ])
        })
        .collect();
    let total = words.text("export.total");
    rows.push(row([
        [vec![Cell::Text(total.clone()), Cell::Text("合计".into()), Cell::Text("Total".into())], totals_h].concat(),
        if workers { vec![Cell::Text(String::new())] } else { vec![] },
        vec![Cell::Text("TOTAL".into())],
        [totals_m, if workers { vec![Cell::Text(String::new())] } else { vec![] }].concat(),
    ]));
    let rows = Grid {
        name: "rows",
        columns: [names("key", "export.code"), figures_h, status_h, vec![Column::machine("key")], figures_m, status_m]
            .concat(),
        rows,
        total: true,
    };

    let (months_h, months_m) = figure_columns(words, &[&MONTH_MONEY[..], &["income_share"]].concat());
    let months = Grid {
        name: "months",
        columns: [vec![Column::human("month", words.text("export.month"))], months_h, months_m].concat(),
        rows: d
            .months
            .iter()
            .map(|(m, f)| {
                let (h, fen) = figure_cells(f, &[&MONTH_MONEY[..], &["income_share"]].concat());
                row([vec![Cell::Text(m.clone())], h, vec![], fen])
            })
            .collect(),
        total: false,
    };

    let risk = Grid {
        name: "risk",
        columns: vec![
            Column::human("workshop_id", words.text("export.workshop_id")),
            Column::human("name_zh", words.text("export.name_zh")),
            Column::human("name_en", words.text("export.name_en")),
            Column::human("county_code", words.text("export.county_code")),
            Column::human("rule", words.text("export.rule_status")),
            Column::human("headcount_share", figure_label(words, "headcount_share")),
            Column::human("income_share", figure_label(words, "income_share")),
            Column::human("certification_status", words.text("export.certification")),
            Column::human("next_confirmation_due", words.text("export.next_confirmation_due")),
            Column::machine("rule_status"),
            Column::machine("certification"),
        ],
        rows: d
            .at_risk
            .iter()
            .map(|r| {
                let (rule, cert) = (r.rule.status.as_str(), r.certification.status.as_str());
                vec![
                    Cell::Num(r.workshop_id),
                    Cell::Text(r.name_zh.clone()),
                    Cell::Text(r.name_en.clone()),
                    Cell::Text(r.county_code.clone()),
                    Cell::Text(words.text(&format!("export.rule.{rule}"))),
                    Cell::Text(r.rule.headcount.percent_text()),
                    Cell::Text(r.rule.income.percent_text()),
                    Cell::Text(words.text(&format!("cert.{cert}"))),
                    Cell::Text(r.certification.next_due.map(|d| d.to_string()).unwrap_or_default()),
                    Cell::Text(rule.to_owned()),
                    Cell::Text(cert.to_owned()),
                ]
            })
            .collect(),
        total: false,
    };

    let definitions = Grid {
        name: "definitions",
        columns: vec![
            Column::human("column", words.text("export.column")),
            Column::human("definition", words.text("export.definition")),
            Column::human("machine_column", words.text("export.machine_column")),
        ],
        rows: DEFINITIONS
            .iter()
            .map(|def| {
                vec![
                    Cell::Text(figure_label(words, def.key)),
                    Cell::Text(words.pick(def.zh, def.en).to_owned()),
                    Cell::Text(def.key.to_owned()),
                ]
            })
            .chain(std::iter::once(vec![
                Cell::Text(words.text("export.money")),
                Cell::Text(words.text("export.money_note")),
                Cell::Text("*_fen".into()),
            ]))
            .collect(),
        total: false,
    };
    vec![summary, rows, months, risk, definitions]
}

/// The title and the dated line with the digest, in the reader's language.
pub(super) fn title_lines(d: &Dashboard, words: &Words, generated: &str, digest: &str) -> [String; 2] {
    [
        format!(
            "{} · {} · {}",
            words.text("export.title"),
            words.pick(&d.name_zh, &d.name_en),
            words.pick(&d.period_zh, &d.period_en)
        ),
        words
            .text("export.generated")
            .replace("{time}", generated)
            .replace("{entry}", &d.upto_entry_id.to_string())
            .replace("{digest}", digest),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_in_yuan_for_people_and_in_fen_for_programs() {
        let f = Figures { gross_fen: 123_456, wages_fen: 7, workers: 3, ..Figures::default() };
        let (human, machine) = figure_cells(&f, &["workers", "gross_fen", "wages_fen", "income_share"]);
        assert_eq!(
            human,
            vec![Cell::Num(3), Cell::Money(123_456), Cell::Money(7), Cell::Text("—".into())],
            "people read counts, yuan and percentages"
        );
        assert_eq!(machine, vec![Cell::Num(123_456), Cell::Num(7)], "programs read whole fen");
    }
}

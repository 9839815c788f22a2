//! The public impact pages: the whole country, each region and each workshop, in aggregate
//! only. A cell that counts fewer than 3 people is suppressed, with the money that would tell
//! their income. The poor-household cell is suppressed unless at least 3 of its workers are
//! from poor households and at least 3 are not, and unless its wages came from both: "6 of 6"
//! (or "0 of 6", or all the wages) on a workshop that names its artisans would tell each one's
//! status. So that no total reveals a suppressed cell by subtraction, suppression is decided
//! from the top down: among siblings, suppressed cells take the next smallest with them until
//! together they would be publishable themselves, and a region whose own figure is suppressed
//! on its parent's page hides its rows the same way.

use super::figures::Figures;
use super::scope::{child_key, ChildLevel};
use super::Reports;
use crate::db::reports::{self as q, Slice, WorkshopFilter};
use crate::domain::period::ReportPeriod;
use crate::domain::RegionLevel;
use crate::error::AppError;
use serde::Serialize;
use std::collections::BTreeMap;

/// Counts of people from 1 to this, exclusive, are suppressed.
pub const SMALL_CELL: i64 = 3;

/// A row as the public sees it: `None` is a suppressed cell.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct PublicRow {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    /// The public page it leads to.
    pub link: Option<String>,
    pub workshops: i64,
    pub workers: Option<i64>,
    pub poor_workers: Option<i64>,
    pub wages_fen: Option<i64>,
    pub poor_wages_fen: Option<i64>,
    /// The poor-household workers' share of heads, as text.
    pub poor_share: Option<String>,
    /// Workers trained and their person-hours, suppressed by the same rule as the workers
    /// (the trained are a group of people of their own).
    pub trained_workers: Option<i64>,
    pub poor_trained_workers: Option<i64>,
    pub training_hours: Option<i64>,
    pub poor_training_hours: Option<i64>,
}

/// A public page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicPage {
    pub name_zh: String,
    pub name_en: String,
    /// `(link, name_zh, name_en)` from the country down.
    pub breadcrumb: Vec<(String, String, String)>,
    pub period: String,
    pub period_zh: String,
    pub period_en: String,
    pub total: PublicRow,
    pub rows: Vec<PublicRow>,
    pub threshold_bp: i64,
}

/// What a page's suppression looks at, per row: workers, poor-household workers, wages and
/// poor-household wages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cell {
    pub workers: i64,
    pub poor: i64,
    pub wages_fen: i64,
    pub poor_wages_fen: i64,
}

impl Cell {
    fn add(self, o: Cell) -> Cell {
        Cell {
            workers: self.workers + o.workers,
            poor: self.poor + o.poor,
            wages_fen: self.wages_fen + o.wages_fen,
            poor_wages_fen: self.poor_wages_fen + o.poor_wages_fen,
        }
    }

    /// Whether a column may be shown for these people: 0 = the workers (and wages), 1 = the
    /// poor-household workers (and their wages).
    fn publishable(self, col: usize) -> bool {
        if self.workers == 0 {
            return true;
        }
        if col == 0 {
            return self.workers >= SMALL_CELL;
        }
        let not_poor = self.workers - self.poor;
        // Neither side small or empty, and the wages not all on one side: otherwise a reader
        // who knows one of these people (a named artisan, the maker of a piece they bought)
        // learns their status.
        let one_sided_wages =
            self.wages_fen != 0 && (self.poor_wages_fen == 0 || self.poor_wages_fen == self.wages_fen);
        self.poor >= SMALL_CELL && not_poor >= SMALL_CELL && !one_sided_wages
    }
}

/// Which cells of sibling rows to hide, per column, given whether their total is hidden: each
/// row that may not be shown, and then, while the hidden ones together could not be shown
/// either (their sum is the total less the rows shown) or none is hidden under a hidden total
/// (the rows would add up to it), the smallest other row with people.
pub fn suppress(total_hidden: [bool; 2], rows: &[Cell]) -> Vec<[bool; 2]> {
    let mut hidden = vec![[false; 2]; rows.len()];
    for col in 0..2 {
        for (h, r) in hidden.iter_mut().zip(rows) {
            // A row without its workers shown cannot show its poor-household part either.
            h[col] = !r.publishable(col) || (col == 1 && h[0]);
        }
        loop {
            let union = rows.iter().zip(&hidden).filter(|(_, h)| h[col]).fold(Cell::default(), |a, (r, _)| a.add(*r));
            let count = hidden.iter().filter(|h| h[col]).count();
            let exposed = if total_hidden[col] { count == 0 } else { count > 0 && !union.publishable(col) };
            if !exposed {
                break;
            }
            let next = rows
                .iter()
                .enumerate()
                .filter(|(i, r)| !hidden[*i][col] && r.workers > 0)
                .min_by_key(|(i, r)| (r.workers, *i))
                .map(|(i, _)| i);
            match next {
                Some(i) => hidden[i][col] = true,
                None => break,
            }
        }
    }
    hidden
}

/// Which of a row's cells are hidden: the workers, the poor-household workers, the workers
/// trained and the poor-household workers trained.
pub type Hidden = [bool; 4];

fn own_pair(c: Cell) -> [bool; 2] {
    let workers = !c.publishable(0);
    [workers, workers || !c.publishable(1)]
}

fn own_hidden(f: &Figures) -> Hidden {
    let ([a, b], [c, d]) = (own_pair(cell(f)), own_pair(training_cell(f)));
    [a, b, c, d]
}

fn public_row(key: String, names: (String, String), link: Option<String>, f: &Figures, hidden: Hidden) -> PublicRow {
    let (w, p, t, tp) = (!hidden[0], !hidden[1], !hidden[2], !hidden[3]);
    PublicRow {
        key,
        name_zh: names.0,
        name_en: names.1,
        link,
        workshops: f.workshops,
        workers: w.then_some(f.workers),
        poor_workers: p.then_some(f.poor_workers),
        wages_fen: w.then_some(f.wages_fen),
        poor_wages_fen: p.then_some(f.poor_wages_fen),
        poor_share: (w && p).then(|| f.headcount_share.percent_text()),
        trained_workers: t.then_some(f.trained_workers),
        poor_trained_workers: tp.then_some(f.poor_trained_workers),
        training_hours: t.then_some(f.training_hours),
        poor_training_hours: tp.then_some(f.poor_training_hours),
    }
}

/// Where a public page is.
#[derive(Debug, Clone)]
pub enum Place {
    Country,
    Region(String),
    Workshop(String),
}

/// Every workshop with its figures for a period: what every public page is cut from.
pub type National = (Vec<q::WorkshopInfo>, BTreeMap<i64, Figures>);

/// How long the public pages reuse the country's figures: they are aggregates for the public,
/// and reading every workshop of the country on each view would let anyone load the database.
pub const PUBLIC_CACHE: std::time::Duration = std::time::Duration::from_secs(60);

impl Reports {
    /// The country's figures for a period, read at most once a minute.
    fn national(
        &self,
        conn: &mut crate::db::DbConn,
        period: ReportPeriod,
    ) -> Result<std::sync::Arc<National>, AppError> {
        let key = period.code();
        if let Ok(cache) = self.public_cache.lock() {
            if let Some((at, data)) = cache.get(&key) {
                if at.elapsed() < PUBLIC_CACHE {
                    return Ok(data.clone());
                }
            }
        }
        let slice = Slice { workshops: WorkshopFilter::All, period, heritage_item_id: None };
        let workshops = q::workshops(conn, &slice)?;
        let months = q::rolled_up(conn, &slice)?;
        let headcounts = q::headcounts(conn, &slice)?;
        let training = crate::db::training::sums(conn, &slice)?;
        let inputs = super::figures::Inputs {
            training: &training,
            workshops: &workshops,
            months: &months,
            headcounts: &headcounts,
            statements: &[],
            with_statements: false,
        };
        let per = super::figures::per_workshop(&inputs, period.end().min(self.clock.today()), &self.rule);
        let data = std::sync::Arc::new((workshops, per));
        if let Ok(mut cache) = self.public_cache.lock() {
            cache.retain(|_, (at, _)| at.elapsed() < PUBLIC_CACHE);
            cache.insert(key, (std::time::Instant::now(), data.clone()));
        }
        Ok(data)
    }

    /// A public impact page for a period (this year when absent).
    pub async fn public_page(&self, place: Place, period: Option<String>) -> Result<PublicPage, AppError> {
        let this = self.clone();
        self.db.read(move |conn| this.public_page_in(conn, &place, period.as_deref())).await
    }

    fn public_page_in(
        &self,
        conn: &mut crate::db::DbConn,
        place: &Place,
        period: Option<&str>,
    ) -> Result<PublicPage, AppError> {
        let period = self.period(period)?;
        let national = self.national(conn, period)?;
        let (workshops, per) = (&national.0, &national.1);
        // The steps from the country down to the page: each names the child to descend into.
        let (steps, target_workshop) = match place {
            Place::Country => (Vec::new(), None),
            Place::Region(code) => {
                self.reference.region(code).ok_or(AppError::NotFound)?;
                (self.reference.path(code).into_iter().map(|r| (r.code.clone(), r.level)).collect::<Vec<_>>(), None)
            }
            Place::Workshop(slug) => {
                let w = workshops.iter().find(|w| &w.slug == slug).ok_or(AppError::NotFound)?;
                (
                    self.reference.path(&w.county_code).into_iter().map(|r| (r.code.clone(), r.level)).collect(),
                    Some(w.id),
                )
            }
        };
        let mut members: Vec<&q::WorkshopInfo> = workshops.iter().collect();
        let mut total = sum(&members, per, period);
        let mut hidden = own_hidden(&total);
        let mut breadcrumb = vec![("/impact".to_owned(), "全国".to_owned(), "China".to_owned())];
        let (mut name_zh, mut name_en) = ("全国".to_owned(), "China".to_owned());
        let mut level = ChildLevel::Province;
        let tail = format!("?period={}", period.code());
        for (code, region_level) in &steps {
            let (rows, flags) = self.children(&members, per, level, hidden, period);
            let i = rows.iter().position(|(k, _)| k == code).ok_or(AppError::NotFound)?;
            // The region's figure is hidden on its own page exactly when its row is hidden on
            // its parent's page (a hidden parent hides some of its rows, not all of them).
            hidden = flags[i];
            members.retain(|w| child_key(level, w) == *code);
            total = rows[i].1.clone();
            let r = self.reference.region(code).ok_or(AppError::NotFound)?;
            (name_zh, name_en) = (r.name_zh.clone(), r.name_pinyin.clone());
            breadcrumb.push((format!("/impact/regions/{code}{tail}"), name_zh.clone(), name_en.clone()));
            level = match region_level {
                RegionLevel::Province => ChildLevel::Prefecture,
                RegionLevel::Prefecture => ChildLevel::County,
                RegionLevel::County => ChildLevel::Workshop,
            };
        }
        let (rows, flags) = self.children(&members, per, level, hidden, period);
        let mut public_rows: Vec<PublicRow> = rows
            .iter()
            .zip(&flags)
            .map(|((key, f), h)| {
                let (names, link) = match level {
                    ChildLevel::Workshop | ChildLevel::Worker => {
                        let w = members.iter().find(|w| w.id.to_string() == *key);
                        (
                            w.map_or_else(|| (key.clone(), key.clone()), |w| (w.name_zh.clone(), w.name_en.clone())),
                            w.map(|w| format!("/impact/workshops/{}{tail}", w.slug)),
                        )
                    }
                    _ => (
                        self.reference
                            .region(key)
                            .map_or_else(|| (key.clone(), key.clone()), |r| (r.name_zh.clone(), r.name_pinyin.clone())),
                        Some(format!("/impact/regions/{key}{tail}")),
                    ),
                };
                public_row(key.clone(), names, link, f, *h)
            })
            .collect();
        if let Some(id) = target_workshop {
            // A workshop's page is its own row on its county's page, and has no rows below.
            let i = public_rows.iter().position(|r| r.key == id.to_string()).ok_or(AppError::NotFound)?;
            let row = public_rows.swap_remove(i);
            breadcrumb.push((row.link.clone().unwrap_or_default(), row.name_zh.clone(), row.name_en.clone()));
            return Ok(self.page(row.name_zh.clone(), row.name_en.clone(), breadcrumb, period, row, Vec::new()));
        }
        let total_row = public_row(String::new(), (name_zh.clone(), name_en.clone()), None, &total, hidden);
        Ok(self.page(name_zh, name_en, breadcrumb, period, total_row, public_rows))
    }

    fn page(
        &self,
        name_zh: String,
        name_en: String,
        breadcrumb: Vec<(String, String, String)>,
        period: ReportPeriod,
        total: PublicRow,
        rows: Vec<PublicRow>,
    ) -> PublicPage {
        PublicPage {
            name_zh,
            name_en,
            breadcrumb,
            period: period.code(),
            period_zh: period.label_zh(),
            period_en: period.label_en(),
            total,
            rows,
            threshold_bp: self.rule.threshold_bp,
        }
    }

    /// The rows one level below, with their suppression under a total hidden or not.
    fn children(
        &self,
        members: &[&q::WorkshopInfo],
        per: &BTreeMap<i64, Figures>,
        level: ChildLevel,
        total_hidden: Hidden,
        period: ReportPeriod,
    ) -> (Vec<(String, Figures)>, Vec<Hidden>) {
        let mut grouped: BTreeMap<String, Vec<&q::WorkshopInfo>> = BTreeMap::new();
        for w in members {
            grouped.entry(child_key(level, w)).or_default().push(w);
        }
        let rows: Vec<(String, Figures)> = grouped.into_iter().map(|(k, ws)| (k, sum(&ws, per, period))).collect();
        let cells: Vec<Cell> = rows.iter().map(|(_, f)| cell(f)).collect();
        let trained: Vec<Cell> = rows.iter().map(|(_, f)| training_cell(f)).collect();
        let people = suppress([total_hidden[0], total_hidden[1]], &cells);
        let training = suppress([total_hidden[2], total_hidden[3]], &trained);
        let flags = people.iter().zip(&training).map(|(p, t)| [p[0], p[1], t[0], t[1]]).collect();
        (rows, flags)
    }
}

fn cell(f: &Figures) -> Cell {
    Cell { workers: f.workers, poor: f.poor_workers, wages_fen: f.wages_fen, poor_wages_fen: f.poor_wages_fen }
}

/// The workers trained as a cell: their hours stand where the wages do, so that hours all on
/// one side hide the poor-household part as one-sided wages do.
fn training_cell(f: &Figures) -> Cell {
    Cell {
        workers: f.trained_workers,
        poor: f.poor_trained_workers,
        wages_fen: f.training_hours,
        poor_wages_fen: f.poor_training_hours,
    }
}

fn sum(ws: &[&q::WorkshopInfo], per: &BTreeMap<i64, Figures>, period: ReportPeriod) -> Figures {
    let mut t = Figures::default();
    for w in ws {
        if let Some(f) = per.get(&w.id) {
            t.add(f);
        }
    }
    t.finish(period.month_count());
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cell of `workers` with `poor` from poor households, each earning 100 fen.
    fn c(workers: i64, poor: i64) -> Cell {
        Cell { workers, poor, wages_fen: workers * 100, poor_wages_fen: poor * 100 }
    }

    fn col(h: &[[bool; 2]], k: usize) -> Vec<bool> {
        h.iter().map(|c| c[k]).collect()
    }

    #[test]
    fn a_lone_small_cell_takes_the_next_smallest_with_it() {
        let h = suppress([false, false], &[c(10, 2), c(12, 5), c(20, 9)]);
        assert_eq!(col(&h, 1), [true, true, false]);
        assert!(h.iter().all(|c| !c[0]), "worker counts are all 3 or more");
        // Two small cells that together are still small take a third; zero is not a person.
        let h = suppress([false, false], &[c(1, 0), c(1, 0), c(0, 0), c(30, 10)]);
        assert_eq!(col(&h, 0), [true, true, false, true]);
        // Under a hidden total, rows that are all publishable still hide one.
        let h = suppress([false, true], &[c(10, 4), c(10, 7)]);
        assert_eq!(col(&h, 1), [true, false]);
    }

    #[test]
    fn all_none_or_nearly_all_poor_is_not_shown() {
        // 6 of 6, 5 of 6, 4 of 6 and 0 of 6 would each tell a named artisan's status.
        for poor in [0, 1, 2, 4, 5, 6] {
            assert!(!c(6, poor).publishable(1), "{poor} of 6");
        }
        assert!(c(6, 3).publishable(1));
        assert!(c(0, 0).publishable(1), "nobody, nothing to tell");
        // Heads on both sides, but every fen of wages went to one side.
        let one_sided = Cell { workers: 8, poor: 4, wages_fen: 500, poor_wages_fen: 500 };
        assert!(!one_sided.publishable(1));
        assert_eq!(own_pair(one_sided), [false, true]);
        // Siblings hidden together must be publishable together: 6 of 6 and 5 of 6 are 11 of
        // 12, so a third row goes too.
        let h = suppress([false, false], &[c(6, 6), c(6, 5), c(10, 5), c(40, 20)]);
        assert_eq!(col(&h, 1), [true, true, true, false]);
        assert_eq!(col(&h, 0), [false; 4]);
    }
}

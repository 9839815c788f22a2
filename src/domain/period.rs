//! Report periods: a month (`2026-11`), a quarter (`2026-Q4`) or a year (`2026`), in China
//! time. A period is a run of whole months; the journal is rolled up by month.

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

/// A run of whole months that a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct ReportPeriod {
    kind: PeriodKind,
    year: i32,
    /// 1-based number of the first month.
    first: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Month,
    Quarter,
    Year,
}

impl ReportPeriod {
    /// Parses `2026`, `2026-Q4` (or `2026-q4`) and `2026-11`; years 2000–2100.
    pub fn parse(text: &str) -> Option<ReportPeriod> {
        let t = text.trim();
        let (year, rest) = match t.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (t, None),
        };
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: i32 = year.parse().ok().filter(|y| (2000..=2100).contains(y))?;
        match rest {
            None => Some(ReportPeriod { kind: PeriodKind::Year, year, first: 1 }),
            Some(q) if q.len() == 2 && (q.starts_with('Q') || q.starts_with('q')) => {
                let n: u32 = q[1..].parse().ok().filter(|n| (1..=4).contains(n))?;
                Some(ReportPeriod { kind: PeriodKind::Quarter, year, first: 3 * n - 2 })
            }
            Some(m) if m.len() == 2 && m.bytes().all(|b| b.is_ascii_digit()) => {
                let n: u32 = m.parse().ok().filter(|n| (1..=12).contains(n))?;
                Some(ReportPeriod { kind: PeriodKind::Month, year, first: n })
            }
            Some(_) => None,
        }
    }

    /// The year that holds `day`.
    pub fn year_of(day: NaiveDate) -> ReportPeriod {
        ReportPeriod { kind: PeriodKind::Year, year: day.year(), first: 1 }
    }

    pub fn kind(&self) -> PeriodKind {
        self.kind
    }

    /// How many months it spans.
    pub fn month_count(&self) -> u32 {
        match self.kind {
            PeriodKind::Month => 1,
            PeriodKind::Quarter => 3,
            PeriodKind::Year => 12,
        }
    }

    /// Its months as `YYYY-MM`, in order.
    pub fn months(&self) -> Vec<String> {
        (self.first..self.first + self.month_count()).map(|m| format!("{:04}-{m:02}", self.year)).collect()
    }

    /// The first day.
    pub fn start(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.first, 1).unwrap_or_default()
    }

    /// The last day.
    pub fn end(&self) -> NaiveDate {
        self.start().checked_add_months(Months::new(self.month_count())).and_then(|d| d.pred_opt()).unwrap_or_default()
    }

    /// The canonical text, the one `parse` reads.
    pub fn code(&self) -> String {
        match self.kind {
            PeriodKind::Month => format!("{:04}-{:02}", self.year, self.first),
            PeriodKind::Quarter => format!("{:04}-Q{}", self.year, self.first.div_ceil(3)),
            PeriodKind::Year => format!("{:04}", self.year),
        }
    }

    /// How a Chinese reader names it: 2026年11月, 2026年第四季度, 2026年.
    pub fn label_zh(&self) -> String {
        match self.kind {
            PeriodKind::Month => format!("{}年{}月", self.year, self.first),
            PeriodKind::Quarter => {
                let q = ["一", "二", "三", "四"][(self.first.div_ceil(3) - 1) as usize];
                format!("{}年第{q}季度", self.year)
            }
            PeriodKind::Year => format!("{}年", self.year),
        }
    }

    /// How an English reader names it: November 2026, Q4 2026, 2026.
    pub fn label_en(&self) -> String {
        match self.kind {
            PeriodKind::Month => format!("{} {}", self.start().format("%B"), self.year),
            PeriodKind::Quarter => format!("Q{} {}", self.first.div_ceil(3), self.year),
            PeriodKind::Year => self.year.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_months_quarters_and_years() {
        let q = ReportPeriod::parse("2026-Q4").unwrap();
        assert_eq!(q.months(), ["2026-10", "2026-11", "2026-12"]);
        assert_eq!(q.start(), NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
        assert_eq!(q.end(), NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
        assert_eq!(q.code(), "2026-Q4");
        assert_eq!(q.label_zh(), "2026年第四季度");
        let m = ReportPeriod::parse("2024-02").unwrap();
        assert_eq!(m.end(), NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
        assert_eq!(m.label_en(), "February 2024");
        let y = ReportPeriod::parse("2025").unwrap();
        assert_eq!((y.month_count(), y.months().len(), y.code()), (12, 12, "2025".to_owned()));
        for bad in ["", "26", "2026-13", "2026-Q5", "2026-Q0", "2026-1", "1999", "2026-11-01", "abcd"] {
            assert_eq!(ReportPeriod::parse(bad), None, "{bad}");
        }
    }
}

//! The time source. Injected through the application state so tests can fix "today".

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, Utc};

/// Business dates are China Standard Time (UTC+8, no daylight saving).
const CST_SECONDS: i32 = 8 * 3600;

/// Wall clock, or a fixed instant for tests.
#[derive(Debug, Clone, Copy, Default)]
pub enum Clock {
    #[default]
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => *t,
        }
    }

    /// Today's date in China.
    pub fn today(&self) -> NaiveDate {
        let cst = FixedOffset::east_opt(CST_SECONDS).unwrap_or(Utc.fix());
        self.now().with_timezone(&cst).date_naive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn today_is_in_china() {
        let t = Utc.with_ymd_and_hms(2026, 11, 28, 17, 0, 0).single();
        let c = Clock::Fixed(t.unwrap_or_default());
        assert_eq!(c.today(), NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default());
    }
}

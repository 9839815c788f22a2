//! The time source, injected through the application state so tests can fix "today" or move
//! time on, and China time: how every stored (UTC) instant is shown to people and the API.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeDelta, Utc};
use std::sync::atomic::{AtomicI64, Ordering};

/// Business dates are China Standard Time (UTC+8, no daylight saving).
const CST_SECONDS: i32 = 8 * 3600;

/// Wall clock, a fixed instant, or a hand-moved one (tests that let days pass).
#[derive(Debug, Clone, Copy, Default)]
pub enum Clock {
    #[default]
    System,
    Fixed(DateTime<Utc>),
    /// Stands still until moved with [`ManualTime::advance`].
    Manual(&'static ManualTime),
}

/// The instant of a [`Clock::Manual`], in microseconds since the epoch.
#[derive(Debug)]
pub struct ManualTime(AtomicI64);

impl ManualTime {
    /// Moves the clock on by `by`.
    pub fn advance(&self, by: TimeDelta) {
        self.0.fetch_add(by.num_microseconds().unwrap_or(i64::MAX), Ordering::SeqCst);
    }
}

impl Clock {
    /// A hand-moved clock starting at `start`. Its state lives for the rest of the process (a
    /// few bytes per clock), so that the clock stays `Copy` like the others.
    pub fn manual(start: DateTime<Utc>) -> (Clock, &'static ManualTime) {
        let time: &'static ManualTime = Box::leak(Box::new(ManualTime(AtomicI64::new(start.timestamp_micros()))));
        (Clock::Manual(time), time)
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => *t,
            Clock::Manual(time) => DateTime::from_timestamp_micros(time.0.load(Ordering::SeqCst)).unwrap_or_default(),
        }
    }

    /// Today's date in China.
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&china_offset()).date_naive()
    }
}

/// China Standard Time.
pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(CST_SECONDS).unwrap_or(Utc.fix())
}

/// A moment as people read it in China: `2026-11-28 12:00`.
pub fn china_minute(t: DateTime<Utc>) -> String {
    t.with_timezone(&china_offset()).format("%Y-%m-%d %H:%M").to_string()
}

/// A stored instant (UTC, without offset) in China time.
pub fn in_china(t: NaiveDateTime) -> DateTime<FixedOffset> {
    t.and_utc().with_timezone(&china_offset())
}

/// A stored instant as RFC 3339 in China time, to the second: `2026-11-28T12:00:00+08:00`.
pub fn rfc3339(t: NaiveDateTime) -> String {
    in_china(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// Serde for instants shown to people or API clients: RFC 3339 in China time (see [`rfc3339`]).
/// Use as `#[serde(serialize_with = "crate::clock::china_time")]`.
pub fn china_time<S: serde::Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

/// [`china_time`] for an optional instant (`null` when absent).
pub fn china_time_opt<S: serde::Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&rfc3339(*t)),
        None => s.serialize_none(),
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

    #[test]
    fn instants_are_shown_in_china_time_with_the_offset() {
        let t = NaiveDate::from_ymd_opt(2026, 11, 28).and_then(|d| d.and_hms_micro_opt(17, 30, 5, 123));
        assert_eq!(rfc3339(t.unwrap_or_default()), "2026-11-29T01:30:05+08:00");
        let json = serde_json::to_value(Stamp { at: t.unwrap_or_default(), none: None }).unwrap_or_default();
        assert_eq!(json, serde_json::json!({"at": "2026-11-29T01:30:05+08:00", "none": null}));
    }

    #[derive(serde::Serialize)]
    struct Stamp {
        #[serde(serialize_with = "china_time")]
        at: NaiveDateTime,
        #[serde(serialize_with = "china_time_opt")]
        none: Option<NaiveDateTime>,
    }

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let start = Utc.with_ymd_and_hms(2026, 11, 28, 4, 0, 0).single().unwrap_or_default();
        let (clock, time) = Clock::manual(start);
        assert_eq!(clock.now(), start);
        time.advance(TimeDelta::days(3));
        assert_eq!(clock.now(), start + TimeDelta::days(3));
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default());
    }
}

//! The employment rule of heritage poverty-alleviation workshops: at least a threshold share
//! (30% by the current policy) of a workshop's workers come from poor households. The
//! threshold and the household statuses that count are configuration, because the policy has
//! changed before. Shares are compared in whole numbers, so exactly 30% meets the rule.

use super::household::HouseholdStatus;
use serde::Serialize;

/// What the rule counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleConfig {
    /// The least share, in basis points (3000 = 30%).
    pub threshold_bp: i64,
    /// The household statuses that count as poor.
    pub counted: Vec<HouseholdStatus>,
    /// A certified workshop whose yearly confirmation falls due within this many days of the
    /// period's end is listed as up for confirmation.
    pub confirmation_notice_days: i64,
}

impl Default for RuleConfig {
    fn default() -> Self {
        RuleConfig {
            threshold_bp: 3000,
            counted: vec![HouseholdStatus::RegisteredPoor, HouseholdStatus::LiftedOut, HouseholdStatus::Monitored],
            confirmation_notice_days: 60,
        }
    }
}

impl RuleConfig {
    /// Whether a stored status counts (an unrecorded status does not).
    pub fn counts(&self, status: Option<HouseholdStatus>) -> bool {
        status.is_some_and(|s| self.counted.contains(&s))
    }
}

/// A part of a whole, kept as the two whole numbers (serialised with its percentage text).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Share {
    pub part: i64,
    pub whole: i64,
}

impl Share {
    pub fn new(part: i64, whole: i64) -> Share {
        Share { part, whole }
    }

    /// Whether the share is at least `threshold_bp`; an empty whole meets nothing.
    pub fn meets(&self, threshold_bp: i64) -> bool {
        self.whole > 0 && i128::from(self.part) * 10_000 >= i128::from(threshold_bp) * i128::from(self.whole)
    }

    /// The share in tenths of a percent, rounded half up (`None` for an empty whole).
    pub fn permille(&self) -> Option<i64> {
        (self.whole > 0).then(|| {
            let n = i128::from(self.part) * 2000 + i128::from(self.whole);
            i64::try_from(n.div_euclid(2 * i128::from(self.whole))).unwrap_or(i64::MAX)
        })
    }

    /// As text: `33.3%`, or `—` for an empty whole.
    pub fn percent_text(&self) -> String {
        match self.permille() {
            Some(p) => format!("{}.{}%", p.div_euclid(10), p.rem_euclid(10)),
            None => "—".to_owned(),
        }
    }
}

/// A share as it is serialised, for the API document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Only describes the JSON that `Share`'s own `Serialize` writes.
struct ShareJson {
    /// The part, e.g. workers from poor households.
    part: i64,
    /// The whole, e.g. all workers.
    whole: i64,
    /// The share as text with one decimal, e.g. `33.3%`; `—` when the whole is zero.
    percent: String,
}

impl utoipa::PartialSchema for Share {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <ShareJson as utoipa::PartialSchema>::schema()
    }
}

impl utoipa::ToSchema for Share {
    fn name() -> std::borrow::Cow<'static, str> {
        "Share".into()
    }
}

impl Serialize for Share {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Share", 3)?;
        st.serialize_field("part", &self.part)?;
        st.serialize_field("whole", &self.whole)?;
        st.serialize_field("percent", &self.percent_text())?;
        st.end()
    }
}

/// Where a workshop stands against the rule in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleStatus {
    /// The headcount share meets the threshold.
    Meets,
    /// Below the threshold: the workshop is at risk.
    Below,
    /// No workers were employed in the period.
    NoWorkers,
}

/// The rule checked for one workshop and period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RuleCheck {
    pub headcount: Share,
    pub income: Share,
    pub status: RuleStatus,
    /// The poor-household workers' share of attributed wages is below the threshold too (a
    /// warning: the policy counts heads, but income shows whether they share in the work).
    pub income_below: bool,
}

impl RuleStatus {
    /// The stable name stored and exported (the same as its JSON form).
    pub fn as_str(self) -> &'static str {
        match self {
            RuleStatus::Meets => "meets",
            RuleStatus::Below => "below",
            RuleStatus::NoWorkers => "no_workers",
        }
    }
}

impl RuleCheck {
    pub fn at_risk(&self) -> bool {
        self.status == RuleStatus::Below
    }
}

/// Checks the rule on a headcount share and an income share.
pub fn check(config: &RuleConfig, headcount: Share, income: Share) -> RuleCheck {
    let status = if headcount.whole == 0 {
        RuleStatus::NoWorkers
    } else if headcount.meets(config.threshold_bp) {
        RuleStatus::Meets
    } else {
        RuleStatus::Below
    };
    RuleCheck { headcount, income, status, income_below: income.whole > 0 && !income.meets(config.threshold_bp) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_exported_by_their_json_names() {
        for s in [RuleStatus::Meets, RuleStatus::Below, RuleStatus::NoWorkers] {
            assert_eq!(serde_json::to_value(s).ok(), Some(serde_json::Value::from(s.as_str())));
        }
    }

    #[test]
    fn exactly_the_threshold_meets_it() {
        let c = RuleConfig::default();
        assert_eq!(check(&c, Share::new(3, 10), Share::new(30, 100)).status, RuleStatus::Meets);
        assert!(!check(&c, Share::new(3, 10), Share::new(30, 100)).income_below);
        assert_eq!(check(&c, Share::new(29, 100), Share::new(1, 1)).status, RuleStatus::Below);
        assert_eq!(check(&c, Share::new(2999, 10_000), Share::new(0, 0)).status, RuleStatus::Below);
        assert_eq!(check(&c, Share::new(1, 3), Share::new(2999, 10_000)).status, RuleStatus::Meets);
        assert!(check(&c, Share::new(1, 3), Share::new(2999, 10_000)).income_below);
        assert_eq!(check(&c, Share::new(0, 0), Share::new(0, 0)).status, RuleStatus::NoWorkers);
        let strict = RuleConfig { threshold_bp: 3500, ..RuleConfig::default() };
        assert_eq!(check(&strict, Share::new(3, 10), Share::new(0, 0)).status, RuleStatus::Below);
    }

    #[test]
    fn shares_print_to_a_tenth_of_a_percent() {
        assert_eq!(Share::new(1, 3).percent_text(), "33.3%");
        assert_eq!(Share::new(2, 3).percent_text(), "66.7%");
        assert_eq!(Share::new(3, 10).percent_text(), "30.0%");
        assert_eq!(Share::new(0, 0).percent_text(), "—");
        assert!(!RuleConfig::default().counts(None));
        assert!(!RuleConfig::default().counts(Some(HouseholdStatus::NotPoor)));
    }
}

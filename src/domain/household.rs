//! Household poverty status of a worker. Sensitive personal information: it never appears
//! on public pages or in logs.

use serde::{Deserialize, Serialize};

/// A worker's household status as registered and verified by the local government.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HouseholdStatus {
    /// 建档立卡贫困户: registered poor household.
    RegisteredPoor,
    /// 脱贫户: household lifted out of poverty.
    LiftedOut,
    /// 监测对象: household under monitoring against falling back.
    Monitored,
    /// 非贫困户.
    NotPoor,
}

impl HouseholdStatus {
    pub const ALL: [HouseholdStatus; 4] = [
        HouseholdStatus::RegisteredPoor,
        HouseholdStatus::LiftedOut,
        HouseholdStatus::Monitored,
        HouseholdStatus::NotPoor,
    ];

    pub fn parse(s: &str) -> Option<HouseholdStatus> {
        HouseholdStatus::ALL.into_iter().find(|h| h.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HouseholdStatus::RegisteredPoor => "registered_poor",
            HouseholdStatus::LiftedOut => "lifted_out",
            HouseholdStatus::Monitored => "monitored",
            HouseholdStatus::NotPoor => "not_poor",
        }
    }

    // Which statuses count as a poor household is configuration (`GONGFANG_POOR_STATUSES`,
    // `RuleConfig::counts`), the one definition for reports, statements and receipts; so no
    // method here answers it.
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for h in HouseholdStatus::ALL {
            assert_eq!(HouseholdStatus::parse(h.as_str()), Some(h));
        }
        assert_eq!(HouseholdStatus::parse("poor"), None);
    }
}

//! Accounts in their parsed forms: roles and their scope, e-mail addresses and passwords as
//! typed values, so that a handler can never hold an unchecked address or a role without
//! the workshop or region it is scoped to.

use super::{RegionCode, WorkshopId};
use serde::{Deserialize, Serialize};

/// A user's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

impl UserId {
    pub fn get(self) -> i64 {
        self.0
    }
}

/// What a user is, with the scope the role comes with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Buyer,
    /// Runs one workshop's shop and roster; invites its editors.
    Manager(WorkshopId),
    /// Edits one workshop's products and photos.
    Editor(WorkshopId),
    /// Reads reports for one region and everything under it.
    Official(RegionCode),
    /// Runs the platform: approves products, invites managers and officials.
    Operator,
}

impl Role {
    /// The stored name of the role.
    pub fn name(&self) -> &'static str {
        match self {
            Role::Buyer => "buyer",
            Role::Manager(_) => "manager",
            Role::Editor(_) => "editor",
            Role::Official(_) => "official",
            Role::Operator => "operator",
        }
    }

    /// Rebuilds a role from its stored columns; `None` when they disagree.
    pub fn from_columns(name: &str, workshop: Option<i64>, region: Option<&str>) -> Option<Role> {
        match (name, workshop, region) {
            ("buyer", None, None) => Some(Role::Buyer),
            ("manager", Some(w), None) => Some(Role::Manager(WorkshopId(w))),
            ("editor", Some(w), None) => Some(Role::Editor(WorkshopId(w))),
            ("official", None, Some(r)) => RegionCode::parse(r).map(Role::Official),
            ("operator", None, None) => Some(Role::Operator),
            _ => None,
        }
    }

    /// The workshop of workshop staff.
    pub fn workshop(&self) -> Option<WorkshopId> {
        match self {
            Role::Manager(w) | Role::Editor(w) => Some(*w),
            _ => None,
        }
    }

    /// The region of an official.
    pub fn region(&self) -> Option<&RegionCode> {
        match self {
            Role::Official(r) => Some(r),
            _ => None,
        }
    }
}

/// The user a request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

/// A syntactically valid e-mail address, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// One `@`, a non-empty local part, a domain with a dot, no spaces or controls, at most
    /// 254 characters. (Whether it receives mail is learnt by sending to it.)
    pub fn parse(input: &str) -> Option<EmailAddress> {
        let s = input.trim().to_lowercase();
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"".contains(c)) {
            return None;
        }
        let (local, domain) = s.split_once('@')?;
        let labels_ok = domain.split('.').all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
        if local.is_empty() || local.len() > 64 || domain.contains('@') || !domain.contains('.') || !labels_ok {
            return None;
        }
        Some(EmailAddress(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password that meets the rules: 10 to 128 characters, not all the same character.
/// (Length matters more than character classes; NIST SP 800-63B.)
#[derive(Clone)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

impl NewPassword {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(input: &str) -> Option<NewPassword> {
        let n = input.chars().count();
        let mut chars = input.chars();
        let first = chars.next()?;
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&n) || chars.all(|c| c == first) {
            return None;
        }
        Some(NewPassword(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_parse() {
        assert_eq!(EmailAddress::parse(" Mei@Example.CN ").map(|e| e.0), Some("mei@example.cn".into()));
        for bad in ["", "a", "a@b", "@b.cn", "a@b..cn", "a b@c.cn", "a\u{7}@b.cn", "a@-b.cn", "a@@b.cn", "<a@b.cn>"] {
            assert_eq!(EmailAddress::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn passwords_follow_the_rules() {
        assert!(NewPassword::parse("correct horse").is_some());
        assert!(NewPassword::parse("短密码").is_none());
        assert!(NewPassword::parse("aaaaaaaaaaaaaa").is_none());
        assert!(NewPassword::parse(&"x".repeat(129)).is_none());
        assert!(NewPassword::parse("苗绣银饰漆器唐卡藏香").is_some());
        assert_eq!(format!("{:?}", NewPassword::parse("correct horse")), "Some(NewPassword(***))");
    }

    #[test]
    fn roles_round_trip_through_columns() {
        let code = RegionCode::parse("513400");
        let roles = [
            Role::Buyer,
            Role::Manager(WorkshopId(3)),
            Role::Editor(WorkshopId(4)),
            Role::Operator,
            Role::Official(code.unwrap_or_else(|| unreachable!())),
        ];
        for r in roles {
            let back = Role::from_columns(r.name(), r.workshop().map(|w| w.get()), r.region().map(|c| c.as_str()));
            assert_eq!(back, Some(r));
        }
        assert_eq!(Role::from_columns("manager", None, None), None);
        assert_eq!(Role::from_columns("buyer", Some(1), None), None);
    }
}

//! GB/T 2260 region codes and levels.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A six-digit GB/T 2260 administrative division code, e.g. `513432` (喜德县).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode([u8; 6]);

impl RegionCode {
    pub fn parse(s: &str) -> Option<RegionCode> {
        let bytes = s.as_bytes();
        if bytes.len() != 6 || !bytes.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut code = [0u8; 6];
        code.copy_from_slice(bytes);
        Some(RegionCode(code))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("000000")
    }

    /// The level the code's pattern implies: `xx0000` province, `xxyy00` prefecture, else county.
    pub fn level(&self) -> RegionLevel {
        match (&self.0[2..4], &self.0[4..6]) {
            (b"00", b"00") => RegionLevel::Province,
            (_, b"00") => RegionLevel::Prefecture,
            _ => RegionLevel::County,
        }
    }

    /// The province this code lies in.
    pub fn province(&self) -> RegionCode {
        let mut c = self.0;
        c[2..].copy_from_slice(b"0000");
        RegionCode(c)
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for RegionCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RegionCode::parse(&s).ok_or_else(|| format!("{s:?} is not a six-digit region code"))
    }
}

impl From<RegionCode> for String {
    fn from(c: RegionCode) -> String {
        c.as_str().to_owned()
    }
}

/// Province, prefecture or county level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionLevel {
    Province,
    Prefecture,
    County,
}

impl RegionLevel {
    pub fn parse(s: &str) -> Option<RegionLevel> {
        match s {
            "province" => Some(RegionLevel::Province),
            "prefecture" => Some(RegionLevel::Prefecture),
            "county" => Some(RegionLevel::County),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::Prefecture => "prefecture",
            RegionLevel::County => "county",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_pattern() {
        let c = |s| RegionCode::parse(s).map(|c| c.level());
        assert_eq!(c("510000"), Some(RegionLevel::Province));
        assert_eq!(c("513400"), Some(RegionLevel::Prefecture));
        assert_eq!(c("513432"), Some(RegionLevel::County));
        assert_eq!(c("51343"), None);
        assert_eq!(c("51343x"), None);
        assert_eq!(RegionCode::parse("513432").map(|c| c.province().to_string()), Some("510000".into()));
    }
}

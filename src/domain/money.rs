//! Money as integer fen plus a currency. No floats anywhere: prices, shares and
//! rounding are exact integer arithmetic.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount in fen (1/100 yuan). Signed so that refunds and ledger reversals can be negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    /// The amount in fen.
    pub fn get(self) -> i64 {
        self.0
    }

    /// Parses a yuan amount typed by a person ("12", "12.5", "12.50", "¥1,200.00") into fen,
    /// exactly. Rejects negatives, more than two decimals and anything that is not a number.
    pub fn parse_yuan(input: &str) -> Option<Fen> {
        let s: String = input.trim().trim_start_matches(['¥', '￥']).chars().filter(|c| *c != ',').collect();
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, f),
            None => (s.as_str(), ""),
        };
        if whole.is_empty() && frac.is_empty() {
            return None;
        }
        if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        if frac.len() > 2 || whole.len() > 13 {
            return None;
        }
        let yuan: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
        let mut cents: i64 = if frac.is_empty() { 0 } else { frac.parse().ok()? };
        if frac.len() == 1 {
            cents *= 10;
        }
        yuan.checked_mul(100)?.checked_add(cents).map(Fen)
    }

    /// A price as people type it into a form: what [`Fen::parse_yuan`] reads, also with
    /// full-width digits, a currency word or sign before it ("RMB 268", "CNY268") and a unit
    /// after it ("268元", "268.00 元", "268块"). Anything else after the number is refused.
    pub fn parse_typed_yuan(input: &str) -> Option<Fen> {
        let half: String = input
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                '．' | '。' => '.',
                '，' => ',',
                other => other,
            })
            .collect();
        let mut s = half.trim();
        for prefix in ["RMB", "rmb", "CNY", "cny", "人民币"] {
            s = s.strip_prefix(prefix).unwrap_or(s).trim_start();
        }
        for unit in ["人民币", "元", "块", "圆", "RMB", "rmb", "CNY", "cny"] {
            s = s.strip_suffix(unit).unwrap_or(s).trim_end();
        }
        Fen::parse_yuan(s)
    }

    /// Formats as a plain decimal yuan string without symbol: `1234` → `"12.34"`.
    pub fn yuan_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Fen {
    /// Formats as yuan for people, with thousands separators and without symbol:
    /// `1234567` → `"12,345.67"`.
    pub fn yuan_grouped(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = (abs / 100).to_string();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("{sign}{grouped}.{:02}", abs % 100)
    }
}

/// Money as pages and e-mails show it: `¥12,345.67` (files for machines use
/// [`Fen::yuan_string`]).
impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "¥{}", self.yuan_grouped())
    }
}

/// The currency an amount is in. Prices are set in CNY; the type exists so that no
/// amount ever travels without saying what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    Cny,
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::Cny => "CNY",
        }
    }

    pub fn parse(code: &str) -> Option<Currency> {
        match code {
            "CNY" | "cny" => Some(Currency::Cny),
            _ => None,
        }
    }
}

/// `round_half_up(numerator / denominator)` for non-negative numerators, in i128 so that
/// `amount × basis points` can never overflow.
pub fn div_round_half_up(numerator: i128, denominator: i128) -> i128 {
    debug_assert!(denominator > 0);
    if numerator >= 0 {
        (numerator * 2 + denominator) / (denominator * 2)
    } else {
        -((-numerator * 2 + denominator) / (denominator * 2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_yuan_exactly() {
        assert_eq!(Fen::parse_yuan("12"), Some(Fen(1200)));
        assert_eq!(Fen::parse_yuan("12.5"), Some(Fen(1250)));
        assert_eq!(Fen::parse_yuan("0.07"), Some(Fen(7)));
        assert_eq!(Fen::parse_yuan("¥1,200.00"), Some(Fen(120_000)));
        assert_eq!(Fen::parse_yuan(".5"), Some(Fen(50)));
        for bad in ["", "-1", "1.234", "abc", "1e3", "１２", "99999999999999"] {
            assert_eq!(Fen::parse_yuan(bad), None, "{bad}");
        }
    }

    #[test]
    fn reads_prices_as_people_type_them() {
        for typed in ["268元", "¥268", "￥268", "268.00 元", "RMB 268", "２６８元", "268块", " 268 "] {
            assert_eq!(Fen::parse_typed_yuan(typed), Some(Fen(26_800)), "{typed}");
        }
        assert_eq!(Fen::parse_typed_yuan("1,280.5元"), Some(Fen(128_050)));
        for bad in ["268元x", "x268", "268 yuan", "元", "", "-268元", "26.805元"] {
            assert_eq!(Fen::parse_typed_yuan(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_yuan() {
        assert_eq!(Fen(1234).to_string(), "¥12.34");
        assert_eq!(Fen(5).yuan_string(), "0.05");
        assert_eq!(Fen(-250).yuan_string(), "-2.50");
        assert_eq!(Fen(1_234_567).to_string(), "¥12,345.67");
        assert_eq!(Fen(-123_456_789).yuan_grouped(), "-1,234,567.89");
        assert_eq!(Fen(99_999).yuan_grouped(), "999.99");
        assert_eq!(Fen(100_000).yuan_grouped(), "1,000.00");
        assert_eq!(Fen(i64::MIN).yuan_grouped(), "-92,233,720,368,547,758.08");
    }

    #[test]
    fn rounds_half_up() {
        assert_eq!(div_round_half_up(5, 10), 1);
        assert_eq!(div_round_half_up(4, 10), 0);
        assert_eq!(div_round_half_up(15, 10), 2);
        assert_eq!(div_round_half_up(-15, 10), -2);
        assert_eq!(div_round_half_up(12_345 * 1_500, 10_000), 1852);
    }
}

//! The unified social credit code (统一社会信用代码, GB 32100-2015) of an organisation that buys:
//! 18 characters from a 31-character alphabet (digits and capitals without I, O, S, V and Z),
//! the third to eighth an administrative region's code, the last a check character computed
//! from the other seventeen. Parsing says which of these a wrong code breaks.

use serde::Serialize;
use std::fmt;

/// The code's alphabet: each character's value is its place.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The weights of the first seventeen characters: 3^i mod 31.
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// Why a code is refused; each is a message key (`error.credit_code_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditCodeError {
    /// Not 18 characters.
    Length,
    /// A character outside the alphabet (I, O, S, V, Z or punctuation).
    Character,
    /// Characters 3 to 8 are not a six-digit region code.
    Region,
    /// The last character is not the one the other seventeen give.
    CheckDigit,
}

impl CreditCodeError {
    /// The message key of the reason.
    pub fn key(self) -> &'static str {
        match self {
            CreditCodeError::Length => "error.credit_code_length",
            CreditCodeError::Character => "error.credit_code_character",
            CreditCodeError::Region => "error.credit_code_region",
            CreditCodeError::CheckDigit => "error.credit_code_check",
        }
    }
}

/// A unified social credit code whose check character is right.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CreditCode(String);

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|a| *a == c).and_then(|p| u32::try_from(p).ok())
}

impl CreditCode {
    /// Parses a code as people type it: spaces and hyphens dropped, letters in either case.
    pub fn parse(text: &str) -> Result<CreditCode, CreditCodeError> {
        let code: String =
            text.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
        if code.chars().count() != 18 {
            return Err(CreditCodeError::Length);
        }
        let bytes = code.as_bytes();
        let values: Vec<u32> =
            bytes.iter().map(|b| value(*b)).collect::<Option<_>>().ok_or(CreditCodeError::Character)?;
        if !bytes[2..8].iter().all(u8::is_ascii_digit) {
            return Err(CreditCodeError::Region);
        }
        let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
        let check = (31 - sum % 31) % 31;
        if values[17] != check {
            return Err(CreditCodeError::CheckDigit);
        }
        Ok(CreditCode(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The administrative region it was registered in (characters 3 to 8).
    pub fn region(&self) -> &str {
        &self.0[2..8]
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn published_codes_pass() {
        for code in ["91350100M000100Y43", "91110000600037341L", "12100000400000624D"] {
            assert_eq!(CreditCode::parse(code).map(|c| c.to_string()), Ok(code.to_owned()), "{code}");
        }
        let typed = CreditCode::parse(" 9135-0100-m000-100y43 ").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(typed.as_str(), "91350100M000100Y43", "spaces, hyphens and case are forgiven");
        assert_eq!(typed.region(), "350100");
    }

    #[test]
    fn each_mistake_has_its_reason() {
        assert_eq!(CreditCode::parse("91350100M000100Y4"), Err(CreditCodeError::Length));
        assert_eq!(CreditCode::parse("91350100M000100Y433"), Err(CreditCodeError::Length));
        assert_eq!(CreditCode::parse("91350100M0001O0Y43"), Err(CreditCodeError::Character), "O is not used");
        assert_eq!(CreditCode::parse("913501Z0M000100Y43"), Err(CreditCodeError::Character), "Z is not used");
        assert_eq!(CreditCode::parse("9135A100M000100Y43"), Err(CreditCodeError::Region));
        assert_eq!(CreditCode::parse("91350100M000100Y44"), Err(CreditCodeError::CheckDigit));
    }

    proptest! {
        /// Any one character changed is caught: the check is a weighted sum modulo a prime.
        #[test]
        fn one_changed_character_is_caught(at in 0usize..18, to in 0usize..31) {
            let good = b"91350100M000100Y43";
            prop_assume!(ALPHABET[to] != good[at]);
            let mut bad = good.to_vec();
            bad[at] = ALPHABET[to];
            let text = String::from_utf8(bad).unwrap_or_default();
            prop_assert!(CreditCode::parse(&text).is_err(), "{}", text);
        }
    }
}

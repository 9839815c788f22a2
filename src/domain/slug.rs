//! URL slugs: lowercase ASCII letters, digits and single hyphens.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A URL-safe name such as `xide-yi-lacquer-bowl-3`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    /// Accepts 1–80 characters of `[a-z0-9-]`, not starting or ending with a hyphen and
    /// with no double hyphen.
    pub fn parse(s: &str) -> Option<Slug> {
        let ok = !s.is_empty()
            && s.len() <= 80
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        ok.then(|| Slug(s.to_owned()))
    }

    /// Makes a slug from free text: ASCII letters and digits kept, everything else a hyphen.
    pub fn from_text(text: &str) -> Option<Slug> {
        let mut out = String::new();
        for c in text.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        let trimmed: String = out.trim_end_matches('-').chars().take(80).collect();
        Slug::parse(trimmed.trim_end_matches('-'))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert!(Slug::parse("yi-lacquer-bowl-2").is_some());
        for bad in ["", "-a", "a-", "a--b", "A", "漆器", "a b", "a/b", "../x"] {
            assert!(Slug::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn from_text() {
        assert_eq!(
            Slug::from_text("Yi Lacquer: Bowl (large)").map(|s| s.to_string()),
            Some("yi-lacquer-bowl-large".into())
        );
        assert!(Slug::from_text("漆器").is_none());
    }
}

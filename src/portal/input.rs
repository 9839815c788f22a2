//! Reading portal input the same way from an HTML form and from JSON: numbers may come as
//! numbers or as text, an empty form field means "not given", and a ticked checkbox is "on".

use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum Loose {
    Int(i64),
    Bool(bool),
    Text(String),
}

/// An optional integer: `12`, `"12"`, `""` (none) or absent (none).
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<Loose>::deserialize(d)? {
        None => Ok(None),
        Some(Loose::Int(n)) => Ok(Some(n)),
        Some(Loose::Text(s)) if s.trim().is_empty() => Ok(None),
        Some(Loose::Text(s)) => s.trim().parse().map(Some).map_err(|_| serde::de::Error::custom("not a whole number")),
        Some(Loose::Bool(_)) => Err(serde::de::Error::custom("not a whole number")),
    }
}

/// A required integer: `12` or `"12"`.
pub fn loose_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    opt_i64(d)?.ok_or_else(|| serde::de::Error::custom("not a whole number"))
}

/// A checkbox or boolean: `true`, `"on"`, `"true"`, `"1"` are true; absent or anything else false.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Option::<Loose>::deserialize(d)? {
        Some(Loose::Bool(b)) => b,
        Some(Loose::Int(n)) => n != 0,
        Some(Loose::Text(s)) => matches!(s.as_str(), "on" | "true" | "1" | "yes"),
        None => false,
    })
}

/// Optional text, trimmed; empty means none.
pub fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Loose>::deserialize(d)?.and_then(|v| match v {
        Loose::Text(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Loose::Int(n) => Some(n.to_string()),
        Loose::Bool(b) => Some(b.to_string()),
    }))
}

/// Trimmed text no longer than `max` characters.
pub fn bounded(field: &'static str, value: &str, max: usize) -> Result<String, crate::error::AppError> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(crate::error::AppError::invalid(field, "error.too_long", &[("max", max.to_string())]));
    }
    Ok(v.to_owned())
}

/// Trimmed text of 1 to `max` characters.
pub fn required(field: &'static str, value: &str, max: usize) -> Result<String, crate::error::AppError> {
    let v = bounded(field, value, max)?;
    if v.is_empty() {
        return Err(crate::error::AppError::BadRequest { field, key: "error.required" });
    }
    Ok(v)
}

/// A date as `YYYY-MM-DD`.
pub fn date(field: &'static str, value: &str) -> Result<chrono::NaiveDate, crate::error::AppError> {
    chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| crate::error::AppError::BadRequest { field, key: "error.date" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct F {
        #[serde(default, deserialize_with = "opt_i64")]
        n: Option<i64>,
        #[serde(default, deserialize_with = "flag")]
        b: bool,
    }

    #[test]
    fn forms_and_json_read_alike() {
        let form: F = serde_urlencoded::from_str("n=12&b=on").unwrap_or_else(|_| unreachable!());
        assert_eq!((form.n, form.b), (Some(12), true));
        let empty: F = serde_urlencoded::from_str("n=").unwrap_or_else(|_| unreachable!());
        assert_eq!((empty.n, empty.b), (None, false));
        let json: F = serde_json::from_str(r#"{"n": 7, "b": true}"#).unwrap_or_else(|_| unreachable!());
        assert_eq!((json.n, json.b), (Some(7), true));
        assert!(serde_urlencoded::from_str::<F>("n=abc").is_err());
    }
}

//! Shipping addresses, parsed once from what the buyer typed: a Chinese address names its
//! county by GB/T 2260 code (province and prefecture follow from it) and has a phone number
//! that is checked; an overseas address names its country and region in free text.

use super::region::{RegionCode, RegionLevel};

/// What was wrong with an address; each is an `address.error.*` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressError {
    pub field: &'static str,
    pub key: &'static str,
}

fn bad(field: &'static str, key: &'static str) -> AddressError {
    AddressError { field, key }
}

/// Where the parcel goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A county (or county-level district) in China.
    China { county: RegionCode },
    /// Anywhere else: an ISO 3166-1 alpha-2 country and the state, province or city as typed.
    Overseas { country: String, region: String },
}

/// A validated shipping address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingAddress {
    pub recipient: String,
    /// Digits only, with `+` and the country code for overseas numbers.
    pub phone: String,
    pub destination: Destination,
    pub line: String,
    pub postal_code: String,
}

/// The address form as typed. The bounds stated here are those [`ShippingAddress::parse`]
/// enforces (each refusal names its field).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct AddressInput {
    /// Up to 50 characters, not blank.
    #[schema(min_length = 1, max_length = 50, pattern = "\\S")]
    pub recipient: String,
    /// In mainland China a mobile (`1[3-9]` and 9 more digits) or a landline with its area
    /// code; abroad, an international number with its `+` country code. Spaces, dashes, dots
    /// and brackets are allowed.
    #[schema(min_length = 5, max_length = 30, pattern = "^[+0-9 ()\\-.\u{3000}]+$")]
    pub phone: String,
    /// `CN` (the default) or another ISO 3166-1 alpha-2 code.
    #[serde(default)]
    #[schema(pattern = "^([A-Za-z]{2})?$")]
    pub country: String,
    /// For China: the county's six-digit code (GB/T 2260).
    #[serde(default)]
    #[schema(pattern = "^([0-9]{6})?$")]
    pub county_code: String,
    /// For overseas addresses: state, province or city (up to 100 characters).
    #[serde(default)]
    #[schema(max_length = 100)]
    pub region: String,
    /// Street, building, room: 2 to 200 characters.
    #[schema(min_length = 2, max_length = 200, pattern = "\\S.*\\S")]
    pub line: String,
    /// Six digits in China (or empty); up to 12 characters abroad.
    #[serde(default)]
    #[schema(max_length = 12)]
    pub postal_code: String,
}

impl ShippingAddress {
    /// Parses the form. The county is checked only for its shape here; the caller checks that
    /// it exists in the reference data.
    pub fn parse(input: &AddressInput) -> Result<ShippingAddress, AddressError> {
        let recipient = input.recipient.trim();
        if recipient.is_empty() {
            return Err(bad("recipient", "address.error.recipient_missing"));
        }
        if recipient.chars().count() > 50 {
            return Err(bad("recipient", "address.error.too_long"));
        }
        let line = input.line.trim();
        if line.chars().count() < 2 {
            return Err(bad("line", "address.error.line_missing"));
        }
        if line.chars().count() > 200 {
            return Err(bad("line", "address.error.too_long"));
        }
        let country = match input.country.trim() {
            "" => "CN".to_owned(),
            c if c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()) => c.to_ascii_uppercase(),
            _ => return Err(bad("country", "address.error.country")),
        };
        let postal_code = input.postal_code.trim().to_owned();
        if postal_code.chars().count() > 12 {
            return Err(bad("postal_code", "address.error.postal_code"));
        }
        let (destination, phone) = if country == "CN" {
            let county = RegionCode::parse(input.county_code.trim())
                .filter(|c| c.level() == RegionLevel::County)
                .ok_or(bad("county_code", "address.error.county"))?;
            let six_digits = postal_code.len() == 6 && postal_code.bytes().all(|b| b.is_ascii_digit());
            if !postal_code.is_empty() && !six_digits {
                return Err(bad("postal_code", "address.error.postal_code"));
            }
            let phone = china_phone(&input.phone).ok_or(bad("phone", "address.error.phone_cn"))?;
            (Destination::China { county }, phone)
        } else {
            let region = input.region.trim();
            if region.chars().count() > 100 {
                return Err(bad("region", "address.error.too_long"));
            }
            let phone = international_phone(&input.phone).ok_or(bad("phone", "address.error.phone_intl"))?;
            (Destination::Overseas { country, region: region.to_owned() }, phone)
        };
        Ok(ShippingAddress { recipient: recipient.to_owned(), phone, destination, line: line.to_owned(), postal_code })
    }

    /// The ISO country code.
    pub fn country(&self) -> &str {
        match &self.destination {
            Destination::China { .. } => "CN",
            Destination::Overseas { country, .. } => country,
        }
    }
}

/// Spaces, dashes, dots and brackets people put in phone numbers.
fn digits_and_plus(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{3000}')).collect()
}

/// A mainland number: a mobile (`1[3-9]` + 9 digits, optionally after `+86`/`86`) or a
/// landline with its area code (`0` + 2–3 digits, then 7–8 digits).
pub fn china_phone(input: &str) -> Option<String> {
    let s = digits_and_plus(input);
    let s = s.strip_prefix("+86").or_else(|| s.strip_prefix("0086")).unwrap_or(&s);
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mobile = s.len() == 11 && s.starts_with('1') && matches!(s.as_bytes()[1], b'3'..=b'9');
    let landline = s.starts_with('0') && (10..=12).contains(&s.len()) && s.as_bytes()[1] != b'0';
    (mobile || landline).then(|| s.to_owned())
}

/// An international number in E.164 form: `+`, then 7 to 15 digits, the first not 0.
pub fn international_phone(input: &str) -> Option<String> {
    let s = digits_and_plus(input);
    let digits = s.strip_prefix('+').or_else(|| s.strip_prefix("00"))?;
    let ok = (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
    ok.then(|| format!("+{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AddressInput {
        AddressInput {
            recipient: "阿依".into(),
            phone: "138 0013 8000".into(),
            country: String::new(),
            county_code: "513432".into(),
            region: String::new(),
            line: "光明镇 1 号".into(),
            postal_code: "616750".into(),
        }
    }

    #[test]
    fn a_chinese_address_names_a_county_and_a_valid_phone() {
        let a = ShippingAddress::parse(&input()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(a.phone, "13800138000");
        assert_eq!(a.country(), "CN");
        assert!(matches!(a.destination, Destination::China { county } if county.as_str() == "513432"));

        let prefecture = AddressInput { county_code: "513400".into(), ..input() };
        assert_eq!(ShippingAddress::parse(&prefecture).map_err(|e| e.field), Err("county_code"));
        let no_county = AddressInput { county_code: String::new(), ..input() };
        assert_eq!(ShippingAddress::parse(&no_county).map_err(|e| e.key), Err("address.error.county"));
        let bad_phone = AddressInput { phone: "12345".into(), ..input() };
        assert_eq!(ShippingAddress::parse(&bad_phone).map_err(|e| e.key), Err("address.error.phone_cn"));
        let bad_post = AddressInput { postal_code: "61675".into(), ..input() };
        assert_eq!(ShippingAddress::parse(&bad_post).map_err(|e| e.field), Err("postal_code"));
        let nobody = AddressInput { recipient: "  ".into(), ..input() };
        assert_eq!(ShippingAddress::parse(&nobody).map_err(|e| e.field), Err("recipient"));
    }

    #[test]
    fn phones() {
        assert_eq!(china_phone("+86 139-1234-5678").as_deref(), Some("13912345678"));
        assert_eq!(china_phone("0834-1234567").as_deref(), Some("08341234567"));
        assert_eq!(china_phone("010 12345678").as_deref(), Some("01012345678"));
        for bad in ["12912345678", "1391234567", "139123456789", "abc", "", "0012345678"] {
            assert_eq!(china_phone(bad), None, "{bad}");
        }
        assert_eq!(international_phone("+44 20 7946 0958").as_deref(), Some("+442079460958"));
        assert_eq!(international_phone("0049 30 123456").as_deref(), Some("+4930123456"));
        assert_eq!(international_phone("20 7946 0958"), None);
        assert_eq!(international_phone("+0 123456789"), None);
    }

    #[test]
    fn overseas_addresses_take_a_country_and_an_international_phone() {
        let a = AddressInput {
            country: "de".into(),
            county_code: String::new(),
            region: "Berlin".into(),
            phone: "+49 30 1234567".into(),
            postal_code: "10115".into(),
            ..input()
        };
        let parsed = ShippingAddress::parse(&a).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(parsed.country(), "DE");
        assert_eq!(parsed.phone, "+49301234567");
        let local_phone = AddressInput { phone: "030 1234567".into(), ..a.clone() };
        assert_eq!(ShippingAddress::parse(&local_phone).map_err(|e| e.key), Err("address.error.phone_intl"));
        let bad_country = AddressInput { country: "Germany".into(), ..a };
        assert_eq!(ShippingAddress::parse(&bad_country).map_err(|e| e.field), Err("country"));
    }
}

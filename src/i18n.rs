//! The two languages of the site (zh-CN and en): choosing one for a request, and the message
//! catalogues in `templates/i18n/`.

use crate::domain::listing::query_value;
use actix_web::dev::Payload;
use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::{FromRequest, HttpRequest};
use serde::Serialize;
use serde_json::Value;
use std::future::{ready, Ready};

/// The cookie that remembers a chosen language.
pub const LANG_COOKIE: &str = "lang";

/// A language the site is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
pub enum Lang {
    /// Simplified Chinese, the default.
    #[default]
    #[serde(rename = "zh")]
    Zh,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    /// The short code used in URLs, cookies and template keys: `zh` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The BCP 47 tag for `<html lang>` and `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Accepts `zh`, `zh-CN`, `zh-Hans`, `en`, `en-GB`… (any case); anything else is `None`.
    pub fn parse(s: &str) -> Option<Lang> {
        let primary = s.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The best supported language of an `Accept-Language` header, by q-value.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(u32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("");
            let q = pieces.find_map(|p| p.trim().strip_prefix("q=")).map_or(1000, |q| parse_q(q.trim()));
            if let Some(lang) = Lang::parse(tag) {
                if q > 0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l)
    }

    /// The language of a request: `?lang=`, then the remembered cookie, then
    /// `Accept-Language`, then the default. An unknown value at any step is skipped.
    pub fn of_request(req: &HttpRequest) -> Lang {
        query_lang(req.query_string())
            .or_else(|| req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())))
            .or_else(|| {
                req.headers().get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Lang::from_accept_language)
            })
            .unwrap_or_default()
    }
}

/// Parses a q-value ("0.8") into thousandths without floats.
fn parse_q(q: &str) -> u32 {
    let (whole, frac) = q.split_once('.').unwrap_or((q, ""));
    let whole: u32 = whole.parse().unwrap_or(0);
    let frac: String = frac.chars().chain("000".chars()).take(3).collect();
    (whole * 1000 + frac.parse::<u32>().unwrap_or(0)).min(1000)
}

/// The `lang` parameter of a query string, if it names a supported language.
pub fn query_lang(query: &str) -> Option<Lang> {
    query_value(&url_pairs(query), "lang").and_then(Lang::parse)
}

/// Decodes a query string into pairs, dropping malformed ones.
pub fn url_pairs(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default()
}

impl FromRequest for Lang {
    type Error = actix_web::Error;
    type Future = Ready<Result<Lang, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Lang::of_request(req)))
    }
}

const ZH: &str = include_str!("../templates/i18n/zh.toml");
const EN: &str = include_str!("../templates/i18n/en.toml");

/// The message catalogues, as nested JSON values for templates (`m.nav.products`) and code
/// (`text(lang, "nav.products")`).
#[derive(Debug)]
pub struct I18n {
    zh: Value,
    en: Value,
}

impl I18n {
    /// Parses the embedded catalogues.
    pub fn load() -> anyhow::Result<I18n> {
        let parse = |name: &str, text: &str| -> anyhow::Result<Value> {
            let table: toml::Table = toml::from_str(text).map_err(|e| anyhow::anyhow!("templates/i18n/{name}: {e}"))?;
            Ok(serde_json::to_value(table)?)
        };
        Ok(I18n { zh: parse("zh.toml", ZH)?, en: parse("en.toml", EN)? })
    }

    /// All messages of a language.
    pub fn messages(&self, lang: Lang) -> &Value {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }

    /// One message by dotted key; the key itself if it is missing (and a test fails).
    pub fn text(&self, lang: Lang, key: &str) -> String {
        key.split('.')
            .try_fold(self.messages(lang), |v, k| v.get(k))
            .and_then(Value::as_str)
            .map_or_else(|| key.to_owned(), str::to_owned)
    }

    /// An error's message with its values, and its field as `{field}`.
    pub fn detail_message(&self, lang: Lang, detail: &crate::error::ErrorDetail) -> String {
        let mut args: Vec<(&str, &str)> = detail.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        if let Some(field) = detail.field {
            args.push(("field", field));
        }
        self.format(lang, detail.key, &args)
    }

    /// A message with `{name}` placeholders filled in.
    pub fn format(&self, lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
        args.iter().fold(self.text(lang, key), |s, (name, value)| s.replace(&format!("{{{name}}}"), value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(v: &Value, prefix: &str, out: &mut BTreeSet<String>) {
        if let Some(map) = v.as_object() {
            for (k, child) in map {
                keys(child, &format!("{prefix}{k}."), out);
            }
        } else {
            out.insert(prefix.trim_end_matches('.').to_owned());
        }
    }

    #[test]
    fn catalogues_have_the_same_keys() {
        let i = I18n::load().map_err(|e| e.to_string());
        let i = i.as_ref().map_err(Clone::clone);
        let Ok(i) = i else { panic!("{i:?}") };
        let (mut zh, mut en) = (BTreeSet::new(), BTreeSet::new());
        keys(&i.zh, "", &mut zh);
        keys(&i.en, "", &mut en);
        assert_eq!(zh.difference(&en).collect::<Vec<_>>(), Vec::<&String>::new(), "only in zh");
        assert_eq!(en.difference(&zh).collect::<Vec<_>>(), Vec::<&String>::new(), "only in en");
        assert_eq!(i.text(Lang::En, "error.not_found"), "Page not found");
        assert_eq!(i.text(Lang::En, "no.such.key"), "no.such.key");
    }

    #[test]
    fn choosing_a_language() {
        assert_eq!(Lang::parse("zh-Hans-CN"), Some(Lang::Zh));
        assert_eq!(Lang::parse("EN_us"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::from_accept_language("fr-FR,en;q=0.8,zh;q=0.9"), Some(Lang::Zh));
        assert_eq!(Lang::from_accept_language("de, en-GB;q=0.5"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("de, fr;q=0.5"), None);
        assert_eq!(Lang::from_accept_language("zh;q=0, en;q=0.1"), Some(Lang::En));
        assert_eq!(query_lang("a=1&lang=en"), Some(Lang::En));
        assert_eq!(query_lang("lang=xx"), None);
    }
}

//! No page shows a person a raw code: every enum value goes through the catalogue. The test
//! crawls the site in Chinese and in English as a visitor, a buyer with an order, a workshop
//! manager, an operator and an official, and reads each page's visible text for
//! - message keys (`error.quantity_too_large`, any key of the catalogue);
//! - raw enum values: the keys of every catalogue section that templates look values up in
//!   (`m.cert[...]`, `m.order.status | get(...)`, found by reading the templates), and the
//!   reference data's raw heritage levels ("national", "not verified");
//! - on English pages, the Chinese labels of those sections (e.g. "传统技艺"), outside
//!   elements marked `lang="zh"`.

use crate::support::TestApp;
use crate::users::User;
use std::collections::{BTreeSet, HashSet};
use std::path::Path;

/// The catalogue of one language, flattened to `section.key` → text.
fn catalogue(lang: &str) -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("templates/i18n/{lang}.toml"));
    let table: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
    let mut out = Vec::new();
    fn walk(prefix: &str, t: &toml::Table, out: &mut Vec<(String, String)>) {
        for (k, v) in t {
            let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
            match v {
                toml::Value::Table(inner) => walk(&key, inner, out),
                toml::Value::String(s) => out.push((key, s.clone())),
                _ => {}
            }
        }
    }
    walk("", &table, &mut out);
    out
}

/// The catalogue sections templates index with a value (`m.cert[x]`, `m.order.status | get(key=x)`).
fn enum_sections() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("templates")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "html" || e == "txt") {
                let text = std::fs::read_to_string(&p).unwrap();
                for (i, _) in text.match_indices("m.") {
                    let rest = &text[i + 2..];
                    let name: String =
                        rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_' || *c == '.').collect();
                    let after = &rest[name.len()..];
                    if after.starts_with('[') || after.starts_with(" | get(") {
                        found.insert(name.trim_end_matches('.').to_string());
                    }
                }
            }
        }
    }
    // Sections of ordinary wording looked up by a computed key, not enum labels.
    for general in ["portal", "search", "address.countries"] {
        found.remove(general);
    }
    found
}

/// The page's visible prose in `lang`: no scripts, styles, tags, `<code>`, form fields'
/// contents (what people typed), `<bdi>` (names people chose), e-mail addresses and paths,
/// or elements marked with another `lang`
/// (a name given in both languages on purpose, a search query echoed back).
fn visible_text(html: &str, lang: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    // Elements whose content is not prose to read: skipped whole.
    // `<bdi>` holds text people wrote (a display name), in whatever language they wrote it.
    let skipped = ["script", "style", "code", "title", "textarea", "bdi"];
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        out.push(' ');
        rest = &rest[open..];
        let close = rest.find('>').map_or(rest.len(), |c| c + 1);
        let tag = &rest[..close];
        let name: String = tag[1..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        rest = &rest[close..];
        let other_lang = tag.split_once(" lang=\"").is_some_and(|(_, v)| !v.starts_with(lang) && name != "html");
        if skipped.contains(&name.as_str()) || (other_lang && !name.is_empty()) {
            // Skip to the matching end tag (these elements are not nested in our pages).
            let end = format!("</{name}");
            rest = rest.find(&end).map_or("", |e| &rest[e..]);
        }
    }
    out.push_str(rest);
    crate::support::unescape(&out)
        .split_whitespace()
        .filter(|w| !w.contains('@') && !w.contains('/'))
        .collect::<Vec<_>>()
        .join(" ")
}

struct Checker {
    keys: Vec<String>,
    raw: HashSet<String>,
    zh_labels: Vec<String>,
}

impl Checker {
    fn new() -> Checker {
        let zh = catalogue("zh");
        let sections = enum_sections();
        let in_enum = |key: &str| sections.iter().any(|s| key.rsplit_once('.').is_some_and(|(sec, _)| sec == s));
        let mut raw: HashSet<String> = zh
            .iter()
            .filter(|(k, _)| in_enum(k))
            .filter_map(|(k, _)| k.rsplit_once('.').map(|(_, leaf)| leaf.to_string()))
            .filter(|leaf| leaf.len() >= 3 && leaf.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .collect();
        raw.extend(["national".to_string(), "verified".to_string()]);
        // Chinese labels of enum values, which an English page must not show.
        let zh_labels = zh
            .iter()
            .filter(|(k, _)| in_enum(k))
            .map(|(_, v)| v.clone())
            .filter(|v| v.chars().count() >= 2 && !v.contains('{') && v.chars().all(|c| !c.is_ascii()))
            .collect();
        Checker { keys: zh.into_iter().map(|(k, _)| k).filter(|k| k.contains('.')).collect(), raw, zh_labels }
    }

    /// What is wrong with one page's text.
    fn problems(&self, html: &str, lang: &str) -> Vec<String> {
        let text = visible_text(html, lang);
        let mut found = Vec::new();
        for key in &self.keys {
            if text.split(|c: char| c.is_whitespace() || "()[]:,，。：".contains(c)).any(|w| w == key) {
                found.push(format!("message key {key}"));
            }
        }
        for word in text.split(|c: char| !(c.is_ascii_alphabetic() || c == '_')).filter(|w| !w.is_empty()) {
            let flagged = self.raw.contains(word) && (lang == "zh" || word.contains('_'));
            if flagged || (word.contains('_') && word.chars().all(|c| c.is_ascii_lowercase() || c == '_')) {
                found.push(format!("raw value {word:?}"));
            }
        }
        // Times are China time, labelled (issue 16): never UTC, never a raw RFC 3339 instant.
        if text.contains("UTC") {
            found.push("a time in UTC".into());
        }
        let b = text.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        if (0..b.len().saturating_sub(12)).any(|i| {
            digits(i..i + 4) && b[i + 4] == b'-' && digits(i + 5..i + 7) && b[i + 7] == b'-' && b[i + 10] == b'T'
        }) {
            found.push("a raw RFC 3339 instant".into());
        }
        if lang == "zh" && text.contains("not verified") {
            found.push("raw value \"not verified\"".into());
        }
        if lang == "en" {
            for label in &self.zh_labels {
                if text.contains(label.as_str()) {
                    found.push(format!("Chinese label {label:?} on an English page"));
                }
            }
        }
        found.sort();
        found.dedup();
        found
    }
}

/// Crawls from `start` as `user`, in `lang`, reading at most `limit` pages.
async fn crawl(
    user: &User,
    start: &[&str],
    lang: &str,
    limit: usize,
    checker: &Checker,
    report: &mut Vec<String>,
) -> usize {
    let _ = user.client.get(user.url(&format!("/?lang={lang}"))).send().await.unwrap();
    crate::crawl::crawl(start, limit, async |href: &str| {
        let res = user.client.get(user.url(href)).send().await.unwrap();
        let html_page =
            res.headers().get("content-type").is_some_and(|c| c.to_str().unwrap_or("").starts_with("text/html"));
        let html = if html_page { res.text().await.unwrap() } else { return None };
        for problem in checker.problems(&html, lang) {
            report.push(format!("{lang} {href}: {problem}"));
        }
        Some(html)
    })
    .await
}

#[tokio::test]
async fn no_page_in_either_language_shows_a_raw_enum_value_or_a_message_key() {
    let app = TestApp::spawn().await;
    // An order of the demo manager's workshop, so order pages and packing slips exist.
    crate::orders::demo_order(&app, 1, "untranslated-1").await;
    // And one by cash on delivery, waiting for the workshop's answer.
    let buyer = User::demo(&app, "buyer").await;
    let manager = User::demo(&app, "manager").await;
    let (product, _, _) = crate::orders::stocked_product(&app, Some(manager.workshop_id().await), None);
    let cod = crate::orders::checkout_body(&[(product, 1)], "untranslated-cod-1", "cash_on_delivery");
    assert_eq!(buyer.post_json("/api/v1/checkout", &cod).await.0, 201);
    let checker = Checker::new();
    assert!(
        checker.raw.contains("pending_payment")
            && checker.raw.contains("awaiting_acceptance")
            && checker.raw.contains("lapsed"),
        "the enum sections are found"
    );
    let mut report = Vec::new();
    let mut pages = 0;
    for lang in ["zh", "en"] {
        let visitor = User::anonymous(&app).await;
        pages +=
            crawl(&visitor, &["/", "/crafts", "/impact", "/search?q=漆器", "/login"], lang, 60, &checker, &mut report)
                .await;
        for (who, start) in [
            ("buyer", &["/orders", "/account", "/cart"][..]),
            ("manager", &["/portal"][..]),
            ("operator", &["/portal", "/ops"][..]),
            ("official", &["/officials"][..]),
        ] {
            let user = User::demo(&app, who).await;
            pages += crawl(&user, start, lang, 40, &checker, &mut report).await;
        }
    }
    assert!(pages > 60, "the crawl read {pages} pages");
    assert!(report.is_empty(), "{} problems:\n{}", report.len(), report.join("\n"));
}

#[test]
fn the_checker_finds_what_the_review_found() {
    let checker = Checker::new();
    assert!(!checker.problems("<p>级别: national</p>", "zh").is_empty());
    assert!(!checker.problems("<p>national · not verified</p>", "zh").is_empty());
    assert!(!checker.problems("<p>Category: 传统技艺</p>", "en").is_empty());
    assert!(checker.problems("<p>Category: <span lang=\"zh\">传统技艺</span></p>", "en").is_empty());
    assert!(!checker.problems("<p>error.quantity_too_large</p>", "en").is_empty());
    assert!(!checker.problems("<td>pending_payment</td>", "en").is_empty());
    assert!(checker.problems("<p>A national list of crafts</p>", "en").is_empty());
    assert!(checker.problems("<code>pending_payment</code><script>var a_b;</script>", "zh").is_empty());
}

//! Server-side rendering: the tera templates (compiled into the binary), their filters, and
//! the context every page shares (language, messages, language-switch links).

use crate::domain::attribution::ShareBp;
use crate::domain::Fen;
use crate::error::AppError;
use crate::i18n::{url_pairs, I18n, Lang};
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::HashMap;
use tera::{Context, Tera};

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/templates/"]
#[include = "*.html"]
#[include = "emails/*.txt"]
struct Templates;

/// Renders pages in the request's language.
pub struct Renderer {
    tera: Tera,
    i18n: I18n,
}

impl Renderer {
    /// Loads the templates and message catalogues; fails on a template syntax error.
    pub fn load() -> anyhow::Result<Renderer> {
        let mut tera = Tera::default();
        let mut sources = Vec::new();
        for name in Templates::iter() {
            let file = Templates::get(&name).ok_or_else(|| anyhow::anyhow!("template {name} vanished"))?;
            let text = String::from_utf8(file.data.into_owned())?;
            sources.push((name.to_string(), text));
        }
        tera.add_raw_templates(sources).map_err(|e| anyhow::anyhow!("templates: {}", chain(&e)))?;
        tera.set_escape_fn(escape_html);
        tera.register_filter("yuan", yuan_filter);
        tera.register_filter("pct", pct_filter);
        tera.register_filter("loc", loc_filter);
        let i18n = I18n::load()?;
        // Every time a person reads is China time, labelled in their language.
        let labels: HashMap<String, String> =
            Lang::ALL.iter().map(|l| (l.code().to_owned(), i18n.text(*l, "time.china"))).collect();
        tera.register_filter("china_time", move |v: &Value, args: &HashMap<String, Value>| {
            china_time_filter(v, args, &labels)
        });
        tera.register_filter("china_date", china_date_filter);
        tera.register_function("asset", asset_function);
        Ok(Renderer { tera, i18n })
    }

    pub fn i18n(&self) -> &I18n {
        &self.i18n
    }

    /// Renders `template` with `ctx` plus the shared page context, as a 200 HTML response.
    pub fn page(&self, req: &HttpRequest, lang: Lang, template: &str, ctx: Context) -> Result<HttpResponse, AppError> {
        let html = self.html(req, lang, template, ctx)?;
        Ok(HttpResponse::Ok()
            .content_type(ContentType::html())
            .insert_header((header::CONTENT_LANGUAGE, lang.tag()))
            .insert_header((header::VARY, "Accept-Language, Cookie"))
            .body(html))
    }

    /// Renders to a string.
    pub fn html(&self, req: &HttpRequest, lang: Lang, template: &str, mut ctx: Context) -> Result<String, AppError> {
        ctx.insert("lang", lang.code());
        ctx.insert("html_lang", lang.tag());
        ctx.insert("path", req.path());
        if let Some(csrf) = req.extensions().get::<crate::web::session::CsrfToken>() {
            ctx.insert("csrf", &csrf.0);
        }
        ctx.insert("signed_in", &req.cookie(crate::web::session::SESSION_COOKIE).is_some());
        let links: HashMap<&str, String> =
            Lang::ALL.iter().map(|l| (l.code(), url_with(req, &[("lang", Some(l.code()))]))).collect();
        ctx.insert("lang_links", &links);
        let rendered = with_messages(&self.i18n, lang, ctx, |full| self.tera.render(template, full));
        rendered.map_err(|e| AppError::Internal(anyhow::anyhow!("rendering {template}: {}", chain(&e))))
    }
}

impl Renderer {
    /// Renders a document that stands alone, outside any request (a file the command line
    /// writes, or a page printed to PDF): `template` with `ctx`, the language and the messages.
    pub fn document(&self, lang: Lang, template: &str, mut ctx: Context) -> Result<String, AppError> {
        ctx.insert("lang", lang.code());
        ctx.insert("html_lang", lang.tag());
        let rendered = with_messages(&self.i18n, lang, ctx, |full| self.tera.render(template, full));
        rendered.map_err(|e| AppError::Internal(anyhow::anyhow!("rendering {template}: {}", chain(&e))))
    }

    /// Renders the e-mail `emails/<name>.txt` in `lang`: its subject (the `mail.<name>.subject`
    /// message, with the context's values) and its plain-text body.
    pub fn email(&self, lang: Lang, name: &str, vars: &Context) -> anyhow::Result<(String, String)> {
        let mut ctx = vars.clone();
        ctx.insert("lang", lang.code());
        ctx.insert("m", self.i18n.messages(lang));
        let template = format!("emails/{name}.txt");
        let body =
            self.tera.render(&template, &ctx).map_err(|e| anyhow::anyhow!("rendering {template}: {}", chain(&e)))?;
        let mut subject = self.i18n.text(lang, &format!("mail.{name}.subject"));
        // A subject names at most the order and who wrote (nothing a message says).
        for key in ["number", "from"] {
            if let Some(value) = vars.get(key).and_then(|n| n.as_str()) {
                subject = subject.replace(&format!("{{{key}}}"), value);
            }
        }
        Ok((subject, body))
    }
}

thread_local! {
    /// Each worker thread's context per language, holding only the message catalogue (`m`).
    /// The catalogue is most of a page's context: copying it into every page's context, and
    /// dropping it after, was a fifth of drawing a product list.
    static MESSAGES: RefCell<HashMap<Lang, Context>> = RefCell::new(HashMap::new());
}

/// Takes a request's own keys out of a shared context when dropped, even when drawing the page
/// panicked: what one request put there is never seen by the next.
struct Scrub<'a> {
    ctx: &'a mut Context,
    keys: Vec<String>,
}

impl Drop for Scrub<'_> {
    fn drop(&mut self) {
        for k in &self.keys {
            self.ctx.remove(k);
        }
    }
}

/// Calls `f` with `own` plus the message catalogue of `lang` as `m`.
fn with_messages<T>(
    i18n: &I18n,
    lang: Lang,
    own: Context,
    f: impl FnOnce(&Context) -> tera::Result<T>,
) -> tera::Result<T> {
    let own = own.into_json();
    let keys: Vec<String> = own.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    let own = Context::from_value(own)?;
    MESSAGES.with(|cell| {
        let Ok(mut contexts) = cell.try_borrow_mut() else {
            // Not expected (drawing a page does not draw another); then the slow way.
            let mut full = own;
            full.insert("m", i18n.messages(lang));
            return f(&full);
        };
        let base = contexts.entry(lang).or_insert_with(|| {
            let mut c = Context::new();
            c.insert("m", i18n.messages(lang));
            c
        });
        if keys.iter().any(|k| k == "m") {
            return Err(tera::Error::msg("a page's context must not set `m`: it is the message catalogue"));
        }
        base.extend(own);
        let scrub = Scrub { ctx: base, keys };
        f(scrub.ctx)
    })
}

/// The current path and query with some parameters replaced (`Some`) or removed (`None`).
pub fn url_with(req: &HttpRequest, changes: &[(&str, Option<&str>)]) -> String {
    let mut pairs: Vec<(String, String)> = url_pairs(req.query_string())
        .into_iter()
        .filter(|(k, v)| !v.is_empty() && !changes.iter().any(|(c, _)| c == k))
        .collect();
    for (k, v) in changes {
        if let Some(v) = v {
            pairs.push(((*k).to_owned(), (*v).to_owned()));
        }
    }
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    if query.is_empty() {
        req.path().to_owned()
    } else {
        format!("{}?{query}", req.path())
    }
}

/// Tera's errors hide their cause in `source()`; walk it so logs say what broke.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// HTML escaping for text and quoted attribute values: `&`, `<`, `>`, `"` and `'`. Tera's own
/// also writes every `/` as `&#x2F;`, which no context of ours needs and which made image
/// `srcset`s a sixth longer.
fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 8);
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

/// `{{ asset(path="css/site.css") }}` → the file's versioned URL, kept a year by browsers.
fn asset_function(args: &HashMap<String, Value>) -> tera::Result<Value> {
    let path = args.get("path").and_then(Value::as_str).ok_or_else(|| tera::Error::msg("asset: no path"))?;
    crate::web::assets::versioned_url(path)
        .map(Value::String)
        .ok_or_else(|| tera::Error::msg(format!("asset: no static file {path}")))
}

/// `{{ 1234 | yuan }}` → `¥12.34`.
fn yuan_filter(v: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let fen = v.as_i64().ok_or_else(|| tera::Error::msg("yuan: not an integer amount of fen"))?;
    Ok(Value::String(Fen(fen).to_string()))
}

/// `{{ 3750 | pct }}` → `37.5%`.
fn pct_filter(v: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let bp = v.as_i64().and_then(ShareBp::new).ok_or_else(|| tera::Error::msg("pct: not basis points"))?;
    Ok(Value::String(bp.percent_string()))
}

/// `{{ thing | loc(lang=lang) }}`: the text of a `{zh, en}` pair, or a region's Chinese name
/// (zh) or pinyin (en), or a heritage item's `name_zh`/`name_en`.
fn loc_filter(v: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let lang = args.get("lang").and_then(Value::as_str).unwrap_or("zh");
    let pick = |keys: &[&str]| keys.iter().find_map(|k| v.get(*k).filter(|x| !x.is_null()).cloned());
    let found = if lang == "en" {
        pick(&["en", "name_en", "name_pinyin", "name_latin", "zh", "name_zh"])
    } else {
        pick(&["zh", "name_zh", "en", "name_en"])
    };
    Ok(found.unwrap_or(Value::Null))
}

/// `{{ "2026-11-28T12:00:00+08:00" | china_time(lang=lang) }}` → `2026-11-28 12:00 北京时间`: an
/// instant as the views serialize it (RFC 3339 in China time, see [`crate::clock::china_time`]),
/// to the minute, with the label in the page's language. Empty for `null`.
fn china_time_filter(
    v: &Value,
    args: &HashMap<String, Value>,
    labels: &HashMap<String, String>,
) -> tera::Result<Value> {
    let Some(t) = instant(v, "china_time")? else { return Ok(Value::String(String::new())) };
    let lang = args.get("lang").and_then(Value::as_str).unwrap_or("zh");
    let label = labels.get(lang).map(String::as_str).unwrap_or_default();
    Ok(Value::String(format!("{} {label}", t.format("%Y-%m-%d %H:%M")).trim_end().to_owned()))
}

/// `{{ "2026-11-28T23:30:00+08:00" | china_date }}` → `2026-11-28`: the day in China.
fn china_date_filter(v: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let Some(t) = instant(v, "china_date")? else { return Ok(Value::String(String::new())) };
    Ok(Value::String(t.format("%Y-%m-%d").to_string()))
}

/// An instant as the views serialise it, in China time; `None` for `null`.
fn instant(v: &Value, filter: &str) -> tera::Result<Option<chrono::DateTime<chrono::FixedOffset>>> {
    let Some(text) = v.as_str() else { return Ok(None) };
    let t = chrono::DateTime::parse_from_rfc3339(text)
        .map_err(|e| tera::Error::msg(format!("{filter}: {text:?} is not RFC 3339: {e}")))?;
    Ok(Some(t.with_timezone(&crate::clock::china_offset())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sees(i18n: &I18n, ctx: Context) -> (bool, bool) {
        with_messages(i18n, Lang::Zh, ctx, |c| Ok((c.contains_key("csrf"), c.contains_key("m")))).unwrap()
    }

    #[test]
    fn a_page_never_sees_what_the_page_before_it_put_in_the_shared_context() {
        let i18n = I18n::load().unwrap();
        let mut first = Context::new();
        first.insert("csrf", "token-of-the-first-browser");
        assert_eq!(sees(&i18n, first), (true, true));
        assert_eq!(sees(&i18n, Context::new()), (false, true), "gone after the first page");
        let mut failing = Context::new();
        failing.insert("csrf", "token-of-a-page-that-panicked");
        let drawn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            with_messages(&i18n, Lang::Zh, failing, |_| -> tera::Result<()> { panic!("drawing failed") })
        }));
        assert!(drawn.is_err());
        assert_eq!(sees(&i18n, Context::new()), (false, true), "gone after a panic too");
        let mut sets_m = Context::new();
        sets_m.insert("m", "not the catalogue");
        assert!(with_messages(&i18n, Lang::Zh, sets_m, |_| Ok(())).is_err());
        assert_eq!(sees(&i18n, Context::new()), (false, true), "the catalogue is intact");
    }
}

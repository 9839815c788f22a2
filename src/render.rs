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
        ctx.insert("m", self.i18n.messages(lang));
        ctx.insert("path", req.path());
        if let Some(csrf) = req.extensions().get::<crate::web::session::CsrfToken>() {
            ctx.insert("csrf", &csrf.0);
        }
        ctx.insert("signed_in", &req.cookie(crate::web::session::SESSION_COOKIE).is_some());
        let links: HashMap<&str, String> =
            Lang::ALL.iter().map(|l| (l.code(), url_with(req, &[("lang", Some(l.code()))]))).collect();
        ctx.insert("lang_links", &links);
        self.tera
            .render(template, &ctx)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("rendering {template}: {}", chain(&e))))
    }
}

impl Renderer {
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
        if let Some(number) = vars.get("number").and_then(|n| n.as_str()) {
            subject = subject.replace("{number}", number);
        }
        Ok((subject, body))
    }
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

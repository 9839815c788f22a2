//! HTML forms that forgive mistakes. A form post that is refused is drawn again with what the
//! user typed (never a password) and each message beside its field, in the user's language,
//! naming the field by its label from the catalogue (`[field]`, or `[field.<scope>]` where a
//! name means different things on different forms). The JSON API is untouched: a mistake
//! there still answers with its status, `field` and `message`.
//!
//! A handler takes a [`Submission`], runs its action and hands the result to [`answer`] with
//! a function that draws the form's page from a [`FormState`]. Templates draw the fields
//! with the macros of `templates/forms.html`, which mark an invalid field with
//! `aria-invalid` and point its `aria-describedby` at the message.

use crate::error::AppError;
use crate::i18n::{I18n, Lang};
use crate::state::AppState;
use crate::web::errors::CompletePage;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

/// Fields never drawn back into a form: a password is typed again, a CSRF token comes fresh.
const NEVER_KEPT: [&str; 2] = ["password", "csrf"];

/// A form as the page draws it: the values to show (what was typed, or the record being
/// edited) and the messages of a refused submission.
#[derive(Debug, Clone, Serialize)]
pub struct FormState {
    /// The prefix of the form's element ids (`{p}-{name}`, `{p}-{name}-error`), so that two
    /// forms on one page never share an id.
    p: String,
    /// Each field's value (the first, for a field sent more than once).
    v: BTreeMap<String, String>,
    /// Every value of each field in order: the rows of a table, such as the makers.
    all: BTreeMap<String, Vec<String>>,
    /// The message of each field at fault, by the field it is drawn beside.
    errors: BTreeMap<String, String>,
    /// Every message in the order found, each with the id of its field (if drawn): the list
    /// above the form.
    summary: Vec<Problem>,
    #[serde(skip)]
    scope: Option<&'static str>,
    #[serde(skip)]
    groups: Vec<(&'static str, &'static str)>,
    #[serde(skip)]
    anchors: Vec<(&'static str, &'static str)>,
}

/// One message of the summary above a form.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// The element to go to, if the message is about a field.
    pub anchor: Option<String>,
    pub message: String,
}

impl Default for FormState {
    fn default() -> Self {
        FormState::new("f")
    }
}

impl FormState {
    /// An empty form whose element ids start with `prefix`.
    pub fn new(prefix: &str) -> FormState {
        FormState {
            p: prefix.to_owned(),
            v: BTreeMap::new(),
            all: BTreeMap::new(),
            errors: BTreeMap::new(),
            summary: Vec::new(),
            scope: None,
            groups: Vec::new(),
            anchors: Vec::new(),
        }
    }

    /// What a form sent, as decoded pairs (passwords and the CSRF token dropped).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> FormState {
        let mut form = FormState::default();
        for (k, v) in pairs {
            if NEVER_KEPT.contains(&k.as_str()) {
                continue;
            }
            form.v.entry(k.clone()).or_insert_with(|| v.clone());
            form.all.entry(k).or_default().push(v);
        }
        form
    }

    /// The same form with another id prefix.
    pub fn prefixed(mut self, prefix: &str) -> FormState {
        self.p = prefix.to_owned();
        self
    }

    /// Labels are looked up in `[field.<scope>]` first (e.g. `workshop`: its `name_zh` is
    /// the workshop's name, not a person's).
    pub fn scoped(mut self, scope: &'static str) -> FormState {
        self.scope = Some(scope);
        self
    }

    /// Messages about `field` are drawn beside `group` (e.g. a maker's share beside the
    /// makers' table).
    pub fn group(mut self, field: &'static str, group: &'static str) -> FormState {
        self.groups.push((field, group));
        self
    }

    /// The element of `field` has the id `id` rather than `{p}-{field}` (a script uses it).
    pub fn anchor(mut self, field: &'static str, id: &'static str) -> FormState {
        self.anchors.push((field, id));
        self
    }

    /// Sets a field's value (a record being edited).
    pub fn with(mut self, name: &str, value: impl Into<String>) -> FormState {
        let value = value.into();
        self.all.insert(name.to_owned(), vec![value.clone()]);
        self.v.insert(name.to_owned(), value);
        self
    }

    /// Sets every value of a repeated field (the rows of a table).
    pub fn with_all(mut self, name: &str, values: Vec<String>) -> FormState {
        match values.first() {
            Some(first) => self.v.insert(name.to_owned(), first.clone()),
            None => self.v.remove(name),
        };
        self.all.insert(name.to_owned(), values);
        self
    }

    /// The value of a field, if sent.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.v.get(name).map(String::as_str)
    }

    /// Every value of a repeated field, in order.
    pub fn values(&self, name: &str) -> &[String] {
        self.all.get(name).map_or(&[], Vec::as_slice)
    }

    /// Whether the form sent the field at all (even empty).
    pub fn has(&self, name: &str) -> bool {
        self.all.contains_key(name)
    }

    /// Whether a message was recorded.
    pub fn failed(&self) -> bool {
        !self.summary.is_empty()
    }

    /// Records what was wrong: beside its field (by the field's label), or above the form.
    pub fn fail(&mut self, i18n: &I18n, lang: Lang, error: &AppError) {
        let detail = error.detail();
        // "request" and "body" name the whole request, except where the form has a field
        // called `body` (a message's or a review's text).
        let field = detail.field.filter(|f| *f != "request" && (*f != "body" || self.has("body")));
        let mut args: Vec<(&str, String)> = detail.args.iter().map(|(k, v)| (*k, v.clone())).collect();
        if let Some(f) = field {
            args.push(("field", label(i18n, lang, self.scope, f)));
        }
        let refs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let message = i18n.format(lang, detail.key, &refs);
        let placed = field.map(|f| self.groups.iter().find(|(from, _)| *from == f).map_or(f, |(_, to)| *to));
        let anchor = placed.map(|f| {
            self.anchors
                .iter()
                .find(|(from, _)| *from == f)
                .map_or_else(|| format!("{}-{f}", self.p), |(_, id)| (*id).to_owned())
        });
        if let Some(f) = placed {
            self.errors.entry(f.to_owned()).or_insert_with(|| message.clone());
        }
        self.summary.push(Problem { anchor, message });
    }
}

/// A field's label in `lang`: `field.<scope>.<name>`, else `field.<name>`, else the name.
pub fn label(i18n: &I18n, lang: Lang, scope: Option<&str>, field: &str) -> String {
    let messages = i18n.messages(lang);
    let find = |path: &[&str]| path.iter().try_fold(messages, |v, k| v.get(*k)).and_then(Value::as_str);
    scope
        .and_then(|s| find(&["field", s, field]))
        .or_else(|| find(&["field", field]))
        .map_or_else(|| field.to_owned(), str::to_owned)
}

/// What a form post or a JSON call sent. A JSON body is read as before (its errors answer as
/// before); a form keeps what was typed, and its typed value is either read or the reason it
/// could not be, naming the field (so the form can be drawn again around it).
pub enum Submission<T> {
    Json(T),
    Form(Box<FormState>, Result<T, AppError>),
}

impl<T> Submission<T> {
    /// The input (or why a form's could not be read) and, for a form, what was typed.
    pub fn split(self) -> (Result<T, AppError>, Option<FormState>) {
        match self {
            Submission::Json(t) => (Ok(t), None),
            Submission::Form(form, t) => (t, Some(*form)),
        }
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Submission<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = req
            .mime_type()
            .ok()
            .flatten()
            .is_some_and(|m| m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"));
        if json {
            let body = web::Json::<T>::from_request(req, payload);
            return Box::pin(async move { Ok(Submission::Json(body.await?.into_inner())) });
        }
        let is_form = req.content_type().starts_with("application/x-www-form-urlencoded");
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await?;
            if !is_form {
                return Err(AppError::BadRequest { field: "body", key: "error.bad_request" }.into());
            }
            if bytes.len() > crate::server::FORM_LIMIT {
                return Err(AppError::TooLarge { key: "error.too_large" }.into());
            }
            let pairs = crate::i18n::url_pairs(std::str::from_utf8(&bytes).unwrap_or(""));
            let typed = serde_urlencoded::from_bytes::<T>(&bytes).map_err(|e| unreadable::<T>(&pairs, &e));
            Ok(Submission::Form(Box::new(FormState::from_pairs(pairs)), typed))
        })
    }
}

/// Why a form did not read as its type, naming the field: a missing one, or the last field
/// whose value spoils it (found by leaving fields out one after another until the rest reads).
fn unreadable<T: DeserializeOwned>(pairs: &[(String, String)], error: &serde_urlencoded::de::Error) -> AppError {
    let names = field_names::<T>();
    let known = |k: &str| names.iter().copied().find(|n| *n == k);
    let missing = |e: &str| e.strip_prefix("missing field `").and_then(|m| m.strip_suffix('`')).map(str::to_owned);
    if let Some(field) = missing(&error.to_string()).as_deref().and_then(known) {
        return AppError::BadRequest { field, key: "error.required" };
    }
    let mut keys: Vec<&str> = Vec::new();
    for (k, _) in pairs {
        if !keys.contains(&k.as_str()) {
            keys.push(k);
        }
    }
    let mut left = pairs.to_vec();
    for key in keys {
        left.retain(|(k, _)| k != key);
        let rest = serde_urlencoded::to_string(&left).unwrap_or_default();
        let reads = match serde_urlencoded::from_str::<T>(&rest) {
            Ok(_) => true,
            Err(e) => missing(&e.to_string()).is_some(),
        };
        if reads {
            if let Some(field) = known(key) {
                return AppError::BadRequest { field, key: "error.whole_number" };
            }
            break;
        }
    }
    AppError::BadRequest { field: "request", key: "error.bad_request" }
}

/// The field names of a struct that derives `Deserialize` (empty for anything else, or for a
/// struct with flattened fields): it is asked to read itself from a probe that only listens.
fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{Error as _, Visitor};
    struct Probe<'a>(&'a mut &'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for Probe<'_> {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(Self::Error::custom("probe"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(Self::Error::custom("probe"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut names: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut names));
    names
}

/// Whether the user can put a refusal right by changing what they typed.
fn correctable(e: &AppError) -> bool {
    matches!(
        e,
        AppError::BadRequest { .. }
            | AppError::Invalid { .. }
            | AppError::Conflict { .. }
            | AppError::ConflictWith { .. }
            | AppError::TooMany { .. }
            | AppError::TooLarge { .. }
    )
}

/// The answer to a form post or a JSON call: the action's own answer, or, after a mistake
/// in an HTML form, the form's page drawn again by `redraw` with what was typed and the
/// message beside its field. The page keeps the status the JSON API gives the same mistake
/// (400 for a field, 409 for a conflict, 429 for too many attempts).
pub async fn answer<F, Fut>(
    state: &AppState,
    req: &HttpRequest,
    result: Result<HttpResponse, AppError>,
    form: Option<FormState>,
    redraw: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(FormState) -> Fut,
    Fut: Future<Output = Result<HttpResponse, AppError>>,
{
    // The API answers in JSON however its body was encoded.
    let api = req.path().starts_with("/api/");
    let (error, mut form) = match (result, form) {
        (Err(e), Some(form)) if correctable(&e) && !api => (e, form),
        (other, _) => return other,
    };
    form.fail(state.renderer.i18n(), Lang::of_request(req), &error);
    let mut res = redraw(form).await?;
    *res.status_mut() = error.status_code();
    if let AppError::TooMany { retry_after, .. } = &error {
        if let Ok(v) = header::HeaderValue::from_str(&retry_after.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    res.extensions_mut().insert(CompletePage);
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Input {
        title: String,
        #[serde(default, deserialize_with = "crate::portal::input::opt_i64")]
        stock: Option<i64>,
        #[serde(default, deserialize_with = "crate::portal::input::opt_i64")]
        days: Option<i64>,
    }

    fn field_of(query: &str) -> String {
        let pairs = crate::i18n::url_pairs(query);
        match serde_urlencoded::from_str::<Input>(query) {
            Ok(_) => "ok".into(),
            Err(e) => match unreadable::<Input>(&pairs, &e) {
                AppError::BadRequest { field, key } => format!("{field} {key}"),
                other => format!("{other:?}"),
            },
        }
    }

    #[test]
    fn a_form_that_does_not_read_names_its_field() {
        assert_eq!(field_names::<Input>(), ["title", "stock", "days"]);
        assert_eq!(field_of("title=a&stock=3"), "ok");
        assert_eq!(field_of("title=a&stock=x&days=2"), "stock error.whole_number");
        assert_eq!(field_of("stock=x&title=a&days=y"), "days error.whole_number");
        assert_eq!(field_of("stock=1"), "title error.required");
        assert_eq!(field_of("days=1.5&title=b"), "days error.whole_number");
    }

    #[test]
    fn a_form_keeps_what_was_typed_but_never_a_password() {
        let pairs = crate::i18n::url_pairs("email=a%40b.cn&password=secret&csrf=t&share=60&share=30");
        let form = FormState::from_pairs(pairs);
        assert_eq!(form.value("email"), Some("a@b.cn"));
        assert_eq!(form.value("password"), None);
        assert_eq!(form.value("csrf"), None);
        assert_eq!(form.values("share"), ["60", "30"]);
    }

    #[test]
    fn a_message_names_the_field_by_its_label_in_the_users_language() {
        let i18n = I18n::load().map_err(|e| e.to_string());
        let Ok(i18n) = i18n else { panic!("{i18n:?}") };
        let mut form = FormState::default().group("share", "makers");
        form.fail(&i18n, Lang::Zh, &AppError::BadRequest { field: "price", key: "error.amount" });
        form.fail(&i18n, Lang::Zh, &AppError::BadRequest { field: "share", key: "error.percent" });
        let json = serde_json::to_value(&form).unwrap_or_default();
        let price = json["errors"]["price"].as_str().unwrap_or_default();
        assert!(price.contains("价格") && !price.contains("price"), "{price}");
        assert!(json["errors"]["makers"].as_str().unwrap_or_default().contains("份额"), "{json}");
        assert_eq!(json["summary"][1]["anchor"], "f-makers");
        let mut en = FormState::default().scoped("workshop");
        en.fail(&i18n, Lang::En, &AppError::BadRequest { field: "name_zh", key: "error.required" });
        assert_eq!(en.summary[0].message, "\"Name (Chinese)\" is required");
    }
}

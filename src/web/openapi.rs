//! The OpenAPI 3.1 document of `/api/v1`, served at `/api/openapi.json`.
//!
//! Each handler declares its own operation (`#[utoipa::path]`: its success body, the errors
//! particular to it, its request body and bounds). [`document`] then adds what every operation
//! shares, so that no handler can forget it: the answers the framework gives before a handler
//! runs (400 for a malformed parameter or body, 401 without a session, 403 without a role or a
//! CSRF token, 404 for an unknown id), a description on every answer, a summary on every
//! operation, and the links that let a client (or Schemathesis) go from an order to its
//! parcels, lines, payment and refunds.

use crate::web::errors::ApiError;
use actix_web::HttpResponse;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;
use utoipa::OpenApi;

/// The operations and the schemas they use (utoipa collects the schemas of every body and
/// parameter named in a path; those listed here are the ones no path names directly).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gongfang API",
        description = "Heritage crafts traced to the workshops and artisans who made them. Amounts are integer fen (1/100 yuan); times are RFC 3339 in China time (+08:00). Errors are JSON: `{\"error\": {status, code, field, message}}`, the message in the request's language (`Accept-Language`: zh or en)."
    ),
    paths(
        crate::web::api::products, crate::web::api::product, crate::web::api::workshop, crate::web::api::region,
        crate::web::search::api_search, crate::web::search::api_suggest,
        crate::web::auth::session, crate::web::auth::login, crate::web::auth::create_token, crate::web::auth::logout,
        crate::web::auth::register, crate::web::auth::forgot, crate::web::auth::reset, crate::web::auth::invite,
        crate::web::auth::accept_invitation,
        crate::web::portal::home, crate::web::portal::workshop, crate::web::portal::workers, crate::web::portal::worker,
        crate::web::portal::products, crate::web::portal::products::product, crate::web::portal::review_queue,
        crate::web::portal::actions::update_profile, crate::web::portal::actions::certify,
        crate::web::portal::actions::payout_account, crate::web::portal::actions::create_worker, crate::web::portal::training::list, crate::web::portal::training::record, crate::web::portal::designers::list, crate::web::portal::designers::add_workstation, crate::web::portal::designers::add_designer, crate::web::portal::designers::design,
        crate::web::portal::actions::update_worker, crate::web::portal::actions::consent,
        crate::web::portal::actions::household_status, crate::web::portal::actions::secret,
        crate::web::portal::products::create_product, crate::web::portal::products::update_product,
        crate::web::portal::products::makers, crate::web::portal::products::variants, crate::web::portal::products::archive, crate::web::portal::products::submit,
        crate::web::portal::products::duplicate, crate::web::portal::products::review,
        crate::web::portal::photos::upload, crate::web::portal::photos::set_alt, crate::web::portal::photos::delete,
        crate::web::shop::cart, crate::web::shop::add_item, crate::web::shop::set_item, crate::web::shop::checkout,
        crate::web::buyer_orders::orders, crate::web::buyer_orders::order, crate::web::buyer_orders::pay, crate::web::buyer_orders::cancel,
        crate::web::buyer_orders::delivered, crate::web::buyer_orders::request_return,
        crate::web::favourites::list, crate::web::favourites::keep, crate::web::favourites::remove,
        crate::web::favourites::follow, crate::web::favourites::unfollow,
        crate::web::reviews::write, crate::web::reviews::list, crate::web::reviews::helpful,
        crate::web::reviews::portal_list, crate::web::reviews::reply, crate::web::reviews::hide,
        crate::web::messages::ask_product, crate::web::messages::ask_order, crate::web::messages::list,
        crate::web::messages::thread, crate::web::messages::write, crate::web::messages::report,
        crate::web::custom_orders::request, crate::web::custom_orders::list, crate::web::custom_orders::view,
        crate::web::custom_orders::quote, crate::web::custom_orders::accept, crate::web::custom_orders::decline,
        crate::web::custom_orders::pay, crate::web::custom_orders::progress, crate::web::custom_orders::ship,
        crate::web::custom_orders::received, crate::web::custom_orders::cancel,
        crate::web::portal::orders::queue, crate::web::portal::orders::ship, crate::web::portal::orders::confirm_payment,
        crate::web::portal::orders::accept_cod, crate::web::portal::orders::refuse_cod,
        crate::web::portal::orders::refund_line, crate::web::portal::orders::refund_shipping,
        crate::web::portal::orders::decide, crate::web::portal::orders::search,
        crate::web::payouts::list, crate::web::payouts::run, crate::web::payouts::mark,
        crate::web::payouts::send_transfers, crate::web::payouts::stripe_account, crate::web::payouts::payout,
        crate::web::payouts::disbursement, crate::web::payouts::voucher_upload, crate::web::payouts::ack_code,
        crate::web::payouts::income, crate::web::payouts::impact,
        crate::web::reports::dashboard, crate::web::reports::export, crate::web::reports::attendance, crate::web::reports::annual, crate::web::organisations::page, crate::web::organisations::register, crate::web::organisations::add_member, crate::web::organisations::upload_lines, crate::web::organisations::purchases_csv, crate::web::organisations::record_invoice, crate::web::organisations::institutional, crate::web::reports::impact_country,
        crate::web::reports::impact_region, crate::web::reports::impact_workshop,
    ),
    modifiers(&Security),
    components(schemas(ApiError))
)]
pub struct ApiDoc;

/// The two ways to call the portal API: a bearer token (`POST /api/v1/auth/tokens`), or the
/// session cookie plus the `X-CSRF-Token` header from `GET /api/v1/auth/session`.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "gf_session",
                "The session cookie; state-changing calls also send X-CSRF-Token",
            ))),
        );
    }
}

/// `GET /api/openapi.json`
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

/// The complete document, built once.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        complete(&mut doc);
        doc
    })
}

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Adds to every operation what it shares with the others (see the module's comment).
fn complete(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for item in paths.values_mut() {
        for method in METHODS {
            let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) else { continue };
            complete_operation(method, op);
        }
    }
    add_links(doc);
}

fn complete_operation(method: &str, op: &mut Map<String, Value>) {
    if op.get("summary").and_then(Value::as_str).unwrap_or("").is_empty() {
        if let Some(summary) = op.get("description").and_then(Value::as_str).map(first_sentence) {
            op.insert("summary".into(), summary.into());
        }
    }
    let params = op.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
    let takes_input = !params.is_empty() || op.contains_key("requestBody");
    let in_path = params.iter().any(|p| p["in"] == "path");
    let security = op.get("security").and_then(Value::as_array).cloned().unwrap_or_default();
    let signs_in = !security.is_empty();
    let must_sign_in = signs_in && !security.iter().any(|s| s.as_object().is_some_and(Map::is_empty));
    let responses = op.entry("responses").or_insert_with(|| json!({}));
    let Some(responses) = responses.as_object_mut() else { return };
    let shared = [
        ("400", takes_input),
        // An unknown or expired token is refused even where signing in is optional.
        ("401", signs_in),
        ("403", must_sign_in || method == "post"),
        ("404", in_path),
    ];
    for (status, applies) in shared {
        if applies {
            responses.entry(status).or_insert_with(|| json!({}));
        }
    }
    for (status, response) in responses.iter_mut() {
        let Some(response) = response.as_object_mut() else { continue };
        if response.get("description").and_then(Value::as_str).unwrap_or("").is_empty() {
            response.insert("description".into(), describe(status).into());
        }
        if !status.starts_with('2') && !response.contains_key("content") {
            response.insert(
                "content".into(),
                json!({ "application/json": { "schema": { "$ref": "#/components/schemas/ApiError" } } }),
            );
        }
    }
}

/// The first sentence of a description, for an operation's summary.
fn first_sentence(text: &str) -> String {
    let end = text.find(". ").map_or(text.len(), |i| i + 1);
    text[..end].trim_end_matches(':').to_owned()
}

/// What an answer means, where the operation does not say more.
fn describe(status: &str) -> &'static str {
    match status {
        "200" => "Done: the body holds the result",
        "201" => "Created: the body holds what was created",
        "202" => "Accepted: an e-mail is on its way if the address may receive it",
        "204" => "Done; no body",
        "400" => "A parameter or field is malformed or out of bounds: `error.field` names it and `error.message` says why",
        "401" => "Not signed in, or the session or token has expired",
        "403" => "This account may not do this, or a session call lacks its X-CSRF-Token header",
        "404" => "Nothing with this identifier, or nothing this account may see",
        "409" => "The request conflicts with the current state (sold out, already paid, already shipped…); `error.message` says which",
        "413" => "The upload is too large",
        "429" => "Too many attempts: wait the seconds given in Retry-After",
        "503" => "A service behind this call is briefly unavailable: try again shortly",
        _ => "See `error.message`",
    }
}

/// A link: `(operationId, status, target operationId, [(parameter, runtime expression)])`; the
/// link is named for its target.
type LinkSpec = (&'static str, &'static str, &'static str, &'static [(&'static str, &'static str)]);

/// Where a response's values lead. Schemathesis follows these in its stateful phase, and a
/// client reads them as documentation of which id goes where.
const LINKS: &[LinkSpec] = &[
    ("checkout", "201", "order", &[("number", "$response.body#/number")]),
    ("checkout", "201", "pay", &[("number", "$response.body#/number")]),
    ("checkout", "201", "cancel", &[("number", "$response.body#/number")]),
    ("checkout", "201", "impact", &[("number", "$response.body#/number")]),
    ("checkout", "201", "confirm_payment", &[("number", "$response.body#/number")]),
    ("checkout", "201", "accept_cod", &[("number", "$response.body#/number")]),
    ("checkout", "201", "refuse_cod", &[("number", "$response.body#/number")]),
    ("order", "200", "ship", &[("id", "$response.body#/parcels/0/id")]),
    ("order", "200", "delivered", &[("id", "$response.body#/parcels/0/id")]),
    ("order", "200", "refund_shipping", &[("id", "$response.body#/parcels/0/id")]),
    ("order", "200", "refund_line", &[("id", "$response.body#/parcels/0/lines/0/id")]),
    (
        "order",
        "200",
        "request_return",
        &[("number", "$response.body#/number"), ("line", "$response.body#/parcels/0/lines/0/id")],
    ),
    ("order", "200", "confirm_payment", &[("number", "$response.body#/number")]),
    ("order", "200", "accept_cod", &[("number", "$response.body#/number")]),
    ("order", "200", "refuse_cod", &[("number", "$response.body#/number")]),
    ("order", "200", "impact", &[("number", "$response.body#/number")]),
    ("request_return", "200", "decide", &[("id", "$response.body#/id")]),
    ("refund_line", "200", "decide", &[("id", "$response.body#/id")]),
    ("orders", "200", "order", &[("number", "$response.body#/orders/0/number")]),
    ("queue", "200", "order", &[("number", "$response.body#/orders/0/number")]),
    ("search", "200", "order", &[("number", "$response.body#/orders/0/number")]),
    ("list", "200", "payout", &[("id", "$response.body#/payouts/0/payout/id")]),
    ("list", "200", "mark", &[("id", "$response.body#/payouts/0/payout/id")]),
    ("home", "200", "portal_workshop", &[("id", "$response.body#/0/id")]),
    ("home", "200", "workers", &[("id", "$response.body#/0/id")]),
    ("home", "200", "portal_products", &[("id", "$response.body#/0/id")]),
    ("home", "200", "queue", &[("id", "$response.body#/0/id")]),
    ("home", "200", "income", &[("id", "$response.body#/0/id")]),
    ("home", "200", "stripe_account", &[("id", "$response.body#/0/id")]),
    ("home", "200", "create_worker", &[("id", "$response.body#/0/id")]),
    ("home", "200", "create_product", &[("id", "$response.body#/0/id")]),
    ("workers", "200", "worker", &[("id", "$response.body#/0/id")]),
    ("workers", "200", "update_worker", &[("id", "$response.body#/0/id")]),
    ("workers", "200", "consent", &[("id", "$response.body#/0/id")]),
    ("portal_products", "200", "portal_product", &[("id", "$response.body#/0/id")]),
    ("portal_products", "200", "update_product", &[("id", "$response.body#/0/id")]),
    ("portal_products", "200", "submit", &[("id", "$response.body#/0/id")]),
    ("portal_products", "200", "makers", &[("id", "$response.body#/0/id")]),
    ("portal_products", "200", "upload", &[("id", "$response.body#/0/id")]),
    ("review_queue", "200", "review", &[("id", "$response.body#/0/id")]),
    ("payout", "200", "disbursement", &[("id", "$response.body#/statements/0/id")]),
    ("payout", "200", "ack_code", &[("id", "$response.body#/statements/0/id")]),
    ("create_worker", "200", "worker", &[("id", "$response.body#/id")]),
    ("create_product", "200", "portal_product", &[("id", "$response.body#/id")]),
    ("duplicate", "200", "portal_product", &[("id", "$response.body#/id")]),
];

/// Links that also fill a request body: from a page of products to putting its first one in
/// the cart or buying it at once, with an address that is valid (喜德县, Liangshan), so that a
/// client, or Schemathesis, can reach an order from the catalogue.
fn body_links() -> Vec<(&'static str, &'static str, &'static str, Value)> {
    let address = json!({
        "recipient": "测试买家",
        "phone": "13800138000",
        "line": "光明路 1 号",
        "country": "CN",
        "county_code": "513432",
        "postal_code": "616750",
    });
    let mut links = Vec::new();
    for (from, first) in [("products", "$response.body#/items/0/id"), ("api_search", "$response.body#/hits/0/id")] {
        let buy = |method: &str| {
            let mut body = address.clone();
            body["payment_method"] = method.into();
            body["items"] = json!([{ "product_id": first, "quantity": 1 }]);
            body
        };
        links.push((from, "buy_first_by_transfer", "checkout", buy("bank_transfer")));
        links.push((from, "buy_first_cash_on_delivery", "checkout", buy("cash_on_delivery")));
        links.push((from, "add_first_to_cart", "add_item", json!({ "product_id": first, "quantity": 1 })));
    }
    links.push(("cart", "check_out_the_cart", "checkout", address));
    links
}

fn add_links(doc: &mut Value) {
    let with_bodies = body_links();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for item in paths.values_mut() {
        for method in METHODS {
            let Some(op) = item.get_mut(method) else { continue };
            let id = op["operationId"].as_str().unwrap_or("").to_owned();
            for (_, status, to, params) in LINKS.iter().filter(|l| l.0 == id) {
                let parameters: Map<String, Value> =
                    params.iter().map(|(p, e)| ((*p).to_owned(), Value::from(*e))).collect();
                if let Some(response) = op.pointer_mut(&format!("/responses/{status}")).and_then(Value::as_object_mut) {
                    let links = response.entry("links").or_insert_with(|| json!({}));
                    links[*to] = json!({ "operationId": to, "parameters": parameters });
                }
            }
            for (_, name, to, body) in with_bodies.iter().filter(|l| l.0 == id) {
                if let Some(response) = op.pointer_mut("/responses/200").and_then(Value::as_object_mut) {
                    let links = response.entry("links").or_insert_with(|| json!({}));
                    links[*name] = json!({ "operationId": to, "requestBody": body });
                }
            }
        }
    }
}

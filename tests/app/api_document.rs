//! The OpenAPI document is complete enough to generate a client from (issue: the JSON API as a
//! contract): unique operation ids, a summary on every operation, a description on every
//! answer, a body schema on every success and every error, uploads described as multipart, and
//! the bounds the server enforces. `tests/api/check_document.py` also validates it as OpenAPI 3.1.

use crate::support::TestApp;
use serde_json::Value;
use std::collections::BTreeMap;

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

fn operations(doc: &Value) -> Vec<(String, &Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                ops.push((format!("{} {path}", method.to_uppercase()), op));
            }
        }
    }
    ops
}

#[tokio::test]
async fn every_operation_is_named_summarised_and_answers_with_a_described_schema() {
    let app = TestApp::spawn().await;
    let (status, doc) = app.json("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let ops = operations(&doc);
    assert!(ops.len() >= 70, "only {} operations", ops.len());
    let mut ids: BTreeMap<&str, &str> = BTreeMap::new();
    let mut problems = Vec::new();
    for (name, op) in &ops {
        let id = op["operationId"].as_str().unwrap_or("");
        if let Some(other) = ids.insert(id, name) {
            problems.push(format!("{name}: operationId {id:?} is also {other}"));
        }
        if op["summary"].as_str().unwrap_or("").is_empty() {
            problems.push(format!("{name}: no summary"));
        }
        for (status, res) in op["responses"].as_object().expect("responses") {
            if res["description"].as_str().unwrap_or("").is_empty() {
                problems.push(format!("{name} {status}: no description"));
            }
            let has_schema = res["content"].as_object().is_some_and(|c| c.values().any(|m| m.get("schema").is_some()));
            if status != "204" && !has_schema {
                problems.push(format!("{name} {status}: no body schema"));
            }
        }
        // Signing in is required: 401 is documented; a path id: 404 is.
        let security = op["security"].as_array().cloned().unwrap_or_default();
        let required = !security.is_empty() && !security.iter().any(|s| s.as_object().is_some_and(|o| o.is_empty()));
        if required && op["responses"].get("401").is_none() {
            problems.push(format!("{name}: signs in but 401 is not documented"));
        }
        let in_path = op["parameters"].as_array().is_some_and(|ps| ps.iter().any(|p| p["in"] == "path"));
        if in_path && op["responses"].get("404").is_none() {
            problems.push(format!("{name}: has a path id but 404 is not documented"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // A schema's name is the type's: the two workshop views are told apart.
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in
        ["WorkshopView", "PortalWorkshop", "MakerView", "OrderLineMaker", "OrderView", "CartView", "ImpactReceipt"]
    {
        assert!(schemas.contains_key(name), "schema {name}");
    }
    // Two types of one name would share one schema, the last registered winning: the session's
    // answer was once described as a training session's.
    let session = serde_json::to_string(&schemas["SessionView"]).unwrap();
    assert!(session.contains("csrf_token") && !session.contains("attendees"), "{session}");
    assert!(schemas.contains_key("TrainingView"));
}

#[tokio::test]
async fn uploads_and_bounds_are_stated_as_the_server_enforces_them() {
    let app = TestApp::spawn().await;
    let (_, doc) = app.json("/api/openapi.json").await;
    for path in ["/api/v1/portal/products/{id}/photos", "/api/v1/statements/{id}/voucher"] {
        let body = &doc["paths"][path]["post"]["requestBody"];
        let schema = &body["content"]["multipart/form-data"]["schema"]["$ref"];
        let name = schema.as_str().and_then(|r| r.rsplit('/').next()).unwrap_or_else(|| panic!("{path}: {body}"));
        let photo = &doc["components"]["schemas"][name]["properties"]["photo"];
        assert_eq!(photo["format"], "binary", "{path}: {photo}");
    }
    // The checkout's idempotency key: required, 8 to 100 characters, as the server checks.
    let checkout = &doc["components"]["schemas"]["CheckoutInput"];
    let own = checkout["allOf"].as_array().and_then(|parts| parts.iter().find(|p| p.get("properties").is_some()));
    let own = own.unwrap_or(checkout);
    assert_eq!(own["properties"]["idempotency_key"]["minLength"], 8);
    assert_eq!(own["properties"]["idempotency_key"]["maxLength"], 100);
    assert!(own["required"].as_array().unwrap().iter().any(|r| r == "idempotency_key"));
    let buyer = crate::users::User::demo(&app, "buyer").await;
    let (status, body) = buyer
        .post_json(
            "/api/v1/checkout",
            &serde_json::json!({ "idempotency_key": "short", "payment_method": "bank_transfer" }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    // Pages: 1 to 10000, as the server refuses outside that.
    let page = doc["paths"]["/api/v1/products"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "page")
        .cloned()
        .unwrap();
    assert_eq!((page["schema"]["minimum"].as_i64(), page["schema"]["maximum"].as_i64()), (Some(1), Some(10000)));
    assert_eq!(app.get("/api/v1/products?page=10001").await.status(), 400);
    assert_eq!(app.get("/api/v1/products?page=10000").await.status(), 200);
    assert_eq!(app.get("/api/v1/products?page=0").await.status(), 400);
}

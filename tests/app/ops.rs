//! Operations: health, readiness, request ids and the OpenAPI document.

use crate::support::TestApp;

#[tokio::test]
async fn health_readiness_and_request_ids() {
    let app = TestApp::spawn().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"));
    assert_eq!(res.text().await.unwrap(), "ok");
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
    let a = app.get("/").await.headers()["x-request-id"].to_str().unwrap().to_owned();
    let b = app.get("/").await.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(a, b, "a new id per request");
    let res = app.get("/").await;
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
}

#[tokio::test]
async fn openapi_document_describes_the_api() {
    let app = TestApp::spawn().await;
    let (status, doc) = app.json("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/api/v1/products", "/api/v1/products/{slug}", "/api/v1/workshops/{slug}", "/api/v1/regions/{code}"] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} documented");
    }
    // Every JSON route in the route table is documented, with its method.
    let table = include_str!("../../src/routes.rs");
    let mut checked = 0;
    for line in table.lines().map(str::trim) {
        let method = if line.contains("web::post()") { "post" } else { "get" };
        let path = if let Some(rest) = line.strip_prefix(".route(\"/api/v1/") {
            format!("/api/v1/{}", rest.split('"').next().unwrap())
        } else if let Some(rest) = line.split(".route(&at(\"").nth(1) {
            format!("/api/v1/portal{}", rest.split('"').next().unwrap())
        } else {
            continue;
        };
        assert!(doc["paths"][&path][method].is_object(), "{method} {path} is not in the OpenAPI document");
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} routes found in the table");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let product = &doc["components"]["schemas"]["ProductView"]["properties"];
    for field in crate::support::PRODUCT_FIELDS {
        assert!(product[field].is_object(), "ProductView.{field} documented");
    }
    // Every documented path answers.
    for path in [
        "/api/v1/products",
        "/api/v1/products/xide-yi-lacquer-wine-cup-set",
        "/api/v1/workshops/xide-yi-lacquer",
        "/api/v1/regions/513400",
    ] {
        assert_eq!(app.get(path).await.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn readiness_names_each_dependency_and_metrics_count_routes_not_paths() {
    let app = TestApp::spawn().await;
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    let backend = if crate::support::postgres_base_url().is_some() { "postgres" } else { "sqlite" };
    assert!(body.starts_with("ready\n"), "{body}");
    assert!(body.contains(&format!("database: ok ({backend})")), "{body}");
    assert!(body.contains("search: ok (embedded)"), "{body}");
    assert!(body.contains("mail: files in the data dir"), "{body}");

    // Two list pages, a missing product, and a reset link whose path carries a token.
    for path in ["/products", "/products?page=2", "/products/no-such-piece", "/reset/TOKEN-SHOULD-NOT-APPEAR"] {
        app.get(path).await;
    }
    // A side effect that has waited a minute, on a topic no worker takes.
    let minute_ago = (gongfang::db::now() - chrono::TimeDelta::seconds(61)).format("%Y-%m-%d %H:%M:%S");
    app.execute(&format!(
        "INSERT INTO outbox (topic, item_key, available_at, created_at) VALUES ('test.metrics', '1', '{minute_ago}', '{minute_ago}')"
    ));
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let text = res.text().await.unwrap();
    let value = |prefix: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix).and_then(|rest| rest.trim().parse().ok()))
            .unwrap_or_else(|| panic!("{prefix} in\n{text}"))
    };
    assert_eq!(value(r#"gongfang_http_requests_total{route="/products",method="GET",status="200"}"#), 2.0);
    assert_eq!(value(r#"gongfang_http_requests_total{route="/products/{slug}",method="GET",status="404"}"#), 1.0);
    assert_eq!(value(r#"gongfang_http_request_duration_seconds_count{route="/products"}"#), 2.0);
    assert!(text.contains(r#"route="/reset/{token}""#), "{text}");
    assert!(!text.contains("TOKEN-SHOULD-NOT-APPEAR"), "a path's secret never reaches the metrics");
    assert_eq!(value(r#"gongfang_outbox_pending{topic="test.metrics"}"#), 1.0);
    let age = value(r#"gongfang_outbox_oldest_age_seconds{topic="test.metrics"}"#);
    assert!((60.0..600.0).contains(&age), "{age}");
    assert!(value("gongfang_db_pool_max_connections") >= 1.0);
    assert!(value("gongfang_db_pool_connections") >= 1.0);
    assert!(text.contains("gongfang_search_sync_lag_seconds"), "{text}");
    assert!(text.trim_end().ends_with("# EOF"));
}

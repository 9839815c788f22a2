//! Bad input gets a clear 4xx in the user's language, never a 500; unknown things are 404s.

use crate::support::TestApp;

/// (query, the field the error must name)
const BAD_QUERIES: &[(&str, &str)] = &[
    ("page=0", "page"),
    ("page=-1", "page"),
    ("page=abc", "page"),
    ("page=1.5", "page"),
    ("page=99999999999", "page"),
    ("per_page=0", "per_page"),
    ("per_page=ten", "per_page"),
    ("province=51", "province"),
    ("province=513400", "province"),
    ("prefecture=abcdef", "prefecture"),
    ("county=510000", "county"),
    ("heritage=0", "heritage"),
    ("heritage=x", "heritage"),
    ("workshop=Not%20A%20Slug", "workshop"),
    ("min_price=cheap", "min_price"),
    ("max_price=-5", "max_price"),
    ("min_price=1.234", "min_price"),
    ("min_price=900&max_price=100", "min_price"),
    ("in_stock=perhaps", "in_stock"),
    ("sort=random", "sort"),
];

#[tokio::test]
async fn malformed_filters_get_a_400_naming_the_field_in_json() {
    let app = TestApp::spawn().await;
    for (query, field) in BAD_QUERIES {
        let (status, body) = app.json(&format!("/api/v1/products?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["error"]["status"], 400);
        assert_eq!(body["error"]["field"], *field, "{query}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(!message.is_empty() && !message.starts_with("error."), "{query}: a real message, got {message}");
    }
    let (status, body) = app.json("/api/v1/regions/513400?page=0").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "page");
}

#[tokio::test]
async fn malformed_filters_get_a_400_page_in_the_users_language() {
    let app = TestApp::spawn().await;
    for (query, field) in BAD_QUERIES {
        let res = app.get(&format!("/products?{query}")).await;
        assert_eq!(res.status(), 400, "{query}");
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let html = res.text().await.unwrap();
        assert!(html.contains("出错了"), "{query}: Chinese error page");
        if *field != "min_price" || !query.contains("max_price") {
            assert!(html.contains(&format!("“{field}”")), "{query}: names {field}");
        }
    }
    let res = app.get_lang("/products?page=0", "en-GB,en;q=0.9").await;
    assert_eq!(res.status(), 400);
    let html = crate::support::unescape(&res.text().await.unwrap());
    assert!(html.contains("\"page\" must be a whole number of 1 or more"), "English message");
}

#[tokio::test]
async fn unknown_things_are_404_in_both_languages_and_both_formats() {
    let app = TestApp::spawn().await;
    for path in [
        "/nowhere",
        "/products/no-such-piece",
        "/products/NOT_A_SLUG",
        "/workshops/no-such-workshop",
        "/artisans/999999",
        "/artisans/abc",
        "/regions/999999",
        "/regions/51",
        "/crafts/9999",
        "/crafts/x",
        "/t/ZZZZZZZZZZ",
        "/t/ZZZZZZZZZZ.png",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 404, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains("页面不存在"), "{path}: zh 404 page");
        let res = app.get_lang(path, "en").await;
        assert!(res.text().await.unwrap().contains("Page not found"), "{path}: en 404 page");
    }
    for path in
        ["/api/v1/products/no-such-piece", "/api/v1/workshops/none", "/api/v1/regions/000000", "/api/v1/nothing"]
    {
        let (status, body) = app.json(path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"]["code"], "error.not_found");
    }
}

#[tokio::test]
async fn wrong_methods_and_undecodable_queries_are_client_errors() {
    let app = TestApp::spawn().await;
    let res = app.client.post(app.url("/products")).send().await.unwrap();
    assert!(res.status().is_client_error(), "POST /products: {}", res.status());
    let res = app.client.delete(app.url("/api/v1/products")).send().await.unwrap();
    assert!(res.status().is_client_error());
    let res = app.get("/products?page=%ZZ").await;
    assert!(res.status().is_client_error(), "undecodable query: {}", res.status());
}

#[tokio::test]
async fn internal_errors_show_a_generic_page_in_both_languages_and_leak_nothing() {
    let app = TestApp::spawn().await;
    // A real failure: the table the product list reads is gone.
    app.execute("DROP TABLE product_images");
    let res = app.get("/products").await;
    assert_eq!(res.status(), 500);
    let html = crate::support::unescape(&res.text().await.unwrap());
    assert!(html.contains("服务器出错了"), "zh 500 page");
    assert!(!html.contains("product_images") && !html.to_lowercase().contains("sql"), "no internals in the page");
    let html = app.get_lang("/products", "en").await.text().await.unwrap();
    assert!(html.contains("Something broke on our side"), "en 500 page");
    let (status, body) = app.json("/api/v1/products").await;
    assert_eq!(status, 500);
    assert_eq!(body["error"]["code"], "error.internal");
    assert!(!body.to_string().contains("product_images"));
    // Liveness is unaffected; pages that do not need the table still work.
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/regions").await.status(), 200);
}

/// PostgreSQL cannot store a NUL character (Schemathesis found a 500 there): every way of
/// sending one gets the same 400, on both backends, and nothing is written.
#[tokio::test]
async fn a_nul_character_is_refused_before_any_handler_and_nothing_is_kept() {
    let app = TestApp::spawn().await;
    let manager = crate::users::User::demo(&app, "manager").await;
    let w = manager.workshop_id().await;
    let profile = format!("/api/v1/portal/workshops/{w}/profile");
    let (_, before) = manager.get_json(&format!("/api/v1/portal/workshops/{w}")).await;
    let body = serde_json::json!({ "name_zh": "新名字", "name_en": "New", "story_zh": "故事", "story_en": "a\u{0}b" });
    let (status, answer) = manager.post_json(&profile, &body).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (400, Some("error.nul")), "{answer}");
    assert_eq!(answer["error"]["field"], "body");
    let form = [("name_zh", "新名字"), ("name_en", "New"), ("story_zh", "故事"), ("story_en", "a\u{0}b")];
    let (status, page) = manager.form(&format!("/portal/workshops/{w}/profile"), &form).await;
    assert!(status == 400 && page.contains("NUL"), "a form: {status}");

    let (status, answer) = app.json("/api/v1/search?q=%E6%BC%86%00").await;
    assert_eq!((status, answer["error"]["field"].as_str()), (400, Some("query")), "{answer}");
    let (_, after) = manager.get_json(&format!("/api/v1/portal/workshops/{w}")).await;
    assert_eq!(before["name_zh"], after["name_zh"], "nothing was written");
}

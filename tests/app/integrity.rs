//! Issue 15, data integrity: a panic or an overflow inside a write transaction never wedges
//! the database or loses later writes; foreign-key violations are the user's 400.

use crate::orders::{checkout_body, stocked_product};
use crate::support::TestApp;
use crate::users::User;
use diesel::prelude::*;
use gongfang::db::schema::{orders, outbox};
use serde_json::{json, Value};

/// Places `n` offline orders of one piece each as the demo buyer; returns their numbers.
async fn place_orders(app: &TestApp, buyer: &User, product: i64, n: usize, tag: &str) -> Vec<String> {
    let mut numbers = Vec::new();
    for i in 0..n {
        let body = checkout_body(&[(product, 1)], &format!("{tag}-{i:04}-key"), "offline");
        let (status, order) = buyer.post_json("/api/v1/checkout", &body).await;
        assert_eq!(status, 201, "checkout {i}: {order}");
        numbers.push(order["number"].as_str().expect("an order number").to_owned());
    }
    let _ = app;
    numbers
}

/// How many of `numbers` a fresh connection (not one of the server's pool) finds: rows
/// committed, so still there after a restart.
fn committed_orders(app: &TestApp, numbers: &[String]) -> usize {
    let fresh =
        gongfang::db::Db::connect(&gongfang::config::DatabaseUrl::parse(&app.database_url()).unwrap(), 1).unwrap();
    let mut conn = fresh.conn().unwrap();
    let found: i64 = orders::table.filter(orders::number.eq_any(numbers)).count().get_result(&mut conn).unwrap();
    found as usize
}

fn give_stock(app: &TestApp, product: i64, stock: i64) {
    app.execute(&format!("UPDATE products SET stock = {stock} WHERE id = {product}"));
}

#[tokio::test]
async fn an_overflowing_cart_quantity_is_a_400_and_later_checkouts_are_kept() {
    let app = TestApp::spawn().await;
    let (product, _, _) = stocked_product(&app, None, None);
    give_stock(&app, product, 100);

    // The review's request: a first add, then i64::MAX of the same product.
    let anonymous = User::anonymous(&app).await;
    let (status, body) =
        anonymous.post_json("/api/v1/cart/items", &json!({"product_id": product, "quantity": 1})).await;
    assert!(status < 300, "first add: {status} {body}");
    let (status, body) =
        anonymous.post_json("/api/v1/cart/items", &json!({"product_id": product, "quantity": i64::MAX})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "quantity", "{body}");
    assert!(!body["error"]["message"].as_str().unwrap_or_default().is_empty(), "{body}");
    let (_, cart) = anonymous.get_json("/api/v1/cart").await;
    assert_eq!(cart["count"], 1, "the cart keeps what it had: {cart}");

    let buyer = User::demo(&app, "buyer").await;
    let numbers = place_orders(&app, &buyer, product, 20, "after-overflow").await;
    assert_eq!(committed_orders(&app, &numbers), 20, "every order answered 201 is committed");
}

#[tokio::test]
async fn a_panic_inside_a_write_rolls_back_and_the_next_write_works() {
    let app = TestApp::spawn_config(true, |c| c.test_hooks = true).await;
    let (product, _, _) = stocked_product(&app, None, None);
    give_stock(&app, product, 100);
    let buyer = User::demo(&app, "buyer").await;

    for round in 0..3 {
        let (status, body) = buyer.post_json("/test-hooks/panic-inside-write", &json!({})).await;
        assert_eq!(status, 500, "round {round}: {body}");
        let numbers = place_orders(&app, &buyer, product, 3, &format!("after-panic-{round}")).await;
        assert_eq!(committed_orders(&app, &numbers), 3, "round {round}: the orders after the panic are committed");
    }
    let mut conn = app.db.conn().unwrap();
    let hook_rows: i64 = outbox::table
        .filter(outbox::topic.eq(gongfang::db::tx::TEST_HOOK_TOPIC))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(hook_rows, 0, "the panicking transaction's write was rolled back");

    // A panic in a handler, outside any database work, is a 500 too, and the server goes on.
    let (status, page) = buyer.page("/test-hooks/panic-in-handler").await;
    assert_eq!(status, 404, "the hooks answer POST only: {page}");
    let res = buyer
        .client
        .post(app.url("/test-hooks/panic-in-handler"))
        .header("X-CSRF-Token", &buyer.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 500);
    let page = res.text().await.unwrap();
    assert!(page.contains("500") && !page.contains("test hook"), "a generic page, without the cause: {page}");
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
}

#[tokio::test]
async fn test_hooks_are_not_found_unless_turned_on() {
    let app = TestApp::spawn_with(false).await;
    let anonymous = User::anonymous(&app).await;
    let (status, _) = anonymous.post_json("/test-hooks/panic-inside-write", &Value::Null).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn unknown_references_are_400s_that_name_their_field() {
    let app = TestApp::spawn().await;
    let manager = User::demo(&app, "manager").await;
    let w = manager.workshop_id().await;
    let (_, products) = manager.get_json(&format!("/api/v1/portal/workshops/{w}/products")).await;
    let product = products["items"].as_array().or(products.as_array()).expect("a product list")[0]["id"]
        .as_i64()
        .expect("a product id");
    let edit = json!({"title_zh": "漆器", "heritage_item_id": 0, "price_fen": 1000, "stock": 1, "wage_bp": 5000});
    for path in [format!("/api/v1/portal/products/{product}"), format!("/api/v1/portal/workshops/{w}/products")] {
        let (status, body) = manager.post_json(&path, &edit).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["field"], "heritage_item_id", "{path}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("heritage_item_id"), "{body}");
    }

    let worker = |county: &str| json!({"name_zh": "阿依", "inheritor_level": "craftsman", "joined_on": "2025-03-01", "home_county_code": county});
    // 999999 is no region; 513499 is shaped like a Liangshan county but is not one.
    for county in ["999999", "513499", "510000"] {
        let (status, body) = manager.post_json(&format!("/api/v1/portal/workshops/{w}/workers"), &worker(county)).await;
        assert_eq!(status, 400, "{county}: {body}");
        assert_eq!(body["error"]["field"], "home_county_code", "{county}: {body}");
    }
    let (status, created) =
        manager.post_json(&format!("/api/v1/portal/workshops/{w}/workers"), &worker("513432")).await;
    assert_eq!(status, 200, "a real county is taken: {created}");
    let id = created["id"].as_i64().unwrap();
    let (status, body) = manager.post_json(&format!("/api/v1/portal/workers/{id}"), &worker("513499")).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("home_county_code")), "{body}");
}

#[tokio::test]
async fn a_constraint_the_code_did_not_check_is_still_a_400_naming_its_field() {
    // The last line of defence, on the database's own error: a cart item naming no cart.
    let app = TestApp::spawn_with(false).await;
    let mut conn = app.db.conn().unwrap();
    let err = gongfang::db::tx::write(&mut conn, |c| {
        diesel::sql_query("INSERT INTO cart_items (cart_id, product_id, quantity, added_at) VALUES (424242, 424242, 1, '2026-01-01 00:00:00')")
            .execute(c)
            .map_err(gongfang::error::AppError::from)
    })
    .unwrap_err();
    match err {
        gongfang::error::AppError::BadRequest { field, key } => {
            assert_eq!(key, "error.unknown_reference");
            if app.db.backend() == "postgres" {
                assert!(["cart_id", "product_id"].contains(&field), "PostgreSQL names the key: {field}");
            }
        }
        other => panic!("expected a 400, got {other:?}"),
    }
}

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
        let body = checkout_body(&[(product, 1)], &format!("{tag}-{i:04}-key"), "bank_transfer");
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

/// Runs the requests of one round at once; returns every status.
async fn at_once(requests: Vec<(&User, String, Value)>) -> Vec<(String, u16, Value)> {
    let calls = requests.into_iter().map(|(user, path, body)| async move {
        let (status, answer) = user.post_json(&path, &body).await;
        (path, status, answer)
    });
    futures_util::future::join_all(calls).await
}

/// One order of the concurrency test: number, parcels, lines.
struct Placed {
    number: String,
    parcels: Vec<i64>,
    lines: Vec<i64>,
}

/// The requests of step `step` of an order's life: confirm (twice, as two clerks would), ship
/// and adjust a price, deliver and refund a piece, ask for a return and refund another piece,
/// decide the returns (twice).
fn step<'a>(
    o: &Placed,
    k: usize,
    step: usize,
    staff: &'a User,
    buyer: &'a User,
    returns: &[i64],
) -> Vec<(&'a User, String, Value)> {
    let ship = |parcel: i64, n: usize| {
        (
            staff,
            format!("/api/v1/portal/shipments/{parcel}/ship"),
            json!({"carrier": "EMS", "tracking_number": format!("EA{k}{n:08}CN")}),
        )
    };
    let refund = |line: i64, body: Value| (staff, format!("/api/v1/portal/lines/{line}/refund"), body);
    let confirm = format!("/api/v1/portal/orders/{}/confirm-payment", o.number);
    match step {
        0 => vec![
            (staff, confirm.clone(), json!({"reference": format!("BANK-{k}-A")})),
            (staff, confirm, json!({"reference": format!("BANK-{k}-B")})),
        ],
        1 => {
            vec![ship(o.parcels[0], 1), refund(o.lines[1], json!({"quantity": 0, "amount_fen": 7, "reason": "price"}))]
        }
        2 => vec![
            ship(o.parcels[1], 2),
            (buyer, format!("/api/v1/shipments/{}/delivered", o.parcels[0]), json!({})),
            refund(o.lines[0], json!({"quantity": 1, "reason": "broken"})),
        ],
        3 => vec![
            (buyer, format!("/api/v1/shipments/{}/delivered", o.parcels[1]), json!({})),
            (
                buyer,
                format!("/api/v1/orders/{}/lines/{}/return", o.number, o.lines[0]),
                json!({"quantity": 1, "reason": "颜色不合适"}),
            ),
            refund(o.lines[1], json!({"quantity": 1, "reason": "broken"})),
        ],
        4 => returns
            .iter()
            .flat_map(|id| {
                let decide = (staff, format!("/api/v1/portal/refunds/{id}/decide"), json!({"decision": "approve"}));
                [decide.clone(), decide]
            })
            .chain([refund(o.lines[1], json!({"quantity": 0, "amount_fen": 3, "reason": "price"}))])
            .collect(),
        _ => Vec::new(),
    }
}

#[tokio::test]
async fn eight_clients_on_the_same_and_overlapping_orders_never_see_a_5xx() {
    let app = TestApp::spawn().await;
    let operator = User::demo(&app, "operator").await;
    let buyer = User::demo(&app, "buyer").await;
    let (a, wa, _) = stocked_product(&app, None, None);
    let (b, _, _) = stocked_product(&app, None, Some(wa));
    give_stock(&app, a, 500);
    give_stock(&app, b, 500);
    // Orders that overlap: the same two products (stock rows), workshops and months.
    let mut orders = Vec::new();
    for i in 0..6 {
        let body = checkout_body(&[(a, 3), (b, 3)], &format!("overlap-order-{i:04}"), "bank_transfer");
        let (status, placed) = buyer.post_json("/api/v1/checkout", &body).await;
        assert_eq!(status, 201, "{placed}");
        let number = placed["number"].as_str().unwrap().to_owned();
        let (_, view) = buyer.get_json(&format!("/api/v1/orders/{number}")).await;
        let parcels = view["parcels"].as_array().unwrap();
        orders.push(Placed {
            number,
            parcels: parcels.iter().map(|p| p["id"].as_i64().unwrap()).collect(),
            lines: parcels
                .iter()
                .flat_map(|p| p["lines"].as_array().unwrap().iter().map(|l| l["id"].as_i64().unwrap()))
                .collect(),
        });
    }
    // A pipeline: in each round every order takes its next step, so confirmations, shipping,
    // refunds, returns and decisions of different orders run at once (eight or more clients).
    let mut seen: Vec<(String, u16, Value)> = Vec::new();
    let mut returns: Vec<Vec<i64>> = vec![Vec::new(); orders.len()];
    for round in 0..orders.len() + 5 {
        let mut requests = Vec::new();
        for (k, o) in orders.iter().enumerate() {
            if let Some(s) = round.checked_sub(k) {
                requests.extend(step(o, k, s, &operator, &buyer, &returns[k]));
            }
        }
        for (path, status, body) in at_once(requests).await {
            if path.ends_with("/return") && status == 200 {
                if let Some(k) = orders.iter().position(|o| path.contains(&o.number)) {
                    returns[k].extend(body["id"].as_i64());
                }
            }
            seen.push((path, status, body));
        }
    }
    let errors: Vec<_> = seen.iter().filter(|(_, status, _)| *status >= 500).collect();
    assert!(errors.is_empty(), "no 5xx: {errors:?}");
    let confirmed = seen.iter().filter(|(p, s, _)| p.ends_with("/confirm-payment") && *s == 200).count();
    assert_eq!(confirmed, orders.len(), "each order confirmed once");
    assert!(returns.iter().any(|r| !r.is_empty()), "returns were asked for: {seen:?}");
    let decided = seen.iter().filter(|(p, s, _)| p.ends_with("/decide") && *s == 200).count();
    assert_eq!(decided, returns.iter().map(Vec::len).sum::<usize>(), "each return decided once");
    let (code, out) = app.audit_verify();
    assert_eq!(code, Some(0), "the journal balances and its seals hold: {out}");
}

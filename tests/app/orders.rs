//! Cart, checkout and the order lifecycle with offline payment, through the real app: stock
//! taken once, lines frozen, parcels per workshop, idempotent retries, clear refusals, the
//! state machine over HTTP, expiry, returns and refunds, and the e-mails of each step.

use crate::accounts::{smtp_on, wait_for_mail};
use crate::support::{skip, TestApp};
use crate::users::{mails_in, User};
use diesel::prelude::*;
use gongfang::db::schema::{order_line_makers, order_lines, orders, products, shipments};
use serde_json::{json, Value};
use std::time::Duration;

/// An active product of `workshop` (or of any other workshop) with stock, made to stock.
pub fn stocked_product(app: &TestApp, workshop: Option<i64>, other_than: Option<i64>) -> (i64, i64, String) {
    let mut conn = app.db.conn().unwrap();
    let mut q = products::table
        .filter(products::status.eq("active"))
        .filter(products::made_to_order.eq(false))
        .filter(products::stock.ge(3))
        .into_boxed();
    if let Some(w) = workshop {
        q = q.filter(products::workshop_id.eq(w));
    }
    if let Some(w) = other_than {
        q = q.filter(products::workshop_id.ne(w));
    }
    let (id, w, title): (i64, i64, String) = q
        .order(products::id)
        .select((products::id, products::workshop_id, products::title_en))
        .first(&mut conn)
        .expect("a stocked demo product");
    // The demo's certification dates are relative to the test clock, so the product is on sale.
    (id, w, title)
}

pub fn stock_of(app: &TestApp, product: i64) -> i64 {
    let mut conn = app.db.conn().unwrap();
    products::table.find(product).select(products::stock).first(&mut conn).unwrap()
}

/// A Chinese address in 喜德县 (Liangshan).
pub fn address() -> Value {
    json!({ "recipient": "阿依", "phone": "138 0013 8000", "county_code": "513432", "line": "光明镇 1 号", "postal_code": "616750" })
}

pub fn checkout_body(items: &[(i64, i64)], key: &str, method: &str) -> Value {
    let mut body = address();
    body["items"] = json!(items.iter().map(|(p, q)| json!({"product_id": p, "quantity": q})).collect::<Vec<_>>());
    body["idempotency_key"] = json!(key);
    body["payment_method"] = json!(method);
    body
}

/// The demo buyer's order (offline payment) of `quantity` of a product of the demo manager's
/// workshop, placed through the API; answers the order's JSON.
pub async fn demo_order(app: &TestApp, quantity: i64, key: &str) -> Value {
    let manager = User::demo(app, "manager").await;
    let (product, _, _) = stocked_product(app, Some(manager.workshop_id().await), None);
    let buyer = User::demo(app, "buyer").await;
    let (status, order) =
        buyer.post_json("/api/v1/checkout", &checkout_body(&[(product, quantity)], key, "bank_transfer")).await;
    assert_eq!(status, 201, "{order}");
    order
}

#[tokio::test]
async fn an_offline_order_goes_from_cart_to_refund() {
    let app = TestApp::spawn().await;
    let manager = User::demo(&app, "manager").await;
    let own = manager.workshop_id().await;
    let (mine, _, _) = stocked_product(&app, Some(own), None);
    let (theirs, other_workshop, _) = stocked_product(&app, None, Some(own));
    let (stock_mine, stock_theirs) = (stock_of(&app, mine), stock_of(&app, theirs));

    // An anonymous cart, kept when the buyer signs in.
    let mut browser = User::anonymous(&app).await;
    assert_eq!(browser.form("/cart/items", &[("product_id", &mine.to_string()), ("quantity", "2")]).await.0, 303);
    assert_eq!(browser.form("/cart/items", &[("product_id", &theirs.to_string())]).await.0, 303);
    let too_many = browser.form("/cart/items", &[("product_id", &mine.to_string()), ("quantity", "100000")]).await;
    assert_eq!(too_many.0, 400, "{}", too_many.1);
    let (status, body) = browser
        .post_json("/api/v1/auth/login", &json!({"email": "buyer@demo.gongfang.cn", "password": "gongfang-demo"}))
        .await;
    assert_eq!(status, 200, "{body}");
    browser.csrf = body["csrf_token"].as_str().unwrap().to_owned();
    let (_, cart) = browser.get_json("/api/v1/cart").await;
    assert_eq!(cart["parcels"].as_array().unwrap().len(), 2, "one parcel per workshop: {cart}");
    assert_eq!(cart["count"], 3);
    let shipping: i64 = cart["parcels"].as_array().unwrap().iter().map(|p| p["shipping_fen"].as_i64().unwrap()).sum();
    assert_eq!(cart["total_fen"].as_i64().unwrap(), cart["items_fen"].as_i64().unwrap() + shipping);
    let (status, page) = browser.page("/cart").await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("/cart/items/{mine}")), "the cart page lists the product");

    // Checkout with a bad phone number: a clear 400 in the buyer's language.
    let mut bad = address();
    bad["phone"] = json!("12345");
    bad["idempotency_key"] = json!("bad-phone-attempt-1");
    let (status, body) = browser.post_json("/api/v1/checkout", &bad).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "address.error.phone_cn");
    assert!(body["error"]["message"].as_str().unwrap().contains("13800138000"), "{body}");

    // The form checkout buys the cart.
    let mut pairs: Vec<(String, String)> =
        address().as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect();
    pairs.push(("idempotency_key".into(), "form-checkout-0001".into()));
    pairs.push(("payment_method".into(), "bank_transfer".into()));
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, location) = browser.form("/checkout", &borrowed).await;
    assert_eq!(status, 303, "{location}");
    let number = location.strip_prefix("/orders/").expect("to the order page").to_owned();
    assert_eq!(stock_of(&app, mine), stock_mine - 2);
    assert_eq!(stock_of(&app, theirs), stock_theirs - 1);
    assert_eq!(browser.get_json("/api/v1/cart").await.1["count"], 0, "the cart is emptied");

    // The lines froze the numbers the attribution will use, and one parcel per workshop.
    let mut conn = app.db.conn().unwrap();
    let order_id: i64 = orders::table.filter(orders::number.eq(&number)).select(orders::id).first(&mut conn).unwrap();
    let lines: Vec<(i64, i64, i32, i32)> = order_lines::table
        .filter(order_lines::order_id.eq(order_id))
        .select((order_lines::id, order_lines::product_id, order_lines::quantity, order_lines::commission_bp))
        .load(&mut conn)
        .unwrap();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l.3 > 0), "commission frozen: {lines:?}");
    let shares: Vec<i32> = order_line_makers::table
        .filter(order_line_makers::order_line_id.eq(lines[0].0))
        .select(order_line_makers::share_bp)
        .load(&mut conn)
        .unwrap();
    assert_eq!(shares.iter().sum::<i32>(), 10_000, "maker shares frozen");
    let parcels: i64 = shipments::table.filter(shipments::order_id.eq(order_id)).count().get_result(&mut conn).unwrap();
    assert_eq!(parcels, 2);

    // The order page shows each parcel, its makers and the region.
    let (status, view) = browser.get_json(&format!("/api/v1/orders/{number}")).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["status"], "pending_payment");
    assert!(view["parcels"][0]["lines"][0]["region"].as_str().unwrap().contains('省'), "{view}");
    assert!(view["parcels"][0]["lines"][0]["makers"].as_array().is_some_and(|m| !m.is_empty()));
    assert_eq!(browser.page(&format!("/orders/{number}")).await.0, 200);
    let (status, history) = browser.page("/orders").await;
    assert!(status == 200 && history.contains(&number), "the order history lists it");

    // Another buyer cannot see it (not found, as for a number that does not exist).
    let stranger = User::anonymous(&app).await;
    stranger
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "s@example.cn", "password": "a long enough password", "display_name": "S"}),
        )
        .await;
    assert_eq!(stranger.get_json(&format!("/api/v1/orders/{number}")).await.0, 404);

    // Unpaid parcels cannot ship; a manager cannot confirm an order of two workshops.
    let mine_parcel =
        view["parcels"].as_array().unwrap().iter().find(|p| p["workshop_id"] == own).unwrap()["id"].as_i64().unwrap();
    let (status, body) = manager
        .post_json(
            &format!("/api/v1/portal/shipments/{mine_parcel}/ship"),
            &json!({"carrier": "顺丰", "tracking_number": "SF1"}),
        )
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("order.error.not_paid")), "{body}");
    let (status, body) = manager
        .post_json(&format!("/api/v1/portal/orders/{number}/confirm-payment"), &json!({"reference": "BANK-1"}))
        .await;
    assert_eq!(status, 403, "{body}");

    // An operator confirms the bank transfer; the second confirmation is refused.
    let operator = User::demo(&app, "operator").await;
    let confirm_path = format!("/api/v1/portal/orders/{number}/confirm-payment");
    let reference = json!({"reference": "BANK-20261128-1"});
    assert_eq!(operator.post_json(&confirm_path, &reference).await.0, 200);
    assert_eq!(operator.post_json(&confirm_path, &reference).await.0, 409);
    assert_eq!(browser.get_json(&format!("/api/v1/orders/{number}")).await.1["status"], "paid");
    assert_eq!(
        browser.post_json(&format!("/api/v1/orders/{number}/cancel"), &json!({})).await.0,
        409,
        "paid orders are refunded, not cancelled"
    );

    // The workshop sees it in its queue, ships, and the buyer confirms receipt.
    let (_, queue) = manager.get_json(&format!("/api/v1/portal/workshops/{own}/orders?show=to_ship")).await;
    assert!(queue["orders"].as_array().unwrap().iter().any(|o| o["number"] == number.as_str()), "{queue}");
    assert_eq!(manager.get_json(&format!("/api/v1/portal/workshops/{other_workshop}/orders")).await.0, 404);
    let ship = json!({"carrier": "顺丰速运", "tracking_number": "SF1234567890"});
    assert_eq!(manager.post_json(&format!("/api/v1/portal/shipments/{mine_parcel}/ship"), &ship).await.0, 200);
    assert_eq!(manager.post_json(&format!("/api/v1/portal/shipments/{mine_parcel}/ship"), &ship).await.0, 409);
    let (status, queue_page) = manager.page(&format!("/portal/workshops/{own}/orders?show=shipped")).await;
    assert!(status == 200 && queue_page.contains(&number), "the shipped tab lists it");
    let (status, found) = operator.page(&format!("/portal/orders?q={number}")).await;
    assert!(status == 200 && found.contains(&number), "operators find it by number");
    let (status, slip) = manager.page(&format!("/portal/orders/{number}/slip")).await;
    assert_eq!(status, 200);
    let line_of_mine = lines.iter().find(|l| l.1 == mine).unwrap().0;
    let trace: String = order_lines::table.find(line_of_mine).select(order_lines::trace_code).first(&mut conn).unwrap();
    assert!(slip.contains(&trace), "the packing slip prints the trace code");
    assert_eq!(browser.post_json(&format!("/api/v1/shipments/{mine_parcel}/delivered"), &json!({})).await.0, 200);

    // A return within the window; the manager approves; the offline refund is recorded.
    let (status, body) = browser
        .post_json(
            &format!("/api/v1/orders/{number}/lines/{line_of_mine}/return"),
            &json!({"quantity": 3, "reason": "x"}),
        )
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("refund.error.quantity")), "{body}");
    let (status, body) = browser
        .post_json(
            &format!("/api/v1/orders/{number}/lines/{line_of_mine}/return"),
            &json!({"quantity": 1, "reason": "颜色不合适"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let refund = body["id"].as_i64().unwrap();
    let decide = format!("/api/v1/portal/refunds/{refund}/decide");
    assert_eq!(manager.post_json(&decide, &json!({"decision": "approve"})).await.0, 200);
    assert_eq!(manager.post_json(&decide, &json!({"decision": "reject"})).await.0, 409, "decided once");
    let (_, view) = browser.get_json(&format!("/api/v1/orders/{number}")).await;
    assert_eq!(view["status"], "partially_refunded", "{view}");
    let unit = view["parcels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["lines"].as_array().unwrap())
        .find(|l| l["id"] == line_of_mine)
        .unwrap()["unit_price_fen"]
        .as_i64()
        .unwrap();
    assert_eq!(view["refunded_fen"].as_i64().unwrap(), unit);

    // Every step e-mailed the buyer (no SMTP here: .eml files), and the workshop heard of the payment.
    let mut mails = Vec::new();
    for _ in 0..100 {
        app.mailer.wake();
        mails = mails_in(&app.data_dir.join("mail"));
        if mails.iter().filter(|m| m.contains(&number)).count() >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let about: Vec<&String> = mails.iter().filter(|m| m.contains(&number)).collect();
    let to_buyer = about.iter().filter(|m| m.contains("To: buyer@demo.gongfang.cn")).count();
    assert!(to_buyer >= 4, "placed, paid, shipped, refunded: {about:?}");
    assert!(about.iter().any(|m| m.contains("To: manager@demo.gongfang.cn")), "the workshop hears of a paid order");
}

#[tokio::test]
async fn a_retried_checkout_returns_the_same_order() {
    let app = TestApp::spawn().await;
    let buyer = User::demo(&app, "buyer").await;
    let (product, _, _) = stocked_product(&app, None, None);
    let before = stock_of(&app, product);
    let body = checkout_body(&[(product, 1)], "retry-key-000001", "bank_transfer");
    let (first, a) = buyer.post_json("/api/v1/checkout", &body).await;
    let (second, b) = buyer.post_json("/api/v1/checkout", &body).await;
    assert_eq!((first, second), (201, 200), "{a} {b}");
    assert_eq!(a["number"], b["number"]);
    assert_eq!(stock_of(&app, product), before - 1, "one order, one piece taken");
    // The same key for a different checkout is refused.
    let other = checkout_body(&[(product, 2)], "retry-key-000001", "bank_transfer");
    let (status, body) = buyer.post_json("/api/v1/checkout", &other).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("checkout.error.key_reused")));
    // Ten retries at once still make one order.
    let body = checkout_body(&[(product, 1)], "retry-key-concurrent", "bank_transfer");
    let tries: Vec<_> = (0..10).map(|_| buyer.post_json("/api/v1/checkout", &body)).collect();
    let results = futures_util::future::join_all(tries).await;
    let numbers: std::collections::BTreeSet<String> = results
        .iter()
        .map(|(s, b)| {
            assert!(*s == 200 || *s == 201, "{b}");
            b["number"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(numbers.len(), 1, "{results:?}");
    assert_eq!(stock_of(&app, product), before - 2);
}

#[tokio::test]
async fn unpaid_orders_expire_and_give_their_stock_back() {
    // A bank transfer held for no time at all lapses at the next round.
    let app = TestApp::spawn_config(true, |c| c.orders.bank_transfer_days = 0).await;
    let buyer = User::demo(&app, "buyer").await;
    let (product, _, _) = stocked_product(&app, None, None);
    let before = stock_of(&app, product);
    let (status, placed) =
        buyer.post_json("/api/v1/checkout", &checkout_body(&[(product, 2)], "expiring-order-1", "bank_transfer")).await;
    assert_eq!(status, 201, "{placed}");
    assert_eq!(stock_of(&app, product), before - 2);
    let round = app.orders.round().await.unwrap();
    assert!(round.expired >= 1, "{round:?}");
    assert_eq!(stock_of(&app, product), before, "the stock came back");
    let (_, view) = buyer.get_json(&format!("/api/v1/orders/{}", placed["number"].as_str().unwrap())).await;
    assert_eq!(view["status"], "cancelled");
    assert_eq!(view["cancel_reason"], "expired");
    // A cancelled order cannot be confirmed as paid.
    let operator = User::demo(&app, "operator").await;
    let (status, body) = operator
        .post_json(
            &format!("/api/v1/portal/orders/{}/confirm-payment", view["number"].as_str().unwrap()),
            &json!({"reference": "LATE"}),
        )
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("order.error.cancelled")), "{body}");
}

#[tokio::test]
async fn a_buyer_cancels_and_the_stock_comes_back() {
    let app = TestApp::spawn().await;
    let buyer = User::demo(&app, "buyer").await;
    let (product, _, _) = stocked_product(&app, None, None);
    let before = stock_of(&app, product);
    let (_, placed) =
        buyer.post_json("/api/v1/checkout", &checkout_body(&[(product, 1)], "cancel-me-000001", "bank_transfer")).await;
    let number = placed["number"].as_str().unwrap();
    let (status, _) = buyer.form(&format!("/orders/{number}/cancel"), &[]).await;
    assert_eq!(status, 303);
    assert_eq!(stock_of(&app, product), before);
    assert_eq!(buyer.post_json(&format!("/api/v1/orders/{number}/cancel"), &json!({})).await.0, 409);
    // Stripe is not configured here: choosing it is a clear 400, and there is no webhook.
    let (status, body) =
        buyer.post_json("/api/v1/checkout", &checkout_body(&[(product, 1)], "stripe-missing-01", "stripe")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("checkout.error.no_stripe")));
    let res = app.client.post(app.url("/webhooks/stripe")).body("{}").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 404);
}

#[tokio::test]
async fn sold_out_is_said_plainly_in_the_buyers_language() {
    let app = TestApp::spawn().await;
    let buyer = User::demo(&app, "buyer").await;
    let (product, _, title) = stocked_product(&app, None, None);
    app.execute(&format!("UPDATE products SET stock = 1 WHERE id = {product}"));
    let (status, _) =
        buyer.post_json("/api/v1/checkout", &checkout_body(&[(product, 1)], "last-piece-00001", "bank_transfer")).await;
    assert_eq!(status, 201);
    let res = buyer
        .client
        .post(buyer.url("/api/v1/checkout"))
        .header("X-CSRF-Token", &buyer.csrf)
        .header("Accept-Language", "en")
        .json(&checkout_body(&[(product, 1)], "last-piece-00002", "bank_transfer"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "checkout.error.sold_out");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("sold out") && message.contains(&title), "{message}");
}

#[tokio::test]
async fn order_emails_wait_out_an_smtp_outage_and_then_arrive() {
    let maildir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = TestApp::spawn_config(true, |c| c.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    app.execute("UPDATE users SET lang = 'en' WHERE email = 'buyer@demo.gongfang.cn'");
    let buyer = User::demo(&app, "buyer").await;
    let manager = User::demo(&app, "manager").await;
    let (product, _, _) = stocked_product(&app, Some(manager.workshop_id().await), None);
    // The buyer checks out in English; the order mail waits while no SMTP server answers.
    let res = buyer
        .client
        .post(buyer.url("/api/v1/checkout"))
        .header("X-CSRF-Token", &buyer.csrf)
        .header("Accept-Language", "en")
        .json(&checkout_body(&[(product, 1)], "smtp-outage-order-1", "bank_transfer"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let number = res.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.mailer.pending().unwrap(), 1, "the order mail is kept while SMTP is down");
    let operator = User::demo(&app, "operator").await;
    let confirm = format!("/api/v1/portal/orders/{number}/confirm-payment");
    assert_eq!(operator.post_json(&confirm, &json!({"reference": "BANK-SMTP-1"})).await.0, 200);
    assert!(app.mailer.pending().unwrap() >= 2, "the paid mails wait too");
    // The server comes back: every waiting mail goes out, none lost.
    let Some(mut smtp) = smtp_on(maildir.path(), port) else {
        skip("python3 with aiosmtpd is not available: the SMTP order-mail test cannot run");
        return;
    };
    app.mailer.wake();
    let mails = wait_for_mail(&maildir.path().join("new"), 3).await;
    let placed = mails.iter().find(|m| m.contains(&format!("received your order {number}"))).expect("the order mail");
    assert!(placed.contains("To: buyer@demo.gongfang.cn") && placed.contains("Content-Language: en"), "{placed}");
    assert!(mails.iter().any(|m| m.contains("To: manager@demo.gongfang.cn")), "the workshop's mail: {mails:?}");
    for _ in 0..50 {
        if app.mailer.pending().unwrap() == 0 {
            break;
        }
        app.mailer.wake();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.mailer.pending().unwrap(), 0);
    let _ = smtp.kill();
}

#[tokio::test]
async fn quiet_parcels_deliver_themselves_and_a_full_refund_ends_refunded() {
    let app = TestApp::spawn().await;
    let buyer = User::demo(&app, "buyer").await;
    let manager = User::demo(&app, "manager").await;
    let operator = User::demo(&app, "operator").await;
    let (product, _, _) = stocked_product(&app, Some(manager.workshop_id().await), None);
    let (_, placed) = buyer
        .post_json("/api/v1/checkout", &checkout_body(&[(product, 2)], "full-refund-00001", "bank_transfer"))
        .await;
    let number = placed["number"].as_str().unwrap().to_owned();
    let confirm = format!("/api/v1/portal/orders/{number}/confirm-payment");
    assert_eq!(operator.post_json(&confirm, &json!({"reference": "BANK-FULL-1"})).await.0, 200);
    let (_, view) = buyer.get_json(&format!("/api/v1/orders/{number}")).await;
    let parcel = view["parcels"][0]["id"].as_i64().unwrap();
    let line = view["parcels"][0]["lines"][0]["id"].as_i64().unwrap();
    let ship = json!({"carrier": "EMS", "tracking_number": "EA000000001CN"});
    assert_eq!(manager.post_json(&format!("/api/v1/portal/shipments/{parcel}/ship"), &ship).await.0, 200);

    // Nobody confirms receipt: once the configured days have passed, the worker does.
    assert_eq!(app.orders.round().await.unwrap().delivered, 0, "not before its time");
    app.execute(&format!("UPDATE shipments SET shipped_at = '2000-01-01 00:00:00' WHERE id = {parcel}"));
    assert_eq!(app.orders.round().await.unwrap().delivered, 1);
    let (_, view) = buyer.get_json(&format!("/api/v1/orders/{number}")).await;
    assert_eq!(view["parcels"][0]["status"], "delivered");
    assert_eq!(view["parcels"][0]["delivered_by"], "auto");

    // Refund both pieces, then the shipping: nothing paid is left, and the order says so.
    let refund = format!("/api/v1/portal/lines/{line}/refund");
    assert_eq!(manager.post_json(&refund, &json!({"quantity": 2, "reason": "lost"})).await.0, 200);
    let shipping = view["shipping_fen"].as_i64().unwrap();
    if shipping > 0 {
        assert_eq!(buyer.get_json(&format!("/api/v1/orders/{number}")).await.1["status"], "partially_refunded");
        let (status, body) =
            manager.post_json(&format!("/api/v1/portal/shipments/{parcel}/refund-shipping"), &json!({})).await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, view) = buyer.get_json(&format!("/api/v1/orders/{number}")).await;
    assert_eq!(view["status"], "refunded", "{view}");
    assert_eq!(view["refunded_fen"], view["total_fen"]);
    let (status, body) = manager.post_json(&refund, &json!({"quantity": 0, "amount_fen": 1})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("refund.error.too_much")), "{body}");
    let (status, body) =
        manager.post_json(&format!("/api/v1/portal/shipments/{parcel}/refund-shipping"), &json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("refund.error.nothing_left")), "{body}");
}

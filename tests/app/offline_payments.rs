//! Bank transfer and cash on delivery through the API, each with its own rule: a transfer holds
//! its stock for days and reminds the buyer once, then lapses; cash on delivery waits for the
//! workshop's answer (refused or unanswered, the stock goes back and the buyer is told), ships
//! unpaid and is paid at the door. Who may confirm which, and where cash on delivery is offered.

use crate::journey_offline::mails_about;
use crate::orders::{checkout_body, stock_of, stocked_product};
use crate::support::{test_clock, TestApp};
use crate::users::User;
use chrono::TimeDelta;
use gongfang::clock::Clock;
use serde_json::{json, Value};

async fn place(buyer: &User, body: &Value) -> String {
    let (status, placed) = buyer.post_json("/api/v1/checkout", body).await;
    assert_eq!(status, 201, "{placed}");
    placed["number"].as_str().unwrap().to_owned()
}

async fn view(user: &User, number: &str) -> Value {
    user.get_json(&format!("/api/v1/orders/{number}")).await.1
}

#[tokio::test]
async fn a_bank_transfer_is_held_for_days_reminded_once_then_lapses() {
    let (clock, time) = Clock::manual(test_clock().now());
    let app = TestApp::spawn_with_clock(clock).await;
    let buyer = User::demo(&app, "buyer").await;
    let manager = User::demo(&app, "manager").await;
    let (product, _, _) = stocked_product(&app, Some(manager.workshop_id().await), None);
    let before = stock_of(&app, product);
    let number = place(&buyer, &checkout_body(&[(product, 2)], "transfer-lapse-01", "bank_transfer")).await;
    let order = view(&buyer, &number).await;
    assert_eq!(order["deadline"], "2026-12-01T12:00:00+08:00", "three days on, in China time: {order}");
    assert_eq!(order["created_at"], "2026-11-28T12:00:00+08:00");
    assert_eq!(order["next_step"], "transfer");

    // A workshop manager cannot confirm a transfer to the platform's account.
    let confirm = format!("/api/v1/portal/orders/{number}/confirm-payment");
    let (status, body) = manager.post_json(&confirm, &json!({"reference": "BANK-X"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("order.error.operator_confirms")), "{body}");

    time.advance(TimeDelta::hours(47));
    assert_eq!(app.orders.round().await.unwrap().reminded, 0, "not yet within a day of the deadline");
    time.advance(TimeDelta::hours(2));
    let rounds = [app.orders.round().await.unwrap(), app.orders.round().await.unwrap()];
    assert_eq!(rounds.map(|r| r.reminded), [1, 0], "reminded once, however many rounds");
    assert_eq!(mails_about(&app, &number, "还没有收到").await.len(), 1);
    assert_eq!(view(&buyer, &number).await["status"], "pending_payment");
    assert_eq!(stock_of(&app, product), before - 2);

    time.advance(TimeDelta::hours(24));
    app.orders.round().await.unwrap();
    let order = view(&buyer, &number).await;
    assert_eq!((order["status"].as_str(), order["cancel_reason"].as_str()), (Some("cancelled"), Some("expired")));
    assert_eq!(stock_of(&app, product), before, "the stock came back");
}

#[tokio::test]
async fn cash_on_delivery_refused_or_unanswered_gives_the_stock_back_and_tells_the_buyer() {
    let (clock, time) = Clock::manual(test_clock().now());
    let app = TestApp::spawn_with_clock(clock).await;
    let buyer = User::demo(&app, "buyer").await;
    let manager = User::demo(&app, "manager").await;
    let operator = User::demo(&app, "operator").await;
    let (product, _, _) = stocked_product(&app, Some(manager.workshop_id().await), None);
    let before = stock_of(&app, product);

    let refused = place(&buyer, &checkout_body(&[(product, 1)], "cod-refused-0001", "cash_on_delivery")).await;
    let order = view(&buyer, &refused).await;
    assert_eq!(
        (order["status"].as_str(), order["next_step"].as_str()),
        (Some("awaiting_acceptance"), Some("await_acceptance"))
    );
    assert_eq!(order["deadline"], "2026-11-30T12:00:00+08:00", "48 hours for the workshop");
    // Nothing ships, and nothing is paid, before the workshop accepts.
    let parcel = order["parcels"][0]["id"].as_i64().unwrap();
    let ship = format!("/api/v1/portal/shipments/{parcel}/ship");
    let (status, body) = manager.post_json(&ship, &json!({"carrier": "EMS", "tracking_number": "E1"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("order.error.not_accepted")), "{body}");
    let confirm = format!("/api/v1/portal/orders/{refused}/confirm-payment");
    let (status, body) = operator.post_json(&confirm, &json!({"reference": "COD-EARLY"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("order.error.not_accepted")), "{body}");
    // The buyer cannot answer for the workshop.
    let (status, _) = buyer.post_json(&format!("/api/v1/portal/orders/{refused}/accept-cod"), &json!({})).await;
    assert!(status == 403 || status == 404, "{status}");

    let (status, body) = manager.post_json(&format!("/api/v1/portal/orders/{refused}/refuse-cod"), &json!({})).await;
    assert_eq!(status, 200, "{body}");
    let order = view(&buyer, &refused).await;
    assert_eq!((order["status"].as_str(), order["cancel_reason"].as_str()), (Some("cancelled"), Some("refused")));
    assert_eq!(stock_of(&app, product), before);
    assert_eq!(mails_about(&app, &refused, "已经取消").await.len(), 1, "the buyer is told");

    // Unanswered: half an hour is nothing; 48 hours later it lapses and the buyer is told.
    let unanswered = place(&buyer, &checkout_body(&[(product, 1)], "cod-unanswered-01", "cash_on_delivery")).await;
    time.advance(TimeDelta::minutes(31));
    app.orders.round().await.unwrap();
    assert_eq!(view(&buyer, &unanswered).await["status"], "awaiting_acceptance");
    time.advance(TimeDelta::hours(48));
    app.orders.round().await.unwrap();
    let order = view(&buyer, &unanswered).await;
    assert_eq!((order["status"].as_str(), order["cancel_reason"].as_str()), (Some("cancelled"), Some("unanswered")));
    assert_eq!(stock_of(&app, product), before);
    assert_eq!(mails_about(&app, &unanswered, "已经取消").await.len(), 1);
}

#[tokio::test]
async fn cash_on_delivery_ships_unpaid_and_is_confirmed_at_the_door_by_its_workshop() {
    let app = TestApp::spawn().await;
    let buyer = User::demo(&app, "buyer").await;
    let manager = User::demo(&app, "manager").await;
    let (product, _, _) = stocked_product(&app, Some(manager.workshop_id().await), None);
    let number = place(&buyer, &checkout_body(&[(product, 1)], "cod-door-000001", "cash_on_delivery")).await;
    let accept = format!("/api/v1/portal/orders/{number}/accept-cod");
    assert_eq!(manager.post_json(&accept, &json!({})).await.0, 200);
    let (status, body) = manager.post_json(&accept, &json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("order.error.already_accepted")));
    let order = view(&buyer, &number).await;
    assert_eq!((order["next_step"].as_str(), order["deadline"].as_str()), (Some("cod_ship"), None));
    // Confirming the money before the parcel leaves is refused.
    let confirm = format!("/api/v1/portal/orders/{number}/confirm-payment");
    let (status, body) = manager.post_json(&confirm, &json!({"reference": "COD-1"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("order.error.cod_not_shipped")), "{body}");
    let parcel = order["parcels"][0]["id"].as_i64().unwrap();
    let ship = format!("/api/v1/portal/shipments/{parcel}/ship");
    assert_eq!(manager.post_json(&ship, &json!({"carrier": "EMS", "tracking_number": "E2"})).await.0, 200);
    // On its way, the buyer can no longer cancel it.
    let (status, body) = buyer.post_json(&format!("/api/v1/orders/{number}/cancel"), &json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("order.error.already_shipped")));
    // Unpaid, it is not delivered automatically, however long it takes.
    let later = app.orders.with_clock(Clock::Fixed(test_clock().now() + TimeDelta::days(40)));
    assert_eq!(later.auto_deliver().unwrap(), 0);
    assert_eq!(view(&buyer, &number).await["next_step"], "cod_at_door");

    assert_eq!(manager.post_json(&confirm, &json!({"reference": "COD-1"})).await.0, 200);
    let order = view(&buyer, &number).await;
    assert_eq!(order["status"], "paid");
    assert_eq!(order["parcels"][0]["status"], "delivered");
    assert_eq!(order["parcels"][0]["delivered_by"], "workshop");
    assert_eq!(order["next_step"], "delivered");
    assert!(order["deadline"].as_str().unwrap().ends_with("+08:00"), "the return window's end: {order}");
}

#[tokio::test]
async fn cash_on_delivery_is_offered_for_one_workshop_within_china_only() {
    let app = TestApp::spawn().await;
    let buyer = User::demo(&app, "buyer").await;
    let (a, wa, _) = stocked_product(&app, None, None);
    let (b, _, _) = stocked_product(&app, None, Some(wa));
    let before = (stock_of(&app, a), stock_of(&app, b));
    let two = checkout_body(&[(a, 1), (b, 1)], "cod-two-shops-01", "cash_on_delivery");
    let (status, body) = buyer.post_json("/api/v1/checkout", &two).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        (body["error"]["field"].as_str(), body["error"]["code"].as_str()),
        (Some("payment_method"), Some("checkout.error.cod_one_workshop"))
    );
    let mut abroad = json!({
        "recipient": "Ada", "phone": "+44 20 7946 0958", "country": "GB", "region": "London",
        "line": "1 High Street", "postal_code": "SW1A 1AA", "idempotency_key": "cod-abroad-0001",
        "payment_method": "cash_on_delivery"
    });
    abroad["items"] = json!([{"product_id": a, "quantity": 1}]);
    let (status, body) = buyer.post_json("/api/v1/checkout", &abroad).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("checkout.error.cod_china")), "{body}");
    assert_eq!((stock_of(&app, a), stock_of(&app, b)), before, "nothing was taken");
    // The old single method is gone: a clear 400 beside the field.
    let old = checkout_body(&[(a, 1)], "cod-old-method-1", "offline");
    let (status, body) = buyer.post_json("/api/v1/checkout", &old).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("payment_method")), "{body}");
}

#[tokio::test]
async fn cash_on_delivery_not_paid_at_the_door_comes_back_and_its_stock_too() {
    let app = TestApp::spawn().await;
    let buyer = User::demo(&app, "buyer").await;
    let manager = User::demo(&app, "manager").await;
    let (product, _, _) = stocked_product(&app, Some(manager.workshop_id().await), None);
    let before = stock_of(&app, product);
    let number = place(&buyer, &checkout_body(&[(product, 1)], "cod-door-refused-1", "cash_on_delivery")).await;
    assert_eq!(manager.post_json(&format!("/api/v1/portal/orders/{number}/accept-cod"), &json!({})).await.0, 200);
    let parcel = view(&buyer, &number).await["parcels"][0]["id"].as_i64().unwrap();
    let ship = format!("/api/v1/portal/shipments/{parcel}/ship");
    assert_eq!(manager.post_json(&ship, &json!({"carrier": "EMS", "tracking_number": "E3"})).await.0, 200);
    assert_eq!(view(&manager, &number).await["can"]["refuse"], true);
    // From the order page's button: asked first, on a page of its own, then done.
    let refuse = format!("/portal/orders/{number}/refuse-cod");
    assert_eq!(manager.form(&refuse, &[]).await, (303, refuse.clone()));
    let page = manager.client.get(app.url(&refuse)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("买家没有付款") && page.contains("name=\"confirm\" value=\"yes\""), "{page}");
    assert_eq!(view(&buyer, &number).await["status"], "accepted", "nothing happens before the answer");
    assert_eq!(manager.form(&refuse, &[("confirm", "yes")]).await, (303, format!("/orders/{number}")));
    let order = view(&buyer, &number).await;
    assert_eq!((order["status"].as_str(), order["cancel_reason"].as_str()), (Some("cancelled"), Some("not_collected")));
    assert_eq!(order["parcels"][0]["status"], "cancelled");
    assert_eq!(stock_of(&app, product), before, "the piece came back to the shelf");
    assert!(
        mails_about(&app, &number, "已经取消").await.is_empty(),
        "no 'refused' news for a parcel the buyer turned away"
    );
}

//! Issue 15's order items: a return after a price adjustment, a workshop's side of an order of
//! several workshops, and the purge of abandoned signed-out carts.

use crate::orders::{checkout_body, stocked_product};
use crate::support::TestApp;
use crate::users::User;
use diesel::prelude::*;
use gongfang::db::schema::carts;
use serde_json::{json, Value};

fn line_of(view: &Value, workshop: i64) -> (i64, i64, i64) {
    let p = view["parcels"].as_array().unwrap().iter().find(|p| p["workshop_id"] == workshop).unwrap();
    let l = &p["lines"][0];
    (p["id"].as_i64().unwrap(), l["id"].as_i64().unwrap(), l["unit_price_fen"].as_i64().unwrap())
}

#[tokio::test]
async fn a_return_after_a_price_adjustment_refunds_what_is_left() {
    let app = TestApp::spawn().await;
    let buyer = User::demo(&app, "buyer").await;
    let manager = User::demo(&app, "manager").await;
    let operator = User::demo(&app, "operator").await;
    let own = manager.workshop_id().await;
    let (product, _, _) = stocked_product(&app, Some(own), None);
    let (_, placed) =
        buyer.post_json("/api/v1/checkout", &checkout_body(&[(product, 2)], "adjust-return-01", "bank_transfer")).await;
    let number = placed["number"].as_str().unwrap().to_owned();
    let confirm = format!("/api/v1/portal/orders/{number}/confirm-payment");
    assert_eq!(operator.post_json(&confirm, &json!({"reference": "BANK-ADJ-1"})).await.0, 200);
    let (_, view) = buyer.get_json(&format!("/api/v1/orders/{number}")).await;
    let (parcel, line, unit) = line_of(&view, own);
    let ship = json!({"carrier": "EMS", "tracking_number": "EA000000002CN"});
    assert_eq!(manager.post_json(&format!("/api/v1/portal/shipments/{parcel}/ship"), &ship).await.0, 200);
    assert_eq!(buyer.post_json(&format!("/api/v1/shipments/{parcel}/delivered"), &json!({})).await.0, 200);

    // Staff take an odd amount off the line's price (no pieces back).
    let adjustment = unit / 3 + 1;
    let (status, body) = manager
        .post_json(&format!("/api/v1/portal/lines/{line}/refund"), &json!({"quantity": 0, "amount_fen": adjustment}))
        .await;
    assert_eq!(status, 200, "{body}");
    let left = 2 * unit - adjustment;

    // Each piece returned refunds its part of what is left; the last takes the remainder.
    let mut refunded = adjustment;
    for (i, expected) in [left / 2, left - left / 2].into_iter().enumerate() {
        let (status, body) = buyer
            .post_json(&format!("/api/v1/orders/{number}/lines/{line}/return"), &json!({"quantity": 1, "reason": "r"}))
            .await;
        assert_eq!(status, 200, "return {i}: {body}");
        let id = body["id"].as_i64().unwrap();
        let (status, body) =
            manager.post_json(&format!("/api/v1/portal/refunds/{id}/decide"), &json!({"decision": "approve"})).await;
        assert_eq!(status, 200, "{body}");
        refunded += expected;
        let (_, view) = buyer.get_json(&format!("/api/v1/orders/{number}")).await;
        let r = view["refunds"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap().clone();
        assert_eq!(r["amount_fen"].as_i64().unwrap(), expected, "{view}");
        assert_eq!(view["refunded_fen"].as_i64().unwrap(), refunded);
    }
    assert_eq!(refunded, 2 * unit, "the whole line's price is back, not a fen more");
    let (code, out) = app.audit_verify();
    assert_eq!(code, Some(0), "{out}");
}

#[tokio::test]
async fn workshop_staff_see_only_their_side_of_a_shared_order() {
    let app = TestApp::spawn().await;
    let buyer = User::demo(&app, "buyer").await;
    let manager = User::demo(&app, "manager").await;
    let operator = User::demo(&app, "operator").await;
    let own = manager.workshop_id().await;
    let (mine, _, _) = stocked_product(&app, Some(own), None);
    let (theirs, other, _) = stocked_product(&app, None, Some(own));
    let (_, placed) = buyer
        .post_json("/api/v1/checkout", &checkout_body(&[(mine, 1), (theirs, 2)], "shared-order-01", "bank_transfer"))
        .await;
    let number = placed["number"].as_str().unwrap().to_owned();
    let confirm = format!("/api/v1/portal/orders/{number}/confirm-payment");
    assert_eq!(operator.post_json(&confirm, &json!({"reference": "BANK-SHARED-1"})).await.0, 200);
    let (_, full) = operator.get_json(&format!("/api/v1/orders/{number}")).await;
    let (_, their_line, their_unit) = line_of(&full, other);
    let (my_parcel, my_line, my_unit) = line_of(&full, own);
    let secret = "对方工坊的退款原因-7Q";
    let (status, body) = operator
        .post_json(&format!("/api/v1/portal/lines/{their_line}/refund"), &json!({"quantity": 1, "reason": secret}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = operator
        .post_json(&format!("/api/v1/portal/lines/{my_line}/refund"), &json!({"quantity": 0, "amount_fen": 1}))
        .await;
    assert_eq!(status, 200, "{body}");

    let (status, view) = manager.get_json(&format!("/api/v1/orders/{number}")).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["parcels"].as_array().unwrap().len(), 1);
    let refunds = view["refunds"].as_array().unwrap();
    assert_eq!(refunds.len(), 1, "only the workshop's own refund: {view}");
    assert_eq!(refunds[0]["order_line_id"], my_line);
    assert!(!view.to_string().contains(secret), "{view}");
    let my_shipping = full["parcels"].as_array().unwrap().iter().find(|p| p["id"] == my_parcel).unwrap()
        ["shipping_fen"]
        .as_i64()
        .unwrap();
    assert_eq!(view["items_fen"].as_i64().unwrap(), my_unit);
    assert_eq!(view["shipping_fen"].as_i64().unwrap(), my_shipping);
    assert_eq!(view["total_fen"].as_i64().unwrap(), my_unit + my_shipping);
    assert_eq!(view["refunded_fen"].as_i64().unwrap(), 1);
    assert_eq!(view["can"]["confirm_payment"], false);
    // The operator still sees the whole order.
    let (_, full) = operator.get_json(&format!("/api/v1/orders/{number}")).await;
    assert_eq!(full["refunded_fen"].as_i64().unwrap(), their_unit + 1);
    assert_eq!(full["refunds"].as_array().unwrap().len(), 2);

    // The order page too: no other workshop's reason, and the workshop's own total.
    let (status, page) = manager.page(&format!("/orders/{number}")).await;
    assert_eq!(status, 200);
    assert!(!page.contains(secret), "the other workshop's refund reason shows");
    assert!(!page.contains(&format!("/portal/lines/{their_line}/refund")));
    let (code, out) = app.audit_verify();
    assert_eq!(code, Some(0), "{out}");
}

#[tokio::test]
async fn the_order_worker_purges_abandoned_signed_out_carts() {
    let app = TestApp::spawn().await;
    let (product, _, _) = stocked_product(&app, None, None);
    let mut browsers = Vec::new();
    for _ in 0..3 {
        let b = User::anonymous(&app).await;
        assert_eq!(b.form("/cart/items", &[("product_id", &product.to_string())]).await.0, 303);
        browsers.push(b);
    }
    let buyer = User::demo(&app, "buyer").await;
    assert_eq!(buyer.form("/cart/items", &[("product_id", &product.to_string())]).await.0, 303);

    // By the app's clock: one browser cart 31 days old, one 29 days old, one fresh; the
    // signed-in buyer's cart 40 days old.
    let now = crate::support::test_clock().now().naive_utc();
    let at = |days: i64| (now - chrono::TimeDelta::days(days)).format("%Y-%m-%d %H:%M:%S").to_string();
    let mut conn = app.db.conn().unwrap();
    let anon: Vec<i64> =
        carts::table.filter(carts::user_id.is_null()).order(carts::id).select(carts::id).load(&mut conn).unwrap();
    assert_eq!(anon.len(), 3);
    app.execute(&format!("UPDATE carts SET updated_at = '{}' WHERE id = {}", at(31), anon[0]));
    app.execute(&format!("UPDATE carts SET updated_at = '{}' WHERE id = {}", at(29), anon[1]));
    app.execute(&format!("UPDATE carts SET updated_at = '{}' WHERE user_id IS NOT NULL", at(40)));

    let first = app.orders.round().await.unwrap();
    let second = app.orders.round().await.unwrap();
    assert_eq!((first.carts_purged, second.carts_purged), (1, 0), "purged once; a second run is harmless");
    let left: Vec<i64> =
        carts::table.filter(carts::user_id.is_null()).order(carts::id).select(carts::id).load(&mut conn).unwrap();
    assert_eq!(left, anon[1..].to_vec());
    let users: i64 = carts::table.filter(carts::user_id.is_not_null()).count().get_result(&mut conn).unwrap();
    assert_eq!(users, 1, "a signed-in buyer's cart is kept");
    let items: i64 = gongfang::db::schema::cart_items::table
        .filter(gongfang::db::schema::cart_items::cart_id.eq(anon[0]))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(items, 0, "its items went with it");
    // The browser whose cart was purged finds an empty cart and can fill it again.
    assert_eq!(browsers[0].get_json("/api/v1/cart").await.1["count"], 0);
    assert_eq!(browsers[1].get_json("/api/v1/cart").await.1["count"], 1);
    assert_eq!(browsers[0].form("/cart/items", &[("product_id", &product.to_string())]).await.0, 303);
}

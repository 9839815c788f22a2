//! Custom orders in milestones (issue 20) through the JSON API, on the real app: a buyer's
//! request, the manager's quote, acceptance, each milestone paid by bank transfer (confirmed
//! by an operator) and attributed by DESIGN.md's rules to the quote's makers, a progress
//! photo, shipping and receipt; then the stated cancellation rule, refunds reversing each
//! milestone exactly, and `audit verify` over the result.

use crate::ledger::postings_of_line as postings;
use crate::orders::address;
use crate::support::TestApp;
use crate::users::User;
use diesel::prelude::*;
use gongfang::db::schema::{order_lines, orders, products, workers, workshops};
use serde_json::{json, Value};

/// Three current workers of a workshop, in id order.
pub(crate) fn three_workers(app: &TestApp, workshop: i64) -> Vec<i64> {
    let mut conn = app.db.conn().unwrap();
    workers::table
        .filter(workers::workshop_id.eq(workshop))
        .filter(workers::left_on.is_null())
        .order(workers::id)
        .limit(3)
        .select(workers::id)
        .load(&mut conn)
        .unwrap()
}

/// A heritage item the workshop's pieces are made in.
pub(crate) fn heritage_item(app: &TestApp, workshop: i64) -> i64 {
    let mut conn = app.db.conn().unwrap();
    products::table
        .filter(products::workshop_id.eq(workshop))
        .select(products::heritage_item_id)
        .first(&mut conn)
        .unwrap()
}

/// The manager's quote: ¥1,000.01 at a 60% wage to three makers at 50/30/20, a 30% deposit
/// and the balance before shipping.
fn quote(app: &TestApp, workshop: i64, milestones: Value) -> Value {
    let makers = three_workers(app, workshop);
    json!({
        "title_zh": "定制漆器酒具", "title_en": "Custom lacquer wine set",
        "heritage_item_id": heritage_item(app, workshop),
        "price": "1000.01", "lead_time_days": 30, "wage_rule": "share_of_net", "wage_bp": 6000,
        "makers": [
            {"worker_id": makers[0], "role": "lead", "share_bp": 5000},
            {"worker_id": makers[1], "role": "maker", "share_bp": 3000},
            {"worker_id": makers[2], "role": "finishing", "share_bp": 2000},
        ],
        "milestones": milestones,
        "note": "三十天完成",
    })
}

fn deposit_and_balance() -> Value {
    json!([{"percent": "30", "due": "acceptance"}, {"percent": "70", "due": "before_shipping"}])
}

/// A buyer's request to the demo manager's workshop, quoted and accepted; returns its id.
async fn accepted(app: &TestApp, buyer: &User, manager: &User) -> i64 {
    let (status, made) = buyer
        .post_json("/api/v1/workshops/xide-yi-lacquer/custom", &json!({"description": "一套六只的漆器酒杯"}))
        .await;
    assert_eq!(status, 200, "{made}");
    let id = made["id"].as_i64().unwrap();
    let workshop = manager.workshop_id().await;
    let (status, body) =
        manager.post_json(&format!("/api/v1/custom/{id}/quote"), &quote(app, workshop, deposit_and_balance())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(buyer.post_json(&format!("/api/v1/custom/{id}/accept"), &json!({})).await.0, 200);
    id
}

/// Pays the next milestone by bank transfer and has the operator confirm it; returns the
/// order's number.
pub(crate) async fn pay_next(buyer: &User, operator: &User, id: i64, with_address: bool) -> String {
    let body = if with_address { json!({"address": address()}) } else { json!({}) };
    let (status, paid) = buyer.post_json(&format!("/api/v1/custom/{id}/pay"), &body).await;
    assert_eq!(status, 200, "{paid}");
    let number = paid["number"].as_str().unwrap().to_owned();
    let confirm = format!("/api/v1/portal/orders/{number}/confirm-payment");
    let (status, body) = operator.post_json(&confirm, &json!({"reference": format!("ICBC-{number}")})).await;
    assert_eq!(status, 200, "{body}");
    number
}

/// Staff post a progress photo; answers the status.
pub(crate) async fn post_progress(staff: &User, id: i64, note: &str) -> u16 {
    let form = reqwest::multipart::Form::new()
        .part(
            "photo",
            reqwest::multipart::Part::bytes(crate::photo_files::jpeg_with_exif(32, 24, 1)).file_name("progress.jpg"),
        )
        .text("note", note.to_owned());
    let res = staff
        .client
        .post(staff.url(&format!("/api/v1/custom/{id}/progress")))
        .header("X-CSRF-Token", &staff.csrf)
        .multipart(form)
        .send()
        .await
        .unwrap();
    res.status().as_u16()
}

/// The one line of a milestone's order.
pub(crate) fn line_of(app: &TestApp, number: &str) -> (i64, i64) {
    let mut conn = app.db.conn().unwrap();
    order_lines::table
        .inner_join(orders::table)
        .filter(orders::number.eq(number))
        .select((order_lines::id, order_lines::unit_price_fen))
        .first(&mut conn)
        .unwrap()
}

/// DESIGN.md's rule, worked by hand: commission and wage pool rounded half up, the pool split
/// by floor with the remainder fen to the largest fractional parts (lowest worker first).
fn expected_wages(gross: i64, commission_bp: i64, wage_bp: i64, makers: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let commission = (gross * commission_bp + 5_000) / 10_000;
    let pool = ((gross - commission) * wage_bp + 5_000) / 10_000;
    let mut shares: Vec<(i64, i64, i64)> =
        makers.iter().map(|(w, bp)| (*w, pool * bp / 10_000, pool * bp % 10_000)).collect();
    let mut left = pool - shares.iter().map(|s| s.1).sum::<i64>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by_key(|i| (std::cmp::Reverse(shares[*i].2), shares[*i].0));
    for i in order {
        if left == 0 {
            break;
        }
        shares[i].1 += 1;
        left -= 1;
    }
    shares.into_iter().map(|(w, s, _)| (w, s)).collect()
}

#[tokio::test]
async fn a_custom_piece_is_requested_quoted_paid_in_milestones_made_shipped_and_received() {
    let app = TestApp::spawn().await;
    let (buyer, manager, editor, operator, official) = (
        User::demo(&app, "buyer").await,
        User::demo(&app, "manager").await,
        User::demo(&app, "editor").await,
        User::demo(&app, "operator").await,
        User::demo(&app, "official").await,
    );
    let workshop = manager.workshop_id().await;

    // The request, checked field by field; a workshop that takes no custom work says so.
    let path = "/api/v1/workshops/xide-yi-lacquer/custom";
    let (status, body) = buyer.post_json(path, &json!({"description": " ", "budget": "3000"})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("description")), "{body}");
    let (status, body) = buyer.post_json(path, &json!({"description": "酒杯", "wanted_by": "2020-01-01"})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("wanted_by")), "{body}");
    let (status, body) =
        buyer.post_json("/api/v1/workshops/zhaojue-yi-embroidery/custom", &json!({"description": "一只背包"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("custom.error.not_taken")), "{body}");
    assert_eq!(manager.post_json(path, &json!({"description": "x"})).await.0, 403, "staff do not request");
    // The manager says in the profile whether the workshop takes custom work.
    let profile = format!("/api/v1/portal/workshops/{workshop}/profile");
    let page = manager.client.get(manager.url(&format!("/portal/workshops/{workshop}"))).send().await.unwrap();
    let html = page.text().await.unwrap();
    let checkbox = html.split("name=\"accepts_custom\"").nth(1).and_then(|rest| rest.split('>').next()).unwrap_or("");
    assert!(checkbox.contains("checked"), "the demo workshop takes custom work: {checkbox}");
    let fields = json!({"name_zh": "喜德彝族漆器工坊", "name_en": "Xide Yi Lacquer Workshop"});
    assert_eq!(manager.post_json(&profile, &fields).await.0, 200);
    let (status, body) = buyer.post_json(path, &json!({"description": "酒杯"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("custom.error.not_taken")), "{body}");
    let mut fields = fields;
    fields["accepts_custom"] = json!(true);
    assert_eq!(manager.post_json(&profile, &fields).await.0, 200);
    assert_eq!(manager.get_json(&format!("/api/v1/portal/workshops/{workshop}")).await.1["accepts_custom"], true);
    let (status, made) = buyer
        .post_json(path, &json!({"description": "一套六只的漆器酒杯", "budget": "1200", "wanted_by": "2027-03-01"}))
        .await;
    assert_eq!(status, 200, "{made}");
    let id = made["id"].as_i64().unwrap();

    // Who sees it: the buyer, the workshop's staff and operators; an official is refused.
    for user in [&buyer, &manager, &editor, &operator] {
        let (status, view) = user.get_json(&format!("/api/v1/custom/{id}")).await;
        assert_eq!((status, view["status"].as_str()), (200, Some("requested")), "{view}");
    }
    assert_eq!(official.get_json(&format!("/api/v1/custom/{id}")).await.0, 404);
    assert_eq!(official.get_json("/api/v1/custom").await.0, 403);
    let (_, list) = manager.get_json("/api/v1/custom").await;
    assert!(list["items"].as_array().unwrap().iter().any(|c| c["id"] == id), "{list}");

    // The quote: the manager only; its milestones must add up to 100%.
    let quote_path = format!("/api/v1/custom/{id}/quote");
    let good = quote(&app, workshop, deposit_and_balance());
    assert_eq!(editor.post_json(&quote_path, &good).await.0, 403, "an editor does not quote");
    let bad = quote(
        &app,
        workshop,
        json!([{"percent": "30", "due": "acceptance"}, {"percent": "60", "due": "before_shipping"}]),
    );
    let (status, body) = manager.post_json(&quote_path, &bad).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("milestones")), "{body}");
    let mut no_makers = good.clone();
    no_makers["makers"] = json!([]);
    let (status, body) = manager.post_json(&quote_path, &no_makers).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("makers")), "{body}");
    let (status, body) = manager.post_json(&quote_path, &good).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(manager.post_json(&quote_path, &good).await.0, 409, "quoted once");
    let (_, view) = buyer.get_json(&format!("/api/v1/custom/{id}")).await;
    assert_eq!(view["status"], "quoted");
    let amounts: Vec<i64> =
        view["milestones"].as_array().unwrap().iter().map(|m| m["amount_fen"].as_i64().unwrap()).collect();
    assert_eq!(amounts, vec![30_000, 70_001], "the price split exactly: {view}");
    // The frozen piece is never listed.
    let product = view["product_id"].as_i64().unwrap();
    let status: String = {
        let mut conn = app.db.conn().unwrap();
        products::table.find(product).select(products::status).first(&mut conn).unwrap()
    };
    assert_eq!(status, "archived");

    // Nothing is paid before the buyer accepts; the first payment needs the address.
    let pay = format!("/api/v1/custom/{id}/pay");
    assert_eq!(buyer.post_json(&pay, &json!({})).await.0, 409);
    assert_eq!(manager.post_json(&format!("/api/v1/custom/{id}/accept"), &json!({})).await.0, 403);
    assert_eq!(buyer.post_json(&format!("/api/v1/custom/{id}/accept"), &json!({})).await.0, 200);
    let (status, body) = buyer.post_json(&pay, &json!({})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("recipient")), "{body}");
    let (status, first) = buyer.post_json(&pay, &json!({"address": address()})).await;
    assert_eq!(status, 200, "{first}");
    // Asking again answers the same order: one order per milestone.
    let (_, again) = buyer.post_json(&pay, &json!({"address": address()})).await;
    assert_eq!(again["number"], first["number"]);
    let deposit = first["number"].as_str().unwrap().to_owned();
    let confirm = format!("/api/v1/portal/orders/{deposit}/confirm-payment");
    assert_eq!(operator.post_json(&confirm, &json!({"reference": "ICBC-DEPOSIT-1"})).await.0, 200);

    // The deposit is attributed by the line rules to the quote's makers.
    let commission_bp: i64 = {
        let mut conn = app.db.conn().unwrap();
        workshops::table.find(workshop).select(workshops::commission_bp).first::<i32>(&mut conn).unwrap().into()
    };
    let makers = three_workers(&app, workshop);
    let (line, gross) = line_of(&app, &deposit);
    assert_eq!(gross, 30_000);
    let posted = postings(&app, line);
    assert_eq!(posted.values().sum::<i64>(), 0, "balanced: {posted:?}");
    let shares = [(makers[0], 5_000), (makers[1], 3_000), (makers[2], 2_000)];
    for (worker, wage) in expected_wages(gross, commission_bp, 6_000, &shares) {
        let got: i64 = posted.iter().filter(|((_, w), _)| *w == Some(worker)).map(|(_, a)| *a).sum();
        assert_eq!(got, wage, "worker {worker}'s wage of the deposit: {posted:?}");
    }

    // The balance is due before shipping; shipping waits for it.
    let ship = format!("/api/v1/custom/{id}/ship");
    let parcel = json!({"carrier": "EMS", "tracking_number": "EA000111222CN"});
    assert_eq!(manager.post_json(&ship, &parcel).await.0, 409, "the balance is unpaid");
    assert_eq!(post_progress(&editor, id, "第一层漆").await, 200, "an editor posts progress");
    let (_, view) = buyer.get_json(&format!("/api/v1/custom/{id}")).await;
    assert_eq!((view["work_begun"].as_bool(), view["progress"].as_array().map(Vec::len)), (Some(true), Some(1)));
    let balance = pay_next(&buyer, &operator, id, false).await;
    assert_ne!(balance, deposit);
    let (line2, gross2) = line_of(&app, &balance);
    assert_eq!(gross2, 70_001);
    assert_eq!(postings(&app, line2).values().sum::<i64>(), 0);
    assert_eq!(buyer.post_json(&pay, &json!({})).await.1["error"]["code"], "custom.error.all_paid");

    // Shipped once, received once; every milestone's parcel with it.
    assert_eq!(manager.post_json(&ship, &parcel).await.0, 200);
    assert_eq!(manager.post_json(&ship, &parcel).await.0, 409);
    assert_eq!(buyer.post_json(&format!("/api/v1/custom/{id}/received"), &json!({})).await.0, 200);
    let (_, view) = buyer.get_json(&format!("/api/v1/custom/{id}")).await;
    assert_eq!(view["status"], "delivered");
    for number in [&deposit, &balance] {
        let (_, order) = buyer.get_json(&format!("/api/v1/orders/{number}")).await;
        assert_eq!(order["parcels"][0]["status"], "delivered", "{order}");
    }
    let (code, text) = app.audit_verify();
    assert_eq!(code, Some(0), "{text}");
}

#[tokio::test]
async fn cancelling_follows_the_stated_rule_and_refunds_reverse_each_milestone_exactly() {
    let app = TestApp::spawn().await;
    let (buyer, manager, editor, operator) = (
        User::demo(&app, "buyer").await,
        User::demo(&app, "manager").await,
        User::demo(&app, "editor").await,
        User::demo(&app, "operator").await,
    );
    let settled = |line: i64| -> bool {
        let mut conn = app.db.conn().unwrap();
        order_lines::table
            .find(line)
            .select(order_lines::settled_at)
            .first::<Option<chrono::NaiveDateTime>>(&mut conn)
            .unwrap()
            .is_some()
    };

    // The buyer cancels before any progress photo: the deposit comes back in full, and its
    // reversal undoes the capture to the fen.
    let a = accepted(&app, &buyer, &manager).await;
    let deposit = pay_next(&buyer, &operator, a, true).await;
    let (line, _) = line_of(&app, &deposit);
    assert_eq!(
        editor.post_json(&format!("/api/v1/custom/{a}/cancel"), &json!({})).await.0,
        403,
        "an editor refunds nothing"
    );
    assert_eq!(buyer.post_json(&format!("/api/v1/custom/{a}/cancel"), &json!({})).await.0, 200);
    assert!(
        postings(&app, line).values().all(|a| *a == 0),
        "capture and refund cancel out: {:?}",
        postings(&app, line)
    );
    let (_, order) = buyer.get_json(&format!("/api/v1/orders/{deposit}")).await;
    assert_eq!(order["status"], "refunded", "{order}");
    assert_eq!(buyer.post_json(&format!("/api/v1/custom/{a}/cancel"), &json!({})).await.0, 409, "once");

    // After work has begun the buyer's cancellation keeps the deposit: earned, settled now.
    let b = accepted(&app, &buyer, &manager).await;
    let deposit = pay_next(&buyer, &operator, b, true).await;
    assert_eq!(post_progress(&editor, b, "开工").await, 200);
    let (line, gross) = line_of(&app, &deposit);
    let before = postings(&app, line);
    assert_eq!(buyer.post_json(&format!("/api/v1/custom/{b}/cancel"), &json!({})).await.0, 200);
    assert_eq!(postings(&app, line), before, "nothing reversed");
    assert!(settled(line), "the kept deposit settles at once");
    let (_, view) = buyer.get_json(&format!("/api/v1/custom/{b}")).await;
    assert_eq!((view["status"].as_str(), view["cancelled_by"].as_str()), (Some("cancelled"), Some("buyer")));
    assert_eq!(gross, 30_000);

    // The workshop cancels after work has begun: every paid milestone is refunded; an
    // unpaid one waiting for its money is cancelled.
    let c = accepted(&app, &buyer, &manager).await;
    let deposit = pay_next(&buyer, &operator, c, true).await;
    assert_eq!(post_progress(&editor, c, "开工").await, 200);
    let (status, waiting) = buyer.post_json(&format!("/api/v1/custom/{c}/pay"), &json!({})).await;
    assert_eq!(status, 200, "{waiting}");
    assert_eq!(manager.post_json(&format!("/api/v1/custom/{c}/cancel"), &json!({})).await.0, 200);
    let (line, _) = line_of(&app, &deposit);
    assert!(postings(&app, line).values().all(|a| *a == 0));
    let (_, order) = buyer.get_json(&format!("/api/v1/orders/{}", waiting["number"].as_str().unwrap())).await;
    assert_eq!(order["status"], "cancelled", "{order}");

    let (code, text) = app.audit_verify();
    assert_eq!(code, Some(0), "{text}");
}

#[tokio::test]
async fn a_deposit_paid_by_stripe_is_refunded_through_stripe_when_the_workshop_cancels() {
    use crate::stripe::{order_status, pay_by_card, spawn, stripe_get, stripe_post, stripe_url};
    let Some(stripe) = stripe_url() else {
        crate::support::skip(
            "TEST_STRIPE_URL is not set (bash .ci/run starts localstripe): the Stripe milestone test cannot run",
        );
        return;
    };
    let secret = format!("whsec_{}", gongfang::accounts::secrets::new_token());
    let app = spawn(&stripe, &secret).await;
    let hook = format!("gfcustom{}", std::process::id());
    let (status, _) = stripe_post(
        &stripe,
        &format!("/_config/webhooks/{hook}"),
        &[("url", &app.url("/webhooks/stripe")), ("secret", &secret), ("events[]", "payment_intent.succeeded")],
    )
    .await;
    assert_eq!(status, 200);
    let (buyer, manager) = (User::demo(&app, "buyer").await, User::demo(&app, "manager").await);
    let id = accepted(&app, &buyer, &manager).await;

    // The deposit's order is paid by card (asking to pay again gives the same intent).
    let (status, paid) = buyer
        .post_json(&format!("/api/v1/custom/{id}/pay"), &json!({"payment_method": "stripe", "address": address()}))
        .await;
    assert_eq!(status, 200, "{paid}");
    let number = paid["number"].as_str().unwrap().to_owned();
    let intent = pay_by_card(&stripe, &buyer, &number, 30_000).await;
    let (line, _) = line_of(&app, &number);
    assert_ne!(postings(&app, line).values().filter(|a| **a != 0).count(), 0, "captured");

    // The workshop cancels: the deposit goes back through Stripe, once, and is reversed.
    let mut state = String::new();
    assert_eq!(manager.post_json(&format!("/api/v1/custom/{id}/cancel"), &json!({})).await.0, 200);
    for _ in 0..100 {
        app.orders.round().await.unwrap();
        state = order_status(&buyer, &number).await;
        if state == "refunded" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(state, "refunded");
    app.orders.round().await.unwrap();
    let refunds = stripe_get(&stripe, &format!("/v1/refunds?payment_intent={intent}")).await;
    let amounts: Vec<i64> = refunds["data"].as_array().unwrap().iter().map(|r| r["amount"].as_i64().unwrap()).collect();
    assert_eq!(amounts, vec![30_000], "one refund of the whole deposit: {refunds}");
    assert!(postings(&app, line).values().all(|a| *a == 0), "{:?}", postings(&app, line));
    let (code, text) = app.audit_verify();
    assert_eq!(code, Some(0), "{text}");
    let _ = reqwest::Client::new().delete(format!("{stripe}/_config/webhooks/{hook}")).send().await;
}

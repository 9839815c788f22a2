//! Issue 15, a payment whose webhook never came: before an unpaid Stripe order expires its
//! PaymentIntent is read back (paid: the order is paid; not paid: the intent is cancelled at
//! Stripe, then the order), and the reconciliation fixes or reports every difference. Against
//! localstripe, with no webhook endpoint registered, so no event is ever delivered.

use crate::orders::stocked_product;
use crate::stripe::{order_status, spawn, stripe_get, stripe_order, stripe_post, stripe_url};
use crate::support::{skip, TestApp};
use crate::users::User;

/// The buyer pays at Stripe (as Stripe.js would); the webhook never comes.
async fn pay_at_stripe(stripe: &str, intent: &str) {
    let (status, body) =
        stripe_post(stripe, &format!("/v1/payment_intents/{intent}/confirm"), &[("payment_method", "pm_card_visa")])
            .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("succeeded")), "{body}");
}

fn expire(app: &TestApp, number: &str) {
    app.execute(&format!("UPDATE orders SET reserved_until = '2000-01-01 00:00:00' WHERE number = '{number}'"));
}

#[tokio::test]
async fn expiry_asks_stripe_first_and_the_reconciliation_fixes_a_missed_webhook() {
    let Some(stripe) = stripe_url() else {
        skip("TEST_STRIPE_URL is not set (bash .ci/run starts localstripe): the reconciliation test cannot run");
        return;
    };
    let secret = format!("whsec_{}", gongfang::accounts::secrets::new_token());
    let app = spawn(&stripe, &secret).await;
    let buyer = User::demo(&app, "buyer").await;
    let (product, _, _) = stocked_product(&app, None, None);
    app.execute(&format!("UPDATE products SET stock = 50 WHERE id = {product}"));

    // Every order below buys one piece of this product.
    // Paid at Stripe, webhook lost, reservation run out: the order is paid, not cancelled.
    let (paid, paid_intent) = stripe_order(&app, &buyer, "reconcile-paid-0001").await;
    pay_at_stripe(&stripe, &paid_intent).await;
    // Never paid, reservation run out: the intent is cancelled at Stripe, then the order.
    let (unpaid, unpaid_intent) = stripe_order(&app, &buyer, "reconcile-unpaid-01").await;
    expire(&app, &paid);
    expire(&app, &unpaid);
    let round = app.orders.round().await.unwrap();
    assert_eq!(round.expired, 2, "{round:?}");
    assert_eq!(order_status(&buyer, &paid).await, "paid");
    assert_eq!(order_status(&buyer, &unpaid).await, "cancelled");
    let pi = stripe_get(&stripe, &format!("/v1/payment_intents/{unpaid_intent}")).await;
    assert_eq!(pi["status"], "canceled", "the intent can no longer be paid: {pi}");
    let (status, _) = stripe_post(
        &stripe,
        &format!("/v1/payment_intents/{unpaid_intent}/confirm"),
        &[("payment_method", "pm_card_visa")],
    )
    .await;
    assert!(status >= 400, "a cancelled intent cannot be paid");

    // Paid at Stripe, webhook lost, still within its reservation: the reconciliation finds it.
    let (late, late_intent) = stripe_order(&app, &buyer, "reconcile-late-0001").await;
    pay_at_stripe(&stripe, &late_intent).await;
    assert_eq!(order_status(&buyer, &late).await, "pending_payment", "no webhook came");
    let since = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
    let report = app.orders.reconcile_payments(since).await.unwrap();
    assert_eq!(report.checked, 3, "{report:?}");
    assert_eq!(report.fixed.len(), 1, "{report:?}");
    assert!(report.fixed[0].contains(&late), "{report:?}");
    assert!(report.reported.is_empty() && report.unreachable == 0, "{report:?}");
    assert_eq!(order_status(&buyer, &late).await, "paid");
    // Run again: nothing left to fix.
    let again = app.orders.reconcile_payments(since).await.unwrap();
    assert!(again.fixed.is_empty() && again.reported.is_empty(), "{again:?}");
    let (code, out) = app.audit_verify();
    assert_eq!(code, Some(0), "{out}");
}

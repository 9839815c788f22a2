//! Variants (issue 20): a manager lists sizes with their own SKU, price and stock; the product
//! page offers them; the cart, checkout, the frozen line, the packing slip and the journal use
//! the chosen one; the no-oversell guarantee holds per variant; cancelling gives the variant's
//! stock back.

use crate::order_load::race;
use crate::orders::{address, stocked_product};
use crate::support::TestApp;
use crate::users::User;
use diesel::prelude::*;
use gongfang::db::schema::{journal_postings, order_lines, orders, product_variants, products};
use serde_json::{json, Value};

/// The demo manager's stocked product, given two sizes (S: 168.00 × `small`, L: 198.00 × 40)
/// and approved again by the operator. Answers (product id, slug, S's id, L's id).
pub async fn with_sizes(app: &TestApp, small: i64) -> (i64, String, i64, i64) {
    let manager = User::demo(app, "manager").await;
    let (product, _, _) = stocked_product(app, Some(manager.workshop_id().await), None);
    let body = json!({
        "options": [{"name_zh": "尺寸", "name_en": "Size"}],
        "variants": [
            {"sku": "BR-S", "value1_zh": "小号", "value1_en": "S", "price_fen": 16_800, "stock": small},
            {"sku": "BR-L", "value1_zh": "大号", "value1_en": "L", "price_fen": 19_800, "stock": 40},
        ],
    });
    let (status, reply) = manager.post_json(&format!("/api/v1/portal/products/{product}/variants"), &body).await;
    assert_eq!(status, 200, "{reply}");
    let mut conn = app.db.conn().unwrap();
    let (status, stock, price): (String, i64, i64) = products::table
        .find(product)
        .select((products::status, products::stock, products::price_fen))
        .first(&mut conn)
        .unwrap();
    assert_eq!(status, "in_review", "new sizes are content: an operator approves them");
    assert_eq!((stock, price), (small + 40, 16_800), "the product carries the sum of stock and the lowest price");
    let operator = User::demo(app, "operator").await;
    let (status, reply) =
        operator.post_json(&format!("/api/v1/portal/products/{product}/review"), &json!({"decision": "approve"})).await;
    assert_eq!(status, 200, "{reply}");
    let ids: Vec<(String, i64)> = product_variants::table
        .filter(product_variants::product_id.eq(product))
        .select((product_variants::sku, product_variants::id))
        .order(product_variants::position)
        .load(&mut conn)
        .unwrap();
    let slug: String = products::table.find(product).select(products::slug).first(&mut conn).unwrap();
    (product, slug, ids[0].1, ids[1].1)
}

/// A frozen line: id, variant, SKU, English label, unit price, quantity.
type Frozen = (i64, Option<i64>, Option<String>, Option<String>, i64, i32);

fn variant_stock(app: &TestApp, id: i64) -> i64 {
    let mut conn = app.db.conn().unwrap();
    product_variants::table.find(id).select(product_variants::stock).first(&mut conn).unwrap()
}

fn checkout(items: Value, key: &str) -> Value {
    let mut body = address();
    body["items"] = items;
    body["idempotency_key"] = json!(key);
    body["payment_method"] = json!("bank_transfer");
    body
}

#[tokio::test]
async fn a_buyer_picks_a_size_and_the_line_the_slip_and_the_journal_use_it() {
    let app = TestApp::spawn().await;
    let (product, slug, small, large) = with_sizes(&app, 5).await;

    // The product page offers both sizes, each with its price; without script the choice is a radio.
    let (status, page) = app.json(&format!("/api/v1/products/{slug}")).await;
    assert_eq!(status, 200);
    assert_eq!(page["variants"].as_array().unwrap().len(), 2, "{page}");
    assert_eq!(page["variants"][1]["price_fen"], 19_800);
    assert_eq!(page["options"][0]["en"], "Size");
    let (_, html) = app.page(&format!("/products/{slug}")).await;
    assert!(html.contains(&format!("name=\"variant_id\" value=\"{large}\"")), "a radio per size");

    // A size must be chosen; a size of another product is refused; the chosen one goes in.
    let buyer = User::demo(&app, "buyer").await;
    let (status, body) = buyer.post_json("/api/v1/cart/items", &json!({"product_id": product, "quantity": 1})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("variant_id")), "{body}");
    let (status, body) = buyer
        .post_json("/api/v1/cart/items", &json!({"product_id": product, "variant_id": 999_999, "quantity": 1}))
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("variant_id")), "{body}");
    let (status, body) = buyer
        .post_json("/api/v1/cart/items", &json!({"product_id": product, "variant_id": small, "quantity": 9}))
        .await;
    assert_eq!(status, 400, "only 5 of the small size: {body}");
    for (variant, quantity) in [(small, 2), (large, 1)] {
        let (status, body) = buyer
            .post_json(
                "/api/v1/cart/items",
                &json!({"product_id": product, "variant_id": variant, "quantity": quantity}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, cart) = buyer.get_json("/api/v1/cart").await;
    let lines = cart["parcels"][0]["lines"].as_array().unwrap().clone();
    assert_eq!(lines.len(), 2, "two sizes of one product are two lines: {cart}");
    assert_eq!(cart["items_fen"], 2 * 16_800 + 19_800);
    assert!(lines.iter().any(|l| l["variant"] == "小号" && l["sku"] == "BR-S"), "{cart}");

    // Checkout freezes each size's price, SKU and label on its line and takes its own stock.
    let (status, order) = buyer.post_json("/api/v1/checkout", &checkout(Value::Null, "variant-checkout-1")).await;
    assert_eq!(status, 201, "{order}");
    let number = order["number"].as_str().unwrap().to_owned();
    assert_eq!((variant_stock(&app, small), variant_stock(&app, large)), (3, 39));
    assert_eq!(crate::orders::stock_of(&app, product), 42, "the product's stock is the sizes' sum");
    let mut conn = app.db.conn().unwrap();
    let order_id: i64 = orders::table.filter(orders::number.eq(&number)).select(orders::id).first(&mut conn).unwrap();
    let frozen: Vec<Frozen> = order_lines::table
        .filter(order_lines::order_id.eq(order_id))
        .order(order_lines::variant_id)
        .select((
            order_lines::id,
            order_lines::variant_id,
            order_lines::sku,
            order_lines::variant_en,
            order_lines::unit_price_fen,
            order_lines::quantity,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(frozen[0].1, Some(small));
    assert_eq!(
        frozen.iter().map(|l| (l.2.clone().unwrap(), l.3.clone().unwrap(), l.4, l.5)).collect::<Vec<_>>(),
        vec![("BR-S".into(), "S".into(), 16_800, 2), ("BR-L".into(), "L".into(), 19_800, 1)]
    );

    // The buyer's order page and the packing slip name the size.
    let (_, view) = buyer.get_json(&format!("/api/v1/orders/{number}")).await;
    let shown: Vec<&str> =
        view["parcels"][0]["lines"].as_array().unwrap().iter().filter_map(|l| l["variant"].as_str()).collect();
    assert_eq!(shown.len(), 2, "{view}");
    let manager = User::demo(&app, "manager").await;
    let (status, slip) = manager.page(&format!("/portal/orders/{number}/slip")).await;
    assert!(status == 200 && slip.contains("BR-S") && slip.contains("小号"), "the slip names the size and SKU");

    // Paid: the journal's capture of each line is its size's price × quantity.
    let operator = User::demo(&app, "operator").await;
    let (status, body) = operator
        .post_json(&format!("/api/v1/portal/orders/{number}/confirm-payment"), &json!({"reference": "BANK-V1"}))
        .await;
    assert_eq!(status, 200, "{body}");
    for (line, _, _, _, price, quantity) in &frozen {
        let clearing: i64 = journal_postings::table
            .filter(journal_postings::order_line_id.eq(line))
            .filter(journal_postings::account.eq("buyer_clearing"))
            .select(journal_postings::amount_fen)
            .load::<i64>(&mut conn)
            .unwrap()
            .iter()
            .sum();
        assert_eq!(clearing, -price * i64::from(*quantity), "line {line}: the capture is the size's price");
    }
    let (code, out) = app.audit_verify();
    assert_eq!(code, Some(0), "{out}");
}

#[tokio::test]
async fn a_cancelled_order_gives_the_size_its_stock_back_and_a_size_taken_off_sale_cannot_be_bought() {
    let app = TestApp::spawn().await;
    let (product, _, small, large) = with_sizes(&app, 4).await;
    let buyer = User::demo(&app, "buyer").await;
    let items = json!([{"product_id": product, "variant_id": small, "quantity": 3}]);
    let (status, order) = buyer.post_json("/api/v1/checkout", &checkout(items, "variant-cancel-01")).await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(variant_stock(&app, small), 1);
    let number = order["number"].as_str().unwrap();
    let (status, body) = buyer.post_json(&format!("/api/v1/orders/{number}/cancel"), &json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(variant_stock(&app, small), 4, "the cancelled order's pieces are back in the size's stock");
    assert_eq!(crate::orders::stock_of(&app, product), 44);

    // The manager lists only the large size: the small one is taken off sale, not deleted.
    let manager = User::demo(&app, "manager").await;
    let body = json!({
        "options": [{"name_zh": "尺寸", "name_en": "Size"}],
        "variants": [{"sku": "br-l", "value1_zh": "大号", "value1_en": "L", "price_fen": 19_800, "stock": 40}],
    });
    let (status, reply) = manager.post_json(&format!("/api/v1/portal/products/{product}/variants"), &body).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(crate::orders::stock_of(&app, product), 40, "only the large size counts now");
    let mut conn = app.db.conn().unwrap();
    let ids: Vec<i64> = product_variants::table
        .filter(product_variants::product_id.eq(product))
        .filter(product_variants::active.eq(true))
        .select(product_variants::id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(ids, vec![large], "the SKU matched case-insensitively kept the large size's row");
    let operator = User::demo(&app, "operator").await;
    operator.post_json(&format!("/api/v1/portal/products/{product}/review"), &json!({"decision": "approve"})).await;
    let items = json!([{"product_id": product, "variant_id": small, "quantity": 1}]);
    let (status, body) = buyer.post_json("/api/v1/checkout", &checkout(items, "variant-gone-001")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("checkout.error.unavailable")), "{body}");
}

#[tokio::test]
async fn variant_input_is_checked_field_by_field_and_other_workshops_get_404() {
    let app = TestApp::spawn().await;
    let manager = User::demo(&app, "manager").await;
    let (product, _, _) = stocked_product(&app, Some(manager.workshop_id().await), None);
    let path = format!("/api/v1/portal/products/{product}/variants");
    let size = |sku: &str, price: i64| json!({"sku": sku, "value1_zh": sku, "price_fen": price, "stock": 1});
    for (body, field, code) in [
        (json!({"options": [{"name_zh": "尺寸"}], "variants": []}), "variants", "error.variants_need_options"),
        (
            json!({"options": [{"name_zh": "尺寸"}], "variants": [size("A", 100), size("a", 100)]}),
            "sku",
            "error.variant_sku_twice",
        ),
        (json!({"options": [{"name_zh": "尺寸"}], "variants": [size("A B", 100)]}), "sku", "error.variant_sku"),
        (json!({"options": [{"name_zh": "尺寸"}], "variants": [size("A", 0)]}), "price", "error.variant_amount"),
        (
            json!({"options": [{"name_zh": "a"}, {"name_zh": "b"}, {"name_zh": "c"}], "variants": []}),
            "options",
            "error.at_most",
        ),
    ] {
        let (status, reply) = manager.post_json(&path, &body).await;
        assert_eq!(
            (status, reply["error"]["field"].as_str(), reply["error"]["code"].as_str()),
            (400, Some(field), Some(code)),
            "{reply}"
        );
    }
    let (status, reply) = manager.post_json(&path, &json!({"options": "nope"})).await;
    assert_eq!(status, 400, "{reply}");
    let mut conn = app.db.conn().unwrap();
    let none: i64 =
        product_variants::table.filter(product_variants::product_id.eq(product)).count().get_result(&mut conn).unwrap();
    assert_eq!(none, 0, "nothing refused was written");

    // The form: a refused table keeps what was typed, with the row named in the message.
    let (status, page) = manager
        .form(
            &format!("/portal/products/{product}/variants"),
            &[("option1_zh", "尺寸"), ("sku", "BR-1"), ("value1_zh", "16cm"), ("v_price", "abc"), ("v_stock", "2")],
        )
        .await;
    assert_eq!(status, 400);
    assert!(page.contains("value=\"BR-1\"") && page.contains("value=\"abc\""), "kept input");
    let (status, _) = manager
        .form(
            &format!("/portal/products/{product}/variants"),
            &[("option1_zh", "尺寸"), ("sku", "BR-1"), ("value1_zh", "16cm"), ("v_price", "268"), ("v_stock", "2")],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(crate::orders::stock_of(&app, product), 2);

    // Staff of another workshop: 404, as everywhere.
    let (theirs, _, _) = stocked_product(&app, None, Some(manager.workshop_id().await));
    let (status, _) = manager
        .post_json(&format!("/api/v1/portal/products/{theirs}/variants"), &json!({"options": [], "variants": []}))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_buyers_race_for_five_of_one_size_and_five_are_sold() {
    let app = TestApp::spawn_config(true, |c| c.db_pool_size = 8).await;
    let (product, _, small, large) = with_sizes(&app, 5).await;
    let (sold, refused) = race(&app, 200, |i| {
        checkout(json!([{"product_id": product, "variant_id": small, "quantity": 1}]), &format!("size-race-{i:04}"))
    })
    .await;
    for body in &refused {
        assert!(body["error"]["message"].as_str().unwrap().contains("(S)"), "names the size: {body}");
    }
    assert_eq!((sold, refused.len()), (5, 195));
    assert_eq!((variant_stock(&app, small), variant_stock(&app, large)), (0, 40), "the other size is untouched");
    assert_eq!(crate::orders::stock_of(&app, product), 40);
    let mut conn = app.db.conn().unwrap();
    let lines: i64 =
        order_lines::table.filter(order_lines::variant_id.eq(small)).count().get_result(&mut conn).unwrap();
    assert_eq!(lines, 5);
}

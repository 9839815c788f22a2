//! Reviews (issue 20): only the buyer of a delivered line reviews it, once, with a rating, a
//! text and photos stripped of their metadata; the product's average and count follow; the
//! workshop replies once (another workshop's staff get 404); an operator hides a review with
//! an audited reason; lists page newest or most helpful first; search sorts by rating; and
//! bad input is refused with the field named.

use crate::orders::demo_order;
use crate::photo_files::{self, metadata_found};
use crate::support::TestApp;
use crate::users::User;
use diesel::prelude::*;
use gongfang::db::schema::{audit_log, order_lines, orders};
use serde_json::{json, Value};

/// The demo buyer's order of one piece of the demo manager's workshop, paid, shipped and
/// delivered. Answers (order number, line id, product slug).
pub async fn delivered(app: &TestApp, key: &str) -> (String, i64, String) {
    let order = demo_order(app, 1, key).await;
    let number = order["number"].as_str().unwrap().to_owned();
    let operator = User::demo(app, "operator").await;
    let (status, body) = operator
        .post_json(&format!("/api/v1/portal/orders/{number}/confirm-payment"), &json!({"reference": key}))
        .await;
    assert_eq!(status, 200, "{body}");
    let buyer = User::demo(app, "buyer").await;
    let (_, view) = buyer.get_json(&format!("/api/v1/orders/{number}")).await;
    let parcel = view["parcels"][0]["id"].as_i64().unwrap();
    let line = view["parcels"][0]["lines"][0]["id"].as_i64().unwrap();
    let manager = User::demo(app, "manager").await;
    let ship = json!({"carrier": "EMS", "tracking_number": format!("EA{:09}CN", line)});
    assert_eq!(manager.post_json(&format!("/api/v1/portal/shipments/{parcel}/ship"), &ship).await.0, 200);
    assert_eq!(buyer.post_json(&format!("/api/v1/shipments/{parcel}/delivered"), &json!({})).await.0, 200);
    let mut conn = app.db.conn().unwrap();
    let product: i64 = order_lines::table.find(line).select(order_lines::product_id).first(&mut conn).unwrap();
    let slug: String = gongfang::db::schema::products::table
        .find(product)
        .select(gongfang::db::schema::products::slug)
        .first(&mut conn)
        .unwrap();
    (number, line, slug)
}

/// Posts a review as multipart, with `photos` as `photo` fields.
pub async fn review(user: &User, path: &str, fields: &[(&str, &str)], photos: Vec<Vec<u8>>) -> (u16, Value) {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    for (i, bytes) in photos.into_iter().enumerate() {
        form = form.part("photo", reqwest::multipart::Part::bytes(bytes).file_name(format!("IMG_{i}.jpg")));
    }
    let res = user.client.post(user.url(path)).header("X-CSRF-Token", &user.csrf).multipart(form).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_delivered_piece_is_reviewed_once_replied_to_once_and_hidden_with_a_reason() {
    let app = TestApp::spawn().await;
    let (number, line, slug) = delivered(&app, "review-1").await;
    let buyer = User::demo(&app, "buyer").await;
    let url = format!("/api/v1/orders/{number}/lines/{line}/review");

    // Bad input is refused with its field, and nothing is stored.
    for (fields, field) in [
        (vec![("rating", "0"), ("shown_as", "name")], "rating"),
        (vec![("rating", "五"), ("shown_as", "name")], "rating"),
        (vec![("shown_as", "name")], "rating"),
        (vec![("rating", "5"), ("shown_as", "anonymous")], "shown_as"),
    ] {
        let (status, body) = review(&buyer, &url, &fields, vec![]).await;
        assert_eq!((status, body["error"]["field"].as_str()), (400, Some(field)), "{fields:?}: {body}");
    }
    let long = "好".repeat(2_001);
    let (status, body) = review(&buyer, &url, &[("rating", "5"), ("body", &long), ("shown_as", "name")], vec![]).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("body")), "{body}");
    let five = vec![photo_files::jpeg_with_exif(64, 64, 1); 5];
    let (status, body) = review(&buyer, &url, &[("rating", "5"), ("shown_as", "name")], five).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("photo")), "{body}");

    // Someone else's line, or a line not yet delivered, cannot be reviewed.
    let other = User::demo(&app, "manager").await;
    assert_eq!(review(&other, &url, &[("rating", "5"), ("shown_as", "name")], vec![]).await.0, 404);
    let undelivered = demo_order(&app, 1, "review-undelivered").await;
    let (_, view) = buyer.get_json(&format!("/api/v1/orders/{}", undelivered["number"].as_str().unwrap())).await;
    let pending_line = view["parcels"][0]["lines"][0]["id"].as_i64().unwrap();
    let pending_url = format!("/api/v1/orders/{}/lines/{pending_line}/review", undelivered["number"].as_str().unwrap());
    assert_eq!(review(&buyer, &pending_url, &[("rating", "5"), ("shown_as", "name")], vec![]).await.0, 404);

    // The review, with a phone photo carrying GPS: stored without any metadata.
    let text = "<script>alert(1)</script> 银饰做工精细，尺寸合适";
    let photo = photo_files::jpeg_with_exif(900, 600, 6);
    assert!(!metadata_found(&photo).is_empty());
    let (status, body) =
        review(&buyer, &url, &[("rating", "4"), ("body", text), ("shown_as", "province")], vec![photo]).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = review(&buyer, &url, &[("rating", "1"), ("shown_as", "name")], vec![]).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("review.error.already")), "once per line");

    let (_, page) = app.json(&format!("/api/v1/products/{slug}")).await;
    assert_eq!((page["rating"]["count"].as_i64(), page["rating"]["average"].as_f64()), (Some(1), Some(4.0)), "{page}");
    let r = page["reviews"][0].clone();
    assert_eq!(r["body"], text);
    assert_eq!(r["author_name"], Value::Null, "the buyer chose the province");
    assert_eq!(r["author_province"]["zh"], "四川省", "the parcel went to 喜德县, Sichuan");
    let path = r["photos"][0]["path"].as_str().unwrap().to_owned();
    let res = reqwest::get(app.url(&format!("/media/{path}"))).await.unwrap();
    assert_eq!(res.status(), 200, "the photo is served");
    let stored = res.bytes().await.unwrap().to_vec();
    assert_eq!(metadata_found(&stored), Vec::<String>::new(), "EXIF stripped");
    assert_eq!(r["photos"][0]["width"], 600, "turned upright");
    let (_, html) = app.page(&format!("/products/{slug}")).await;
    let raw = reqwest::get(app.url(&format!("/products/{slug}"))).await.unwrap().text().await.unwrap();
    assert!(!raw.contains("<script>alert(1)</script>"), "the text is escaped");
    assert!(html.contains("来自四川省的买家") || html.contains("A buyer from"), "named by province");
    // A review never carries the makers' household status (nor anything of theirs).
    for word in ["household", "poor", "贫困"] {
        assert!(!r.to_string().contains(word), "{word} in {r}");
    }

    // The order page marks the line reviewed.
    let (_, order_page) = buyer.page(&format!("/orders/{number}")).await;
    assert!(order_page.contains("已评价") || order_page.contains("Reviewed"));

    // The workshop replies once; another workshop's staff get 404.
    let id = r["id"].as_i64().unwrap();
    let manager = User::demo(&app, "manager").await;
    let (status, body) = manager.post_json(&format!("/api/v1/portal/reviews/{id}/reply"), &json!({"body": " "})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("body")));
    let reply = json!({"body": "谢谢您的支持！"});
    assert_eq!(manager.post_json(&format!("/api/v1/portal/reviews/{id}/reply"), &reply).await.0, 200);
    let (status, body) = manager.post_json(&format!("/api/v1/portal/reviews/{id}/reply"), &reply).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("review.error.replied")));
    let stranger = User::demo(&app, "editor2").await;
    assert_eq!(stranger.post_json(&format!("/api/v1/portal/reviews/{id}/reply"), &reply).await.0, 404);
    let (_, listed) = stranger.get_json("/api/v1/portal/reviews").await;
    assert!(listed.as_array().unwrap().iter().all(|r| r["id"] != id), "not in another workshop's list");
    let (_, listed) = manager.get_json("/api/v1/portal/reviews").await;
    assert_eq!(listed[0]["reply"]["body"], "谢谢您的支持！");

    // Only an operator hides, with a reason that goes to the audit log; the count drops.
    let (status, _) = manager.post_json(&format!("/api/v1/portal/reviews/{id}/hide"), &json!({"reason": "x"})).await;
    assert_eq!(status, 403);
    let operator = User::demo(&app, "operator").await;
    let (status, body) = operator.post_json(&format!("/api/v1/portal/reviews/{id}/hide"), &json!({"reason": ""})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("reason")));
    let hide = json!({"reason": "含有他人电话号码"});
    assert_eq!(operator.post_json(&format!("/api/v1/portal/reviews/{id}/hide"), &hide).await.0, 200);
    let mut conn = app.db.conn().unwrap();
    let detail: String = audit_log::table
        .filter(audit_log::action.eq("review.hide"))
        .select(audit_log::detail)
        .first(&mut conn)
        .unwrap();
    assert!(detail.contains("含有他人电话号码"), "{detail}");
    let (_, page) = app.json(&format!("/api/v1/products/{slug}")).await;
    assert_eq!(page["rating"]["count"], 0);
    assert_eq!(page["reviews"].as_array().unwrap().len(), 0, "hidden from the product page");
    let (_, listed) = manager.get_json("/api/v1/portal/reviews").await;
    assert_eq!(listed[0]["hidden"], true, "the workshop still sees it, marked hidden");
    let (code, out) = app.audit_verify();
    assert_eq!(code, Some(0), "{out}");
}

#[tokio::test]
async fn reviews_page_newest_or_most_helpful_and_search_sorts_by_rating() {
    let app = TestApp::spawn().await;
    // Twelve delivered lines of one product, each reviewed; ratings 1..=5 over them. The
    // orders all take the workshop's first stocked product: it is given stock enough.
    let workshop = User::demo(&app, "manager").await.workshop_id().await;
    let (product, _, _) = crate::orders::stocked_product(&app, Some(workshop), None);
    app.execute(&format!("UPDATE products SET stock = 1000 WHERE id = {product}"));
    let mut slug = String::new();
    let mut ids = Vec::new();
    let buyer = User::demo(&app, "buyer").await;
    for i in 0..12 {
        let (number, line, s) = delivered(&app, &format!("review-page-{i}")).await;
        slug = s;
        let rating = (1 + i % 5).to_string();
        let body = format!("第 {i} 条");
        let (status, _) = review(
            &buyer,
            &format!("/api/v1/orders/{number}/lines/{line}/review"),
            &[("rating", &rating), ("body", &body), ("shown_as", "name")],
            vec![],
        )
        .await;
        assert_eq!(status, 200);
        let (_, page) = app.json(&format!("/api/v1/products/{slug}/reviews")).await;
        ids.push(page["reviews"][0]["id"].as_i64().unwrap());
    }
    let (_, first) = app.json(&format!("/api/v1/products/{slug}/reviews")).await;
    assert_eq!(first["sort"], "newest");
    // The API document describes the answer as it is sent (the sort's text, not its name).
    let (_, doc) = app.json("/api/openapi.json").await;
    let sort = &doc["components"]["schemas"]["ReviewPage"]["properties"]["sort"]["$ref"];
    assert_eq!(sort, "#/components/schemas/ReviewSort", "{}", doc["components"]["schemas"]["ReviewPage"]);
    let schema = &doc["components"]["schemas"]["ReviewSort"];
    assert_eq!((&schema["type"], &schema["enum"]), (&json!("string"), &json!(["newest", "helpful"])), "{schema}");
    assert_eq!((first["total"].as_i64(), first["page_count"].as_i64()), (Some(12), Some(2)));
    assert_eq!(first["reviews"][0]["body"], "第 11 条", "newest first");
    assert!(first["reviews"][0]["author_name"].as_str().is_some_and(|n| !n.is_empty()), "named as chosen");
    let (_, second) = app.json(&format!("/api/v1/products/{slug}/reviews?page=2")).await;
    assert_eq!(second["reviews"].as_array().unwrap().len(), 2);
    assert_eq!(second["reviews"][1]["body"], "第 0 条");

    // Helpful votes: once each, never one's own; the most helpful come first.
    let manager = User::demo(&app, "manager").await;
    let editor = User::demo(&app, "editor").await;
    for voter in [&manager, &editor] {
        for _ in 0..2 {
            assert_eq!(voter.post_json(&format!("/api/v1/reviews/{}/helpful", ids[3]), &json!({})).await.0, 200);
        }
    }
    assert_eq!(manager.post_json(&format!("/api/v1/reviews/{}/helpful", ids[7]), &json!({})).await.0, 200);
    let (status, _) = buyer.post_json(&format!("/api/v1/reviews/{}/helpful", ids[3]), &json!({})).await;
    assert_eq!(status, 403, "not one's own");
    let (_, helpful) = app.json(&format!("/api/v1/products/{slug}/reviews?sort=helpful")).await;
    assert_eq!(helpful["reviews"][0]["id"].as_i64(), Some(ids[3]));
    assert_eq!(helpful["reviews"][0]["helpful"], 2, "each voter counted once");
    assert_eq!(helpful["reviews"][1]["id"].as_i64(), Some(ids[7]));
    let (_, html) = app.page(&format!("/products/{slug}/reviews?sort=helpful&page=2")).await;
    assert!(html.contains("rel=\"prev\""), "the pager keeps the order");

    // The average on the product; search's "top rated" puts it first.
    let (_, page) = app.json(&format!("/api/v1/products/{slug}")).await;
    let sum: i64 = (0..12).map(|i| 1 + i % 5).sum();
    let expected = ((sum as f64 / 12.0) * 10.0).round() / 10.0;
    assert_eq!(page["rating"]["average"].as_f64(), Some(expected));
    app.search_settled().await;
    let (status, found) = app.json("/api/v1/search?sort=top_rated").await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["hits"][0]["slug"], slug.as_str(), "the one rated piece first: {found}");
    let mut conn = app.db.conn().unwrap();
    let n: i64 = orders::table.count().get_result(&mut conn).unwrap();
    assert!(n >= 12);
}

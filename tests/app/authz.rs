//! The authorization matrix: every state-changing portal route tried as anonymous, buyer,
//! editor of the same workshop, editor of another workshop, official and operator.

use crate::photo_files;
use crate::support::TestApp;
use crate::users::User;
use serde_json::{json, Value};

/// What each role must get: anonymous, buyer, editor (same), editor (other), official, operator.
type Expect = [u16; 6];
const MANAGER_ONLY: Expect = [401, 403, 403, 404, 403, 200];
const EDITORS: Expect = [401, 403, 200, 404, 403, 200];
const OPERATORS: Expect = [401, 403, 403, 403, 403, 200];

async fn fresh_product(editor: &User, w: i64, heritage: i64, worker: i64, submit: bool) -> i64 {
    let (s, p) = editor
        .post_json(
            &format!("/api/v1/portal/workshops/{w}/products"),
            &json!({"title_zh": "矩阵", "heritage_item_id": heritage, "price_fen": 1000, "stock": 1, "wage_bp": 5000}),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    let id = p["id"].as_i64().unwrap();
    let makers = json!({"makers": [{"worker_id": worker, "role": "lead", "share_bp": 10000}]});
    assert_eq!(editor.post_json(&format!("/api/v1/portal/products/{id}/makers"), &makers).await.0, 200);
    if submit {
        assert_eq!(editor.post_json(&format!("/api/v1/portal/products/{id}/submit"), &json!({})).await.0, 200);
    }
    id
}

#[tokio::test]
async fn every_state_changing_route_answers_each_role_as_it_must() {
    let app = TestApp::spawn().await;
    let users = [
        User::anonymous(&app).await,
        User::demo(&app, "buyer").await,
        User::demo(&app, "editor").await,
        User::demo(&app, "editor2").await,
        User::demo(&app, "official").await,
        User::demo(&app, "operator").await,
    ];
    let names = ["anonymous", "buyer", "editor (same)", "editor (other)", "official", "operator"];
    let editor = &users[2];
    let w = editor.workshop_id().await;
    let (_, products) = editor.get_json(&format!("/api/v1/portal/workshops/{w}/products")).await;
    let product = products[0]["id"].as_i64().unwrap();
    let heritage = products[0]["heritage_item_id"].as_i64().unwrap();
    let (_, workers) = editor.get_json(&format!("/api/v1/portal/workshops/{w}/workers")).await;
    let worker = workers.as_array().unwrap().iter().find(|x| x["current"] == true).unwrap()["id"].as_i64().unwrap();

    let worker_body = json!({"name_zh": "矩阵", "inheritor_level": "craftsman", "joined_on": "2025-01-01"});
    let product_body =
        json!({"title_zh": "矩阵", "heritage_item_id": heritage, "price_fen": 1000, "stock": 1, "wage_bp": 5000});
    let simple: Vec<(String, Value, Expect)> = vec![
        (format!("/workshops/{w}/profile"), json!({"name_zh": "矩阵工坊", "name_en": "Matrix"}), MANAGER_ONLY),
        (
            format!("/workshops/{w}/certification"),
            json!({"cert_number": "M-1", "cert_issued_on": "2025-01-10", "cert_last_confirmed_on": "2026-01-10"}),
            OPERATORS,
        ),
        (format!("/workshops/{w}/payout-account"), json!({"account": "6222021234567890"}), MANAGER_ONLY),
        (format!("/workshops/{w}/workers"), worker_body.clone(), MANAGER_ONLY),
        (
            format!("/workers/{worker}"),
            json!({"name_zh": "矩阵", "inheritor_level": "craftsman", "joined_on": "2020-01-01"}),
            MANAGER_ONLY,
        ),
        (format!("/workers/{worker}/consent"), json!({"item": "story", "given": true}), MANAGER_ONLY),
        (
            format!("/workers/{worker}/household-status"),
            json!({"status": "lifted_out", "valid_from": "2025-01-01", "verified_by": "村委会", "verified_on": "2025-01-05"}),
            MANAGER_ONLY,
        ),
        (
            format!("/workers/{worker}/secrets"),
            json!({"field": "bank_account", "value": "6222021234567890"}),
            MANAGER_ONLY,
        ),
        (format!("/workshops/{w}/products"), product_body.clone(), EDITORS),
        (format!("/products/{product}"), product_body.clone(), EDITORS),
        (
            format!("/products/{product}/makers"),
            json!({"makers": [{"worker_id": worker, "role": "lead", "share_bp": 10000}]}),
            EDITORS,
        ),
        (format!("/products/{product}/duplicate"), json!({}), EDITORS),
        (
            "/invitations".to_owned(),
            json!({"email": "inv@example.cn", "role": "editor", "workshop_id": w}),
            [401, 403, 403, 404, 403, 202],
        ),
        (
            "/invitations".to_owned(),
            json!({"email": "inv2@example.cn", "role": "official", "region_code": "513400"}),
            [401, 403, 403, 403, 403, 202],
        ),
    ];
    let mut failures = Vec::new();
    for (path, body, expect) in &simple {
        for (i, user) in users.iter().enumerate() {
            let (status, answer) = user.post_json(&format!("/api/v1/portal{path}"), body).await;
            if status != expect[i] {
                failures.push(format!("POST {path} as {}: {status}, expected {} ({answer})", names[i], expect[i]));
            }
        }
    }
    // Routes whose success changes the product's state get a fresh product per role.
    for (action, submitted, expect) in
        [("submit", false, EDITORS), ("archive", false, EDITORS), ("review", true, OPERATORS)]
    {
        for (i, user) in users.iter().enumerate() {
            let id = fresh_product(editor, w, heritage, worker, submitted).await;
            let body = json!({"decision": "approve"});
            let (status, answer) = user.post_json(&format!("/api/v1/portal/products/{id}/{action}"), &body).await;
            if status != expect[i] {
                failures.push(format!(
                    "POST /products/{id}/{action} as {}: {status}, expected {} ({answer})",
                    names[i], expect[i]
                ));
            }
        }
    }
    // Photos: upload, alt text and removal.
    for (i, user) in users.iter().enumerate() {
        let (status, answer) =
            user.upload(&format!("/api/v1/portal/products/{product}/photos"), "p.png", photo_files::png(64, 48)).await;
        if status != EDITORS[i] {
            failures.push(format!("upload as {}: {status}, expected {} ({answer})", names[i], EDITORS[i]));
        }
        let (_, photo) = editor
            .upload(&format!("/api/v1/portal/products/{product}/photos"), "p.png", photo_files::png(64, 48))
            .await;
        let photo = photo["id"].as_i64().unwrap();
        for (path, body) in [
            (format!("/photos/{photo}"), json!({"alt_zh": "碗", "alt_en": "bowl"})),
            (format!("/photos/{photo}/delete"), json!({})),
        ] {
            let (status, answer) = user.post_json(&format!("/api/v1/portal{path}"), &body).await;
            if status != EDITORS[i] {
                failures.push(format!("POST {path} as {}: {status}, expected {} ({answer})", names[i], EDITORS[i]));
            }
        }
    }
    // An unknown id and another workshop's id look the same to staff: not found.
    let (status, _) = users[3].get_json(&format!("/api/v1/portal/products/{product}")).await;
    assert_eq!(status, 404);
    let (status, _) = users[3].get_json("/api/v1/portal/products/99999999").await;
    assert_eq!(status, 404);
    assert!(failures.is_empty(), "{} answers were wrong:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn favourite_and_follow_routes_answer_each_role_as_they_must() {
    let app = TestApp::spawn().await;
    let users = [
        User::anonymous(&app).await,
        User::demo(&app, "buyer").await,
        User::demo(&app, "editor").await,
        User::demo(&app, "official").await,
        User::demo(&app, "operator").await,
    ];
    let (_, listed) = app.json("/api/v1/products?per_page=1").await;
    let (product, workshop) = (
        listed["items"][0]["id"].as_i64().unwrap(),
        listed["items"][0]["workshop"]["slug"].as_str().unwrap().to_owned(),
    );
    // Anyone may keep pieces (a browser until it signs in); following needs an account.
    let routes: [(String, [u16; 5]); 6] = [
        (format!("/favourites/{product}"), [200; 5]),
        (format!("/favourites/{product}/remove"), [200; 5]),
        ("/favourites/99999999".to_owned(), [404; 5]),
        (format!("/workshops/{workshop}/follow"), [401, 200, 200, 200, 200]),
        (format!("/workshops/{workshop}/unfollow"), [401, 200, 200, 200, 200]),
        ("/workshops/no-such-workshop/follow".to_owned(), [401, 404, 404, 404, 404]),
    ];
    let mut failures = Vec::new();
    for (path, expect) in &routes {
        for (user, want) in users.iter().zip(expect) {
            let (status, answer) = user.post_json(&format!("/api/v1{path}"), &json!({})).await;
            if status != *want {
                failures.push(format!("POST {path}: {status}, expected {want} ({answer})"));
            }
        }
    }
    assert!(failures.is_empty(), "{} answers were wrong:\n{}", failures.len(), failures.join("\n"));
}

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

/// A browser for each role of [`Expect`], in its order, and the roles' names.
async fn roles(app: &TestApp) -> ([User; 6], [&'static str; 6]) {
    let users = [
        User::anonymous(app).await,
        User::demo(app, "buyer").await,
        User::demo(app, "editor").await,
        User::demo(app, "editor2").await,
        User::demo(app, "official").await,
        User::demo(app, "operator").await,
    ];
    (users, ["anonymous", "buyer", "editor (same)", "editor (other)", "official", "operator"])
}

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
    let (users, names) = roles(&app).await;
    let editor = &users[2];
    let w = editor.workshop_id().await;
    let (_, products) = editor.get_json(&format!("/api/v1/portal/workshops/{w}/products")).await;
    let product = products[0]["id"].as_i64().unwrap();
    let heritage = products[0]["heritage_item_id"].as_i64().unwrap();
    let (_, workers) = editor.get_json(&format!("/api/v1/portal/workshops/{w}/workers")).await;
    let worker = workers.as_array().unwrap().iter().find(|x| x["current"] == true).unwrap()["id"].as_i64().unwrap();

    let worker_body = json!({"name_zh": "矩阵", "inheritor_level": "craftsman", "joined_on": "2025-01-01"});
    let (status, station) = users[5]
        .post_json("/api/v1/portal/workstations", &json!({"name_zh": "矩阵工作站", "region_code": "513400"}))
        .await;
    assert_eq!(status, 200, "{station}");
    let station = station["id"].as_i64().unwrap();
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
        (
            format!("/workshops/{w}/training"),
            json!({"programme": "矩阵", "organiser_kind": "workstation", "organiser_name": "工作站",
                   "starts_on": "2026-07-01", "ends_on": "2026-07-02", "hours": 8, "workers": [worker]}),
            MANAGER_ONLY,
        ),
        (format!("/workshops/{w}/products"), product_body.clone(), EDITORS),
        (format!("/products/{product}/design"), json!({"workstation_id": station}), EDITORS),
        ("/workstations".to_owned(), json!({"name_zh": "另一个工作站", "region_code": "513400"}), OPERATORS),
        ("/designers".to_owned(), json!({"workstation_id": station, "name_zh": "设计师"}), OPERATORS),
        (format!("/products/{product}"), product_body.clone(), EDITORS),
        (
            format!("/products/{product}/makers"),
            json!({"makers": [{"worker_id": worker, "role": "lead", "share_bp": 10000}]}),
            EDITORS,
        ),
        (
            format!("/products/{product}/variants"),
            json!({"options": [{"name_zh": "尺寸"}], "variants": [{"sku": "M-1", "value1_zh": "中", "price_fen": 100, "stock": 1}]}),
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

#[tokio::test]
async fn review_routes_answer_each_role_as_they_must() {
    let app = TestApp::spawn().await;
    let (users, names) = roles(&app).await;
    let (number, line, slug) = crate::reviews::delivered(&app, "authz-review").await;
    let write = format!("/api/v1/orders/{number}/lines/{line}/review");
    let fields = [("rating", "5"), ("shown_as", "name")];
    assert_eq!(crate::reviews::review(&users[1], &write, &fields, vec![]).await.0, 200);
    let (_, page) = app.json(&format!("/api/v1/products/{slug}/reviews")).await;
    let id = page["reviews"][0]["id"].as_i64().unwrap();
    let mut failures = Vec::new();
    // In this order: the first allowed reply answers 200, any later one 409 (once only).
    let posts: [(String, Value, Expect); 3] = [
        (format!("/api/v1/portal/reviews/{id}/reply"), json!({"body": "谢谢"}), [401, 403, 200, 404, 403, 409]),
        (format!("/api/v1/reviews/{id}/helpful"), json!({}), [401, 403, 200, 200, 200, 200]),
        (format!("/api/v1/portal/reviews/{id}/hide"), json!({"reason": "矩阵"}), OPERATORS),
    ];
    for (path, body, expect) in &posts {
        for (i, user) in users.iter().enumerate() {
            let (status, answer) = user.post_json(path, body).await;
            if status != expect[i] {
                failures.push(format!("POST {path} as {}: {status}, expected {} ({answer})", names[i], expect[i]));
            }
        }
    }
    for (i, user) in users.iter().enumerate() {
        let (status, _) = user.get_json("/api/v1/portal/reviews").await;
        let want = [401, 403, 200, 200, 403, 200][i];
        if status != want {
            failures.push(format!("GET /api/v1/portal/reviews as {}: {status}, expected {want}", names[i]));
        }
        // Only the buyer of the delivered line may review it (and has, so: 409).
        let (status, answer) = crate::reviews::review(user, &write, &fields, vec![]).await;
        let want = [401, 409, 404, 404, 404, 404][i];
        if status != want {
            failures.push(format!("POST {write} as {}: {status}, expected {want} ({answer})", names[i]));
        }
    }
    assert!(failures.is_empty(), "{} answers were wrong:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn message_routes_answer_each_role_as_they_must() {
    let app = TestApp::spawn().await;
    let (users, names) = roles(&app).await;
    let editor = users[2].workshop_id().await;
    let slug = crate::messages::piece(&app, Some(editor), None);
    let order = crate::orders::demo_order(&app, 1, "authz-message").await;
    let number = order["number"].as_str().unwrap();
    let mut failures = Vec::new();
    let mut check = |what: String, status: u16, want: u16, answer: &Value| {
        if status != want {
            failures.push(format!("{what}: {status}, expected {want} ({answer})"));
        }
    };
    // Asking: buyers only (and only about their own order).
    let mut thread = 0;
    for (i, user) in users.iter().enumerate() {
        let path = format!("/api/v1/products/{slug}/messages");
        let (status, answer) = user.post_json(&path, &json!({"body": "矩阵"})).await;
        check(format!("POST {path} as {}", names[i]), status, [401, 200, 403, 403, 403, 403][i], &answer);
        if i == 1 {
            thread = answer["id"].as_i64().unwrap_or(0);
        }
        let path = format!("/api/v1/orders/{number}/messages");
        let (status, answer) = user.post_json(&path, &json!({"body": "矩阵"})).await;
        check(format!("POST {path} as {}", names[i]), status, [401, 200, 403, 403, 403, 403][i], &answer);
    }
    // A thread: its buyer and its workshop's staff; operators only once it is reported.
    for (i, user) in users.iter().enumerate() {
        let (status, answer) = user.get_json(&format!("/api/v1/messages/{thread}")).await;
        check(format!("GET thread as {}", names[i]), status, [401, 200, 200, 404, 404, 404][i], &answer);
        let (status, answer) = user.post_json(&format!("/api/v1/messages/{thread}"), &json!({"body": "矩阵"})).await;
        check(format!("POST thread as {}", names[i]), status, [401, 200, 200, 404, 404, 404][i], &answer);
        let (status, answer) = user.get_json("/api/v1/messages").await;
        check(format!("GET /api/v1/messages as {}", names[i]), status, [401, 200, 200, 200, 403, 200][i], &answer);
    }
    for (i, user) in users.iter().enumerate() {
        let path = format!("/api/v1/messages/{thread}/report");
        let (status, answer) = user.post_json(&path, &json!({"reason": "矩阵"})).await;
        // The editor's report comes second and changes nothing; an operator reads, never reports.
        check(format!("POST {path} as {}", names[i]), status, [401, 200, 200, 404, 404, 403][i], &answer);
    }
    for (i, user) in users.iter().enumerate() {
        let (status, answer) = user.get_json(&format!("/api/v1/messages/{thread}")).await;
        check(format!("GET reported thread as {}", names[i]), status, [401, 200, 200, 404, 404, 200][i], &answer);
        let (status, answer) = user.post_json(&format!("/api/v1/messages/{thread}"), &json!({"body": "矩阵"})).await;
        check(format!("POST reported thread as {}", names[i]), status, [401, 200, 200, 404, 404, 403][i], &answer);
    }
    assert!(failures.is_empty(), "{} answers were wrong:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn custom_order_routes_answer_each_role_as_they_must() {
    let app = TestApp::spawn().await;
    let (users, names) = roles(&app).await;
    let mut failures = Vec::new();
    let mut check = |what: String, status: u16, want: u16, answer: &Value| {
        if status != want {
            failures.push(format!("{what}: {status}, expected {want} ({answer})"));
        }
    };
    // Asking: buyers only.
    let mut id = 0;
    for (i, user) in users.iter().enumerate() {
        let path = "/api/v1/workshops/xide-yi-lacquer/custom";
        let (status, answer) = user.post_json(path, &json!({"description": "矩阵"})).await;
        check(format!("POST {path} as {}", names[i]), status, [401, 200, 403, 403, 403, 403][i], &answer);
        if i == 1 {
            id = answer["id"].as_i64().unwrap_or(0);
        }
    }
    // Reading: the buyer, the workshop's staff and operators; lists for buyers and staff.
    for (i, user) in users.iter().enumerate() {
        let (status, answer) = user.get_json(&format!("/api/v1/custom/{id}")).await;
        check(format!("GET custom as {}", names[i]), status, [401, 200, 200, 404, 404, 200][i], &answer);
        let (status, answer) = user.get_json("/api/v1/custom").await;
        check(format!("GET /api/v1/custom as {}", names[i]), status, [401, 200, 200, 200, 403, 403][i], &answer);
    }
    // The pages: the same rules; the anonymous are sent to sign in.
    let pages = [
        (format!("/custom/{id}"), [303, 200, 200, 404, 404, 200]),
        ("/custom".to_owned(), [303, 200, 200, 200, 403, 403]),
        ("/portal/custom".to_owned(), [303, 200, 200, 200, 403, 403]),
        ("/workshops/xide-yi-lacquer/custom".to_owned(), [303, 200, 200, 200, 200, 200]),
        ("/workshops/zhaojue-yi-embroidery/custom".to_owned(), [303, 404, 404, 404, 404, 404]),
    ];
    for (path, want) in pages {
        for (i, user) in users.iter().enumerate() {
            let (status, _) = user.page(&path).await;
            check(format!("GET {path} as {}", names[i]), status, want[i], &Value::Null);
        }
    }
    // Workshop moves: an editor is not a manager; another workshop's staff get 404; the buyer
    // cannot quote or ship; an official is refused. Each is refused before what was sent is
    // read, and what is allowed then fails on the empty input (400), so nothing moves.
    let moves = [
        ("quote", [401, 403, 403, 404, 403, 400]),
        ("progress", [401, 403, 400, 404, 404, 400]),
        ("ship", [401, 403, 400, 404, 404, 400]),
    ];
    for (action, want) in moves {
        for (i, user) in users.iter().enumerate() {
            let path = format!("/api/v1/custom/{id}/{action}");
            let (status, answer) = if action == "progress" {
                let res = user
                    .client
                    .post(user.url(&path))
                    .header("X-CSRF-Token", &user.csrf)
                    .multipart(reqwest::multipart::Form::new().text("note", "矩阵"))
                    .send()
                    .await
                    .unwrap();
                (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
            } else {
                user.post_json(&path, &json!({"title_zh": "矩阵"})).await
            };
            check(format!("POST {path} as {}", names[i]), status, want[i], &answer);
        }
    }
    // The buyer's moves: someone else's custom order is not found; staff of its workshop are
    // refused, and the buyer's own acceptance of an unquoted request is a conflict.
    for (action, want) in [("accept", [401, 409, 403, 404, 404, 403]), ("pay", [401, 409, 403, 404, 404, 403])] {
        for (i, user) in users.iter().enumerate() {
            let path = format!("/api/v1/custom/{id}/{action}");
            let (status, answer) = user.post_json(&path, &json!({})).await;
            check(format!("POST {path} as {}", names[i]), status, want[i], &answer);
        }
    }
    // Receipt and cancellation: the buyer (a conflict here), staff of the workshop.
    for (action, want) in [("received", [401, 409, 409, 404, 404, 409]), ("cancel", [401, 200, 403, 404, 404, 409])] {
        for (i, user) in users.iter().enumerate() {
            let path = format!("/api/v1/custom/{id}/{action}");
            let (status, answer) = user.post_json(&path, &json!({})).await;
            check(format!("POST {path} as {}", names[i]), status, want[i], &answer);
        }
    }
    let (status, answer) = users[1].post_json(&format!("/api/v1/custom/{id}/decline"), &json!({})).await;
    check("POST decline of a cancelled request as buyer".into(), status, 409, &answer);
    assert!(failures.is_empty(), "{} answers were wrong:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn organisation_and_evaluation_routes_answer_each_role_as_they_must() {
    let app = TestApp::spawn().await;
    let (users, names) = roles(&app).await;
    let mut failures = Vec::new();
    // Only a buyer registers an organisation or buys for one; the evaluation and institutional
    // purchases are for officials and operators.
    let organisation =
        json!({"legal_name": "矩阵单位", "credit_code": "91110000600037341L", "invoice_address": "北京"});
    let posts: [(&str, Value, Expect); 2] = [
        ("/organisation", organisation, [401, 200, 403, 403, 403, 403]),
        // The buyer (now its administrator) names an editor, who is no buyer: a 400 on the field.
        ("/organisation/members", json!({"email": "editor@demo.gongfang.cn"}), [401, 400, 403, 403, 403, 403]),
    ];
    for (path, body, expect) in &posts {
        for (i, user) in users.iter().enumerate() {
            let (status, answer) = user.post_json(&format!("/api/v1{path}"), body).await;
            if status != expect[i] {
                failures.push(format!("POST {path} as {}: {status}, expected {} ({answer})", names[i], expect[i]));
            }
        }
    }
    let gets: [(&str, Expect); 4] = [
        ("/organisation", [401, 200, 403, 403, 403, 403]),
        ("/organisation/purchases.csv", [401, 200, 403, 403, 403, 403]),
        ("/reports/institutional", [401, 403, 403, 403, 200, 200]),
        ("/reports/annual?year=2025", [401, 403, 403, 403, 200, 200]),
    ];
    for (path, expect) in &gets {
        for (i, user) in users.iter().enumerate() {
            let res = user.client.get(user.url(&format!("/api/v1{path}"))).send().await.unwrap();
            let status = res.status().as_u16();
            if status != expect[i] {
                failures.push(format!("GET {path} as {}: {status}, expected {}", names[i], expect[i]));
            }
        }
    }
    assert!(failures.is_empty(), "{} answers were wrong:\n{}", failures.len(), failures.join("\n"));
}

//! The workshop portal driven through HTTP, forms and JSON: profile, roster, consent,
//! household status, sealed numbers, products with makers, review, duplicate, archive.

use crate::support::TestApp;
use crate::users::User;
use serde_json::{json, Value};
use std::time::Duration;

async fn first_current_worker(user: &User, workshop: i64) -> Value {
    let (_, workers) = user.get_json(&format!("/api/v1/portal/workshops/{workshop}/workers")).await;
    workers.as_array().unwrap().iter().find(|w| w["current"] == true).cloned().expect("a current worker")
}

#[tokio::test]
async fn a_manager_runs_the_roster_and_the_profile() {
    let app = TestApp::spawn().await;
    let manager = User::demo(&app, "manager").await;
    let w = manager.workshop_id().await;
    let res = manager.client.get(manager.url("/portal")).send().await.unwrap();
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        format!("/portal/workshops/{w}"),
        "staff land on their workshop"
    );
    let (status, page) = manager.page(&format!("/portal/workshops/{w}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("认定信息"));

    // Profile by form, payout account sealed and masked.
    let (status, _) = manager
        .form(
            &format!("/portal/workshops/{w}/profile"),
            &[("name_zh", "新名字工坊"), ("name_en", "New Name"), ("story_zh", "故事"), ("story_en", "Story")],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _) =
        manager.form(&format!("/portal/workshops/{w}/payout-account"), &[("account", "6222 0212 3456 7890")]).await;
    assert_eq!(status, 303);
    let (_, view) = manager.get_json(&format!("/api/v1/portal/workshops/{w}")).await;
    assert_eq!(view["name_zh"], "新名字工坊");
    assert_eq!(view["payout_account"], "************7890");
    let (status, _) =
        manager.form(&format!("/portal/workshops/{w}/profile"), &[("name_zh", ""), ("name_en", "x")]).await;
    assert_eq!(status, 400);

    // A new worker: bad dates are explained; then consent, status and numbers.
    let (status, body) = manager
        .form(
            &format!("/portal/workshops/{w}/workers"),
            &[
                ("name_zh", "阿依"),
                ("inheritor_level", "craftsman"),
                ("joined_on", "2025-03-01"),
                ("left_on", "2024-01-01"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("离职日期不能早于入职日期"), "{body}");
    let res = manager
        .client
        .post(manager.url(&format!("/portal/workshops/{w}/workers")))
        .header("Referer", manager.url(&format!("/portal/workshops/{w}/workers")))
        .form(&[
            ("csrf", manager.csrf.as_str()),
            ("name_zh", ""),
            ("inheritor_level", "craftsman"),
            ("joined_on", "2025-03-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let page = crate::support::unescape(&res.text().await.unwrap());
    assert!(
        page.contains(&format!("action=\"/portal/workshops/{w}/workers\"")) && page.contains("value=\"2025-03-01\""),
        "the form is drawn again with what was typed"
    );
    assert!(
        page.contains("“姓名（中文）”必须填写") && page.contains("aria-invalid=\"true\""),
        "the message beside its field"
    );
    let (status, created) = manager
        .post_json(
            &format!("/api/v1/portal/workshops/{w}/workers"),
            &json!({"name_zh": "阿依", "name_latin": "Ayi", "inheritor_level": "craftsman", "joined_on": "2025-03-01"}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let worker = created["id"].as_i64().unwrap();
    for (item, given) in [("name", "true"), ("story", "true"), ("story", "false")] {
        let (status, _) =
            manager.form(&format!("/portal/workers/{worker}/consent"), &[("item", item), ("given", given)]).await;
        assert_eq!(status, 303);
    }
    let (status, _) = manager
        .form(
            &format!("/portal/workers/{worker}/household-status"),
            &[
                ("status", "lifted_out"),
                ("valid_from", "2025-01-01"),
                ("verified_by", "瓦吉村委会"),
                ("verified_on", "2025-01-05"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    for bad in ["12345", "1234567890123456é"] {
        let (status, body) =
            manager.form(&format!("/portal/workers/{worker}/secrets"), &[("field", "id_number"), ("value", bad)]).await;
        assert_eq!(status, 400, "{bad}");
        assert!(body.contains("18 位"));
    }
    for (field, value) in [("id_number", "51340119900101123X"), ("bank_account", "6222021234567890")] {
        let (status, _) =
            manager.form(&format!("/portal/workers/{worker}/secrets"), &[("field", field), ("value", value)]).await;
        assert_eq!(status, 303);
    }
    let (_, v) = manager.get_json(&format!("/api/v1/portal/workers/{worker}")).await;
    assert_eq!(v["consent_name"], true);
    assert_eq!(v["consent_story"], false);
    assert_eq!(v["id_number"], "**************123X");
    assert_eq!(v["bank_account"], "************7890");
    assert_eq!(v["household_status"][0]["status"], "lifted_out");
    assert_eq!(v["household_status"][0]["verified_by"], "瓦吉村委会");
    let (_, page) = manager.page(&format!("/portal/workers/{worker}")).await;
    assert!(page.contains("脱贫户") && page.contains("**************123X") && !page.contains("51340119900101123X"));
    // Nothing sensitive is stored in clear, nor written to the audit log.
    let mut conn = app.db.conn().unwrap();
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Text {
        #[diesel(sql_type = diesel::sql_types::Text)]
        t: String,
    }
    let stored: Vec<Text> = diesel::sql_query(format!(
        "SELECT COALESCE(id_number_enc, '') || ' ' || COALESCE(bank_account_enc, '') AS t FROM workers WHERE id = {worker} \
         UNION ALL SELECT detail AS t FROM audit_log UNION ALL SELECT COALESCE(payout_account_enc, '') AS t FROM workshops"
    ))
    .load(&mut conn)
    .unwrap();
    let all: String = stored.iter().map(|r| r.t.as_str()).collect::<Vec<_>>().join("\n");
    assert!(all.contains("v1:"), "sealed values are stored");
    for secret in ["51340119900101123X", "6222021234567890", "lifted_out\"", "3456 7890"] {
        assert!(!all.contains(secret), "{secret} is stored in clear");
    }
    // Editors see the roster without household status or numbers.
    let editor = User::demo(&app, "editor").await;
    let (status, v) = editor.get_json(&format!("/api/v1/portal/workers/{worker}")).await;
    assert_eq!(status, 200);
    assert!(v["household_status"].is_null() && v["id_number"].is_null());
    // Leaving: the worker is no longer current.
    let (status, _) = manager
        .form(
            &format!("/portal/workers/{worker}"),
            &[
                ("name_zh", "阿依"),
                ("inheritor_level", "apprentice"),
                ("joined_on", "2025-03-01"),
                ("left_on", "2026-10-01"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, v) = manager.get_json(&format!("/api/v1/portal/workers/{worker}")).await;
    assert_eq!((v["current"].clone(), v["inheritor_level"].clone()), (json!(false), json!("apprentice")));
}

#[tokio::test]
async fn products_go_from_draft_through_review_to_the_storefront_and_back_out() {
    let app = TestApp::spawn().await;
    let editor = User::demo(&app, "editor").await;
    let operator = User::demo(&app, "operator").await;
    let w = editor.workshop_id().await;
    let (_, products) = editor.get_json(&format!("/api/v1/portal/workshops/{w}/products")).await;
    let heritage = products[0]["heritage_item_id"].as_i64().unwrap().to_string();
    let fields = |title: &'static str| {
        vec![
            ("title_zh", title),
            ("title_en", "Test lacquer bowl"),
            ("category", "lacquerware"),
            ("price", "199.99"),
            ("stock", "3"),
            ("wage_rule", "share_of_net"),
            ("wage_percent", "60"),
        ]
    };
    let mut create = fields("测试漆碗");
    create.push(("heritage_item_id", &heritage));
    // A long story, as workshops write them: 3,000 Chinese characters are 27 KB in a form.
    let long = "彝族漆器以木为胎，".repeat(333);
    create.push(("description_zh", &long));
    let mut bad = create.clone();
    bad.retain(|(k, _)| *k != "price");
    bad.push(("price", "12.345"));
    let (status, body) = editor.form(&format!("/portal/workshops/{w}/products"), &bad).await;
    assert_eq!(status, 400);
    assert!(body.contains("199.99"), "{body}");
    let (status, to) = editor.form(&format!("/portal/workshops/{w}/products"), &create).await;
    assert_eq!(status, 303);
    let id: i64 = to.rsplit('/').next().unwrap().parse().unwrap();
    let (_, p) = editor.get_json(&format!("/api/v1/portal/products/{id}")).await;
    assert_eq!(
        (p["status"].clone(), p["price_fen"].clone(), p["wage_bp"].clone()),
        (json!("draft"), json!(19999), json!(6000))
    );

    // Submitting without makers is refused; makers must sum to 100% and be current workers.
    assert_eq!(editor.form(&format!("/portal/products/{id}/submit"), &[]).await.0, 400);
    let a = first_current_worker(&editor, w).await["id"].as_i64().unwrap().to_string();
    let (_, all) = editor.get_json(&format!("/api/v1/portal/workshops/{w}/workers")).await;
    let b = all.as_array().unwrap().iter().filter(|x| x["current"] == true).nth(1).unwrap()["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let (status, body) = editor
        .form(
            &format!("/portal/products/{id}/makers"),
            &[
                ("worker_id", &a),
                ("role", "lead"),
                ("share", "50"),
                ("worker_id", &b),
                ("role", "maker"),
                ("share", "40"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("合计 90%"), "{body}");
    let (status, body) = editor
        .post_json(
            &format!("/api/v1/portal/products/{id}/makers"),
            &json!({"makers": [{"worker_id": 999999, "role": "lead", "share_bp": 10000}]}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"].as_str().unwrap().contains("999999"));
    let (status, _) = editor
        .form(
            &format!("/portal/products/{id}/makers"),
            &[
                ("worker_id", &a),
                ("role", "lead"),
                ("share", "62.5"),
                ("worker_id", &b),
                ("role", "maker"),
                ("share", "37.5"),
                ("worker_id", ""),
                ("role", "maker"),
                ("share", ""),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, p) = editor.get_json(&format!("/api/v1/portal/products/{id}")).await;
    assert_eq!(p["makers"].as_array().unwrap().iter().map(|m| m["share_bp"].as_i64().unwrap()).sum::<i64>(), 10000);

    // Review: rejected with a reason, fixed, approved; then live in the storefront and search.
    assert_eq!(editor.form(&format!("/portal/products/{id}/submit"), &[]).await.0, 303);
    assert_eq!(editor.form(&format!("/portal/products/{id}/review"), &[("decision", "approve")]).await.0, 403);
    let (_, queue) = operator.get_json("/api/v1/portal/review").await;
    assert!(queue.as_array().unwrap().iter().any(|q| q["id"] == id));
    assert_eq!(
        operator.form(&format!("/portal/products/{id}/review"), &[("decision", "reject")]).await.0,
        400,
        "a reason is required"
    );
    assert_eq!(
        operator
            .form(&format!("/portal/products/{id}/review"), &[("decision", "reject"), ("reason", "请补充英文介绍")])
            .await
            .0,
        303
    );
    let (_, page) = editor.page(&format!("/portal/products/{id}")).await;
    assert!(page.contains("请补充英文介绍"));
    assert_eq!(editor.form(&format!("/portal/products/{id}/submit"), &[]).await.0, 303);
    assert_eq!(editor.form(&format!("/portal/products/{id}/submit"), &[]).await.0, 409, "already in review");
    assert_eq!(
        operator.post_json(&format!("/api/v1/portal/products/{id}/review"), &json!({"decision": "approve"})).await.0,
        200
    );
    let slug = p["slug"].as_str().unwrap().to_owned();
    let (status, page) = app.page(&format!("/products/{slug}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("测试漆碗"));
    app.search_settled().await;
    let (_, hits) = app.json("/api/v1/search?q=测试漆碗").await;
    assert!(hits["hits"].as_array().unwrap().iter().any(|h| h["slug"] == slug.as_str()), "{hits}");

    // Edit (the wage rule change is audited), duplicate, archive.
    let mut edit = fields("测试漆碗（大）");
    edit.push(("heritage_item_id", &heritage));
    edit.retain(|(k, _)| *k != "wage_percent");
    edit.push(("wage_percent", "55"));
    assert_eq!(editor.form(&format!("/portal/products/{id}"), &edit).await.0, 303);
    // The live product's content changed: back to review and off the storefront until approved.
    let (_, p) = editor.get_json(&format!("/api/v1/portal/products/{id}")).await;
    assert_eq!(p["status"], "in_review");
    assert_eq!(app.page(&format!("/products/{slug}")).await.0, 404);
    assert_eq!(operator.form(&format!("/portal/products/{id}/review"), &[("decision", "approve")]).await.0, 303);
    assert_eq!(app.page(&format!("/products/{slug}")).await.0, 200);
    // A stock change alone stays live.
    let mut restock = edit.clone();
    restock.retain(|(k, _)| *k != "stock");
    restock.push(("stock", "9"));
    assert_eq!(editor.form(&format!("/portal/products/{id}"), &restock).await.0, 303);
    assert_eq!(editor.get_json(&format!("/api/v1/portal/products/{id}")).await.1["status"], "active");
    let (status, dup) = editor.post_json(&format!("/api/v1/portal/products/{id}/duplicate"), &json!({})).await;
    assert_eq!(status, 200);
    let (_, copy) = editor.get_json(&format!("/api/v1/portal/products/{}", dup["id"])).await;
    assert_eq!((copy["status"].clone(), copy["makers"].as_array().unwrap().len()), (json!("draft"), 2));
    assert!(copy["title_zh"].as_str().unwrap().contains("副本"));
    // Archiving asks first: a form post without the confirmation page's "yes" is sent there.
    let (status, to) = editor.form(&format!("/portal/products/{id}/archive"), &[]).await;
    assert_eq!((status, to), (303, format!("/portal/products/{id}/archive")));
    assert_eq!(app.page(&format!("/products/{slug}")).await.0, 200, "not archived without confirmation");
    assert_eq!(editor.form(&format!("/portal/products/{id}/archive"), &[("confirm", "yes")]).await.0, 303);
    assert_eq!(app.page(&format!("/products/{slug}")).await.0, 404);
    assert_eq!(editor.form(&format!("/portal/products/{id}"), &edit).await.0, 409, "archived is read-only");
    let mut conn = app.db.conn().unwrap();
    let history = gongfang::db::audit::for_subject(&mut conn, &format!("product:{id}"), 50).unwrap();
    let actions: Vec<&str> = history.iter().map(|h| h.action.as_str()).collect();
    assert!(actions.contains(&"product.wage_rule") && actions.contains(&"product.maker_shares"), "{actions:?}");
    let moves: Vec<String> = history
        .iter()
        .filter(|h| h.action == "product.status")
        .map(|h| {
            let d: serde_json::Value = serde_json::from_str(&h.detail).unwrap();
            format!("{}>{}", d["from"].as_str().unwrap(), d["to"].as_str().unwrap())
        })
        .collect();
    for step in ["draft>in_review", "in_review>draft", "in_review>active", "active>in_review", "active>archived"] {
        assert!(moves.iter().any(|m| m == step), "{step} not audited: {moves:?}");
    }
}

#[tokio::test]
async fn withdrawing_consent_in_the_portal_reaches_pages_api_and_search_within_two_seconds() {
    consent_reaches_search_within_two_seconds(TestApp::spawn().await).await;
}

#[tokio::test]
async fn withdrawing_consent_reaches_meilisearch_within_two_seconds() {
    let Some((url, key)) = crate::support::meili_from_env() else {
        crate::support::skip_meilisearch(
            "no Meilisearch in this run (TEST_MEILI_URL): the consent test ran on the embedded engine only",
        );
        return;
    };
    consent_reaches_search_within_two_seconds(
        TestApp::spawn_search(true, Some(crate::support::test_meili(&url, key))).await,
    )
    .await;
}

async fn consent_reaches_search_within_two_seconds(app: TestApp) {
    let manager = User::demo(&app, "manager").await;
    let w = manager.workshop_id().await;
    let (_, products) = manager.get_json(&format!("/api/v1/portal/workshops/{w}/products")).await;
    let product = products.as_array().unwrap().iter().find(|p| p["status"] == "active").unwrap();
    let slug = product["slug"].as_str().unwrap().to_owned();
    let (_, public) = app.json(&format!("/api/v1/products/{slug}")).await;
    let named =
        public["makers"].as_array().unwrap().iter().find(|m| !m["worker_id"].is_null()).expect("a named maker").clone();
    let (worker, name) = (named["worker_id"].as_i64().unwrap(), named["display_name"].as_str().unwrap().to_owned());
    app.search_settled().await;
    let (_, hits) = app.json(&format!("/api/v1/search?q={name}")).await;
    assert!(hits["total"].as_i64().unwrap() > 0, "searchable by name before");

    let started = std::time::Instant::now();
    let (status, _) =
        manager.form(&format!("/portal/workers/{worker}/consent"), &[("item", "name"), ("given", "false")]).await;
    assert_eq!(status, 303);
    let trace = public["trace_code"].as_str().unwrap();
    for path in [format!("/products/{slug}"), format!("/t/{trace}"), format!("/api/v1/products/{slug}")] {
        let (_, body) = app.page(&path).await;
        assert!(!body.contains(&name), "{path} still names the maker");
    }
    loop {
        let (_, hits) = app.json(&format!("/api/v1/search?q={name}")).await;
        let found = hits["hits"].as_array().unwrap().iter().any(|h| h.to_string().contains(&name));
        if !found {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(2), "search still names the maker after 2 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn every_portal_and_account_page_renders_in_both_languages() {
    let app = TestApp::spawn().await;
    let manager = User::demo(&app, "manager").await;
    let operator = User::demo(&app, "operator").await;
    let w = manager.workshop_id().await;
    let product =
        manager.get_json(&format!("/api/v1/portal/workshops/{w}/products")).await.1[0]["id"].as_i64().unwrap();
    let worker = first_current_worker(&manager, w).await["id"].as_i64().unwrap();
    let anon = User::anonymous(&app).await;
    let pages: Vec<(&User, String, &str)> = vec![
        (&anon, "/login".into(), "password"),
        (&anon, "/register".into(), "display_name"),
        (&anon, "/forgot".into(), "email"),
        (&manager, "/account".into(), "manager@demo.gongfang.cn"),
        (&manager, format!("/portal/workshops/{w}"), "payout-account"),
        (&manager, format!("/portal/workshops/{w}/workers"), "joined_on"),
        (&manager, format!("/portal/workshops/{w}/products"), "/products/new"),
        (&manager, format!("/portal/workshops/{w}/products/new"), "heritage_item_id"),
        (&manager, format!("/portal/products/{product}/archive"), "name=\"confirm\""),
        (&manager, format!("/portal/workers/{worker}"), "household-status"),
        (&manager, format!("/portal/products/{product}"), "multipart/form-data"),
        (&operator, "/portal".into(), "/portal/review"),
        (&operator, "/portal/review".into(), "<h1>"),
        (&operator, format!("/portal/workshops/{w}"), "certification"),
    ];
    for lang in ["zh", "en"] {
        for (user, path, marker) in &pages {
            let sep = if path.contains('?') { '&' } else { '?' };
            let (status, html) = user.page(&format!("{path}{sep}lang={lang}")).await;
            assert_eq!(status, 200, "{path} in {lang}: {html}");
            assert!(html.contains(marker), "{path} in {lang} lacks {marker}");
            assert!(html.contains("viewport"), "{path} is laid out for phones");
            let forms = html.matches("method=\"post\"").count();
            let tokens = html.matches(&format!("name=\"csrf\" value=\"{}\"", user.csrf)).count()
                + html.matches(&format!("csrf={}", user.csrf)).count();
            assert_eq!(forms, tokens, "{path}: every form carries the CSRF token");
            // No message key left untranslated.
            for key in ["portal.", "auth.", "error.", "status.", "household."] {
                assert!(!html.contains(&format!(">{key}")), "{path} in {lang} shows a raw key {key}");
            }
        }
    }
    let (_, en) = manager.page(&format!("/portal/workers/{worker}?lang=en")).await;
    assert!(en.contains("Household status") && en.contains("Consent to publish"));
}

#[tokio::test]
async fn two_missed_yearly_confirmations_show_as_lapsed_and_take_the_products_off_the_storefront() {
    let app = TestApp::spawn().await;
    let operator = User::demo(&app, "operator").await;
    let manager = User::demo(&app, "manager").await;
    let w = manager.workshop_id().await;
    let (_, view) = manager.get_json(&format!("/api/v1/portal/workshops/{w}")).await;
    let slug = view["slug"].as_str().unwrap().to_owned();
    let (_, listed) = app.json(&format!("/api/v1/products?workshop={slug}")).await;
    assert!(listed["total"].as_i64().unwrap() > 0);
    // Managers cannot certify themselves.
    let body = json!({"cert_number": "LS-2021-07", "cert_authority": "凉山州文化广播电视和旅游局", "cert_issued_on": "2021-05-01", "cert_last_confirmed_on": "2023-06-01"});
    assert_eq!(manager.post_json(&format!("/api/v1/portal/workshops/{w}/certification"), &body).await.0, 403);
    assert_eq!(operator.post_json(&format!("/api/v1/portal/workshops/{w}/certification"), &body).await.0, 200);
    // Confirmed for 2023 on 2023-06-01; the 2024 and 2025 confirmations are missed by "today" (2026-11-28).
    let (_, view) = manager.get_json(&format!("/api/v1/portal/workshops/{w}")).await;
    assert_eq!(view["certification"], "lapsed", "{view}");
    let (_, page) = manager.page(&format!("/portal/workshops/{w}")).await;
    assert!(page.contains("认定已失效"), "the portal says so");
    let (_, listed) = app.json(&format!("/api/v1/products?workshop={slug}")).await;
    assert_eq!(listed["total"], 0, "its products leave the storefront");
    // A new confirmation brings them back.
    let renewed =
        json!({"cert_number": "LS-2021-07", "cert_issued_on": "2021-05-01", "cert_last_confirmed_on": "2026-05-01"});
    assert_eq!(operator.post_json(&format!("/api/v1/portal/workshops/{w}/certification"), &renewed).await.0, 200);
    let (_, listed) = app.json(&format!("/api/v1/products?workshop={slug}")).await;
    assert!(listed["total"].as_i64().unwrap() > 0);
    let mut conn = app.db.conn().unwrap();
    let history = gongfang::db::audit::for_subject(&mut conn, &format!("workshop:{w}"), 10).unwrap();
    assert_eq!(history.iter().filter(|h| h.action == "workshop.certification").count(), 2);
}

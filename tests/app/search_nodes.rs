//! Several nodes with the embedded engine (issue 19): each keeps its own index, so each must
//! apply every catalogue change; on PostgreSQL, in commit order, so that a change committed
//! after a later one is not skipped. Run on SQLite, and on PostgreSQL in the second pass.

use crate::support::TestApp;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use gongfang::db::schema::products;
use std::time::{Duration, Instant};

/// Gives a product a new Chinese title, in its own transaction.
fn retitle(app: &TestApp, id: i64, title: &str) {
    let title = title.to_owned();
    app.db
        .write_blocking(move |c| {
            diesel::update(products::table.find(id)).set(products::title_zh.eq(&title)).execute(c)?;
            Ok::<_, gongfang::error::AppError>(())
        })
        .unwrap();
}

/// Whether a search for `q` on `app` finds the product `id`.
async fn finds(app: &TestApp, q: &str, id: i64) -> bool {
    let (status, hits) = app.json(&format!("/api/v1/search?q={q}")).await;
    assert_eq!(status, 200, "{hits}");
    hits["hits"].as_array().unwrap().iter().any(|h| h["id"] == id)
}

/// Waits (up to 20 s) until every node finds product `id` under `q`.
async fn every_node_finds(nodes: &[&TestApp], q: &str, id: i64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    for (n, node) in nodes.iter().enumerate() {
        loop {
            node.search.wake();
            if finds(node, q, id).await {
                break;
            }
            assert!(Instant::now() < deadline, "node {n} never found product {id} under {q}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn some_products(app: &TestApp, n: i64) -> Vec<i64> {
    let mut conn = app.db.conn().unwrap();
    products::table.select(products::id).order(products::id).limit(n).load(&mut *conn).unwrap()
}

#[tokio::test]
async fn every_node_applies_every_change_to_its_own_index() {
    let a = TestApp::spawn().await;
    let b = a.another_node(|_| {}).await;
    let c = a.another_node(|_| {}).await;
    for node in [&a, &b, &c] {
        node.search_settled().await;
    }
    // A new node fills its index from the catalogue: it finds what was there before it came.
    let (_, hits) = c.json("/api/v1/search?q=%E6%BC%86%E5%99%A8").await;
    assert!(hits["total"].as_u64().unwrap() > 0, "{hits}");

    let ids = some_products(&a, 3);
    for (i, id) in ids.iter().enumerate() {
        retitle(&a, *id, &format!("节点测试标题{i}号"));
    }
    for (i, id) in ids.iter().enumerate() {
        every_node_finds(&[&a, &b, &c], &format!("节点测试标题{i}号"), *id).await;
    }
    for node in [&a, &b, &c] {
        assert_eq!(node.search.pending().await.unwrap(), 0, "each node's own backlog is empty");
    }
}

#[tokio::test]
async fn a_change_committed_after_a_later_one_still_reaches_every_node() {
    let a = TestApp::spawn().await;
    let gongfang::config::DatabaseUrl::Postgres(url) = a.database.clone() else {
        // SQLite has one writer at a time: ids become visible in order, nothing to overtake.
        return;
    };
    let b = a.another_node(|_| {}).await;
    for node in [&a, &b] {
        node.search_settled().await;
    }
    let ids = some_products(&a, 2);
    // Another node's transaction takes its outbox row (the smaller id) and stays open ...
    let mut slow = diesel::PgConnection::establish(&url).unwrap();
    slow.batch_execute(&format!("BEGIN; UPDATE products SET title_zh = '慢事务的标题' WHERE id = {}", ids[0])).unwrap();
    // ... while a later change (a larger id) commits and is applied by both nodes.
    retitle(&a, ids[1], "快事务的标题");
    tokio::time::sleep(Duration::from_millis(500)).await;
    slow.batch_execute("COMMIT").unwrap();
    every_node_finds(&[&a, &b], "快事务的标题", ids[1]).await;
    every_node_finds(&[&a, &b], "慢事务的标题", ids[0]).await;
}

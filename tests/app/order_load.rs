//! Checkout under load: 200 concurrent checkouts at a product with 5 in stock, in carts that
//! span two workshops, sell exactly 5; and a server killed with SIGKILL in the middle of a
//! checkout load loses no order the client saw and leaves no half-made one.

use crate::orders::{checkout_body, stock_of, stocked_product};
use crate::support::TestApp;
use diesel::prelude::*;
use gongfang::db::schema::{order_lines, orders, shipments};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

/// A bearer token for the demo buyer (no CSRF needed).
async fn buyer_token(app: &TestApp) -> String {
    let res = app
        .client
        .post(app.url("/api/v1/auth/tokens"))
        .json(&json!({"email": "buyer@demo.gongfang.cn", "password": "gongfang-demo"}))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

async fn checkout(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    body: &Value,
) -> Result<(u16, Value), reqwest::Error> {
    let res = client.post(format!("{base}/api/v1/checkout")).bearer_auth(token).json(body).send().await?;
    let status = res.status().as_u16();
    Ok((status, res.json().await.unwrap_or(Value::Null)))
}

/// `n` concurrent checkouts as the demo buyer (in English), the `i`th with body `body(i)`.
/// Returns how many sold (201) and the bodies of the refusals (409, each checked to be a
/// sold-out refusal); any other answer fails the test.
pub async fn race(app: &TestApp, n: usize, body: impl Fn(usize) -> Value) -> (usize, Vec<Value>) {
    let token = buyer_token(app).await;
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (client, base, token, body) = (client.clone(), app.base.clone(), token.clone(), body(i));
            tokio::spawn(async move {
                let res = client
                    .post(format!("{base}/api/v1/checkout"))
                    .bearer_auth(token)
                    .header("Accept-Language", "en")
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                (status, res.json::<Value>().await.unwrap_or(Value::Null))
            })
        })
        .collect();
    let (mut sold, mut refused) = (0, Vec::new());
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            201 => sold += 1,
            409 => {
                assert_eq!(body["error"]["code"], "checkout.error.sold_out", "{body}");
                refused.push(body);
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    (sold, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_buyers_race_for_five_pieces_and_five_are_sold() {
    let app = TestApp::spawn_config(true, |c| c.db_pool_size = 8).await;
    let (hot, hot_workshop, title) = stocked_product(&app, None, None);
    let (other, _, _) = stocked_product(&app, None, Some(hot_workshop));
    app.execute(&format!("UPDATE products SET stock = 5 WHERE id = {hot}"));
    app.execute(&format!("UPDATE products SET stock = 1000 WHERE id = {other}"));
    let (sold, refused) =
        race(&app, 200, |i| checkout_body(&[(hot, 1), (other, 1)], &format!("race-{i:04}-checkout"), "bank_transfer"))
            .await;
    for body in &refused {
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(&title) && message.contains("sold out"), "{message}");
    }
    assert_eq!((sold, refused.len()), (5, 195));
    assert_eq!(stock_of(&app, hot), 0);
    assert_eq!(stock_of(&app, other), 995, "the losers took nothing from the other workshop either");
    let mut conn = app.db.conn().unwrap();
    let count: i64 = orders::table.count().get_result(&mut conn).unwrap();
    assert_eq!(count, 5);
    let lines: i64 = order_lines::table.filter(order_lines::product_id.eq(hot)).count().get_result(&mut conn).unwrap();
    assert_eq!(lines, 5);
}

/// The server binary, run as its own process against the test's database.
/// Its own data dir: the in-process app holds the embedded search index of the test's one.
fn serve(app: &TestApp, data_dir: &std::path::Path, port: u16) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_gongfang"))
        .arg("serve")
        .env("DATABASE_URL", app.database_url())
        .env("GONGFANG_DATA_DIR", data_dir)
        .env("GONGFANG_BIND", format!("127.0.0.1:{port}"))
        .env("GONGFANG_LOG_FORMAT", "json")
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the gongfang binary")
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server at {base} did not become ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_mid_checkout_loses_no_order_and_leaves_none_half_made() {
    let app = TestApp::spawn().await;
    let token = buyer_token(&app).await;
    let (a, a_workshop, _) = stocked_product(&app, None, None);
    let (b, _, _) = stocked_product(&app, None, Some(a_workshop));
    app.execute(&format!("UPDATE products SET stock = 100000 WHERE id IN ({a}, {b})"));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let data_dir = tempfile::tempdir().unwrap();
    let mut child = serve(&app, data_dir.path(), port);
    wait_ready(&client, &base).await;

    // Eight clients check out as fast as they can; the server is killed under them.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..8)
        .map(|c| {
            let (client, base, token, stop) = (client.clone(), base.clone(), token.clone(), stop.clone());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    i += 1;
                    let body = checkout_body(&[(a, 1), (b, 2)], &format!("crash-{c}-{i:06}"), "bank_transfer");
                    match checkout(&client, &base, &token, &body).await {
                        Ok((201, placed)) => seen.push(placed["number"].as_str().unwrap().to_owned()),
                        Ok((status, body)) => panic!("unexpected {status}: {body}"),
                        Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                    }
                }
                seen
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    child.kill().unwrap(); // SIGKILL: no graceful shutdown, transactions cut short.
    child.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut child = serve(&app, data_dir.path(), port);
    wait_ready(&client, &base).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut seen = BTreeSet::new();
    for c in clients {
        seen.extend(c.await.unwrap());
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(seen.len() > 5, "the load made orders before and after the kill: {}", seen.len());

    let mut conn = app.db.conn().unwrap();
    let stored: Vec<(i64, String, i64, i64, i64)> = orders::table
        .select((orders::id, orders::number, orders::items_fen, orders::shipping_fen, orders::total_fen))
        .load(&mut conn)
        .unwrap();
    let numbers: BTreeSet<String> = stored.iter().map(|o| o.1.clone()).collect();
    let missing: Vec<&String> = seen.difference(&numbers).collect();
    assert!(missing.is_empty(), "orders the client saw created are gone: {missing:?}");
    // Every stored order is whole: both lines, both parcels, totals that add up.
    for (id, number, items, shipping, total) in &stored {
        let lines: Vec<(i64, i32)> = order_lines::table
            .filter(order_lines::order_id.eq(id))
            .select((order_lines::unit_price_fen, order_lines::quantity))
            .load(&mut conn)
            .unwrap();
        assert_eq!(lines.len(), 2, "order {number} is half made");
        assert_eq!(lines.iter().map(|(p, q)| p * i64::from(*q)).sum::<i64>(), *items, "{number}");
        let parcels: Vec<i64> = shipments::table
            .filter(shipments::order_id.eq(id))
            .select(shipments::shipping_fen)
            .load(&mut conn)
            .unwrap();
        assert_eq!(parcels.len(), 2, "order {number}");
        assert_eq!(parcels.iter().sum::<i64>(), *shipping);
        assert_eq!(items + shipping, *total);
    }
    // The stock adds up: what is gone is exactly what the stored orders hold.
    let n = stored.len() as i64;
    assert_eq!(stock_of(&app, a), 100_000 - n);
    assert_eq!(stock_of(&app, b), 100_000 - 2 * n);
}

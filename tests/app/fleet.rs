//! A fleet: three `gongfang serve` processes on one database behind HAProxy, configured by
//! `deploy/haproxy.cfg`, with aiosmtpd for mail, photos in the S3-compatible test store,
//! Meilisearch when the run has it (otherwise the embedded engine on each node) and, on
//! PostgreSQL, the streaming replica for the officials' reads (issue 19). Buyers race through
//! the balancer and nothing is oversold; what one node does every node sees (see
//! `fleet_sharing`); a node killed with SIGKILL mid-load loses no acknowledged order and leaves
//! none half-made; every e-mail reaches aiosmtpd, the dead node's claimed ones after its lease
//! runs out, and a second copy only ever under the first one's Message-ID.

use crate::accounts::{start_smtp, wait_for_mail};
use crate::orders::{checkout_body, stock_of, stocked_product};
use crate::support::{skip, TestApp};
use crate::users::mails_in;
use diesel::prelude::*;
use gongfang::db::schema::{emails, order_lines, orders};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Children killed when the test ends, however it ends.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One node: the server binary against the test's database, with its own data dir and the
/// shared services' settings in `shared`.
fn node(
    app: &TestApp,
    dir: &std::path::Path,
    port: u16,
    smtp: u16,
    key: &str,
    public: &str,
    shared: &[(&str, String)],
) -> Child {
    Command::new(env!("CARGO_BIN_EXE_gongfang"))
        .arg("serve")
        .envs(shared.iter().map(|(k, v)| (*k, v)))
        .env("DATABASE_URL", app.database_url())
        .env("GONGFANG_DATA_DIR", dir)
        .env("GONGFANG_MEDIA_DIR", crate::support::shared_media_dir())
        .env("GONGFANG_BIND", format!("127.0.0.1:{port}"))
        .env("GONGFANG_PUBLIC_URL", public)
        .env("GONGFANG_SECRET_KEY", key)
        .env("SMTP_URL", format!("smtp://127.0.0.1:{smtp}"))
        .env("GONGFANG_MAIL_POLL_MS", "50")
        .env("GONGFANG_OUTBOX_LEASE_SECS", "3")
        .env("GONGFANG_DB_POOL_SIZE", "6")
        .env("GONGFANG_LOG_FORMAT", "json")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the gongfang binary")
}

async fn ready(client: &reqwest::Client, url: &str) {
    for _ in 0..300 {
        if client.get(url).send().await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} did not become ready");
}

/// Waits (20 s at most) until the text at `url` has a line starting with `start`.
async fn wait_for_line(client: &reqwest::Client, url: &str, start: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let text = client.get(url).send().await.unwrap().text().await.unwrap();
        if text.lines().any(|l| l.starts_with(start)) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{url} never said {start:?}:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many checkouts a node answered, from its own /metrics.
async fn checkouts_answered(client: &reqwest::Client, port: u16) -> f64 {
    let text = client.get(format!("http://127.0.0.1:{port}/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines()
        .filter(|l| l.starts_with(r#"gongfang_http_requests_total{route="/api/v1/checkout""#))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_behind_haproxy_sell_exactly_survive_a_kill_and_mail_once() {
    let haproxy = ["haproxy", "/usr/sbin/haproxy"].into_iter().find(|h| Command::new(h).arg("-v").output().is_ok());
    let Some(haproxy) = haproxy else {
        skip("HAProxy is not installed (apt install haproxy): the fleet test cannot run");
        return;
    };
    let maildir = tempfile::tempdir().unwrap();
    let Some((smtp_child, smtp)) = start_smtp(maildir.path()) else {
        skip("aiosmtpd is not available: the fleet test cannot run");
        return;
    };
    let mut children = Processes(vec![smtp_child]);
    // The shared services: the S3-compatible store, Meilisearch when the run has it.
    let store = crate::storage::bucket().await;
    let meili = crate::support::meili_from_env().map(|(url, key)| crate::support::test_meili(&url, key));
    // The in-process app seeds the demo and is a fourth node, sending mail to the same server
    // and photos to the same store; it has no replica, so it reads what the primary holds.
    let app = TestApp::spawn_config(true, |c| {
        c.mail.smtp_url = Some(format!("smtp://127.0.0.1:{smtp}"));
        if let Some((endpoint, bucket)) = &store {
            c.storage = crate::storage::s3(endpoint, bucket);
        }
        c.search.meili = meili.clone();
    })
    .await;
    let key = std::fs::read_to_string(app.data_dir.join("secret.key")).unwrap();
    let mut shared: Vec<(&str, String)> = vec![];
    if let Some((endpoint, bucket)) = &store {
        shared.push(("GONGFANG_STORAGE_URL", format!("s3://{bucket}/gongfang")));
        shared.push(("GONGFANG_S3_ENDPOINT", endpoint.clone()));
        shared.push(("AWS_ACCESS_KEY_ID", "testing".into()));
        shared.push(("AWS_SECRET_ACCESS_KEY", "testing".into()));
    }
    if let Some(m) = &meili {
        shared.push(("MEILI_URL", m.url.clone()));
        shared.push(("MEILI_INDEX", m.index.clone()));
        shared.extend(m.master_key.clone().map(|k| ("MEILI_MASTER_KEY", k)));
    }
    let replica = crate::support::replica_of(&app.database_url());
    let _turn = match &replica {
        Some(url) => {
            shared.push(("DATABASE_READ_URL", url.clone()));
            shared.push(("GONGFANG_REPLICA_CHECK_MS", "100".into()));
            Some(crate::support::REPLICA_TURN.lock().await)
        }
        None => None,
    };
    let balancer = free_port();
    let public = format!("http://127.0.0.1:{balancer}");
    let ports = [free_port(), free_port(), free_port()];
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    for (port, dir) in ports.iter().zip(&dirs) {
        children.0.push(node(&app, dir.path(), *port, smtp, key.trim(), &public, &shared));
    }
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
    for port in ports {
        ready(&client, &format!("http://127.0.0.1:{port}/readyz")).await;
    }
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/haproxy.cfg");
    children.0.push(
        Command::new(haproxy)
            .args(["-db", "-f", config])
            .env("GONGFANG_BALANCER_BIND", format!("127.0.0.1:{balancer}"))
            .env("GONGFANG_NODE1", format!("127.0.0.1:{}", ports[0]))
            .env("GONGFANG_NODE2", format!("127.0.0.1:{}", ports[1]))
            .env("GONGFANG_NODE3", format!("127.0.0.1:{}", ports[2]))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start haproxy"),
    );
    ready(&client, &format!("{public}/readyz")).await;
    assert_eq!(client.get(format!("{public}/metrics")).send().await.unwrap().status(), 404, "not on the public side");

    let token = {
        let res = client
            .post(format!("{public}/api/v1/auth/tokens"))
            .json(&json!({"email": "buyer@demo.gongfang.cn", "password": "gongfang-demo"}))
            .send()
            .await
            .unwrap();
        res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
    };
    let checkout = {
        let (client, public, token) = (client.clone(), public.clone(), token.clone());
        move |body: Value| {
            let (client, public, token) = (client.clone(), public.clone(), token.clone());
            async move {
                let res =
                    client.post(format!("{public}/api/v1/checkout")).bearer_auth(token).json(&body).send().await?;
                let status = res.status().as_u16();
                Ok::<_, reqwest::Error>((status, res.json::<Value>().await.unwrap_or(Value::Null)))
            }
        }
    };

    // 200 buyers race for 5 pieces through the balancer.
    let (hot, hot_workshop, _) = stocked_product(&app, None, None);
    let (other, _, _) = stocked_product(&app, None, Some(hot_workshop));
    app.execute(&format!("UPDATE products SET stock = 5 WHERE id = {hot}"));
    app.execute(&format!("UPDATE products SET stock = 100000 WHERE id = {other}"));
    let race: Vec<_> = (0..200)
        .map(|i| {
            tokio::spawn(checkout(checkout_body(&[(hot, 1), (other, 1)], &format!("fleet-{i:04}"), "bank_transfer")))
        })
        .collect();
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    for t in race {
        let (status, body) = t.await.unwrap().unwrap();
        assert!(
            status == 201 || (status == 409 && body["error"]["code"] == "checkout.error.sold_out"),
            "{status} {body}"
        );
        *statuses.entry(status).or_default() += 1;
    }
    assert_eq!(statuses, BTreeMap::from([(201, 5), (409, 195)]));
    assert_eq!(stock_of(&app, hot), 0);
    assert_eq!(stock_of(&app, other), 100_000 - 5);
    // The balancer spread them: every node answered some.
    for port in ports {
        let n = checkouts_answered(&client, port).await;
        assert!(n >= 20.0, "node on {port} answered {n} checkouts");
    }

    // What one node does, every node sees.
    let nodes: Vec<String> = ports.iter().map(|p| format!("http://127.0.0.1:{p}")).collect();
    crate::fleet_sharing::a_photo_from_one_node_is_served_by_the_others(&public, &nodes).await;
    let (pages, search) =
        crate::fleet_sharing::a_consent_withdrawn_on_one_node_leaves_every_node(&public, &nodes).await;
    eprintln!("fleet: a withdrawn consent left every node's pages in {pages:?} and their search in {search:?}");
    if replica.is_some() {
        for node in &nodes {
            wait_for_line(&client, &format!("{node}/readyz"), "replica: ok").await;
        }
    }
    crate::fleet_sharing::every_nodes_dashboard_is_the_primarys(&app, &public, &nodes, replica.is_some()).await;

    // Eight buyers keep checking out while node 2 is killed under them. The kill comes once
    // the load has made orders, and the load stops once it has made more after the kill: on
    // a busy machine a fixed time could see none on either side.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let placed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let load: Vec<_> = (0..8)
        .map(|c| {
            let (stop, placed, checkout) = (stop.clone(), placed.clone(), checkout.clone());
            tokio::spawn(async move {
                let (mut seen, mut i) = (Vec::new(), 0);
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    i += 1;
                    let body = checkout_body(&[(other, 1)], &format!("kill-{c}-{i:05}"), "bank_transfer");
                    match checkout(body).await {
                        Ok((201, order)) => {
                            seen.push(order["number"].as_str().unwrap().to_owned());
                            placed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                        // A request the dead node had started: the client cannot know; it moves on.
                        Ok((502..=504, _)) | Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                        Ok((status, body)) => panic!("unexpected {status}: {body}"),
                    }
                }
                seen
            })
        })
        .collect();
    let orders_reach = |n: usize| {
        let placed = placed.clone();
        async move {
            for _ in 0..600 {
                if placed.load(std::sync::atomic::Ordering::SeqCst) >= n {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            false
        }
    };
    assert!(orders_reach(8).await, "the load made orders before the kill");
    children.0[2].kill().unwrap(); // node 2 (after aiosmtpd and node 1): SIGKILL
    children.0[2].wait().unwrap();
    let at_kill = placed.load(std::sync::atomic::Ordering::SeqCst);
    assert!(orders_reach(at_kill + 8).await, "the two nodes left went on taking orders");
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut seen = BTreeSet::new();
    for t in load {
        seen.extend(t.await.unwrap());
    }
    assert!(seen.len() >= 16, "the load made orders before and after the kill: {}", seen.len());
    let mut conn = app.db.conn().unwrap();
    let stored: Vec<(i64, String, i64)> =
        orders::table.select((orders::id, orders::number, orders::items_fen)).load(&mut conn).unwrap();
    let numbers: BTreeSet<String> = stored.iter().map(|o| o.1.clone()).collect();
    let lost: Vec<&String> = seen.difference(&numbers).collect();
    assert!(lost.is_empty(), "acknowledged orders are gone: {lost:?}");
    for (id, number, items) in &stored {
        let lines: Vec<(i64, i32)> = order_lines::table
            .filter(order_lines::order_id.eq(id))
            .select((order_lines::unit_price_fen, order_lines::quantity))
            .load(&mut conn)
            .unwrap();
        assert!(!lines.is_empty(), "order {number} is half made");
        assert_eq!(lines.iter().map(|(p, q)| p * i64::from(*q)).sum::<i64>(), *items, "{number}");
    }
    let pieces: i64 = order_lines::table
        .filter(order_lines::product_id.eq(other))
        .select(diesel::dsl::sum(order_lines::quantity))
        .first::<Option<i64>>(&mut conn)
        .unwrap()
        .unwrap_or(0);
    assert_eq!(stock_of(&app, other), 100_000 - pieces, "stock gone is exactly what the orders hold");

    // Every e-mail once: what the dead node had claimed goes out when its lease runs out.
    let mut waited = 0;
    while app.mailer.pending().unwrap() > 0 && waited < 300 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    assert_eq!(app.mailer.pending().unwrap(), 0, "the outbox drained");
    let sent: i64 = emails::table.count().get_result(&mut conn).unwrap();
    assert!(sent >= stored.len() as i64, "an e-mail per order at least: {sent} for {}", stored.len());
    let new = maildir.path().join("new");
    wait_for_mail(&new, sent as usize).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let mails = mails_in(&new);
    let mut copies: BTreeMap<String, usize> = BTreeMap::new();
    for m in &mails {
        let id = m.lines().find_map(|l| l.strip_prefix("Message-ID:")).map(|v| v.trim().to_owned()).unwrap_or_default();
        *copies.entry(id).or_default() += 1;
    }
    // Every e-mail arrived, each under its own Message-ID. The one way to a second copy: the
    // killed node had handed a message to aiosmtpd and died before recording it (no protocol
    // can close that gap); its copy, sent after the lease ran out, carries the same
    // Message-ID, by which receivers drop it. At most the dead node's claimed batch.
    assert_eq!(copies.len(), sent as usize, "every e-mail arrived");
    let extra = mails.len() - copies.len();
    assert!(extra <= 20, "{extra} second copies");
    assert!(copies.values().all(|&n| n <= 2), "{copies:?}");
    let (code, out) = app.audit_verify();
    assert_eq!(code, Some(0), "{out}");
}

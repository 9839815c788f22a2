//! The read replica (issue 19): a second PostgreSQL cluster streaming from the test server,
//! made with `pg_basebackup` and started by `tests/run` (`TEST_PG_REPLICA_URL`). A node with
//! `DATABASE_READ_URL` answers the official's dashboard, its export and the public impact
//! pages from the replica, with the primary's figures. When the replica stops replaying, the
//! node measures the lag growing past its threshold, says so in `/readyz` and `/metrics`, and
//! reads from the primary: a change made meanwhile is on its dashboard. When replay resumes,
//! reads go back to the replica.

use crate::support::{replica_of, TestApp, REPLICA_TURN};
use crate::users::User;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::time::{Duration, Instant};

/// Replay stopped on the replica until dropped (however the test ends).
struct Paused(String);

impl Paused {
    fn new(replica: &str) -> Paused {
        let mut c = diesel::PgConnection::establish(replica).unwrap();
        c.batch_execute("SELECT pg_wal_replay_pause()").unwrap();
        Paused(replica.to_owned())
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        if let Ok(mut c) = diesel::PgConnection::establish(&self.0) {
            let _ = c.batch_execute("SELECT pg_wal_replay_resume()");
        }
    }
}

/// A node's `/readyz` text.
async fn readyz(node: &TestApp) -> String {
    reqwest::get(node.url("/readyz")).await.unwrap().text().await.unwrap()
}

/// Stale-tolerant reads a node served from `served_by` ("replica" or "primary"), and whether
/// it uses the replica now, from its `/metrics`.
async fn replica_metrics(node: &TestApp) -> (f64, f64, f64) {
    let text = reqwest::get(node.url("/metrics")).await.unwrap().text().await.unwrap();
    let value = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
    };
    (
        value(r#"gongfang_db_replica_reads_total{served_by="replica"}"#),
        value(r#"gongfang_db_replica_reads_total{served_by="primary"}"#),
        value("gongfang_db_replica_in_use "),
    )
}

/// Waits (20 s at most) until the node's `/readyz` replica line starts with `state`.
async fn wait_for_replica(node: &TestApp, state: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = readyz(node).await;
        if text.lines().any(|l| l.starts_with(&format!("replica: {state}"))) {
            return text;
        }
        assert!(Instant::now() < deadline, "the replica never became {state:?}:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The county's workshops by id, with their names, from a dashboard.
fn names(d: &serde_json::Value) -> Vec<(String, String)> {
    let rows = d["rows"].as_array().unwrap_or_else(|| panic!("rows in {d}"));
    let key = |v: &serde_json::Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    rows.iter().map(|r| (key(&r["key"]), r["name_zh"].as_str().unwrap_or_default().to_owned())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_tolerant_reads_go_to_the_replica_and_back_to_the_primary_while_it_lags() {
    let app = TestApp::spawn_with_history().await;
    let Some(replica) = replica_of(&app.database_url()) else { return };
    let _turn = REPLICA_TURN.lock().await;
    let url = replica.clone();
    let node = app
        .another_node(move |c| {
            c.replica = Some(gongfang::config::ReplicaConfig {
                url: gongfang::config::DatabaseUrl::Postgres(url),
                max_lag: Duration::from_millis(1500),
                check_every: Duration::from_millis(100),
            })
        })
        .await;
    let ready = wait_for_replica(&node, "ok").await;
    assert!(ready.starts_with("ready\n"), "{ready}");

    // The dashboard, the export and the public page, read through the replica, carry the
    // primary's figures.
    let (on_primary, on_node) = (User::demo(&app, "official").await, User::demo(&node, "official").await);
    let county = "/api/v1/reports?period=2026&region=513432";
    let (status, expected) = on_primary.get_json(county).await;
    assert_eq!(status, 200, "{expected}");
    let (before, _, in_use) = replica_metrics(&node).await;
    assert_eq!(in_use, 1.0);
    let (status, through_replica) = on_node.get_json(county).await;
    assert_eq!(status, 200, "{through_replica}");
    assert_eq!(through_replica, expected, "the replica's dashboard is the primary's");
    let export = "/api/v1/reports/export?period=2026&region=513432&format=csv&table=rows";
    let digest = |res: reqwest::Response| res.headers()["x-report-digest"].to_str().unwrap().to_owned();
    let from_replica = digest(on_node.client.get(on_node.url(export)).send().await.unwrap());
    let from_primary = digest(on_primary.client.get(on_primary.url(export)).send().await.unwrap());
    assert_eq!(from_replica, from_primary, "the export's digest");
    assert_eq!(reqwest::get(node.url("/impact")).await.unwrap().status(), 200);
    let (after, primary_reads, _) = replica_metrics(&node).await;
    assert!(after >= before + 3.0, "dashboard, export and impact page on the replica: {before} → {after}");
    assert_eq!(primary_reads, 0.0, "none fell back");
    // The export was recorded, and the views audited, on the primary.
    let mut conn = app.db.conn().unwrap();
    let exports: i64 = gongfang::db::schema::report_exports::table.count().get_result(&mut conn).unwrap();
    assert_eq!(exports, 2);
    let (code, out) = app.audit_verify();
    assert_eq!(code, Some(0), "{out}");

    // Replay stops; a workshop is renamed on the primary. Past the threshold the node reads
    // from the primary and shows the new name.
    let paused = Paused::new(&replica);
    let (key, name) = names(&expected).into_iter().next().expect("a workshop in the county");
    let renamed = format!("{name}（新名）");
    app.execute(&format!("UPDATE workshops SET name_zh = '{renamed}' WHERE id = {key}"));
    let lagging = wait_for_replica(&node, "behind by").await;
    assert!(lagging.contains("reads on the primary") && lagging.starts_with("ready\n"), "{lagging}");
    let (_, fell_back, in_use) = replica_metrics(&node).await;
    assert_eq!((fell_back, in_use), (0.0, 0.0));
    let (_, d) = on_node.get_json(county).await;
    assert!(names(&d).contains(&(key.clone(), renamed.clone())), "the primary's new name: {:?}", names(&d));
    let (_, fell_back, _) = replica_metrics(&node).await;
    assert_eq!(fell_back, 1.0);
    let (replica_reads, _, _) = replica_metrics(&node).await;

    // Replay resumes: the replica catches up and takes the reads again, with the new name.
    drop(paused);
    wait_for_replica(&node, "ok").await;
    let (_, d) = on_node.get_json(county).await;
    assert!(names(&d).contains(&(key, renamed)), "{:?}", names(&d));
    let (again, fell_back, in_use) = replica_metrics(&node).await;
    assert_eq!((again, fell_back, in_use), (replica_reads + 1.0, 1.0, 1.0));
}

#[tokio::test]
async fn a_replica_that_does_not_answer_sends_reads_to_the_primary() {
    let app = TestApp::spawn_config(true, |_| {}).await;
    if !app.database_url().starts_with("postgres") {
        return; // SQLite has no replica.
    }
    // Nothing listens on this port: the node starts, and says where its reads go.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let node = app
        .another_node(move |c| {
            c.replica = Some(gongfang::config::ReplicaConfig {
                url: gongfang::config::DatabaseUrl::Postgres(format!("postgres://postgres@127.0.0.1:{port}/x")),
                max_lag: Duration::from_millis(500),
                check_every: Duration::from_millis(100),
            })
        })
        .await;
    let text = wait_for_replica(&node, "lag unknown or replica unreachable").await;
    assert!(text.starts_with("ready\n"), "{text}");
    let official = User::demo(&node, "official").await;
    let (status, _) = official.get_json("/api/v1/reports?period=2026").await;
    assert_eq!(status, 200);
    let (on_replica, on_primary, in_use) = replica_metrics(&node).await;
    assert_eq!((on_replica, on_primary, in_use), (0.0, 1.0, 0.0));
}

//! Several app nodes on one database (issue 19, part 1): each outbox row is delivered by one
//! node, a node that dies mid-delivery gives its rows back when its lease runs out, a resent
//! e-mail keeps its Message-ID, sweeps run on one node at a time, and two payout runs at once
//! make each payout once. Run on SQLite, and on PostgreSQL in the second pass.

use crate::accounts::{start_smtp as smtp, wait_for_mail};
use crate::support::{skip, test_clock, TestApp};
use crate::users::mails_in;
use crate::users::User;
use diesel::prelude::*;
use gongfang::db::schema::{carts, emails, leases, outbox, payouts};
use gongfang::db::{leases as lease, outbox as ob};
use gongfang::domain::ledger::PayoutPeriod;
use gongfang::mail::{Mailer, NewEmail, MAIL_TOPIC};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;

/// Queues `n` e-mails, as the app does, in one transaction.
fn queue_mail(app: &TestApp, n: usize) -> Vec<i64> {
    app.db.write_blocking(|c| Ok::<_, gongfang::error::AppError>(queue_mail_in(c, "buyer", n)?)).unwrap()
}

/// Each message in the Maildir: its `To` and its `Message-ID`.
fn arrived(dir: &std::path::Path) -> Vec<(String, String)> {
    let header = |mail: &str, name: &str| {
        mail.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_owned()).unwrap_or_default()
    };
    mails_in(dir).iter().map(|m| (header(m, "To:"), header(m, "Message-ID:"))).collect()
}

#[tokio::test]
async fn each_e_mail_goes_out_once_when_three_nodes_compete_for_the_outbox() {
    let maildir = tempfile::tempdir().unwrap();
    let Some((mut server, port)) = smtp(maildir.path()) else {
        skip("aiosmtpd is not available: the multi-node mail test cannot run");
        return;
    };
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let fast = |c: &mut gongfang::config::Config| {
        c.mail.smtp_url = Some(smtp_url.clone());
        c.mail.poll = Duration::from_millis(20);
    };
    let a = TestApp::spawn_config(false, fast).await;
    let b = a.another_node(fast).await;
    let c = a.another_node(fast).await;
    let queued = queue_mail(&a, 60);
    // Every node's worker wakes at once, and each node also sends from two more threads.
    let mut senders = Vec::new();
    for node in [&a, &b, &c] {
        node.mailer.wake();
        for _ in 0..2 {
            let mailer = node.mailer.clone();
            senders.push(tokio::task::spawn_blocking(move || {
                let mut sent = 0;
                while let Ok(n) = mailer.send_due() {
                    if n == 0 {
                        break;
                    }
                    sent += n;
                }
                sent
            }));
        }
    }
    for s in senders {
        s.await.unwrap();
    }
    let new = maildir.path().join("new");
    wait_for_mail(&new, queued.len()).await;
    // Give any second copy time to arrive.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mails = arrived(&new);
    let mut per_recipient: BTreeMap<String, usize> = BTreeMap::new();
    for (to, _) in &mails {
        *per_recipient.entry(to.clone()).or_default() += 1;
    }
    assert_eq!(mails.len(), queued.len(), "one message per e-mail: {per_recipient:?}");
    assert!(per_recipient.values().all(|&n| n == 1), "{per_recipient:?}");
    let ids: std::collections::BTreeSet<&str> = mails.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(ids.len(), queued.len(), "each message has its own Message-ID");
    assert!(ids.iter().all(|id| id.starts_with("<mail-") && id.ends_with('>')), "{ids:?}");
    // The outbox says which node delivered each.
    let mut conn = a.db.conn().unwrap();
    let by: Vec<Option<String>> =
        outbox::table.filter(outbox::topic.eq(MAIL_TOPIC)).select(outbox::claimed_by).load(&mut conn).unwrap();
    assert_eq!(by.len(), queued.len());
    let nodes: std::collections::BTreeSet<&str> = by.iter().filter_map(|n| n.as_deref()).collect();
    assert!(by.iter().all(Option::is_some) && nodes.len() <= 3, "{by:?}");
    assert_eq!(a.mailer.pending().unwrap(), 0);
    let _ = server.kill();
}

#[tokio::test]
async fn a_node_that_dies_mid_delivery_gives_its_mail_back_and_a_resend_keeps_its_message_id() {
    let maildir = tempfile::tempdir().unwrap();
    let Some((mut server, port)) = smtp(maildir.path()) else {
        skip("aiosmtpd is not available: the lease test cannot run");
        return;
    };
    let app = TestApp::spawn_config(false, |c| {
        c.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.mail.poll = Duration::from_millis(50);
    })
    .await;
    // A node claims the mail and dies before sending it: its lease is two seconds here.
    let mut conn = app.db.conn().unwrap();
    let claimed = gongfang::db::tx::write(&mut conn, |c| {
        let ids = queue_mail_in(c, "late", 3)?;
        let rows = ob::claim(c, MAIL_TOPIC, "dead-node", gongfang::db::now(), chrono::TimeDelta::seconds(2), 10)?;
        Ok::<_, diesel::result::Error>((ids, rows))
    })
    .unwrap();
    assert_eq!(claimed.1.len(), 3);
    app.mailer.wake();
    assert_eq!(app.mailer.send_due().unwrap(), 0, "another node's claim is respected");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(arrived(&maildir.path().join("new")).is_empty(), "nothing sent while the lease runs");
    assert_eq!(app.mailer.pending().unwrap(), 3);
    // The lease runs out: the live node's worker sends them.
    let new = maildir.path().join("new");
    let first = wait_for_mail(&new, 3).await;
    assert_eq!(first.len(), 3);
    // The worker records a delivery once the SMTP server has accepted it, so the mail can be
    // in the Maildir a moment before the outbox says so (longer on a loaded machine).
    let mut pending = app.mailer.pending().unwrap();
    for _ in 0..100 {
        if pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        pending = app.mailer.pending().unwrap();
    }
    assert_eq!(pending, 0, "every delivery recorded within 10 s of its arrival");

    // A node sent one and died before recording it; its lease ran out: it is sent again, as
    // the same message.
    let email = claimed.0[0];
    let before: Vec<(String, String)> = arrived(&new);
    let id_of = |to: &str, list: &[(String, String)]| {
        list.iter().filter(|(t, _)| t == to).map(|(_, id)| id.clone()).collect::<Vec<_>>()
    };
    let to: String = emails::table.find(email).select(emails::to_addr).first(&mut conn).unwrap();
    app.execute(&format!(
        "UPDATE outbox SET done_at = NULL, claimed_by = NULL, available_at = '2000-01-01 00:00:00' WHERE topic = '{MAIL_TOPIC}' AND item_key = '{email}'"
    ));
    app.mailer.wake();
    wait_for_mail(&new, 4).await;
    let after = arrived(&new);
    let copies = id_of(&to, &after);
    assert_eq!(copies.len(), 2, "{after:?}");
    assert_eq!(copies[0], copies[1], "the resent copy has the first one's Message-ID");
    assert_eq!(id_of(&to, &before).len(), 1);
    let _ = server.kill();
}

/// [`queue_mail`] inside a caller's transaction, to `<prefix><i>@example.cn`.
fn queue_mail_in(c: &mut gongfang::db::DbConn, prefix: &str, n: usize) -> QueryResult<Vec<i64>> {
    let now = gongfang::db::now();
    (0..n)
        .map(|i| {
            Mailer::enqueue(
                c,
                &NewEmail {
                    to_addr: format!("{prefix}{i}@example.cn"),
                    lang: "zh".into(),
                    kind: "order_placed".into(),
                    subject: format!("订单 {i}"),
                    body_text: format!("第 {i} 封。"),
                    created_at: now,
                },
            )
        })
        .collect()
}

#[tokio::test]
async fn the_order_sweep_runs_on_one_node_at_a_time() {
    let app = TestApp::spawn().await;
    let other = app.another_node(|_| {}).await;
    // A signed-out browser's cart, 40 days old by the app's clock: the sweep purges it.
    let browser = User::anonymous(&app).await;
    let (product, _, _) = crate::orders::stocked_product(&app, None, None);
    assert_eq!(browser.form("/cart/items", &[("product_id", &product.to_string())]).await.0, 303);
    let old = (test_clock().now().naive_utc() - chrono::TimeDelta::days(40)).format("%Y-%m-%d %H:%M:%S");
    app.execute(&format!("UPDATE carts SET updated_at = '{old}' WHERE user_id IS NULL"));
    let carts_left = |app: &TestApp| -> i64 {
        let mut conn = app.db.conn().unwrap();
        carts::table.filter(carts::user_id.is_null()).count().get_result(&mut conn).unwrap()
    };

    // The other node is mid-round: this node's round does nothing.
    let lease_ttl = chrono::TimeDelta::minutes(5);
    assert!(other.db.take_lease(lease::ORDER_SWEEP, lease_ttl).unwrap());
    assert!(!app.db.take_lease(lease::ORDER_SWEEP, lease_ttl).unwrap(), "one holder at a time");
    let round = app.orders.round().await.unwrap();
    assert_eq!(round.carts_purged, 0);
    assert_eq!(carts_left(&app), 1);
    let mut conn = app.db.conn().unwrap();
    let holder = lease::holder(&mut conn, lease::ORDER_SWEEP, gongfang::db::now()).unwrap();
    assert_eq!(holder.as_deref(), Some(other.db.node()), "the round did not take the lease");

    // The other node died: when its lease runs out, this node sweeps.
    app.execute(&format!(
        "UPDATE leases SET expires_at = '{}' WHERE name = '{}'",
        (gongfang::db::now() - chrono::TimeDelta::seconds(1)).format("%Y-%m-%d %H:%M:%S"),
        lease::ORDER_SWEEP
    ));
    let round = app.orders.round().await.unwrap();
    assert_eq!(round.carts_purged, 1);
    assert_eq!(carts_left(&app), 0);
    // The round gave its lease back: the other node may sweep next at once.
    let held: i64 = leases::table.filter(leases::name.eq(lease::ORDER_SWEEP)).count().get_result(&mut conn).unwrap();
    assert_eq!(held, 0);
    assert!(other.db.take_lease(lease::ORDER_SWEEP, lease_ttl).unwrap());
}

#[tokio::test]
async fn two_payout_runs_at_once_make_each_payout_once() {
    let app = TestApp::spawn_with_history().await;
    let other = app.another_node(|_| {}).await;
    // An operator's run while another node's run holds the lease is told so, and waits for
    // nothing.
    assert!(other.db.take_lease(lease::PAYOUT_RUN, chrono::TimeDelta::minutes(5)).unwrap());
    let operator = User::demo(&app, "operator").await;
    let (status, body) = operator.post_json("/api/v1/portal/payouts/run", &json!({"period": "2026-10"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("payout.error.run_in_progress")), "{body}");
    other.db.release_lease(lease::PAYOUT_RUN).unwrap();

    // November, run in January from both nodes at once (as from two shells).
    let november = PayoutPeriod::parse("2026-11").unwrap();
    let january = |a: &TestApp| {
        use chrono::TimeZone;
        a.payouts.with_clock(gongfang::clock::Clock::Fixed(chrono::Utc.with_ymd_and_hms(2027, 1, 2, 4, 0, 0).unwrap()))
    };
    let (one, two) = (january(&app), january(&other));
    let first = tokio::task::spawn_blocking(move || one.run_blocking(november, None, None));
    let second = tokio::task::spawn_blocking(move || two.run_blocking(november, None, None));
    let (first, second) = (first.await.unwrap().unwrap(), second.await.unwrap().unwrap());
    let mut conn = app.db.conn().unwrap();
    let made: i64 = payouts::table.filter(payouts::period.eq("2026-11")).count().get_result(&mut conn).unwrap();
    assert!(made > 0, "the history leaves November to pay: {first:?}");
    // One run made every payout; the other, after waiting for it, found them made.
    let runs = [&first, &second];
    let maker = runs.iter().find(|r| r.created + r.carried > 0).expect("one run made the payouts");
    let waiter = runs.iter().find(|r| r.created + r.carried == 0).expect("the other made none");
    assert_eq!(i64::try_from(maker.created + maker.carried).unwrap(), made);
    assert_eq!(waiter.paid_fen, 0, "{first:?} {second:?}");
    let (code, out) = app.audit_verify();
    assert_eq!(code, Some(0), "{out}");
}

#[tokio::test]
async fn nodes_that_start_at_once_on_a_new_postgresql_database_migrate_it_once() {
    let Some(base) = crate::support::postgres_base_url() else {
        // SQLite is one node's database: nothing to race.
        return;
    };
    let database = crate::support::TestDatabase::on_postgres(base);
    let nodes: Vec<_> = (0..4)
        .map(|_| {
            let url = database.url.clone();
            std::thread::spawn(move || gongfang::db::Db::connect(&url, 1).unwrap().migrate().map_err(|e| e.to_string()))
        })
        .collect();
    let ran: Vec<usize> = nodes.into_iter().map(|n| n.join().unwrap().unwrap()).collect();
    // One node ran every migration; the others, having waited, found none left.
    assert_eq!(ran.iter().filter(|&&n| n > 0).count(), 1, "{ran:?}");
    let versions = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres")).unwrap().count();
    assert_eq!(ran.iter().sum::<usize>(), versions, "{ran:?}");
}

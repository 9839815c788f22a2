//! Settlement, payouts and income attribution through the real app: the worked example of
//! DESIGN.md's money rules (¥199.99 × 3, 8% commission, 60% wage, makers 50/30/20), settlement
//! after the return window, an idempotent payout run, the wage statement, the workshop's record
//! of paying a worker, the worker's one-time acknowledgement, the bank file opened by
//! LibreOffice, and `gongfang audit verify` catching an edited journal row.

use crate::orders::{checkout_body, stocked_product};
use crate::support::{skip, TestApp};
use crate::users::User;
use chrono::TimeZone;
use diesel::prelude::*;
use gongfang::clock::Clock;
use gongfang::db::schema::{
    journal_entries, journal_postings, order_lines, payout_entries, payouts, shipments, workers,
};
use gongfang::domain::ledger::PayoutPeriod;
use serde_json::json;
use std::collections::BTreeMap;

fn at(y: i32, m: u32, d: u32) -> Clock {
    Clock::Fixed(chrono::Utc.with_ymd_and_hms(y, m, d, 4, 0, 0).single().unwrap())
}

/// Prices one product of the workshop at ¥199.99 with a 60% wage rule and three makers at
/// 50/30/20, at 8% commission; the makers' households are lifted out, not poor, and registered
/// poor. Returns the product and its makers in share order.
fn worked_example_product(app: &TestApp, workshop: i64) -> (i64, [i64; 3]) {
    let (product, _, _) = stocked_product(app, Some(workshop), None);
    let mut conn = app.db.conn().unwrap();
    let ids: Vec<i64> = workers::table
        .filter(workers::workshop_id.eq(workshop))
        .filter(workers::left_on.is_null())
        .order(workers::id)
        .limit(3)
        .select(workers::id)
        .load(&mut conn)
        .unwrap();
    let makers: [i64; 3] = ids.try_into().expect("three current workers in the demo workshop");
    app.execute(&format!(
        "UPDATE products SET price_fen = 19999, wage_rule = 'share_of_net', wage_bp = 6000, piece_rate_fen = NULL WHERE id = {product};
         UPDATE workshops SET commission_bp = 800 WHERE id = {workshop};
         DELETE FROM product_makers WHERE product_id = {product};
         INSERT INTO product_makers (product_id, worker_id, role, share_bp) VALUES ({product}, {}, 'maker', 5000), ({product}, {}, 'maker', 3000), ({product}, {}, 'maker', 2000);
         DELETE FROM worker_household_statuses WHERE worker_id IN ({}, {}, {});
         INSERT INTO worker_household_statuses (worker_id, status, valid_from, valid_until, verified_by, verified_on, created_at) VALUES
           ({}, 'lifted_out', '2020-01-01', NULL, 'county office', '2020-01-02', '2020-01-02 00:00:00'),
           ({}, 'not_poor', '2020-01-01', NULL, 'county office', '2020-01-02', '2020-01-02 00:00:00'),
           ({}, 'registered_poor', '2020-01-01', NULL, 'county office', '2020-01-02', '2020-01-02 00:00:00');",
        makers[0], makers[1], makers[2], makers[0], makers[1], makers[2], makers[0], makers[1], makers[2]
    ));
    (product, makers)
}

/// `(account, worker) → amount` of a line's postings, all its entries together.
pub(crate) fn postings_of_line(app: &TestApp, line: i64) -> BTreeMap<(String, Option<i64>), i64> {
    let mut conn = app.db.conn().unwrap();
    let rows: Vec<(String, Option<i64>, i64)> = journal_postings::table
        .filter(journal_postings::order_line_id.eq(line))
        .select((journal_postings::account, journal_postings::worker_id, journal_postings::amount_fen))
        .load(&mut conn)
        .unwrap();
    let mut out = BTreeMap::new();
    for (account, worker, amount) in rows {
        *out.entry((account, worker)).or_insert(0) += amount;
    }
    out
}

/// Converts a file with LibreOffice (headless) to CSV and reads its first sheet back; None
/// without LibreOffice.
fn libreoffice_csv(bytes: &[u8], ext: &str) -> Option<Vec<Vec<String>>> {
    let (_, text) = crate::support::libreoffice_sheets(bytes, ext)?.into_iter().next()?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    Some(reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect())
}

#[tokio::test]
async fn a_sale_is_attributed_to_the_fen_settled_paid_out_once_and_acknowledged() {
    let app = TestApp::spawn().await;
    let manager = User::demo(&app, "manager").await;
    let operator = User::demo(&app, "operator").await;
    let buyer = User::demo(&app, "buyer").await;
    let workshop = manager.workshop_id().await;
    let (product, makers) = worked_example_product(&app, workshop);

    let (status, order) =
        buyer.post_json("/api/v1/checkout", &checkout_body(&[(product, 3)], "ledger-1", "bank_transfer")).await;
    assert_eq!(status, 201, "{order}");
    let number = order["number"].as_str().unwrap().to_owned();
    // Nothing is attributed before the money arrives.
    let (_, impact) = buyer.get_json(&format!("/api/v1/orders/{number}/impact")).await;
    assert_eq!(impact, serde_json::Value::Null);
    let (status, body) = operator
        .post_json(&format!("/api/v1/portal/orders/{number}/confirm-payment"), &json!({"reference": "BANK-20261128-1"}))
        .await;
    assert_eq!(status, 200, "{body}");

    // The worked example, every rounding written out:
    //   gross      = 19,999 × 3                                  = 59,997 fen
    //   commission = round_half_up(59,997 × 800 / 10,000)        = round(4,799.76) = 4,800
    //   net        = 59,997 − 4,800                              = 55,197
    //   wage pool  = round_half_up(55,197 × 6,000 / 10,000)      = round(33,118.2) = 33,118
    //   shares     = floor(33,118 × 50%) = 16,559   (exact, remainder .0)
    //                floor(33,118 × 30%) =  9,935   (9,935.4: remainder .4)
    //                floor(33,118 × 20%) =  6,623   (6,623.6: remainder .6)
    //                16,559 + 9,935 + 6,623 = 33,117, so the one fen left goes to the
    //                largest remainder (.6): the third maker gets 6,624.
    //   the workshop keeps 55,197 − 33,118 = 22,079.
    let mut conn = app.db.conn().unwrap();
    let line: i64 = order_lines::table
        .filter(order_lines::product_id.eq(product))
        .select(order_lines::id)
        .first(&mut conn)
        .unwrap();
    let expected: BTreeMap<(String, Option<i64>), i64> = [
        (("buyer_clearing".to_owned(), None), -59_997),
        (("platform_commission".to_owned(), None), 4_800),
        (("workshop_payable".to_owned(), None), 22_079),
        (("wages_payable".to_owned(), Some(makers[0])), 16_559),
        (("wages_payable".to_owned(), Some(makers[1])), 9_935),
        (("wages_payable".to_owned(), Some(makers[2])), 6_624),
    ]
    .into_iter()
    .collect();
    assert_eq!(postings_of_line(&app, line), expected);
    // A second confirmation is refused and posts nothing.
    let (status, _) = operator
        .post_json(&format!("/api/v1/portal/orders/{number}/confirm-payment"), &json!({"reference": "BANK-20261128-2"}))
        .await;
    assert_eq!(status, 409);
    let entries: i64 = journal_entries::table.count().get_result(&mut conn).unwrap();
    assert_eq!(entries, 1, "free shipping over ¥299: the capture is the only entry");
    // The household status on the sale date travels with each share.
    let statuses: Vec<(Option<i64>, Option<String>)> = journal_postings::table
        .filter(journal_postings::worker_id.is_not_null())
        .order(journal_postings::worker_id)
        .select((journal_postings::worker_id, journal_postings::household_status))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        statuses,
        vec![
            (Some(makers[0]), Some("lifted_out".into())),
            (Some(makers[1]), Some("not_poor".into())),
            (Some(makers[2]), Some("registered_poor".into()))
        ]
    );
    // The buyer's impact receipt: three makers; how many are from poor households is withheld
    // (fewer than 3 on either side would tell the buyer about one of them).
    let (_, impact) = buyer.get_json(&format!("/api/v1/orders/{number}/impact")).await;
    assert_eq!(impact["paid_fen"], 59_997);
    assert_eq!(impact["wages_fen"], 33_118);
    assert_eq!(impact["makers"], json!({"kind": "exact", "value": 3}));
    assert_eq!(impact["poor_household_makers"], json!({"kind": "withheld"}));
    let (_, page) = buyer.page(&format!("/orders/{number}?lang=en")).await;
    assert!(page.contains("Of your ¥599.97, ¥331.18 went to the wages of 3 makers in"), "{page}");
    assert!(!page.contains("poor households"), "{page}");
    let (status, _) = manager.get_json(&format!("/api/v1/orders/{number}/impact")).await;
    assert_eq!(status, 404, "the workshop's staff do not see the buyer's receipt");

    // Shipped today (28 Nov) and delivered: the line settles when the 7-day window closes.
    let shipment: i64 = shipments::table.select(shipments::id).first(&mut conn).unwrap();
    let (status, _) = manager
        .post_json(
            &format!("/api/v1/portal/shipments/{shipment}/ship"),
            &json!({"carrier": "SF", "tracking_number": "SF100"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = buyer.post_json(&format!("/api/v1/shipments/{shipment}/delivered"), &json!({})).await;
    assert_eq!(status, 200);
    let november = PayoutPeriod::parse("2026-11").unwrap();
    let december = PayoutPeriod::parse("2026-12").unwrap();
    // The app's clock says 28 November: November has not ended.
    let (status, body) = operator.post_json("/api/v1/portal/payouts/run", &json!({"period": "2026-11"})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("period")), "{body}");
    let january = app.payouts.with_clock(at(2027, 1, 2));
    let run = |p: gongfang::payouts::Payouts, period| {
        tokio::task::spawn_blocking(move || p.run_blocking(period, None, None).unwrap())
    };
    // In November's run the line had not settled (it settles on 5 December): nothing to pay.
    let report = run(january.clone(), november).await.unwrap();
    assert_eq!((report.settled_lines, report.created), (1, 0), "{report:?}");
    let report = run(january.clone(), december).await.unwrap();
    assert_eq!((report.created, report.paid_fen, report.carried), (1, 55_197, 0), "{report:?}");
    // The same month again creates nothing, and the entry is paid once.
    let again = run(january.clone(), december).await.unwrap();
    assert_eq!((again.created, again.carried, again.paid_fen), (0, 0, 0), "{again:?}");
    let (payout, amount): (i64, i64) =
        payouts::table.select((payouts::id, payouts::amount_fen)).first(&mut conn).unwrap();
    assert_eq!(amount, 55_197);
    let paid_entries: i64 = payout_entries::table.count().get_result(&mut conn).unwrap();
    assert_eq!(paid_entries, 1);

    // The statement: the manager and the official of the prefecture see it; an editor may not.
    let (status, view) = manager.get_json(&format!("/api/v1/payouts/{payout}")).await;
    assert_eq!(status, 200, "{view}");
    let lines: Vec<(i64, i64, i64)> = view["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["worker_id"].as_i64().unwrap(),
                s["amount_fen"].as_i64().unwrap(),
                s["poor_household_fen"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(lines, vec![(makers[0], 16_559, 16_559), (makers[1], 9_935, 0), (makers[2], 6_624, 6_624)]);
    assert_eq!(view["statements"][0]["lines"][0][0], json!(number));
    let official = User::demo(&app, "official").await;
    let (status, _) = official.get_json(&format!("/api/v1/payouts/{payout}")).await;
    assert_eq!(status, 200, "the official of the workshop's prefecture");
    let editor = User::demo(&app, "editor").await;
    let (status, _) = editor.get_json(&format!("/api/v1/payouts/{payout}")).await;
    assert_eq!(status, 403);
    let other_editor = User::login(&app, "editor2@demo.gongfang.cn", crate::users::DEMO_PASSWORD).await;
    let (status, _) = other_editor.get_json(&format!("/api/v1/payouts/{payout}")).await;
    assert_eq!(status, 404);
    let (status, page) = manager.page(&format!("/payouts/{payout}?lang=en")).await;
    assert_eq!(status, 200);
    assert!(page.contains("¥165.59") && page.contains("Record the payment"), "{page}");

    // The workshop records paying the first maker, and makes codes for the first two.
    let statement = view["statements"][0]["id"].as_i64().unwrap();
    let second = view["statements"][1]["id"].as_i64().unwrap();
    let who = gongfang::domain::account::Principal {
        user_id: gongfang::domain::account::UserId(manager_id(&app)),
        email: "manager@demo.gongfang.cn".into(),
        display_name: "Manager".into(),
        role: gongfang::domain::account::Role::Manager(gongfang::domain::WorkshopId(workshop)),
    };
    let pay = |reference: &str, day: &str| gongfang::payouts::disbursements::DisbursementInput {
        method: "wechat".into(),
        reference: reference.into(),
        paid_on: day.into(),
    };
    // By form, a mistyped date is said beside it on the payout's page, with what was typed.
    let payout_id = payout.to_string();
    let typed =
        [("payout_id", payout_id.as_str()), ("method", "alipay"), ("reference", "ZFB-7"), ("paid_on", "2027-13-01")];
    let (status, page) = manager.form(&format!("/statements/{statement}/disbursement?lang=zh"), &typed).await;
    assert_eq!(status, 400, "{page}");
    assert_eq!(crate::forms::kept(&page, "reference"), "ZFB-7");
    assert_eq!(crate::forms::kept(&page, "method"), "alipay");
    assert!(crate::forms::message_beside(&page, "paid_on").contains("日期"), "{page}");
    let err = january.record_disbursement(&who, statement, pay("WX-1", "2027-02-01"), None).await.unwrap_err();
    assert!(matches!(err, gongfang::error::AppError::BadRequest { field: "paid_on", .. }), "a future date: {err:?}");
    january.record_disbursement(&who, statement, pay("WX-1", "2027-01-02"), None).await.unwrap();
    let err = january.record_disbursement(&who, statement, pay("WX-2", "2027-01-02"), None).await.unwrap_err();
    assert!(matches!(err, gongfang::error::AppError::Conflict { .. }), "{err:?}");
    // A photo of the voucher: only after the payment is recorded, never a broken file, kept
    // private and stripped of its EXIF and GPS data.
    let photo = crate::photo_files::jpeg_with_exif(640, 480, 6);
    let (status, _) = manager.upload(&format!("/api/v1/statements/{second}/voucher"), "v.jpg", photo.clone()).await;
    assert_eq!(status, 409, "record the payment first");
    let broken = crate::photo_files::truncated_jpeg();
    let (status, _) = manager.upload(&format!("/api/v1/statements/{statement}/voucher"), "v.jpg", broken).await;
    assert_eq!(status, 400);
    let (status, body) = manager.upload(&format!("/api/v1/statements/{statement}/voucher"), "v.jpg", photo).await;
    assert_eq!(status, 200, "{body}");
    let res = manager.client.get(manager.url(&format!("/statements/{statement}/voucher"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let voucher = res.bytes().await.unwrap();
    assert!(
        crate::photo_files::metadata_found(&voucher).is_empty(),
        "{:?}",
        crate::photo_files::metadata_found(&voucher)
    );
    let res =
        other_editor.client.get(other_editor.url(&format!("/statements/{statement}/voucher"))).send().await.unwrap();
    assert_eq!(res.status(), 404, "another workshop's staff");
    let (code, link) = january.ack_code(&who, statement).await.unwrap();
    assert!(link.ends_with(&format!("/ack/{code}")));
    let (other_code, _) = january.ack_code(&who, second).await.unwrap();

    // The worker's page shows their own line only, works once, and a changed code is not found.
    let worker = User::anonymous(&app).await;
    let (status, page) = worker.page(&format!("/ack/{}?lang=en", code.to_lowercase())).await;
    assert_eq!(status, 200);
    assert!(page.contains("¥165.59") && page.contains("WeChat Pay"), "{page}");
    assert!(!page.contains("¥99.35") && !page.contains("¥66.24"), "another worker's line must not show");
    let mut tampered = code.clone().into_bytes();
    tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
    let (status, _) = worker.page(&format!("/ack/{}", String::from_utf8(tampered).unwrap())).await;
    assert_eq!(status, 404);
    let (status, page) = worker.form(&format!("/ack/{code}?lang=en"), &[]).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Your confirmation has been recorded"), "{page}");
    let (status, _) = worker.form(&format!("/ack/{code}"), &[]).await;
    assert_eq!(status, 404, "a code works once");
    let (status, _) = worker.page(&format!("/ack/{code}")).await;
    assert_eq!(status, 404);
    // Codes expire after 14 days.
    assert!(app.payouts.with_clock(at(2027, 1, 17)).ack_view(&other_code).await.is_err());
    assert!(app.payouts.ack_view(&other_code).await.is_ok());
    let (_, view) = manager.get_json(&format!("/api/v1/payouts/{payout}")).await;
    assert!(view["statements"][0]["acknowledged_at"].is_string());
    assert_eq!(view["statements"][0]["method"], "wechat");
    // Unacknowledged lines are flagged after 30 days.
    let late = app.payouts.with_clock(at(2027, 2, 15)).payout(&who, payout).await.unwrap();
    let flags: Vec<bool> = late.statements.iter().map(|s| s.flagged).collect();
    assert_eq!(flags, vec![false, true, true]);

    // The income view: attributed in November, stated, paid and acknowledged in December.
    let (status, income) = manager.get_json(&format!("/api/v1/portal/workshops/{workshop}/income")).await;
    assert_eq!(status, 200, "{income}");
    let first = income.as_array().unwrap().iter().find(|w| w["worker_id"] == json!(makers[0])).unwrap();
    let months: Vec<(String, i64, i64, i64, i64)> = first["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["month"].as_str().unwrap().to_owned(),
                m["attributed_fen"].as_i64().unwrap(),
                m["stated_fen"].as_i64().unwrap(),
                m["disbursed_fen"].as_i64().unwrap(),
                m["acknowledged_fen"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(months, vec![("2026-12".into(), 0, 16_559, 16_559, 16_559), ("2026-11".into(), 16_559, 0, 0, 0)]);

    // The bank file, as the operator downloads it, opened by LibreOffice. (Both are fetched
    // first: LibreOffice takes longer than the server's keep-alive.)
    let (status, _) = manager.get_json("/portal/payouts/bank-file?period=2026-12&format=csv").await;
    assert_eq!(status, 403, "bank files carry account numbers: operators only");
    let mut files = Vec::new();
    for format in ["csv", "xlsx"] {
        let url = operator.url(&format!("/portal/payouts/bank-file?period=2026-12&format={format}"));
        let res = operator.client.get(url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        files.push((format, res.bytes().await.unwrap()));
    }
    for (format, bytes) in files {
        match libreoffice_csv(&bytes, format) {
            None => skip("LibreOffice (soffice) is not installed: the bank files were not opened"),
            Some(rows) => {
                assert_eq!(rows[0][..4], ["payout_id", "payee_workshop", "payee_account", "amount_fen"]);
                let payout_rows: Vec<&Vec<String>> = rows[1..].iter().filter(|r| !r[0].is_empty()).collect();
                let sum: i64 = payout_rows.iter().map(|r| r[3].parse::<i64>().unwrap()).sum();
                assert_eq!(sum, 55_197, "{format}: {rows:?}");
                assert_eq!(payout_rows[0][4], "551.97");
                if format == "xlsx" {
                    let total = rows.iter().find(|r| r[1] == "TOTAL").expect("a total row");
                    assert_eq!(total[3], "55197", "LibreOffice's own SUM: {rows:?}");
                }
            }
        }
    }
    // The operator marks the transfer sent, then confirmed; each once.
    let mark = |status: &'static str, reference: &'static str| json!({"status": status, "reference": reference});
    let (status, _) =
        operator.post_json(&format!("/api/v1/portal/payouts/{payout}/mark"), &mark("confirmed", "X")).await;
    assert_eq!(status, 409, "not sent yet");
    let (status, _) =
        operator.post_json(&format!("/api/v1/portal/payouts/{payout}/mark"), &mark("sent", "ICBC-1")).await;
    assert_eq!(status, 200);
    let (status, _) =
        operator.post_json(&format!("/api/v1/portal/payouts/{payout}/mark"), &mark("sent", "ICBC-1")).await;
    assert_eq!(status, 409);
    let (status, _) =
        operator.post_json(&format!("/api/v1/portal/payouts/{payout}/mark"), &mark("confirmed", "ICBC-1-OK")).await;
    assert_eq!(status, 200);

    // `audit verify` recomputes it all; an edited journal row is named.
    let (code, text) = app.audit_verify();
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(
            "journal consistent: 1 entries and 6 postings recomputed; 1 payouts and 3 wage statement lines match"
        ),
        "{text}"
    );
    let posting: i64 = journal_postings::table
        .filter(journal_postings::worker_id.eq(makers[1]))
        .select(journal_postings::id)
        .first(&mut conn)
        .unwrap();
    let edit = format!("UPDATE journal_postings SET amount_fen = amount_fen + 100 WHERE id = {posting}");
    assert!(
        diesel::connection::SimpleConnection::batch_execute(&mut *conn, &edit).is_err(),
        "the journal is append-only"
    );
    app.execute(match app.db.backend() {
        "sqlite" => "DROP TRIGGER journal_postings_no_update",
        _ => "DROP TRIGGER journal_postings_no_change ON journal_postings",
    });
    app.execute(&edit);
    let (code, text) = app.audit_verify();
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains(&format!("journal posting {posting} ")), "the edited row is named: {text}");
    assert!(text.contains("the entry does not balance: its postings sum to 100 fen"), "{text}");
    // Balanced tampering (moving wages between two makers) is caught by the recomputation.
    let other: i64 = journal_postings::table
        .filter(journal_postings::worker_id.eq(makers[2]))
        .select(journal_postings::id)
        .first(&mut conn)
        .unwrap();
    app.execute(&format!("UPDATE journal_postings SET amount_fen = amount_fen - 100 WHERE id = {other}"));
    let (code, text) = app.audit_verify();
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains(&format!("journal posting {posting}")) && text.contains("the rules give 9935 fen"), "{text}");
    assert!(text.contains(&format!("payout {payout}")), "the payout no longer matches its entries: {text}");
}

fn manager_id(app: &TestApp) -> i64 {
    use gongfang::db::schema::users;
    let mut conn = app.db.conn().unwrap();
    users::table.filter(users::email.eq("manager@demo.gongfang.cn")).select(users::id).first(&mut conn).unwrap()
}

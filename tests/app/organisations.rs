//! Institutional buyers (issue 21, part 4). An organisation registers (a wrong credit code is
//! refused with its reason) and adds a second member. That member uploads a 20-line CSV across
//! five workshops into the cart and checks out for the organisation, paying offline. The
//! workshops ship, record their invoice numbers, and the parcels are delivered. The
//! organisation's purchase report (page, JSON and CSV) equals the journal, summed here from
//! the postings on their own. An official sees the purchases into their region.

use crate::support::TestApp;
use crate::users::User;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const POOR: [&str; 3] = ["registered_poor", "lifted_out", "monitored"];

#[derive(QueryableByName)]
struct Posting {
    #[diesel(sql_type = Text)]
    account: String,
    #[diesel(sql_type = BigInt)]
    amount_fen: i64,
    #[diesel(sql_type = Nullable<Text>)]
    household_status: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    worker_id: Option<i64>,
    #[diesel(sql_type = Text)]
    county_code: String,
    #[diesel(sql_type = Nullable<Text>)]
    prefecture_code: Option<String>,
    #[diesel(sql_type = Text)]
    province_code: String,
}

#[derive(QueryableByName)]
struct Flags {
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    sanqu_sanzhou: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    key_support_area: bool,
}

/// Twenty stocked products from five workshops: the demo manager's and the four with the most.
fn twenty_lines(app: &TestApp, first: i64) -> Vec<(i64, i64)> {
    use gongfang::db::schema::products;
    let mut conn = app.db.conn().unwrap();
    let all: Vec<(i64, i64)> = products::table
        .filter(products::status.eq("active"))
        .filter(products::made_to_order.eq(false))
        .filter(products::stock.ge(3))
        .order(products::id)
        .select((products::id, products::workshop_id))
        .load(&mut conn)
        .unwrap();
    let mut by: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (p, w) in all {
        by.entry(w).or_default().push(p);
    }
    let mut others: Vec<i64> = by.keys().copied().filter(|w| *w != first).collect();
    others.sort_by_key(|w| std::cmp::Reverse(by[w].len()));
    let five: Vec<i64> = std::iter::once(first).chain(others.into_iter().take(4)).collect();
    // Round the five workshops, a piece of each in turn, until there are twenty.
    let (by, five) = (&by, &five);
    let most = five.iter().map(|w| by[w].len()).max().unwrap_or(0);
    let lines: Vec<(i64, i64)> =
        (0..most).flat_map(|i| five.iter().filter_map(move |w| by[w].get(i).map(|p| (*p, *w)))).take(20).collect();
    assert_eq!(lines.len(), 20, "the demo has twenty stocked pieces in five workshops");
    let used: std::collections::BTreeSet<i64> = lines.iter().map(|l| l.1).collect();
    assert_eq!(used.len(), 5, "{lines:?}");
    lines
}

async fn upload(user: &User, csv: &str) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("order.csv");
    let form = reqwest::multipart::Form::new().part("lines", part);
    let res = user
        .client
        .post(user.url("/api/v1/organisation/lines"))
        .header("X-CSRF-Token", &user.csrf)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_organisation_orders_a_csv_across_five_workshops_and_its_report_is_the_journal() {
    let app = TestApp::spawn().await;
    let admin = User::demo(&app, "buyer").await;
    let organisation = json!({
        "legal_name": "凉山州总工会", "credit_code": "91350100M000100Y44",
        "invoice_address": "西昌市长安东路 1 号 0834-3200000"
    });

    // A wrong check character is refused with its reason, through the API and the form.
    let (status, answer) = admin.post_json("/api/v1/organisation", &organisation).await;
    assert_eq!((status, answer["error"]["field"].as_str()), (400, Some("credit_code")), "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap().contains("校验位"), "{answer}");
    let (status, page) = admin
        .form(
            "/account/organisation",
            &[("legal_name", "凉山州总工会"), ("credit_code", "9135010OM000100Y43"), ("invoice_address", "西昌市")],
        )
        .await;
    assert_eq!(status, 400);
    assert!(page.contains("不含 I、O、S、V、Z") && page.contains(r#"value="凉山州总工会""#), "kept, with the reason");
    let mut good = organisation.clone();
    good["credit_code"] = json!("91350100M000100Y43");
    let (status, created) = admin.post_json("/api/v1/organisation", &good).await;
    assert_eq!(status, 200, "{created}");
    let (status, again) = admin.post_json("/api/v1/organisation", &good).await;
    assert_eq!((status, again["error"]["field"].as_str()), (400, Some("legal_name")), "one organisation a buyer");

    // A second member: a colleague's new buyer account, added by e-mail.
    let mut colleague = User::anonymous(&app).await;
    let (status, _) = colleague
        .form(
            "/register",
            &[("email", "caigou@example.cn"), ("password", "lacquer and silver"), ("display_name", "采购员")],
        )
        .await;
    assert_eq!(status, 303);
    colleague.refresh_csrf().await;
    let (status, answer) =
        admin.post_json("/api/v1/organisation/members", &json!({"email": "nobody@example.cn"})).await;
    assert_eq!((status, answer["error"]["field"].as_str()), (400, Some("email")));
    let (status, answer) =
        admin.post_json("/api/v1/organisation/members", &json!({"email": "CaiGou@example.cn"})).await;
    assert_eq!(status, 200, "{answer}");
    let (status, _) = colleague.post_json("/api/v1/organisation/members", &json!({"email": "x@example.cn"})).await;
    assert_eq!(status, 403, "only the administrator adds members");
    let (_, mine) = colleague.get_json("/api/v1/organisation").await;
    assert_eq!(mine["organisation"]["credit_code"], "91350100M000100Y43");
    assert_eq!(mine["members"].as_array().unwrap().len(), 2);

    // The CSV: a bad row is named and puts nothing in the cart; the good one puts all 20.
    let manager = User::demo(&app, "manager").await;
    let lines = twenty_lines(&app, manager.workshop_id().await);
    let csv: String = std::iter::once("产品编号,数量".to_owned())
        .chain(lines.iter().map(|(p, _)| format!("{p},1")))
        .collect::<Vec<_>>()
        .join("\n");
    let (status, answer) = upload(&colleague, &format!("{csv}\n999999,1\n")).await;
    assert_eq!((status, answer["error"]["field"].as_str()), (400, Some("lines")), "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap().contains("第 22 行"), "{answer}");
    let (_, cart) = colleague.get_json("/api/v1/cart").await;
    assert_eq!(cart["items_fen"].as_i64(), Some(0), "all or none: {cart}");
    let (status, answer) = upload(&colleague, &csv).await;
    assert_eq!((status, answer["id"].as_i64()), (200, Some(20)), "{answer}");
    let (_, once) = colleague.get_json("/api/v1/cart").await;
    assert_eq!(upload(&colleague, &csv).await.0, 200);
    let (_, twice) = colleague.get_json("/api/v1/cart").await;
    assert_eq!(once["items_fen"], twice["items_fen"], "the same file sent twice leaves the same cart");

    // Checkout for the organisation, paid by bank transfer, confirmed by an operator.
    let mut body = crate::orders::address();
    body["idempotency_key"] = json!("organisation-order-1");
    body["payment_method"] = json!("bank_transfer");
    body["for_organisation"] = json!(true);
    let (status, order) = colleague.post_json("/api/v1/checkout", &body).await;
    assert_eq!(status, 201, "{order}");
    let number = order["number"].as_str().unwrap().to_owned();
    body["for_organisation"] = json!(false);
    let (status, answer) = colleague.post_json("/api/v1/checkout", &body).await;
    assert_eq!(status, 409, "the key again, not for the organisation: {answer}");
    let operator = User::demo(&app, "operator").await;
    let confirm = format!("/api/v1/portal/orders/{number}/confirm-payment");
    let (status, answer) = operator.post_json(&confirm, &json!({"reference": "BANK-ORGN-1"})).await;
    assert_eq!(status, 200, "{answer}");
    let (_, page) = colleague.page(&format!("/orders/{number}")).await;
    assert!(page.contains("开票信息") && page.contains("91350100M000100Y43"), "the order carries the invoice request");

    // Each workshop ships its parcel and records its invoice; the parcels are delivered.
    let shipments: Vec<(i64, i64)> = {
        use gongfang::db::schema::{orders, shipments};
        let mut conn = app.db.conn().unwrap();
        shipments::table
            .inner_join(orders::table)
            .filter(orders::number.eq(&number))
            .select((shipments::id, shipments::workshop_id))
            .order(shipments::id)
            .load(&mut conn)
            .unwrap()
    };
    assert_eq!(shipments.len(), 5, "one parcel per workshop");
    let own = manager.workshop_id().await;
    for (i, (s, w)) in shipments.iter().enumerate() {
        let (status, answer) = operator
            .post_json(
                &format!("/api/v1/portal/shipments/{s}/ship"),
                &json!({"carrier": "EMS", "tracking_number": format!("EMS{i}")}),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        let path = format!("/api/v1/portal/shipments/{s}/invoice");
        let number = format!("2551200000001234567{i}");
        let staff = if *w == own { &manager } else { &operator };
        if *w == own {
            let (status, answer) = manager.post_json(&path, &json!({"invoice_number": "1234"})).await;
            assert_eq!((status, answer["error"]["field"].as_str()), (400, Some("invoice_number")));
        } else {
            assert_eq!(manager.post_json(&path, &json!({"invoice_number": number})).await.0, 404, "not their parcel");
        }
        assert_eq!(staff.post_json(&path, &json!({"invoice_number": number})).await.0, 200);
        assert_eq!(staff.post_json(&path, &json!({"invoice_number": "87654321"})).await.0, 409, "not written over");
        let (status, answer) = colleague.post_json(&format!("/api/v1/shipments/{s}/delivered"), &json!({})).await;
        assert_eq!(status, 200, "{answer}");
    }

    // The report, against the journal of the order's lines.
    let mut conn = app.db.conn().unwrap();
    let postings: Vec<Posting> = diesel::sql_query(format!(
        "SELECT p.account, p.amount_fen, p.household_status, p.worker_id, k.county_code, k.prefecture_code, k.province_code \
         FROM journal_postings p JOIN journal_entries e ON e.id = p.entry_id JOIN order_lines l ON l.id = p.order_line_id \
         JOIN orders o ON o.id = l.order_id JOIN workshops k ON k.id = l.workshop_id \
         WHERE o.number = '{number}' AND e.kind IN ('capture', 'refund')"
    ))
    .load(&mut conn)
    .unwrap();
    let flags: BTreeMap<String, (bool, bool)> =
        diesel::sql_query("SELECT code, sanqu_sanzhou, key_support_area FROM regions")
            .load::<Flags>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|f| (f.code, (f.sanqu_sanzhou, f.key_support_area)))
            .collect();
    let flagged = |p: &Posting, which: fn(&(bool, bool)) -> bool| {
        [Some(&p.county_code), p.prefecture_code.as_ref(), Some(&p.province_code)]
            .into_iter()
            .flatten()
            .any(|c| flags.get(c).is_some_and(which))
    };
    let sum =
        |keep: &dyn Fn(&Posting) -> bool| -> i64 { postings.iter().filter(|p| keep(p)).map(|p| p.amount_fen).sum() };
    let clearing = |p: &Posting| p.account == "buyer_clearing";
    let wages = |p: &Posting| p.account == "wages_payable";
    let poor = |p: &Posting| wages(p) && p.household_status.as_deref().is_some_and(|s| POOR.contains(&s));
    let gross = -sum(&clearing);
    // The poor-household part, as the buyer may see it: a band of ten points, and only with at
    // least 3 makers paid (net of refunds) on each side.
    let mut net: BTreeMap<(i64, bool), i64> = BTreeMap::new();
    for p in postings.iter().filter(|p| wages(p)) {
        *net.entry((p.worker_id.unwrap(), poor(p))).or_default() += p.amount_fen;
    }
    let side = |is_poor: bool| net.iter().filter(|((_, q), w)| *q == is_poor && **w > 0).count();
    let band = (side(true) >= 3 && side(false) >= 3).then(|| {
        let low = sum(&poor) * 100 / sum(&wages) / 10 * 10;
        if low >= 100 {
            json!([100, 100])
        } else {
            json!([low, low + 10])
        }
    });
    assert!(gross > 0);

    let (_, mine) = admin.get_json("/api/v1/organisation").await;
    let p = &mine["purchases"];
    assert_eq!(p["gross_fen"].as_i64(), Some(gross), "{p}");
    assert_eq!(p["key_support_fen"].as_i64(), Some(-sum(&|x: &Posting| clearing(x) && flagged(x, |f| f.1))));
    assert_eq!(p["sanqu_fen"].as_i64(), Some(-sum(&|x: &Posting| clearing(x) && flagged(x, |f| f.0))));
    assert_eq!(p["wages_fen"].as_i64(), Some(sum(&wages)));
    assert_eq!(p["poor_share_band"], band.unwrap_or(Value::Null), "a band, with 3 paid makers on each side");
    assert!(p["rows"][0].get("wages_fen").is_none(), "no wages by workshop beside the poor part");
    assert_eq!(p["rows"].as_array().unwrap().len(), 5);
    assert!(p["sanqu_fen"].as_i64().unwrap() > 0, "Liangshan is in 三区三州");
    let invoices: Vec<&str> =
        mine["parcels"].as_array().unwrap().iter().filter_map(|x| x["invoice_number"].as_str()).collect();
    assert_eq!(invoices.len(), 5, "every parcel has its invoice number: {mine}");

    // The page and the CSV export say the same, in yuan.
    let yuan = |fen: i64| gongfang::domain::Fen(fen).yuan_string();
    let (_, page) = admin.page("/account/organisation").await;
    assert!(page.contains(&format!(r#"data-figure="gross_fen">{}<"#, gongfang::domain::Fen(gross))), "{page}");
    let res = admin.client.get(admin.url("/account/organisation/purchases.csv")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    let rows = crate::reports::csv_rows(csv.trim_start_matches('\u{feff}'));
    let total = |label: &str| rows.iter().find(|r| r.len() == 3 && r[1] == label).map(|r| r[2].clone()).unwrap();
    assert_eq!(total("采购金额（元）"), yuan(gross), "{csv}");
    assert_eq!(total("工人工资（元）"), yuan(sum(&wages)));

    // The official of Liangshan sees the part bought of their region's workshops.
    let in_region = |p: &Posting| p.prefecture_code.as_deref() == Some("513400");
    let official = User::demo(&app, "official").await;
    let (status, list) = official.get_json("/api/v1/reports/institutional?period=2026").await;
    assert_eq!(status, 200, "{list}");
    let row =
        list["rows"].as_array().unwrap().iter().find(|r| r["legal_name"] == "凉山州总工会").expect("the organisation");
    assert_eq!(row["gross_fen"].as_i64(), Some(-sum(&|x: &Posting| clearing(x) && in_region(x))));
    assert_eq!(row["wages_fen"].as_i64(), Some(sum(&|x: &Posting| wages(x) && in_region(x))));
    assert_eq!(official.get_json("/api/v1/reports/institutional?region=520000").await.0, 404, "another region");
    assert_eq!(colleague.get_json("/api/v1/reports/institutional").await.0, 403, "buyers read no reports");
    let (status, page) = official.page("/officials/institutional?period=2026").await;
    assert_eq!(status, 200);
    assert!(page.contains("凉山州总工会"), "{page}");

    let (code, text) = app.audit_verify();
    assert_eq!(code, Some(0), "{text}");
}

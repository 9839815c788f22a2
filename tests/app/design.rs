//! Workstations and design credit (issue 21): operators register a workstation and its
//! designer; an editor credits the designer on a product with a share of the net (mistakes
//! named by field); the credit shows on the product page; a sale posts the designer's share to
//! the fen (recomputed here from the line's frozen terms, not by the ledger code), a refund
//! reverses it exactly, the reports keep it out of wages, and the sealed books verify.

use crate::orders::{checkout_body, stocked_product};
use crate::support::TestApp;
use crate::users::User;
use diesel::prelude::*;
use gongfang::db::schema::{journal_entries, journal_postings, order_lines};
use serde_json::json;

/// A line's frozen terms: price, quantity, commission, wage rule, wage share, piece rate, and
/// the designer with their share.
type Terms = (i64, i32, i32, String, Option<i32>, Option<i64>, Option<i64>, i32);
/// A posting: account, worker, designer, household status, amount.
type PostingOf = (String, Option<i64>, Option<i64>, Option<String>, i64);

/// `a × bp / 10,000`, rounded half up (DESIGN.md's rule), written out here on its own.
fn share(a: i64, bp: i64) -> i64 {
    (2 * a * bp + 10_000) / 20_000
}

#[tokio::test]
async fn a_designer_share_is_posted_to_the_fen_and_kept_out_of_wages() {
    let app = TestApp::spawn().await;
    let operator = User::demo(&app, "operator").await;
    let editor = User::demo(&app, "editor").await;

    // Registering: operators only; a wrong region or a missing name is named.
    let station = json!({"name_zh": "凉山彝族传统工艺工作站", "name_en": "Liangshan Yi Craft Workstation", "region_code": "513400"});
    assert_eq!(editor.post_json("/api/v1/portal/workstations", &station).await.0, 403);
    for (change, field) in [(json!({"region_code": "999999"}), "region_code"), (json!({"name_zh": " "}), "name_zh")] {
        let mut body = station.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, answer) = operator.post_json("/api/v1/portal/workstations", &body).await;
        assert_eq!((status, answer["error"]["field"].as_str()), (400, Some(field)), "{answer}");
    }
    let (status, created) = operator.post_json("/api/v1/portal/workstations", &station).await;
    assert_eq!(status, 200, "{created}");
    let ws = created["id"].as_i64().unwrap();
    let (status, again) = operator.post_json("/api/v1/portal/workstations", &station).await;
    assert_eq!(
        (status, again["error"]["field"].as_str()),
        (400, Some("name_zh")),
        "a second of the same name: {again}"
    );
    let (status, answer) = operator.post_json("/api/v1/portal/designers", &json!({"name_zh": "吉克"})).await;
    assert_eq!((status, answer["error"]["field"].as_str()), (400, Some("workstation_id")));
    let (status, created) = operator
        .post_json(
            "/api/v1/portal/designers",
            &json!({"workstation_id": ws, "name_zh": "吉克曲布", "name_latin": "Jike Qubu"}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let designer = created["id"].as_i64().unwrap();

    // Crediting: the share needs a designer and fits beside the wage share.
    let (product, _, _) = stocked_product(&app, Some(editor.workshop_id().await), None);
    let (_, p) = editor.get_json(&format!("/api/v1/portal/products/{product}")).await;
    let wage_bp = p["wage_bp"].as_i64().unwrap_or(0);
    assert!(wage_bp <= 9_500, "a demo wage share leaves room: {wage_bp}");
    let design = format!("/api/v1/portal/products/{product}/design");
    for (body, field) in [
        (json!({"designer_bp": 500}), "designer_id"),
        (json!({"designer_id": designer, "designer_bp": 10_001 - wage_bp}), "designer_percent"),
        (json!({"designer_id": designer, "designer_percent": "abc"}), "designer_percent"),
        (json!({"designer_id": 999_999, "designer_bp": 10}), "designer_id"),
    ] {
        let (status, answer) = editor.post_json(&design, &body).await;
        assert_eq!((status, answer["error"]["field"].as_str()), (400, Some(field)), "{body}: {answer}");
    }
    // The same mistake through the product page's form: the page again, the designer still
    // chosen, the percentage as typed, and the message beside its field.
    let (status, page) = editor
        .form(
            &format!("/portal/products/{product}/design"),
            &[("designer_id", &designer.to_string()), ("designer_percent", "5,5%")],
        )
        .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains(&format!(r#"<option value="{designer}" selected>"#)), "the designer is kept: {page}");
    assert!(page.contains(r#"value="5,5%""#), "the percentage as typed");
    let field = page.find(r#"name="designer_percent""#).unwrap();
    let tag = &page[page[..field].rfind('<').unwrap()..field + page[field..].find('>').unwrap()];
    assert!(tag.contains(r#"aria-invalid="true""#) && tag.contains("designer_percent-error"), "{tag}");
    assert!(page.contains(r#"designer_percent-error">"#), "the message beside the field");
    let other = User::demo(&app, "editor2").await;
    assert_eq!(other.post_json(&design, &json!({"designer_id": designer})).await.0, 404);
    let (status, answer) = editor.post_json(&design, &json!({"designer_id": designer, "designer_percent": "5"})).await;
    assert_eq!(status, 200, "{answer}");
    // A live product whose wage rule changed goes back to review; the operator approves it.
    let review = format!("/api/v1/portal/products/{product}/review");
    assert_eq!(operator.post_json(&review, &json!({"decision": "approve"})).await.0, 200);
    let (_, edit) = editor.get_json(&format!("/api/v1/portal/products/{product}")).await;
    assert_eq!(
        (edit["design"]["designer_id"].as_i64(), edit["design"]["designer_bp"].as_i64()),
        (Some(designer), Some(500))
    );
    let slug = edit["slug"].as_str().unwrap().to_owned();
    let (status, page) = User::anonymous(&app).await.page(&format!("/products/{slug}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("合作设计：") && page.contains("吉克曲布") && page.contains("凉山彝族传统工艺工作站"),
        "{page}"
    );

    // A sale of two, paid offline and confirmed by the manager.
    let buyer = User::demo(&app, "buyer").await;
    let (status, order) =
        buyer.post_json("/api/v1/checkout", &checkout_body(&[(product, 2)], "design-1", "bank_transfer")).await;
    assert_eq!(status, 201, "{order}");
    let number = order["number"].as_str().unwrap().to_owned();
    let manager = User::demo(&app, "manager").await;
    let confirm = format!("/api/v1/portal/orders/{number}/confirm-payment");
    let (status, answer) = operator.post_json(&confirm, &json!({"reference": "BANK-DESIGN-1"})).await;
    assert_eq!(status, 200, "{answer}");

    let mut conn = app.db.conn().unwrap();
    let line: i64 = order_lines::table
        .inner_join(gongfang::db::schema::orders::table)
        .filter(gongfang::db::schema::orders::number.eq(&number))
        .select(order_lines::id)
        .first(&mut conn)
        .unwrap();
    let (price, qty, commission_bp, rule, line_wage_bp, piece, frozen_designer, frozen_bp): Terms = order_lines::table
        .find(line)
        .select((
            order_lines::unit_price_fen,
            order_lines::quantity,
            order_lines::commission_bp,
            order_lines::wage_rule,
            order_lines::wage_bp,
            order_lines::piece_rate_fen,
            order_lines::designer_id,
            order_lines::designer_bp,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!((frozen_designer, frozen_bp), (Some(designer), 500), "the share is frozen on the line");
    let expect = |kept: i64| {
        let gross = price * i64::from(qty);
        let commission = share(kept, i64::from(commission_bp));
        let net = kept - commission;
        let pool = if rule == "piece_rate" {
            let full = piece.unwrap() * i64::from(qty);
            ((2 * full * kept + gross) / (2 * gross)).min(net)
        } else {
            share(net, i64::from(line_wage_bp.unwrap()))
        };
        let designer_fen = share(net, 500).min(net - pool);
        (commission, pool, designer_fen, net - pool - designer_fen)
    };
    let sums = |conn: &mut gongfang::db::DbConn| {
        let rows: Vec<PostingOf> = journal_postings::table
            .filter(journal_postings::order_line_id.eq(line))
            .select((
                journal_postings::account,
                journal_postings::worker_id,
                journal_postings::designer_id,
                journal_postings::household_status,
                journal_postings::amount_fen,
            ))
            .load(conn)
            .unwrap();
        let of = |acc: &str| rows.iter().filter(|r| r.0 == acc).map(|r| r.4).sum::<i64>();
        for r in rows.iter().filter(|r| r.0 == "designer_payable") {
            assert_eq!(
                (r.1, r.2, r.3.as_deref()),
                (None, Some(designer), None),
                "the designer's own account, no status"
            );
        }
        assert_eq!(rows.iter().map(|r| r.4).sum::<i64>(), 0, "the line's postings balance");
        (of("platform_commission"), of("wages_payable"), of("designer_payable"), of("workshop_payable"))
    };
    let gross = price * i64::from(qty);
    let (commission, pool, designer_fen, workshop) = expect(gross);
    assert!(designer_fen > 0, "a 5% share of {gross} fen is something");
    let shipping: i64 = journal_entries::table
        .inner_join(journal_postings::table)
        .filter(journal_entries::order_line_id.eq(line))
        .filter(journal_entries::kind.eq("shipping"))
        .filter(journal_postings::account.eq("workshop_payable"))
        .select(journal_postings::amount_fen)
        .load::<i64>(&mut conn)
        .unwrap()
        .iter()
        .sum();
    assert_eq!(sums(&mut conn), (commission, pool, designer_fen, workshop + shipping));

    // The report lists the designer's share apart; the wages are the makers' postings only.
    let official = User::demo(&app, "official").await;
    let workshop_id = manager.workshop_id().await;
    let (_, d) = official.get_json(&format!("/api/v1/reports?period=2026&workshop={workshop_id}")).await;
    let wages: i64 = journal_postings::table
        .inner_join(journal_entries::table)
        .filter(journal_entries::workshop_id.eq(workshop_id))
        .filter(journal_postings::account.eq("wages_payable"))
        .select(journal_postings::amount_fen)
        .load::<i64>(&mut conn)
        .unwrap()
        .iter()
        .sum();
    assert_eq!(d["totals"]["designer_fen"].as_i64(), Some(designer_fen), "{}", d["totals"]);
    assert_eq!(d["totals"]["wages_fen"].as_i64(), Some(wages));
    let by_workers: i64 =
        d["rows"].as_array().unwrap().iter().map(|r| r["figures"]["wages_fen"].as_i64().unwrap()).sum();
    assert_eq!(by_workers, wages, "no worker row holds the designer's share");

    // Refunding one piece reverses the designer's part exactly.
    let refund = format!("/api/v1/portal/lines/{line}/refund");
    let (status, answer) = manager.post_json(&refund, &json!({"quantity": 1, "reason": "破损"})).await;
    assert!(status == 200 || status == 201, "{answer}");
    let refunded: i64 = order_lines::table.find(line).select(order_lines::refunded_fen).first(&mut conn).unwrap();
    assert!(refunded > 0);
    let (commission, pool, designer_fen, workshop) = expect(gross - refunded);
    let (c, w, dz, k) = sums(&mut conn);
    assert_eq!((c, w, dz), (commission, pool, designer_fen), "after refunding {refunded} fen");
    assert_eq!(k - shipping, workshop);

    let (code, out) = app.audit_verify();
    assert_eq!(code, Some(0), "{out}");
}

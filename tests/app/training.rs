//! Training records (issue 21): a manager records sessions with their participants (refusals
//! name their field and keep what was typed), each worker's record lists them, officials see
//! the figures (checked here against the roster and household statuses, not the report code),
//! only their own region's attendance lists (any other is 404), the public pages suppress small
//! training cells, and the exports carry the same numbers.

use crate::support::TestApp;
use crate::users::User;
use diesel::prelude::*;
use serde_json::{json, Value};

/// The demo manager's workshop (喜德, 513432) and the ids of its current workers.
async fn roster(manager: &User) -> (i64, Vec<i64>) {
    let w = manager.workshop_id().await;
    let (status, workers) = manager.get_json(&format!("/api/v1/portal/workshops/{w}/workers")).await;
    assert_eq!(status, 200, "{workers}");
    let ids = workers.as_array().unwrap().iter().filter(|x| x["current"] == true).map(|x| x["id"].as_i64().unwrap());
    (w, ids.collect())
}

fn session(programme: &str, workers: &[i64], hours: i64) -> Value {
    json!({
        "programme": programme, "organiser_kind": "university", "organiser_name": "四川美术学院",
        "starts_on": "2026-07-01", "ends_on": "2026-07-05", "hours": hours, "workers": workers,
    })
}

/// Whether a worker's household status on `day` is one the 30% rule counts by default, read
/// from the worker's record as the manager sees it.
async fn counted_poor(manager: &User, worker: i64, day: &str) -> bool {
    let (_, v) = manager.get_json(&format!("/api/v1/portal/workers/{worker}")).await;
    let statuses = v["household_status"].as_array().expect("the manager sees the status history");
    let in_force = statuses
        .iter()
        .filter(|s| s["valid_from"].as_str().unwrap() <= day && s["valid_until"].as_str().is_none_or(|u| u >= day))
        .max_by_key(|s| (s["valid_from"].as_str().unwrap().to_owned(), s["verified_on"].as_str().unwrap().to_owned()));
    in_force.is_some_and(|s| ["registered_poor", "lifted_out", "monitored"].contains(&s["status"].as_str().unwrap()))
}

#[tokio::test]
async fn a_manager_records_training_and_each_mistake_is_named_beside_its_field() {
    let app = TestApp::spawn().await;
    let manager = User::demo(&app, "manager").await;
    let (w, ids) = roster(&manager).await;
    let path = format!("/api/v1/portal/workshops/{w}/training");

    // A worker who joined after the session was not on the roster for it.
    let (status, late) = manager
        .post_json(
            &format!("/api/v1/portal/workshops/{w}/workers"),
            &json!({"name_zh": "新人", "inheritor_level": "apprentice", "joined_on": "2026-10-01"}),
        )
        .await;
    assert_eq!(status, 200, "{late}");
    let late = late["id"].as_i64().unwrap();
    // A worker of another workshop.
    let editor2 = User::demo(&app, "editor2").await;
    let other_w = editor2.workshop_id().await;
    let (_, others) = editor2.get_json(&format!("/api/v1/portal/workshops/{other_w}/workers")).await;
    let stranger = others[0]["id"].as_i64().unwrap();

    let mut bad = vec![
        (json!({"hours": 0}), "hours"),
        (json!({"hours": 2001}), "hours"),
        (json!({"ends_on": "2026-06-30"}), "ends_on"),
        (json!({"starts_on": "2026-02-30"}), "starts_on"),
        (json!({"organiser_kind": "school"}), "organiser_kind"),
        (json!({"programme": "  "}), "programme"),
        (json!({"workers": []}), "workers"),
        (json!({"workers": [ids[0], late]}), "workers"),
        (json!({"workers": [ids[0], stranger]}), "workers"),
    ];
    for (change, field) in bad.drain(..) {
        let mut body = session("研修班", &ids[..1], 40);
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, answer) = manager.post_json(&path, &body).await;
        assert_eq!((status, answer["error"]["field"].as_str()), (400, Some(field)), "{body}: {answer}");
    }
    let (_, list) = manager.get_json(&path).await;
    assert_eq!(list["total"], 0, "nothing refused was kept: {list}");

    // The form: a refusal is drawn again with the message beside the field and the boxes ticked.
    let form_path = format!("/portal/workshops/{w}/training");
    let first = ids[0].to_string();
    let second = ids[1].to_string();
    let typed = [
        ("programme", "彝族漆器髹饰技艺研修班"),
        ("organiser_kind", "workstation"),
        ("organiser_name", "凉山传统工艺工作站"),
        ("starts_on", "2026-08-10"),
        ("ends_on", "2026-08-01"),
        ("hours", "24"),
        ("worker", first.as_str()),
        ("worker", second.as_str()),
    ];
    let (status, page) = manager.form(&form_path, &typed).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains(r#"id="t-ends_on-error""#) && page.contains("不能早于第一天"), "{page}");
    assert!(page.contains(r#"value="彝族漆器髹饰技艺研修班""#), "what was typed is kept");
    for id in [&first, &second] {
        assert!(page.contains(&format!(r#"name="worker" value="{id}" checked"#)), "worker {id} stays ticked");
    }
    let mut fixed = typed.to_vec();
    fixed[4] = ("ends_on", "2026-08-12");
    let (status, page) = manager.form(&form_path, &fixed[..6]).await;
    assert_eq!(status, 400);
    assert!(page.contains(r#"id="t-workers-error""#), "no participant is said beside the list: {page}");
    let (status, to) = manager.form(&form_path, &fixed).await;
    assert_eq!((status, to.as_str()), (303, form_path.as_str()));
    let (status, page) = manager.page(&form_path).await;
    assert_eq!(status, 200);
    assert!(page.contains("彝族漆器髹饰技艺研修班") && page.contains("48 人次学时"), "24 h × 2 people: {page}");

    // The worker's record lists it; the JSON list has its attendees.
    let (_, v) = manager.get_json(&format!("/api/v1/portal/workers/{}", ids[1])).await;
    assert_eq!(v["trainings"][0]["programme"], "彝族漆器髹饰技艺研修班", "{v}");
    let (_, list) = manager.get_json(&path).await;
    let attendees: Vec<i64> =
        list["sessions"][0]["attendees"].as_array().unwrap().iter().map(|a| a["worker_id"].as_i64().unwrap()).collect();
    assert_eq!(attendees.len(), 2);
    assert!(attendees.contains(&ids[0]) && attendees.contains(&ids[1]));
    let (status, page) = manager.page(&format!("/portal/workers/{}", ids[0])).await;
    assert_eq!(status, 200);
    assert!(page.contains("彝族漆器髹饰技艺研修班"));

    // Who may read and record: the other workshop's editor gets 404, an official 403.
    assert_eq!(editor2.get_json(&path).await.0, 404);
    let official = User::demo(&app, "official").await;
    assert_eq!(official.get_json(&path).await.0, 403);
    assert_eq!(official.post_json(&path, &session("x", &ids[..1], 1)).await.0, 403, "an official records nothing");
    let mut conn = app.db.conn().unwrap();
    use gongfang::db::schema::audit_log;
    let recorded: i64 =
        audit_log::table.filter(audit_log::action.eq("training.recorded")).count().get_result(&mut conn).unwrap();
    assert_eq!(recorded, 1);
}

#[tokio::test]
async fn officials_see_training_figures_and_only_their_own_regions_attendance_lists() {
    let app = TestApp::spawn().await;
    let manager = User::demo(&app, "manager").await;
    let (w, ids) = roster(&manager).await;
    assert!(ids.len() >= 4, "the demo workshop has a roster: {ids:?}");
    let path = format!("/api/v1/portal/workshops/{w}/training");
    // Two sessions in 2026 sharing a worker, and one in 2025 that 2026 does not count.
    let sessions = [(&ids[..3], 40, "2026-07-05"), (&ids[2..4], 16, "2026-09-20"), (&ids[..1], 8, "2025-05-02")];
    for (i, (who, hours, day)) in sessions.iter().enumerate() {
        let mut body = session(&format!("研修班 {i}"), who, *hours);
        body["starts_on"] = json!(day);
        body["ends_on"] = json!(day);
        let (status, answer) = manager.post_json(&path, &body).await;
        assert_eq!(status, 200, "{answer}");
    }
    // Expected, from the sessions and the household statuses alone.
    let trained: Vec<i64> = ids[..4].to_vec();
    let hours_of = |id: i64| -> i64 {
        sessions
            .iter()
            .filter(|(_, _, d)| d.starts_with("2026"))
            .filter(|(who, _, _)| who.contains(&id))
            .map(|s| s.1)
            .sum()
    };
    let mut poor_workers = 0;
    let mut poor_hours = 0;
    for id in &trained {
        if counted_poor(&manager, *id, "2026-12-31").await {
            poor_workers += 1;
            poor_hours += hours_of(*id);
        }
    }
    let total_hours: i64 = trained.iter().map(|id| hours_of(*id)).sum();
    assert_eq!(total_hours, 40 * 3 + 16 * 2);

    let official = User::demo(&app, "official").await;
    let (status, d) = official.get_json(&format!("/api/v1/reports?period=2026&workshop={w}")).await;
    assert_eq!(status, 200, "{d}");
    let t = &d["totals"];
    assert_eq!(
        (t["trained_workers"].as_i64(), t["training_hours"].as_i64()),
        (Some(trained.len() as i64), Some(total_hours)),
        "{t}"
    );
    assert_eq!(
        (t["poor_trained_workers"].as_i64(), t["poor_training_hours"].as_i64()),
        (Some(poor_workers), Some(poor_hours))
    );
    // The worker rows carry each one's hours; the region's figure is the workshop's.
    for r in d["rows"].as_array().unwrap() {
        let id: i64 = r["key"].as_str().unwrap().parse().unwrap();
        assert_eq!(r["figures"]["training_hours"].as_i64(), Some(hours_of(id)), "worker {id}");
    }
    let (_, region) = official.get_json("/api/v1/reports?period=2026&region=513432").await;
    assert_eq!(region["totals"]["training_hours"].as_i64(), Some(total_hours));
    let (_, y2025) = official.get_json(&format!("/api/v1/reports?period=2025&workshop={w}")).await;
    assert_eq!(
        (y2025["totals"]["trained_workers"].as_i64(), y2025["totals"]["training_hours"].as_i64()),
        (Some(1), Some(8))
    );

    // The dashboard page shows the figures with their definitions and links the attendance list.
    let (_, page) = official.page(&format!("/officials?period=2026&workshop={w}")).await;
    assert!(page.contains(r#"data-figure="trained_workers">4<"#), "{page}");
    assert!(
        page.contains("培训学时（人次）") && page.contains(&format!("/officials/training?workshop={w}&period=2026"))
    );

    // Attendance lists: the county official of 喜德 reads this workshop's, not 昭觉's.
    let county = crate::reports::county_official(&app).await;
    let (status, list) = county.get_json(&format!("/api/v1/reports/training?workshop={w}&period=2026")).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!((list["sessions"].as_array().unwrap().len(), list["trained_workers"].as_i64()), (2, Some(4)));
    assert_eq!(list["person_hours"].as_i64(), Some(total_hours));
    let editor2 = User::demo(&app, "editor2").await;
    let zhaojue = editor2.workshop_id().await;
    for other in [format!("workshop={zhaojue}"), "workshop=999999".to_owned(), "workshop=x".to_owned(), String::new()] {
        assert_eq!(county.get_json(&format!("/api/v1/reports/training?{other}")).await.0, 404, "{other}");
        assert_eq!(county.page(&format!("/officials/training?{other}")).await.0, 404, "{other}");
    }
    let (status, page) = county.page(&format!("/officials/training?workshop={w}&period=2026")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("研修班 0") && page.contains("研修班 1") && !page.contains("研修班 2"),
        "2025's is not listed"
    );
    assert_eq!(
        manager.get_json(&format!("/api/v1/reports/training?workshop={w}")).await.0,
        403,
        "staff read no reports"
    );
    let mut conn = app.db.conn().unwrap();
    use gongfang::db::schema::audit_log;
    let seen: i64 = audit_log::table
        .filter(audit_log::action.eq("report.training_attendance"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(seen, 2, "each view of a list naming workers is audited");

    // Twenty-one more short sessions: the list pages 20 at a time, and its totals are those
    // of every session, not of the page shown.
    let one = list["sessions"][0]["attendees"][0]["worker_id"].as_i64().unwrap();
    for i in 0..21 {
        app.execute(&format!(
            "INSERT INTO training_sessions (workshop_id, programme, organiser_kind, organiser_name, starts_on, ends_on, hours, recorded_by, created_at) \
             SELECT {w}, '短训 {i}', 'workshop', '工坊', '2026-03-02', '2026-03-02', 2, id, '2026-03-03 00:00:00' FROM users WHERE email = 'manager@demo.gongfang.cn'; \
             INSERT INTO training_attendances (session_id, worker_id) SELECT MAX(id), {one} FROM training_sessions;"
        ));
    }
    let (_, first) = county.get_json(&format!("/api/v1/reports/training?workshop={w}&period=2026")).await;
    let (_, second) = county.get_json(&format!("/api/v1/reports/training?workshop={w}&period=2026&page=2")).await;
    assert_eq!(
        (first["sessions"].as_array().unwrap().len(), second["sessions"].as_array().unwrap().len()),
        (20, 3),
        "{second}"
    );
    for l in [&first, &second] {
        assert_eq!((l["total"].as_i64(), l["page_count"].as_i64()), (Some(23), Some(2)));
        assert_eq!((l["trained_workers"].as_i64(), l["person_hours"].as_i64()), (Some(4), Some(total_hours + 42)));
    }
    let (_, page) = county.page(&format!("/officials/training?workshop={w}&period=2026")).await;
    assert!(page.contains("page=2"), "the page links to the next");

    // The export's summary carries the same figures under human headings.
    let res = official
        .client
        .get(official.url(&format!("/officials/export?period=2026&workshop={w}&format=csv&table=summary")))
        .send()
        .await
        .unwrap();
    let csv = res.text().await.unwrap();
    let rows = crate::reports::csv_rows(&csv);
    let head = rows.iter().position(|r| r.iter().any(|c| c == "培训人数")).expect("a heading row");
    let at = |name: &str| rows[head + 1][rows[head].iter().position(|h| h == name).unwrap()].clone();
    assert_eq!(at("培训人数"), "4", "{csv}");
    assert_eq!(at("培训学时（人次）"), (total_hours + 42).to_string(), "the export counts every session");
}

#[tokio::test]
async fn public_pages_hide_training_cells_of_fewer_than_three() {
    let app = TestApp::spawn().await;
    let manager = User::demo(&app, "manager").await;
    let (w, ids) = roster(&manager).await;
    let path = format!("/api/v1/portal/workshops/{w}/training");
    assert_eq!(manager.post_json(&path, &session("两人班", &ids[..2], 10)).await.0, 200);
    let (_, workshop) = manager.get_json(&format!("/api/v1/portal/workshops/{w}")).await;
    let slug = workshop["slug"].as_str().unwrap();
    let (status, p) =
        User::anonymous(&app).await.get_json(&format!("/api/v1/impact/workshops/{slug}?period=2026")).await;
    assert_eq!(status, 200, "{p}");
    let t = &p["total"];
    assert!(t["workers"].is_number(), "the workshop's roster is shown: {t}");
    for k in ["trained_workers", "poor_trained_workers", "training_hours", "poor_training_hours"] {
        assert!(t[k].is_null(), "two people trained are not published ({k}): {t}");
    }
    // Its county and the country: a hidden row never stands alone under a shown total, or the
    // total less the rows shown would tell it.
    for page in [
        "/api/v1/impact/regions/513432?period=2026",
        "/api/v1/impact/regions/513400?period=2026",
        "/api/v1/impact?period=2026",
    ] {
        let (_, p) = User::anonymous(&app).await.get_json(page).await;
        let rows = p["rows"].as_array().unwrap();
        let hidden = rows.iter().filter(|r| r["trained_workers"].is_null()).count();
        assert!(hidden != 1 || p["total"]["trained_workers"].is_null(), "{page}: {p}");
        if let Some(total) = p["total"]["trained_workers"].as_i64() {
            assert!(total == 0 || total >= 3, "{page}: {total}");
        }
    }
    // Three more, then five trained are shown (their poor-household part by its own rule).
    assert_eq!(manager.post_json(&path, &session("三人班", &ids[2..5], 6)).await.0, 200);
    // (Another period: the public pages reuse a period's figures for a minute.)
    let (_, p) = User::anonymous(&app).await.get_json(&format!("/api/v1/impact/workshops/{slug}?period=2026-Q3")).await;
    assert_eq!(p["total"]["trained_workers"].as_i64(), Some(5), "{p}");
    assert_eq!(p["total"]["training_hours"].as_i64(), Some(2 * 10 + 3 * 6));
}

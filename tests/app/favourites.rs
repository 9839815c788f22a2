//! Favourites and follows (issue 20): pieces kept on a browser join the account at sign-in,
//! as the cart does, without doubles; only listed pieces are kept and shown; a workshop's page
//! counts its followers, on every node's cached page within the page cache's bound; and in
//! Chromium, a buyer keeps two pieces before signing in and finds them kept after.

use crate::support::TestApp;
use crate::users::{User, DEMO_PASSWORD};
use crate::webdriver::{browser, check_page, driver, sign_in, visit, WIDTHS};
use diesel::prelude::*;
use fantoccini::Locator;
use gongfang::db::schema::favourites;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Listed products as (id, slug, Chinese title), the first `n`.
async fn listed(app: &TestApp, n: usize) -> Vec<(i64, String, String)> {
    let (_, page) = app.json(&format!("/api/v1/products?per_page={n}")).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_i64().unwrap(),
                p["slug"].as_str().unwrap().to_owned(),
                p["title"]["zh"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn kept(view: &Value) -> Vec<i64> {
    view["products"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn favourites_kept_on_a_browser_join_the_account_and_only_listed_pieces_show() {
    let app = TestApp::spawn().await;
    let pieces = listed(&app, 3).await;
    let (a, b, c) = (pieces[0].0, pieces[1].0, pieces[2].0);

    // The buyer's account already keeps C; the browser keeps A, B and C before signing in.
    let account = User::demo(&app, "buyer").await;
    assert_eq!(account.post_json(&format!("/api/v1/favourites/{c}"), &json!({})).await.0, 200);
    let mut browser = User::anonymous(&app).await;
    for id in [a, b, c, a] {
        let (status, body) = browser.post_json(&format!("/api/v1/favourites/{id}"), &json!({})).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = browser.post_json("/api/v1/favourites/99999999", &json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("error.not_found")), "{body}");
    let (_, view) = browser.get_json("/api/v1/favourites").await;
    assert_eq!(kept(&view), [c, b, a], "newest first, A once");
    assert_eq!(view["workshops"], json!([]));
    let (_, page) = browser.page("/favourites").await;
    assert!(page.contains(&pieces[0].2) && page.contains("/favourites/"), "the page lists them with remove buttons");

    // Signing in on that browser moves them to the account: C is not doubled.
    let (status, body) = browser
        .post_json("/api/v1/auth/login", &json!({"email": "buyer@demo.gongfang.cn", "password": DEMO_PASSWORD}))
        .await;
    assert_eq!(status, 200, "{body}");
    browser.csrf = body["csrf_token"].as_str().unwrap().to_owned();
    let (_, view) = browser.get_json("/api/v1/favourites").await;
    let mut ids = kept(&view);
    ids.sort_unstable();
    let mut want = vec![a, b, c];
    want.sort_unstable();
    assert_eq!(ids, want);
    let mut conn = app.db.conn().unwrap();
    let left: i64 =
        favourites::table.filter(favourites::browser_hash.is_not_null()).count().get_result(&mut conn).unwrap();
    assert_eq!(left, 0, "nothing is left on the browser");

    // Removing, and a piece taken off the storefront, leave the list.
    assert_eq!(browser.post_json(&format!("/api/v1/favourites/{b}/remove"), &json!({})).await.0, 200);
    app.execute(&format!("UPDATE products SET status = 'archived' WHERE id = {c}"));
    let (_, view) = browser.get_json("/api/v1/favourites").await;
    assert_eq!(kept(&view), [a]);
    assert_eq!(
        browser.post_json(&format!("/api/v1/favourites/{c}"), &json!({})).await.0,
        404,
        "an archived piece cannot be kept"
    );

    // A form post from the product page answers with the favourites page.
    let form = User::anonymous(&app).await;
    let (status, to) = form.form(&format!("/favourites/{b}"), &[]).await;
    assert_eq!((status, to.as_str()), (303, "/favourites"));
    let (_, page) = form.page("/favourites").await;
    assert!(page.contains(&pieces[1].2), "{page}");
}

#[tokio::test]
async fn following_a_workshop_shows_on_its_page_within_the_cache_bound() {
    let app = TestApp::spawn().await;
    let (_, listed) = app.json("/api/v1/products?per_page=1").await;
    let slug = listed["items"][0]["workshop"]["slug"].as_str().unwrap().to_owned();
    let count = |page: &str| page.contains("1 人关注");
    // The page is drawn (and kept) with no follower first.
    let (_, page) = app.page(&format!("/workshops/{slug}")).await;
    assert!(page.contains("0 人关注"), "{page}");

    let buyer = User::demo(&app, "buyer").await;
    for _ in 0..2 {
        assert_eq!(buyer.post_json(&format!("/api/v1/workshops/{slug}/follow"), &json!({})).await.0, 200);
    }
    let (_, w) = app.json(&format!("/api/v1/workshops/{slug}")).await;
    assert_eq!(w["followers"], 1, "following twice is once");
    let started = Instant::now();
    loop {
        let (_, page) = app.page(&format!("/workshops/{slug}")).await;
        if count(&page) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(3), "the kept page never showed the follower");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, view) = buyer.get_json("/api/v1/favourites").await;
    assert_eq!(view["workshops"][0]["slug"], slug.as_str());
    assert_eq!(buyer.post_json(&format!("/api/v1/workshops/{slug}/unfollow"), &json!({})).await.0, 200);
    let (_, w) = app.json(&format!("/api/v1/workshops/{slug}")).await;
    assert_eq!(w["followers"], 0);
}

#[tokio::test]
async fn a_buyer_keeps_two_pieces_before_signing_in_and_finds_them_after_in_a_browser() {
    let Some(driver) = driver().await else { return };
    let app = TestApp::spawn().await;
    let pieces = listed(&app, 2).await;
    for ((width, height), lang) in WIDTHS.into_iter().zip(["zh-CN", "en"]) {
        let b = browser(&driver, (width, height), lang, None).await;
        let what = |page: &str| format!("{page} at {width} px in {lang}");
        for (_, slug, _) in &pieces {
            visit(&b, &app.url(&format!("/products/{slug}")), &what("the product page")).await;
            b.find(Locator::Css("form.keep button")).await.unwrap().click().await.unwrap();
            b.wait().for_element(Locator::Css("ul.favourites")).await.unwrap();
        }
        check_page(&b, &what("the browser's favourites")).await;
        sign_in(&b, &app.base, "buyer@demo.gongfang.cn", DEMO_PASSWORD).await;
        visit(&b, &app.url("/favourites"), &what("the account's favourites")).await;
        let listed: Vec<String> = {
            let mut names = Vec::new();
            for link in b.find_all(Locator::Css("ul.favourites li > a")).await.unwrap() {
                names.push(link.attr("href").await.unwrap().unwrap_or_default());
            }
            names
        };
        for (_, slug, _) in &pieces {
            assert!(listed.contains(&format!("/products/{slug}")), "{}: {slug} kept: {listed:?}", what("favourites"));
        }
        // The next width starts from an empty list.
        app.execute("DELETE FROM favourites");
        b.close().await.unwrap();
    }
}

#[tokio::test]
async fn a_product_page_suggests_its_workshop_its_craft_and_its_county_and_only_listed_pieces() {
    let app = TestApp::spawn().await;
    // A piece whose craft another workshop also practises (the demo's workshops each have
    // their own, so one piece of another workshop is given it), and one whose county has
    // other workshops.
    let (_, all) = app.json("/api/v1/products?per_page=100").await;
    let all = all["items"].as_array().unwrap().clone();
    let (first, second) = (&all[0], all.iter().find(|p| p["workshop"]["slug"] != all[0]["workshop"]["slug"]).unwrap());
    app.execute(&format!(
        "UPDATE products SET heritage_item_id = {} WHERE id = {}",
        first["heritage_item"]["id"], second["id"]
    ));
    let (_, all) = app.json("/api/v1/products?per_page=100").await;
    let all = all["items"].as_array().unwrap().clone();
    let shared = |p: &Value, key: &dyn Fn(&Value) -> Value| {
        all.iter().any(|o| o["workshop"]["slug"] != p["workshop"]["slug"] && key(o) == key(p))
    };
    let craft = |p: &Value| p["heritage_item"]["id"].clone();
    let county = |p: &Value| p["county_code"].clone();
    let by_craft = all.iter().find(|p| shared(p, &craft)).expect("a piece whose craft other workshops practise");
    let by_county = all.iter().find(|p| shared(p, &county)).expect("a piece whose county has other workshops");
    let mut pages = Vec::new();
    for (piece, must) in [(by_craft, "craft"), (by_county, "county")] {
        let slug = piece["slug"].as_str().unwrap();
        let (status, d) = app.json(&format!("/api/v1/products/{slug}")).await;
        assert_eq!(status, 200);
        let r = d["related"].clone();
        let group = |name: &str| r[name].as_array().unwrap().clone();
        assert!(!group(must).is_empty(), "{slug} suggests its {must}: {r}");
        for name in ["workshop", "craft", "county"] {
            let pieces = group(name);
            assert!(pieces.len() <= 4, "{name}: at most four");
            assert!(pieces.iter().all(|p| p["id"] != piece["id"]), "{name}: never the piece itself");
        }
        let other = |p: &Value| p["workshop"]["slug"] != piece["workshop"]["slug"];
        assert!(group("workshop").iter().all(|p| !other(p)));
        assert!(group("craft").iter().all(|p| craft(p) == craft(piece) && other(p)));
        assert!(group("county").iter().all(|p| county(p) == county(piece) && other(p)));
        let (_, page) = app.page(&format!("/products/{slug}?lang=en")).await;
        let heading = if must == "craft" { "The same craft from other workshops" } else { "From the same county" };
        assert!(page.contains(heading), "{slug}'s page");
        pages.push((slug.to_owned(), group(must)));
    }

    // A suggestion whose workshop is suspended is no longer suggested.
    for (slug, suggested) in pages {
        let gone = suggested[0]["workshop"]["slug"].as_str().unwrap().to_owned();
        app.execute(&format!("UPDATE workshops SET status = 'suspended' WHERE slug = '{gone}'"));
        let (_, d) = app.json(&format!("/api/v1/products/{slug}")).await;
        for name in ["craft", "county"] {
            let still = d["related"][name].as_array().unwrap().iter().any(|p| p["workshop"]["slug"] == gone.as_str());
            assert!(!still, "{slug}'s {name} still suggests a piece of the suspended workshop {gone}");
        }
    }
}

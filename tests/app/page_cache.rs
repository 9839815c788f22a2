//! The storefront's page cache: an anonymous page is served again from memory, revalidated
//! with its `ETag`, and changes within the stated bound (the refresh interval, 1 s by
//! default) after a stock change, a price change and a withdrawn consent written by another
//! process, as another app node would write them. Nothing personal is kept or shared.

use crate::support::{unescape, TestApp};
use crate::users::User;
use gongfang::config::PageCacheConfig;
use std::time::{Duration, Instant};

const PRODUCT: &str = "/products/xide-yi-lacquer-wine-cup-set";

/// The app with the page cache as it is configured by default (tests otherwise re-read the
/// catalogue's version on every request).
async fn app_with_default_cache() -> (TestApp, Duration) {
    let bound = PageCacheConfig::default().refresh;
    let app = TestApp::spawn_config(true, |c| c.page_cache = PageCacheConfig::default()).await;
    (app, bound)
}

struct Seen {
    how: String,
    etag: String,
    cache_control: String,
    set_cookie: bool,
    body: String,
}

async fn fetch(client: &reqwest::Client, url: &str) -> Seen {
    let res = client.get(url).send().await.unwrap();
    assert_eq!(res.status(), 200, "{url}");
    let header = |name: &str| res.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let (how, etag, cache_control) = (header("x-page-cache"), header("etag"), header("cache-control"));
    let set_cookie = res.headers().contains_key("set-cookie");
    Seen { how, etag, cache_control, set_cookie, body: unescape(&res.text().await.unwrap()) }
}

/// Polls `url` until `changed` holds for its body; the time it took from `since`.
async fn changed_within(app: &TestApp, url: &str, since: Instant, changed: impl Fn(&str) -> bool) -> Duration {
    loop {
        let seen = fetch(&app.client, &app.url(url)).await;
        if changed(&seen.body) {
            return since.elapsed();
        }
        assert!(since.elapsed() < Duration::from_secs(10), "{url} never changed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_kept_page_changes_within_the_bound_after_a_stock_a_price_and_a_consent_change() {
    let (app, bound) = app_with_default_cache().await;
    // What a request may add to the bound: drawing the page on a loaded machine.
    let slack = Duration::from_millis(1500);
    let (_, p) = app.json("/api/v1/products/xide-yi-lacquer-wine-cup-set").await;
    let id = p["id"].as_i64().unwrap();
    let maker = p["makers"][0]["worker_id"].as_i64().expect("a named lead maker");
    let maker_name = p["makers"][0]["display_name"].as_str().unwrap().to_owned();

    let first = fetch(&app.client, &app.url(PRODUCT)).await;
    let again = fetch(&app.client, &app.url(PRODUCT)).await;
    assert_eq!(again.how, "hit", "served again from memory");
    assert!(first.body.contains(&maker_name));
    // Unchanged, it stays kept past the refresh interval: the version decides, not an age.
    tokio::time::sleep(bound + Duration::from_millis(200)).await;
    assert_eq!(fetch(&app.client, &app.url(PRODUCT)).await.how, "hit");

    // Stock, written by another connection (as another node, or the portal, would).
    let list = "/products?in_stock=true&workshop=xide-yi-lacquer";
    let card = "href=\"/products/xide-yi-lacquer-wine-cup-set\"";
    assert!(fetch(&app.client, &app.url(list)).await.body.contains(card));
    let t = Instant::now();
    app.execute(&format!("UPDATE products SET stock = 4321 WHERE id = {id}"));
    let took = changed_within(&app, PRODUCT, t, |b| b.contains("4321")).await;
    assert!(took <= bound + slack, "stock change shown after {took:?}");
    let t = Instant::now();
    app.execute(&format!("UPDATE products SET stock = 0, made_to_order = FALSE WHERE id = {id}"));
    let took = changed_within(&app, list, t, |b| !b.contains(card)).await;
    assert!(took <= bound + slack, "a sold-out piece leaves the in-stock list after {took:?}");

    // Price.
    let t = Instant::now();
    app.execute(&format!("UPDATE products SET price_fen = 987654 WHERE id = {id}"));
    let took = changed_within(&app, PRODUCT, t, |b| b.contains("9,876.54") || b.contains("9876.54")).await;
    assert!(took <= bound + slack, "price change shown after {took:?}");

    // Consent: the maker's name leaves the page.
    let t = Instant::now();
    app.execute(&format!("UPDATE workers SET consent_name = FALSE WHERE id = {maker}"));
    let took = changed_within(&app, PRODUCT, t, |b| !b.contains(&maker_name)).await;
    assert!(took <= bound + slack, "withdrawn consent honoured after {took:?}");
}

#[tokio::test]
async fn pages_are_revalidated_with_their_etag_and_only_forms_are_private() {
    let (app, _) = app_with_default_cache().await;
    let client = &app.client;
    let list = fetch(client, &app.url("/products")).await;
    assert!(list.etag.starts_with("W/\""), "a validator: {}", list.etag);
    assert_eq!(list.cache_control, "public, no-cache", "a CDN may keep it and must ask again");
    assert!(!list.set_cookie, "a page a shared cache keeps sets no cookie");
    let res = client.get(app.url("/products")).header("If-None-Match", &list.etag).send().await.unwrap();
    assert_eq!(res.status(), 304);
    assert!(res.bytes().await.unwrap().is_empty());
    let res = client.get(app.url("/products")).header("If-None-Match", "W/\"0000\"").send().await.unwrap();
    assert_eq!(res.status(), 200, "another validator gets the page");

    // The product page has the cart form, with this browser's CSRF token: private.
    let product = fetch(client, &app.url(PRODUCT)).await;
    assert_eq!(product.cache_control, "private, no-cache");
    assert!(product.set_cookie, "a first visit gets its CSRF cookie with the form");
}

#[tokio::test]
async fn each_browser_gets_its_own_token_from_a_kept_page_and_it_works() {
    let (app, _) = app_with_default_cache().await;
    let (_, p) = app.json("/api/v1/products/xide-yi-lacquer-wine-cup-set").await;
    let id = p["id"].as_i64().unwrap().to_string();
    let token_in = |body: &str| {
        let at = body.find("name=\"csrf\" value=\"").expect("the cart form's token") + 19;
        body[at..].split('"').next().unwrap().to_owned()
    };
    let a = User::anonymous(&app).await;
    let b = User::anonymous(&app).await;
    let seen_a = fetch(&a.client, &app.url(PRODUCT)).await;
    let seen_b = fetch(&b.client, &app.url(PRODUCT)).await;
    assert_eq!(seen_b.how, "hit", "the second browser is served the kept page");
    let (ta, tb) = (token_in(&seen_a.body), token_in(&seen_b.body));
    assert_ne!(ta, tb, "never one browser's token in another's page");
    assert_ne!(seen_a.etag, seen_b.etag, "so their validators differ too");
    for (user, token) in [(&a, &tb), (&b, &ta)] {
        let res = user.client.post(app.url("/cart/items")).form(&[("csrf", token.as_str()), ("product_id", &id)]);
        assert_eq!(res.send().await.unwrap().status(), 403, "another browser's token is refused");
    }
    for (user, token) in [(&a, &ta), (&b, &tb)] {
        let res = user.client.post(app.url("/cart/items")).form(&[("csrf", token.as_str()), ("product_id", &id)]);
        assert_eq!(res.send().await.unwrap().status(), 303, "the token in the kept page works");
    }
}

#[tokio::test]
async fn signed_in_pages_are_never_kept() {
    let (app, _) = app_with_default_cache().await;
    let buyer = User::demo(&app, "buyer").await;
    for _ in 0..2 {
        let seen = fetch(&buyer.client, &app.url("/products")).await;
        assert_eq!(seen.how, "", "no page cache for a signed-in visitor");
        assert_eq!(seen.cache_control, "private, no-store");
        assert!(seen.body.contains("/orders"), "their own navigation");
    }
    let anonymous = fetch(&app.client, &app.url("/products")).await;
    assert!(!anonymous.body.contains("href=\"/orders\""), "the signed-in page was not handed out");
}

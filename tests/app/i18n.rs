//! Language choice: `?lang=`, a remembered cookie, `Accept-Language`, then the default (zh).

use crate::support::{unescape, TestApp};

fn html_lang(html: &str) -> &str {
    let start = html.find("<html lang=\"").expect("html lang") + 12;
    &html[start..start + html[start..].find('"').unwrap()]
}

#[tokio::test]
async fn every_page_comes_in_both_languages() {
    let app = TestApp::spawn().await;
    for path in [
        "/",
        "/products",
        "/products/xide-yi-lacquer-wine-cup-set",
        "/workshops",
        "/workshops/xide-yi-lacquer",
        "/regions",
        "/regions/513400",
        "/crafts",
        "/crafts/1",
    ] {
        let zh = app.get(path).await.text().await.unwrap();
        assert_eq!(html_lang(&zh), "zh-CN", "{path}");
        assert!(zh.contains("全部商品"), "{path} zh nav");
        let en = app.get(&format!("{path}?lang=en")).await.text().await.unwrap();
        assert_eq!(html_lang(&en), "en", "{path}");
        assert!(en.contains("All crafts"), "{path} en nav");
    }
    let en =
        unescape(&app.get_lang("/products/xide-yi-lacquer-wine-cup-set", "en-US,en;q=0.9").await.text().await.unwrap());
    assert!(
        en.contains("Firepit Yi Lacquer Workshop")
            && en.contains("Liangshan")
            && en.contains("goes to the makers' wages")
    );
}

#[tokio::test]
async fn accept_language_cookie_and_query_choose_the_language() {
    let app = TestApp::spawn().await;
    let res = app.get_lang("/", "fr-FR,en;q=0.5").await;
    assert_eq!(res.headers()["content-language"], "en");
    let res = app.get_lang("/", "de-DE,fr;q=0.5").await;
    assert_eq!(res.headers()["content-language"], "zh-CN", "unsupported languages fall back to zh");
    let res = app.get("/?lang=klingon").await;
    assert_eq!(res.status(), 200, "an unknown language is no error");
    assert_eq!(res.headers()["content-language"], "zh-CN");

    // The switcher's choice is remembered and beats Accept-Language.
    let res = app.get_lang("/?lang=en", "zh-CN").await;
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("lang="))
        .expect("the language cookie");
    assert!(
        cookie.starts_with("lang=en") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let res = app
        .client
        .get(app.url("/products"))
        .header("Accept-Language", "zh-CN")
        .header("Cookie", "lang=en")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-language"], "en");
    let html = unescape(&res.text().await.unwrap());
    // The switcher keeps the other query parameters.
    assert!(html.contains("href=\"/products?lang=zh\""), "switcher link");
    let res = app.get("/products?page=2&lang=en").await;
    let html = unescape(&res.text().await.unwrap());
    assert!(html.contains("href=\"/products?page=2&lang=zh\""), "switcher keeps page");
}

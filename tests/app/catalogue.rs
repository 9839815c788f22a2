//! The storefront and API reads: every page, filters and pagination.

use crate::support::TestApp;
use serde_json::Value;

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().expect("items array")
}

#[tokio::test]
async fn home_lists_featured_pieces_workshops_and_key_areas() {
    let app = TestApp::spawn().await;
    let (status, html) = app.page("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("精选作品"), "featured heading");
    assert!(html.contains("凉山彝族自治州"), "key area Liangshan");
    assert!(html.contains("火塘彝漆工坊"), "a demo workshop");
    assert!(html.matches("class=\"card\"").count() >= 4, "featured cards");
    let (_, count) = app.json("/api/v1/products?per_page=1").await;
    assert!(count["total"].as_i64().unwrap() >= 100, "at least 100 products: {}", count["total"]);
}

#[tokio::test]
async fn product_list_paginates_and_caps_page_size() {
    let app = TestApp::spawn().await;
    let (status, first) = app.json("/api/v1/products").await;
    assert_eq!(status, 200);
    let total = first["total"].as_i64().unwrap();
    assert_eq!(items(&first).len(), 24);
    assert_eq!(first["page"], 1);
    assert_eq!(first["per_page"], 24);

    let (_, capped) = app.json("/api/v1/products?per_page=1000").await;
    assert_eq!(capped["per_page"], 100, "per_page is capped");
    assert_eq!(items(&capped).len(), 100);

    // The last page holds the remainder; past it is an empty page, not an error.
    let pages = (total + 9) / 10;
    let (_, last) = app.json(&format!("/api/v1/products?per_page=10&page={pages}")).await;
    assert_eq!(items(&last).len() as i64, total - (pages - 1) * 10);
    let (status, past) = app.json(&format!("/api/v1/products?per_page=10&page={}", pages + 1)).await;
    assert_eq!(status, 200);
    assert!(items(&past).is_empty());

    // Pages do not overlap and together cover everything.
    let mut seen = std::collections::HashSet::new();
    for page in 1..=pages {
        let (_, p) = app.json(&format!("/api/v1/products?per_page=10&page={page}&sort=newest")).await;
        for item in items(&p) {
            assert!(seen.insert(item["slug"].as_str().unwrap().to_owned()), "duplicate across pages");
        }
    }
    assert_eq!(seen.len() as i64, total);

    // The HTML list shows the pager with working links.
    let (status, html) = app.page("/products?page=2").await;
    assert_eq!(status, 200);
    assert!(html.contains("rel=\"prev\" href=\"/products?page=1\""), "prev link");
    assert!(html.contains("rel=\"next\" href=\"/products?page=3\""), "next link");
    let (status, html) = app.page("/products?page=999").await;
    assert_eq!(status, 200);
    assert!(html.contains("没有符合条件的作品"), "empty state past the last page");
}

#[tokio::test]
async fn product_list_filters_by_place_craft_workshop_price_and_stock() {
    let app = TestApp::spawn().await;
    let all = |q: &str| {
        let path = format!("/api/v1/products?per_page=100&{q}");
        let app = &app;
        async move { app.json(&path).await.1 }
    };
    let sichuan = all("province=510000").await;
    assert!(sichuan["total"].as_i64().unwrap() > 0);
    assert!(items(&sichuan).iter().all(|p| p["province_code"] == "510000"));

    let liangshan = all("prefecture=513400").await;
    assert!(items(&liangshan).iter().all(|p| p["prefecture_code"] == "513400"));
    assert!(liangshan["total"].as_i64() < sichuan["total"].as_i64());

    let xide = all("county=513432").await;
    assert!(xide["total"].as_i64().unwrap() > 0);
    assert!(items(&xide).iter().all(|p| p["county_code"] == "513432"));

    let lacquer = all("heritage=1").await;
    assert!(lacquer["total"].as_i64().unwrap() > 0);
    assert!(items(&lacquer).iter().all(|p| p["heritage_item"]["code"] == "ich-001"));

    let workshop = all("workshop=xide-yi-lacquer").await;
    assert_eq!(workshop["total"], 8);
    assert!(items(&workshop).iter().all(|p| p["workshop"]["slug"] == "xide-yi-lacquer"));

    let priced = all("min_price=100&max_price=500.5").await;
    assert!(priced["total"].as_i64().unwrap() > 0);
    assert!(items(&priced).iter().all(|p| (10_000..=50_050).contains(&p["price_fen"].as_i64().unwrap())));

    let everything = all("").await;
    let stocked = all("in_stock=true").await;
    assert!(items(&stocked).iter().all(|p| p["stock"].as_i64().unwrap() > 0));
    assert!(stocked["total"].as_i64() < everything["total"].as_i64(), "some pieces are out of stock or made to order");

    let sorted = all("sort=price_asc").await;
    let prices: Vec<i64> = items(&sorted).iter().map(|p| p["price_fen"].as_i64().unwrap()).collect();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "price ascending");

    let nothing = all("county=110101").await;
    assert_eq!(nothing["total"], 0);

    // The HTML list applies the same filters and offers the narrower region choices.
    let (status, html) = app.page("/products?province=510000&prefecture=513400").await;
    assert_eq!(status, 200);
    assert!(html.contains("<option value=\"513432\">喜德县</option>"), "counties of the chosen prefecture");
    let expected = format!("共 {} 件", liangshan["total"]);
    assert!(html.contains(&expected), "the list counts only Liangshan pieces: {expected}");
}

#[tokio::test]
async fn product_page_and_api_trace_the_piece_to_its_makers_and_place() {
    let app = TestApp::spawn().await;
    let (_, list) = app.json("/api/v1/products?workshop=xide-yi-lacquer&per_page=1").await;
    let slug = items(&list)[0]["slug"].as_str().unwrap().to_owned();
    let (status, p) = app.json(&format!("/api/v1/products/{slug}")).await;
    assert_eq!(status, 200);
    for field in crate::support::PRODUCT_FIELDS {
        assert!(!p[field].is_null(), "{field} present");
    }
    assert_eq!(p["title"]["zh"].as_str().map(str::is_empty), Some(false));
    assert_eq!(p["title"]["en"].as_str().map(str::is_empty), Some(false));
    assert_eq!(p["currency"], "CNY");
    assert_eq!(p["county_code"], "513432");
    assert_eq!(p["prefecture_code"], "513400");
    assert_eq!(p["province_code"], "510000");
    assert_eq!(p["heritage_item"]["list_number"], "VIII-128");
    let makers = p["makers"].as_array().unwrap();
    assert!(!makers.is_empty());
    let shares: i64 = makers.iter().map(|m| m["share_bp"].as_i64().unwrap()).sum();
    assert_eq!(shares, 10_000, "maker shares sum to 100%");
    assert!(makers.iter().all(|m| m["role"].is_string()));
    assert!(p["images"].as_array().is_some_and(|i| !i.is_empty()));
    assert!(p["wage"]["per_unit_fen"].as_i64().unwrap() > 0);

    let (status, html) = app.page(&format!("/products/{slug}")).await;
    assert_eq!(status, 200);
    for text in [
        "火塘彝漆工坊",
        "喜德县",
        "凉山彝族自治州",
        "四川省",
        "彝族漆器髹饰技艺",
        "VIII-128",
        "三区三州",
        "用于制作者的工资",
        "认定有效",
    ] {
        assert!(html.contains(text), "product page shows {text}");
    }
    let lead = &makers[0];
    if let Some(name) = lead["display_name"].as_str() {
        assert!(html.contains(name), "consented lead maker is named");
    }
    // The picture itself is served.
    let img = p["images"][0]["url"].as_str().unwrap();
    let res = app.get(img).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let bytes = res.bytes().await.unwrap();
    assert!(image::load_from_memory(&bytes).is_ok(), "a decodable picture");
}

#[tokio::test]
async fn workshop_region_craft_and_artisan_pages() {
    let app = TestApp::spawn().await;
    let (status, w) = app.json("/api/v1/workshops/xide-yi-lacquer").await;
    assert_eq!(status, 200);
    assert_eq!(w["workshop"]["place"]["county"]["code"], "513432");
    assert_eq!(w["workshop"]["certification"]["status"], "active");
    assert!(w["workshop"]["certification"]["number"].is_string());
    assert_eq!(w["products"].as_array().unwrap().len(), 8);
    let artisan = w["artisans"][0]["id"].as_i64().expect("a named artisan");

    let (status, html) = app.page("/workshops/xide-yi-lacquer").await;
    assert_eq!(status, 200);
    assert!(html.contains("工坊故事") && html.contains("证书编号"));
    let (status, html) = app.page("/workshops").await;
    assert_eq!(status, 200);
    assert!(html.matches("class=\"wcard\"").count() >= 12);
    let (_, html) = app.page("/workshops?per_page=5&page=3").await;
    assert_eq!(html.matches("class=\"wcard\"").count(), 4, "14 workshops, 5 a page: the third holds 4");
    assert!(html.contains("rel=\"prev\" href=\"/workshops?per_page=5&page=2\""));

    let (status, html) = app.page(&format!("/artisans/{artisan}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("火塘彝漆工坊"));

    let (status, region) = app.json("/api/v1/regions/513400").await;
    assert_eq!(status, 200);
    assert_eq!(region["region"]["name_zh"], "凉山彝族自治州");
    assert_eq!(region["region"]["level"], "prefecture");
    assert_eq!(region["flags"]["sanqu_sanzhou"], true);
    assert_eq!(region["flags"]["key_support_area"], true);
    assert_eq!(region["path"][0]["code"], "510000");
    assert!(region["children"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["region"]["code"] == "513432" && c["workshops"] == 1));
    assert!(region["products"]["total"].as_i64().unwrap() >= 16);

    let (status, county) = app.json("/api/v1/regions/513432").await;
    assert_eq!(status, 200);
    assert_eq!(county["region"]["poverty_county"], true, "喜德县 is one of the 832");
    let (status, html) = app.page("/regions/513432").await;
    assert_eq!(status, 200);
    assert!(html.contains("原国家级贫困县") && html.contains("Xide"));
    for path in ["/regions", "/regions/510000", "/crafts", "/crafts/1", "/crafts/28"] {
        let (status, _) = app.page(path).await;
        assert_eq!(status, 200, "{path}");
    }
    let (_, html) = app.page("/crafts/1").await;
    assert!(html.contains("彝族漆器髹饰技艺") && html.contains("VIII-128") && html.contains("火塘彝漆工坊"));
}

#[tokio::test]
async fn static_and_media_files_are_served_and_confined() {
    let app = TestApp::spawn().await;
    let res = app.get("/static/css/site.css").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    for path in ["/static/nope.css", "/media/../Cargo.toml", "/media/%2e%2e/Cargo.toml", "/media/demo/missing.jpg"] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn every_product_names_its_makers_workshop_place_and_craft() {
    let app = TestApp::spawn().await;
    let mut products = Vec::new();
    for page in 1.. {
        let (_, list) = app.json(&format!("/api/v1/products?per_page=100&page={page}")).await;
        if items(&list).is_empty() {
            break;
        }
        products.extend(items(&list).iter().cloned());
    }
    assert!(products.len() >= 100);
    for p in &products {
        let slug = p["slug"].as_str().unwrap();
        for field in ["county_code", "province_code"] {
            assert!(p[field].as_str().is_some_and(|c| c.len() == 6), "{slug}: {field}");
        }
        assert!(p["prefecture_code"].as_str().is_some(), "{slug}: every demo county has a prefecture");
        assert!(p["heritage_item"]["name"]["zh"].is_string(), "{slug}: heritage item");
        assert!(p["workshop"]["name"]["zh"].is_string(), "{slug}: workshop");
        let makers = p["makers"].as_array().unwrap();
        assert!(!makers.is_empty(), "{slug}: makers");
        for m in makers {
            // A name appears exactly when there is an artisan page to link to.
            assert_eq!(m["display_name"].is_null(), m["worker_id"].is_null(), "{slug}");
        }
        let (status, html) = app.page(&format!("/products/{slug}")).await;
        assert_eq!(status, 200, "{slug}");
        let place = &p["place"];
        for text in [
            p["workshop"]["name"]["zh"].as_str().unwrap(),
            place["county"]["name_zh"].as_str().unwrap(),
            place["prefecture"]["name_zh"].as_str().unwrap(),
            place["province"]["name_zh"].as_str().unwrap(),
        ] {
            assert!(html.contains(text), "{slug}: page shows {text}");
        }
        let anonymous = makers.iter().filter(|m| m["display_name"].is_null()).count();
        assert_eq!(html.matches("的一位手艺人").count(), anonymous, "{slug}: anonymous makers");
    }
}

#[tokio::test]
async fn a_product_is_found_by_its_workshops_province_after_any_change() {
    let app = TestApp::spawn().await;
    let count = |q: String| {
        let app = &app;
        async move { app.json(&format!("/api/v1/products?per_page=100&{q}")).await.1["total"].as_i64().unwrap() }
    };
    let (_, w) = app.json("/api/v1/workshops/xide-yi-lacquer").await;
    let theirs = w["products"].as_array().unwrap().len() as i64;
    assert!(theirs > 0);
    let sichuan = count("province=510000".into()).await;
    let tibet = count("province=540000".into()).await;
    // The workshop moves (as a correction of its place would move it); its pieces move with it.
    app.execute(
        "UPDATE workshops SET province_code = '540000', prefecture_code = '540100', county_code = '540102' \
         WHERE slug = 'xide-yi-lacquer'",
    );
    assert_eq!(count("province=510000".into()).await, sichuan - theirs);
    assert_eq!(count("province=540000".into()).await, tibet + theirs);
    let moved = count("province=540000&workshop=xide-yi-lacquer".into()).await;
    assert_eq!(moved, theirs, "found under the new province");
    // A new piece takes its workshop's province as it is written, by any path.
    app.execute(
        "INSERT INTO products (slug, trace_code, workshop_id, heritage_item_id, title_zh, title_en, description_zh, \
         description_en, materials_zh, materials_en, price_fen, currency, stock, made_to_order, wage_rule, wage_bp, \
         status, featured, sold_count, created_at, updated_at, category) \
         SELECT 'moved-new-piece', 'MOVED0001', p.workshop_id, p.heritage_item_id, p.title_zh, p.title_en, \
         p.description_zh, p.description_en, p.materials_zh, p.materials_en, p.price_fen, p.currency, 1, p.made_to_order, \
         p.wage_rule, p.wage_bp, p.status, p.featured, 0, p.created_at, p.updated_at, p.category \
         FROM products p WHERE p.slug = 'xide-yi-lacquer-wine-cup-set'",
    );
    assert_eq!(count("province=540000&workshop=xide-yi-lacquer".into()).await, theirs + 1);
}

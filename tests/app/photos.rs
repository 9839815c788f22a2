//! Photo uploads with real files: EXIF orientation and GPS stripped from every variant,
//! PNG and WebP accepted, and broken, disguised, oversized and bomb files refused with a
//! clear message and nothing left on disk.

use crate::photo_files::{self, metadata_found, pixel};
use crate::support::TestApp;
use crate::users::User;

/// How many files lie under `dir`, at any depth (0 when it does not exist).
pub fn files_under(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries.flatten().map(|e| if e.path().is_dir() { files_under(&e.path()) } else { 1 }).sum()
}

#[tokio::test]
async fn uploads_are_upright_stripped_resized_and_bad_files_leave_nothing() {
    let app = TestApp::spawn_config(true, |c| {
        c.media_dir = c.data_dir.join("media");
        c.photos.max_bytes = 2 * 1024 * 1024;
    })
    .await;
    let editor = User::demo(&app, "editor").await;
    let w = editor.workshop_id().await;
    let (_, products) = editor.get_json(&format!("/api/v1/portal/workshops/{w}/products")).await;
    let product = products[0]["id"].as_i64().unwrap();
    let url = format!("/api/v1/portal/products/{product}/photos");
    let photos_dir = app.data_dir.join("media").join("photos");

    // A phone photo: 1800×1200 stored sideways, orientation 6, with GPS.
    let original = photo_files::jpeg_with_exif(1800, 1200, 6);
    assert!(!metadata_found(&original).is_empty(), "the test file carries EXIF");
    let (status, body) = editor.upload(&url, "IMG_0001.jpg", original).await;
    assert_eq!(status, 200, "{body}");
    let (_, p) = editor.get_json(&format!("/api/v1/portal/products/{product}")).await;
    let photo = p["photos"].as_array().unwrap().iter().find(|ph| ph["id"] == body["id"]).unwrap().clone();
    assert_eq!((photo["width"].as_i64(), photo["height"].as_i64()), (Some(1200), Some(1800)), "upright");
    assert_eq!(photo["variant_widths"], "320,800", "no variant wider than the photo");
    assert_eq!(photo["alt_en"], "A lacquer bowl");
    let dir = app.data_dir.join("media").join(photo["path"].as_str().unwrap()).parent().unwrap().to_path_buf();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap();
        assert_eq!(metadata_found(&bytes), Vec::<String>::new(), "{} carries metadata", entry.path().display());
        // The red quarter of the sideways original is at the top right once upright.
        let img = image::load_from_memory(&bytes).unwrap();
        let (w, h) = (img.width(), img.height());
        assert!(h > w, "{} is upright", entry.path().display());
        let (r, _, b) = pixel(&bytes, w - w / 8, h / 8);
        assert!(r > 150 && b < 100, "red at the top right of {}", entry.path().display());
        checked += 1;
    }
    assert_eq!(checked, 4, "two sizes in JPEG and WebP");
    // The files are served. A new photo on a live product sends it back to review; once
    // approved, the product page offers the sizes to the browser.
    let res =
        editor.client.get(editor.url(&format!("/media/{}", photo["path"].as_str().unwrap()))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let (_, p) = editor.get_json(&format!("/api/v1/portal/products/{product}")).await;
    assert_eq!(p["status"], "in_review");
    let slug = p["slug"].as_str().unwrap().to_owned();
    assert_eq!(app.page(&format!("/products/{slug}")).await.0, 404, "off the storefront while in review");
    let operator = User::demo(&app, "operator").await;
    let approve = serde_json::json!({"decision": "approve"});
    assert_eq!(operator.post_json(&format!("/api/v1/portal/products/{product}/review"), &approve).await.0, 200);
    let (_, html) = app.page(&format!("/products/{slug}")).await;
    let dir_url = format!("/media/{}", photo["path"].as_str().unwrap().rsplit_once('/').unwrap().0);
    assert!(html.contains(&format!("{dir_url}/320.jpg 320w, {dir_url}/800.jpg 800w")), "srcset on the product page");

    for (name, bytes) in [("a.png", photo_files::png(640, 480)), ("a.webp", photo_files::webp(640, 480))] {
        let (status, body) = editor.upload(&url, name, bytes).await;
        assert_eq!(status, 200, "{name}: {body}");
    }
    let before = files_under(&photos_dir);
    let oversized = {
        let mut big = photo_files::jpeg_with_exif(64, 64, 1);
        big.resize(3 * 1024 * 1024, 0);
        big
    };
    for (name, bytes, status, words) in [
        ("cut.jpg", photo_files::truncated_jpeg(), 400, "损坏或不完整"),
        ("notes.jpg", photo_files::text_as_jpg(), 400, "不是照片"),
        ("huge.jpg", oversized, 413, "照片太大"),
        ("bomb.png", photo_files::png_bomb(), 400, "像素太多"),
    ] {
        let (got, body) = editor.upload(&url, name, bytes).await;
        assert_eq!(got, status, "{name}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(words), "{name}: {body}");
        assert_eq!(files_under(&photos_dir), before, "{name} left files behind");
    }
    let (_, p) = editor.get_json(&format!("/api/v1/portal/products/{product}")).await;
    let uploaded: Vec<_> = p["photos"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|ph| ph["path"].as_str().unwrap().starts_with("photos/"))
        .cloned()
        .collect();
    assert_eq!(uploaded.len(), 3);

    // Alt text and removal by form lead back to the product; removal takes the files along.
    let last = &uploaded[2];
    let (status, to) =
        editor.form(&format!("/portal/photos/{}", last["id"]), &[("alt_zh", "银饰"), ("alt_en", "Silver")]).await;
    assert_eq!((status, to), (303, format!("/portal/products/{product}")));
    let (_, p) = editor.get_json(&format!("/api/v1/portal/products/{product}")).await;
    assert!(p["photos"].as_array().unwrap().iter().any(|ph| ph["alt_en"] == "Silver"));
    // Deleting asks first: the confirmation page's form says "yes".
    let (status, to) = editor.form(&format!("/portal/photos/{}/delete", last["id"]), &[]).await;
    assert_eq!((status, to), (303, format!("/portal/photos/{}/delete", last["id"])));
    let (status, page) = editor.page(&format!("/portal/photos/{}/delete", last["id"])).await;
    assert!(status == 200 && page.contains("name=\"confirm\" value=\"yes\""), "{page}");
    let (status, _) = editor.form(&format!("/portal/photos/{}/delete", last["id"]), &[("confirm", "yes")]).await;
    assert_eq!(status, 303);
    let dir = app.data_dir.join("media").join(last["path"].as_str().unwrap()).parent().unwrap().to_path_buf();
    assert!(!dir.exists(), "the photo's files are gone");
    let sizes = last["variant_widths"].as_str().unwrap().split(',').count();
    assert_eq!(files_under(&photos_dir), before - 2 * sizes, "a JPEG and a WebP per size");
}

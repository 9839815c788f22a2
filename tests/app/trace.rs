//! The trace page behind a product tag and its QR code.

use crate::support::TestApp;

#[tokio::test]
async fn trace_page_and_qr_code_resolve_to_the_trace_url() {
    let app = TestApp::spawn().await;
    let (_, p) = app.json("/api/v1/products/xide-yi-lacquer-wine-cup-set").await;
    let code = p["trace_code"].as_str().unwrap();
    let (status, html) = app.page(&format!("/t/{code}")).await;
    assert_eq!(status, 200);
    for text in ["火塘彝漆工坊", "喜德县", "彝族漆器髹饰技艺", code] {
        assert!(html.contains(text), "trace page shows {text}");
    }
    // Codes are case-insensitive, as people type them from a tag.
    let (status, _) = app.page(&format!("/t/{}", code.to_lowercase())).await;
    assert_eq!(status, 200);

    let res = app.get(&format!("/t/{code}.png")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    let png = res.bytes().await.unwrap();
    let img = image::load_from_memory(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    let (_, content) = grids[0].decode().unwrap();
    assert_eq!(content, format!("{}/t/{code}", app.base));
    // The decoded URL leads back to the page.
    let res = app.client.get(&content).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

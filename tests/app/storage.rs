//! Photos and vouchers in an S3-compatible store (issue 19): moto in server mode, started by
//! the test command. A photo uploaded through one node is served by another, whose own disk
//! never held it, and so are the demo's pictures one node drew; deleting it removes it for
//! both; vouchers live apart from the public photos; `gongfang media import` copies a data dir
//! into the store.

use crate::photo_files;
use crate::photos::files_under;
use crate::support::{skip, TestApp};
use crate::users::User;
use gongfang::config::storage::S3Config;
use gongfang::config::StorageConfig;
use gongfang::storage::Storage;

/// A fresh bucket on the test store, or `None` (and a skip) without one.
pub async fn bucket() -> Option<(String, String)> {
    let Ok(endpoint) = std::env::var("TEST_S3_ENDPOINT") else {
        skip("no S3-compatible store: TEST_S3_ENDPOINT is set by tests/run (moto from PyPI)");
        return None;
    };
    let name = format!("gf-{}", gongfang::accounts::secrets::new_token().to_lowercase().replace('_', "-"))
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(40)
        .collect::<String>();
    let res = reqwest::Client::new().put(format!("{endpoint}/{name}")).send().await.unwrap();
    assert!(res.status().is_success(), "creating bucket {name}: {}", res.status());
    Some((endpoint, name))
}

/// The test store's settings for `bucket`.
pub fn s3(endpoint: &str, bucket: &str) -> StorageConfig {
    StorageConfig::S3(S3Config {
        bucket: bucket.to_owned(),
        prefix: "gongfang".into(),
        endpoint: Some(endpoint.to_owned()),
        region: "us-east-1".into(),
        access_key_id: Some("testing".into()),
        secret_access_key: Some("testing".into()),
    })
}

#[tokio::test]
async fn a_photo_uploaded_through_one_node_is_served_by_another() {
    let Some((endpoint, name)) = bucket().await else { return };
    let config = s3(&endpoint, &name);
    let a = TestApp::spawn_config(true, |c| {
        c.storage = config.clone();
        c.media_dir = c.data_dir.join("media");
    })
    .await;
    let b = a
        .another_node(|c| {
            c.storage = config.clone();
            c.media_dir = c.data_dir.join("media");
        })
        .await;
    let editor = User::demo(&a, "editor").await;
    let w = editor.workshop_id().await;
    let (_, products) = editor.get_json(&format!("/api/v1/portal/workshops/{w}/products")).await;
    let product = products[0]["id"].as_i64().unwrap();
    // Node A drew the demo's pictures on its own disk and put them in the store at start:
    // node B, which drew none, serves them.
    let (_, p) = editor.get_json(&format!("/api/v1/portal/products/{product}")).await;
    let demo = p["photos"][0]["path"].as_str().unwrap().to_owned();
    assert!(demo.starts_with("demo/"), "{demo}");
    assert!(!b.data_dir.join("media").join(&demo).exists());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while b.get(&format!("/media/{demo}")).await.status() != 200 {
        assert!(std::time::Instant::now() < deadline, "node B never served the demo picture {demo}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let (status, body) =
        editor.upload(&format!("/api/v1/portal/products/{product}/photos"), "a.png", photo_files::png(900, 600)).await;
    assert_eq!(status, 200, "{body}");
    let (_, p) = editor.get_json(&format!("/api/v1/portal/products/{product}")).await;
    let photo = p["photos"].as_array().unwrap().iter().find(|ph| ph["id"] == body["id"]).unwrap().clone();
    let path = photo["path"].as_str().unwrap().to_owned();

    // In the bucket, under the media prefix; on neither node's disk.
    let store = Storage::open(&config, &a.data_dir.join("unused"), &a.data_dir.join("unused")).unwrap();
    let dir = path.rsplit_once('/').unwrap().0.to_owned();
    let keys = store.photos.list(Some(&dir)).await.unwrap();
    assert_eq!(keys.len(), 4, "two sizes in JPEG and WebP: {keys:?}");
    assert_eq!(files_under(&a.data_dir.join("media").join("photos")), 0, "node A kept no copy");
    assert_eq!(files_under(&b.data_dir.join("media").join("photos")), 0, "node B kept no copy");

    // Node B serves the bytes node A stored.
    let from_b = b.get(&format!("/media/{path}")).await;
    assert_eq!(from_b.status(), 200);
    let served = from_b.bytes().await.unwrap().to_vec();
    assert_eq!(served, store.photos.get(&path).await.unwrap(), "the same file");
    assert!(image::load_from_memory(&served).is_ok(), "an image");
    for bad in ["../vouchers/x.jpg", "photos/%2e%2e/x", ".hidden/x.jpg", "photos/nope/800.jpg"] {
        assert_eq!(b.get(&format!("/media/{bad}")).await.status(), 404, "{bad}");
    }

    // Vouchers are under their own prefix, out of reach of /media.
    store.vouchers.put("photos/v1-secret/800.jpg", b"private".to_vec()).await.unwrap();
    assert_eq!(b.get("/media/photos/v1-secret/800.jpg").await.status(), 404, "a voucher is never public");

    // Deleting through node A removes the files: node B answers 404.
    let (status, body) =
        editor.post_json(&format!("/api/v1/portal/photos/{}/delete", photo["id"]), &serde_json::json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(store.photos.list(Some(&dir)).await.unwrap().is_empty(), "files removed from the bucket");
    assert_eq!(b.get(&format!("/media/{path}")).await.status(), 404);
}

#[test]
fn media_import_copies_a_data_dir_into_the_store() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some((endpoint, name)) = rt.block_on(bucket()) else { return };
    let data = tempfile::tempdir().unwrap();
    let media = data.path().join("media");
    for (rel, bytes) in [("demo/a.jpg", &b"a"[..]), ("photos/p1-x/320.jpg", b"b"), ("photos/.tmp-p2-1-0/320.jpg", b"c")]
    {
        let file = media.join(rel);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, bytes).unwrap();
    }
    let voucher = data.path().join("vouchers/photos/v1-y/1600.jpg");
    std::fs::create_dir_all(voucher.parent().unwrap()).unwrap();
    std::fs::write(&voucher, b"v").unwrap();

    let run = |with_store: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gongfang"));
        cmd.args(["media", "import"])
            .env_remove("DATABASE_URL")
            .env("GONGFANG_DATA_DIR", data.path())
            .env_remove("GONGFANG_MEDIA_DIR")
            .env("RUST_LOG", "warn");
        if with_store {
            cmd.env("GONGFANG_STORAGE_URL", format!("s3://{name}/gongfang"))
                .env("GONGFANG_S3_ENDPOINT", &endpoint)
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing");
        } else {
            cmd.env_remove("GONGFANG_STORAGE_URL");
        }
        cmd.output().unwrap()
    };
    let refused = run(false);
    assert!(!refused.status.success(), "nothing to import into without a store");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("GONGFANG_STORAGE_URL"));
    for _ in 0..2 {
        let out = run(true);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.contains("copied 2 photo files and 1 voucher files"), "{said}");
    }
    let store = Storage::open(&s3(&endpoint, &name), data.path(), data.path()).unwrap();
    assert_eq!(rt.block_on(store.photos.list(None)).unwrap(), ["demo/a.jpg", "photos/p1-x/320.jpg"]);
    assert_eq!(rt.block_on(store.photos.get("demo/a.jpg")).unwrap(), b"a");
    assert_eq!(rt.block_on(store.vouchers.list(None)).unwrap(), ["photos/v1-y/1600.jpg"]);
}

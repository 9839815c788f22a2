//! The storefront in a real browser: Debian's Chromium, headless, at a phone's width. The
//! only script is the search box's suggestions, so browsing works without JavaScript.
//! (Chromium's own switch for turning scripts off also stops `--dump-dom`, so the test
//! checks for scripts.)

use crate::support::TestApp;
use std::path::Path;
use std::process::Command;

fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().find(|p| Path::new(p).exists())
}

fn headless(binary: &str, profile: &Path) -> Command {
    let mut cmd = Command::new(binary);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=390,2400",
    ]);
    cmd.arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

#[tokio::test]
async fn a_phone_browser_can_browse_and_filter_without_script() {
    let Some(binary) = chromium() else {
        crate::support::skip("chromium is not installed (apt-get install chromium)");
        return;
    };
    let app = TestApp::spawn().await;
    let profile = tempfile::tempdir().unwrap();
    let url = app.url("/products?province=510000&in_stock=true&lang=en");
    let out = tokio::task::spawn_blocking({
        let mut cmd = headless(binary, profile.path());
        cmd.arg("--dump-dom").arg(url);
        move || cmd.output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("<html lang=\"en\""), "English page");
    let cards = dom.matches("class=\"card\"").count();
    assert!(cards > 0, "the filtered list renders cards");
    assert!(dom.contains("Sichuan"), "the chosen province");
    // The one script is the search box's suggestions, an enhancement loaded from a file;
    // filtering and browsing are plain links and forms.
    assert_eq!(dom.matches("<script").count(), 1, "only the suggestion script");
    let at = dom.find("<script src=\"/static/js/suggest.js?v=").expect("loaded from a file, by its version");
    let tag = &dom[at..at + dom[at..].find('>').expect("the tag ends")];
    assert!(tag.contains(" defer"), "deferred: {tag}");

    let shot = profile.path().join("home.png");
    let out = tokio::task::spawn_blocking({
        let mut cmd = headless(binary, profile.path());
        cmd.arg(format!("--screenshot={}", shot.display())).arg(app.url("/products/xide-yi-lacquer-wine-cup-set"));
        move || cmd.output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(out.status.success());
    let img = image::open(&shot).unwrap();
    assert_eq!(img.width(), 390, "rendered at a phone's width");
    // The page is not blank: the header's dark band and the content both show.
    let rgb = img.to_rgb8();
    let dark = rgb.pixels().filter(|p| p.0.iter().all(|c| *c < 60)).count();
    let light = rgb.pixels().filter(|p| p.0.iter().all(|c| *c > 230)).count();
    assert!(dark > 1000 && light > 1000, "dark {dark}, light {light}");
}

//! Lighthouse (npm, pinned in `tests/browser`) on the storefront's first pages, as a phone
//! sees them (Lighthouse's default mobile emulation and throttling), in Debian's Chromium:
//! every category scores at least 95, and a first visit weighs under 300 KB.
//!
//! The performance score is timed on this shared machine, where other tests run beside it. As
//! Lighthouse's own guide to variability advises (docs/variability.md: "run Lighthouse
//! multiple times"), a page whose first performance score falls short is audited twice more,
//! and the median of the three is judged. The other categories are judged on the first run.

use crate::support::TestApp;
use std::path::Path;

/// The least score (0–100) each category must reach.
const MIN_SCORE: f64 = 95.0;
/// The most a first visit may transfer, in bytes.
const MAX_BYTES: f64 = 300.0 * 1024.0;

fn lighthouse_cli() -> Option<std::path::PathBuf> {
    let cli = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/node_modules/lighthouse/cli/index.js");
    if !cli.exists() {
        crate::support::skip("lighthouse is not installed (cd tests/browser && npm ci)");
        return None;
    }
    if !Path::new("/usr/bin/chromium").exists() {
        crate::support::skip("chromium is not installed (apt-get install chromium)");
        return None;
    }
    Some(cli)
}

fn performance_of(report: &serde_json::Value) -> f64 {
    report["categories"]["performance"]["score"].as_f64().unwrap_or(0.0) * 100.0
}

/// The performance score to judge: the first run's when it passes, else the median of it and
/// two more runs.
async fn median_performance(cli: &Path, url: &str, first: &serde_json::Value) -> f64 {
    let mut scores = vec![performance_of(first)];
    if scores[0] >= MIN_SCORE {
        return scores[0];
    }
    for _ in 0..2 {
        scores.push(performance_of(&audit(cli, url).await));
    }
    scores.sort_by(f64::total_cmp);
    println!("lighthouse {url}: performance {scores:?}, median {}", scores[1]);
    scores[1]
}

/// Runs Lighthouse on `url` and returns its JSON report.
async fn audit(cli: &Path, url: &str) -> serde_json::Value {
    let out_dir = tempfile::tempdir().unwrap();
    let report = out_dir.path().join("report.json");
    let profile = out_dir.path().join("profile");
    let mut cmd = std::process::Command::new("node");
    cmd.arg(cli)
        .arg(url)
        .args(["--output=json", "--quiet", "--max-wait-for-load=60000"])
        .arg("--only-categories=performance,accessibility,best-practices,seo")
        .arg(format!("--output-path={}", report.display()))
        .arg(format!(
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
             --disable-background-networking --disable-component-update --no-first-run --user-data-dir={}",
            profile.display()
        ))
        .env("CHROME_PATH", "/usr/bin/chromium");
    let output = tokio::task::spawn_blocking(move || cmd.output()).await.unwrap().expect("node runs");
    assert!(output.status.success(), "lighthouse on {url}: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap()
}

#[tokio::test]
async fn the_storefronts_first_pages_score_95_in_every_category_and_weigh_under_300_kb() {
    let Some(cli) = lighthouse_cli() else { return };
    let app = TestApp::spawn().await;
    let slug = {
        let (_, body) = app.json("/api/v1/products?per_page=1").await;
        body["items"][0]["slug"].as_str().expect("a product").to_string()
    };
    let mut failures = Vec::new();
    for path in ["/", "/products", &format!("/products/{slug}"), "/search?q=%E6%BC%86%E5%99%A8"] {
        let report = audit(&cli, &app.url(path)).await;
        let performance = median_performance(&cli, &app.url(path), &report).await;
        let mut line = format!("{path}:");
        for (id, category) in report["categories"].as_object().unwrap() {
            let first = category["score"].as_f64().unwrap_or(0.0) * 100.0;
            let score = if id == "performance" { performance } else { first };
            line.push_str(&format!(" {id} {score:.0}"));
            if score < MIN_SCORE {
                let failing: Vec<String> = category["auditRefs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| r["weight"].as_f64().unwrap_or(0.0) > 0.0)
                    .filter_map(|r| {
                        let a = &report["audits"][r["id"].as_str().unwrap()];
                        let s = a["score"].as_f64()?;
                        (s < 0.9)
                            .then(|| format!("{} ({:.2}) {}", a["id"], s, a["displayValue"].as_str().unwrap_or("")))
                    })
                    .collect();
                failures.push(format!("{path}: {id} scores {score:.0}: {}", failing.join("; ")));
            }
        }
        let bytes = report["audits"]["total-byte-weight"]["numericValue"].as_f64().unwrap_or(f64::MAX);
        line.push_str(&format!(", {:.0} KB", bytes / 1024.0));
        if bytes > MAX_BYTES {
            failures.push(format!("{path}: a first visit weighs {:.0} KB", bytes / 1024.0));
        }
        println!("lighthouse {line}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

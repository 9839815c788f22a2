//! Reading the site as a person clicks through it: the same-site pages a page links to, and
//! the "shape" of a path, so that a crawl reads a few pages of each kind rather than every
//! product. Used by the untranslated-codes crawl and the accessibility sweep.

/// Same-site pages linked from `html`: GET links only, no files, no API, no sign-out.
pub fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in html.match_indices("href=\"/") {
        let rest = &html[i + 6..];
        let Some(end) = rest.find('"') else { continue };
        let href = crate::support::unescape(&rest[..end]);
        let skip =
            ["/static/", "/media/", "/api/", "/logout", "format=", "/export", ".png", ".pdf", ".csv", ".xlsx", "lang="];
        if !skip.iter().any(|s| href.contains(s)) {
            out.push(href.split('#').next().unwrap_or("").to_string());
        }
    }
    out
}

/// The shape of a path, so that the crawl reads a few pages of each kind, not every product.
pub fn shape(href: &str) -> String {
    let path = href.split('?').next().unwrap_or("");
    let mut parts = path.split('/').filter(|s| !s.is_empty());
    let first = parts.next().unwrap_or("").to_string();
    let depth = parts.count();
    let query = href
        .split_once('?')
        .map(|(_, q)| q.split('&').map(|kv| kv.split('=').next().unwrap_or("")).collect::<Vec<_>>().join("&"));
    format!("{first}/{depth}?{}", query.unwrap_or_default())
}

/// Reads pages breadth-first from `start`, at most `limit` of them and two of each shape,
/// following the links of each. `read` fetches a page and answers its HTML (or `None` when it
/// is not a page) after checking it. Returns how many pages were read.
pub async fn crawl(start: &[&str], limit: usize, mut read: impl AsyncFnMut(&str) -> Option<String>) -> usize {
    let mut queue: std::collections::VecDeque<String> = start.iter().map(|s| s.to_string()).collect();
    let mut seen: std::collections::HashSet<String> = queue.iter().cloned().collect();
    let mut shapes: std::collections::HashMap<String, usize> = Default::default();
    let mut pages = 0;
    while let Some(href) = queue.pop_front() {
        if pages >= limit {
            break;
        }
        let count = shapes.entry(shape(&href)).or_default();
        if *count >= 2 && !start.contains(&href.as_str()) {
            continue;
        }
        *count += 1;
        let Some(html) = read(&href).await else { continue };
        pages += 1;
        for link in links(&html) {
            if seen.insert(link.clone()) {
                queue.push_back(link);
            }
        }
    }
    pages
}

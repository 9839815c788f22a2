//! Charts drawn on the server as SVG: no script and no CDN, readable in print and on a phone
//! (they scale to the page's width through their `viewBox`). Colours come from the stylesheet
//! through classes, and every bar carries a `<title>` with its exact value.

use std::fmt::Write;

/// Escapes text for SVG content and attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One bar of the share chart: a label and a share in tenths of a percent (none: no workers).
pub struct ShareBar {
    pub label: String,
    pub permille: Option<i64>,
}

/// Horizontal bars of the poor-household headcount share per row, with the threshold drawn as
/// a line; bars below it are marked `below`.
pub fn share_bars(title: &str, bars: &[ShareBar], threshold_bp: i64, threshold_label: &str) -> String {
    let (label_w, chart_w, row_h, top) = (150.0, 300.0, 22.0, 28.0);
    let height = top + row_h * bars.len().max(1) as f64 + 24.0;
    let width = label_w + chart_w + 60.0;
    let x = |permille: i64| label_w + chart_w * (permille.clamp(0, 1000) as f64) / 1000.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = top + row_h * i as f64;
        let _ = write!(
            s,
            r#"<text class="label" x="{}" y="{}" text-anchor="end">{}</text>"#,
            label_w - 6.0,
            y + 15.0,
            esc(&b.label)
        );
        match b.permille {
            Some(p) => {
                let class = if p * 10 < threshold_bp { "bar below" } else { "bar" };
                let text = format!("{}.{}%", p / 10, p % 10);
                let _ = write!(
                    s,
                    r#"<rect class="{class}" x="{label_w}" y="{}" width="{:.1}" height="{}"><title>{} {}</title></rect><text class="value" x="{:.1}" y="{}">{}</text>"#,
                    y + 3.0,
                    x(p) - label_w,
                    row_h - 6.0,
                    esc(&b.label),
                    text,
                    x(p) + 4.0,
                    y + 15.0,
                    text
                );
            }
            None => {
                let _ = write!(s, r#"<text class="value" x="{}" y="{}">—</text>"#, label_w + 4.0, y + 15.0);
            }
        }
    }
    let tx = x(threshold_bp / 10);
    let _ = write!(
        s,
        r#"<line class="threshold" x1="{tx:.1}" y1="{}" x2="{tx:.1}" y2="{}"/><text class="threshold-label" x="{tx:.1}" y="{}" text-anchor="middle">{}</text></svg>"#,
        top - 6.0,
        height - 18.0,
        top - 10.0,
        esc(threshold_label)
    );
    s
}

/// One month of the trend: wages attributed, and the part to poor-household workers, in fen.
pub struct MonthBar {
    pub month: String,
    pub wages_fen: i64,
    pub poor_wages_fen: i64,
}

/// Monthly columns of wages attributed, with the poor-household part drawn inside each.
pub fn trend(title: &str, months: &[MonthBar], legend: (&str, &str)) -> String {
    let (left, plot_h, top, col_w) = (56.0, 160.0, 30.0, 30.0);
    let width = left + col_w * months.len().max(1) as f64 + 10.0;
    let height = top + plot_h + 40.0;
    let max = months.iter().map(|m| m.wages_fen.max(m.poor_wages_fen)).max().unwrap_or(0).max(1);
    let h = |fen: i64| plot_h * (fen.max(0) as f64) / (max as f64);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
    let _ = write!(
        s,
        r#"<text class="axis" x="{}" y="{}" text-anchor="end">¥{}</text><text class="axis" x="{}" y="{}" text-anchor="end">0</text>"#,
        left - 4.0,
        top + 4.0,
        yuan_short(max),
        left - 4.0,
        top + plot_h
    );
    let _ = write!(
        s,
        r#"<line class="axis-line" x1="{left}" y1="{}" x2="{}" y2="{}"/>"#,
        top + plot_h,
        width - 6.0,
        top + plot_h
    );
    for (i, m) in months.iter().enumerate() {
        let x = left + col_w * i as f64 + 4.0;
        let (hw, hp) = (h(m.wages_fen), h(m.poor_wages_fen));
        let _ = write!(
            s,
            r#"<rect class="bar" x="{x:.1}" y="{:.1}" width="{}" height="{hw:.1}"><title>{} {}: ¥{}</title></rect><rect class="bar poor" x="{x:.1}" y="{:.1}" width="{}" height="{hp:.1}"><title>{} {}: ¥{}</title></rect><text class="label" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            top + plot_h - hw,
            col_w - 8.0,
            esc(&m.month),
            esc(legend.0),
            crate::domain::Fen(m.wages_fen).yuan_grouped(),
            top + plot_h - hp,
            col_w - 8.0,
            esc(&m.month),
            esc(legend.1),
            crate::domain::Fen(m.poor_wages_fen).yuan_grouped(),
            x + (col_w - 8.0) / 2.0,
            top + plot_h + 14.0,
            esc(m.month.get(5..).unwrap_or(&m.month))
        );
    }
    let _ = write!(
        s,
        r#"<rect class="bar" x="{left}" y="8" width="10" height="10"/><text class="legend" x="{}" y="17">{}</text><rect class="bar poor" x="{}" y="8" width="10" height="10"/><text class="legend" x="{}" y="17">{}</text></svg>"#,
        left + 14.0,
        esc(legend.0),
        left + 110.0,
        left + 124.0,
        esc(legend.1)
    );
    s
}

/// Horizontal bars of amounts in fen (sales by heritage item, say), scaled to the largest,
/// each with its exact value in yuan.
pub fn amount_bars(title: &str, bars: &[(String, i64)]) -> String {
    let (label_w, chart_w, row_h, top) = (150.0, 260.0, 22.0, 10.0);
    let height = top + row_h * bars.len().max(1) as f64 + 10.0;
    let width = label_w + chart_w + 110.0;
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
    for (i, (label, fen)) in bars.iter().enumerate() {
        let y = top + row_h * i as f64;
        let w = chart_w * (*fen).max(0) as f64 / max as f64;
        let text = format!("¥{}", crate::domain::Fen(*fen).yuan_grouped());
        let _ = write!(
            s,
            r#"<text class="label" x="{}" y="{}" text-anchor="end">{}</text><rect class="bar" x="{label_w}" y="{}" width="{w:.1}" height="{}"><title>{} {}</title></rect><text class="value" x="{:.1}" y="{}">{}</text>"#,
            label_w - 6.0,
            y + 15.0,
            esc(label),
            y + 3.0,
            row_h - 6.0,
            esc(label),
            text,
            label_w + w + 4.0,
            y + 15.0,
            text
        );
    }
    s.push_str("</svg>");
    s
}

/// The dashboard's two charts in a language: the headcount share of each row against the
/// threshold, and the monthly trend of wages.
pub fn dashboard_charts(d: &super::Dashboard, lang: crate::i18n::Lang, i18n: &crate::i18n::I18n) -> (String, String) {
    let zh = lang == crate::i18n::Lang::Zh;
    let bars: Vec<ShareBar> = d
        .rows
        .iter()
        .map(|r| ShareBar {
            label: if zh { r.name_zh.clone() } else { r.name_en.clone() },
            permille: r.figures.headcount_share.permille(),
        })
        .collect();
    let shares = share_bars(&i18n.text(lang, "report.chart_share"), &bars, d.threshold_bp, &d.threshold_text);
    let months: Vec<MonthBar> = d
        .months
        .iter()
        .map(|(m, f)| MonthBar { month: m.clone(), wages_fen: f.wages_fen, poor_wages_fen: f.poor_wages_fen })
        .collect();
    let trend = trend(
        &i18n.text(lang, "report.chart_trend"),
        &months,
        (&i18n.text(lang, "report.wages_fen"), &i18n.text(lang, "report.poor_wages_fen")),
    );
    (shares, trend)
}

/// A short yuan amount for an axis: ¥1.2万, ¥3,456.
fn yuan_short(fen: i64) -> String {
    let yuan = fen / 100;
    if yuan >= 10_000 {
        format!("{}.{}万", yuan / 10_000, (yuan % 10_000) / 1_000)
    } else {
        crate::domain::Fen(yuan * 100).yuan_grouped().trim_end_matches(".00").to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_the_threshold_is_drawn() {
        let svg = share_bars(
            "share",
            &[
                ShareBar { label: "<b>甲</b>".into(), permille: Some(250) },
                ShareBar { label: "乙".into(), permille: Some(300) },
            ],
            3000,
            "30%",
        );
        assert!(svg.contains("&lt;b&gt;甲&lt;/b&gt;") && !svg.contains("<b>"));
        assert_eq!(svg.matches("bar below").count(), 1, "only the 25% bar is below 30%");
        assert!(svg.contains(r#"class="threshold""#));
        let t =
            trend("t", &[MonthBar { month: "2026-11".into(), wages_fen: 12_345_600, poor_wages_fen: 100 }], ("a", "b"));
        assert!(t.contains("¥12.3万") && t.contains(">11<"));
        let a = amount_bars("a", &[("<i>漆器</i>".into(), 123_456), ("银饰".into(), 0)]);
        assert!(a.contains("&lt;i&gt;漆器") && a.contains("¥1,234.56") && a.contains(r#"width="0.0""#));
    }
}

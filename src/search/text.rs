//! Text analysis shared by the embedded engine and the highlighter: Chinese word segmentation
//! (jieba), lower-casing, the typo budget by word length, and synonym expansion from
//! `search-config/synonyms.toml`.

use jieba_rs::Jieba;
use std::collections::HashSet;
use std::ops::Range;
use std::sync::Arc;

/// One word of a text, with its byte range in that text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Lower-cased.
    pub text: String,
    pub bytes: Range<usize>,
}

/// Splits text into lower-cased words. Chinese is segmented by jieba; other scripts split on
/// anything that is not a letter or digit. Cheap to clone (the dictionary is shared).
#[derive(Clone)]
pub struct Analyzer {
    jieba: Arc<Jieba>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Analyzer")
    }
}

impl Analyzer {
    /// Loads jieba's dictionary (about a tenth of a second; do it once).
    pub fn new() -> Analyzer {
        Analyzer { jieba: Arc::new(Jieba::new()) }
    }

    /// The words of `text`. With `for_index`, long Chinese words also yield the shorter words
    /// inside them (苗族刺绣 → 苗族, 刺绣, 苗族刺绣), so that a query for either finds it.
    pub fn words(&self, text: &str, for_index: bool) -> Vec<Word> {
        // jieba counts in characters; tokens need byte offsets.
        let char_starts: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
        let byte = |c: usize| char_starts.get(c).copied().unwrap_or(text.len());
        let tokens = if for_index { self.jieba.cut_for_search(text, true) } else { self.jieba.cut(text, true) };
        let mut words = Vec::with_capacity(tokens.len());
        for t in tokens {
            let start = byte(t.start);
            // jieba yields runs of Latin text as one token when not split by a separator,
            // and yields separators as tokens of their own: split and drop those.
            let mut run_start = None;
            for (i, ch) in t.word.char_indices().chain([(t.word.len(), ' ')]) {
                match (ch.is_alphanumeric(), run_start) {
                    (true, None) => run_start = Some(i),
                    (false, Some(s)) => {
                        words.push(Word { text: t.word[s..i].to_lowercase(), bytes: start + s..start + i });
                        run_start = None;
                    }
                    _ => {}
                }
            }
        }
        words
    }
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new()
    }
}

/// Whether a word is written in Han characters (no typo tolerance applies to those: one
/// character changed is another word).
pub fn is_han(word: &str) -> bool {
    word.chars().any(|c| matches!(c, '\u{3400}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '\u{20000}'..='\u{2ffff}'))
}

/// How many typos a query word may carry, by its length: the same rule as Meilisearch's
/// `minWordSizeForTypos` (one from `one`, two from `two` characters).
pub fn typo_budget(word: &str, one: usize, two: usize) -> u8 {
    if is_han(word) || word.chars().any(|c| c.is_ascii_digit()) {
        return 0;
    }
    let n = word.chars().count();
    if n >= two {
        2
    } else if n >= one {
        1
    } else {
        0
    }
}

/// Levenshtein distance with adjacent transpositions counted as one edit, capped at
/// `max + 1` (the caller only cares whether it is within `max`).
pub fn edit_distance(a: &str, b: &str, max: u8) -> u8 {
    let a: Vec<char> = a.chars().collect();
    edit_distance_chars(&a, b, max)
}

fn edit_distance_chars(a: &[char], b: &str, max: u8) -> u8 {
    let b: Vec<char> = b.chars().collect();
    let cap = usize::from(max) + 1;
    if a.len().abs_diff(b.len()) >= cap {
        return max.saturating_add(1);
    }
    let mut prev2 = vec![0usize; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0usize; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    u8::try_from(prev[b.len()].min(cap)).unwrap_or(u8::MAX)
}

/// One way to match part of a query: all of these words (a synonym may be several words).
pub type Alternative = Vec<String>;

/// A query split into parts; each part matches if any of its alternatives does, and a
/// document must match every part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryPlan {
    pub parts: Vec<Vec<Alternative>>,
    /// The query's last word may be the start of a longer one (search as you type).
    pub last_is_prefix: bool,
}

/// Synonym groups, analysed once: each entry is one phrase as a list of words.
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    groups: Vec<Vec<Alternative>>,
}

impl Synonyms {
    pub fn new(analyzer: &Analyzer, groups: &[Vec<String>]) -> Synonyms {
        let groups = groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(|phrase| analyzer.words(phrase, false).into_iter().map(|w| w.text).collect::<Vec<_>>())
                    .filter(|w: &Vec<String>| !w.is_empty())
                    .collect()
            })
            .collect();
        Synonyms { groups }
    }

    /// Plans a query: words covered by a synonym phrase become one part whose alternatives
    /// are every phrase of its group (longest phrase first wins); other words stand alone.
    pub fn plan(&self, words: &[String]) -> QueryPlan {
        let mut parts = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let mut best: Option<(usize, &Vec<Alternative>)> = None;
            for group in &self.groups {
                for phrase in group {
                    let n = phrase.len();
                    if n > 0
                        && i + n <= words.len()
                        && words[i..i + n] == phrase[..]
                        && best.is_none_or(|(len, _)| n > len)
                    {
                        best = Some((n, group));
                    }
                }
            }
            match best {
                Some((n, group)) => {
                    let mut alts: Vec<Alternative> = vec![words[i..i + n].to_vec()];
                    for phrase in group {
                        if !alts.contains(phrase) {
                            alts.push(phrase.clone());
                        }
                    }
                    parts.push(alts);
                    i += n;
                }
                None => {
                    parts.push(vec![vec![words[i].clone()]]);
                    i += 1;
                }
            }
        }
        let last_is_prefix = parts.last().is_some_and(|alts| alts.len() == 1);
        QueryPlan { parts, last_is_prefix }
    }
}

/// Marks a plan's words in result titles: exact matches, typo matches within the budget, and
/// the last word as a prefix. Built once per search and used for every hit.
#[derive(Debug, Clone)]
pub struct Highlighter {
    wanted: HashSet<String>,
    /// Words that may match with typos, with their budget and length in characters.
    typo_words: Vec<(Vec<char>, u8)>,
    prefix: Option<String>,
}

impl Highlighter {
    pub fn new(plan: &QueryPlan, typo_sizes: (usize, usize)) -> Highlighter {
        let wanted: HashSet<String> = plan.parts.iter().flatten().flatten().cloned().collect();
        let typo_words = wanted
            .iter()
            .filter_map(|w| {
                let budget = typo_budget(w, typo_sizes.0, typo_sizes.1);
                (budget > 0).then(|| (w.chars().collect(), budget))
            })
            .collect();
        let prefix = plan
            .parts
            .last()
            .and_then(|alts| alts.first())
            .and_then(|w| w.last())
            .filter(|w| plan.last_is_prefix && !is_han(w))
            .cloned();
        Highlighter { wanted, typo_words, prefix }
    }

    /// Byte ranges of `text` to mark.
    pub fn ranges(&self, analyzer: &Analyzer, text: &str) -> Vec<Range<usize>> {
        if self.wanted.is_empty() {
            return Vec::new();
        }
        let mut ranges: Vec<Range<usize>> = analyzer
            .words(text, true)
            .into_iter()
            .filter(|w| {
                self.wanted.contains(&w.text)
                    || self.prefix.as_ref().is_some_and(|p| w.text.starts_with(p.as_str()))
                    || (!self.typo_words.is_empty() && !is_han(&w.text) && self.near(&w.text))
            })
            .map(|w| w.bytes)
            .collect();
        ranges.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
        // Search-mode segmentation yields overlapping words: merge them.
        let mut merged: Vec<Range<usize>> = Vec::new();
        for r in ranges {
            match merged.last_mut() {
                Some(m) if r.start <= m.end => m.end = m.end.max(r.end),
                _ => merged.push(r),
            }
        }
        merged
    }

    fn near(&self, word: &str) -> bool {
        let n = word.chars().count();
        self.typo_words.iter().any(|(q, budget)| {
            q.len().abs_diff(n) <= usize::from(*budget) && edit_distance_chars(q, word, *budget) <= *budget
        })
    }
}

/// `text` as HTML with the ranges wrapped in `<mark>`; everything else escaped.
pub fn marked_html(text: &str, ranges: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len() + ranges.len() * 13);
    let mut at = 0;
    for r in ranges {
        let (Some(before), Some(inside)) = (text.get(at..r.start), text.get(r.start..r.end)) else { continue };
        escape_into(&mut out, before);
        out.push_str("<mark>");
        escape_into(&mut out, inside);
        out.push_str("</mark>");
        at = r.end;
    }
    escape_into(&mut out, text.get(at..).unwrap_or_default());
    out
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(words: Vec<Word>) -> Vec<String> {
        words.into_iter().map(|w| w.text).collect()
    }

    #[test]
    fn segments_chinese_and_splits_latin() {
        let a = Analyzer::new();
        let w = texts(a.words("彝族漆器 Lacquer-Ware, 2 cups", false));
        assert!(w.contains(&"漆器".to_string()), "{w:?}");
        assert!(w.contains(&"lacquer".to_string()) && w.contains(&"ware".to_string()), "{w:?}");
        assert!(w.contains(&"2".to_string()) && w.contains(&"cups".to_string()), "{w:?}");
        assert!(w.iter().all(|t| !t.trim().is_empty() && !t.contains(',')), "{w:?}");
        // Byte ranges point back into the text.
        let text = "凉山彝绣";
        for word in a.words(text, true) {
            assert!(text.get(word.bytes.clone()).is_some());
        }
    }

    #[test]
    fn typo_rules() {
        assert_eq!(typo_budget("silk", 5, 9), 0);
        assert_eq!(typo_budget("lacqer", 5, 9), 1);
        assert_eq!(typo_budget("embroideries", 5, 9), 2);
        assert_eq!(typo_budget("漆器漆器漆器", 5, 9), 0);
        assert_eq!(edit_distance("lacqerware", "lacquerware", 2), 1);
        assert_eq!(edit_distance("embroidry", "embroidery", 1), 1);
        assert_eq!(edit_distance("ebmroidery", "embroidery", 1), 1);
        assert_eq!(edit_distance("carpet", "thangka", 2), 3);
    }

    #[test]
    fn synonyms_expand_phrases() {
        let a = Analyzer::new();
        let s = Synonyms::new(&a, &[vec!["苗绣".into(), "Miao embroidery".into(), "miaoxiu".into()]]);
        let words = |t: &str| texts(a.words(t, false));
        let plan = s.plan(&words("miao embroidery bag"));
        assert_eq!(plan.parts.len(), 2);
        assert!(plan.parts[0].contains(&words("苗绣")), "{plan:?}");
        assert!(plan.parts[0].contains(&vec!["miaoxiu".to_string()]));
        assert!(plan.last_is_prefix);
        let plan = s.plan(&words("miaoxiu"));
        assert!(!plan.last_is_prefix, "a synonym is a whole word");
    }

    #[test]
    fn highlights_escape_everything_else() {
        let a = Analyzer::new();
        let s = Synonyms::default();
        let plan = s.plan(&["lacquer".to_string()]);
        let text = "<b>Yi</b> Lacquer & \"bowl\"";
        let html = marked_html(text, &Highlighter::new(&plan, (5, 9)).ranges(&a, text));
        assert_eq!(html, "&lt;b&gt;Yi&lt;/b&gt; <mark>Lacquer</mark> &amp; &quot;bowl&quot;");
    }
}

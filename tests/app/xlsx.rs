//! Reading an XLSX file back for the tests, with the `zip` dev-dependency and plain string
//! scanning of its XML parts: every sheet's cells (value, number format, whether it is a
//! formula) and which columns are hidden.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

/// One cell as the file holds it.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    /// The text, or the number as written (`1234.5`).
    pub value: String,
    pub is_number: bool,
    pub is_formula: bool,
    /// The cell's number format (`#,##0.00`), `General` when none.
    pub format: String,
}

/// A sheet: cells by `(row, column)`, both zero-based, and the hidden columns.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub name: String,
    pub cells: BTreeMap<(u32, u32), Cell>,
    pub hidden: HashSet<u32>,
}

impl Sheet {
    /// The cells of a row, in column order.
    pub fn row(&self, r: u32) -> Vec<(u32, &Cell)> {
        self.cells.range((r, 0)..(r + 1, 0)).map(|((_, c), cell)| (*c, cell)).collect()
    }

    /// The column of row `r` that holds `text`.
    pub fn column_of(&self, r: u32, text: &str) -> Option<u32> {
        self.row(r).into_iter().find(|(_, c)| c.value == text).map(|(c, _)| c)
    }

    pub fn get(&self, r: u32, c: u32) -> Option<&Cell> {
        self.cells.get(&(r, c))
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

/// The value of `name="…"` in a tag's attributes.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("{name}=\"");
    let mut from = 0;
    while let Some(i) = tag[from..].find(&key) {
        let at = from + i;
        if at == 0 || tag.as_bytes()[at - 1].is_ascii_whitespace() {
            let rest = &tag[at + key.len()..];
            return rest.find('"').map(|e| &rest[..e]);
        }
        from = at + key.len();
    }
    None
}

/// `A` → 0, `AA` → 26.
fn column_index(letters: &str) -> u32 {
    letters.bytes().filter(u8::is_ascii_uppercase).fold(0, |n, b| n * 26 + u32::from(b - b'A' + 1)) - 1
}

/// The text between `<tag…>` and `</tag>` (the first one), if any.
fn inner<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = xml.find(&format!("<{tag}"))?;
    let after = &xml[open..];
    let start = after.find('>')? + 1;
    if after[..start].ends_with("/>") {
        return Some("");
    }
    let end = after.find(&format!("</{tag}>"))?;
    Some(&after[start..end])
}

/// Every sheet of the workbook, in order.
pub fn read(bytes: &[u8]) -> Vec<Sheet> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("an XLSX is a zip");
    let mut parts: HashMap<String, String> = HashMap::new();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let name = file.name().unwrap().into_owned();
        let mut xml = String::new();
        file.read_to_string(&mut xml).unwrap();
        parts.insert(name, xml);
    }
    let shared: Vec<String> = parts
        .get("xl/sharedStrings.xml")
        .map(|xml| {
            xml.split("<si>")
                .skip(1)
                .map(|si| {
                    si.split("<t")
                        .skip(1)
                        .filter_map(|t| t.split_once('>').map(|(_, v)| v))
                        .map(|v| unescape(v.split("</t>").next().unwrap_or("")))
                        .collect::<String>()
                })
                .collect()
        })
        .unwrap_or_default();
    let styles = parts.get("xl/styles.xml").cloned().unwrap_or_default();
    let mut formats: HashMap<u32, String> = [(0, "General"), (1, "0"), (2, "0.00"), (3, "#,##0"), (4, "#,##0.00")]
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()))
        .collect();
    for f in styles.split("<numFmt ").skip(1) {
        let tag = f.split('>').next().unwrap();
        if let (Some(id), Some(code)) = (attr(tag, "numFmtId"), attr(tag, "formatCode")) {
            formats.insert(id.parse().unwrap(), unescape(code));
        }
    }
    let xfs: Vec<u32> = inner(&styles, "cellXfs")
        .map(|x| {
            x.split("<xf ").skip(1).map(|t| attr(t, "numFmtId").and_then(|v| v.parse().ok()).unwrap_or(0)).collect()
        })
        .unwrap_or_default();
    let names: Vec<String> =
        parts["xl/workbook.xml"].split("<sheet ").skip(1).filter_map(|t| attr(t, "name").map(unescape)).collect();
    let mut sheets = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let xml = &parts[&format!("xl/worksheets/sheet{}.xml", i + 1)];
        let mut sheet = Sheet { name, ..Sheet::default() };
        for col in xml.split("<col ").skip(1) {
            let tag = col.split('>').next().unwrap();
            if attr(tag, "hidden") == Some("1") {
                let (min, max): (u32, u32) =
                    (attr(tag, "min").unwrap().parse().unwrap(), attr(tag, "max").unwrap().parse().unwrap());
                sheet.hidden.extend(min - 1..max);
            }
        }
        for c in xml.split("<c ").skip(1) {
            let tag = c.split('>').next().unwrap();
            let r = attr(tag, "r").unwrap();
            let letters: String = r.chars().take_while(char::is_ascii_uppercase).collect();
            let row: u32 = r[letters.len()..].parse::<u32>().unwrap() - 1;
            let body = if tag.ends_with('/') { "" } else { c.split_once('>').unwrap().1.split("</c>").next().unwrap() };
            let raw = inner(body, "v").map(unescape).unwrap_or_default();
            let kind = attr(tag, "t").unwrap_or("n");
            let value = match kind {
                "s" => shared[raw.parse::<usize>().unwrap()].clone(),
                "inlineStr" => inner(body, "t").map(unescape).unwrap_or_default(),
                _ => raw,
            };
            let style: usize = attr(tag, "s").and_then(|s| s.parse().ok()).unwrap_or(0);
            let format = formats.get(xfs.get(style).unwrap_or(&0)).cloned().unwrap_or_else(|| "General".into());
            let cell = Cell {
                value,
                is_number: kind == "n",
                is_formula: body.contains("<f>") || body.contains("<f "),
                format,
            };
            sheet.cells.insert((row, column_index(&letters)), cell);
        }
        sheets.push(sheet);
    }
    sheets
}

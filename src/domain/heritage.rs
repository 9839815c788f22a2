//! The heritage list's level and category, parsed from the reference data's free text
//! (`reference-data/heritage-crafts.csv` carries notes beside the value, e.g.
//! "national; UNESCO Representative List 2009" or "服饰制作 (revitalization category)").
//! Pages show them through the catalogue (`heritage_level.*`, `heritage_category.*`), never
//! the raw text.

text_enum! {
    /// Which list an item is on, as far as the sources verify it.
    HeritageLevel {
        /// On the national representative list (国家级非物质文化遗产代表性项目名录).
        National = "national",
        /// On the national list and UNESCO's Representative List.
        Unesco = "unesco",
        /// The sources did not confirm a national listing.
        NotVerified = "not_verified",
    }
}

impl HeritageLevel {
    /// Reads the reference data's text: UNESCO where named, national where it starts so,
    /// otherwise not verified.
    pub fn classify(raw: &str) -> HeritageLevel {
        let raw = raw.trim().to_ascii_lowercase();
        if raw.contains("unesco") {
            HeritageLevel::Unesco
        } else if raw.starts_with("national") {
            HeritageLevel::National
        } else {
            HeritageLevel::NotVerified
        }
    }
}

text_enum! {
    /// The national list's categories, and the 2018 traditional-crafts revitalization
    /// catalogue's (传统工艺振兴目录) categories where an item is known only from there.
    HeritageCategory {
        /// 传统技艺
        TraditionalCraftsmanship = "traditional_craftsmanship",
        /// 传统美术
        TraditionalArt = "traditional_art",
        /// 民俗
        FolkCustom = "folk_custom",
        /// 传统工艺 (the revitalization catalogue, no finer category given)
        RevitalizationCatalogue = "revitalization_catalogue",
        /// 服饰制作
        Costume = "costume",
        /// 漆器髹饰
        Lacquer = "lacquer",
        /// 纺染织绣
        Textiles = "textiles",
        /// 编织扎制
        Weaving = "weaving",
        /// 金属加工
        Metalwork = "metalwork",
        /// 食品制作
        Food = "food",
        /// 剪纸刻绘
        PaperCutting = "paper_cutting",
        /// Anything the sources name otherwise.
        Other = "other",
    }
}

impl HeritageCategory {
    /// Reads the reference data's text by its leading Chinese name.
    pub fn classify(raw: &str) -> HeritageCategory {
        let head = raw.trim().split([' ', '(', '（', ';']).next().unwrap_or("");
        match head {
            "传统技艺" => HeritageCategory::TraditionalCraftsmanship,
            "传统美术" => HeritageCategory::TraditionalArt,
            "民俗" => HeritageCategory::FolkCustom,
            "传统工艺" => HeritageCategory::RevitalizationCatalogue,
            "服饰制作" => HeritageCategory::Costume,
            "漆器髹饰" => HeritageCategory::Lacquer,
            "纺染织绣" => HeritageCategory::Textiles,
            "编织扎制" => HeritageCategory::Weaving,
            "金属加工" => HeritageCategory::Metalwork,
            "食品制作" => HeritageCategory::Food,
            "剪纸刻绘" => HeritageCategory::PaperCutting,
            _ => HeritageCategory::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_read_from_the_notes() {
        assert_eq!(HeritageLevel::classify("national"), HeritageLevel::National);
        assert_eq!(HeritageLevel::classify("national (as 珞巴族服饰, 民俗)"), HeritageLevel::National);
        assert_eq!(HeritageLevel::classify("national; UNESCO Representative List 2009"), HeritageLevel::Unesco);
        assert_eq!(HeritageLevel::classify("not verified"), HeritageLevel::NotVerified);
        assert_eq!(HeritageLevel::classify(""), HeritageLevel::NotVerified);
    }

    #[test]
    fn categories_are_read_by_their_leading_name() {
        assert_eq!(HeritageCategory::classify("传统技艺"), HeritageCategory::TraditionalCraftsmanship);
        assert_eq!(
            HeritageCategory::classify("传统工艺 (revitalization catalogue)"),
            HeritageCategory::RevitalizationCatalogue
        );
        assert_eq!(
            HeritageCategory::classify("服饰制作 (revitalization category); 珞巴族服饰 is a 民俗 ICH item"),
            HeritageCategory::Costume
        );
        assert_eq!(HeritageCategory::classify("曲艺"), HeritageCategory::Other);
    }

    #[test]
    fn every_category_in_the_reference_data_is_known() {
        let csv = include_str!("../../reference-data/heritage-crafts.csv");
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let headers = reader.headers().cloned().unwrap_or_default();
        let at = headers.iter().position(|h| h == "category").unwrap_or(usize::MAX);
        for row in reader.records().flatten() {
            let raw = row.get(at).unwrap_or("");
            assert_ne!(HeritageCategory::classify(raw), HeritageCategory::Other, "unknown category {raw:?}");
        }
    }
}

//! Product vocabulary: status, stock, maker roles and inheritor levels.

text_enum!(
    /// Where a product is in its life: draft → in review → active ⇄ suspended → archived.
    ProductStatus {
        Draft = "draft",
        InReview = "in_review",
        /// Listed in the storefront.
        Active = "active",
        Suspended = "suspended",
        Archived = "archived",
    }
);

text_enum!(
    /// What a maker did on a product.
    MakerRole {
        /// The master who designed and led the piece.
        Lead = "lead",
        Maker = "maker",
        Finishing = "finishing",
        Apprentice = "apprentice",
    }
);

text_enum!(
    /// A worker's standing as a bearer of the craft.
    InheritorLevel {
        /// 国家级代表性传承人.
        National = "national",
        /// 省级代表性传承人.
        Provincial = "provincial",
        /// 市州级代表性传承人.
        Prefectural = "prefectural",
        /// 县级代表性传承人.
        County = "county",
        /// 手艺人.
        Craftsman = "craftsman",
        /// 学徒.
        Apprentice = "apprentice",
    }
);

text_enum!(
    /// How a product's makers are paid from each sale.
    WageRuleKind {
        ShareOfNet = "share_of_net",
        PieceRate = "piece_rate",
    }
);

text_enum!(
    /// What kind of piece a product is, for buyers browsing and filtering. Names in every
    /// language are the `category.*` keys of the message catalogues.
    ProductCategory {
        Lacquerware = "lacquerware",
        Embroidery = "embroidery",
        Thangka = "thangka",
        Silver = "silver",
        Metalwork = "metalwork",
        Textiles = "textiles",
        Ceramics = "ceramics",
        Paper = "paper",
        Prints = "prints",
        Carving = "carving",
        Incense = "incense",
        Other = "other",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        for s in ProductStatus::ALL {
            assert_eq!(ProductStatus::parse(s.as_str()), Some(*s));
        }
        for r in MakerRole::ALL {
            assert_eq!(MakerRole::parse(r.as_str()), Some(*r));
        }
        assert_eq!(InheritorLevel::parse("nobody"), None);
    }
}

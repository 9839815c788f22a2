//! The money rules of DESIGN.md: how one order line's gross splits into commission, the
//! workshop's net, the wage pool and each maker's share, to the fen.

use super::money::{div_round_half_up, Fen};
use serde::{Deserialize, Serialize};

/// Basis points: 10,000 bp = 100%. Always within 0..=10,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct ShareBp(u16);

impl ShareBp {
    pub const FULL: ShareBp = ShareBp(10_000);

    pub fn new(bp: i64) -> Option<ShareBp> {
        u16::try_from(bp).ok().filter(|v| *v <= 10_000).map(ShareBp)
    }

    pub fn get(self) -> i64 {
        i64::from(self.0)
    }

    /// "37.5%" style text, without float arithmetic.
    pub fn percent_string(self) -> String {
        let whole = self.0 / 100;
        let frac = self.0 % 100;
        match frac {
            0 => format!("{whole}%"),
            f if f % 10 == 0 => format!("{whole}.{}%", f / 10),
            f => format!("{whole}.{f:02}%"),
        }
    }
}

impl TryFrom<i64> for ShareBp {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, Self::Error> {
        ShareBp::new(v).ok_or_else(|| format!("{v} is not within 0..=10000 basis points"))
    }
}

impl From<ShareBp> for i64 {
    fn from(v: ShareBp) -> i64 {
        v.get()
    }
}

/// The part of a workshop's net revenue that is the makers' wage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WageRule {
    /// A share of the net (after commission), in basis points.
    ShareOfNet { wage_bp: ShareBp },
    /// A fixed amount per unit, capped at the net.
    PieceRate { per_unit: Fen },
}

impl WageRule {
    /// The wage pool for a line with this net and quantity.
    pub fn pool(self, net: Fen, quantity: i64) -> Fen {
        match self {
            WageRule::ShareOfNet { wage_bp } => {
                Fen(div_round_half_up(i128::from(net.get()) * i128::from(wage_bp.get()), 10_000) as i64)
            }
            WageRule::PieceRate { per_unit } => Fen(per_unit.get().saturating_mul(quantity).min(net.get())),
        }
    }
}

/// A designer's share of a product's net, frozen on an order line: an explicit part of the
/// wage rule, posted to the designer's own account and never counted as a worker's wage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesignerShare {
    pub designer_id: i64,
    pub share_bp: ShareBp,
}

impl DesignerShare {
    /// The designer's part of `net` after a wage pool of `wages`: the share rounded half up,
    /// never more than the net the wages leave (the makers are paid first).
    pub fn of(self, net: Fen, wages: Fen) -> Fen {
        let exact = Fen(div_round_half_up(i128::from(net.get()) * i128::from(self.share_bp.get()), 10_000) as i64);
        Fen(exact.get().min(net.get() - wages.get()).max(0))
    }
}

/// One maker's labour share on a product, frozen on an order line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MakerShare {
    pub worker_id: i64,
    pub share_bp: ShareBp,
}

/// How one order line's money is attributed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineAttribution {
    pub gross: Fen,
    pub commission: Fen,
    pub net: Fen,
    pub wage_pool: Fen,
    /// `(worker_id, amount)` in the order the shares were given.
    pub shares: Vec<(i64, Fen)>,
    /// The designer's share, posted to the designer's own account: `(designer_id, amount)`.
    /// Never part of the wage pool.
    pub designer: Option<(i64, Fen)>,
}

impl LineAttribution {
    /// The workshop keeps the net less the wages it holds for the makers.
    pub fn workshop_keeps(&self) -> Fen {
        Fen(self.net.get() - self.wage_pool.get() - self.designer_fen().get())
    }

    /// The designer's share (zero without a designer).
    pub fn designer_fen(&self) -> Fen {
        self.designer.map_or(Fen::ZERO, |(_, f)| f)
    }
}

/// Attributes one line: `unit_price × quantity` at a frozen commission rate, wage rule and
/// maker shares. The maker shares must sum to 10,000 bp (checked where they are set).
pub fn attribute_line(
    unit_price: Fen,
    quantity: i64,
    commission: ShareBp,
    rule: WageRule,
    makers: &[MakerShare],
) -> LineAttribution {
    let gross = Fen(unit_price.get() * quantity);
    let commission = Fen(div_round_half_up(i128::from(gross.get()) * i128::from(commission.get()), 10_000) as i64);
    let net = Fen(gross.get() - commission.get());
    let wage_pool = rule.pool(net, quantity);
    let shares = split_largest_remainder(wage_pool, makers);
    LineAttribution { gross, commission, net, wage_pool, shares, designer: None }
}

/// Splits `pool` by basis points: each gets the floor of its exact share, and the fen left
/// over go one each to the largest fractional parts (ties: lowest worker id), so the parts
/// sum to the pool exactly. An empty maker list gets nothing (the caller forbids it).
pub fn split_largest_remainder(pool: Fen, makers: &[MakerShare]) -> Vec<(i64, Fen)> {
    if makers.is_empty() {
        return Vec::new();
    }
    let total_bp: i128 = makers.iter().map(|m| i128::from(m.share_bp.get())).sum();
    if total_bp == 0 {
        return makers.iter().map(|m| (m.worker_id, Fen::ZERO)).collect();
    }
    let pool_i = i128::from(pool.get());
    let mut parts: Vec<(usize, i64, i128, i128)> = makers
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let exact = pool_i * i128::from(m.share_bp.get());
            (i, m.worker_id, exact / total_bp, exact % total_bp)
        })
        .collect();
    let given: i128 = parts.iter().map(|p| p.2).sum();
    let mut left = pool_i - given;
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| parts[b].3.cmp(&parts[a].3).then(parts[a].1.cmp(&parts[b].1)));
    for idx in order.into_iter().cycle() {
        if left <= 0 {
            break;
        }
        parts[idx].2 += 1;
        left -= 1;
    }
    parts.sort_by_key(|p| p.0);
    parts.into_iter().map(|(_, id, amount, _)| (id, Fen(amount as i64))).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bp(v: i64) -> ShareBp {
        ShareBp::new(v).unwrap_or(ShareBp::FULL)
    }

    #[test]
    fn worked_example() {
        // ¥123.45 × 2 at 15% commission, 40% wage, shares 50/30/20.
        let makers = [
            MakerShare { worker_id: 7, share_bp: bp(5000) },
            MakerShare { worker_id: 3, share_bp: bp(3000) },
            MakerShare { worker_id: 9, share_bp: bp(2000) },
        ];
        let a = attribute_line(Fen(12_345), 2, bp(1500), WageRule::ShareOfNet { wage_bp: bp(4000) }, &makers);
        assert_eq!(a.gross, Fen(24_690));
        assert_eq!(a.commission, Fen(3_704)); // 3703.5 rounds up
        assert_eq!(a.net, Fen(20_986));
        assert_eq!(a.wage_pool, Fen(8_394)); // 8394.4
        assert_eq!(a.shares, vec![(7, Fen(4_197)), (3, Fen(2_518)), (9, Fen(1_679))]);
    }

    #[test]
    fn remainder_ties_go_to_lowest_worker_id() {
        let makers = [
            MakerShare { worker_id: 5, share_bp: bp(3334) },
            MakerShare { worker_id: 2, share_bp: bp(3333) },
            MakerShare { worker_id: 8, share_bp: bp(3333) },
        ];
        let parts = split_largest_remainder(Fen(2), &makers);
        // exact: 0.6668, 0.6666, 0.6666 → worker 5 first, then the tie goes to worker 2.
        assert_eq!(parts, vec![(5, Fen(1)), (2, Fen(1)), (8, Fen(0))]);
    }

    #[test]
    fn piece_rate_is_capped_at_net() {
        let rule = WageRule::PieceRate { per_unit: Fen(5_000) };
        assert_eq!(rule.pool(Fen(12_000), 2), Fen(10_000));
        assert_eq!(rule.pool(Fen(8_000), 2), Fen(8_000));
    }

    #[test]
    fn percent_text() {
        assert_eq!(bp(3750).percent_string(), "37.5%");
        assert_eq!(bp(1500).percent_string(), "15%");
        assert_eq!(bp(1).percent_string(), "0.01%");
        assert!(ShareBp::new(10_001).is_none());
        assert!(ShareBp::new(-1).is_none());
    }

    /// 1 to 7 makers with random shares summing to exactly 10,000 bp.
    pub(crate) fn shares_strategy() -> impl Strategy<Value = Vec<MakerShare>> {
        prop::collection::vec(1i64..10_000, 1..8).prop_map(|weights| {
            // Scale arbitrary weights to bp that sum to exactly 10,000.
            let total: i64 = weights.iter().sum();
            let mut bps: Vec<i64> = weights.iter().map(|w| w * 10_000 / total).collect();
            let short = 10_000 - bps.iter().sum::<i64>();
            bps[0] += short;
            bps.iter()
                .enumerate()
                .map(|(i, b)| MakerShare { worker_id: (i as i64 * 7919) % 13 + i as i64 * 13, share_bp: bp(*b) })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn every_fen_is_accounted_for(
            price in 1i64..5_000_000,
            qty in 1i64..50,
            commission in 0i64..=10_000,
            wage in 0i64..=10_000,
            piece in prop::option::of(0i64..1_000_000),
            makers in shares_strategy(),
        ) {
            let rule = match piece {
                Some(p) => WageRule::PieceRate { per_unit: Fen(p) },
                None => WageRule::ShareOfNet { wage_bp: bp(wage) },
            };
            let a = attribute_line(Fen(price), qty, bp(commission), rule, &makers);
            prop_assert_eq!(a.gross.get(), price * qty);
            prop_assert_eq!(a.commission.get() + a.net.get(), a.gross.get());
            prop_assert!(a.commission.get() >= 0 && a.net.get() >= 0);
            prop_assert!(a.wage_pool.get() >= 0 && a.wage_pool.get() <= a.net.get());
            let sum: i64 = a.shares.iter().map(|s| s.1.get()).sum();
            prop_assert_eq!(sum, a.wage_pool.get());
            // No share strays more than one fen from its exact value.
            for (m, (_, amount)) in makers.iter().zip(&a.shares) {
                let exact = i128::from(a.wage_pool.get()) * i128::from(m.share_bp.get());
                let got = i128::from(amount.get()) * 10_000;
                prop_assert!((got - exact).abs() < 10_000);
            }
        }
    }
}

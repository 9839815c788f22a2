//! What organisations bought, summed from the journal by the reports' rules: for one
//! organisation (its page and export, the proof of 消费帮扶 it files), and for an official, the
//! purchases of every organisation into their region in a period.

use super::Organisations;
use crate::catalog::reference::Reference;
use crate::db::audit::AuditEvent;
use crate::db::organisations::{self as q, Bought, MakerWages};
use crate::domain::account::Principal;
use crate::domain::employment_rule::RuleConfig;
use crate::domain::household::HouseholdStatus;
use crate::error::AppError;
use serde::Serialize;
use std::collections::BTreeMap;

/// The fewest makers on each side (poor and not, each with wages left after refunds) for the
/// poor-household part to be shown to a buyer at all.
pub const FEWEST_MAKERS: usize = 3;

/// The width of the band, in percentage points, the poor-household part is shown in. A buyer
/// knows what each maker of their own lines earned, so an exact total would let them solve for
/// who is poor; a band of ten points does not.
pub const BAND_POINTS: i64 = 10;

/// What the organisation bought of one workshop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = PurchaseRow)]
pub struct PurchaseRow {
    pub workshop_id: i64,
    pub workshop_name_zh: String,
    pub workshop_name_en: String,
    pub county_code: String,
    pub county_name_zh: String,
    pub county_name_en: String,
    /// In a 非遗+扶贫 key support area (the county or a region above it).
    pub key_support_area: bool,
    /// In 三区三州.
    pub sanqu_sanzhou: bool,
    pub gross_fen: i64,
    pub net_fen: i64,
    pub designer_fen: i64,
}

/// An organisation's purchases, by workshop and in total. Wages are shown in total only: a
/// workshop's wages beside the poor-household part would tell whose they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = Purchases)]
pub struct Purchases {
    pub rows: Vec<PurchaseRow>,
    /// Paid for goods, net of refunds (shipping apart).
    pub gross_fen: i64,
    /// The part bought of workshops in key support areas.
    pub key_support_fen: i64,
    /// The part bought of workshops in 三区三州.
    pub sanqu_fen: i64,
    /// What the workshops kept after the platform's commission.
    pub net_fen: i64,
    /// What became the makers' wages.
    pub wages_fen: i64,
    /// The poor-household makers' part of the wages as a band of percentages, `[30, 40]`: at
    /// least the first, under the second (exactly 100 only as `[100, 100]`); none when fewer
    /// than 3 makers with wages stand on either side.
    pub poor_share_band: Option<[i64; 2]>,
    /// Designers' shares: not wages.
    pub designer_fen: i64,
}

/// The wages of a row earned by makers the rule counts as poor.
fn poor_wages(b: &Bought, rule: &RuleConfig) -> Result<i64, AppError> {
    [
        (HouseholdStatus::RegisteredPoor, b.registered_poor_fen),
        (HouseholdStatus::LiftedOut, b.lifted_out_fen),
        (HouseholdStatus::Monitored, b.monitored_fen),
    ]
    .iter()
    .filter(|(s, _)| rule.counts(Some(*s)))
    .try_fold(0i64, |sum, (_, f)| add(sum, *f))
}

/// The band of the poor-household part of the wages, when at least [`FEWEST_MAKERS`] makers
/// with wages (net of refunds) stand on each side.
pub fn poor_share_band(makers: &[MakerWages], rule: &RuleConfig) -> Result<Option<[i64; 2]>, AppError> {
    let mut net: std::collections::BTreeMap<(i64, bool), i64> = std::collections::BTreeMap::new();
    for m in makers {
        let poor = rule.counts(m.household_status.as_deref().and_then(HouseholdStatus::parse));
        let e = net.entry((m.worker_id, poor)).or_default();
        *e = add(*e, m.wages_fen)?;
    }
    let side = |poor: bool| net.iter().filter(|((_, p), w)| *p == poor && **w > 0).count();
    if side(true) < FEWEST_MAKERS || side(false) < FEWEST_MAKERS {
        return Ok(None);
    }
    let sum = |poor: bool| net.iter().filter(|((_, p), _)| *p == poor).try_fold(0i64, |s, (_, w)| add(s, *w));
    let (poor, all) = (sum(true)?, add(sum(true)?, sum(false)?)?);
    if all <= 0 || poor < 0 {
        return Ok(None);
    }
    let points = i64::try_from(i128::from(poor) * 100 / i128::from(all)).map_err(|_| overflow())?;
    let low = (points / BAND_POINTS) * BAND_POINTS;
    Ok(Some(if low >= 100 { [100, 100] } else { [low, low + BAND_POINTS] }))
}

fn overflow() -> AppError {
    AppError::Internal(anyhow::anyhow!("purchase sums overflow"))
}

fn add(a: i64, b: i64) -> Result<i64, AppError> {
    a.checked_add(b).ok_or_else(overflow)
}

/// Sums one organisation's rows (by workshop) into its purchases, with the band of the
/// poor-household part from its makers' wages.
pub fn of(
    bought: &[Bought],
    makers: &[MakerWages],
    reference: &Reference,
    rule: &RuleConfig,
) -> Result<Purchases, AppError> {
    let mut p = Purchases {
        rows: Vec::new(),
        gross_fen: 0,
        key_support_fen: 0,
        sanqu_fen: 0,
        net_fen: 0,
        wages_fen: 0,
        poor_share_band: poor_share_band(makers, rule)?,
        designer_fen: 0,
    };
    for b in bought {
        let flags = reference.flags(&b.county_code);
        let county = reference.region(&b.county_code);
        let net = b.gross_fen.checked_sub(b.commission_fen).ok_or_else(overflow)?;
        p.gross_fen = add(p.gross_fen, b.gross_fen)?;
        if flags.key_support_area {
            p.key_support_fen = add(p.key_support_fen, b.gross_fen)?;
        }
        if flags.sanqu_sanzhou {
            p.sanqu_fen = add(p.sanqu_fen, b.gross_fen)?;
        }
        p.net_fen = add(p.net_fen, net)?;
        p.wages_fen = add(p.wages_fen, b.wages_fen)?;
        p.designer_fen = add(p.designer_fen, b.designer_fen)?;
        p.rows.push(PurchaseRow {
            workshop_id: b.workshop_id,
            workshop_name_zh: b.workshop_name_zh.clone(),
            workshop_name_en: b.workshop_name_en.clone(),
            county_code: b.county_code.clone(),
            county_name_zh: county.map_or_else(|| b.county_code.clone(), |c| c.name_zh.clone()),
            county_name_en: county.map_or_else(|| b.county_code.clone(), |c| c.name_pinyin.clone()),
            key_support_area: flags.key_support_area,
            sanqu_sanzhou: flags.sanqu_sanzhou,
            gross_fen: b.gross_fen,
            net_fen: net,
            designer_fen: b.designer_fen,
        });
    }
    Ok(p)
}

/// What one organisation bought in an official's region in a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = InstitutionalRow)]
pub struct InstitutionalRow {
    pub organisation_id: i64,
    pub legal_name: String,
    /// Workshops of the region it bought from.
    pub workshops: i64,
    pub gross_fen: i64,
    pub wages_fen: i64,
    pub poor_wages_fen: i64,
}

/// The institutional purchases into a region in a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = InstitutionalPurchases)]
pub struct Institutional {
    pub region_code: Option<String>,
    pub name_zh: String,
    pub name_en: String,
    pub period: String,
    pub period_zh: String,
    pub period_en: String,
    pub rows: Vec<InstitutionalRow>,
    pub total: InstitutionalRow,
}

impl Organisations {
    /// The purchases of every organisation into the official's region (or `region` inside it;
    /// an operator's any region, or the country) in `period` (this year by default).
    pub async fn institutional(
        &self,
        who: Option<&Principal>,
        region: Option<String>,
        period: Option<String>,
    ) -> Result<Institutional, AppError> {
        let viewer = crate::reports::Viewer::of(who)?;
        let period = match period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            None => crate::domain::period::ReportPeriod::year_of(self.clock.today()),
            Some(p) => crate::domain::period::ReportPeriod::parse(p)
                .ok_or(AppError::BadRequest { field: "period", key: "report.bad_period" })?,
        };
        let resolved = crate::reports::scope::region(&self.reference, viewer.confined.as_ref(), region.as_deref())?;
        let filter = resolved.filter.clone();
        let bought = self.db.read(move |conn| Ok(q::bought_in(conn, &filter, &period)?)).await?;
        let mut by: BTreeMap<i64, InstitutionalRow> = BTreeMap::new();
        let mut total = InstitutionalRow::default();
        let mut workshops = std::collections::BTreeSet::new();
        for b in &bought {
            workshops.insert(b.workshop_id);
            let poor = poor_wages(b, &self.rule)?;
            for r in [by.entry(b.organisation_id).or_default(), &mut total] {
                r.workshops = add(r.workshops, 1)?;
                r.gross_fen = add(r.gross_fen, b.gross_fen)?;
                r.wages_fen = add(r.wages_fen, b.wages_fen)?;
                r.poor_wages_fen = add(r.poor_wages_fen, poor)?;
            }
            let row = by.entry(b.organisation_id).or_default();
            row.organisation_id = b.organisation_id;
            row.legal_name.clone_from(&b.legal_name);
        }
        total.workshops = i64::try_from(workshops.len()).map_err(|_| overflow())?;
        let mut rows: Vec<InstitutionalRow> = by.into_values().collect();
        rows.sort_by(|a, b| b.gross_fen.cmp(&a.gross_fen).then(a.organisation_id.cmp(&b.organisation_id)));
        let region_code = match &resolved.scope {
            crate::reports::scope::Scope::Region(r) => Some(r.as_str().to_owned()),
            _ => None,
        };
        // Officials read the poor-household wages of each buyer's purchases: audited, as the
        // worker rows of a workshop are.
        let detail = serde_json::json!({ "region": region_code, "period": period.code(), "rows": rows.len() });
        let event = AuditEvent::new(viewer.actor, "report.institutional", "institutional".to_owned(), detail);
        self.db.write(move |conn| Ok(crate::db::audit::append(conn, event.clone(), crate::db::now())?)).await?;
        Ok(Institutional {
            region_code,
            name_zh: resolved.name_zh,
            name_en: resolved.name_en,
            period: period.code(),
            period_zh: period.label_zh(),
            period_en: period.label_en(),
            rows,
            total,
        })
    }
}

/// The purchase report as a CSV for people: a title line, the rows by workshop under headings
/// in the reader's language with money in yuan, then the totals (UTF-8 with a BOM, for Excel).
pub fn csv(
    org: &crate::db::organisations::OrganisationRow,
    p: &Purchases,
    i18n: &crate::i18n::I18n,
    lang: crate::i18n::Lang,
) -> Result<Vec<u8>, AppError> {
    let t = |k: &str| i18n.text(lang, &format!("organisation.csv.{k}"));
    let yuan = |fen: i64| crate::domain::Fen(fen).yuan_string();
    let zh = lang == crate::i18n::Lang::Zh;
    let yes = |b: bool| if b { t("yes") } else { String::new() };
    let mut file = crate::csv_file::CsvFile::new("purchase report");
    file.row([t("title"), org.legal_name.clone(), org.credit_code.clone()])?;
    file.row([t("workshop"), t("county"), t("key_support"), t("sanqu"), t("gross"), t("net"), t("designer")])?;
    for r in &p.rows {
        file.row([
            if zh { r.workshop_name_zh.clone() } else { r.workshop_name_en.clone() },
            if zh { r.county_name_zh.clone() } else { r.county_name_en.clone() },
            yes(r.key_support_area),
            yes(r.sanqu_sanzhou),
            yuan(r.gross_fen),
            yuan(r.net_fen),
            yuan(r.designer_fen),
        ])?;
    }
    file.row([String::new()])?;
    for (label, value) in [
        (t("gross"), p.gross_fen),
        (t("key_support"), p.key_support_fen),
        (t("sanqu"), p.sanqu_fen),
        (t("net"), p.net_fen),
        (t("wages"), p.wages_fen),
        (t("designer"), p.designer_fen),
    ] {
        file.row([t("total"), label, yuan(value)])?;
    }
    let band = p.poor_share_band.map_or_else(|| t("suppressed"), |[low, high]| band_text(low, high));
    file.row([t("total"), t("poor_share"), band])?;
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(file.finish()?);
    Ok(bytes)
}

/// A band as people read it: `30%–40%`, or `100%`.
pub fn band_text(low: i64, high: i64) -> String {
    if low == high {
        format!("{low}%")
    } else {
        format!("{low}%–{high}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maker(worker_id: i64, status: Option<&str>, wages_fen: i64) -> MakerWages {
        MakerWages { worker_id, household_status: status.map(str::to_owned), wages_fen }
    }

    #[test]
    fn the_poor_part_is_a_band_and_needs_three_paid_makers_each_side() {
        let rule = RuleConfig::default();
        let mut makers: Vec<MakerWages> = (1..=3).map(|w| maker(w, Some("registered_poor"), 1_000)).collect();
        makers.extend((4..=6).map(|w| maker(w, None, 3_000)));
        assert_eq!(poor_share_band(&makers, &rule).ok().flatten(), Some([20, 30]), "3,000 of 12,000 is 25%");
        // A maker whose sales were all refunded does not count towards the three.
        makers[5].wages_fen = 0;
        assert_eq!(poor_share_band(&makers, &rule).ok().flatten(), None);
        makers.push(maker(7, Some("not_poor"), 1));
        assert!(poor_share_band(&makers, &rule).ok().flatten().is_some());
        assert_eq!(band_text(30, 40), "30%–40%");
    }
}

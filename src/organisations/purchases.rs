//! What organisations bought, summed from the journal by the reports' rules: for one
//! organisation (its page and export, the proof of 消费帮扶 it files), and for an official, the
//! purchases of every organisation into their region in a period.

use super::Organisations;
use crate::catalog::reference::Reference;
use crate::db::organisations::{self as q, Bought};
use crate::domain::account::Principal;
use crate::domain::employment_rule::RuleConfig;
use crate::domain::household::HouseholdStatus;
use crate::error::AppError;
use serde::Serialize;
use std::collections::BTreeMap;

/// The fewest makers on each side (poor and not) for a poor-household wage total to be shown
/// to a buyer: fewer would let the buyer read one maker's status.
pub const FEWEST_MAKERS: i64 = 3;

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
    pub wages_fen: i64,
    pub designer_fen: i64,
}

/// An organisation's purchases, by workshop and in total.
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
    /// The part of the wages earned by poor-household makers; none when fewer than 3 makers
    /// stand on either side.
    pub poor_wages_fen: Option<i64>,
    /// Designers' shares: not wages.
    pub designer_fen: i64,
}

/// The wages of a row earned by makers the rule counts as poor.
fn poor_wages(b: &Bought, rule: &RuleConfig) -> i64 {
    [
        (HouseholdStatus::RegisteredPoor, b.registered_poor_fen),
        (HouseholdStatus::LiftedOut, b.lifted_out_fen),
        (HouseholdStatus::Monitored, b.monitored_fen),
    ]
    .iter()
    .filter(|(s, _)| rule.counts(Some(*s)))
    .map(|(_, f)| f)
    .sum()
}

fn overflow() -> AppError {
    AppError::Internal(anyhow::anyhow!("purchase sums overflow"))
}

fn add(a: i64, b: i64) -> Result<i64, AppError> {
    a.checked_add(b).ok_or_else(overflow)
}

/// Sums one organisation's rows (by workshop) into its purchases.
pub fn of(bought: &[Bought], reference: &Reference, rule: &RuleConfig) -> Result<Purchases, AppError> {
    let mut p = Purchases {
        rows: Vec::new(),
        gross_fen: 0,
        key_support_fen: 0,
        sanqu_fen: 0,
        net_fen: 0,
        wages_fen: 0,
        poor_wages_fen: None,
        designer_fen: 0,
    };
    let (mut poor_fen, mut poor_makers, mut other_makers) = (0i64, 0i64, 0i64);
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
        poor_fen = add(poor_fen, poor_wages(b, rule))?;
        // A maker works in one workshop, so the workshops' counts add up.
        poor_makers = add(poor_makers, b.poor_makers)?;
        other_makers = add(other_makers, b.other_makers)?;
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
            wages_fen: b.wages_fen,
            designer_fen: b.designer_fen,
        });
    }
    p.poor_wages_fen = (poor_makers >= FEWEST_MAKERS && other_makers >= FEWEST_MAKERS).then_some(poor_fen);
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
        let (filter, rule) = (resolved.filter.clone(), self.rule.clone());
        let bought = self.db.read(move |conn| Ok(q::bought_in(conn, &filter, &period, &rule.counted)?)).await?;
        let mut by: BTreeMap<i64, InstitutionalRow> = BTreeMap::new();
        let mut total = InstitutionalRow::default();
        let mut workshops = std::collections::BTreeSet::new();
        for b in &bought {
            workshops.insert(b.workshop_id);
            let poor = poor_wages(b, &self.rule);
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
    file.row([
        t("workshop"),
        t("county"),
        t("key_support"),
        t("sanqu"),
        t("gross"),
        t("net"),
        t("wages"),
        t("designer"),
    ])?;
    for r in &p.rows {
        file.row([
            if zh { r.workshop_name_zh.clone() } else { r.workshop_name_en.clone() },
            if zh { r.county_name_zh.clone() } else { r.county_name_en.clone() },
            yes(r.key_support_area),
            yes(r.sanqu_sanzhou),
            yuan(r.gross_fen),
            yuan(r.net_fen),
            yuan(r.wages_fen),
            yuan(r.designer_fen),
        ])?;
    }
    file.row([String::new()])?;
    for (label, value) in [
        (t("gross"), Some(p.gross_fen)),
        (t("key_support"), Some(p.key_support_fen)),
        (t("sanqu"), Some(p.sanqu_fen)),
        (t("net"), Some(p.net_fen)),
        (t("wages"), Some(p.wages_fen)),
        (t("poor_wages"), p.poor_wages_fen),
        (t("designer"), Some(p.designer_fen)),
    ] {
        file.row([t("total"), label, value.map_or_else(|| t("suppressed"), yuan)])?;
    }
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(file.finish()?);
    Ok(bytes)
}

//! The figures of the officials' dashboard, what each one means, and how they add up: per
//! workshop from the roll-up, headcounts and statements, then summed into regions. Shares and
//! averages are computed after summing, from whole numbers, never from averaged averages.

use crate::db::reports::{HeadcountRow, MonthRow, StatementSums, WorkshopInfo};
use crate::db::training::TrainingSums;
use crate::domain::certification::{certification_status, next_confirmation_due, CertificationStatus};
use crate::domain::employment_rule::{self as rule, RuleCheck, RuleConfig, Share};
use crate::domain::household::HouseholdStatus;
use crate::domain::period::ReportPeriod;
use chrono::{NaiveDate, TimeDelta};
use serde::Serialize;
use std::collections::BTreeMap;

/// The figures of one workshop, region or month. Money is in fen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ReportFigures)]
pub struct Figures {
    pub workshops: i64,
    pub certified: i64,
    pub lapsed: i64,
    pub confirmation_due: i64,
    pub workers: i64,
    pub poor_workers: i64,
    pub registered_poor_workers: i64,
    pub lifted_out_workers: i64,
    pub monitored_workers: i64,
    pub gross_fen: i64,
    pub commission_fen: i64,
    pub net_fen: i64,
    pub wages_fen: i64,
    pub poor_wages_fen: i64,
    /// Designers' shares of the net: listed apart, never wages.
    pub designer_fen: i64,
    pub disbursed_fen: i64,
    pub acknowledged_fen: i64,
    pub headcount_share: Share,
    pub income_share: Share,
    /// Poor-household wages per poor-household worker per month, rounded half up.
    pub avg_monthly_poor_wage_fen: Option<i64>,
    /// Workers who took part in a training session ending in the period.
    pub trained_workers: i64,
    pub poor_trained_workers: i64,
    /// Person-hours of training: each session's class hours times its participants.
    pub training_hours: i64,
    pub poor_training_hours: i64,
}

impl Figures {
    /// Adds another's counts and sums (the shares are recomputed by [`Figures::finish`]).
    pub fn add(&mut self, o: &Figures) {
        self.workshops += o.workshops;
        self.certified += o.certified;
        self.lapsed += o.lapsed;
        self.confirmation_due += o.confirmation_due;
        self.workers += o.workers;
        self.poor_workers += o.poor_workers;
        self.registered_poor_workers += o.registered_poor_workers;
        self.lifted_out_workers += o.lifted_out_workers;
        self.monitored_workers += o.monitored_workers;
        self.gross_fen += o.gross_fen;
        self.commission_fen += o.commission_fen;
        self.net_fen += o.net_fen;
        self.wages_fen += o.wages_fen;
        self.poor_wages_fen += o.poor_wages_fen;
        self.designer_fen += o.designer_fen;
        self.disbursed_fen += o.disbursed_fen;
        self.acknowledged_fen += o.acknowledged_fen;
        self.trained_workers += o.trained_workers;
        self.poor_trained_workers += o.poor_trained_workers;
        self.training_hours += o.training_hours;
        self.poor_training_hours += o.poor_training_hours;
    }

    /// Computes the shares and the average from the sums, over `months` months.
    pub fn finish(&mut self, months: u32) {
        self.headcount_share = Share::new(self.poor_workers, self.workers);
        self.income_share = Share::new(self.poor_wages_fen, self.wages_fen);
        let per = self.poor_workers * i64::from(months);
        self.avg_monthly_poor_wage_fen = (per > 0).then(|| (2 * self.poor_wages_fen + per).div_euclid(2 * per));
    }

    /// The 30% rule on these figures.
    pub fn rule(&self, config: &RuleConfig) -> RuleCheck {
        rule::check(config, self.headcount_share, self.income_share)
    }

    fn add_month(&mut self, r: &MonthRow, config: &RuleConfig) {
        self.gross_fen += r.gross_fen;
        self.commission_fen += r.commission_fen;
        self.net_fen += r.gross_fen - r.commission_fen;
        self.wages_fen += r.wages_fen;
        self.poor_wages_fen += poor_wages(r, config);
        self.designer_fen += r.designer_fen;
    }
}

/// The wages of a roll-up row earned by makers whose status counts as poor.
pub fn poor_wages(r: &MonthRow, config: &RuleConfig) -> i64 {
    let by_status = [
        (HouseholdStatus::RegisteredPoor, r.registered_poor_fen),
        (HouseholdStatus::LiftedOut, r.lifted_out_fen),
        (HouseholdStatus::Monitored, r.monitored_fen),
        (HouseholdStatus::NotPoor, r.wages_fen - r.registered_poor_fen - r.lifted_out_fen - r.monitored_fen),
    ];
    by_status.iter().filter(|(s, _)| config.counts(Some(*s))).map(|(_, f)| f).sum()
}

/// Where a workshop's certification stands for a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ReportCertification)]
pub struct Certification {
    pub status: CertificationStatus,
    pub next_due: Option<NaiveDate>,
    /// Due (or overdue) for its yearly confirmation within the notice days.
    pub confirmation_due: bool,
}

/// A workshop's certification as of `as_of`.
pub fn certification(w: &WorkshopInfo, as_of: NaiveDate, config: &RuleConfig) -> Certification {
    let status = certification_status(w.cert_issued_on, w.cert_last_confirmed_on, as_of);
    let next_due = w.cert_issued_on.map(|i| next_confirmation_due(i, w.cert_last_confirmed_on));
    let notice = as_of + TimeDelta::days(config.confirmation_notice_days);
    let confirmation_due = status == CertificationStatus::ConfirmationDue
        || (status == CertificationStatus::Active && next_due.is_some_and(|d| d <= notice));
    Certification { status, next_due, confirmation_due }
}

/// Everything read for a slice, before it is summed.
pub struct Inputs<'a> {
    pub workshops: &'a [WorkshopInfo],
    pub months: &'a [MonthRow],
    pub headcounts: &'a [HeadcountRow],
    pub statements: &'a [StatementSums],
    /// Whether statement sums apply (they are not kept per heritage item).
    pub with_statements: bool,
    pub training: &'a [TrainingSums],
}

/// The figures of each workshop (not yet finished), keyed by id.
pub fn per_workshop(inputs: &Inputs, as_of: NaiveDate, config: &RuleConfig) -> BTreeMap<i64, Figures> {
    let mut out: BTreeMap<i64, Figures> = BTreeMap::new();
    for w in inputs.workshops {
        let c = certification(w, as_of, config);
        let f = out.entry(w.id).or_default();
        f.workshops = 1;
        f.certified = i64::from(c.status.is_listable());
        f.lapsed = i64::from(c.status == CertificationStatus::Lapsed);
        f.confirmation_due = i64::from(c.confirmation_due);
    }
    for r in inputs.months {
        if let Some(f) = out.get_mut(&r.workshop_id) {
            f.add_month(r, config);
        }
    }
    for h in inputs.headcounts {
        if let Some(f) = out.get_mut(&h.workshop_id) {
            let status = h.status.as_deref().and_then(HouseholdStatus::parse);
            f.workers += h.workers;
            if config.counts(status) {
                f.poor_workers += h.workers;
            }
            match status {
                Some(HouseholdStatus::RegisteredPoor) => f.registered_poor_workers += h.workers,
                Some(HouseholdStatus::LiftedOut) => f.lifted_out_workers += h.workers,
                Some(HouseholdStatus::Monitored) => f.monitored_workers += h.workers,
                _ => {}
            }
        }
    }
    for t in inputs.training {
        if let Some(f) = out.get_mut(&t.workshop_id) {
            f.trained_workers += t.workers;
            f.training_hours += t.hours;
            if config.counts(t.status.as_deref().and_then(HouseholdStatus::parse)) {
                f.poor_trained_workers += t.workers;
                f.poor_training_hours += t.hours;
            }
        }
    }
    if inputs.with_statements {
        for s in inputs.statements {
            if let Some(f) = out.get_mut(&s.workshop_id) {
                f.disbursed_fen += s.disbursed_fen;
                f.acknowledged_fen += s.acknowledged_fen;
            }
        }
    }
    out
}

/// The figures of each month of the period, over every workshop of the slice.
pub fn per_month(months: &[MonthRow], period: &ReportPeriod, config: &RuleConfig) -> Vec<(String, Figures)> {
    let mut by: BTreeMap<String, Figures> = period.months().into_iter().map(|m| (m, Figures::default())).collect();
    for r in months {
        if let Some(f) = by.get_mut(&r.month) {
            f.add_month(r, config);
        }
    }
    by.into_iter()
        .map(|(m, mut f)| {
            f.finish(1);
            (m, f)
        })
        .collect()
}

/// A figure's name and definition, in both languages, in the order pages and exports show them.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Definition {
    pub key: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

const fn def(
    key: &'static str,
    name_zh: &'static str,
    name_en: &'static str,
    zh: &'static str,
    en: &'static str,
) -> Definition {
    Definition { key, name_zh, name_en, zh, en }
}

/// Every figure, defined.
pub const DEFINITIONS: &[Definition] = &[
    def("workshops", "工坊数", "Workshops", "所选地区内的非遗扶贫就业工坊数（按所选非遗项目筛选时，为开展该项目的工坊）。", "Heritage poverty-alleviation workshops in the region (those practising the chosen heritage item, when one is chosen)."),
    def("certified", "认定有效", "Certified", "截至期末（或今天，取较早者）认定有效的工坊：一年内已确认，或仅逾期一次年度确认。", "Workshops whose certification stands at the period's end (or today, if earlier): confirmed within a year, or only one yearly confirmation overdue."),
    def("lapsed", "认定失效", "Lapsed", "连续两次未完成年度确认、已失去认定的工坊。", "Workshops that missed two yearly confirmations in a row and lost their status."),
    def("confirmation_due", "待年度确认", "Up for confirmation", "年度确认已逾期，或将在提醒天数内到期的有效工坊。", "Certified workshops whose yearly confirmation is overdue or falls due within the notice days."),
    def("workers", "从业人数", "Workers employed", "期内任一天在岗的工人（入职不晚于期末，且未在期初前离职）。", "Workers employed on any day of the period (joined by its end, not left before its start)."),
    def("poor_workers", "脱贫家庭工人", "Poor-household workers", "从业工人中，期末（或离职日）家庭状况属于计入状况（默认：建档立卡贫困户、脱贫户、监测对象）的人数。", "Workers whose household status on the period's last day (or the day they left) is one the rule counts (by default registered poor, lifted out, monitored)."),
    def("headcount_share", "人数占比", "Headcount share", "脱贫家庭工人 ÷ 从业人数；政策要求不低于 30%（可配置），恰好 30% 视为达标。", "Poor-household workers ÷ workers employed; the policy expects at least 30% (configurable), and exactly 30% meets it."),
    def("income_share", "收入占比", "Income share", "脱贫家庭工人所得工资 ÷ 全部归属工资。", "Wages attributed to poor-household workers ÷ all wages attributed."),
    def("gross_fen", "销售总额", "Gross sales", "期内（北京时间）记账的商品销售额，扣除退款；不含运费。", "Product sales posted in the period (China time), net of refunds; shipping excluded."),
    def("commission_fen", "平台佣金", "Commission", "按下单时冻结的佣金率计提的平台佣金，扣除退款。", "The platform's commission at the rate frozen on each line, net of refunds."),
    def("net_fen", "工坊净收入", "Workshop net income", "销售总额 − 平台佣金：归工坊所有，含其中的工资（及设计师分成）。", "Gross sales − commission: owed to the workshops, wages (and any designers' shares) included."),
    def("wages_fen", "归属工资", "Wages attributed", "按工资规则从每笔销售中归属给制作者的工资，扣除退款。", "Wages attributed from each sale to its makers by the wage rule, net of refunds."),
    def("poor_wages_fen", "脱贫家庭工资", "Poor-household wages", "归属给销售当日家庭状况属于计入状况的制作者的工资。", "Wages attributed to makers whose household status on the sale date is one the rule counts."),
    def("designer_fen", "设计师分成", "Designers' shares", "按产品约定从净收入中分给设计师（或工作站设计师）的部分，扣除退款；不是工人工资，不计入脱贫家庭的任何数字。", "The part of the net a product gives its designer (a workstation's designer), net of refunds; not a worker's wage, and in no poor-household figure."),
    def("disbursed_fen", "有凭证发放", "Disbursed with evidence", "期内各月结算单中，工坊已登记发放方式、凭证号和日期的工资。", "Wages on the period's monthly statements that the workshop recorded as paid, with method, reference and date."),
    def("acknowledged_fen", "工人已确认", "Acknowledged", "期内各月结算单中，工人本人用确认码确认收到的工资。", "Wages on the period's monthly statements that the worker confirmed with their code."),
    def("trained_workers", "培训人数", "Workers trained", "参加了期内（按培训结束日）结束的培训的从业工人，每人只计一次；培训由本工坊登记。", "Workers who took part in a training session that ended in the period (by its last day), each counted once; sessions as the workshop recorded them."),
    def("poor_trained_workers", "脱贫家庭培训人数", "Poor-household workers trained", "培训人数中，家庭状况按从业人数同一规则（期末或离职日）属于计入状况的人数。", "Workers trained whose household status, by the same rule as the headcount (the period's last day or the day they left), is one the rule counts."),
    def("training_hours", "培训学时（人次）", "Training person-hours", "期内结束的各次培训的学时 × 参加人数之和。", "The sum over sessions ending in the period of their class hours × participants."),
    def("poor_training_hours", "脱贫家庭培训学时", "Poor-household training person-hours", "培训学时中，脱贫家庭培训人员所得的部分。", "The part of the training person-hours taken by poor-household workers."),
    def("avg_monthly_poor_wage_fen", "人均月工资（脱贫家庭）", "Monthly wage per poor-household worker", "脱贫家庭工资 ÷ 脱贫家庭工人 ÷ 期内月数，四舍五入到分。", "Poor-household wages ÷ poor-household workers ÷ months in the period, rounded half up to the fen."),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn row(wages: i64, rp: i64, lo: i64, mo: i64) -> MonthRow {
        MonthRow {
            gross_fen: 10_000,
            commission_fen: 800,
            wages_fen: wages,
            registered_poor_fen: rp,
            lifted_out_fen: lo,
            monitored_fen: mo,
            ..MonthRow::default()
        }
    }

    #[test]
    fn poor_wages_follow_the_configured_statuses() {
        let r = row(1_000, 100, 200, 300);
        assert_eq!(poor_wages(&r, &RuleConfig::default()), 600);
        let only_registered = RuleConfig { counted: vec![HouseholdStatus::RegisteredPoor], ..RuleConfig::default() };
        assert_eq!(poor_wages(&r, &only_registered), 100);
        let everyone = RuleConfig { counted: HouseholdStatus::ALL.to_vec(), ..RuleConfig::default() };
        assert_eq!(poor_wages(&r, &everyone), 1_000);
    }

    #[test]
    fn averages_are_of_sums_rounded_half_up() {
        let mut f =
            Figures { poor_workers: 3, poor_wages_fen: 1_000, workers: 9, wages_fen: 4_000, ..Figures::default() };
        f.finish(2);
        // 1000 / (3 × 2) = 166.67 → 167
        assert_eq!(f.avg_monthly_poor_wage_fen, Some(167));
        assert_eq!(f.headcount_share, Share::new(3, 9));
        let mut none = Figures::default();
        none.finish(12);
        assert_eq!(none.avg_monthly_poor_wage_fen, None);
        assert_eq!(DEFINITIONS.iter().filter(|d| d.key == "net_fen").count(), 1);
    }
}

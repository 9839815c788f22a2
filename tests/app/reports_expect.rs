//! The reports' figures recomputed the slow, obvious way from the stored rows — journal
//! postings, workers and their household statuses, wage statements — without the roll-up or
//! any report code, for comparing to the dashboard to the fen.

use crate::support::TestApp;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use gongfang::db::schema::{
    journal_entries, journal_postings, order_lines, payouts, wage_disbursements, wage_statements,
    worker_household_statuses, workers, workshop_heritage_items, workshops,
};
use gongfang::domain::certification::{certification_status, next_confirmation_due, CertificationStatus};
use gongfang::domain::period::ReportPeriod;
use serde_json::Value;
use std::collections::BTreeMap;

pub struct Posting {
    pub posted_at: NaiveDateTime,
    pub kind: String,
    pub account: String,
    pub status: Option<String>,
    pub amount: i64,
    pub worker: Option<i64>,
    pub workshop: i64,
    pub heritage: i64,
}

pub struct Workshop {
    pub id: i64,
    pub county: String,
    pub prefecture: Option<String>,
    pub province: String,
    pub issued: Option<NaiveDate>,
    pub confirmed: Option<NaiveDate>,
    pub heritage: Vec<i64>,
}

pub struct Worker {
    pub id: i64,
    pub workshop: i64,
    pub joined: NaiveDate,
    pub left: Option<NaiveDate>,
}

/// `(worker, status, valid_from, valid_until, verified_on, id)`.
type StatusRow = (i64, String, NaiveDate, Option<NaiveDate>, NaiveDate, i64);

pub struct Statement {
    pub workshop: i64,
    pub worker: i64,
    pub period: String,
    pub amount: i64,
    pub disbursed: bool,
    pub acknowledged: bool,
}

/// Everything the figures come from.
pub struct Journal {
    pub postings: Vec<Posting>,
    pub workshops: Vec<Workshop>,
    pub workers: Vec<Worker>,
    pub statuses: Vec<StatusRow>,
    pub statements: Vec<Statement>,
}

impl Journal {
    pub fn load(app: &TestApp) -> Journal {
        let mut conn = app.db.conn().unwrap();
        let c = &mut conn;
        let postings = journal_postings::table
            .inner_join(journal_entries::table)
            .inner_join(order_lines::table.on(order_lines::id.eq(journal_postings::order_line_id)))
            .select((
                journal_entries::posted_at,
                journal_entries::kind,
                journal_postings::account,
                journal_postings::household_status,
                journal_postings::amount_fen,
                journal_postings::worker_id,
                journal_entries::workshop_id,
                order_lines::heritage_item_id,
            ))
            .load::<(NaiveDateTime, String, String, Option<String>, i64, Option<i64>, i64, i64)>(c)
            .unwrap()
            .into_iter()
            .map(|(posted_at, kind, account, status, amount, worker, workshop, heritage)| Posting {
                posted_at,
                kind,
                account,
                status,
                amount,
                worker,
                workshop,
                heritage,
            })
            .collect();
        let links: Vec<(i64, i64)> = workshop_heritage_items::table
            .select((workshop_heritage_items::workshop_id, workshop_heritage_items::heritage_item_id))
            .load(c)
            .unwrap();
        let workshops = workshops::table
            .select((
                workshops::id,
                workshops::county_code,
                workshops::prefecture_code,
                workshops::province_code,
                workshops::cert_issued_on,
                workshops::cert_last_confirmed_on,
            ))
            .load::<(i64, String, Option<String>, String, Option<NaiveDate>, Option<NaiveDate>)>(c)
            .unwrap()
            .into_iter()
            .map(|(id, county, prefecture, province, issued, confirmed)| Workshop {
                heritage: links.iter().filter(|l| l.0 == id).map(|l| l.1).collect(),
                id,
                county,
                prefecture,
                province,
                issued,
                confirmed,
            })
            .collect();
        let workers = workers::table
            .select((workers::id, workers::workshop_id, workers::joined_on, workers::left_on))
            .load::<(i64, i64, NaiveDate, Option<NaiveDate>)>(c)
            .unwrap()
            .into_iter()
            .map(|(id, workshop, joined, left)| Worker { id, workshop, joined, left })
            .collect();
        let statuses = worker_household_statuses::table
            .select((
                worker_household_statuses::worker_id,
                worker_household_statuses::status,
                worker_household_statuses::valid_from,
                worker_household_statuses::valid_until,
                worker_household_statuses::verified_on,
                worker_household_statuses::id,
            ))
            .load(c)
            .unwrap();
        let statements = wage_statements::table
            .inner_join(payouts::table)
            .left_join(wage_disbursements::table)
            .select((
                payouts::workshop_id,
                wage_statements::worker_id,
                payouts::period,
                wage_statements::amount_fen,
                wage_disbursements::statement_id.nullable(),
                wage_statements::acknowledged_at,
            ))
            .load::<(i64, i64, String, i64, Option<i64>, Option<NaiveDateTime>)>(c)
            .unwrap()
            .into_iter()
            .map(|(workshop, worker, period, amount, d, a)| Statement {
                workshop,
                worker,
                period,
                amount,
                disbursed: d.is_some(),
                acknowledged: a.is_some(),
            })
            .collect();
        Journal { postings, workshops, workers, statuses, statements }
    }

    /// A worker's household status on a day: the latest valid record.
    pub fn status_on(&self, worker: i64, day: NaiveDate) -> Option<&str> {
        self.statuses
            .iter()
            .filter(|s| s.0 == worker && s.2 <= day && s.3.is_none_or(|u| u >= day))
            .max_by_key(|s| (s.2, s.4, s.5))
            .map(|s| s.1.as_str())
    }
}

/// How the rows below a scope are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Province,
    Prefecture,
    County,
    Workshop,
    Worker,
}

const POOR: [&str; 3] = ["registered_poor", "lifted_out", "monitored"];

/// The figures the test expects, by name as the JSON names them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct F(BTreeMap<&'static str, i64>);

impl F {
    /// A figure by its JSON name, when anything was counted for it.
    pub fn get(&self, k: &str) -> Option<i64> {
        self.0.get(k).copied()
    }

    fn add(&mut self, k: &'static str, v: i64) {
        *self.0.entry(k).or_insert(0) += v;
    }

    fn merge(&mut self, o: &F) {
        for (k, v) in &o.0 {
            self.add(k, *v);
        }
    }
}

pub struct Expected {
    pub totals: F,
    pub rows: BTreeMap<String, F>,
    pub months: BTreeMap<String, F>,
    pub avg_months: i64,
}

/// The China-time month of a stored UTC timestamp.
fn month(t: NaiveDateTime) -> String {
    (t + chrono::TimeDelta::hours(8)).format("%Y-%m").to_string()
}

impl Expected {
    pub fn compute(j: &Journal, scope: &str, period: &str, heritage: Option<i64>, level: Level) -> Expected {
        let p = ReportPeriod::parse(period).unwrap();
        let months = p.months();
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let as_of = p.end().min(today);
        let in_scope = |w: &Workshop| match scope.split_once('=') {
            None => true,
            Some(("region", code)) => {
                [Some(w.province.as_str()), w.prefecture.as_deref(), Some(w.county.as_str())].contains(&Some(code))
            }
            Some(("workshop", id)) => w.id.to_string() == id,
            _ => unreachable!(),
        };
        let key_of = |w: &Workshop| match level {
            Level::Province => w.province.clone(),
            Level::Prefecture => w.prefecture.clone().unwrap_or_else(|| w.county.clone()),
            Level::County => w.county.clone(),
            Level::Workshop | Level::Worker => w.id.to_string(),
        };
        let mut e = Expected {
            totals: F::default(),
            rows: BTreeMap::new(),
            months: months.iter().map(|m| (m.clone(), F::default())).collect(),
            avg_months: i64::from(p.month_count()),
        };
        for w in j.workshops.iter().filter(|w| in_scope(w)) {
            if heritage.is_some_and(|h| !w.heritage.contains(&h)) {
                continue;
            }
            let mut f = F::default();
            let status = certification_status(w.issued, w.confirmed, as_of);
            f.add("workshops", 1);
            f.add(
                "certified",
                i64::from(matches!(status, CertificationStatus::Active | CertificationStatus::ConfirmationDue)),
            );
            f.add("lapsed", i64::from(status == CertificationStatus::Lapsed));
            let due = w.issued.map(|i| next_confirmation_due(i, w.confirmed));
            f.add(
                "confirmation_due",
                i64::from(
                    status == CertificationStatus::ConfirmationDue
                        || (status == CertificationStatus::Active
                            && due.is_some_and(|d| d <= as_of + chrono::TimeDelta::days(60))),
                ),
            );
            let mut per_worker: BTreeMap<i64, F> = BTreeMap::new();
            for post in j.postings.iter().filter(|x| x.workshop == w.id) {
                let m = month(post.posted_at);
                if !(post.kind == "capture" || post.kind == "refund")
                    || !months.contains(&m)
                    || heritage.is_some_and(|h| h != post.heritage)
                {
                    continue;
                }
                let mut g = F::default();
                match post.account.as_str() {
                    "buyer_clearing" => {
                        g.add("gross_fen", -post.amount);
                        g.add("net_fen", -post.amount);
                    }
                    "platform_commission" => {
                        g.add("commission_fen", post.amount);
                        g.add("net_fen", -post.amount);
                    }
                    "wages_payable" => {
                        g.add("wages_fen", post.amount);
                        if post.status.as_deref().is_some_and(|s| POOR.contains(&s)) {
                            g.add("poor_wages_fen", post.amount);
                        }
                        let mut mine = F::default();
                        mine.merge(&g);
                        per_worker.entry(post.worker.unwrap()).or_default().merge(&mine);
                    }
                    _ => {}
                }
                e.months.get_mut(&m).unwrap().merge(&g);
                f.merge(&g);
            }
            let mut worker_rows: BTreeMap<String, F> = BTreeMap::new();
            for wk in j
                .workers
                .iter()
                .filter(|x| x.workshop == w.id && x.joined <= p.end() && x.left.is_none_or(|l| l >= p.start()))
            {
                let day = wk.left.map_or(p.end(), |l| l.min(p.end()));
                let poor = j.status_on(wk.id, day).is_some_and(|s| POOR.contains(&s));
                f.add("workers", 1);
                f.add("poor_workers", i64::from(poor));
                let mut r = per_worker.remove(&wk.id).unwrap_or_default();
                r.add("workers", 1);
                r.add("poor_workers", i64::from(poor));
                worker_rows.insert(wk.id.to_string(), r);
            }
            if heritage.is_none() {
                for s in j.statements.iter().filter(|s| s.workshop == w.id && months.contains(&s.period)) {
                    let mut g = F::default();
                    g.add("disbursed_fen", if s.disbursed { s.amount } else { 0 });
                    g.add("acknowledged_fen", if s.acknowledged { s.amount } else { 0 });
                    f.merge(&g);
                    if let Some(r) = worker_rows.get_mut(&s.worker.to_string()) {
                        r.merge(&g);
                    }
                }
            }
            e.totals.merge(&f);
            if level == Level::Worker {
                e.rows.extend(worker_rows);
            } else {
                e.rows.entry(key_of(w)).or_default().merge(&f);
            }
        }
        e
    }

    /// Compares a dashboard's JSON with these figures, naming the first that differs.
    pub fn assert_matches(&self, d: &Value, q: &str) {
        let check = |what: &str, expected: &F, got: &Value, months: i64| {
            for (k, v) in &expected.0 {
                assert_eq!(got[*k].as_i64(), Some(*v), "{q}: {what}: {k}");
            }
            for k in
                ["gross_fen", "commission_fen", "net_fen", "wages_fen", "poor_wages_fen", "workers", "poor_workers"]
            {
                if !expected.0.contains_key(k) {
                    assert_eq!(got[k].as_i64(), Some(0), "{q}: {what}: {k} should be zero");
                }
            }
            let (poor, wages) = (
                expected.0.get("poor_workers").copied().unwrap_or(0),
                expected.0.get("poor_wages_fen").copied().unwrap_or(0),
            );
            let avg = (poor > 0).then(|| (2 * wages + poor * months).div_euclid(2 * poor * months));
            assert_eq!(got["avg_monthly_poor_wage_fen"].as_i64(), avg, "{q}: {what}: average");
            assert_eq!(got["headcount_share"]["part"].as_i64(), Some(poor), "{q}: {what}: share");
        };
        check("totals", &self.totals, &d["totals"], self.avg_months);
        let rows: BTreeMap<String, &Value> = d["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["key"].as_str().unwrap().to_owned(), &r["figures"]))
            .collect();
        assert_eq!(rows.keys().collect::<Vec<_>>(), self.rows.keys().collect::<Vec<_>>(), "{q}: row keys");
        for (k, f) in &self.rows {
            check(&format!("row {k}"), f, rows[k], self.avg_months);
        }
        let months: BTreeMap<String, &Value> =
            d["months"].as_array().unwrap().iter().map(|m| (m[0].as_str().unwrap().to_owned(), &m[1])).collect();
        assert_eq!(months.len(), self.months.len(), "{q}: months");
        for (m, f) in &self.months {
            for k in ["gross_fen", "commission_fen", "wages_fen", "poor_wages_fen"] {
                assert_eq!(months[m][k].as_i64(), Some(f.0.get(k).copied().unwrap_or(0)), "{q}: month {m}: {k}");
            }
        }
    }
}

//! Who may see which report. An official sees their region and everything under it, an
//! operator sees everything, nobody else sees reports. A region or workshop outside the
//! viewer's subtree is "not found", however the URL was edited.

use crate::catalog::reference::Reference;
use crate::db::reports::{WorkshopFilter, WorkshopInfo};
use crate::domain::account::{Principal, Role};
use crate::domain::{RegionCode, RegionLevel};
use crate::error::AppError;
use serde::Serialize;

/// What a report covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    National,
    Region(RegionCode),
    Workshop(i64),
}

/// One step of the breadcrumb.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ReportCrumb)]
pub struct Crumb {
    /// `region=…` or empty for the whole country.
    pub code: Option<String>,
    pub name_zh: String,
    pub name_en: String,
    /// Whether the viewer may open it: an official sees the regions above their own named,
    /// not linked, since those reports are not theirs to read.
    pub link: bool,
}

/// How the rows below a scope are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChildLevel {
    Province,
    Prefecture,
    County,
    Workshop,
    /// A workshop's rows are its workers.
    Worker,
}

/// A scope resolved against the reference data and checked against the viewer.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub scope: Scope,
    pub filter: WorkshopFilter,
    pub breadcrumb: Vec<Crumb>,
    pub children: ChildLevel,
    pub name_zh: String,
    pub name_en: String,
}

/// The region an official is confined to, or `None` for an operator; others may not read
/// reports at all.
pub fn viewer_region(who: Option<&Principal>) -> Result<Option<&RegionCode>, AppError> {
    match who.map(|p| &p.role) {
        None => Err(AppError::Unauthorized),
        Some(Role::Operator) => Ok(None),
        Some(Role::Official(r)) => Ok(Some(r)),
        Some(_) => Err(AppError::Forbidden { key: "report.forbidden" }),
    }
}

/// Whether a place (given by its province, prefecture and county codes) lies under `region`.
pub fn contains(region: &RegionCode, place: [Option<&str>; 3]) -> bool {
    place.iter().flatten().any(|c| *c == region.as_str())
}

/// The way from the whole country down to `code`; only the steps within the viewer's own
/// region are links.
fn crumbs(reference: &Reference, confined: Option<&RegionCode>, code: &str) -> Vec<Crumb> {
    let path = reference.path(code);
    // The first step of the path the viewer may read (all of it for an operator).
    let first_readable = match confined {
        None => 0,
        Some(own) => path.iter().position(|r| r.code == own.as_str()).unwrap_or(path.len()),
    };
    let mut out =
        vec![Crumb { code: None, name_zh: "全国".into(), name_en: "China".into(), link: confined.is_none() }];
    out.extend(path.into_iter().enumerate().map(|(i, r)| Crumb {
        code: Some(r.code.clone()),
        name_zh: r.name_zh.clone(),
        name_en: r.name_pinyin.clone(),
        link: i >= first_readable,
    }));
    out
}

/// Resolves a requested region, for a viewer confined to `confined` (if any). The default is
/// the viewer's own region (or the whole country for an operator).
pub fn region(
    reference: &Reference,
    confined: Option<&RegionCode>,
    requested: Option<&str>,
) -> Result<Resolved, AppError> {
    let code = match (requested.map(str::trim).filter(|s| !s.is_empty()), confined) {
        (Some(text), _) => Some(RegionCode::parse(text).ok_or(AppError::NotFound)?),
        (None, Some(own)) => Some(*own),
        (None, None) => None,
    };
    let Some(code) = code else {
        return Ok(Resolved {
            scope: Scope::National,
            filter: WorkshopFilter::All,
            breadcrumb: crumbs(reference, confined, ""),
            children: ChildLevel::Province,
            name_zh: "全国".into(),
            name_en: "China".into(),
        });
    };
    let region = reference.region(code.as_str()).ok_or(AppError::NotFound)?;
    if let Some(own) = confined {
        if !reference.path(code.as_str()).iter().any(|r| r.code == own.as_str()) {
            return Err(AppError::NotFound);
        }
    }
    let (column, children) = match region.level {
        RegionLevel::Province => ("province_code", ChildLevel::Prefecture),
        RegionLevel::Prefecture => ("prefecture_code", ChildLevel::County),
        RegionLevel::County => ("county_code", ChildLevel::Workshop),
    };
    Ok(Resolved {
        filter: WorkshopFilter::Region { column, code: code.as_str().to_owned() },
        breadcrumb: crumbs(reference, confined, code.as_str()),
        children,
        name_zh: region.name_zh.clone(),
        name_en: region.name_pinyin.clone(),
        scope: Scope::Region(code),
    })
}

/// Resolves a workshop, which must lie under the viewer's region.
pub fn workshop(reference: &Reference, confined: Option<&RegionCode>, w: &WorkshopInfo) -> Result<Resolved, AppError> {
    if let Some(own) = confined {
        if !contains(own, [Some(&w.province_code), w.prefecture_code.as_deref(), Some(&w.county_code)]) {
            return Err(AppError::NotFound);
        }
    }
    let mut breadcrumb = crumbs(reference, confined, &w.county_code);
    breadcrumb.push(Crumb { code: None, name_zh: w.name_zh.clone(), name_en: w.name_en.clone(), link: false });
    Ok(Resolved {
        scope: Scope::Workshop(w.id),
        filter: WorkshopFilter::One(w.id),
        breadcrumb,
        children: ChildLevel::Worker,
        name_zh: w.name_zh.clone(),
        name_en: w.name_en.clone(),
    })
}

/// The key of the row a workshop falls into below a scope.
pub fn child_key(children: ChildLevel, w: &WorkshopInfo) -> String {
    match children {
        ChildLevel::Province => w.province_code.clone(),
        ChildLevel::Prefecture => w.prefecture_code.clone().unwrap_or_else(|| w.county_code.clone()),
        ChildLevel::County => w.county_code.clone(),
        ChildLevel::Workshop | ChildLevel::Worker => w.id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containment_is_by_code_on_the_path() {
        let liangshan = RegionCode::parse("513400").unwrap();
        assert!(contains(&liangshan, [Some("510000"), Some("513400"), Some("513401")]));
        assert!(!contains(&liangshan, [Some("510000"), Some("513300"), Some("513301")]));
        assert!(contains(&liangshan, [Some("510000"), None, Some("513400")]));
        assert!(viewer_region(None).is_err());
    }
}

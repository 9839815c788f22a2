//! Workstations and design credit: operators register traditional-craft workstations
//! (传统工艺工作站) and their designers; a product's editors credit a designer or a workstation
//! ("designed with …") and may give the designer a share of each sale's net. The share is an
//! explicit part of the wage rule, frozen on each order line and posted to the designer's own
//! account ([`crate::domain::ledger::Account::DesignerPayable`]), never a worker's wage.

use super::input::{bounded, opt_i64, opt_text, required};
use super::{authorized, Owned, Portal};
use crate::accounts::authz::{authorize, Action};
use crate::db::audit::{self, AuditEvent};
use crate::db::designers::{self as q, DesignerRow, WorkstationRow};
use crate::domain::account::Principal;
use crate::domain::{Fen, ProductId, RegionCode};
use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// A workstation to register.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct WorkstationInput {
    pub name_zh: String,
    #[serde(default)]
    pub name_en: String,
    /// The county, prefecture or province it sits in (6 digits).
    pub region_code: String,
}

/// A designer of a workstation.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct DesignerInput {
    #[serde(default, deserialize_with = "opt_i64")]
    pub workstation_id: Option<i64>,
    pub name_zh: String,
    #[serde(default)]
    pub name_latin: String,
}

/// A product's design credit: a designer (with their workstation), or a workstation alone,
/// or neither (clears it); and the designer's share of the net, as basis points
/// (`designer_bp`) or a percentage (`designer_percent`), 0 when absent.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct DesignInput {
    #[serde(default, deserialize_with = "opt_i64")]
    pub designer_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub workstation_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub designer_bp: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub designer_percent: Option<String>,
}

/// The workstations with their designers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Workstations {
    pub workstations: Vec<WorkstationRow>,
    pub designers: Vec<DesignerRow>,
}

impl DesignInput {
    /// The share in basis points: 0 to 10,000, and only with a designer.
    fn share_bp(&self) -> Result<i32, AppError> {
        let bp = match (self.designer_bp, self.designer_percent.as_deref()) {
            (Some(bp), _) => bp,
            (None, Some(p)) => Fen::parse_yuan(p)
                .map(Fen::get)
                .ok_or(AppError::BadRequest { field: "designer_percent", key: "error.percent" })?,
            (None, None) => 0,
        };
        if !(0..=10_000).contains(&bp) {
            return Err(AppError::BadRequest { field: "designer_percent", key: "error.percent" });
        }
        if bp > 0 && self.designer_id.is_none() {
            return Err(AppError::BadRequest { field: "designer_id", key: "error.share_needs_designer" });
        }
        Ok(bp as i32)
    }
}

impl Portal {
    /// The workstations and designers a product may credit (anyone who may enter the portal).
    pub async fn workstations(&self, who: &Principal) -> Result<Workstations, AppError> {
        crate::accounts::authz::may_enter_portal(Some(who))?;
        self.db
            .run(|conn| Ok(Workstations { workstations: q::workstations(conn)?, designers: q::designers(conn)? }))
            .await
    }

    /// Registers a workstation (operators); returns its id.
    pub async fn add_workstation(&self, who: &Principal, input: WorkstationInput) -> Result<i64, AppError> {
        authorize(Some(who), Action::ManageWorkstations, None)?;
        let name_zh = required("name_zh", &input.name_zh, 80)?;
        let name_en = bounded("name_en", &input.name_en, 160)?;
        let region = RegionCode::parse(input.region_code.trim())
            .ok_or(AppError::BadRequest { field: "region_code", key: "error.region_code" })?;
        let (who, now) = (who.clone(), self.now());
        self.db
            .run(move |conn| {
                crate::db::tx::write(&mut *conn, |c| {
                    crate::db::references::region(c, "region_code", region.as_str())?;
                    let id = q::insert_workstation(c, &name_zh, &name_en, region.as_str(), now).map_err(|e| {
                        match AppError::from(e) {
                            AppError::Conflict { .. } => {
                                AppError::BadRequest { field: "name_zh", key: "error.workstation_exists" }
                            }
                            other => other,
                        }
                    })?;
                    let event = AuditEvent::new(
                        Some(who.user_id),
                        "workstation.added",
                        format!("workstation:{id}"),
                        serde_json::json!({}),
                    );
                    audit::append(c, event, now)?;
                    Ok(id)
                })
            })
            .await
    }

    /// Adds a designer to a workstation (operators); returns their id.
    pub async fn add_designer(&self, who: &Principal, input: DesignerInput) -> Result<i64, AppError> {
        authorize(Some(who), Action::ManageWorkstations, None)?;
        let workstation =
            input.workstation_id.ok_or(AppError::BadRequest { field: "workstation_id", key: "error.required" })?;
        let name_zh = required("name_zh", &input.name_zh, 40)?;
        let name_latin = bounded("name_latin", &input.name_latin, 80)?;
        let (who, now) = (who.clone(), self.now());
        self.db
            .run(move |conn| {
                crate::db::tx::write(&mut *conn, |c| {
                    q::workstation(c, workstation)?
                        .ok_or(AppError::BadRequest { field: "workstation_id", key: "error.choice" })?;
                    let id = q::insert_designer(c, workstation, &name_zh, &name_latin, now)?;
                    let event = AuditEvent::new(
                        Some(who.user_id),
                        "designer.added",
                        format!("designer:{id}"),
                        serde_json::json!({ "workstation": workstation }),
                    );
                    audit::append(c, event, now)?;
                    Ok(id)
                })
            })
            .await
    }

    /// Sets a product's design credit and the designer's share. The share and the wage share
    /// of the net may not exceed 100% together. A live product goes back to review, as for any
    /// change to its wage rule, and the change is audited.
    pub async fn set_design(&self, who: &Principal, product: i64, input: DesignInput) -> Result<(), AppError> {
        let bp = input.share_bp()?;
        let (who, now) = (who.clone(), self.now());
        self.db
            .run(move |conn| {
                authorized(conn, &who, Action::EditProducts, Owned::Product(product))?;
                let p = crate::db::portal::product(conn, product)?.ok_or(AppError::NotFound)?;
                if p.status == crate::domain::product::ProductStatus::Archived.as_str() {
                    return Err(AppError::Conflict { key: "error.product_archived" });
                }
                if let Some(d) = input.designer_id {
                    q::designer(conn, d)?.ok_or(AppError::BadRequest { field: "designer_id", key: "error.choice" })?;
                }
                if let Some(w) = input.workstation_id {
                    q::workstation(conn, w)?
                        .ok_or(AppError::BadRequest { field: "workstation_id", key: "error.choice" })?;
                }
                if i64::from(p.wage_bp.unwrap_or(0)) + i64::from(bp) > 10_000 {
                    return Err(AppError::BadRequest { field: "designer_percent", key: "error.design_over_net" });
                }
                crate::db::tx::write(&mut *conn, |t| {
                    let before = q::credit_of(t, ProductId(product))?;
                    q::set_credit(t, ProductId(product), input.designer_id, input.workstation_id, bp, now)?;
                    if before.0 != input.designer_id || before.2 != bp {
                        super::products::reopen_review(t, &who, product, now)?;
                        let detail = serde_json::json!({"designer_id": input.designer_id, "designer_bp": bp});
                        audit::append(
                            t,
                            AuditEvent::new(
                                Some(who.user_id),
                                "product.wage_rule",
                                format!("product:{product}"),
                                detail,
                            ),
                            now,
                        )?;
                    }
                    Ok(())
                })
            })
            .await
    }
}

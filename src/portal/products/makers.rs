//! A product's makers: checked against the workshop's current workers, then written with
//! the audit record of their shares. The makers come alone (the makers form and its JSON
//! twin) or with the product's fields (the product form, where they are edited together).

use super::{check_makers, reopen_review, MakerInput};
use crate::accounts::authz::Action;
use crate::db::audit::{self, AuditEvent};
use crate::db::portal as q;
use crate::db::writes::NewMaker;
use crate::domain::account::Principal;
use crate::domain::product::MakerRole;
use crate::error::AppError;
use crate::portal::{authorized, Owned, Portal};

/// Makers that passed [`check_makers`]: worker, role, share in basis points.
pub(super) type Checked = Vec<(i64, MakerRole, i32)>;

/// The makers checked against the workshop's current workers on `today`, if any were given.
pub(super) fn checked_makers(
    conn: &mut crate::db::DbConn,
    workshop: i64,
    today: chrono::NaiveDate,
    makers: Option<&[MakerInput]>,
) -> Result<Option<Checked>, AppError> {
    let Some(makers) = makers else { return Ok(None) };
    let current = q::current_worker_ids(conn, workshop, today)?;
    check_makers(makers, &current).map(Some)
}

/// Replaces a product's makers with checked ones and audits the shares (inside the caller's
/// write transaction).
pub(super) fn write_makers(
    t: &mut crate::db::DbConn,
    who: &Principal,
    id: i64,
    checked: &Checked,
    now: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    let rows: Vec<NewMaker> = checked
        .iter()
        .map(|(w, role, bp)| NewMaker { product_id: id, worker_id: *w, role: role.as_str().to_owned(), share_bp: *bp })
        .collect();
    q::replace_makers(t, id, &rows)?;
    let detail: Vec<_> = checked.iter().map(|(w, r, bp)| serde_json::json!([w, r.as_str(), bp])).collect();
    audit::append(
        t,
        AuditEvent::new(Some(who.user_id), "product.maker_shares", format!("product:{id}"), serde_json::json!(detail)),
        now,
    )?;
    Ok(())
}

impl Portal {
    /// Replaces a product's makers after checking them.
    pub async fn set_makers(&self, who: &Principal, id: i64, makers: Vec<MakerInput>) -> Result<(), AppError> {
        let (who, now, today) = (who.clone(), self.now(), self.clock.today());
        self.db
            .run(move |conn| {
                let workshop = authorized(conn, &who, Action::EditProducts, Owned::Product(id))?;
                let checked = checked_makers(conn, workshop.get(), today, Some(&makers))?.unwrap_or_default();
                crate::db::tx::write(&mut *conn, |t| {
                    write_makers(t, &who, id, &checked, now)?;
                    reopen_review(t, &who, id, now)
                })
            })
            .await
    }
}

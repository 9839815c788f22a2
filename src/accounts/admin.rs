//! Administration from the command line: the first operator.

use super::hash_password;
use crate::db::accounts::{self as q, NewUser};
use crate::db::audit::{self, AuditEvent};
use crate::db::Db;
use crate::domain::account::{EmailAddress, NewPassword, Role};

/// Creates an operator account; returns its id and address (lower-cased). Refuses a taken
/// address or a weak password.
pub fn create_operator(db: &Db, email: &str, name: &str, password: &str) -> anyhow::Result<(i64, String)> {
    let email = EmailAddress::parse(email).ok_or_else(|| anyhow::anyhow!("{email:?} is not an e-mail address"))?;
    let password = NewPassword::parse(password).ok_or_else(|| {
        anyhow::anyhow!("the password must have {} to {} characters", NewPassword::MIN_CHARS, NewPassword::MAX_CHARS)
    })?;
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    if q::user_by_email(&mut conn, email.as_str())?.is_some() {
        anyhow::bail!("an account with {} exists already", email.as_str());
    }
    let user = NewUser::new(email.as_str(), hash_password(password.expose())?, name.trim(), "zh", &Role::Operator);
    let now = crate::db::now();
    let id = crate::db::tx::write(&mut conn, |c| {
        let id = q::insert_user(c, &user)?;
        let detail = serde_json::json!({"role": "operator", "via": "command line"});
        audit::append(c, AuditEvent::new(None, "user.role", format!("user:{id}"), detail), now)?;
        Ok::<_, diesel::result::Error>(id)
    })?;
    Ok((id, email.as_str().to_owned()))
}

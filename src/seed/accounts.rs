//! Demo logins, one for every role, so that a new user of `serve --demo` can try the portal
//! at once. The password is public: these accounts exist only with the demo data.

use crate::accounts::hash_password;
use crate::clock::Clock;
use crate::db::accounts::{self as q, NewUser};
use crate::db::audit::{self, AuditEvent};
use crate::db::schema::workshops;
use crate::db::Db;
use crate::domain::account::Role;
use crate::domain::{RegionCode, WorkshopId};
use diesel::prelude::*;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "gongfang-demo";

/// One demo login: role, e-mail address, what it is scoped to.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub role: &'static str,
    pub email: String,
    pub scope: String,
}

/// Creates the demo accounts that are missing (the first demo workshop's manager and editor,
/// an editor of the second, an official of the first's prefecture, an operator, a buyer).
pub fn demo_logins(db: &Db, clock: Clock) -> anyhow::Result<Vec<DemoLogin>> {
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let demo: Vec<(i64, String, Option<String>, String)> = workshops::table
        .filter(workshops::is_demo.eq(true))
        .order(workshops::id)
        .limit(2)
        .select((workshops::id, workshops::slug, workshops::prefecture_code, workshops::province_code))
        .load(&mut conn)?;
    let [(first, first_slug, prefecture, province), (second, second_slug, _, _)] = demo.as_slice() else {
        return Ok(Vec::new());
    };
    let region = prefecture.clone().unwrap_or_else(|| province.clone());
    let region_code = RegionCode::parse(&region).ok_or_else(|| anyhow::anyhow!("demo region {region} is no code"))?;
    let wanted: Vec<(&'static str, &str, Role, String)> = vec![
        ("operator", "operator@demo.gongfang.cn", Role::Operator, "platform".into()),
        ("manager", "manager@demo.gongfang.cn", Role::Manager(WorkshopId(*first)), first_slug.clone()),
        ("editor", "editor@demo.gongfang.cn", Role::Editor(WorkshopId(*first)), first_slug.clone()),
        ("editor", "editor2@demo.gongfang.cn", Role::Editor(WorkshopId(*second)), second_slug.clone()),
        ("official", "official@demo.gongfang.cn", Role::Official(region_code), region.clone()),
        ("buyer", "buyer@demo.gongfang.cn", Role::Buyer, String::new()),
    ];
    let now = clock.now().naive_utc();
    let mut out = Vec::new();
    for (label, email, role, scope) in wanted {
        if q::user_by_email(&mut conn, email)?.is_none() {
            let mut user = NewUser::new(email, hash_password(DEMO_PASSWORD)?, &format!("Demo {label}"), "zh", &role);
            user.is_demo = true;
            crate::db::tx::write(&mut conn, |c| {
                let id = q::insert_user(c, &user)?;
                let detail = serde_json::json!({"role": role.name(), "scope": scope, "demo": true});
                audit::append(c, AuditEvent::new(None, "user.role", format!("user:{id}"), detail), now).map(|_| ())
            })?;
        }
        out.push(DemoLogin { role: label, email: email.to_owned(), scope });
    }
    Ok(out)
}

/// Prints the demo logins for the person who started the server.
pub fn print_demo_logins(logins: &[DemoLogin]) {
    if logins.is_empty() {
        return;
    }
    eprintln!("Demo logins (password \"{DEMO_PASSWORD}\"):");
    for l in logins {
        eprintln!("  {:<9} {:<28} {}", l.role, l.email, l.scope);
    }
}

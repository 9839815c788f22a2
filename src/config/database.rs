//! Where the data lives: `DATABASE_URL` (SQLite by default, PostgreSQL by URL) and the
//! optional PostgreSQL streaming replica for reads that may be a little stale
//! (`DATABASE_READ_URL`).

use super::{err, millis, ConfigError};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

/// Which database a URL selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file (path).
    Sqlite(PathBuf),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl DatabaseUrl {
    /// Parses `DATABASE_URL`: `postgres://…` selects PostgreSQL; `sqlite://path`, `file:path`
    /// or a plain path selects SQLite. `:memory:` is refused: every pooled connection would get
    /// its own empty database.
    pub fn parse(url: &str) -> Result<DatabaseUrl, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        if url.contains(":memory:") {
            return Err("an in-memory SQLite database cannot be shared by the pool; give a file path".into());
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .or_else(|| url.strip_prefix("file:"))
            .unwrap_or(url);
        if path.is_empty() {
            return Err("empty database path".into());
        }
        if path.contains("://") {
            return Err(format!("unsupported scheme in {:?}: use postgres://… or a SQLite file path", redact_url(url)));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    /// The URL with any password replaced, for logs and messages.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(p) => p.display().to_string(),
            DatabaseUrl::Postgres(u) => redact_url(u),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }
}

/// Hides the password part of `scheme://user:password@host/…`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}")
            } else {
                format!("{scheme}://{user}@{host}")
            }
        }
        None => url.to_owned(),
    }
}

/// A PostgreSQL streaming replica that takes the reads which may be a little stale: officials'
/// dashboards, exports and the public impact pages (see `db::replica`).
#[derive(Clone)]
pub struct ReplicaConfig {
    /// `DATABASE_READ_URL`: a `postgres://` URL of a hot standby of `DATABASE_URL`.
    pub url: DatabaseUrl,
    /// Reads go back to the primary while the replica is further behind than this
    /// (`GONGFANG_REPLICA_MAX_LAG_MS`, 5000).
    pub max_lag: Duration,
    /// How often each node measures the lag (`GONGFANG_REPLICA_CHECK_MS`, 500).
    pub check_every: Duration,
}

impl std::fmt::Debug for ReplicaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplicaConfig")
            .field("url", &self.url.redacted())
            .field("max_lag", &self.max_lag)
            .field("check_every", &self.check_every)
            .finish()
    }
}

/// Reads `DATABASE_READ_URL` and its settings; a replica needs PostgreSQL on both sides.
pub fn replica_from_env(
    env: &HashMap<String, String>,
    primary: &DatabaseUrl,
) -> Result<Option<ReplicaConfig>, ConfigError> {
    let Some(text) = env.get("DATABASE_READ_URL").filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    let url = DatabaseUrl::parse(text).map_err(|m| err("DATABASE_READ_URL", m))?;
    if !matches!(url, DatabaseUrl::Postgres(_)) || !matches!(primary, DatabaseUrl::Postgres(_)) {
        return Err(err(
            "DATABASE_READ_URL",
            "a read replica needs PostgreSQL: DATABASE_URL and DATABASE_READ_URL both postgres://…",
        ));
    }
    Ok(Some(ReplicaConfig {
        url,
        max_lag: millis(env, "GONGFANG_REPLICA_MAX_LAG_MS", 5000)?,
        check_every: millis(env, "GONGFANG_REPLICA_CHECK_MS", 500)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_replica_needs_postgresql_on_both_sides_and_hides_its_password() {
        let pg = DatabaseUrl::Postgres("postgres://u@h/db".into());
        let sqlite = DatabaseUrl::Sqlite("x.sqlite3".into());
        assert!(replica_from_env(&env(&[]), &pg).unwrap().is_none());
        let read = [("DATABASE_READ_URL", "postgres://u:secret@replica/db")];
        let r = replica_from_env(&env(&read), &pg).unwrap().unwrap();
        assert_eq!((r.max_lag, r.check_every), (Duration::from_secs(5), Duration::from_millis(500)));
        assert!(!format!("{r:?}").contains("secret"), "{r:?}");
        assert_eq!(replica_from_env(&env(&read), &sqlite).unwrap_err().variable, "DATABASE_READ_URL");
        let file = [("DATABASE_READ_URL", "replica.sqlite3")];
        assert_eq!(replica_from_env(&env(&file), &pg).unwrap_err().variable, "DATABASE_READ_URL");
        let lag = [read[0], ("GONGFANG_REPLICA_MAX_LAG_MS", "soon")];
        assert_eq!(replica_from_env(&env(&lag), &pg).unwrap_err().variable, "GONGFANG_REPLICA_MAX_LAG_MS");
    }
}

//! Typed configuration, read once at start from environment variables and an optional
//! `gongfang.toml`. The environment wins over the file. A bad value stops the start with a
//! message that names the variable.

pub mod commerce;
pub mod database;
pub mod storage;
pub mod storefront;

pub use commerce::{OrdersConfig, PayoutsConfig, StripeConfig};
pub use database::{redact_url, DatabaseUrl, ReplicaConfig};
pub use storage::StorageConfig;
pub use storefront::PageCacheConfig;

use crate::accounts::secrets::SecretKey;
use crate::accounts::AccountsConfig;
use crate::mail::MailConfig;
use crate::media::photos::PhotoLimits;
use crate::search::meili::MeiliConfig;
use crate::search::SearchConfig;
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Everything the program is configured with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the SQLite file, media and generated files live.
    pub data_dir: PathBuf,
    /// Where product photos live on this machine; defaults to `{data_dir}/media`.
    pub media_dir: PathBuf,
    /// Where photos and vouchers are kept: local directories, or an S3-compatible store.
    pub storage: StorageConfig,
    pub database: DatabaseUrl,
    /// A PostgreSQL streaming replica for reads that may be a little stale.
    pub replica: Option<ReplicaConfig>,
    pub bind: SocketAddr,
    /// Public base URL used in QR codes and emails; defaults to `http://{bind}`.
    pub public_url: String,
    /// Database connections in the pool.
    pub db_pool_size: u32,
    pub log_format: LogFormat,
    pub search: SearchConfig,
    pub accounts: AccountsConfig,
    pub mail: MailConfig,
    pub photos: PhotoLimits,
    /// The storefront's in-memory page cache.
    pub page_cache: PageCacheConfig,
    pub orders: OrdersConfig,
    pub payouts: PayoutsConfig,
    /// The employment rule the officials' reports check.
    pub reports: crate::domain::employment_rule::RuleConfig,
    /// Stripe payments; without it orders are paid offline, confirmed by staff.
    pub stripe: Option<StripeConfig>,
    /// How long a node holds the outbox rows it claimed before another node may deliver them
    /// (`GONGFANG_OUTBOX_LEASE_SECS`, 600): longer than any one delivery takes.
    pub outbox_lease: Duration,
    /// The browser that prints the annual evaluation to PDF (`GONGFANG_CHROMIUM`, default
    /// `chromium` on the `PATH`).
    pub chromium: PathBuf,
    /// Test-only hooks (`/test-hooks/…`, such as a panic forced inside a write). Only the
    /// integration tests turn them on; no variable or file sets them.
    pub test_hooks: bool,
}

/// A configuration error that names the variable at fault.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {variable}: {message}")]
pub struct ConfigError {
    pub variable: String,
    pub message: String,
}

fn err(variable: &str, message: impl Into<String>) -> ConfigError {
    ConfigError { variable: variable.to_owned(), message: message.into() }
}

/// A duration in milliseconds from 10 ms to an hour, `default` when the variable is unset.
fn millis(env: &HashMap<String, String>, var: &str, default: u64) -> Result<Duration, ConfigError> {
    match env.get(var) {
        None => Ok(Duration::from_millis(default)),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (10..=3_600_000).contains(n))
            .map(Duration::from_millis)
            .ok_or_else(|| err(var, format!("{v:?} is not a number of milliseconds from 10 to 3600000"))),
    }
}

/// The optional file: the same settings under the same names, lowercased without the prefix.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<String>,
    media_dir: Option<String>,
    database_url: Option<String>,
    bind: Option<String>,
    public_url: Option<String>,
    db_pool_size: Option<u32>,
    log_format: Option<String>,
    meili_url: Option<String>,
    meili_master_key: Option<String>,
    meili_index: Option<String>,
}

impl Config {
    /// Reads the process environment, plus `gongfang.toml` in the working directory (or the
    /// file named by `GONGFANG_CONFIG`) when present.
    pub fn from_env() -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let (file_name, must_exist) = match env.get("GONGFANG_CONFIG") {
            Some(p) => (PathBuf::from(p), true),
            None => (PathBuf::from("gongfang.toml"), false),
        };
        let file = match std::fs::read_to_string(&file_name) {
            Ok(text) => Some(text),
            Err(e) if !must_exist && e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(err("GONGFANG_CONFIG", format!("cannot read {}: {e}", file_name.display()))),
        };
        Config::from_sources(&env, file.as_deref())
    }

    /// Builds the configuration from an environment map and the text of the optional file.
    pub fn from_sources(env: &HashMap<String, String>, file: Option<&str>) -> Result<Config, ConfigError> {
        let file: FileConfig = match file {
            Some(text) => toml::from_str(text).map_err(|e| err("gongfang.toml", e.to_string()))?,
            None => FileConfig::default(),
        };
        let pick = |var: &str, from_file: Option<String>| -> Option<String> {
            env.get(var).filter(|v| !v.trim().is_empty()).cloned().or(from_file)
        };

        let data_dir = PathBuf::from(pick("GONGFANG_DATA_DIR", file.data_dir).unwrap_or_else(|| "./data".into()));
        if data_dir.as_os_str().is_empty() {
            return Err(err("GONGFANG_DATA_DIR", "must not be empty"));
        }
        let media_dir =
            pick("GONGFANG_MEDIA_DIR", file.media_dir).map_or_else(|| data_dir.join("media"), PathBuf::from);
        let database = match pick("DATABASE_URL", file.database_url) {
            Some(url) => DatabaseUrl::parse(&url).map_err(|m| err("DATABASE_URL", m))?,
            None => DatabaseUrl::Sqlite(data_dir.join("gongfang.sqlite3")),
        };
        let replica = database::replica_from_env(env, &database)?;
        let bind_text = pick("GONGFANG_BIND", file.bind).unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind: SocketAddr = bind_text
            .parse()
            .map_err(|_| err("GONGFANG_BIND", format!("{bind_text:?} is not an address like 127.0.0.1:8080")))?;
        let public_url = pick("GONGFANG_PUBLIC_URL", file.public_url)
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(err("GONGFANG_PUBLIC_URL", "must start with http:// or https://"));
        }
        let db_pool_size = match env.get("GONGFANG_DB_POOL_SIZE") {
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=256).contains(n))
                .ok_or_else(|| err("GONGFANG_DB_POOL_SIZE", format!("{v:?} is not a number from 1 to 256")))?,
            None => file.db_pool_size.unwrap_or(8),
        };
        let log_format = match pick("GONGFANG_LOG_FORMAT", file.log_format).as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(err("GONGFANG_LOG_FORMAT", format!("{other:?} is neither \"pretty\" nor \"json\"")))
            }
        };
        let meili = match pick("MEILI_URL", file.meili_url) {
            None => None,
            Some(url) => {
                let url = url.trim().trim_end_matches('/').to_owned();
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(err("MEILI_URL", "must start with http:// or https://"));
                }
                let index = pick("MEILI_INDEX", file.meili_index).unwrap_or_else(|| "products".into());
                if index.is_empty() || !index.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
                    return Err(err("MEILI_INDEX", "may hold only letters, digits, - and _"));
                }
                Some(MeiliConfig { url, master_key: pick("MEILI_MASTER_KEY", file.meili_master_key), index })
            }
        };
        let millis = |var: &str, default: u64| millis(env, var, default);
        let search = SearchConfig {
            meili,
            embedded_dir: data_dir.join("search"),
            poll: millis("GONGFANG_SEARCH_POLL_MS", 250)?,
            max_backoff: millis("GONGFANG_SEARCH_RETRY_MAX_MS", 30_000)?,
        };
        let secs = |var: &str, default: u64, max: u64| -> Result<Duration, ConfigError> {
            match env.get(var) {
                None => Ok(Duration::from_secs(default)),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .map(Duration::from_secs)
                    .ok_or_else(|| err(var, format!("{v:?} is not a number of seconds from 1 to {max}"))),
            }
        };
        let count = |var: &str, default: i64| -> Result<i64, ConfigError> {
            match env.get(var) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (1..=100_000).contains(n))
                    .ok_or_else(|| err(var, format!("{v:?} is not a number from 1 to 100000"))),
            }
        };
        let secret_key = match env.get("GONGFANG_SECRET_KEY").filter(|v| !v.trim().is_empty()) {
            Some(v) => Some(
                SecretKey::parse(v)
                    .ok_or_else(|| err("GONGFANG_SECRET_KEY", "must be 64 hex digits or the base64 of 32 bytes"))?,
            ),
            None => None,
        };
        let accounts = AccountsConfig {
            secret_key,
            reset_ttl: secs("GONGFANG_RESET_TTL_SECS", 3600, 7 * 86_400)?,
            login_window: secs("GONGFANG_LOGIN_WINDOW_SECS", 900, 86_400)?,
            max_failures_per_account: count("GONGFANG_LOGIN_MAX_FAILURES", 5)?,
            max_failures_per_ip: count("GONGFANG_LOGIN_MAX_FAILURES_IP", 20)?,
            trust_proxy: matches!(env.get("GONGFANG_TRUST_PROXY").map(String::as_str), Some("1" | "true")),
            ..AccountsConfig::default()
        };
        let smtp_url = env.get("SMTP_URL").filter(|v| !v.trim().is_empty()).cloned();
        if let Some(url) = &smtp_url {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return Err(err("SMTP_URL", "must start with smtp:// or smtps://"));
            }
        }
        let from =
            env.get("GONGFANG_MAIL_FROM").cloned().unwrap_or_else(|| "Gongfang <noreply@gongfang.localhost>".into());
        if from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(err("GONGFANG_MAIL_FROM", "is not an address like 工坊 <noreply@example.cn>"));
        }
        let mail = MailConfig {
            smtp_url,
            from,
            eml_dir: data_dir.join("mail"),
            poll: millis("GONGFANG_MAIL_POLL_MS", 500)?,
            max_backoff: millis("GONGFANG_MAIL_RETRY_MAX_MS", 60_000)?,
        };
        let photos = PhotoLimits {
            max_bytes: match env.get("GONGFANG_UPLOAD_MAX_BYTES") {
                None => PhotoLimits::default().max_bytes,
                Some(v) => {
                    v.trim().parse::<usize>().ok().filter(|n| (1024..=200 * 1024 * 1024).contains(n)).ok_or_else(
                        || {
                            err(
                                "GONGFANG_UPLOAD_MAX_BYTES",
                                format!("{v:?} is not a number of bytes from 1024 to 209715200"),
                            )
                        },
                    )?
                }
            },
            ..PhotoLimits::default()
        };
        Ok(Config {
            storage: storage::storage_from_env(env)?,
            data_dir,
            media_dir,
            database,
            replica,
            bind,
            public_url,
            db_pool_size,
            log_format,
            search,
            accounts,
            mail,
            photos,
            page_cache: storefront::page_cache_from_env(env)?,
            orders: commerce::orders_from_env(env)?,
            payouts: commerce::payouts_from_env(env)?,
            reports: commerce::reports_from_env(env)?,
            stripe: commerce::stripe_from_env(env)?,
            outbox_lease: secs("GONGFANG_OUTBOX_LEASE_SECS", 600, 86_400)?,
            chromium: env
                .get("GONGFANG_CHROMIUM")
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map_or_else(|| PathBuf::from("chromium"), PathBuf::from),
            test_hooks: false,
        })
    }

    /// Makes sure the data directory exists.
    pub fn ensure_dirs(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.data_dir)?;
        std::fs::create_dir_all(&self.media_dir)?;
        if let DatabaseUrl::Sqlite(path) = &self.database {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)?;
            }
        }
        Ok(())
    }

    /// A configuration for tests and tools: everything default but the data dir and database.
    pub fn for_data_dir(data_dir: &Path, database: DatabaseUrl) -> Config {
        let bind: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 0));
        Config {
            data_dir: data_dir.to_path_buf(),
            media_dir: data_dir.join("media"),
            storage: StorageConfig::Local,
            database,
            replica: None,
            bind,
            public_url: "http://127.0.0.1".into(),
            db_pool_size: 4,
            log_format: LogFormat::Pretty,
            search: SearchConfig {
                meili: None,
                embedded_dir: data_dir.join("search"),
                poll: Duration::from_millis(100),
                max_backoff: Duration::from_secs(2),
            },
            accounts: AccountsConfig::default(),
            mail: MailConfig {
                smtp_url: None,
                from: "Gongfang <noreply@gongfang.localhost>".into(),
                eml_dir: data_dir.join("mail"),
                poll: Duration::from_millis(100),
                max_backoff: Duration::from_secs(2),
            },
            photos: PhotoLimits::default(),
            page_cache: PageCacheConfig::default(),
            orders: OrdersConfig::default(),
            payouts: PayoutsConfig::default(),
            reports: crate::domain::employment_rule::RuleConfig::default(),
            stripe: None,
            outbox_lease: Duration::from_secs(600),
            chromium: PathBuf::from("chromium"),
            test_hooks: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults() {
        let c = Config::from_sources(&env(&[]), None).map_err(|e| e.to_string());
        let c = c.as_ref().map(|c| (c.bind.to_string(), c.database.clone(), c.public_url.clone()));
        assert_eq!(
            c,
            Ok((
                "127.0.0.1:8080".into(),
                DatabaseUrl::Sqlite(PathBuf::from("./data/gongfang.sqlite3")),
                "http://127.0.0.1:8080".into()
            ))
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = |pairs: &[(&str, &str)]| Config::from_sources(&env(pairs), None).err().map(|e| e.variable);
        assert_eq!(e(&[("GONGFANG_BIND", "nowhere")]), Some("GONGFANG_BIND".into()));
        assert_eq!(e(&[("DATABASE_URL", "mysql://x")]), Some("DATABASE_URL".into()));
        assert_eq!(e(&[("DATABASE_URL", ":memory:")]), Some("DATABASE_URL".into()));
        assert_eq!(e(&[("GONGFANG_DB_POOL_SIZE", "0")]), Some("GONGFANG_DB_POOL_SIZE".into()));
        assert_eq!(e(&[("GONGFANG_LOG_FORMAT", "xml")]), Some("GONGFANG_LOG_FORMAT".into()));
        assert_eq!(e(&[("MEILI_URL", "localhost:7700")]), Some("MEILI_URL".into()));
        assert_eq!(e(&[("MEILI_URL", "http://h"), ("MEILI_INDEX", "a b")]), Some("MEILI_INDEX".into()));
        assert_eq!(e(&[("GONGFANG_SEARCH_POLL_MS", "0")]), Some("GONGFANG_SEARCH_POLL_MS".into()));
        assert_eq!(e(&[("GONGFANG_SECRET_KEY", "short")]), Some("GONGFANG_SECRET_KEY".into()));
        assert_eq!(e(&[("SMTP_URL", "mail.example.cn")]), Some("SMTP_URL".into()));
        assert_eq!(e(&[("GONGFANG_LOGIN_MAX_FAILURES", "0")]), Some("GONGFANG_LOGIN_MAX_FAILURES".into()));
        let bad_file = Config::from_sources(&env(&[]), Some("bnd = 1")).err().map(|e| e.variable);
        assert_eq!(bad_file, Some("gongfang.toml".into()));
    }

    #[test]
    fn env_wins_over_file() {
        let c = Config::from_sources(
            &env(&[("GONGFANG_BIND", "127.0.0.1:9000")]),
            Some("bind = \"0.0.0.0:1\"\ndatabase_url = \"postgres://u:secret@h/db\""),
        );
        let c = c.map(|c| (c.bind.port(), c.database.redacted()));
        assert_eq!(c.ok(), Some((9000, "postgres://u:***@h/db".into())));
    }
}

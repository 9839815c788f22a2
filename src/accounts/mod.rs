//! Accounts: passwords (argon2id), sessions and bearer tokens, the login rate limit,
//! password resets and invitations by one-time links, and the role policy in [`authz`].
//! Handlers call the [`Accounts`] service; it runs its database work off the async workers.

pub mod admin;
pub mod authz;
pub mod flows;
pub mod invitations;
pub mod secrets;

use crate::db::Db;
use crate::mail::Mailer;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use secrets::SecretKey;
use std::time::Duration;

/// How accounts behave; read once from the environment (see `config.rs`).
#[derive(Debug, Clone)]
pub struct AccountsConfig {
    /// `None` until [`crate::server::prepare`] loads or creates the key file.
    pub secret_key: Option<SecretKey>,
    pub session_ttl: Duration,
    pub reset_ttl: Duration,
    pub invite_ttl: Duration,
    /// Failed logins are counted over this window, and a lockout lasts as long.
    pub login_window: Duration,
    pub max_failures_per_account: i64,
    pub max_failures_per_ip: i64,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy you run).
    pub trust_proxy: bool,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        AccountsConfig {
            secret_key: None,
            session_ttl: Duration::from_secs(30 * 24 * 3600),
            reset_ttl: Duration::from_secs(3600),
            invite_ttl: Duration::from_secs(7 * 24 * 3600),
            login_window: Duration::from_secs(15 * 60),
            max_failures_per_account: 5,
            max_failures_per_ip: 20,
            trust_proxy: false,
        }
    }
}

/// The accounts service shared by handlers.
#[derive(Clone)]
pub struct Accounts {
    pub(crate) db: Db,
    pub(crate) key: SecretKey,
    pub(crate) config: AccountsConfig,
    pub(crate) mailer: Mailer,
    /// Where links in e-mails point, e.g. `https://gongfang.example`.
    pub(crate) public_url: String,
    /// A hash of no one's password, checked when an address is unknown so that a failed
    /// login takes as long whether or not the account exists.
    pub(crate) dummy_hash: std::sync::Arc<String>,
}

impl Accounts {
    pub fn new(
        db: Db,
        key: SecretKey,
        config: AccountsConfig,
        mailer: Mailer,
        public_url: String,
    ) -> anyhow::Result<Self> {
        let dummy_hash = std::sync::Arc::new(hash_password(&secrets::new_token())?);
        Ok(Accounts { db, key, config, mailer, public_url, dummy_hash })
    }

    pub fn mailer(&self) -> &Mailer {
        &self.mailer
    }

    /// The key for sealing sensitive values and CSRF tokens.
    pub fn key(&self) -> &SecretKey {
        &self.key
    }

    pub fn config(&self) -> &AccountsConfig {
        &self.config
    }
}

/// Hashes a password with argon2id (19 MiB, 2 passes: OWASP's recommended minimum).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// Whether `password` matches a stored hash. A malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery").unwrap_or_default();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(!verify_password("x", "not a hash"));
    }
}

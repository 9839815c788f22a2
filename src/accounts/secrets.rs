//! The server's secret key and what is derived from it: sealing sensitive columns (ID and
//! bank numbers) with XChaCha20-Poly1305, CSRF tokens bound to a browser's nonce, and random
//! tokens stored only as their SHA-256.

use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Sealed values start with this, so a future key or cipher can be told apart.
const SEALED_PREFIX: &str = "v1:";

/// The 32-byte key from `GONGFANG_SECRET_KEY`. Never printed.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl SecretKey {
    /// Parses 64 hex digits or the base64 of 32 bytes.
    pub fn parse(text: &str) -> Option<SecretKey> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32).map(|i| u8::from_str_radix(&text[i * 2..i * 2 + 2], 16).ok()).collect::<Option<Vec<u8>>>()?
        } else {
            base64::engine::general_purpose::STANDARD.decode(text).ok()?
        };
        Some(SecretKey(bytes.try_into().ok()?))
    }

    /// A fresh random key, written as 64 hex digits.
    pub fn generate_hex() -> String {
        rand::random::<[u8; 32]>().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A key for one purpose, so that no two uses share key material.
    fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!("any key length"));
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Encrypts a sensitive value for storage.
    pub fn seal(&self, plain: &str) -> String {
        let cipher = XChaCha20Poly1305::new(&self.derive("seal").into());
        let nonce_bytes: [u8; 24] = rand::random();
        let nonce = XNonce::from(nonce_bytes);
        // Encryption with a valid key and nonce cannot fail for in-memory data.
        let sealed = cipher.encrypt(&nonce, plain.as_bytes()).unwrap_or_default();
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&sealed);
        format!("{SEALED_PREFIX}{}", STANDARD_NO_PAD.encode(out))
    }

    /// Decrypts a stored value; `None` when it was sealed with another key or tampered with.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let raw = STANDARD_NO_PAD.decode(sealed.strip_prefix(SEALED_PREFIX)?).ok()?;
        if raw.len() < 24 {
            return None;
        }
        let (nonce, body) = raw.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().ok()?;
        let cipher = XChaCha20Poly1305::new(&self.derive("seal").into());
        let plain = cipher.decrypt(&XNonce::from(nonce), body).ok()?;
        String::from_utf8(plain).ok()
    }

    /// The CSRF token for a browser's nonce (the `gf_csrf` cookie): only this server can make it.
    pub fn csrf_token(&self, nonce: &str) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.derive("csrf"))
            .unwrap_or_else(|_| unreachable!("any key length"));
        mac.update(nonce.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Whether `token` is the CSRF token for `nonce`, compared in constant time.
    pub fn csrf_matches(&self, nonce: &str, token: &str) -> bool {
        let Ok(given) = URL_SAFE_NO_PAD.decode(token) else {
            return false;
        };
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.derive("csrf"))
            .unwrap_or_else(|_| unreachable!("any key length"));
        mac.update(nonce.as_bytes());
        mac.verify_slice(&given).is_ok()
    }
}

/// A new random token for a cookie, a link or an API client (256 bits, URL-safe).
pub fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// What the database keeps of a token: its SHA-256, so a leaked table opens no session.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Shows only the last four characters: `************1234`.
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().filter(|c| !c.is_whitespace()).collect();
    let keep = chars.len().min(4);
    let hidden = chars.len().saturating_sub(keep).max(4);
    format!("{}{}", "*".repeat(hidden), chars[chars.len() - keep..].iter().collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> SecretKey {
        SecretKey([b; 32])
    }

    #[test]
    fn sealing_round_trips_and_detects_another_key_or_tampering() {
        let sealed = key(1).seal("513401199001011234");
        assert!(!sealed.contains("1234"));
        assert_eq!(key(1).open(&sealed).as_deref(), Some("513401199001011234"));
        assert_eq!(key(2).open(&sealed), None);
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(key(1).open(&String::from_utf8(tampered).unwrap_or_default()), None);
        assert_ne!(key(1).seal("x"), key(1).seal("x"), "a fresh nonce each time");
    }

    #[test]
    fn csrf_tokens_bind_to_the_nonce_and_key() {
        let t = key(1).csrf_token("nonce-a");
        assert!(key(1).csrf_matches("nonce-a", &t));
        assert!(!key(1).csrf_matches("nonce-b", &t));
        assert!(!key(2).csrf_matches("nonce-a", &t));
        assert!(!key(1).csrf_matches("nonce-a", "garbage!"));
    }

    #[test]
    fn keys_parse_from_hex_or_base64() {
        let hex = SecretKey::generate_hex();
        assert!(SecretKey::parse(&hex).is_some());
        assert!(SecretKey::parse(&base64::engine::general_purpose::STANDARD.encode([7u8; 32])).is_some());
        assert!(SecretKey::parse("short").is_none());
        assert_eq!(format!("{:?}", key(1)), "SecretKey(***)");
    }

    #[test]
    fn masks_keep_four() {
        assert_eq!(mask("6222 0212 3456 7890"), "************7890");
        assert_eq!(mask("12"), "****12");
        assert_eq!(token_hash("a").len(), 64);
        assert_ne!(new_token(), new_token());
    }
}

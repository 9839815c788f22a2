//! Where photos and payment vouchers are kept (`GONGFANG_STORAGE_URL`): directories on this
//! machine by default, or any S3-compatible object store, which several app nodes share.

use super::{err, ConfigError};
use std::collections::HashMap;

/// Where files go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// Directories on this machine (the default): photos in the media dir, vouchers in
    /// `{data_dir}/vouchers`.
    Local,
    /// An S3-compatible store: photos under `{prefix}/media/`, vouchers under
    /// `{prefix}/vouchers/`.
    S3(S3Config),
}

/// An S3-compatible bucket (AWS S3, MinIO, Aliyun OSS, moto in tests).
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    pub bucket: String,
    /// Key prefix inside the bucket, without slashes at either end (may be empty).
    pub prefix: String,
    /// `GONGFANG_S3_ENDPOINT`: the store's URL when it is not AWS (path-style requests).
    pub endpoint: Option<String>,
    /// `GONGFANG_S3_REGION`, `us-east-1` by default.
    pub region: String,
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

impl std::fmt::Debug for S3Config {
    // The secret key never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key.as_ref().map(|_| "…"))
            .finish()
    }
}

impl StorageConfig {
    /// Where the files are, for messages (no credentials).
    pub fn describe(&self) -> String {
        match self {
            StorageConfig::Local => "local directories".to_owned(),
            StorageConfig::S3(s3) => format!("s3://{}/{}", s3.bucket, s3.prefix),
        }
    }
}

/// Reads `GONGFANG_STORAGE_URL` (`s3://bucket/prefix`) and the S3 settings beside it.
pub fn storage_from_env(env: &HashMap<String, String>) -> Result<StorageConfig, ConfigError> {
    let var = |name: &str| env.get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let Some(url) = var("GONGFANG_STORAGE_URL") else {
        return Ok(StorageConfig::Local);
    };
    let (bucket, prefix) = parse_s3_url(&url).map_err(|m| err("GONGFANG_STORAGE_URL", m))?;
    let endpoint = var("GONGFANG_S3_ENDPOINT").map(|e| e.trim_end_matches('/').to_owned());
    if let Some(e) = &endpoint {
        if !(e.starts_with("http://") || e.starts_with("https://")) {
            return Err(err("GONGFANG_S3_ENDPOINT", "must start with http:// or https://"));
        }
    }
    let access_key_id = var("AWS_ACCESS_KEY_ID");
    let secret_access_key = var("AWS_SECRET_ACCESS_KEY");
    if access_key_id.is_some() != secret_access_key.is_some() {
        return Err(err("AWS_SECRET_ACCESS_KEY", "set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither"));
    }
    Ok(StorageConfig::S3(S3Config {
        bucket,
        prefix,
        endpoint,
        region: var("GONGFANG_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
        access_key_id,
        secret_access_key,
    }))
}

/// `s3://bucket/some/prefix` → (bucket, prefix). Bucket names follow S3's rules: 3 to 63
/// lowercase letters, digits, dots and hyphens.
fn parse_s3_url(url: &str) -> Result<(String, String), String> {
    let rest = url.strip_prefix("s3://").ok_or("must look like s3://bucket/prefix")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let bucket_ok = (3..=63).contains(&bucket.len())
        && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if !bucket_ok {
        return Err(format!("{bucket:?} is not a bucket name (3 to 63 of a-z, 0-9, . and -)"));
    }
    let prefix = prefix.trim_matches('/');
    if prefix.split('/').any(|s| s == "." || s == "..") || prefix.contains("//") {
        return Err("the prefix may not hold empty, . or .. parts".into());
    }
    Ok((bucket.to_owned(), prefix.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls() {
        assert_eq!(parse_s3_url("s3://gongfang-media/prod/"), Ok(("gongfang-media".into(), "prod".into())));
        assert_eq!(parse_s3_url("s3://bucket"), Ok(("bucket".into(), String::new())));
        assert!(parse_s3_url("http://bucket/x").is_err());
        assert!(parse_s3_url("s3://Bucket/x").is_err());
        assert!(parse_s3_url("s3://ab/x").is_err());
        assert!(parse_s3_url("s3://bucket/a/../b").is_err());
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let env: HashMap<String, String> = [
            ("GONGFANG_STORAGE_URL", "s3://media-bucket/p"),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "very-secret-value"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let cfg = storage_from_env(&env).unwrap();
        assert!(matches!(&cfg, StorageConfig::S3(s) if s.bucket == "media-bucket" && s.prefix == "p"));
        assert!(!format!("{cfg:?}").contains("very-secret-value"));
    }

    #[test]
    fn one_credential_alone_is_refused() {
        let env: HashMap<String, String> =
            [("GONGFANG_STORAGE_URL", "s3://media-bucket"), ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        let e = storage_from_env(&env).unwrap_err();
        assert_eq!(e.variable, "AWS_SECRET_ACCESS_KEY");
    }
}

//! Files the app keeps: product photos (public, served at `/media/…`) and payment vouchers
//! (private, served only through the app's access check). One interface over a local
//! directory (the default) or any S3-compatible store, through `object_store`, so that a file
//! written by one node is read by every other.

use crate::config::storage::StorageConfig;
use futures_util::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, PutPayload};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No file under that key.
    #[error("not found")]
    NotFound,
    /// A key with empty, `.` or `..` parts, or a leading dot.
    #[error("not a valid file key")]
    BadKey,
    /// The store failed (unreachable, refused): the server's fault.
    #[error("storage: {0}")]
    Failed(String),
}

impl From<object_store::Error> for StorageError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => StorageError::NotFound,
            other => StorageError::Failed(other.to_string()),
        }
    }
}

impl From<StorageError> for crate::error::AppError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound | StorageError::BadKey => crate::error::AppError::NotFound,
            StorageError::Failed(m) => crate::error::AppError::Internal(anyhow::anyhow!(m)),
        }
    }
}

/// One area of the store: the files under one prefix.
#[derive(Clone)]
pub struct Area {
    store: Arc<dyn ObjectStore>,
    /// The directory of a local area: its writes are flushed to disk before `put` returns.
    local: Option<PathBuf>,
}

impl std::fmt::Debug for Area {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Area({})", self.store)
    }
}

/// A key made only of plain parts (`photos/p12-ab/800.jpg`): never `..`, never hidden.
fn key(k: &str) -> Result<StorePath, StorageError> {
    let plain = !k.is_empty()
        && k.split('/').all(|part| {
            !part.is_empty()
                && !part.starts_with('.')
                && part.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        });
    if !plain {
        return Err(StorageError::BadKey);
    }
    StorePath::parse(k).map_err(|_| StorageError::BadKey)
}

impl Area {
    /// Writes one file (whole: a reader sees the old file or the new, never part of one). It
    /// is durable when this returns: an object store says so itself; a local file and its
    /// directory are synced, since object_store's local put only renames a written file, and
    /// the row that names the file may commit next.
    pub async fn put(&self, k: &str, bytes: Vec<u8>) -> Result<(), StorageError> {
        let path = key(k)?;
        self.store.put(&path, PutPayload::from(bytes)).await?;
        if let Some(root) = &self.local {
            let file = root.join(k);
            let synced = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                std::fs::File::open(&file)?.sync_all()?;
                match file.parent() {
                    Some(dir) => std::fs::File::open(dir)?.sync_all(),
                    None => Ok(()),
                }
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|done| done.map_err(|e| e.to_string()));
            synced.map_err(|e| StorageError::Failed(format!("syncing {k}: {e}")))?;
        }
        Ok(())
    }

    /// Reads one file.
    pub async fn get(&self, k: &str) -> Result<Vec<u8>, StorageError> {
        let found = self.store.get(&key(k)?).await?;
        Ok(found.bytes().await?.to_vec())
    }

    /// Removes every file under `dir/` (a photo's variants). Missing files are no error.
    pub async fn delete_dir(&self, dir: &str) -> Result<(), StorageError> {
        for k in self.list(Some(dir)).await? {
            match self.store.delete(&key(&k)?).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Keys of the files under `dir/` (or all), sorted.
    pub async fn list(&self, dir: Option<&str>) -> Result<Vec<String>, StorageError> {
        let prefix = dir.map(key).transpose()?;
        let mut stream = self.store.list(prefix.as_ref());
        let mut keys = Vec::new();
        while let Some(meta) = stream.next().await {
            keys.push(meta?.location.to_string());
        }
        keys.sort();
        Ok(keys)
    }
}

/// The app's files: photos and vouchers.
#[derive(Clone, Debug)]
pub struct Storage {
    /// Product photos (and the demo's pictures), public.
    pub photos: Area,
    /// Payment vouchers, private.
    pub vouchers: Area,
    described: String,
}

impl Storage {
    /// Opens the configured store. Local storage keeps photos in `media_dir` and vouchers in
    /// `{data_dir}/vouchers` (created if missing).
    pub fn open(config: &StorageConfig, media_dir: &Path, data_dir: &Path) -> anyhow::Result<Storage> {
        let (photos, vouchers): (Arc<dyn ObjectStore>, Arc<dyn ObjectStore>) = match config {
            StorageConfig::Local => (Arc::new(local(media_dir)?), Arc::new(local(&data_dir.join("vouchers"))?)),
            StorageConfig::S3(s3) => {
                let mut b = AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_virtual_hosted_style_request(false);
                if let Some(endpoint) = &s3.endpoint {
                    b = b.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
                }
                if let (Some(id), Some(secret)) = (&s3.access_key_id, &s3.secret_access_key) {
                    b = b.with_access_key_id(id).with_secret_access_key(secret);
                }
                let store = b.build()?;
                let under = |area: &str| {
                    if s3.prefix.is_empty() {
                        StorePath::from(area)
                    } else {
                        StorePath::from(format!("{}/{area}", s3.prefix))
                    }
                };
                (
                    Arc::new(PrefixStore::new(store.clone(), under("media"))),
                    Arc::new(PrefixStore::new(store, under("vouchers"))),
                )
            }
        };
        let described = match config {
            StorageConfig::Local => {
                format!("local directories {} and {}", media_dir.display(), data_dir.join("vouchers").display())
            }
            s3 => s3.describe(),
        };
        let (photos_dir, vouchers_dir) = match config {
            StorageConfig::Local => (Some(media_dir.to_path_buf()), Some(data_dir.join("vouchers"))),
            StorageConfig::S3(_) => (None, None),
        };
        Ok(Storage {
            photos: Area { store: photos, local: photos_dir },
            vouchers: Area { store: vouchers, local: vouchers_dir },
            described,
        })
    }

    /// Where the files are, for messages.
    pub fn describe(&self) -> &str {
        &self.described
    }
}

fn local(dir: &Path) -> anyhow::Result<LocalFileSystem> {
    std::fs::create_dir_all(dir)?;
    // Removing a photo's last file removes its directory too, as on an object store.
    Ok(LocalFileSystem::new_with_prefix(dir)?.with_automatic_cleanup(true))
}

/// Copies every file under a local directory into `area`, keeping relative paths (what
/// `gongfang media import` does for the media and voucher directories). Files already in the
/// store are written again with the same bytes. Returns how many were copied.
pub async fn import_dir(root: &Path, area: &Area) -> anyhow::Result<usize> {
    let files = local_files(root, root)?;
    for (rel, path) in &files {
        area.put(rel, std::fs::read(path)?).await?;
    }
    Ok(files.len())
}

/// Copies the files under `{root}/{dir}` that `area` does not hold yet, keeping paths relative
/// to `root`: the demo's pictures, drawn on this machine, go to a shared store once.
pub async fn copy_missing(root: &Path, dir: &str, area: &Area) -> anyhow::Result<usize> {
    let held: std::collections::HashSet<String> = area.list(Some(dir)).await?.into_iter().collect();
    let mut copied = 0;
    for (rel, path) in local_files(root, &root.join(dir))? {
        if !held.contains(&rel) {
            area.put(&rel, std::fs::read(&path)?).await?;
            copied += 1;
        }
    }
    Ok(copied)
}

/// The files under `dir` as (path relative to `root`, local path), leaving out temporary and
/// hidden ones (a photo being written), which are not part of the catalogue.
fn local_files(root: &Path, dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let rel = path.strip_prefix(root)?.to_string_lossy().replace('\\', "/");
            if rel.split('/').any(|part| part.starts_with('.')) || rel.contains('#') {
                continue;
            }
            files.push((rel, path));
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_directory_or_a_missing_file_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(&StorageConfig::Local, dir.path(), dir.path()).unwrap();
        storage.photos.put("photos/p1/320.jpg", b"x".to_vec()).await.unwrap();
        assert_eq!(storage.photos.get("photos/p1/320.jpg").await.unwrap(), b"x");
        for missing in ["photos/p1", "photos", "photos/p1/800.jpg"] {
            assert!(matches!(storage.photos.get(missing).await, Err(StorageError::NotFound)), "{missing}");
        }
        assert!(matches!(storage.vouchers.get("photos/p1/320.jpg").await, Err(StorageError::NotFound)));
    }

    #[test]
    fn keys_stay_plain() {
        assert!(key("photos/p1-ab/800.jpg").is_ok());
        assert!(key("demo/a.jpg").is_ok());
        for bad in ["", "../x", "a/../b", "/etc/passwd", "a//b", ".tmp/x", "a/.hidden", "a b", "a\\b"] {
            assert!(key(bad).is_err(), "{bad:?}");
        }
    }
}

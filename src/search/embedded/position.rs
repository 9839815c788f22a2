//! Where an embedded index stands in the search log ([`crate::db::search_log`]): a file
//! `FOLLOW` inside the index directory, so that a rebuilt index carries the position it was
//! filled at, and a restarted node goes on where it stopped.

use super::failed;
use crate::db::search_log::LogPosition;
use crate::search::SearchError;
use chrono::{DateTime, Utc};
use std::path::Path;

const FILE: &str = "FOLLOW";

/// A position with the time it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    pub position: LogPosition,
    pub at: DateTime<Utc>,
}

/// The position saved in `dir`, if any (an unreadable file counts as none: the index is then
/// filled again).
pub(super) fn read(dir: &Path) -> Option<Saved> {
    let text = std::fs::read_to_string(dir.join(FILE)).ok()?;
    let mut parts = text.split_whitespace().map(str::parse::<i64>);
    let (Some(Ok(txid)), Some(Ok(id)), Some(Ok(at))) = (parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    Some(Saved { position: LogPosition { txid, id }, at: DateTime::from_timestamp(at, 0)? })
}

/// Writes `position` into `dir`, replacing the file whole (write beside it, then rename).
pub(super) fn write(dir: &Path, position: LogPosition) -> Result<Saved, SearchError> {
    // Whole seconds, as the file keeps them.
    let now = Utc::now();
    let saved = Saved { position, at: DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now) };
    let tmp = dir.join(format!("{FILE}.{}", std::process::id()));
    std::fs::write(&tmp, format!("{} {} {}\n", position.txid, position.id, saved.at.timestamp())).map_err(failed)?;
    std::fs::rename(&tmp, dir.join(FILE)).map_err(failed)?;
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_reads_back_and_a_damaged_file_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()), None);
        let p = LogPosition { txid: 7_000_000_123, id: -5 };
        let saved = write(dir.path(), p).unwrap();
        assert_eq!(read(dir.path()), Some(saved));
        std::fs::write(dir.path().join(FILE), "12 x 3").unwrap();
        assert_eq!(read(dir.path()), None);
    }
}

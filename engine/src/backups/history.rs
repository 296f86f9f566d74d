//! A backup directory's history: `<dir>/.pgark/history.jsonl`, one JSON record per run (dumps
//! that finished, failed or were interrupted, and verifications). Appends hold an exclusive
//! lock and are synced, so concurrent runs never interleave a line.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What kind of run a record is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunKind {
    /// A dump into the directory.
    Dump,
    /// A verification of one of its archives.
    Verify,
    /// A prune that deleted archives.
    Prune,
    /// A restore drill of one of its archives (`pgark drill`).
    Drill,
    /// A notification of a run that could not be sent (`error` says which channel and why).
    Notify,
    /// The schedules were installed (crontab, systemd timers) or the daemon started: scheduled
    /// runs are expected from then on (`check` reports the ones not done as late).
    Schedule,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    /// It finished (a dump wrote its archive; a verification found every chunk intact).
    Ok,
    /// It failed (the error says why).
    Failed,
    /// A signal stopped it.
    Interrupted,
}

/// One run. Never holds a password: errors are the engine's, which name no secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Dump or verify.
    pub kind: RunKind,
    /// How it ended.
    pub status: RunStatus,
    /// When it started.
    pub started: DateTime<Utc>,
    /// When it ended.
    pub finished: DateTime<Utc>,
    /// Its wall time in seconds.
    pub seconds: f64,
    /// The archive's file name in the directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive: Option<String>,
    /// The database dumped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// The profile used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The schedule that ran it (`schedule run NAME`, the daemon, cron).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// The source's `server_version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    /// Tables dumped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tables: Option<usize>,
    /// Rows dumped (or checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// COPY bytes dumped (or checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_bytes: Option<u64>,
    /// The archive's size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_bytes: Option<u64>,
    /// blake3 of the archive's stored manifest (from its footer), which identifies the dump.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_blake3: Option<String>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The archives a prune deleted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted: Vec<String>,
}

impl Record {
    /// A record with only its kind, status and times filled in.
    pub fn new(kind: RunKind, status: RunStatus, started: DateTime<Utc>, finished: DateTime<Utc>) -> Record {
        Record {
            kind,
            status,
            started,
            finished,
            seconds: (finished - started).num_milliseconds().max(0) as f64 / 1000.0,
            archive: None,
            database: None,
            profile: None,
            schedule: None,
            server_version: None,
            tables: None,
            rows: None,
            raw_bytes: None,
            stored_bytes: None,
            manifest_blake3: None,
            error: None,
            deleted: Vec::new(),
        }
    }
}

/// Where a directory's history is.
pub fn history_path(dir: &Path) -> PathBuf {
    dir.join(".pgark").join("history.jsonl")
}

/// Appends one record (a line), under an exclusive lock, and syncs it.
pub fn append(dir: &Path, record: &Record) -> Result<()> {
    let path = history_path(dir);
    let folder = path.parent().expect("the history lives in a folder");
    crate::files::private_dir(folder).map_err(|e| Error::io(folder, e))?;
    let mut file = crate::files::append_private(&path).map_err(|e| Error::io(&path, e))?;
    // SAFETY: flock on a descriptor this process owns; no memory is passed.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(Error::io(&path, std::io::Error::last_os_error()));
    }
    let mut line =
        serde_json::to_vec(record).map_err(|e| Error::Internal(format!("encoding a history record: {e}")))?;
    line.push(b'\n');
    file.write_all(&line).map_err(|e| Error::io(&path, e))?;
    file.sync_data().map_err(|e| Error::io(&path, e))
}

/// Every record, oldest first, and how many lines could not be read (a damaged line is
/// skipped, never fatal).
pub fn read_history(dir: &Path) -> Result<(Vec<Record>, usize)> {
    let path = history_path(dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let mut records = Vec::new();
    let mut skipped = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str(line) {
            Ok(r) => records.push(r),
            Err(_) => skipped += 1,
        }
    }
    Ok((records, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_append_as_lines_and_damaged_lines_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let now = Utc::now();
        let record = Record {
            kind: RunKind::Dump,
            status: RunStatus::Failed,
            started: now,
            finished: now,
            seconds: 0.5,
            archive: None,
            database: Some("app".into()),
            profile: None,
            schedule: None,
            server_version: None,
            tables: None,
            rows: None,
            raw_bytes: None,
            stored_bytes: None,
            manifest_blake3: None,
            error: Some("cannot connect".into()),
            deleted: Vec::new(),
        };
        append(dir.path(), &record).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(history_path(dir.path()))
            .unwrap()
            .write_all(b"{broken\n")
            .unwrap();
        append(dir.path(), &record).unwrap();
        let (records, skipped) = read_history(dir.path()).unwrap();
        assert_eq!((records.len(), skipped), (2, 1));
        assert_eq!(records[0], record);
    }
}

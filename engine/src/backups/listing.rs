//! What a backup directory holds: every file in it, archives told apart from everything else by
//! their header (never by their name), each archive summarised from its manifest and joined
//! with its last verification from the history.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::history::{read_history, Record, RunKind, RunStatus};
use crate::archive::{Archive, MAGIC};
use crate::error::{Error, Result};

/// One file of a backup directory.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    /// Its name in the directory.
    pub file: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was last modified.
    pub modified: Option<DateTime<Utc>>,
    /// What it is.
    #[serde(flatten)]
    pub state: ListedState,
}

/// What a listed file is.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ListedState {
    /// A readable pgark archive.
    Archive(Box<ListedArchive>),
    /// A pgark archive (by its header) whose manifest cannot be read.
    Unreadable {
        /// Why.
        reason: String,
    },
    /// An archive still being written, or left by a dump that did not finish.
    Partial,
    /// Not a pgark archive.
    Foreign {
        /// Why pgark thinks so.
        reason: String,
    },
}

/// A readable archive, summarised.
#[derive(Debug, Clone, Serialize)]
pub struct ListedArchive {
    /// The database dumped.
    pub database: String,
    /// The source's `server_version`.
    pub server_version: String,
    /// The profile used, if one was named.
    pub profile: Option<String>,
    /// A full backup: schema and data of the whole database (no toggle, no filter; a
    /// platform's managed schemas may be left out).
    #[serde(default)]
    pub full: bool,
    /// The instant the data was read at.
    pub snapshot_time: DateTime<Utc>,
    /// Seconds from snapshot to the archive's completion.
    pub seconds: f64,
    /// Tables with data.
    pub tables: usize,
    /// Rows over all tables.
    pub rows: u64,
    /// COPY bytes over all tables.
    pub raw_bytes: u64,
    /// Schema statements.
    pub schema_items: usize,
    /// blake3 of the stored manifest.
    pub manifest_blake3: String,
    /// The last verification recorded in the history, if any.
    pub last_verify: Option<LastVerify>,
    /// Its info file (`<archive>.txt`, from `dump --info-file`), if there is one.
    pub info_file: Option<String>,
    /// Whether it is encrypted (then `schema_items` is 0: the schema needs the key).
    pub encrypted: bool,
}

/// A verification recorded in the history.
#[derive(Debug, Clone, Serialize)]
pub struct LastVerify {
    /// Whether every chunk matched its hash.
    pub ok: bool,
    /// When it finished.
    pub time: DateTime<Utc>,
    /// What it found wrong.
    pub error: Option<String>,
}

/// Every non-hidden file of `dir`, oldest archive first (files that are not archives after
/// them, by name). Damaged and foreign files are listed with a reason, never skipped.
pub fn list(dir: &Path) -> Result<Vec<Listed>> {
    list_with(dir, &read_history(dir)?.0)
}

/// [`list`], with the history already read.
pub(super) fn list_with(dir: &Path, history: &[Record]) -> Result<Vec<Listed>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut listed = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let file = entry.file_name().to_string_lossy().into_owned();
        if file.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let meta = match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => continue,
            Ok(m) => m,
            Err(e) => {
                // A dangling link, a file gone meanwhile: listed, never fatal.
                let state = ListedState::Foreign { reason: format!("cannot be read: {e}") };
                listed.push(Listed { file, size: 0, modified: None, state });
                continue;
            }
        };
        let state = classify(&path, &file, history);
        listed.push(Listed { file, size: meta.len(), modified: meta.modified().ok().map(DateTime::from), state });
    }
    attach_info_files(dir, &mut listed);
    listed.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    Ok(listed)
}

/// The first line of an info file pgark writes beside an archive (`dump --info-file`).
pub const INFO_FILE_HEADER: &str = "pgark backup information";

/// The info file of an archive: `<archive>.txt`.
pub fn info_file_name(archive: &str) -> String {
    format!("{archive}.txt")
}

/// Moves each archive's info file (one pgark wrote: it starts with [`INFO_FILE_HEADER`]) from
/// the list into its archive's entry, so it is listed, pruned and reported with it.
fn attach_info_files(dir: &Path, listed: &mut Vec<Listed>) {
    let written_by_pgark = |name: &str| {
        let mut head = vec![0u8; INFO_FILE_HEADER.len()];
        std::fs::File::open(dir.join(name)).and_then(|mut f| f.read_exact(&mut head)).is_ok()
            && head == INFO_FILE_HEADER.as_bytes()
    };
    let mut attached = Vec::new();
    for l in listed.iter_mut() {
        if let ListedState::Archive(a) = &mut l.state {
            let info = info_file_name(&l.file);
            if written_by_pgark(&info) {
                a.info_file = Some(info.clone());
                attached.push(info);
            }
        }
    }
    listed.retain(|l| !attached.contains(&l.file));
}

fn sort_key(l: &Listed) -> (u8, Option<DateTime<Utc>>, &str) {
    match &l.state {
        ListedState::Archive(a) => (0, Some(a.snapshot_time), &l.file),
        _ => (1, None, &l.file),
    }
}

fn classify(path: &PathBuf, file: &str, history: &[Record]) -> ListedState {
    if file.ends_with(".partial") {
        return ListedState::Partial;
    }
    let mut head = [0u8; 8];
    let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head));
    if let Err(e) = read {
        let reason = match e.kind() {
            std::io::ErrorKind::UnexpectedEof => "shorter than a pgark header".to_string(),
            _ => format!("cannot be read: {e}"),
        };
        return ListedState::Foreign { reason };
    }
    if &head != MAGIC {
        return ListedState::Foreign { reason: "no pgark header".into() };
    }
    match Archive::open_locked(path) {
        Ok(archive) => ListedState::Archive(Box::new(summarise(&archive, file, history))),
        Err(Error::Archive { reason, .. }) => ListedState::Unreadable { reason },
        Err(e) => ListedState::Unreadable { reason: e.to_string() },
    }
}

fn summarise(archive: &Archive, file: &str, history: &[Record]) -> ListedArchive {
    let m = archive.manifest();
    let manifest_blake3 = archive.manifest_blake3();
    let last_verify = history
        .iter()
        .rev()
        .find(|r| {
            r.kind == RunKind::Verify
                && r.archive.as_deref() == Some(file)
                && r.manifest_blake3.as_deref().is_none_or(|h| h == manifest_blake3)
        })
        .map(|r| LastVerify { ok: r.status == RunStatus::Ok, time: r.finished, error: r.error.clone() });
    ListedArchive {
        database: m.database.clone(),
        server_version: m.server_version.clone(),
        profile: m.settings.profile.clone(),
        full: {
            let st = &m.settings;
            st.data
                && st.structure
                && st.exclude_kinds.is_empty()
                && st.exclude_table_data.is_empty()
                && st.schemas.is_empty()
                && st.exclude_schemas.is_empty()
                && st.tables.is_empty()
                && st.exclude_tables.is_empty()
        },
        snapshot_time: m.snapshot_time,
        seconds: (m.finished_time - m.snapshot_time).num_milliseconds().max(0) as f64 / 1000.0,
        tables: match archive.public_info() {
            Some(p) => p.tables,
            None => m.tables.iter().filter(|t| t.contents == crate::archive::Contents::Rows).count(),
        },
        rows: archive.public_info().map_or_else(|| m.total_rows(), |p| p.rows),
        raw_bytes: archive.public_info().map_or_else(|| m.total_raw_bytes(), |p| p.raw_bytes),
        schema_items: m.items.len(),
        manifest_blake3,
        last_verify,
        info_file: None,
        encrypted: archive.is_encrypted(),
    }
}

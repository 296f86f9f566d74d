//! The manifest region of an encrypted archive (format 4): what anyone may read — the public
//! facts `list`, `report` and `check` show, and where every encrypted frame is with its hash, so
//! `verify` checks the whole file without the key — and where the encrypted archive key and the
//! encrypted manifest are. Table names, columns, the schema, per-table rows, the raw data's
//! hashes and row digests, roles and the dump's filters are only in the encrypted manifest.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::manifest::Manifest;

/// A stored frame: where it is and the blake3 of its (encrypted) bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Frame {
    /// Offset in the archive.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// blake3 of the stored bytes, hex.
    pub blake3: String,
}

/// What an encrypted archive shows without its key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicInfo {
    /// pgark version that wrote the archive.
    pub tool_version: String,
    /// The database's name.
    pub database: String,
    /// `server_version` of the source.
    pub server_version: String,
    /// `server_version_num` of the source.
    pub server_version_num: i32,
    /// The instant every table was read at.
    pub snapshot_time: DateTime<Utc>,
    /// When the dump finished writing.
    pub finished_time: DateTime<Utc>,
    /// The profile used, if one was named.
    pub profile: Option<String>,
    /// Tables with data.
    pub tables: usize,
    /// Rows over all tables.
    pub rows: u64,
    /// COPY bytes over all tables.
    pub raw_bytes: u64,
    /// How the archive key is protected: the recipients (public keys), or `passphrase`.
    pub recipients: Vec<String>,
}

/// The manifest region of an encrypted archive.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Envelope {
    /// What anyone may read.
    pub public: PublicInfo,
    /// The archive key, an age file to the recipients or passphrase.
    pub key: Frame,
    /// The manifest: zstd-compressed JSON, then an age file to the archive key.
    pub manifest: Frame,
    /// The manifest's JSON length.
    pub manifest_raw_len: u64,
    /// Every chunk's frame, in file order.
    pub chunks: Vec<Frame>,
}

impl Envelope {
    /// The public part of `manifest`.
    pub fn public(manifest: &Manifest, recipients: Vec<String>) -> PublicInfo {
        PublicInfo {
            tool_version: manifest.tool_version.clone(),
            database: manifest.database.clone(),
            server_version: manifest.server_version.clone(),
            server_version_num: manifest.server_version_num,
            snapshot_time: manifest.snapshot_time,
            finished_time: manifest.finished_time,
            profile: manifest.settings.profile.clone(),
            tables: manifest.tables.len(),
            rows: manifest.total_rows(),
            raw_bytes: manifest.total_raw_bytes(),
            recipients,
        }
    }

    /// The chunks' frames as the manifest records them, in file order.
    pub fn frames_of(manifest: &Manifest) -> Vec<Frame> {
        let mut frames: Vec<Frame> = manifest
            .tables
            .iter()
            .flat_map(|t| &t.chunks)
            .map(|c| Frame { offset: c.offset, len: c.stored_len, blake3: c.stored_blake3.clone() })
            .collect();
        frames.sort();
        frames
    }

    /// A manifest holding only the public facts (no tables, no schema): what a reader without
    /// the key knows.
    pub fn locked_manifest(&self) -> Manifest {
        let p = &self.public;
        let mut m = Manifest::placeholder();
        m.tool_version = p.tool_version.clone();
        m.database = p.database.clone();
        m.server_version = p.server_version.clone();
        m.server_version_num = p.server_version_num;
        m.snapshot_time = p.snapshot_time;
        m.finished_time = p.finished_time;
        m.settings.profile = p.profile.clone();
        m
    }
}

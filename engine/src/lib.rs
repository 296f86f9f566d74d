//! # pgark-engine
//!
//! Parallel, verifiable PostgreSQL dumps into one archive file, and parallel restores.
//!
//! A dump exports one snapshot that every worker imports, splits tables into ctid block ranges,
//! copies them with `COPY … TO STDOUT (FORMAT binary)` over pooled connections, compresses and
//! hashes each chunk on rayon, and writes one `.pgark` file (header, chunk frames, manifest,
//! footer) atomically. An archive can be verified without a database and restored in parallel.
//!
//! ```no_run
//! use std::{path::Path, sync::Arc};
//! use pgark_engine::{dump, restore, verify, Archive, ConnectOptions, DumpOptions, NoProgress, RestoreOptions, Target};
//!
//! # async fn example() -> pgark_engine::Result<()> {
//! let source = Target::resolve(&ConnectOptions { url: Some("postgres://postgres@localhost/app".into()), ..Default::default() })?;
//! let plan = dump::prepare(&source, &DumpOptions::default()).await?;
//! let summary = plan.execute(Path::new("app.pgark"), Arc::new(NoProgress)).await?;
//!
//! let archive = Arc::new(Archive::open(&summary.path)?);
//! assert!(verify(&archive, &NoProgress).ok());
//!
//! let target = source.with_dbname("app_copy");
//! let plan = restore::prepare(&archive, &RestoreOptions { create: true, ..Default::default() })?;
//! plan.execute(archive.clone(), &target, Arc::new(NoProgress)).await?;
//! # Ok(())
//! # }
//! ```

mod archive;
mod archive_read;
mod archive_write;
mod catalog;
mod columns;
mod compress;
mod connect;
mod copy_format;
mod copy_in;
mod copy_out;
mod ddl;
mod depsort;
mod error;
mod filter;
mod fingerprint;
mod local_cluster;
mod manifest;
mod objects;
mod plan;
mod progress;
mod roles;
mod session;
mod snapshot;
mod verify;
mod workers;

/// Dumping a database into an archive: `prepare` → [`DumpPlan`] → `execute`.
pub mod dump {
    pub use crate::dump_impl::*;
}
/// Restoring an archive: `prepare` → [`RestorePlan`] → `execute`.
pub mod restore {
    pub use crate::restore_impl::*;
}
#[path = "dump.rs"]
pub(crate) mod dump_impl;
#[path = "restore.rs"]
mod restore_impl;

pub use archive::{FORMAT_VERSION, MAGIC};
pub use archive_read::Archive;
pub use archive_write::{partial_path, ArchiveWriter};
pub use compress::{seal, Sealed};
pub use connect::{ConnectOptions, SslMode, Target};
pub use copy_format::{CopyFormat, RowCounter};
pub use ddl::{ident, literal, qualified};
pub use dump_impl::{DumpOptions, DumpPlan, DumpSummary, SUPABASE_MANAGED_SCHEMAS};
pub use error::{Error, Result};
pub use filter::{glob_match, Filter};
pub use fingerprint::{fingerprint_tables, Fingerprint};
pub use local_cluster::{find_server_binaries, LocalCluster};
pub use manifest::{ChunkEntry, Compression, DdlItem, DumpSettings, Kind, Layout, Manifest, Section, TableEntry};
pub use plan::{ChunkRange, TablePlan};
pub use progress::{Event, NoProgress, Progress, Stage};
pub use restore_impl::{RestoreOptions, RestorePlan, RestoreSummary};
pub use roles::{roles_named, RoleDef};
pub use verify::{verify, VerifyReport};

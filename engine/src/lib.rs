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
pub mod dump;
mod error;
mod filter;
mod fingerprint;
mod pg;
mod progress;
pub mod restore;
mod schema;
mod sql;
mod verify;
mod workers;

pub use archive::{
    partial_path, seal, Archive, ArchiveWriter, ChunkEntry, Compression, CopyFormat, DdlItem, DumpSettings, Kind,
    Layout, Manifest, RoleDef, RowCounter, Sealed, Section, TableEntry, FORMAT_VERSION, MAGIC,
};
pub use dump::{ChunkRange, DumpOptions, DumpPlan, DumpSummary, TablePlan, SUPABASE_MANAGED_SCHEMAS};
pub use error::{Error, Result};
pub use filter::{glob_match, Filter};
pub use fingerprint::{fingerprint_tables, Fingerprint};
pub use pg::{find_server_binaries, ConnectOptions, LocalCluster, SslMode, Target};
pub use progress::{Event, NoProgress, Progress, Stage};
pub use restore::{RestoreOptions, RestorePlan, RestoreSummary};
pub use schema::roles_named;
pub use sql::{ident, literal, qualified};
pub use verify::{verify, VerifyReport};

//! # pgark-engine
//!
//! Parallel, verifiable PostgreSQL dumps into one archive file, and parallel restores.
//!
//! A dump exports one snapshot that every worker imports, splits tables into ctid block ranges,
//! copies them with `COPY … TO STDOUT (FORMAT binary)` over pooled connections, packs, hashes
//! and compresses each chunk as it streams in, and writes one `.pgark` file (header, chunk
//! frames, manifest, footer) atomically. An archive can be verified without a database and
//! restored in parallel.
//!
//! The source tree follows the pipeline (each folder's `mod.rs` says what it takes and hands on):
//!
//! | where | what |
//! |---|---|
//! | `dump/` | `prepare` → [`DumpPlan`] → `execute`: chunk planning, the COPY-out workers, the writer |
//! | `schema/` | the catalog read in the snapshot, one module per object family, dependency order |
//! | `archive/` | the file: byte layout, manifest, column packing, sealing, writer, reader |
//! | `restore/` | `prepare` → [`RestorePlan`] → `execute`: COPY-in workers, post-data scheduling |
//! | `pg/` | connections (URLs, TLS, pools), session settings, snapshots, COPY in/out, local cluster |
//! | `decode/` | reading archived rows without a database: binary COPY values → PostgreSQL's text |
//! | `extract/` | an archive in open formats: a plain SQL script for psql |
//! | `verify.rs`, `fingerprint.rs` | checking an archive without a database; comparing databases |
//! | `drill.rs` | restore drills: restore into a scratch database, compare with the dump's row digests, drop it |
//! | `error.rs`, `progress.rs`, `filter.rs`, `sql.rs`, `workers.rs`, `files.rs` | shared by every stage |
//!
//! Dependencies point one way: `dump` and `restore` use `schema`, `archive` and `pg`; `schema`
//! uses `archive` (the items it builds are the manifest's); `archive` knows nothing of catalogs
//! or servers. The engine never prints: progress is reported through [`Progress`].
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

#![warn(missing_docs)]

mod archive;
mod backups;
mod decode;
mod drill;
pub mod dump;
mod error;
mod extract;
mod files;
mod filter;
mod fingerprint;
mod pg;
mod progress;
pub mod restore;
mod schema;
mod sql;
mod verify;
mod workers;

/// A secret string (passphrases), as the `age` crate takes it.
pub use age::secrecy::SecretString;
pub use archive::{
    partial_path, remove_stale_partials, seal, Archive, ArchiveWriter, ChunkEntry, Compression, Contents, CopyFormat,
    DdlItem, DumpSettings, Encryption, Keys, Kind, Layout, Manifest, PublicInfo, RoleDef, RowCounter, RowDigest,
    Sealed, Section, TableEntry, FORMAT_VERSION, LARGE_OBJECT_PIECE, MAGIC,
};
pub use backups::{
    append as append_history, check as check_backups, deserialize_age, diff as diff_archives, history_path,
    info_file_name, list as list_backups, parse_age, plan_prune, prometheus as backup_metrics, read_history,
    report as report_backups, ArchiveDiff, Change, Content as ContentChange, DiffSide, Doomed, DueRun, GroupBy, Health,
    HealthRules, ItemChange, Kept, LastVerify, Listed, ListedArchive, ListedState, Problem, PrunePlan, PruneSummary,
    Record, Report, Retention, RunKind, RunStatus, Severity, TableChange, TableGrowth, INFO_FILE_HEADER,
};
pub use decode::{
    copy_text_escape, csv_escape, write_rows, DecodeError, Decoder, RowFormat, RowOptions, RowReader, SourceFacts,
};
pub use drill::{drill, DrillOptions, DrillReport, DrillTable};
pub use dump::{ChunkRange, DumpOptions, DumpPlan, DumpSummary, TablePlan, SUPABASE_MANAGED_SCHEMAS};
pub use error::{Error, Result};
pub use extract::{
    copy_from_stdin, write_directory, write_sql_script, write_sql_script_with, write_table_files, InsertOptions,
    ScriptSummary,
};
pub use filter::{glob_match, Filter};
pub use fingerprint::{fingerprint_tables, Fingerprint};
pub use pg::{find_server_binaries, ConnectOptions, LocalCluster, SslMode, Target};
pub use progress::{Event, NoProgress, Progress, Stage};
pub use restore::{RestoreOptions, RestorePlan, RestoreSummary};
pub use schema::roles_named;
pub use sql::{ident, literal, qualified};
pub use verify::{verify, VerifyReport};

#[cfg(test)]
mod layout {
    use std::collections::BTreeSet;
    use std::path::Path;

    /// The top-level modules `text` names through `crate::` paths.
    fn uses(text: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + 7..];
            let names: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group.split('}').next().unwrap_or("").split(',').collect(),
                None => vec![rest],
            };
            for n in names {
                let name: String = n.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
        out
    }

    /// The non-test code of every `.rs` file under `path`.
    fn sources(path: &Path, out: &mut String) {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).unwrap() {
                sources(&entry.unwrap().path(), out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(path).unwrap();
            // Tests may use anything.
            out.push_str(text.split("#[cfg(test)]").next().unwrap_or(""));
        }
    }

    #[test]
    fn dependencies_point_one_way() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let leaves = ["error", "files", "filter", "progress", "sql"];
        // What each stage may use besides itself and the leaves.
        let allowed: [(&str, &[&str]); 13] = [
            ("extract", &["archive", "decode", "pg", "restore"]),
            ("decode", &["archive"]),
            ("archive", &[]),
            ("pg", &["archive"]),
            ("schema", &["archive"]),
            ("workers", &[]),
            ("verify", &["archive"]),
            ("backups", &["archive", "verify"]),
            ("fingerprint", &[]),
            ("dump", &["archive", "pg", "schema", "workers"]),
            ("restore", &["archive", "pg", "schema", "workers"]),
            ("drill", &["archive", "dump", "pg", "restore"]),
            ("sql", &[]),
        ];
        for (module, may) in allowed {
            let mut text = String::new();
            let dir = src.join(module);
            let path = if dir.is_dir() { dir } else { src.join(format!("{module}.rs")) };
            sources(&path, &mut text);
            assert!(!text.is_empty(), "no source for {module}");
            for used in uses(&text) {
                let fine = used == module || leaves.contains(&used.as_str()) || may.contains(&used.as_str());
                assert!(fine, "{module} uses crate::{used}: dependencies must point one way (see lib.rs)");
            }
        }
        assert_eq!(uses("use crate::{archive::X, pg};"), ["archive".to_string(), "pg".to_string()].into());
    }
}

//! The dump: `prepare` connects, exports the snapshot, reads the catalog (the `schema` layer
//! turns it into DDL items) and plans chunks — a [`DumpPlan`] that can be printed; `execute`
//! copies every chunk over pooled connections inside the shared snapshot, seals each chunk on a
//! blocking thread while it streams in, and writes the archive from one writer thread.
//!
//! Takes a [`Target`] and [`DumpOptions`]; hands on one `.pgark` file and a
//! [`DumpSummary`]. Files: `options.rs`, `chunks.rs` (chunk planning), `execute.rs` (the writer
//! and the run), `worker.rs` (the COPY-out workers).

mod chunks;
mod execute;
mod large_objects;
mod options;
mod planner_stats;
mod worker;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub(crate) use chunks::copy_out_sql;
use chunks::split;
pub use chunks::{ChunkRange, TablePlan};
pub use options::{DumpOptions, SUPABASE_MANAGED_SCHEMAS};

use crate::archive::{Compression, Contents, CopyFormat, DdlItem, Kind, RelationStats, RoleDef};
use crate::error::{Error, Result};
use crate::pg::{Snapshot, Target};
use crate::schema;

/// A planned dump, holding its snapshot open until executed or dropped.
pub struct DumpPlan {
    target: Target,
    snapshot: Snapshot,
    options: DumpOptions,
    /// Source database name.
    pub database: String,
    /// Source `server_version`.
    pub server_version: String,
    /// Source `server_version_num`.
    pub server_version_num: i32,
    /// Source encoding.
    pub encoding: String,
    /// Source `lc_monetary` (how money values print).
    pub lc_monetary: String,
    /// The instant the dump reads.
    pub snapshot_time: DateTime<Utc>,
    /// Tables and their chunks.
    pub tables: Vec<TablePlan>,
    /// Schema items in restore order.
    pub items: Vec<DdlItem>,
    /// Roles the items name.
    pub roles: Vec<String>,
    /// Role definitions (`--globals`).
    pub globals: Vec<RoleDef>,
    /// What the user should know about what the archive leaves out (shown when it runs).
    pub warnings: Vec<String>,
    /// The planner's statistics of the dumped relations.
    pub planner_stats: Vec<RelationStats>,
}

/// What a finished dump wrote.
#[derive(Debug, Clone, Serialize)]
pub struct DumpSummary {
    /// The archive written.
    pub path: PathBuf,
    /// Archive size.
    pub file_bytes: u64,
    /// Raw COPY bytes.
    pub raw_bytes: u64,
    /// Rows dumped.
    pub rows: u64,
    /// Tables dumped.
    pub tables: usize,
    /// Chunks written.
    pub chunks: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// blake3 of the stored manifest (hex), which identifies the dump.
    pub manifest_blake3: String,
}

/// `<database>_<UTC timestamp to the millisecond>.pgark`.
pub fn default_file_name(database: &str, time: DateTime<Utc>) -> String {
    let safe: String =
        database.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    format!("{safe}_{}.pgark", time.format("%Y%m%dT%H%M%S%.3fZ"))
}

/// The archive path for `-o PATH`: a directory gets a generated file name inside it.
/// `name` is the database's name (with a Supabase project's ref in front, so projects differ).
/// When the generated name is taken (or being written), [`crate::archive::ArchiveWriter::create_unique`]
/// moves on to `-2`, `-3`, …, creating each file exclusively, so two dumps never share one.
pub fn output_path(path: &Path, name: &str, time: DateTime<Utc>) -> PathBuf {
    if path.is_dir() {
        path.join(default_file_name(name, time))
    } else {
        path.to_path_buf()
    }
}

/// Connects, exports the snapshot, reads the catalog and plans the chunks.
pub async fn prepare(target: &Target, options: &DumpOptions) -> Result<DumpPlan> {
    if options.jobs == 0 {
        return Err(Error::Refused("--jobs must be at least 1".into()));
    }
    if !options.data && !options.structure {
        return Err(Error::Refused("--no-data and --no-structure together leave nothing to dump".into()));
    }
    if options.chunk_size == 0 {
        return Err(Error::Refused("--chunk-size must be more than 0".into()));
    }
    if let Compression::Zstd { level } = options.compression {
        if !zstd::compression_level_range().contains(&level) {
            return Err(Error::Refused(format!(
                "zstd level {level} is out of range ({:?})",
                zstd::compression_level_range()
            )));
        }
    }
    if let Some(to) = &options.encryption {
        to.check()?;
    }
    let snapshot = Snapshot::export(target, options.snapshot.as_deref()).await?;
    let client = snapshot.client();
    let info = client
        .query_one(
            "SELECT pg_catalog.current_database()::text, pg_catalog.current_setting('server_version'), \
             pg_catalog.current_setting('server_version_num')::int4, pg_catalog.pg_encoding_to_char(d.encoding)::text, \
             pg_catalog.current_setting('lc_monetary') \
             FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()",
            &[],
        )
        .await
        .map_err(|e| Error::db("reading server information", &e))?;
    let server_version_num: i32 = info.get(2);
    let mut filter = options.filter.clone();
    filter.exclude_schemas.extend(options.managed_schemas.iter().cloned());
    let leave = schema::Leave {
        managed_schemas: &options.managed_schemas,
        exclude_kinds: &options.exclude_kinds,
        structure: options.structure,
        data: options.data,
        user_mapping_options: match (options.no_user_mapping_options, options.encryption.is_some()) {
            (true, _) => schema::MappingOptions::None,
            (false, false) => schema::MappingOptions::NoPassword,
            (false, true) => schema::MappingOptions::All,
        },
    };
    // Every table dumped is locked as soon as it is listed (see schema/locks.rs).
    let lock = schema::LockWait(options.lock_wait_timeout);
    let schema = schema::read(client, &filter, &leave, Some(lock)).await?;
    let roles = schema::roles_named(&schema.items);
    let globals = if options.globals { schema::read_roles(client, &roles).await? } else { Vec::new() };

    let planner_stats = if options.statistics && options.structure && options.data {
        let mut relations: Vec<(String, String)> =
            schema.tables.iter().map(|t| (t.schema.clone(), t.name.clone())).collect();
        relations.extend(
            schema
                .items
                .iter()
                .filter(|i| i.kind == Kind::MaterializedView)
                .map(|i| (i.schema.clone().unwrap_or_default(), i.name.clone())),
        );
        planner_stats::read(client, server_version_num, &relations).await?
    } else {
        Vec::new()
    };

    let tid_ranges = server_version_num >= 140000;
    let with_large_objects = options.data && schema.large_objects;
    let mut tables: Vec<TablePlan> = schema
        .tables
        .into_iter()
        .filter(|t| options.data && t.kind == 'r')
        .filter(|t| !options.exclude_table_data.iter().any(|p| crate::filter::table_matches(p, &t.schema, &t.name)))
        .map(|t| {
            let blocks = t.heap_bytes / schema.block_size.max(1);
            TablePlan {
                chunks: split(blocks, t.table_bytes, options.chunk_size, tid_ranges),
                schema: t.schema,
                name: t.name,
                columns: t.columns,
                format: if options.copy_format == CopyFormat::Text { CopyFormat::Text } else { t.format },
                blocks,
                table_bytes: t.table_bytes,
                contents: Contents::Rows,
                column_types: t.column_types,
            }
        })
        .collect();
    if with_large_objects {
        tables.extend(large_objects::plan(client, options.chunk_size).await?);
    }
    let items = schema.items;
    let warnings = schema.warnings;
    Ok(DumpPlan {
        target: target.clone(),
        options: options.clone(),
        database: info.get(0),
        server_version: info.get(1),
        server_version_num,
        encoding: info.get(3),
        lc_monetary: info.get(4),
        snapshot_time: snapshot.time,
        tables,
        items,
        roles,
        globals,
        warnings,
        planner_stats,
        snapshot,
    })
}

impl DumpPlan {
    /// Estimated on-disk bytes of all chunks.
    pub fn estimated_bytes(&self) -> u64 {
        self.tables.iter().flat_map(|t| &t.chunks).map(|c| c.estimated_bytes).sum()
    }

    /// Number of chunks.
    pub fn chunk_count(&self) -> usize {
        self.tables.iter().map(|t| t.chunks.len()).sum()
    }

    /// The options the plan was made with.
    pub fn options(&self) -> &DumpOptions {
        &self.options
    }
}

//! What a dump is asked to do ([`DumpOptions`]), and what an archive records of it.

use serde::{Deserialize, Serialize};

use crate::archive::{Compression, CopyFormat, DumpSettings, Encryption, Kind};
use crate::filter::Filter;

/// What to dump and how.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DumpOptions {
    /// Target raw bytes per chunk.
    pub chunk_size: u64,
    /// Parallel connections.
    pub jobs: usize,
    /// Chunk compression.
    pub compression: Compression,
    /// Schemas and tables to cover.
    pub filter: Filter,
    /// Dump table data (false: `--no-data`, profile structure-only).
    pub data: bool,
    /// Dump the schema (false: `--no-structure`, profile data-only).
    pub structure: bool,
    /// Kinds of objects to leave out (`--no-functions`, `--no-rls`, …).
    pub exclude_kinds: Vec<Kind>,
    /// The profile these options came from, recorded in the archive.
    pub profile: Option<String>,
    /// Also record the definitions of the roles the schema names (`--globals`).
    pub globals: bool,
    /// COPY format for every table: `Binary` (default, used wherever it is portable) packs by
    /// column into the smallest archives and restores fastest; `Text` stores PostgreSQL's text
    /// output (1.5x to 2.6x larger archives here, slower restores).
    pub copy_format: CopyFormat,
    /// Schemas a platform manages (patterns): left out, except the user's own triggers (calling
    /// functions outside them) and policies on their tables. See [`SUPABASE_MANAGED_SCHEMAS`].
    pub managed_schemas: Vec<String>,
    /// How long to wait for each table's lock before failing (`--lock-wait-timeout`); `None`
    /// waits as long as it takes, as pg_dump does.
    #[serde(default)]
    pub lock_wait_timeout: Option<std::time::Duration>,
    /// Encrypt the archive to these recipients or this passphrase (`--encrypt-to`); never
    /// serialized.
    #[serde(skip)]
    pub encryption: Option<Encryption>,
    /// Dump in this exported snapshot (`pg_export_snapshot()` of a transaction the caller keeps
    /// open until the dump ends; pg_dump's `--snapshot`) instead of a new one.
    #[serde(default)]
    pub snapshot: Option<String>,
    /// Leave the options of user mappings out (`--no-user-mapping-options`). Otherwise they
    /// are carried; a `password` option only into an encrypted archive (a secret never enters
    /// an archive anyone can read), with a warning when it is left out.
    #[serde(default)]
    pub no_user_mapping_options: bool,
    /// Record the planner's statistics (`pg_class` estimates, `pg_stats`) of the dumped
    /// relations (`--no-statistics`: not).
    #[serde(default = "yes")]
    pub statistics: bool,
    /// Tables (patterns, `name` or `schema.name`) whose definition is dumped but not their rows
    /// (pg_dump's `--exclude-table-data`).
    #[serde(default)]
    pub exclude_table_data: Vec<String>,
}

fn yes() -> bool {
    true
}

/// Schemas Supabase manages and creates in every project (as its CLI leaves them out of dumps).
pub const SUPABASE_MANAGED_SCHEMAS: &[&str] = &[
    "information_schema",
    "pg_*",
    "_analytics",
    "_realtime",
    "_supavisor",
    "auth",
    "etl",
    "extensions",
    "pgbouncer",
    "realtime",
    "storage",
    "supabase_functions",
    "supabase_migrations",
    "cron",
    "dbdev",
    "graphql",
    "graphql_public",
    "net",
    "pgmq",
    "pgsodium",
    "pgsodium_masks",
    "pgtle",
    "repack",
    "tiger",
    "tiger_data",
    "timescaledb_*",
    "_timescaledb_*",
    "topology",
    "vault",
];

impl Default for DumpOptions {
    fn default() -> Self {
        DumpOptions {
            chunk_size: 64 << 20,
            jobs: 2,
            compression: Compression::Zstd { level: 1 },
            filter: Filter::default(),
            data: true,
            structure: true,
            exclude_kinds: Vec::new(),
            profile: None,
            globals: false,
            copy_format: CopyFormat::Binary,
            managed_schemas: Vec::new(),
            lock_wait_timeout: None,
            encryption: None,
            snapshot: None,
            no_user_mapping_options: false,
            statistics: true,
            exclude_table_data: Vec::new(),
        }
    }
}

impl From<&DumpOptions> for DumpSettings {
    /// What an archive records of the options it was dumped with.
    fn from(o: &DumpOptions) -> DumpSettings {
        DumpSettings {
            chunk_size: o.chunk_size,
            jobs: o.jobs,
            compression: o.compression,
            schemas: o.filter.schemas.clone(),
            exclude_schemas: o.filter.exclude_schemas.clone(),
            tables: o.filter.tables.clone(),
            exclude_tables: o.filter.exclude_tables.clone(),
            profile: o.profile.clone(),
            data: o.data,
            structure: o.structure,
            exclude_kinds: o.exclude_kinds.clone(),
            managed_schemas: o.managed_schemas.clone(),
            exclude_table_data: o.exclude_table_data.clone(),
        }
    }
}

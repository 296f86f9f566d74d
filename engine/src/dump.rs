//! The dump: `prepare` connects, exports the snapshot, reads the catalog and plans chunks (a
//! `DumpPlan` that can be printed); `execute` copies every chunk over pooled connections,
//! seals each chunk on a blocking thread while it streams in, and writes the archive from one writer thread.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::archive_write::ArchiveWriter;
use crate::catalog::Catalog;
use crate::compress::{Sealed, Sealer};
use crate::connect::Target;
use crate::copy_format::CopyFormat;
use crate::copy_out::copy_out;
use crate::ddl::{self, qualified};
use crate::depsort::Depends;
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::manifest::{ChunkEntry, Compression, DdlItem, DumpSettings, Kind, Layout, Manifest, TableEntry};
use crate::objects::{read_decorations, Objects};
use crate::plan::{split, TablePlan};
use crate::progress::{Event, Progress, Stage};
use crate::session::Role;
use crate::snapshot::{Snapshot, SnapshotId};

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
    /// COPY format for every table: `Text` gives smaller archives (text COPY compresses about a
    /// fifth better) at some restore speed; `Binary` (default) is used wherever it is portable.
    pub copy_format: CopyFormat,
    /// Schemas a platform manages (patterns): left out, except the user's own triggers (calling
    /// functions outside them) and policies on their tables. See [`SUPABASE_MANAGED_SCHEMAS`].
    pub managed_schemas: Vec<String>,
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
        }
    }
}

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
    /// The instant the dump reads.
    pub snapshot_time: DateTime<Utc>,
    /// Tables and their chunks.
    pub tables: Vec<TablePlan>,
    /// Schema items in restore order.
    pub items: Vec<DdlItem>,
    /// Roles the items name.
    pub roles: Vec<String>,
    /// Role definitions (`--globals`).
    pub globals: Vec<crate::roles::RoleDef>,
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
}

/// `<database>_<UTC timestamp>.pgark`.
pub fn default_file_name(database: &str, time: DateTime<Utc>) -> String {
    let safe: String =
        database.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    format!("{safe}_{}.pgark", time.format("%Y%m%dT%H%M%SZ"))
}

/// The archive path for `-o PATH`: a directory gets a generated file name inside it.
pub fn output_path(path: &Path, database: &str, time: DateTime<Utc>) -> PathBuf {
    if path.is_dir() {
        path.join(default_file_name(database, time))
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
    let snapshot = Snapshot::export(target).await?;
    let client = snapshot.client();
    let info = client
        .query_one(
            "SELECT pg_catalog.current_database()::text, pg_catalog.current_setting('server_version'), \
             pg_catalog.current_setting('server_version_num')::int4, pg_catalog.pg_encoding_to_char(d.encoding)::text \
             FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()",
            &[],
        )
        .await
        .map_err(|e| Error::db("reading server information", &e))?;
    let server_version_num: i32 = info.get(2);
    let (catalog, formats) = Catalog::read(client).await?;
    let mut filter = options.filter.clone();
    filter.exclude_schemas.extend(options.managed_schemas.iter().cloned());
    let selected = ddl::selected_tables(&catalog, &filter);
    if selected.is_empty() && !options.filter.is_empty() {
        return Err(Error::Refused("no table matches the --schema/--table filters".into()));
    }
    let table_oids: Vec<u32> = catalog.tables.iter().map(|t| t.oid).collect();
    let objects = Objects::read(client, &table_oids).await?;
    let depends = Depends::read(client).await?;
    let keys = ddl::covered_keys(&catalog, &objects, &filter, &selected);
    let decorations = read_decorations(client, &keys).await?;
    let sources = ddl::Sources { cat: &catalog, objects: &objects, decorations: &decorations, depends: &depends };
    let items = ddl::build(&sources, &filter, &selected, &ddl::Leave { options });
    let roles = crate::roles::roles_named(&items);
    let globals = if options.globals { crate::roles::read_roles(client, &roles).await? } else { Vec::new() };

    // Hold ACCESS SHARE locks so no table is dropped or altered while it is being copied.
    let names: Vec<String> = catalog
        .tables
        .iter()
        .filter(|t| selected.contains(&t.oid) && t.kind != 'f')
        .map(|t| qualified(&t.schema, &t.name))
        .collect();
    for batch in names.chunks(500) {
        client
            .batch_execute(&format!("LOCK TABLE {} IN ACCESS SHARE MODE", batch.join(", ")))
            .await
            .map_err(|e| Error::db("locking the tables to dump", &e))?;
    }

    let tid_ranges = server_version_num >= 140000;
    let tables = catalog
        .tables
        .iter()
        .filter(|t| options.data && selected.contains(&t.oid) && t.kind == 'r')
        .map(|t| {
            let blocks = t.heap_bytes / catalog.block_size.max(1);
            TablePlan {
                schema: t.schema.clone(),
                name: t.name.clone(),
                columns: t.columns.iter().filter(|c| !c.generated).map(|c| c.name.clone()).collect(),
                format: if options.copy_format == CopyFormat::Text { CopyFormat::Text } else { formats[&t.oid] },
                blocks,
                table_bytes: t.table_bytes,
                chunks: split(blocks, t.table_bytes, options.chunk_size, tid_ranges),
            }
        })
        .collect();
    Ok(DumpPlan {
        target: target.clone(),
        options: options.clone(),
        database: info.get(0),
        server_version: info.get(1),
        server_version_num,
        encoding: info.get(3),
        snapshot_time: snapshot.time,
        tables,
        items,
        roles,
        globals,
        snapshot,
    })
}

/// A sealed chunk on its way to the writer; the permit bounds chunks in memory.
struct Frame {
    table: usize,
    chunk: usize,
    sealed: std::result::Result<Sealed, String>,
    _permit: OwnedSemaphorePermit,
}

type Queue = Arc<Mutex<VecDeque<(usize, usize)>>>;

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

    /// Copies every chunk and writes the archive at `path` (via `path.partial`).
    pub async fn execute(self, path: &Path, progress: Arc<dyn Progress>) -> Result<DumpSummary> {
        let started = Instant::now();
        let jobs = self.options.jobs;
        let mut writer = ArchiveWriter::create(path)?;

        let mut order: Vec<(usize, usize)> =
            self.tables.iter().enumerate().flat_map(|(t, tp)| (0..tp.chunks.len()).map(move |c| (t, c))).collect();
        order.sort_by_key(|&(t, c)| std::cmp::Reverse(self.tables[t].chunks[c].estimated_bytes));
        let queue: Queue = Arc::new(Mutex::new(order.into()));
        let tables = Arc::new(self.tables);
        let failed = Arc::new(AtomicBool::new(false));
        let permits = Arc::new(Semaphore::new(jobs + 1));
        let (tx, rx) = crossbeam_channel::unbounded::<Frame>();
        progress.event(Event::Begin {
            stage: Stage::Dump,
            total: tables.iter().flat_map(|t| &t.chunks).map(|c| c.estimated_bytes).sum(),
            bytes: true,
        });

        let writer_thread = {
            let tables = tables.clone();
            let failed = failed.clone();
            let progress = progress.clone();
            std::thread::spawn(move || -> Result<(ArchiveWriter, Vec<Vec<Option<ChunkEntry>>>)> {
                let mut entries: Vec<Vec<Option<ChunkEntry>>> =
                    tables.iter().map(|t| vec![None; t.chunks.len()]).collect();
                for frame in rx {
                    let tp = &tables[frame.table];
                    let range = tp.chunks[frame.chunk];
                    let result = frame
                        .sealed
                        .map_err(|reason| Error::Db {
                            context: format!("dumping table {}, chunk {}", tp.display_name(), frame.chunk),
                            reason,
                        })
                        .and_then(|s| Ok((writer.append(&s.stored)?, s)));
                    let (offset, s) = match result {
                        Ok(v) => v,
                        Err(e) => {
                            failed.store(true, Ordering::SeqCst);
                            return Err(e);
                        }
                    };
                    entries[frame.table][frame.chunk] = Some(s.entry(frame.chunk as u32, &range, offset));
                    progress.event(Event::Advance { amount: range.estimated_bytes });
                }
                Ok((writer, entries))
            })
        };

        let pool = self.target.pool(jobs, Role::Dump)?;
        let mut workers = JoinSet::new();
        for _ in 0..jobs.min(queue.lock().expect("queue lock").len()) {
            let worker = Worker {
                target: self.target.clone(),
                pool: pool.clone(),
                snapshot: self.snapshot.id(),
                queue: queue.clone(),
                tables: tables.clone(),
                failed: failed.clone(),
                permits: permits.clone(),
                tx: tx.clone(),
                compression: self.options.compression,
            };
            workers.spawn(worker.run());
        }
        drop(tx);
        let first_error = crate::workers::join_all(&mut workers, "dump").await;
        if first_error.is_some() {
            failed.store(true, Ordering::SeqCst);
        }
        drop(pool);
        let written = tokio::task::spawn_blocking(move || writer_thread.join())
            .await
            .map_err(|e| Error::Internal(format!("archive writer failed: {e}")))?
            .map_err(|_| Error::Internal("archive writer panicked".into()))?;
        // A worker's error explains a writer that stopped early; report it first.
        if let Some(e) = first_error {
            return Err(e);
        }
        let (writer, entries) = written?;
        progress.event(Event::End);

        let tables = Arc::try_unwrap(tables).unwrap_or_else(|a| (*a).clone());
        let mut table_entries = Vec::with_capacity(tables.len());
        for (tp, chunks) in tables.into_iter().zip(entries) {
            let chunks = chunks
                .into_iter()
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| Error::Internal(format!("a chunk of {} was not written", tp.display_name())))?;
            table_entries.push(TableEntry {
                schema: tp.schema,
                name: tp.name,
                columns: tp.columns,
                format: tp.format,
                layout: Layout::for_table(tp.format, self.options.compression),
                chunks,
            });
        }
        let manifest = Manifest {
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            database: self.database,
            server_version: self.server_version,
            server_version_num: self.server_version_num,
            encoding: self.encoding,
            snapshot_time: self.snapshot_time,
            finished_time: Utc::now(),
            settings: DumpSettings::from(&self.options),
            items: self.items,
            tables: table_entries,
            roles: self.roles,
            globals: self.globals,
        };
        let summary_base =
            (manifest.total_raw_bytes(), manifest.total_rows(), manifest.tables.len(), manifest.total_chunks());
        let file_bytes = tokio::task::spawn_blocking(move || writer.finish(&manifest))
            .await
            .map_err(|e| Error::Internal(format!("archive writer failed: {e}")))??;
        self.snapshot.release().await?;
        Ok(DumpSummary {
            path: path.to_path_buf(),
            file_bytes,
            raw_bytes: summary_base.0,
            rows: summary_base.1,
            tables: summary_base.2,
            chunks: summary_base.3,
            elapsed: started.elapsed(),
        })
    }
}

/// One pooled connection copying chunks from the shared queue inside the shared snapshot.
struct Worker {
    target: Target,
    pool: deadpool_postgres::Pool,
    snapshot: SnapshotId,
    queue: Queue,
    tables: Arc<Vec<TablePlan>>,
    failed: Arc<AtomicBool>,
    permits: Arc<Semaphore>,
    tx: crossbeam_channel::Sender<Frame>,
    compression: Compression,
}

impl Worker {
    async fn run(self) -> Result<()> {
        let client = self.target.pooled(&self.pool).await?;
        self.snapshot.import(&client).await?;
        loop {
            if self.failed.load(Ordering::SeqCst) {
                break;
            }
            let Some((t, c)) = self.queue.lock().expect("queue lock").pop_front() else { break };
            let permit = self.permits.clone().acquire_owned().await.expect("semaphore never closed");
            let tp = &self.tables[t];
            let range = &tp.chunks[c];
            // The chunk is sealed on a blocking thread while it streams in.
            let (format, compression) = (tp.format, self.compression);
            let (pieces, mut arriving) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
            let sealer = tokio::task::spawn_blocking(move || {
                let mut sealer = Sealer::new(format, Layout::for_table(format, compression), compression)?;
                while let Some(piece) = arriving.blocking_recv() {
                    sealer.feed(&piece)?;
                }
                sealer.finish()
            });
            let copied = copy_out(&client, &tp.copy_out_sql(range), &pieces).await;
            drop(pieces);
            let sealed = sealer.await.map_err(|e| Error::Internal(format!("chunk sealer failed: {e}")))?;
            copied.map_err(|e| Error::db(format!("dumping table {}, chunk {c}", tp.display_name()), &e))?;
            let _ = self.tx.send(Frame { table: t, chunk: c, sealed, _permit: permit });
        }
        let _ = client.batch_execute("COMMIT").await;
        Ok(())
    }
}

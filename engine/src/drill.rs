//! Restore drills: proving an archive restores, without a person doing it. The archive is
//! restored into a scratch database the drill creates, every table read back is compared with
//! the row count and row digest recorded at dump time (the same COPY, the same digest — see
//! [`RowDigest`]), `ANALYZE` runs, the times are measured, and the scratch database is dropped.
//!
//! ```no_run
//! # async fn run() -> pgark_engine::Result<()> {
//! use std::sync::Arc;
//! use pgark_engine::{drill, Archive, ConnectOptions, DrillOptions, NoProgress, Target};
//! let server = Target::resolve(&ConnectOptions { url: Some("postgres://localhost/postgres".into()), project_ref: None })?;
//! let archive = Arc::new(Archive::open("app.pgark".as_ref())?);
//! let report = drill(archive, &server, &DrillOptions::default(), Arc::new(NoProgress)).await?;
//! assert!(report.ok());
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::time::Instant;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;

use crate::archive::{Archive, RowCounter, RowDigest, TableEntry};
use crate::dump::{copy_out_sql, ChunkRange};
use crate::error::{Error, Result};
use crate::pg::{copy_out, Role, Target};
use crate::progress::{Event, Progress, Stage};
use crate::restore::{self, RestoreOptions};
use crate::sql::ident;

/// How to drill.
#[derive(Debug, Clone)]
pub struct DrillOptions {
    /// Parallel connections for the restore and the read-back.
    pub jobs: usize,
    /// The scratch database's name (default `pgark_drill_<database>_<UTC time>`); it must not exist.
    pub scratch: Option<String>,
    /// Keep the scratch database afterwards (to look at it); it is dropped otherwise.
    pub keep: bool,
    /// Create roles the archive names that the server lacks (cluster-wide: they stay).
    pub create_roles: bool,
}

impl Default for DrillOptions {
    fn default() -> Self {
        DrillOptions { jobs: 2, scratch: None, keep: false, create_roles: false }
    }
}

/// One table read back from the scratch database.
#[derive(Debug, Clone, Serialize)]
pub struct DrillTable {
    /// `schema.table` (or `large objects`).
    pub table: String,
    /// Rows recorded at dump time.
    pub rows_expected: u64,
    /// Rows read back.
    pub rows_found: u64,
    /// `match`, `differs`, or `rows only` (the archive has no row digests).
    pub content: &'static str,
}

impl DrillTable {
    /// Whether the table came back as it was dumped.
    pub fn ok(&self) -> bool {
        self.rows_expected == self.rows_found && self.content != "differs"
    }
}

/// What a drill found.
#[derive(Debug, Clone, Serialize)]
pub struct DrillReport {
    /// The scratch database.
    pub scratch: String,
    /// Whether it was dropped afterwards.
    pub dropped: bool,
    /// Time to restore.
    pub restore_seconds: f64,
    /// Time to read every table back and compare it.
    pub check_seconds: f64,
    /// Time of `ANALYZE`.
    pub analyze_seconds: f64,
    /// Rows restored.
    pub rows: u64,
    /// Every table compared.
    pub tables: Vec<DrillTable>,
    /// Why the drill failed when it could not finish (restore error, …); then `tables` is empty.
    pub error: Option<String>,
}

impl DrillReport {
    /// Whether the archive restored and every table matched.
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.tables.iter().all(DrillTable::ok)
    }

    /// The tables that did not come back as dumped.
    pub fn mismatches(&self) -> impl Iterator<Item = &DrillTable> {
        self.tables.iter().filter(|t| !t.ok())
    }
}

/// The default scratch database name for an archive of `database`: at most 63 bytes.
fn scratch_name(database: &str) -> String {
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
    let mut base: String =
        database.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    base.truncate(32);
    format!("pgark_drill_{base}_{stamp}")
}

/// Restores `archive` into a new scratch database on `server`'s cluster, compares every table
/// with the archive's records, runs `ANALYZE`, and drops the scratch database (unless
/// `options.keep`). An `Err` only when the drill could not start (the scratch database exists,
/// the server is unreachable); a failed restore or a mismatch is in the report.
pub async fn drill(
    archive: Arc<Archive>,
    server: &Target,
    options: &DrillOptions,
    progress: Arc<dyn Progress>,
) -> Result<DrillReport> {
    let scratch = options.scratch.clone().unwrap_or_else(|| scratch_name(&archive.manifest().database));
    let target = server.with_dbname(&scratch);
    // The drill times its own ANALYZE below: the restore's statistics step is left out.
    let restore_options = RestoreOptions {
        jobs: options.jobs,
        create: true,
        create_roles: options.create_roles,
        statistics: false,
        analyze: false,
        ..Default::default()
    };
    let plan = restore::prepare(&archive, &restore_options)?;
    if database_exists(server, &scratch).await? {
        return Err(Error::Refused(format!(
            "the scratch database \"{scratch}\" exists already: a drill restores into a database it creates (choose another --scratch name)"
        )));
    }
    let mut report = DrillReport {
        scratch: scratch.clone(),
        dropped: false,
        restore_seconds: 0.0,
        check_seconds: 0.0,
        analyze_seconds: 0.0,
        rows: 0,
        tables: Vec::new(),
        error: None,
    };
    let started = Instant::now();
    let restored = plan.execute(archive.clone(), &target, progress.clone()).await;
    report.restore_seconds = started.elapsed().as_secs_f64();
    let created = match restored {
        Ok(summary) => {
            report.rows = summary.rows;
            true
        }
        Err(e) => {
            report.error = Some(format!("the restore failed: {e}"));
            // It did not exist before: if it does now, this drill made it.
            database_exists(server, &scratch).await.unwrap_or(false)
        }
    };
    if report.error.is_none() {
        let checked = Instant::now();
        match read_back(&archive, &target, options.jobs, progress.as_ref()).await {
            Ok(tables) => report.tables = tables,
            Err(e) => report.error = Some(format!("reading the restored tables back failed: {e}")),
        }
        report.check_seconds = checked.elapsed().as_secs_f64();
        let analyzed = Instant::now();
        let analyze = async {
            let client = target.connect().await?;
            client.batch_execute("ANALYZE").await.map_err(|e| Error::db("ANALYZE", &e))
        };
        if let Err(e) = analyze.await {
            report.error.get_or_insert(e.to_string());
        }
        report.analyze_seconds = analyzed.elapsed().as_secs_f64();
    }
    if created && !options.keep {
        match drop_database(server, &scratch).await {
            Ok(()) => report.dropped = true,
            Err(e) => {
                let note = format!("the scratch database {scratch} could not be dropped: {e}");
                report.error = Some(match report.error.take() {
                    Some(first) => format!("{first}; {note}"),
                    None => note,
                });
            }
        }
    }
    Ok(report)
}

/// A connection to an administrative database of `server`'s cluster (not `name`).
async fn admin(server: &Target, name: &str) -> Result<tokio_postgres::Client> {
    let db = if server.dbname() != name { server.dbname() } else { "postgres" };
    server.with_dbname(db).connect().await
}

async fn database_exists(server: &Target, name: &str) -> Result<bool> {
    let client = admin(server, name).await?;
    let row = client
        .query_one("SELECT count(*) FROM pg_catalog.pg_database WHERE datname = $1", &[&name])
        .await
        .map_err(|e| Error::db("looking for the scratch database", &e))?;
    Ok(row.get::<_, i64>(0) > 0)
}

async fn drop_database(server: &Target, name: &str) -> Result<()> {
    let client = admin(server, name).await?;
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {}", ident(name)))
        .await
        .map_err(|e| Error::db(format!("dropping the scratch database \"{name}\""), &e))
}

/// Reads every table of the archive back from `target` with the COPY the dump ran, and
/// compares its rows and row digest with the manifest's.
async fn read_back(
    archive: &Archive,
    target: &Target,
    jobs: usize,
    progress: &dyn Progress,
) -> Result<Vec<DrillTable>> {
    let m = archive.manifest();
    progress.event(Event::Begin { stage: Stage::Verify, total: m.total_raw_bytes(), bytes: true });
    let pool = target.pool(jobs, Role::Dump)?;
    let results: Vec<Result<DrillTable>> = stream::iter(&m.tables)
        .map(|t| {
            let pool = pool.clone();
            async move {
                let client = target.pooled(&pool).await?;
                let (rows, digest) = digest_table(&client, t).await?;
                progress.event(Event::Advance { amount: t.raw_bytes() });
                let content = match t.row_digest() {
                    None => "rows only",
                    Some(d) if d == digest => "match",
                    Some(_) => "differs",
                };
                Ok(DrillTable { table: t.display_name(), rows_expected: t.rows(), rows_found: rows, content })
            }
        })
        .buffer_unordered(jobs.max(1))
        .collect()
        .await;
    progress.event(Event::End);
    let mut tables = results.into_iter().collect::<Result<Vec<_>>>()?;
    tables.sort_by(|a, b| a.table.cmp(&b.table));
    Ok(tables)
}

/// Rows and digest of one table as the dump's COPY reads it now.
async fn digest_table(client: &tokio_postgres::Client, t: &TableEntry) -> Result<(u64, RowDigest)> {
    // The whole table: the dump's statement for a chunk from block 0 without end.
    let whole = ChunkRange { first_block: 0, end_block: None, estimated_bytes: 0 };
    let sql = copy_out_sql(&t.schema, &t.name, &t.columns, t.format, t.contents, &whole);
    let format = t.format;
    let (copied, counted) = copy_out(client, &sql, move |arriving| {
        let mut counter = RowCounter::digesting(format);
        while let Some(piece) = arriving.blocking_recv() {
            counter.feed(&piece)?;
        }
        let digest = counter.digest().unwrap_or_default();
        counter.finish().map(|rows| (rows, digest))
    })
    .await;
    let counted = counted.map_err(|e| Error::Internal(format!("row counter failed: {e}")))?;
    copied.map_err(|e| Error::db(format!("reading {} back", t.display_name()), &e))?;
    counted.map_err(|reason| Error::Db { context: format!("reading {} back", t.display_name()), reason })
}

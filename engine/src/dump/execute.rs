//! Running a dump plan: workers copy chunks from a shared queue, a writer thread appends each
//! sealed frame to the archive as it arrives, and the manifest is written last.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use super::worker::{self, Copier, Job, Lanes, Worker};
use super::{DumpPlan, DumpSummary, TablePlan};
use crate::archive::{
    ArchiveKey, ArchiveWriter, ChunkEntry, Compression, DumpSettings, Layout, Manifest, Sealed, TableEntry,
};
use crate::error::{Error, Result};
use crate::pg::Role;
use crate::progress::{Event, Progress, Stage};

/// A sealed chunk on its way to the writer; the permit bounds chunks in memory.
pub(super) struct Frame {
    pub table: usize,
    pub chunk: usize,
    pub sealed: std::result::Result<Sealed, String>,
    pub _permit: OwnedSemaphorePermit,
}

impl DumpPlan {
    /// Copies every chunk and writes the archive at `path` (via `path.partial`).
    pub async fn execute(self, path: &Path, progress: Arc<dyn Progress>) -> Result<DumpSummary> {
        self.execute_to(ArchiveWriter::create(path)?, progress).await
    }

    /// One warning for what the archive leaves out: passwords, and objects its kept objects need.
    fn warn_left_out(&self, progress: &dyn Progress) {
        for text in &self.warnings {
            progress.event(Event::Warning { text: text.clone() });
        }
        let needing: Vec<String> = self.items.iter().filter_map(|i| i.requires_line()).collect();
        if !needing.is_empty() {
            let shown: Vec<&str> = needing.iter().take(10).map(String::as_str).collect();
            let more = if needing.len() > 10 {
                format!("; and {} more (pgark inspect lists them)", needing.len() - 10)
            } else {
                String::new()
            };
            progress.event(Event::Warning {
            text: format!(
                "{} objects in this archive need objects it leaves out; a restore creates them only where the target has those: {}{more}",
                needing.len(),
                shown.join("; ")
            ),
        });
        }
    }

    /// Copies every chunk into an archive already started (see [`ArchiveWriter::create_unique`]).
    pub async fn execute_to(self, writer: ArchiveWriter, progress: Arc<dyn Progress>) -> Result<DumpSummary> {
        let started = Instant::now();
        self.warn_left_out(progress.as_ref());
        let jobs = self.options.jobs;
        let path = writer.path().to_path_buf();
        let path = path.as_path();

        let mut order: Vec<Job> = self
            .tables
            .iter()
            .enumerate()
            .flat_map(|(t, tp)| (0..tp.chunks.len()).map(move |c| Job { table: t, chunk: c, attempt: 0 }))
            .collect();
        order.sort_by_key(|j| std::cmp::Reverse(self.tables[j.table].chunks[j.chunk].estimated_bytes));
        let lanes = Lanes::new(order);
        let tables = Arc::new(self.tables);
        let permits = Arc::new(Semaphore::new(jobs + 1));
        let (tx, rx) = crossbeam_channel::unbounded::<Frame>();
        progress.event(Event::Begin {
            stage: Stage::Dump,
            total: tables.iter().flat_map(|t| &t.chunks).map(|c| c.estimated_bytes).sum(),
            bytes: true,
        });

        let writer_thread = spawn_writer(writer, rx, tables.clone(), lanes.clone());
        // An encrypted archive gets a key of its own (its recipients were checked by `prepare`).
        let key = self.options.encryption.as_ref().map(|_| Arc::new(ArchiveKey::generate()));
        let copier = Copier {
            tables: tables.clone(),
            permits,
            tx,
            compression: self.options.compression,
            progress: progress.clone(),
            key: key.clone(),
        };
        // The coordinator copies too, so `jobs` connections copy at once.
        let pooled = (jobs - 1).min(lanes.waiting().saturating_sub(1));
        let pool = self.target.pool(pooled, Role::Dump)?;
        let mut workers = JoinSet::new();
        for _ in 0..pooled {
            Worker {
                target: self.target.clone(),
                pool: pool.clone(),
                snapshot: self.snapshot.id(),
                lanes: lanes.clone(),
                copier: copier.clone(),
            }
            .spawn(&mut workers);
        }
        let (coordinated, worker_error) = tokio::join!(
            worker::coordinate(self.snapshot.client(), &lanes, &copier),
            crate::workers::join_all(&mut workers, "dump")
        );
        drop(copier);
        let first_error = worker_error.or(coordinated.err());
        if first_error.is_some() {
            lanes.failed.store(true, Ordering::SeqCst);
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
        let table_entries = table_entries(tables, entries, self.options.compression)?;
        let manifest = Manifest {
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            database: self.database,
            server_version: self.server_version,
            server_version_num: self.server_version_num,
            encoding: self.encoding,
            lc_monetary: Some(self.lc_monetary),
            snapshot_time: self.snapshot_time,
            finished_time: Utc::now(),
            settings: DumpSettings::from(&self.options),
            items: self.items,
            tables: table_entries,
            roles: self.roles,
            globals: self.globals,
            planner_stats: self.planner_stats,
        };
        let summary_base =
            (manifest.total_raw_bytes(), manifest.total_rows(), manifest.tables.len(), manifest.total_chunks());
        // The coordinator's transaction held the locks and the snapshot to the end: an archive is
        // only complete if it is still there.
        self.snapshot.release().await?;
        let sealing = key.zip(self.options.encryption.clone());
        let (file_bytes, manifest_blake3) = tokio::task::spawn_blocking(move || match sealing {
            Some((key, to)) => writer.finish_encrypted(&manifest, &key, &to),
            None => writer.finish(&manifest),
        })
        .await
        .map_err(|e| Error::Internal(format!("archive writer failed: {e}")))??;
        Ok(DumpSummary {
            path: path.to_path_buf(),
            file_bytes,
            raw_bytes: summary_base.0,
            rows: summary_base.1,
            tables: summary_base.2,
            chunks: summary_base.3,
            elapsed: started.elapsed(),
            manifest_blake3: manifest_blake3.to_hex().to_string(),
        })
    }
}

/// The chunks' entries as the writer records them: `[table][chunk]`, `None` until written.
type Entries = Vec<Vec<Option<ChunkEntry>>>;

/// Starts the writer thread: it appends each sealed frame as it arrives and records its entry;
/// on the first failure it sets `lanes.failed` (so the lanes stop) and returns the error.
fn spawn_writer(
    mut writer: ArchiveWriter,
    rx: crossbeam_channel::Receiver<Frame>,
    tables: Arc<Vec<TablePlan>>,
    lanes: Arc<Lanes>,
) -> std::thread::JoinHandle<Result<(ArchiveWriter, Entries)>> {
    std::thread::spawn(move || {
        let mut entries: Entries = tables.iter().map(|t| vec![None; t.chunks.len()]).collect();
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
                    lanes.failed.store(true, Ordering::SeqCst);
                    return Err(e);
                }
            };
            entries[frame.table][frame.chunk] =
                Some(s.entry(frame.chunk as u32, range.first_block, range.end_block, offset));
        }
        Ok((writer, entries))
    })
}

/// The manifest's table entries, once every chunk was written.
fn table_entries(tables: Vec<TablePlan>, entries: Entries, compression: Compression) -> Result<Vec<TableEntry>> {
    let mut out = Vec::with_capacity(tables.len());
    for (tp, chunks) in tables.into_iter().zip(entries) {
        let chunks = chunks
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Error::Internal(format!("a chunk of {} was not written", tp.display_name())))?;
        out.push(TableEntry {
            schema: tp.schema,
            name: tp.name,
            columns: tp.columns,
            format: tp.format,
            layout: Layout::for_table(tp.format, compression),
            chunks,
            contents: tp.contents,
            column_types: tp.column_types,
        });
    }
    Ok(out)
}

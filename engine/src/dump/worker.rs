//! The COPY-out lanes: pooled worker connections and the coordinator's own connection take
//! chunks from one queue, inside the shared snapshot, and stream each `COPY … TO STDOUT` into a
//! sealer on a blocking thread.
//!
//! Two faults are handled here rather than failing the dump:
//! - A worker's connection lost mid-COPY (`pg_terminate_backend`, a proxy dropping it): the chunk
//!   goes back to the queue and the worker reconnects and imports the snapshot again — which works
//!   while the coordinator's transaction lives. A chunk is tried [`ATTEMPTS`] times at most.
//! - DDL waiting for a table the coordinator locked (an `ALTER TABLE` queued behind its ACCESS SHARE
//!   lock): a worker asking for the same lock would queue behind the DDL, which waits for the
//!   coordinator — a deadlock the server cannot see. Workers therefore lock each table `NOWAIT`
//!   first and leave the tables they cannot lock to the coordinator, which already holds the lock.
//!   The DDL proceeds when the dump ends, as it would with a single-connection pg_dump.
//!
//! The coordinator's connection lost is fatal: its locks and snapshot are gone with it.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, Semaphore};
use tokio_postgres::error::SqlState;
use tokio_postgres::Client;

use super::execute::Frame;
use super::TablePlan;
use crate::archive::{ArchiveKey, Compression, Contents, Layout, Sealer};
use crate::error::{Error, Result};
use crate::pg::{connection_lost, copy_out, SnapshotId, Target};
use crate::progress::{Event, Progress};
use crate::sql::qualified;

/// How many times a chunk is copied before a lost connection fails the dump.
pub(super) const ATTEMPTS: u32 = 3;

/// One chunk to copy: `tables[table].chunks[chunk]`, and how many times it was tried.
#[derive(Debug, Clone, Copy)]
pub(super) struct Job {
    pub table: usize,
    pub chunk: usize,
    pub attempt: u32,
}

/// What the lanes share: the queue, the chunks left to the coordinator, and how to stop.
#[derive(Default)]
pub(super) struct Lanes {
    queue: Mutex<VecDeque<Job>>,
    /// Chunks of tables a worker could not lock: only the coordinator copies them.
    deferred: Mutex<VecDeque<Job>>,
    /// Pooled workers still running.
    active: AtomicUsize,
    /// Wakes the coordinator when work is deferred, requeued, or a worker ends.
    wake: Notify,
    /// Set by the first lane (or the writer) that fails: the others stop.
    pub failed: AtomicBool,
}

impl Lanes {
    /// Lanes over `jobs`, in the order they should be copied.
    pub(super) fn new(jobs: impl IntoIterator<Item = Job>) -> Arc<Lanes> {
        Arc::new(Lanes { queue: Mutex::new(jobs.into_iter().collect()), ..Default::default() })
    }

    /// Chunks not yet taken.
    pub(super) fn waiting(&self) -> usize {
        self.queue.lock().expect("queue lock").len()
    }

    fn next(&self) -> Option<Job> {
        self.queue.lock().expect("queue lock").pop_front()
    }

    fn requeue(&self, job: Job) {
        self.queue.lock().expect("queue lock").push_front(job);
        self.wake.notify_one();
    }

    fn defer(&self, job: Job) {
        self.deferred.lock().expect("deferred lock").push_back(job);
        self.wake.notify_one();
    }

    fn stopped(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
    }
}

/// Copying one chunk into a sealed frame for the writer: what every lane needs.
#[derive(Clone)]
pub(super) struct Copier {
    pub tables: Arc<Vec<TablePlan>>,
    pub permits: Arc<Semaphore>,
    pub tx: crossbeam_channel::Sender<Frame>,
    pub compression: Compression,
    pub progress: Arc<dyn Progress>,
    /// The archive key chunks are sealed to, when the archive is encrypted.
    pub key: Option<Arc<ArchiveKey>>,
}

impl Copier {
    /// Streams `job`'s chunk through a sealer and hands the frame to the writer; the server's
    /// error, if the COPY failed.
    async fn copy(&self, client: &Client, job: Job) -> std::result::Result<(), tokio_postgres::Error> {
        let permit = self.permits.clone().acquire_owned().await.expect("semaphore never closed");
        let tp = &self.tables[job.table];
        let range = &tp.chunks[job.chunk];
        self.progress.event(Event::Detail { text: tp.display_name() });
        // The chunk is sealed on a blocking thread while it streams in; progress counts the COPY
        // bytes as they arrive.
        let (format, compression, progress, key) =
            (tp.format, self.compression, self.progress.clone(), self.key.clone());
        let (copied, sealed) = copy_out(client, &tp.copy_out_sql(range), move |arriving| {
            let mut sealer = Sealer::new(format, Layout::for_table(format, compression), compression)?;
            while let Some(piece) = arriving.blocking_recv() {
                sealer.feed(&piece)?;
                progress.event(Event::Advance { amount: piece.len() as u64 });
            }
            match key {
                Some(key) => sealer.finish()?.encrypt(&key),
                None => sealer.finish(),
            }
        })
        .await;
        let sealed = sealed.unwrap_or_else(|e| Err(format!("chunk sealer failed: {e}")));
        copied?;
        let _ = self.tx.send(Frame { table: job.table, chunk: job.chunk, sealed, _permit: permit });
        Ok(())
    }

    fn chunk_context(&self, job: Job) -> String {
        format!("dumping table {}, chunk {}", self.tables[job.table].display_name(), job.chunk)
    }
}

/// One pooled connection copying chunks from the queue inside the shared snapshot.
pub(super) struct Worker {
    pub target: Target,
    pub pool: deadpool_postgres::Pool,
    pub snapshot: SnapshotId,
    pub lanes: Arc<Lanes>,
    pub copier: Copier,
}

/// Counts a worker as active from creation until it ends, however it ends.
struct Active(Arc<Lanes>);

impl Active {
    fn new(lanes: &Arc<Lanes>) -> Active {
        lanes.active.fetch_add(1, Ordering::SeqCst);
        Active(lanes.clone())
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
        self.0.wake.notify_one();
    }
}

impl Worker {
    /// Starts the worker (counted as active at once, so the coordinator waits for it).
    pub(super) fn spawn(self, set: &mut tokio::task::JoinSet<Result<()>>) {
        let active = Active::new(&self.lanes);
        set.spawn(async move {
            let lanes = self.lanes.clone();
            let result = self.run().await;
            if result.is_err() {
                lanes.failed.store(true, Ordering::SeqCst);
            }
            drop(active);
            result
        });
    }

    async fn connect(&self) -> Result<deadpool_postgres::Object> {
        let client = self.target.pooled(&self.pool).await?;
        self.snapshot.import(&client).await?;
        Ok(client)
    }

    /// Copies chunks until the queue is empty or a lane failed.
    async fn run(self) -> Result<()> {
        let mut client = self
            .connect()
            .await
            .map_err(|e| Error::Db { context: "opening a worker connection".into(), reason: e.to_string() })?;
        let mut locked = HashSet::new();
        let mut blocked = HashSet::new();
        while let Some(job) = (!self.lanes.stopped()).then(|| self.lanes.next()).flatten() {
            let tp = &self.copier.tables[job.table];
            if blocked.contains(&job.table) {
                self.lanes.defer(job);
                continue;
            }
            let mut outcome = Ok(());
            if tp.contents == Contents::Rows && !locked.contains(&job.table) {
                match lock_nowait(&client, tp).await {
                    Ok(true) => {
                        locked.insert(job.table);
                    }
                    Ok(false) => {
                        self.copier.progress.event(Event::Warning {
                            text: format!(
                                "another session waits to change table {}: the coordinator, which holds its lock, \
                                 copies it",
                                tp.display_name()
                            ),
                        });
                        blocked.insert(job.table);
                        self.lanes.defer(job);
                        continue;
                    }
                    Err(e) => outcome = Err(e),
                }
            }
            if outcome.is_ok() {
                outcome = self.copier.copy(&client, job).await;
            }
            let Err(e) = outcome else { continue };
            if !connection_lost(&e, &client) || job.attempt + 1 >= ATTEMPTS {
                return Err(Error::db(self.copier.chunk_context(job), &e));
            }
            self.copier.progress.event(Event::Warning {
                text: format!(
                    "the connection {} was lost ({}); copying it again on a new connection",
                    self.copier.chunk_context(job),
                    crate::error::describe_pg_error(&e)
                ),
            });
            self.lanes.requeue(Job { attempt: job.attempt + 1, ..job });
            // Never hand a dead connection back to the pool.
            drop(deadpool_postgres::Object::take(client));
            client = self.connect().await.map_err(|e| Error::Db {
                context: format!("reconnecting after the connection {} was lost", self.copier.chunk_context(job)),
                reason: e.to_string(),
            })?;
            locked.clear();
        }
        let _ = client.batch_execute("COMMIT").await;
        Ok(())
    }
}

/// Takes `tp`'s ACCESS SHARE lock without waiting: false when another session holds or waits for
/// a conflicting lock.
async fn lock_nowait(client: &Client, tp: &TablePlan) -> std::result::Result<bool, tokio_postgres::Error> {
    let sql = format!(
        "SAVEPOINT pgark_lock; LOCK TABLE {} IN ACCESS SHARE MODE NOWAIT; RELEASE SAVEPOINT pgark_lock",
        qualified(&tp.schema, &tp.name)
    );
    match client.batch_execute(&sql).await {
        Ok(()) => Ok(true),
        Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => {
            client.batch_execute("ROLLBACK TO SAVEPOINT pgark_lock; RELEASE SAVEPOINT pgark_lock").await?;
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// The coordinator's lane: copies the chunks workers left to it, and from the queue like any
/// worker, until the queue is empty and every worker has ended. Its connection holds the locks.
pub(super) async fn coordinate(client: &Client, lanes: &Lanes, copier: &Copier) -> Result<()> {
    loop {
        if lanes.stopped() {
            return Ok(());
        }
        let job = lanes.deferred.lock().expect("deferred lock").pop_front().or_else(|| lanes.next());
        if let Some(job) = job {
            if let Err(e) = copier.copy(client, job).await {
                lanes.failed.store(true, Ordering::SeqCst);
                let mut context = copier.chunk_context(job);
                if connection_lost(&e, client) {
                    context.push_str(" on the coordinator's connection, which held the snapshot and the locks");
                }
                return Err(Error::db(context, &e));
            }
            continue;
        }
        if lanes.active.load(Ordering::SeqCst) == 0 {
            if lanes.deferred.lock().expect("deferred lock").is_empty() && lanes.waiting() == 0 {
                return Ok(());
            }
            continue;
        }
        lanes.wake.notified().await;
    }
}

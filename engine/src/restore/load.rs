//! Loading data: `jobs` pooled connections take chunks from a shared queue (largest first) and
//! stream each into `COPY … FROM STDIN` while the archive reader decompresses, unpacks and
//! checks it; a chunk is committed only once its whole stream matched the manifest.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::task::JoinSet;
use tokio_postgres::Client;

use super::RestorePlan;
use crate::archive::{Archive, Contents};
use crate::error::{Error, Result};
use crate::pg::{copy_in, copy_in_sql, CopyInError, Target};
use crate::progress::{Event, Progress};

type Queue = Arc<Mutex<VecDeque<(usize, usize)>>>;

/// Where a chunk of large objects' pieces is gathered before `lo_put` (per connection).
const LARGE_OBJECTS_TABLE: &str = "CREATE TEMPORARY TABLE IF NOT EXISTS pgark_large_objects \
    (loid pg_catalog.oid, pageoff pg_catalog.int8, data pg_catalog.bytea) ON COMMIT DELETE ROWS;";
/// Writes the gathered pieces into their large objects.
const LARGE_OBJECTS_PUT: &str = "SELECT pg_catalog.count(pg_catalog.lo_put(loid, pageoff, data)) \
    FROM pg_temp.pgark_large_objects; TRUNCATE pg_temp.pgark_large_objects;";

impl RestorePlan {
    /// Loads every planned chunk over the pool; returns the rows and chunks committed, or on
    /// failure the error and what had been committed, table by table.
    pub(super) async fn load_chunks(
        &self,
        archive: &Arc<Archive>,
        target: &Target,
        pool: &deadpool_postgres::Pool,
        progress: Arc<dyn Progress>,
    ) -> std::result::Result<(u64, usize), (Error, String)> {
        let queue: Queue = Arc::new(Mutex::new(self.chunks.iter().copied().collect()));
        let counts = Arc::new(Mutex::new(Committed::default()));
        let mut workers = JoinSet::new();
        for _ in 0..self.options.jobs.min(self.chunks.len()) {
            let loader = Loader {
                archive: archive.clone(),
                target: target.clone(),
                pool: pool.clone(),
                queue: queue.clone(),
                counts: counts.clone(),
                progress: progress.clone(),
                disable_triggers: self.options.disable_triggers,
                data_only: self.pre_data.is_empty(),
                in_transaction: false,
            };
            workers.spawn(loader.run());
        }
        let first_error = crate::workers::join_all(&mut workers, "restore").await;
        let committed = counts.lock().expect("counts lock");
        match first_error {
            Some(e) => Err((e, committed.describe(archive, self.chunks.len()))),
            None => Ok((committed.rows, committed.chunks)),
        }
    }
}

/// What the loaders have committed.
#[derive(Default)]
struct Committed {
    rows: u64,
    chunks: usize,
    /// Per table (index into the manifest): rows and chunks.
    tables: std::collections::BTreeMap<usize, (u64, usize)>,
}

impl Committed {
    fn add(&mut self, table: usize, rows: u64) {
        self.rows += rows;
        self.chunks += 1;
        let t = self.tables.entry(table).or_default();
        t.0 += rows;
        t.1 += 1;
    }

    /// `3 of 12 data chunks (public.a: 2 of 2 chunks, 1000 rows; …)`.
    fn describe(&self, archive: &Archive, planned: usize) -> String {
        let tables: Vec<String> = self
            .tables
            .iter()
            .map(|(&t, &(rows, chunks))| {
                let entry = &archive.manifest().tables[t];
                format!("{}: {chunks} of {} chunks, {rows} rows", entry.display_name(), entry.chunks.len())
            })
            .collect();
        let detail = if tables.is_empty() { String::new() } else { format!(" ({})", tables.join("; ")) };
        format!("{} of {planned} data chunks committed{detail}", self.chunks)
    }
}

/// One pooled connection loading chunks from the shared queue.
pub(super) struct Loader {
    archive: Arc<Archive>,
    target: Target,
    pool: deadpool_postgres::Pool,
    queue: Queue,
    /// Rows and chunks committed so far, over all loaders.
    counts: Arc<Mutex<Committed>>,
    progress: Arc<dyn Progress>,
    disable_triggers: bool,
    data_only: bool,
    /// Chunks load inside a transaction the caller owns (`--single-transaction`).
    in_transaction: bool,
}

impl Loader {
    /// Loads chunks until the queue is empty; the first failure ends this loader.
    async fn run(self) -> Result<()> {
        let client = self.target.pooled(&self.pool).await?;
        if self.disable_triggers {
            client
                .batch_execute("SET session_replication_role = replica")
                .await
                .map_err(|e| Error::db("--disable-triggers (needs a superuser)", &e))?;
        }
        let result = async {
            loop {
                let Some((t, c)) = self.queue.lock().expect("queue lock").pop_front() else { break };
                self.progress.event(Event::Detail { text: self.archive.manifest().tables[t].display_name() });
                let rows = self.load(&client, t, c).await?;
                let mut n = self.counts.lock().expect("counts lock");
                n.add(t, rows);
            }
            Ok::<_, Error>(())
        }
        .await;
        if self.disable_triggers {
            let _ = client.batch_execute("RESET session_replication_role").await;
        }
        result
    }

    /// A loader on the caller's connection, inside the caller's transaction.
    pub(super) fn in_transaction(plan: &RestorePlan, archive: &Arc<Archive>, target: &Target) -> Result<Loader> {
        Ok(Loader {
            archive: archive.clone(),
            target: target.clone(),
            pool: target.pool(1, crate::pg::Role::Restore)?,
            queue: Arc::new(Mutex::new(VecDeque::new())),
            counts: Arc::new(Mutex::new(Committed::default())),
            progress: Arc::new(crate::progress::NoProgress),
            disable_triggers: plan.options.disable_triggers,
            data_only: plan.pre_data.is_empty(),
            in_transaction: true,
        })
    }

    /// Loads chunk `c` of table `t` and returns its rows, once the server and the archive agree.
    /// Large objects' pieces go through a temporary table into `lo_put`, in one transaction.
    pub(super) async fn load(&self, client: &Client, t: usize, c: usize) -> Result<u64> {
        let table = &self.archive.manifest().tables[t];
        if table.contents == Contents::LargeObjects {
            let context = || format!("loading large objects, chunk {c}");
            let (begin, end) = if self.in_transaction { ("", "") } else { ("BEGIN;", "COMMIT;") };
            let start = format!("{begin}{LARGE_OBJECTS_TABLE}");
            client.batch_execute(&start).await.map_err(|e| Error::db(context(), &e))?;
            let loaded = async {
                let rows = self.copy_chunk(client, t, c, "pg_temp", "pgark_large_objects").await?;
                let put = format!("{LARGE_OBJECTS_PUT}{end}");
                client.batch_execute(&put).await.map_err(|e| Error::db(context(), &e))?;
                Ok(rows)
            }
            .await;
            if loaded.is_err() && !self.in_transaction {
                let _ = client.batch_execute("ROLLBACK").await;
            }
            return loaded;
        }
        self.copy_chunk(client, t, c, &table.schema, &table.name).await
    }

    /// Streams chunk `c` of table `t` into `schema.name` with COPY; returns its rows.
    async fn copy_chunk(&self, client: &Client, t: usize, c: usize, schema: &str, name: &str) -> Result<u64> {
        let table = &self.archive.manifest().tables[t];
        let chunk = &table.chunks[c];
        let sql = copy_in_sql(schema, name, &table.columns, table.format);
        let context = || format!("loading table {}, chunk {c}", table.display_name());
        // The reader decompresses, unpacks and checks on a blocking thread while the pieces go
        // to the server; a few pieces in flight bound the memory.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
        let (a, progress) = (self.archive.clone(), self.progress.clone());
        let reader = tokio::task::spawn_blocking(move || {
            let table = &a.manifest().tables[t];
            a.stream_chunk(table, &table.chunks[c], &mut |piece| {
                progress.event(Event::Advance { amount: piece.len() as u64 });
                tx.blocking_send(piece).map_err(|_| "the load stopped".to_string())
            })
        });
        let checked = async {
            match reader.await {
                Ok(r) => r.map(drop),
                Err(e) => Err(Error::Internal(format!("chunk reader failed: {e}"))),
            }
        };
        let rows = match copy_in(client, &sql, &mut rx, checked).await {
            Ok(rows) => rows,
            Err(CopyInError::Source(e)) => return Err(e),
            Err(CopyInError::Server(e)) => {
                let mut err = Error::db(context(), &e);
                let fk = e.code() == Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION);
                if self.data_only && !self.disable_triggers && fk {
                    if let Error::Db { reason, .. } = &mut err {
                        reason.push_str(
                            "; loading data into tables whose foreign keys exist already needs --disable-triggers",
                        );
                    }
                }
                return Err(err);
            }
        };
        if rows != chunk.rows {
            return Err(Error::Db {
                context: context(),
                reason: format!("server loaded {rows} rows, archive has {}", chunk.rows),
            });
        }
        Ok(rows)
    }
}

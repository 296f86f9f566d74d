//! Loading data: `jobs` pooled connections take chunks from a shared queue (largest first) and
//! stream each into `COPY … FROM STDIN` while the archive reader decompresses, unpacks and
//! checks it; a chunk is committed only once its whole stream matched the manifest. A chunk
//! whose connection is lost before its COPY ended (nothing of it committed) is loaded again on a
//! new connection, [`ATTEMPTS`] times at most.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::task::JoinSet;
use tokio_postgres::error::SqlState;
use tokio_postgres::Client;

use super::RestorePlan;
use crate::archive::{Archive, Contents};
use crate::error::{Error, Result};
use crate::pg::{connection_lost, copy_in, copy_in_sql, CopyInError, Target};
use crate::progress::{Event, Progress};

/// Chunks to load: (table, chunk, attempts so far).
type Queue = Arc<Mutex<VecDeque<(usize, usize, u32)>>>;

/// How many times a chunk is loaded before a lost connection fails the restore.
const ATTEMPTS: u32 = 3;

/// A chunk that did not load, and whether it can be loaded again elsewhere (its connection was
/// lost before anything of it was committed).
struct Failed {
    error: Error,
    again: bool,
}

impl From<Error> for Failed {
    fn from(error: Error) -> Failed {
        Failed { error, again: false }
    }
}

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
        chunks: &[(usize, usize)],
        target: &Target,
        pool: &deadpool_postgres::Pool,
        progress: Arc<dyn Progress>,
    ) -> std::result::Result<(u64, usize), (Error, String)> {
        let queue: Queue = Arc::new(Mutex::new(chunks.iter().map(|&(t, c)| (t, c, 0)).collect()));
        let counts = Arc::new(Mutex::new(Committed::default()));
        let mut workers = JoinSet::new();
        for _ in 0..self.options.jobs.min(chunks.len()) {
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
            Some(e) => Err((e, committed.describe(archive, chunks.len()))),
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
    /// A pooled connection, set up for loading.
    async fn connect(&self) -> Result<deadpool_postgres::Object> {
        let client = self.target.pooled(&self.pool).await?;
        if self.disable_triggers {
            client
                .batch_execute("SET session_replication_role = replica")
                .await
                .map_err(|e| Error::db("--disable-triggers (needs a superuser)", &e))?;
        }
        Ok(client)
    }

    /// Loads chunks until the queue is empty; the first failure ends this loader. A chunk whose
    /// connection was lost before anything of it was committed goes back to the queue.
    async fn run(self) -> Result<()> {
        let mut client = self.connect().await?;
        let result = async {
            loop {
                let Some((t, c, attempt)) = self.queue.lock().expect("queue lock").pop_front() else { break };
                let table = &self.archive.manifest().tables[t];
                self.progress.event(Event::Detail { text: table.display_name() });
                match self.load_once(&client, t, c).await {
                    Ok(rows) => self.counts.lock().expect("counts lock").add(t, rows),
                    Err(Failed { error, again: true }) if attempt + 1 < ATTEMPTS => {
                        let what = format!("loading table {}, chunk {c}", table.display_name());
                        self.progress.event(Event::Warning {
                            text: format!(
                                "the connection {what} was lost ({error}); loading it again on a new connection"
                            ),
                        });
                        self.queue.lock().expect("queue lock").push_front((t, c, attempt + 1));
                        let fresh = self.connect().await.map_err(|e| Error::Db {
                            context: format!("reconnecting after the connection {what} was lost"),
                            reason: e.to_string(),
                        })?;
                        // Never hand a dead connection back to the pool.
                        drop(deadpool_postgres::Object::take(std::mem::replace(&mut client, fresh)));
                    }
                    Err(Failed { error, .. }) => return Err(error),
                }
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
        self.load_once(client, t, c).await.map_err(|f| f.error)
    }

    /// [`Loader::load`], saying whether a failure may be loaded again on another connection.
    async fn load_once(&self, client: &Client, t: usize, c: usize) -> std::result::Result<u64, Failed> {
        let table = &self.archive.manifest().tables[t];
        if table.contents == Contents::LargeObjects {
            let context = || format!("loading large objects, chunk {c}");
            let (begin, end) = if self.in_transaction { ("", "") } else { ("BEGIN;", "COMMIT;") };
            let start = format!("{begin}{LARGE_OBJECTS_TABLE}");
            client.batch_execute(&start).await.map_err(|e| Failed {
                again: !self.in_transaction && connection_lost(&e, client),
                error: Error::db(context(), &e),
            })?;
            let loaded = async {
                let rows = self.copy_chunk(client, t, c, "pg_temp", "pgark_large_objects").await?;
                let put = format!("{LARGE_OBJECTS_PUT}{end}");
                // lo_put writes the same bytes at the same offsets: putting a chunk twice is harmless.
                client.batch_execute(&put).await.map_err(|e| Failed {
                    again: !self.in_transaction && connection_lost(&e, client),
                    error: Error::db(context(), &e),
                })?;
                Ok(rows)
            }
            .await;
            if loaded.is_err() && !self.in_transaction {
                let _ = client.batch_execute("ROLLBACK").await;
            }
            return loaded;
        }
        if self.in_transaction {
            return self.copy_chunk(client, t, c, &table.schema, &table.name).await;
        }
        // Its own transaction, whose id tells afterwards whether a COMMIT that lost its answer
        // went through: a chunk is never loaded twice, nor lost.
        let context = || format!("loading table {}, chunk {c}", table.display_name());
        let lost =
            |e: tokio_postgres::Error| Failed { again: connection_lost(&e, client), error: Error::db(context(), &e) };
        client.batch_execute("BEGIN").await.map_err(lost)?;
        let xid: String = client.query_one("SELECT pg_catalog.txid_current()::text", &[]).await.map_err(lost)?.get(0);
        let rows = match self.copy_chunk(client, t, c, &table.schema, &table.name).await {
            Ok(rows) => rows,
            Err(f) => {
                let _ = client.batch_execute("ROLLBACK").await;
                // Lost before COMMIT was sent (`f.again`): the transaction cannot have committed.
                return Err(f);
            }
        };
        match client.batch_execute("COMMIT").await {
            Ok(()) => Ok(rows),
            Err(e) if connection_lost(&e, client) => match self.committed(&xid).await {
                Ok(true) => Ok(rows),
                Ok(false) => Err(Failed { error: Error::db(context(), &e), again: true }),
                Err(check) => Err(Error::Db {
                    context: context(),
                    reason: format!(
                        "{}; whether its COMMIT went through is unknown ({check})",
                        crate::error::describe_pg_error(&e)
                    ),
                }
                .into()),
            },
            Err(e) => Err(Error::db(context(), &e).into()),
        }
    }

    /// Whether transaction `xid` committed, asked on another connection once it is over.
    async fn committed(&self, xid: &str) -> Result<bool> {
        let client = self.target.pooled(&self.pool).await?;
        for _ in 0..100 {
            let status: Option<String> = client
                .query_one("SELECT pg_catalog.txid_status($1::text::bigint)", &[&xid])
                .await
                .map_err(|e| Error::db("asking whether a chunk's transaction committed", &e))?
                .get(0);
            match status.as_deref() {
                Some("in progress") => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
                other => return Ok(other == Some("committed")),
            }
        }
        Err(Error::Refused(format!("transaction {xid} is still in progress after 10 s")))
    }

    /// Streams chunk `c` of table `t` into `schema.name` with COPY; returns its rows.
    async fn copy_chunk(
        &self,
        client: &Client,
        t: usize,
        c: usize,
        schema: &str,
        name: &str,
    ) -> std::result::Result<u64, Failed> {
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
            Err(CopyInError::Source(e)) => return Err(e.into()),
            // Every chunk loads in a transaction of its own whose COMMIT comes later (`load_once`),
            // so a connection lost during the COPY committed nothing: the chunk may load again.
            Err(CopyInError::Server(e)) if !self.in_transaction && connection_lost(&e, client) => {
                return Err(Failed { error: Error::db(context(), &e), again: true });
            }
            Err(CopyInError::Server(e)) => {
                let mut err = Error::db(context(), &e);
                let fk = e.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION);
                if self.data_only && !self.disable_triggers && fk {
                    if let Error::Db { reason, .. } = &mut err {
                        reason.push_str(
                            "; loading data into tables whose foreign keys exist already needs --disable-triggers",
                        );
                    }
                }
                return Err(err.into());
            }
        };
        if rows != chunk.rows {
            return Err(Error::Db {
                context: context(),
                reason: format!("server loaded {rows} rows, archive has {}", chunk.rows),
            }
            .into());
        }
        Ok(rows)
    }
}

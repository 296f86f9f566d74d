//! The restore: `prepare` selects items and chunks from the archive alone (a `RestorePlan` that
//! can be printed without a database); `execute` creates the pre-data schema in one transaction,
//! loads chunks in parallel (several chunks of one table at once), sets sequences, then builds
//! indexes and constraints in parallel, never running two statements that lock the same table.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;

use crate::archive::{Archive, DdlItem, Kind, Section};
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::pg::{copy_in, copy_in_sql, setup_session, CopyInError, Role, Target};
use crate::progress::{Event, Progress, Stage};
use crate::sql::{ident, literal};

/// How to restore.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RestoreOptions {
    /// Parallel connections loading data; index and constraint builds run up to twice as many.
    pub jobs: usize,
    /// Drop the archive's objects from the target first.
    pub clean: bool,
    /// Create the target database first.
    pub create: bool,
    /// Sections to restore; empty means all.
    pub sections: Vec<Section>,
    /// Schemas and tables to restore.
    pub filter: Filter,
    /// Kinds of objects to leave out (`--no-functions`, …).
    pub exclude_kinds: Vec<Kind>,
    /// Leave out `ALTER … OWNER TO`: objects belong to the restoring user.
    pub no_owner: bool,
    /// Leave out grants.
    pub no_privileges: bool,
    /// Create missing roles (as recorded by `dump --globals`, else NOLOGIN) instead of failing.
    pub create_roles: bool,
    /// Load data with triggers and foreign keys off (`session_replication_role = replica`;
    /// needs a superuser), for data-only restores into an existing schema.
    pub disable_triggers: bool,
}

impl Default for RestoreOptions {
    fn default() -> Self {
        RestoreOptions {
            jobs: 2,
            clean: false,
            create: false,
            sections: Vec::new(),
            filter: Filter::default(),
            exclude_kinds: Vec::new(),
            no_owner: false,
            no_privileges: false,
            create_roles: false,
            disable_triggers: false,
        }
    }
}

/// What a restore will do, computed from the archive alone.
#[derive(Debug, Clone)]
pub struct RestorePlan {
    options: RestoreOptions,
    /// Statements run before the data, in order, in one transaction.
    pub pre_data: Vec<DdlItem>,
    /// `(table, chunk)` indexes into the manifest, largest first.
    pub chunks: Vec<(usize, usize)>,
    /// Statements of the data section (sequence values).
    pub data_items: Vec<DdlItem>,
    /// Statements run after the data, in parallel where they lock different tables.
    pub post_data: Vec<DdlItem>,
    /// Schemas the restore writes into.
    pub schemas: Vec<String>,
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreSummary {
    /// Tables loaded.
    pub tables: usize,
    /// Chunks loaded.
    pub chunks: usize,
    /// Rows loaded.
    pub rows: u64,
    /// Raw bytes loaded.
    pub raw_bytes: u64,
    /// Schema statements run.
    pub statements: usize,
    /// Wall time.
    pub elapsed: Duration,
}

fn item_schema(item: &DdlItem) -> &str {
    item.schema.as_deref().unwrap_or(&item.name)
}

fn item_wanted(item: &DdlItem, options: &RestoreOptions) -> bool {
    let mut excluded = options.exclude_kinds.clone();
    if options.no_owner {
        excluded.push(Kind::Owner);
    }
    if options.no_privileges {
        excluded.extend([Kind::Grant, Kind::DefaultPrivileges]);
    }
    if item.is_of(&excluded) {
        return false;
    }
    let filter = &options.filter;
    match &item.table {
        Some(t) => filter.table(item_schema(item), t),
        None if item.kind == Kind::Table => filter.table(item_schema(item), &item.name),
        None => filter.schema(item_schema(item)),
    }
}

/// Selects what to restore from an archive.
pub fn prepare(archive: &Archive, options: &RestoreOptions) -> Result<RestorePlan> {
    if options.jobs == 0 {
        return Err(Error::Refused("--jobs must be at least 1".into()));
    }
    let m = archive.manifest();
    let section = |s: Section| options.sections.is_empty() || options.sections.contains(&s);
    let items = |s: Section| -> Vec<DdlItem> {
        if !section(s) {
            return Vec::new();
        }
        m.items.iter().filter(|i| i.section == s && item_wanted(i, options)).cloned().collect()
    };
    let mut chunks = Vec::new();
    if section(Section::Data) {
        for (ti, t) in m.tables.iter().enumerate() {
            if options.filter.table(&t.schema, &t.name) {
                chunks.extend((0..t.chunks.len()).map(|ci| (ti, ci)));
            }
        }
    }
    chunks.sort_by_key(|&(t, c)| std::cmp::Reverse(m.tables[t].chunks[c].raw_len));
    let plan = RestorePlan {
        options: options.clone(),
        pre_data: items(Section::PreData),
        data_items: items(Section::Data),
        post_data: items(Section::PostData),
        schemas: Vec::new(),
        chunks,
    };
    // The schemas the restore creates objects in (a trigger or policy on another schema's table
    // does not make that schema the archive's).
    let creates = |k: Kind| {
        matches!(
            k,
            Kind::Schema
                | Kind::Table
                | Kind::View
                | Kind::MaterializedView
                | Kind::Sequence
                | Kind::Type
                | Kind::Function
                | Kind::Aggregate
                | Kind::Collation
                | Kind::TextSearch
        )
    };
    let mut schemas: BTreeSet<String> =
        plan.pre_data.iter().filter(|i| creates(i.kind)).map(|i| item_schema(i).to_string()).collect();
    schemas.extend(plan.chunks.iter().map(|&(t, _)| m.tables[t].schema.clone()));
    let selects_nothing =
        plan.pre_data.is_empty() && plan.chunks.is_empty() && plan.post_data.is_empty() && plan.data_items.is_empty();
    if selects_nothing && !options.filter.is_empty() {
        return Err(Error::Refused("nothing in the archive matches the --schema/--table filters".into()));
    }
    Ok(RestorePlan { schemas: schemas.into_iter().collect(), ..plan })
}

impl RestorePlan {
    /// Tables whose data is loaded.
    pub fn table_count(&self) -> usize {
        self.chunks.iter().map(|&(t, _)| t).collect::<HashSet<_>>().len()
    }

    /// Runs the restore into `target`.
    pub async fn execute(
        &self,
        archive: Arc<Archive>,
        target: &Target,
        progress: Arc<dyn Progress>,
    ) -> Result<RestoreSummary> {
        let started = Instant::now();
        // Roles are cluster-wide: check them (on any database of the cluster) before changing anything.
        let all: Vec<DdlItem> = self.pre_data.iter().chain(&self.data_items).chain(&self.post_data).cloned().collect();
        let cluster = if self.options.create { target.with_dbname(admin_db(target.dbname())) } else { target.clone() };
        let roles_client = cluster.connect().await?;
        crate::schema::ensure_roles(&roles_client, &all, &archive.manifest().globals, self.options.create_roles)
            .await?;
        drop(roles_client);
        if self.options.create {
            create_database(target, &archive.manifest().encoding).await?;
        }
        let client = target.connect().await?;
        setup_session(&client, Role::Restore).await?;
        if !self.options.clean && !self.pre_data.is_empty() {
            refuse_non_empty(&client, &self.schemas, target).await?;
        }

        let mut done: Vec<String> = Vec::new();
        let partial = |e: Error, done: &[String]| Error::PartialRestore {
            target: target.describe(),
            done: if done.is_empty() { "nothing".into() } else { done.join(", ") },
            source: Box::new(e),
        };

        // Pre-data (and --clean) in one transaction: it either all happens or none of it.
        progress.event(Event::Begin { stage: Stage::PreData, total: self.pre_data.len() as u64, bytes: false });
        let schema_result: Result<()> = async {
            client.batch_execute("BEGIN").await.map_err(|e| Error::db("starting the schema transaction", &e))?;
            if self.options.clean {
                for item in self.pre_data.iter().rev() {
                    if let Some(drop) = &item.drop {
                        client
                            .batch_execute(drop)
                            .await
                            .map_err(|e| Error::db(format!("dropping {}", describe(item)), &e))?;
                    }
                }
            }
            for item in &self.pre_data {
                client
                    .batch_execute(&item.sql)
                    .await
                    .map_err(|e| Error::db(format!("creating {}", describe(item)), &e))?;
                progress.event(Event::Advance { amount: 1 });
            }
            client.batch_execute("COMMIT").await.map_err(|e| Error::db("committing the schema", &e))
        }
        .await;
        if let Err(e) = schema_result {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(Error::Refused(format!(
                "{e}\nthe schema is created in one transaction, which was rolled back: {} is unchanged",
                target.describe()
            )));
        }
        progress.event(Event::End);
        if !self.pre_data.is_empty() {
            done.push(format!("schema ({} statements)", self.pre_data.len()));
        }

        // Loading is CPU-bound: `jobs` connections. Post-data statements often wait (on their
        // parallel workers, on writes): twice as many run at once (measured on 2 cores: post-data
        // 4.07 s with 2, 3.45 s with 3, 3.26 s with 4; loading gained nothing from 3).
        let post_jobs = self.options.jobs * 2;
        let pool = target.pool(post_jobs, Role::Restore)?;
        let m = archive.manifest();
        let raw_total: u64 = self.chunks.iter().map(|&(t, c)| m.tables[t].chunks[c].raw_len).sum();
        progress.event(Event::Begin { stage: Stage::Load, total: raw_total, bytes: true });
        let loaded = self.load_chunks(&archive, target, &pool, progress.clone()).await;
        let (rows, chunks_done) = match loaded {
            Ok(v) => v,
            Err((e, n)) => {
                done.push(format!("{n} of {} data chunks", self.chunks.len()));
                return Err(partial(e, &done));
            }
        };
        for item in &self.data_items {
            if let Err(e) = client.batch_execute(&item.sql).await {
                return Err(partial(Error::db(format!("setting {}", describe(item)), &e), &done));
            }
        }
        progress.event(Event::End);
        done.push(format!("{chunks_done} data chunks"));

        progress.event(Event::Begin { stage: Stage::PostData, total: self.post_data.len() as u64, bytes: false });
        if let Err(e) = run_items(&self.post_data, target, &pool, post_jobs, progress.as_ref()).await {
            return Err(partial(e, &done));
        }
        progress.event(Event::End);
        Ok(RestoreSummary {
            tables: self.table_count(),
            chunks: chunks_done,
            rows,
            raw_bytes: raw_total,
            statements: self.pre_data.len() + self.data_items.len() + self.post_data.len(),
            elapsed: started.elapsed(),
        })
    }

    /// Loads every planned chunk over the pool; on failure returns the error and how many
    /// chunks had been committed.
    async fn load_chunks(
        &self,
        archive: &Arc<Archive>,
        target: &Target,
        pool: &deadpool_postgres::Pool,
        progress: Arc<dyn Progress>,
    ) -> std::result::Result<(u64, usize), (Error, usize)> {
        let queue = Arc::new(Mutex::new(self.chunks.iter().copied().collect::<VecDeque<_>>()));
        let counts = Arc::new(Mutex::new((0u64, 0usize)));
        let mut workers = JoinSet::new();
        for _ in 0..self.options.jobs.min(self.chunks.len()) {
            let (archive, target, pool, queue, counts, progress) =
                (archive.clone(), target.clone(), pool.clone(), queue.clone(), counts.clone(), progress.clone());
            let disable_triggers = self.options.disable_triggers;
            let data_only = self.pre_data.is_empty();
            workers.spawn(async move {
                let client = target.pooled(&pool).await?;
                if disable_triggers {
                    client
                        .batch_execute("SET session_replication_role = replica")
                        .await
                        .map_err(|e| Error::db("--disable-triggers (needs a superuser)", &e))?;
                }
                let result = async {
                loop {
                    let Some((t, c)) = queue.lock().expect("queue lock").pop_front() else { break };
                    let table = &archive.manifest().tables[t];
                    let chunk = &table.chunks[c];
                    let sql = copy_in_sql(&table.schema, &table.name, &table.columns, table.format);
                    let context = || format!("loading table {}, chunk {c}", table.display_name());
                    // The reader decompresses, unpacks and checks on a blocking thread while the
                    // pieces go to the server; a few pieces in flight bound the memory.
                    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
                    let a = archive.clone();
                    let reader = tokio::task::spawn_blocking(move || {
                        let table = &a.manifest().tables[t];
                        a.stream_chunk(table, &table.chunks[c], &mut |piece| {
                            tx.blocking_send(piece).map_err(|_| "the load stopped".to_string())
                        })
                    });
                    let checked = async {
                        match reader.await {
                            Ok(r) => r.map(drop),
                            Err(e) => Err(Error::Internal(format!("chunk reader failed: {e}"))),
                        }
                    };
                    let rows = match copy_in(&client, &sql, &mut rx, checked).await {
                        Ok(rows) => rows,
                        Err(CopyInError::Source(e)) => return Err(e),
                        Err(CopyInError::Server(e)) => {
                            let mut err = Error::db(context(), &e);
                            if data_only && !disable_triggers && e.code() == Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION) {
                                if let Error::Db { reason, .. } = &mut err {
                                    reason.push_str("; loading data into tables whose foreign keys exist already needs --disable-triggers");
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
                    let mut n = counts.lock().expect("counts lock");
                    n.0 += rows;
                    n.1 += 1;
                    progress.event(Event::Advance { amount: chunk.raw_len });
                }
                Ok::<_, Error>(())
                }
                .await;
                if disable_triggers {
                    let _ = client.batch_execute("RESET session_replication_role").await;
                }
                result
            });
        }
        let first_error = crate::workers::join_all(&mut workers, "restore").await;
        let (rows, n) = *counts.lock().expect("counts lock");
        match first_error {
            Some(e) => Err((e, n)),
            None => Ok((rows, n)),
        }
    }
}

fn describe(item: &DdlItem) -> String {
    item.label()
}

/// Runs statements over the pool, at most `jobs` at once. Statements that touch the same table
/// never overlap, except index builds (SHARE locks) with each other; and a statement waits for
/// every earlier one that touches one of its tables, so the dependency order holds.
async fn run_items(
    items: &[DdlItem],
    target: &Target,
    pool: &deadpool_postgres::Pool,
    jobs: usize,
    progress: &dyn Progress,
) -> Result<()> {
    let mut pending: VecDeque<&DdlItem> = items.iter().collect();
    // Per table: (statements holding it shared, held exclusively).
    let mut held: HashMap<String, (usize, bool)> = HashMap::new();
    let mut running = JoinSet::new();
    while !pending.is_empty() || !running.is_empty() {
        while running.len() < jobs {
            let Some(pos) = next_startable(&pending, &held) else { break };
            let item = pending.remove(pos).expect("position is valid").clone();
            for t in &item.touches {
                let h = held.entry(t.clone()).or_default();
                if item.shared {
                    h.0 += 1;
                } else {
                    h.1 = true;
                }
            }
            let (target, pool) = (target.clone(), pool.clone());
            running.spawn(async move {
                let result = async {
                    let client = target.pooled(&pool).await?;
                    client
                        .batch_execute(&item.sql)
                        .await
                        .map_err(|e| Error::db(format!("creating {}", describe(&item)), &e))
                }
                .await;
                (item, result)
            });
        }
        let Some(joined) = running.join_next().await else { break };
        let (item, result) = joined.map_err(|e| Error::Internal(format!("a restore worker crashed: {e}")))?;
        if let Err(e) = result {
            running.abort_all();
            return Err(e);
        }
        for t in &item.touches {
            if let Some(h) = held.get_mut(t) {
                if item.shared {
                    h.0 -= 1;
                } else {
                    h.1 = false;
                }
            }
        }
        progress.event(Event::Advance { amount: 1 });
    }
    Ok(())
}

/// The first pending statement that may start now: none of its tables is held in a conflicting
/// way, by a running statement or by an earlier pending one.
fn next_startable(pending: &VecDeque<&DdlItem>, held: &HashMap<String, (usize, bool)>) -> Option<usize> {
    let mut claimed: HashMap<&str, (bool, bool)> = HashMap::new(); // (shared, exclusive) claims
    for (pos, item) in pending.iter().enumerate() {
        let free = item.touches.iter().all(|t| {
            let (running_shared, running_excl) = held.get(t).copied().unwrap_or_default();
            let (claim_shared, claim_excl) = claimed.get(t.as_str()).copied().unwrap_or_default();
            if item.shared {
                !running_excl && !claim_excl
            } else {
                running_shared == 0 && !running_excl && !claim_shared && !claim_excl
            }
        });
        if free {
            return Some(pos);
        }
        for t in &item.touches {
            let c = claimed.entry(t.as_str()).or_default();
            if item.shared {
                c.0 = true;
            } else {
                c.1 = true;
            }
        }
    }
    None
}

/// Refuses a target that already holds relations in the schemas the archive writes into.
async fn refuse_non_empty(client: &tokio_postgres::Client, schemas: &[String], target: &Target) -> Result<()> {
    let rows = client
        .query(
            "SELECT n.nspname || '.' || c.relname FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') ORDER BY 1 LIMIT 6",
            &[&schemas],
        )
        .await
        .map_err(|e| Error::db("checking that the target is empty", &e))?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut names: Vec<String> = rows.iter().take(5).map(|r| r.get(0)).collect();
    if rows.len() > 5 {
        names.push("…".into());
    }
    Err(Error::Refused(format!(
        "target {} already has relations in the archive's schemas ({}); restore into an empty database, or pass --clean to drop the archive's objects first",
        target.describe(),
        names.join(", ")
    )))
}

/// A database to connect to for cluster-wide work while `name` may not exist yet.
fn admin_db(name: &str) -> &'static str {
    if name == "postgres" {
        "template1"
    } else {
        "postgres"
    }
}

/// Creates the target database (from `template0`, with the archive's encoding).
async fn create_database(target: &Target, encoding: &str) -> Result<()> {
    let name = target.dbname().to_string();
    let admin = target.with_dbname(admin_db(&name)).connect().await?;
    admin
        .batch_execute(&format!("CREATE DATABASE {} TEMPLATE template0 ENCODING {}", ident(&name), literal(encoding)))
        .await
        .map_err(|e| Error::db(format!("creating database \"{name}\""), &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmt(name: &str, touches: &[&str], shared: bool) -> DdlItem {
        DdlItem {
            section: Section::PostData,
            kind: if shared { Kind::Index } else { Kind::ForeignKey },
            schema: None,
            name: name.into(),
            table: None,
            sql: String::new(),
            drop: None,
            touches: touches.iter().map(|t| t.to_string()).collect(),
            shared,
            of_kind: None,
            roles: vec![],
        }
    }

    #[test]
    fn index_builds_share_a_table_and_later_statements_wait() {
        let (a1, a2, fk, b) = (
            stmt("a1", &["a"], true),
            stmt("a2", &["a"], true),
            stmt("fk", &["a", "b"], false),
            stmt("b", &["b"], true),
        );
        let pending: VecDeque<&DdlItem> = [&a1, &a2, &fk, &b].into_iter().collect();
        let mut held = HashMap::new();
        assert_eq!(next_startable(&pending, &held), Some(0));
        held.insert("a".to_string(), (1, false));
        let rest: VecDeque<&DdlItem> = [&a2, &fk, &b].into_iter().collect();
        assert_eq!(next_startable(&rest, &held), Some(0), "a second index build on the same table");
        held.insert("a".to_string(), (2, false));
        let rest: VecDeque<&DdlItem> = [&fk, &b].into_iter().collect();
        // The FK waits for the builds on a; b's build, touching b which the pending FK claims, waits too.
        assert_eq!(next_startable(&rest, &held), None);
        held.clear();
        assert_eq!(next_startable(&rest, &held), Some(0));
    }
}

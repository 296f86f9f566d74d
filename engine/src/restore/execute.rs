//! Running a restore plan: roles checked (and created when asked) before anything changes, the
//! target created or checked empty, pre-data in one transaction, data, then post-data; a
//! failure after the schema says what had finished.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use super::schedule::run_items;
use super::skips::{run_in_schema, Skips};
use super::{RestorePlan, RestoreSummary};
use crate::archive::{Archive, DdlItem, Kind};
use crate::error::{Error, Result};
use crate::pg::{setup_session, Role, Target};
use crate::progress::{Event, Progress, Stage};
use crate::sql::{ident, literal};

impl RestorePlan {
    /// Runs the restore into `target`.
    pub async fn execute(
        &self,
        archive: Arc<Archive>,
        target: &Target,
        progress: Arc<dyn Progress>,
    ) -> Result<RestoreSummary> {
        let started = Instant::now();
        if !self.options.skip_check {
            self.check_archive(&archive, progress.clone()).await?;
        }
        // Roles are cluster-wide: check them (on any database of the cluster) before changing anything.
        let all: Vec<DdlItem> = self.pre_data.iter().chain(&self.data_items).chain(&self.post_data).cloned().collect();
        let cluster = if self.options.create { target.with_dbname(admin_db(target.dbname())) } else { target.clone() };
        let roles_client = cluster.connect().await.map_err(|e| {
            if e.is_missing_database() {
                Error::Refused(format!("{e}; pass --create to restore into a new database of that name"))
            } else {
                e
            }
        })?;
        crate::schema::ensure_roles(&roles_client, &all, &archive.manifest().globals, self.options.create_roles)
            .await?;
        drop(roles_client);
        if self.options.create {
            create_database(target, &archive.manifest().encoding).await?;
        }
        let client = target.connect().await?;
        setup_session(&client, Role::Restore).await?;
        if !self.options.clean && !self.pre_data.is_empty() {
            refuse_non_empty(&client, &self.schemas, self.relations.as_deref(), target).await?;
        }

        // Some statements have variants for newer servers (see `DdlItem::variants`).
        let version: i32 = client
            .query_one("SELECT pg_catalog.current_setting('server_version_num')::int4", &[])
            .await
            .map_err(|e| Error::db("reading the target's server version", &e))?
            .get(0);
        let mut done: Vec<String> = Vec::new();
        let partial = |e: Error, done: &[String]| Error::PartialRestore {
            target: target.describe(),
            done: if done.is_empty() { "nothing".into() } else { done.join(", ") },
            cause: Box::new(e),
            created: self.options.create,
        };

        let skips = Skips::new(archive.clone());
        if self.options.single_transaction {
            let result = self.execute_in_one_transaction(&archive, target, &client, version, &skips, progress).await;
            return match result {
                Ok(summary) => Ok(RestoreSummary { elapsed: started.elapsed(), ..summary }),
                Err(e) => {
                    let _ = client.batch_execute("ROLLBACK").await;
                    drop(client);
                    Err(self.rolled_back(e, target, "the restore ran in one transaction (--single-transaction)").await)
                }
            };
        }
        progress.event(Event::Begin { stage: Stage::PreData, total: self.pre_data.len() as u64, bytes: false });
        if let Err(e) = self.create_schema(&client, version, &skips, progress.as_ref()).await {
            let _ = client.batch_execute("ROLLBACK").await;
            drop(client);
            return Err(self.rolled_back(e, target, "the schema is created in one transaction").await);
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
        let chunks = self.chunks_to_load(&archive, &skips);
        let raw_total: u64 = chunks.iter().map(|&(t, c)| m.tables[t].chunks[c].raw_len).sum();
        progress.event(Event::Begin { stage: Stage::Load, total: raw_total, bytes: true });
        let loaded = self.load_chunks(&archive, &chunks, target, &pool, progress.clone()).await;
        let (rows, chunks_done) = match loaded {
            Ok(v) => v,
            Err((e, committed)) => {
                done.push(committed);
                return Err(partial(e, &done));
            }
        };
        for (item, &at) in self.data_items.iter().zip(&self.data_items_at) {
            if skips.follows_skipped(at, item, progress.as_ref()) {
                continue;
            }
            if let Err(e) = client.batch_execute(item.sql_for(version)).await {
                return Err(partial(Error::db(format!("setting {}", describe(item)), &e), &done));
            }
        }
        progress.event(Event::End);
        done.push(format!("{chunks_done} data chunks"));

        progress.event(Event::Begin { stage: Stage::PostData, total: self.post_data.len() as u64, bytes: false });
        let skips = Arc::new(skips);
        let post = (&self.post_data[..], &self.post_data_at[..]);
        if let Err(e) = run_items(post, version, target, &pool, post_jobs, &skips, &progress).await {
            return Err(partial(e, &done));
        }
        progress.event(Event::End);
        let statistics = self.planner_statistics(&archive, target, &pool, version, progress.as_ref()).await;
        let skipped = skips.messages();
        Ok(RestoreSummary {
            statistics,
            tables: self.table_count(),
            chunks: chunks_done,
            rows,
            raw_bytes: raw_total,
            statements: self.pre_data.len() + self.data_items.len() + self.post_data.len() - skipped.len(),
            skipped,
            elapsed: started.elapsed(),
        })
    }
}

pub(super) fn describe(item: &DdlItem) -> String {
    item.label()
}

/// Refuses a target that already holds relations in the schemas the archive writes into.
/// With a table selection, only the relations it restores must not exist yet.
async fn refuse_non_empty(
    client: &tokio_postgres::Client,
    schemas: &[String],
    relations: Option<&[String]>,
    target: &Target,
) -> Result<()> {
    let (sql, list) = match relations {
        Some(names) => ("n.nspname || '.' || c.relname = ANY($1)", names.to_vec()),
        None => ("n.nspname = ANY($1)", schemas.to_vec()),
    };
    let rows = client
        .query(
            &format!(
                "SELECT n.nspname || '.' || c.relname FROM pg_catalog.pg_class c \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE {sql} AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') ORDER BY 1 LIMIT 6"
            ),
            &[&list],
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

impl RestorePlan {
    /// Pre-data (and `--clean`'s drops) in one transaction: it either all happens or none of it.
    async fn create_schema(
        &self,
        client: &tokio_postgres::Client,
        version: i32,
        skips: &Skips,
        progress: &dyn Progress,
    ) -> Result<()> {
        client.batch_execute("BEGIN").await.map_err(|e| Error::db("starting the schema transaction", &e))?;
        self.schema_statements(client, version, skips, progress).await?;
        client.batch_execute("COMMIT").await.map_err(|e| Error::db("committing the schema", &e))
    }

    /// `--clean`'s drops and the pre-data statements, in the caller's transaction.
    async fn schema_statements(
        &self,
        client: &tokio_postgres::Client,
        version: i32,
        skips: &Skips,
        progress: &dyn Progress,
    ) -> Result<()> {
        if self.options.clean {
            let optional = |n: usize| self.optional.get(n).copied().unwrap_or(false);
            for item in self.pre_data.iter().enumerate().rev().filter(|(n, _)| !optional(*n)).map(|(_, item)| item) {
                if let Some(drop) = &item.drop {
                    client
                        .batch_execute(drop)
                        .await
                        .map_err(|e| Error::db(format!("dropping {}", describe(item)), &e))?;
                }
            }
        }
        for (n, item) in self.pre_data.iter().enumerate() {
            let optional = self.optional.get(n).copied().unwrap_or(false);
            run_in_schema(client, (self.pre_data_at[n], item), version, optional, skips, progress).await?;
            progress.event(Event::Advance { amount: 1 });
        }
        Ok(())
    }

    /// The chunks to load: those of tables whose `CREATE TABLE` was not skipped.
    fn chunks_to_load(&self, archive: &Archive, skips: &Skips) -> Vec<(usize, usize)> {
        let skipped: HashSet<(Option<&str>, &str)> = self
            .pre_data
            .iter()
            .zip(&self.pre_data_at)
            .filter(|(it, at)| it.kind == Kind::Table && it.table.is_none() && skips.contains(**at))
            .map(|(it, _)| (it.schema.as_deref(), it.name.as_str()))
            .collect();
        let m = archive.manifest();
        self.chunks
            .iter()
            .copied()
            .filter(|&(t, _)| !skipped.contains(&(Some(m.tables[t].schema.as_str()), m.tables[t].name.as_str())))
            .collect()
    }

    /// `--single-transaction`: schema, data, sequence values and post-data on one connection,
    /// committed together or not at all (the caller rolls back on an error).
    async fn execute_in_one_transaction(
        &self,
        archive: &Arc<Archive>,
        target: &Target,
        client: &tokio_postgres::Client,
        version: i32,
        skips: &Skips,
        progress: Arc<dyn Progress>,
    ) -> Result<RestoreSummary> {
        let loader = super::load::Loader::in_transaction(self, archive, target)?;
        let m = archive.manifest();
        let run = async {
            client.batch_execute("BEGIN").await.map_err(|e| Error::db("starting the transaction", &e))?;
            if self.options.disable_triggers {
                client
                    .batch_execute("SET LOCAL session_replication_role = replica")
                    .await
                    .map_err(|e| Error::db("--disable-triggers (needs a superuser)", &e))?;
            }
            progress.event(Event::Begin { stage: Stage::PreData, total: self.pre_data.len() as u64, bytes: false });
            self.schema_statements(client, version, skips, progress.as_ref()).await?;
            progress.event(Event::End);
            let chunks = self.chunks_to_load(archive, skips);
            let raw_total: u64 = chunks.iter().map(|&(t, c)| m.tables[t].chunks[c].raw_len).sum();
            progress.event(Event::Begin { stage: Stage::Load, total: raw_total, bytes: true });
            let mut rows = 0;
            for &(t, c) in &chunks {
                progress.event(Event::Detail { text: m.tables[t].display_name() });
                rows += loader.load(client, t, c).await?;
                progress.event(Event::Advance { amount: m.tables[t].chunks[c].raw_len });
            }
            progress.event(Event::End);
            progress.event(Event::Begin { stage: Stage::PostData, total: self.post_data.len() as u64, bytes: false });
            let rest =
                self.data_items.iter().zip(&self.data_items_at).chain(self.post_data.iter().zip(&self.post_data_at));
            for (item, &at) in rest {
                run_in_schema(client, (at, item), version, false, skips, progress.as_ref()).await?;
                progress.event(Event::Advance { amount: 1 });
            }
            client.batch_execute("COMMIT").await.map_err(|e| Error::db("committing the restore", &e))?;
            progress.event(Event::End);
            Ok::<(u64, usize, u64), Error>((rows, chunks.len(), raw_total))
        }
        .await;
        let (rows, chunks, raw_bytes) = run?;
        let skipped = skips.messages();
        Ok(RestoreSummary {
            statistics: None,
            tables: self.table_count(),
            chunks,
            rows,
            raw_bytes,
            statements: self.pre_data.len() + self.data_items.len() + self.post_data.len() - skipped.len(),
            skipped,
            elapsed: std::time::Duration::ZERO,
        })
    }

    /// The error for a transaction (`what`) that failed and was rolled back; a database this
    /// restore created is dropped again (the target is as it was), or said to remain.
    async fn rolled_back(&self, e: Error, target: &Target, what: &str) -> Error {
        let rolled_back = format!("{what}, which was rolled back");
        if !self.options.create {
            return Error::Refused(format!("{e}\n{rolled_back}: {} is unchanged", target.describe()));
        }
        let name = target.dbname().to_string();
        let dropped = async {
            let admin = target.with_dbname(admin_db(&name)).connect().await?;
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {}", ident(&name)))
                .await
                .map_err(|e| Error::db(format!("dropping database \"{name}\""), &e))
        }
        .await;
        match dropped {
            Ok(()) => Error::Refused(format!(
                "{e}\n{rolled_back}, and the database \"{name}\" this restore created was dropped: nothing changed"
            )),
            Err(d) => Error::Refused(format!(
                "{e}\n{rolled_back}; the database \"{name}\" this restore created still exists, empty ({d}): drop it"
            )),
        }
    }
}

impl RestorePlan {
    /// Checks every chunk the plan loads (hashes, lengths, rows) before anything changes, so a
    /// damaged archive never leaves a half-built database.
    async fn check_archive(&self, archive: &Arc<Archive>, progress: Arc<dyn Progress>) -> Result<()> {
        use rayon::prelude::*;
        let (archive, chunks) = (archive.clone(), self.chunks.clone());
        let problems = tokio::task::spawn_blocking(move || {
            let m = archive.manifest();
            let total = chunks.iter().map(|&(t, c)| m.tables[t].chunks[c].stored_len).sum();
            progress.event(Event::Begin { stage: Stage::Verify, total, bytes: true });
            let problems: Vec<Error> = chunks
                .par_iter()
                .filter_map(|&(t, c)| {
                    let (table, chunk) = (&m.tables[t], &m.tables[t].chunks[c]);
                    let checked = archive.check_chunk(table, chunk);
                    progress.event(Event::Advance { amount: chunk.stored_len });
                    checked.err()
                })
                .collect();
            progress.event(Event::End);
            problems
        })
        .await
        .map_err(|e| Error::Internal(format!("archive check failed: {e}")))?;
        match problems.first() {
            None => Ok(()),
            Some(first) => Err(Error::Refused(format!(
                "{first}\n{} damaged chunk(s): the archive is checked before a restore changes anything, and nothing was changed (pgark verify lists them all)",
                problems.len()
            ))),
        }
    }
}

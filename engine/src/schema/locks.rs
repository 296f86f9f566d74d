//! Locking the tables a dump copies, as pg_dump does: ACCESS SHARE on each, taken by the
//! coordinator right after it lists them and before it reads anything else, and held until the
//! dump ends — so no table is dropped or altered while its definition and rows are read. With a
//! wait limit (`--lock-wait-timeout`), a table another session holds is named with the process
//! holding it instead of waiting without end.

use std::time::Duration;

use tokio_postgres::error::SqlState;
use tokio_postgres::Client;

use super::tables::Table;
use crate::error::{Error, Result};
use crate::sql::qualified;

/// Tables per `LOCK TABLE` statement.
const BATCH: usize = 500;

/// Locks `tables` (foreign tables are not locked) in ACCESS SHARE mode inside the current
/// transaction, waiting at most `wait` for each statement when given.
pub(crate) async fn lock(client: &Client, tables: &[&Table], wait: Option<Duration>) -> Result<()> {
    let tables: Vec<&Table> = tables.iter().copied().filter(|t| t.kind != 'f').collect();
    if let Some(wait) = wait {
        let ms = wait.as_millis().max(1);
        client
            .batch_execute(&format!("SET LOCAL lock_timeout = {ms}"))
            .await
            .map_err(|e| Error::db("setting the lock wait limit", &e))?;
    }
    for batch in tables.chunks(BATCH) {
        let names: Vec<String> = batch.iter().map(|t| qualified(&t.schema, &t.name)).collect();
        let sql = format!(
            "SAVEPOINT pgark_lock; LOCK TABLE {} IN ACCESS SHARE MODE; RELEASE SAVEPOINT pgark_lock",
            names.join(", ")
        );
        let Err(e) = client.batch_execute(&sql).await else { continue };
        if e.code() != Some(&SqlState::LOCK_NOT_AVAILABLE) {
            let hint = if e.code() == Some(&SqlState::UNDEFINED_TABLE) {
                " (dropped since the dump began? run it again)"
            } else {
                ""
            };
            return Err(Error::db(format!("locking the tables to dump{hint}"), &e));
        }
        let _ = client.batch_execute("ROLLBACK TO SAVEPOINT pgark_lock").await;
        let held = holders(client, batch).await.unwrap_or_default();
        let waited = wait.map(|w| format!("{} ms", w.as_millis())).unwrap_or_default();
        return Err(Error::Db {
            context: "locking the tables to dump".into(),
            reason: if held.is_empty() {
                format!("a table stayed locked by another session for more than {waited} (--lock-wait-timeout)")
            } else {
                format!("{held}: waited {waited} (--lock-wait-timeout); run the dump again when it is done")
            },
        });
    }
    if wait.is_some() {
        client
            .batch_execute("SET LOCAL lock_timeout = 0")
            .await
            .map_err(|e| Error::db("resetting the lock wait limit", &e))?;
    }
    Ok(())
}

/// Who holds a lock conflicting with ACCESS SHARE on any of `tables`: "table s.t is locked by
/// process 123 (AccessExclusiveLock)", joined.
async fn holders(client: &Client, tables: &[&Table]) -> std::result::Result<String, tokio_postgres::Error> {
    let oids: Vec<u32> = tables.iter().map(|t| t.oid).collect();
    let rows = client
        .query(
            "SELECT l.relation, l.pid, l.mode FROM pg_catalog.pg_locks l \
             WHERE l.granted AND l.mode = 'AccessExclusiveLock' AND l.locktype = 'relation' \
             AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()) \
             AND l.relation = ANY($1) AND l.pid <> pg_catalog.pg_backend_pid() ORDER BY 1, 2",
            &[&oids],
        )
        .await?;
    let said: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            let oid: u32 = r.get(0);
            let pid: i32 = r.get(1);
            let mode: String = r.get(2);
            let t = tables.iter().find(|t| t.oid == oid)?;
            Some(format!("table {}.{} is locked by process {pid} ({mode})", t.schema, t.name))
        })
        .collect();
    Ok(said.join("; "))
}

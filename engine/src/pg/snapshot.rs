//! One exported snapshot for the whole dump: the coordinator opens a `REPEATABLE READ READ ONLY`
//! transaction, exports its snapshot, and keeps the transaction open until the dump ends; every
//! worker imports it as the first statement of its own transaction.

use chrono::{DateTime, Utc};
use tokio_postgres::Client;

use super::connect::Target;
use super::session::{self, Role};
use crate::error::{Error, Result};
use crate::sql::literal;

/// The coordinator's connection, holding the exported snapshot open.
pub(crate) struct Snapshot {
    client: Client,
    id: String,
    /// When the snapshot's transaction started.
    pub time: DateTime<Utc>,
}

impl Snapshot {
    /// Connects, opens the transaction and exports its snapshot — or, with `given` (an id from
    /// `pg_export_snapshot()` in a transaction the caller keeps open, as pg_dump's `--snapshot`),
    /// takes that snapshot and hands it on to the workers.
    pub async fn export(target: &Target, given: Option<&str>) -> Result<Snapshot> {
        let client = target.connect().await?;
        session::setup(&client, Role::Dump).await?;
        client
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(|e| Error::db("starting the snapshot transaction", &e))?;
        if let Some(id) = given {
            client
                .batch_execute(&format!("SET TRANSACTION SNAPSHOT {}", literal(id)))
                .await
                .map_err(|e| Error::db(format!("taking the snapshot {id} (--snapshot)"), &e))?;
            let row = client
                .query_one("SELECT pg_catalog.now()", &[])
                .await
                .map_err(|e| Error::db("reading the time", &e))?;
            return Ok(Snapshot { id: id.to_string(), time: row.get(0), client });
        }
        let row = client
            .query_one("SELECT pg_catalog.pg_export_snapshot(), pg_catalog.now()", &[])
            .await
            .map_err(|e| Error::db("exporting the snapshot", &e))?;
        Ok(Snapshot { id: row.get(0), time: row.get(1), client })
    }

    /// The coordinator connection, inside the snapshot.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The exported snapshot's id, for workers to import.
    pub fn id(&self) -> SnapshotId {
        SnapshotId(self.id.clone())
    }

    /// Ends the coordinator's transaction.
    pub async fn release(self) -> Result<()> {
        self.client.batch_execute("COMMIT").await.map_err(|e| Error::db("ending the snapshot transaction", &e))
    }
}

/// An exported snapshot that workers can import.
#[derive(Debug, Clone)]
pub(crate) struct SnapshotId(String);

impl SnapshotId {
    /// Starts a transaction on `client` that sees exactly this snapshot.
    pub async fn import(&self, client: &Client) -> Result<()> {
        client
            .batch_execute(&format!(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT {};",
                literal(&self.0)
            ))
            .await
            .map_err(|e| Error::db("importing the dump snapshot", &e))
    }
}

//! Talking to PostgreSQL: where to connect (URLs, PG* variables, Supabase refs) and how
//! (rustls TLS, pools), the session settings every connection starts with, the exported
//! snapshot a dump shares, COPY out of and into the server, and the throwaway local cluster
//! of the demo and the tests.
//!
//! Takes connection options; hands the dump and the restore connected clients, pools and
//! streams of raw COPY bytes. Knows nothing of archives or schemas.
//!
//! Files: `connect.rs` (targets, pools), `tls.rs`, `session.rs`, `snapshot.rs`,
//! `copy_out.rs`, `copy_in.rs`, `local_cluster.rs`.

mod connect;
mod copy_in;
mod copy_out;
mod local_cluster;
mod pgpass;
mod session;
mod snapshot;
mod tls;

pub use connect::{ConnectOptions, SslMode, Target};
pub(crate) use copy_in::{copy_in, copy_in_sql, CopyInError};
pub(crate) use copy_out::copy_out;
pub use local_cluster::{find_server_binaries, LocalCluster};
pub(crate) use session::{setup as setup_session, setup_sql, Role};
pub(crate) use snapshot::{Snapshot, SnapshotId};

use tokio_postgres::error::SqlState;

/// Whether `e` means the connection is gone (terminated, server shutting down), not the
/// statement refused: work not yet committed can be done again on another connection.
pub(crate) fn connection_lost(e: &tokio_postgres::Error, client: &tokio_postgres::Client) -> bool {
    const LOST: [SqlState; 3] = [SqlState::ADMIN_SHUTDOWN, SqlState::CRASH_SHUTDOWN, SqlState::CANNOT_CONNECT_NOW];
    client.is_closed() || e.is_closed() || e.code().is_some_and(|c| LOST.contains(c))
}

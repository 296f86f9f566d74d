//! Session settings every pgark connection starts with, so text output and DDL are unambiguous
//! and independent of the server's and the role's defaults.

use tokio_postgres::Client;

use crate::error::{Error, Result};

/// What a connection is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Reading: snapshot coordinator and COPY-out workers.
    Dump,
    /// Writing: DDL and COPY-in workers.
    Restore,
}

const COMMON: &str = "SET DateStyle = ISO; SET IntervalStyle = postgres; SET extra_float_digits = 3; \
    SET client_encoding = 'UTF8'; SET standard_conforming_strings = on; \
    SELECT pg_catalog.set_config('search_path', '', false); \
    SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0;";

/// The settings for `role`, as one string of statements.
pub(crate) fn setup_sql(role: Role) -> String {
    let extra = match role {
        // Fail rather than silently dump a subset of rows hidden by row-level security.
        Role::Dump => "SET row_security = off;",
        // Durability per commit is not needed while loading: a failed restore is re-run anyway.
        Role::Restore => "SET synchronous_commit = off; SET check_function_bodies = false; SET row_security = off;",
    };
    format!("{COMMON} {extra}")
}

/// Applies the settings for `role` to a connection that did not come from a pool (pooled
/// connections get them when the pool opens them).
pub(crate) async fn setup(client: &Client, role: Role) -> Result<()> {
    client.batch_execute(&setup_sql(role)).await.map_err(|e| Error::db("preparing the session", &e))
}

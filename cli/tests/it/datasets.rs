//! The real-world datasets in ../shared/datasets: dump → restore into a fresh database →
//! identical `pg_dump --schema-only`, identical database settings, identical per-table data.

use std::path::PathBuf;
use std::process::Command;

use pgark_engine::{DumpOptions, RestoreOptions};

use crate::harness::*;

fn datasets() -> PathBuf {
    let dir = std::env::var_os("PGARK_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets"));
    assert!(dir.is_dir(), "datasets not found at {} (set PGARK_DATASETS)", dir.display());
    dir
}

/// Runs a dataset script with psql, as its LOAD.md says.
fn psql(db: &str, file: &str, vars: &[&str]) {
    let psql =
        [bin_dir().join("psql"), PathBuf::from("/usr/bin/psql")].into_iter().find(|p| p.is_file()).expect("psql");
    let mut cmd = Command::new(psql);
    cmd.args([
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        "127.0.0.1",
        "-p",
        &port().to_string(),
        "-U",
        "postgres",
        "-d",
        db,
    ]);
    for v in vars {
        cmd.args(["-v", v]);
    }
    let out = cmd.arg("-f").arg(datasets().join(file)).output().unwrap();
    assert!(out.status.success(), "loading {file}: {}", String::from_utf8_lossy(&out.stderr));
}

async fn round_trip(db: &str) {
    let dir = tmp();
    let path = dir.path().join(format!("{db}.pgark"));
    dump_db(db, &path, &DumpOptions { jobs: 3, chunk_size: 64 << 10, ..Default::default() }).await;
    let copy = format!("{db}_rt");
    exec("postgres", &format!("DROP DATABASE IF EXISTS {copy}")).await;
    restore_into(&path, &copy, &RestoreOptions { jobs: 3, create: true, ..Default::default() }).await.unwrap();
    assert_same(db, &copy).await;
    exec("postgres", &format!("DROP DATABASE {copy}")).await;
}

#[tokio::test]
async fn pagila_round_trips() {
    let db = fresh_db("ds_pagila").await;
    psql(&db, "pagila/pagila-schema.sql", &[]);
    psql(&db, "pagila/pagila-data.sql", &[]);
    round_trip(&db).await;
}

#[tokio::test]
async fn chinook_variants_and_northwind_round_trip() {
    for script in
        ["Chinook_PostgreSql.sql", "Chinook_PostgreSql_SerialPKs.sql", "Chinook_PostgreSql_AutoIncrementPKs.sql"]
    {
        psql("postgres", &format!("chinook/{script}"), &[]);
    }
    for db in ["chinook", "chinook_serial", "chinook_auto_increment"] {
        round_trip(db).await;
    }
    let db = fresh_db("ds_northwind").await;
    psql(&db, "northwind/northwind.sql", &[]);
    round_trip(&db).await;
}

/// Both datasets create the cluster role postgrest_test_anonymous, so they run one after the other.
#[tokio::test]
async fn postgrest_fixtures_then_apflora_round_trip() {
    let db = fresh_db("ds_postgrest").await;
    psql(&db, "postgrest-fixtures/load.sql", &[]);
    round_trip(&db).await;
    exec("postgres", "DROP DATABASE ds_postgrest").await;

    let db = fresh_db("ds_apflora").await;
    psql(&db, "postgrest-apflora/big_schema.sql", &["PGUSER=postgres"]);
    round_trip(&db).await;
}

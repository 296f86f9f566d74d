//! The `datasets` group: the real-world datasets in ../shared/datasets (or `$PGARK_DATASETS`),
//! which a fresh clone does not have. Built only with `--features datasets` (`.ci/run` adds
//! `cargo test -p pgark --features datasets --test it datasets::`); asked for without the
//! datasets it fails saying where they are expected. Each: dump → restore into a fresh database
//! → identical `pg_dump --schema-only`, identical database settings, identical per-table data;
//! pagila also on every supported server version.

use std::path::PathBuf;

use pgark_engine::{DumpOptions, RestoreOptions};

use crate::harness::*;
use crate::versions::{assert_same as assert_same_on, on_every_major, Server};

fn datasets() -> PathBuf {
    let dir = std::env::var_os("PGARK_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets"));
    assert!(
        dir.join("pagila").is_dir(),
        "the datasets group needs the real-world datasets at {} (the shared/datasets folder beside the \
         checkout; set PGARK_DATASETS to another folder holding pagila/, chinook/, northwind/, …)",
        dir.display()
    );
    dir
}

/// Runs a dataset script with psql, as its LOAD.md says.
fn psql(db: &str, file: &str, vars: &[&str]) {
    psql_file(db, &datasets().join(file), vars);
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
    // The same archive as a plain SQL script, loaded by psql into an empty database.
    let plain = format!("{db}_sql");
    extract_and_load(&path, &plain).await;
    assert_same(db, &plain).await;
    exec("postgres", &format!("DROP DATABASE {plain}")).await;
    // And as a directory of data files that psql's \copy loads.
    extract_dir_and_load(&path, &plain).await;
    assert_same(db, &plain).await;
    exec("postgres", &format!("DROP DATABASE {plain}")).await;
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

/// `-t rental`: into a new database with what it needs, into an existing one alone; its data
/// alone leaves every other sequence as it was; the dry run lists exactly what the run does.
#[tokio::test]
async fn pagila_single_table_restores() {
    let db = fresh_db("ds_pagila_one").await;
    psql(&db, "pagila/pagila-schema.sql", &[]);
    psql(&db, "pagila/pagila-data.sql", &[]);
    let dir = tmp();
    let path = dir.path().join("pagila.pgark");
    dump_db(&db, &path, &DumpOptions::default()).await;
    let archive = path.to_str().unwrap();

    // A new database: rental, what belongs to it, what it needs; foreign keys to tables left
    // out are named.
    exec("postgres", "DROP DATABASE IF EXISTS ds_rental_only").await;
    let dry = pgark(&["restore", archive, "-t", "rental", "--create", "--dry-run", "--db", &url("ds_rental_only")]);
    let dry_text = String::from_utf8_lossy(&dry.stdout).to_string();
    let out = pgark(&["restore", archive, "-t", "rental", "--create", "--db", &url("ds_rental_only")]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("leaving out foreign-key public.rental_customer_id_fkey"), "{stderr}");
    let count = |text: &str, section: &str| -> usize {
        let line = text.lines().find(|l| l.starts_with(section)).unwrap_or_else(|| panic!("{section} in {text}"));
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    let values: usize = dry_text
        .split(" sequence values")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("sequence values in {dry_text}"));
    let planned = count(&dry_text, "pre-data:") + count(&dry_text, "post-data:") + values;
    assert!(stdout.contains(&format!("and {planned} schema statements")), "dry run:\n{dry_text}\nrun: {stdout}");
    let c = client("ds_rental_only").await;
    let tables: Vec<String> = c
        .query("SELECT relname::text FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(tables, ["rental"]);
    let rows: i64 = c.query_one("SELECT count(*) FROM rental", &[]).await.unwrap().get(0);
    assert_eq!(rows, 16044);
    let functions: i64 = c
        .query_one("SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(functions, 1, "only the trigger function rental needs");

    let one_table = RestoreOptions {
        filter: pgark_engine::Filter { tables: vec!["rental".into()], ..Default::default() },
        ..Default::default()
    };
    // Into a database that exists: an empty one gets what rental needs; a full one without
    // rental keeps the function it has.
    let empty = fresh_db("ds_rental_existing").await;
    restore_into(&path, &empty, &one_table).await.unwrap();
    let n: i64 = client(&empty).await.query_one("SELECT count(*) FROM rental", &[]).await.unwrap().get(0);
    assert_eq!(n, 16044);

    // Its data alone into the full database: other sequences keep their values.
    let copy = "ds_pagila_one_copy";
    exec("postgres", &format!("DROP DATABASE IF EXISTS {copy}")).await;
    restore_into(&path, copy, &RestoreOptions { create: true, ..Default::default() }).await.unwrap();
    exec(copy, "SELECT setval('public.actor_actor_id_seq', 5000); DROP TABLE rental CASCADE;").await;
    restore_into(&path, copy, &one_table).await.unwrap();
    exec(copy, "TRUNCATE rental CASCADE;").await;
    let options = RestoreOptions {
        filter: pgark_engine::Filter { tables: vec!["rental".into()], ..Default::default() },
        sections: vec![pgark_engine::Section::Data],
        disable_triggers: true,
        ..Default::default()
    };
    restore_into(&path, copy, &options).await.unwrap();
    let c = client(copy).await;
    let actor: i64 = c.query_one("SELECT last_value FROM public.actor_actor_id_seq", &[]).await.unwrap().get(0);
    assert_eq!(actor, 5000, "a sequence of another table was reset");
    let rows: i64 = c.query_one("SELECT count(*) FROM rental", &[]).await.unwrap().get(0);
    assert_eq!(rows, 16044);
}

/// pagila on one server version: dumped, restored, compared by pg_dump 18 and row fingerprints.
async fn pagila_on(major: u32) {
    let s = Server::start(major);
    let dir = tmp();
    s.exec("postgres", "CREATE DATABASE pagila").await;
    for file in ["pagila-schema.sql", "pagila-data.sql"] {
        s.psql("pagila", &["-f", datasets().join("pagila").join(file).to_str().unwrap()]);
    }
    let path = dir.path().join("pagila.pgark");
    s.dump("pagila", &path).await;
    s.restore(&path, "pagila_copy").await;
    assert_same_on(&s, "pagila", &s, "pagila_copy").await;
}

on_every_major! {
    pagila_on;
    pagila_round_trips_on_postgres_12: 12,
    pagila_round_trips_on_postgres_13: 13,
    pagila_round_trips_on_postgres_14: 14,
    pagila_round_trips_on_postgres_15: 15,
    pagila_round_trips_on_postgres_16: 16,
    pagila_round_trips_on_postgres_17: 17,
    pagila_round_trips_on_postgres_18: 18,
}

/// Random combinations of toggles (seeded, so a failure repeats) over pagila and northwind: each
/// archive restores into an empty database without an error, and every table whose definition
/// does not need a left-out object comes back with all its rows.
#[tokio::test]
async fn random_toggle_combinations_always_restore() {
    let pagila = fresh_db("ds_toggles_pagila").await;
    psql(&pagila, "pagila/pagila-schema.sql", &[]);
    psql(&pagila, "pagila/pagila-data.sql", &[]);
    let northwind = fresh_db("ds_toggles_northwind").await;
    psql(&northwind, "northwind/northwind.sql", &[]);
    let toggles = ["--no-functions", "--no-triggers", "--no-indexes", "--no-constraints", "--no-rls", "--no-views"];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let dir = tmp();
    for round in 0..8 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let chosen: Vec<&str> =
            toggles.iter().enumerate().filter(|(i, _)| seed >> (i * 3) & 1 == 1).map(|(_, t)| *t).collect();
        let db = if round % 2 == 0 { &pagila } else { &northwind };
        let path = dir.path().join(format!("round_{round}.pgark"));
        let url_src = url(db);
        let mut args = vec!["dump", "-q", "--db", &url_src, "-o", path.to_str().unwrap()];
        args.extend(&chosen);
        let out = pgark(&args);
        assert!(out.status.success(), "dump of {db} with {chosen:?}: {}", String::from_utf8_lossy(&out.stderr));
        exec("postgres", "DROP DATABASE IF EXISTS ds_toggles_copy WITH (FORCE)").await;
        let url_copy = url("ds_toggles_copy");
        let out = pgark(&["restore", "-q", path.to_str().unwrap(), "--create", "--jobs", "2", "--db", &url_copy]);
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "restore of {db} with {chosen:?}: {said}");
        let (source, copy) = (fingerprints(db).await, fingerprints("ds_toggles_copy").await);
        for (table, fp) in &copy {
            assert_eq!(Some(fp), source.get(table), "{table} of {db} with {chosen:?}");
        }
        // A table is missing only when the restore said why.
        for table in source.keys().filter(|t| !copy.contains_key(*t)) {
            assert!(said.contains(&format!("skipped table {table}")), "{table} of {db} with {chosen:?}: {said}");
        }
    }
}

//! What a restore that cannot finish says, and what it leaves behind.

use pgark_engine::{DumpOptions, RestoreOptions, Section};

use crate::harness::*;

#[tokio::test]
async fn a_missing_target_database_points_to_create() {
    let db = fresh_db("rm_source").await;
    exec(&db, "CREATE TABLE t (id int); INSERT INTO t VALUES (1);").await;
    let dir = tmp();
    let path = dir.path().join("a.pgark");
    dump_db(&db, &path, &DumpOptions::default()).await;
    exec("postgres", "DROP DATABASE IF EXISTS rm_nowhere").await;
    let out = pgark(&["restore", "-q", path.to_str().unwrap(), "--db", &url("rm_nowhere")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("\"rm_nowhere\" does not exist") && stderr.contains("--create"), "{stderr}");
}

#[tokio::test]
async fn a_data_load_failing_into_an_existing_database_says_what_was_committed() {
    let db = fresh_db("rm_data").await;
    exec(
        &db,
        "CREATE TABLE big (id int, v text); INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g;
         CREATE TABLE small (id int); INSERT INTO small VALUES (1);",
    )
    .await;
    let dir = tmp();
    let path = dir.path().join("a.pgark");
    dump_db(&db, &path, &DumpOptions::default()).await;
    // The target has only the big table: its data loads (largest first, one job), the small one's fails.
    let target = fresh_db("rm_data_target").await;
    exec(&target, "CREATE TABLE big (id int, v text);").await;
    let options = RestoreOptions { jobs: 1, sections: vec![Section::Data], ..Default::default() };
    let err = restore_into(&path, &target, &options).await.unwrap_err().to_string();
    assert!(err.contains("public.big: 1 of 1 chunks, 5000 rows"), "{err}");
    assert!(err.contains("existed before this restore") && !err.contains("drop it"), "{err}");
    assert_eq!(err.matches("does not exist").count(), 1, "the cause is said once: {err}");
    let rows: i64 = client(&target).await.query_one("SELECT count(*) FROM big", &[]).await.unwrap().get(0);
    assert_eq!(rows, 5000, "what was committed stays");
}

#[tokio::test]
async fn a_single_transaction_restore_leaves_nothing_behind_or_everything() {
    let db = fresh_db("rm_single").await;
    exec(
        &db,
        "CREATE TABLE big (id int PRIMARY KEY, v text); INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g;
         CREATE TABLE small (id int REFERENCES big); INSERT INTO small VALUES (1);
         SELECT lo_from_bytea(91001, 'large object in one transaction');",
    )
    .await;
    let dir = tmp();
    let path = dir.path().join("a.pgark");
    dump_db(&db, &path, &DumpOptions::default()).await;
    // Data only into a live database that lacks one table: the other's rows are rolled back too.
    let target = fresh_db("rm_single_target").await;
    exec(&target, "CREATE TABLE big (id int PRIMARY KEY, v text);").await;
    let options =
        RestoreOptions { sections: vec![Section::Data], single_transaction: true, jobs: 1, ..Default::default() };
    let err = restore_into(&path, &target, &options).await.unwrap_err().to_string();
    assert!(err.contains("rolled back") && err.contains("is unchanged"), "{err}");
    let rows: i64 = client(&target).await.query_one("SELECT count(*) FROM big", &[]).await.unwrap().get(0);
    assert_eq!(rows, 0, "nothing of a failed single-transaction restore stays");
    // A whole restore in one transaction is the same as the parallel one.
    exec("postgres", "DROP DATABASE IF EXISTS rm_single_copy").await;
    let options = RestoreOptions { create: true, single_transaction: true, ..Default::default() };
    restore_into(&path, "rm_single_copy", &options).await.unwrap();
    assert_same(&db, "rm_single_copy").await;
}

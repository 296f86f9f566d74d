//! `pgark diff`: the same database dumped twice with different chunking and layouts reads
//! unchanged; inserts, an update and a deleted duplicate read as changed tables; a schema change
//! as changed, added and removed items with a unified diff.

use serde_json::Value;

use crate::harness::*;

fn diff(a: &std::path::Path, b: &std::path::Path, extra: &[&str]) -> (Option<i32>, String) {
    let out = pgark(&[&["diff", a.to_str().unwrap(), b.to_str().unwrap()][..], extra].concat());
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn dump(db: &str, path: &std::path::Path, extra: &[&str]) {
    let out = pgark(&[&["dump", "-q", "--db", &url(db), "-o", path.to_str().unwrap()][..], extra].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn chunks(path: &std::path::Path) -> u64 {
    let out = pgark(&["inspect", path.to_str().unwrap(), "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["tables"].as_array().unwrap().iter().map(|t| t["chunks"].as_u64().unwrap()).sum()
}

#[tokio::test]
async fn diff_compares_content_not_chunks_and_shows_schema_changes() {
    let db = fresh_db("diff_src").await;
    exec(
        &db,
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'df_app') THEN
           CREATE ROLE df_app; END IF; END $$;
         CREATE SCHEMA \"Sales Data\" AUTHORIZATION df_app;
         SET ROLE df_app;
         CREATE TABLE \"Sales Data\".\"order lines\" (id int PRIMARY KEY, memo text, at timestamptz DEFAULT now());
         INSERT INTO \"Sales Data\".\"order lines\" SELECT i, repeat(md5(i::text), 3), '2026-01-01'::timestamptz + i * interval '1 min'
           FROM generate_series(1, 20000) i;
         CREATE TABLE \"Sales Data\".dups AS SELECT 'same' AS v FROM generate_series(1, 50);
         CREATE TYPE \"Sales Data\".pair AS (a int, b text);
         CREATE TABLE \"Sales Data\".pairs (p \"Sales Data\".pair[]);
         INSERT INTO \"Sales Data\".pairs VALUES (ARRAY[ROW(1, 'x')::\"Sales Data\".pair]);
         CREATE TABLE \"Sales Data\".empty (x int);
         CREATE VIEW \"Sales Data\".recent AS SELECT id FROM \"Sales Data\".\"order lines\" WHERE id > 19990;
         RESET ROLE;",
    )
    .await;
    let dir = tmp();
    let path = |name: &str| dir.path().join(name);

    // (a) Twice, cut differently and stored differently: the same.
    dump(&db, &path("a.pgark"), &[]);
    dump(&db, &path("b.pgark"), &["--chunk-size", "64KiB", "--no-compress"]);
    assert!(chunks(&path("b.pgark")) > chunks(&path("a.pgark")) + 5, "the dumps must be chunked differently");
    let (code, text) = diff(&path("a.pgark"), &path("b.pgark"), &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("The backups hold the same.") && text.contains("4 unchanged, 0 unknown"), "{text}");
    let (_, json) = diff(&path("a.pgark"), &path("b.pgark"), &["--json"]);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert!(v["tables"].as_array().unwrap().iter().all(|t| t["content"] == "unchanged"), "{v}");
    assert!(v["schema"].as_array().unwrap().is_empty() && v["schema_unchanged"].as_u64().unwrap() > 10);

    // (b) Rows inserted into one table, one row updated in place, one duplicate deleted.
    exec(
        &db,
        "INSERT INTO \"Sales Data\".\"order lines\" (id, memo) SELECT i, 'new' FROM generate_series(20001, 20010) i;
         UPDATE \"Sales Data\".pairs SET p = ARRAY[ROW(2, 'x')::\"Sales Data\".pair];
         DELETE FROM \"Sales Data\".dups WHERE ctid = (SELECT min(ctid) FROM \"Sales Data\".dups);",
    )
    .await;
    dump(&db, &path("c.pgark"), &["--chunk-size", "256KiB"]);
    let (code, json) = diff(&path("b.pgark"), &path("c.pgark"), &["--json"]);
    assert_eq!(code, Some(1));
    let v: Value = serde_json::from_str(&json).unwrap();
    let table = |name: &str| {
        v["tables"].as_array().unwrap().iter().find(|t| t["table"] == name).unwrap_or_else(|| panic!("{name}")).clone()
    };
    let lines = table("Sales Data.order lines");
    assert_eq!(
        (lines["content"].as_str(), lines["rows_a"].as_u64(), lines["rows_b"].as_u64()),
        (Some("changed"), Some(20000), Some(20010))
    );
    assert_eq!(
        (table("Sales Data.pairs")["content"].as_str(), table("Sales Data.pairs")["rows_b"].as_u64()),
        (Some("changed"), Some(1))
    );
    assert_eq!(table("Sales Data.dups")["rows_b"], 49);
    assert_eq!(table("Sales Data.dups")["content"], "changed");
    assert_eq!(table("Sales Data.empty")["content"], "unchanged");
    assert!(v["schema"].as_array().unwrap().is_empty(), "data changes are not schema changes: {}", v["schema"]);

    // (c) A schema change: a column added, an index created, a view dropped.
    exec(
        &db,
        "SET ROLE df_app;
         ALTER TABLE \"Sales Data\".\"order lines\" ADD COLUMN \"note; text\" text;
         CREATE INDEX \"lines by memo\" ON \"Sales Data\".\"order lines\" (memo);
         DROP VIEW \"Sales Data\".recent;",
    )
    .await;
    dump(&db, &path("d.pgark"), &[]);
    let (code, text) = diff(&path("c.pgark"), &path("d.pgark"), &[]);
    assert_eq!(code, Some(1), "{text}");
    // The view goes with its owner item.
    assert!(text.contains("Schema: 1 added, 2 removed, 1 changed"), "{text}");
    assert!(text.contains("~ table Sales Data.order lines") && text.contains("+    \"note; text\" text"), "{text}");
    assert!(text.contains("+ index Sales Data.lines by memo") && text.contains("- view Sales Data.recent"), "{text}");
    assert!(text.contains("changed: columns added: note; text"), "{text}");
    // The original system's name for it, and trouble is exit status 2.
    let (code, _) = diff(&path("d.pgark"), &path("d.pgark"), &[]);
    assert_eq!(code, Some(0));
    let out = pgark(&["compare", path("d.pgark").to_str().unwrap(), path("nope.pgark").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.pgark"));
}

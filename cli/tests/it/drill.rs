//! Restore drills: `pgark drill` restores into a scratch database, compares every table with the
//! dump's records, drops it, and records the result where `check --max-drill-age` finds it.

use std::path::Path;

use crate::harness::*;

/// A database like an application's: objects owned by a role, several schemas, an odd name, a
/// table in text COPY format (a composite column), a partitioned table, a generated column and a
/// large object.
async fn app_db(name: &str) -> String {
    let db = fresh_db(name).await;
    exec(
        &db,
        "DO $$ BEGIN CREATE ROLE drill_owner; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
         CREATE SCHEMA app AUTHORIZATION drill_owner; CREATE SCHEMA \"Odd \"\"Schema\" AUTHORIZATION drill_owner;
         SET ROLE drill_owner;
         CREATE TYPE app.pair AS (a int, b text);
         CREATE TABLE app.orders (id int PRIMARY KEY, total numeric(12,2), placed timestamptz, note text,
                                  doubled int GENERATED ALWAYS AS (id * 2) STORED);
         INSERT INTO app.orders (id, total, placed, note)
           SELECT i, i * 1.25, '2026-01-01'::timestamptz + i * interval '1 minute', CASE WHEN i % 7 = 0 THEN NULL ELSE 'n' || i END
           FROM generate_series(1, 20000) i;
         CREATE TABLE app.pairs (id int, p app.pair); INSERT INTO app.pairs SELECT i, ROW(i, 'x' || i)::app.pair FROM generate_series(1, 500) i;
         CREATE TABLE app.events (at date, what text) PARTITION BY RANGE (at);
         CREATE TABLE app.events_2026 PARTITION OF app.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
         INSERT INTO app.events SELECT '2026-01-01'::date + (i % 300), 'e' || i FROM generate_series(1, 3000) i;
         CREATE TABLE \"Odd \"\"Schema\".\"Table; with $$\" (v text); INSERT INTO \"Odd \"\"Schema\".\"Table; with $$\" VALUES ('é'), ('$$');
         RESET ROLE;
         SELECT lo_from_bytea(0, 'a large object in a drill');",
    )
    .await;
    db
}

/// The scratch databases of drills of `db`'s archives.
async fn scratch_databases(db: &str) -> Vec<String> {
    let sql = format!("SELECT datname, datname FROM pg_database WHERE datname LIKE 'pgark\\_drill\\_{db}\\_%'");
    pairs::<String>("postgres".into(), &sql).await.into_iter().map(|(n, _)| n).collect()
}

fn history(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(pgark_engine::history_path(dir))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The whole drill: restored, every table as dumped, ANALYZE run, scratch dropped, recorded;
/// `check --max-drill-age` needs it; a table whose rows differ from the dump's record fails it.
#[tokio::test]
async fn a_drill_restores_compares_every_table_and_drops_its_scratch_database() {
    let db = app_db("drill_src").await;
    let dir = tmp();
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let out = pgark(&["dump", "-q", "--db", &url(&db), "-o", backups.to_str().unwrap(), "--chunk-size", "256KiB"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let backups_s = backups.to_str().unwrap();

    // Without a drill, check --max-drill-age is critical.
    let out = pgark(&["check", backups_s, "--max-drill-age", "7d"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no restore drill has passed"));

    let before = scratch_databases(&db).await;
    let out = pgark(&["drill", "-q", backups_s, "--db", &url("postgres"), "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tables = report["tables"].as_array().unwrap();
    let names: Vec<&str> = tables.iter().map(|t| t["table"].as_str().unwrap()).collect();
    for name in ["app.orders", "app.pairs", "app.events_2026", "Odd \"Schema.Table; with $$"] {
        assert!(names.contains(&name), "{name} is compared: {names:?}");
    }
    assert!(tables.iter().all(|t| t["content"] == "match" && t["rows_expected"] == t["rows_found"]), "{report}");
    assert_eq!(report["rows"], 20000 + 500 + 3000 + 2 + 1, "{report}");
    assert_eq!(report["dropped"], true);
    assert!(report["scratch"].as_str().unwrap().starts_with("pgark_drill_drill_src_"), "{report}");
    assert!(report["error"].is_null(), "{report}");
    assert_eq!(scratch_databases(&db).await, before, "the scratch database is dropped");
    let runs = history(&backups);
    let last = runs.last().unwrap();
    assert_eq!((last["kind"].as_str(), last["status"].as_str()), (Some("drill"), Some("ok")), "{last}");
    let out = pgark(&["check", backups_s, "--max-drill-age", "7d"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    // An archive whose rows are not what the restore gives back (a row digest changed; every
    // hash still verifies) fails the drill, naming the table.
    let archive = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "pgark"))
        .unwrap();
    let bad = with_manifest(&archive, &backups, "tampered.pgark", |m| {
        let t = m.tables.iter_mut().find(|t| t.name == "pairs").unwrap();
        t.chunks[0].row_digest = Some("0".repeat(32));
    });
    let out = pgark(&["verify", "-q", bad.to_str().unwrap()]);
    assert!(out.status.success(), "the tampered archive still verifies");
    let out = pgark(&["drill", "-q", bad.to_str().unwrap(), "--db", &url("postgres")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("mismatch: app.pairs: 500 rows dumped, 500 restored, content differs"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("DRILL FAILED"));
    let last = history(&backups).pop().unwrap();
    assert_eq!(last["status"], "failed", "{last}");
    assert!(last["error"].as_str().unwrap().contains("app.pairs"), "{last}");
    assert_eq!(scratch_databases(&db).await, before, "dropped after a failed drill too");

    // A scratch name that exists is refused; that database is left alone.
    exec("postgres", "DROP DATABASE IF EXISTS drill_taken").await;
    exec("postgres", "CREATE DATABASE drill_taken").await;
    exec("drill_taken", "CREATE TABLE keep_me (i int)").await;
    let out = pgark(&["drill", "-q", archive.to_str().unwrap(), "--db", &url("postgres"), "--scratch", "drill_taken"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"drill_taken\" exists already"));
    client("drill_taken").await.query_one("SELECT count(*) FROM keep_me", &[]).await.unwrap();
}

/// A schedule with `drill = true` drills each new archive after verifying it, on `drill_db`.
#[tokio::test]
async fn a_schedule_with_drill_proves_each_new_archive_restores() {
    let db = app_db("drill_sched").await;
    let dir = tmp();
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let config = format!(
        "backup_dir = {:?}\ndrill_db = \"{}\"\n[connection]\nurl = \"{}\"\n[schedules.nightly]\nenabled = true\nevery = \"daily\"\ntime = \"02:00\"\ndrill = true\n",
        backups.to_str().unwrap(),
        url("postgres"),
        url(&db)
    );
    std::fs::write(dir.path().join("pgark.toml"), config).unwrap();
    let out = pgark_in(dir.path(), &["schedule", "status"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("then a restore drill"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = pgark_in(dir.path(), &["schedule", "run", "nightly"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let kinds: Vec<String> = history(&backups).iter().map(|r| format!("{} {}", r["kind"], r["status"])).collect();
    assert_eq!(kinds, ["\"dump\" \"ok\"", "\"verify\" \"ok\"", "\"drill\" \"ok\""]);
    let out = pgark_in(dir.path(), &["check", "--max-drill-age", "1d"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    // drill = true without a server to drill on is a config problem.
    std::fs::write(
        dir.path().join("pgark.toml"),
        format!("backup_dir = {:?}\n[schedules.nightly]\nevery = \"daily\"\ntime = \"02:00\"\ndrill = true\n", backups),
    )
    .unwrap();
    let out = pgark_command(dir.path(), &["config", "check"]).env_remove("PGARK_DRILL_URL").output().unwrap();
    assert!(!out.status.success());
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("drill: a schedule that drills needs drill_db"), "{said}");
}

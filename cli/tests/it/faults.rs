//! The fault matrix: what a dump does when its connections are killed, when other sessions
//! change or lock its tables, under write load, and when the disk fills. Each test makes the
//! fault happen for real against the test cluster.

use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use pgark_engine::RestoreOptions;
use tokio_postgres::Client;

use crate::harness::*;

/// A database like an application's: schema `app` owned by a login role, a big table copied in
/// many chunks, a small one, a gate table.
async fn app_db(name: &str, rows: u32) -> String {
    let db = fresh_db(name).await;
    exec(
        &db,
        &format!(
            "DO $$ BEGIN CREATE ROLE fault_owner LOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
             CREATE SCHEMA app AUTHORIZATION fault_owner;
             SET ROLE fault_owner;
             CREATE TABLE app.big (id int PRIMARY KEY, a text, b text);
             INSERT INTO app.big SELECT i, md5(i::text), md5((i * 7)::text) FROM generate_series(1, {rows}) i;
             CREATE TABLE app.notes (id int, note text);
             INSERT INTO app.notes SELECT i, 'note ' || i FROM generate_series(1, 1000) i;
             CREATE TABLE app.zz_gate (id int);
             INSERT INTO app.zz_gate VALUES (1);
             RESET ROLE;"
        ),
    )
    .await;
    db
}

/// `pgark dump` of `db` into `path` with `extra` flags, started in the background.
fn start_dump(db: &str, path: &Path, extra: &[&str]) -> Child {
    let url = url(db);
    let mut args = vec!["dump", "-q", "--db", &url, "-o", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    pgark_command(Path::new("."), &args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

/// Waits for `child` at most `limit`; kills it and fails the test when it takes longer.
async fn finish(mut child: Child, limit: Duration) -> Output {
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > limit {
                let _ = child.kill();
                let out = child.wait_with_output().unwrap();
                panic!("pgark did not end within {limit:?}: {}", String::from_utf8_lossy(&out.stderr));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

/// pgark's backends on `db` with an open transaction: (pid, is the coordinator — the first to
/// connect —, is copying now). The caller's own backend is left out.
async fn pgark_backends(c: &Client, db: &str) -> Vec<(i32, bool, bool)> {
    c.query(
        "SELECT pid, backend_start = min(backend_start) OVER (), \
                state = 'active' AND query LIKE 'COPY%' \
         FROM pg_stat_activity WHERE datname = $1 AND application_name = 'pgark' \
         AND xact_start IS NOT NULL AND pid <> pg_backend_pid()",
        &[&db],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

/// Files in `dir`, by name.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// Restores `archive` into a new database `copy` and compares it with `db`.
async fn restores_the_same(archive: &Path, db: &str, copy: &str) {
    exec("postgres", &format!("DROP DATABASE IF EXISTS {copy} WITH (FORCE)")).await;
    restore_into(archive, copy, &RestoreOptions { create: true, ..Default::default() }).await.unwrap();
    assert_same(db, copy).await;
}

/// A worker's connection killed mid-COPY (twice): the chunk is copied again on a new connection
/// inside the same snapshot, and the archive holds every row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_connection_killed_mid_copy_is_copied_again() {
    let db = app_db("fault_kill_worker", 1_500_000).await;
    let dir = tmp();
    let path = dir.path().join("a.pgark");
    let child = start_dump(&db, &path, &["--jobs", "3", "--chunk-size", "1MiB", "--level", "3"]);
    let c = client("postgres").await;
    let mut killed = Vec::new();
    let started = Instant::now();
    while killed.len() < 2 && started.elapsed() < Duration::from_secs(60) {
        let victim = pgark_backends(&c, &db)
            .await
            .into_iter()
            .find(|&(pid, coordinator, copying)| copying && !coordinator && !killed.contains(&pid));
        if let Some((pid, _, _)) = victim {
            c.execute("SELECT pg_terminate_backend($1)", &[&pid]).await.unwrap();
            killed.push(pid);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let out = finish(child, Duration::from_secs(120)).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(killed.len(), 2, "two workers were killed while copying: {stderr}");
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("was lost") && stderr.contains("copying it again on a new connection"), "{stderr}");
    restores_the_same(&path, &db, "fault_kill_worker_copy").await;
}

/// A loader's connection killed mid-COPY during a restore (twice): nothing of that chunk was
/// committed, so it is loaded again on a new connection, and the copy is whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_connection_killed_mid_copy_loads_the_chunk_again() {
    let db = app_db("fault_kill_loader", 1_000_000).await;
    let dir = tmp();
    let path = dir.path().join("a.pgark");
    let out = finish(start_dump(&db, &path, &["--chunk-size", "1MiB"]), Duration::from_secs(120)).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let copy = "fault_kill_loader_copy";
    exec("postgres", &format!("DROP DATABASE IF EXISTS {copy} WITH (FORCE)")).await;
    let child = pgark_command(
        Path::new("."),
        &["restore", "-q", path.to_str().unwrap(), "--db", &url(copy), "--create", "--jobs", "2"],
    )
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let c = client("postgres").await;
    let mut killed = Vec::new();
    let started = Instant::now();
    while killed.len() < 2 && started.elapsed() < Duration::from_secs(60) {
        let loading: Vec<i32> = c
            .query(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND query LIKE 'COPY%FROM STDIN%'",
                &[&copy],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .filter(|p| !killed.contains(p))
            .collect();
        if let Some(&pid) = loading.first() {
            c.execute("SELECT pg_terminate_backend($1)", &[&pid]).await.unwrap();
            killed.push(pid);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let out = finish(child, Duration::from_secs(120)).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(killed.len(), 2, "two loaders were killed while copying: {stderr}");
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("loading it again on a new connection"), "{stderr}");
    assert_same(&db, copy).await;
}

/// The coordinator's connection killed: its snapshot and locks are gone, so the dump fails and
/// leaves no file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_killed_fails_the_dump_and_leaves_no_file() {
    let db = app_db("fault_kill_coordinator", 1_000_000).await;
    let dir = tmp();
    let path = dir.path().join("a.pgark");
    let child = start_dump(&db, &path, &["--jobs", "2", "--chunk-size", "1MiB", "--level", "3"]);
    let c = client("postgres").await;
    let started = Instant::now();
    let mut killed = None;
    while killed.is_none() && started.elapsed() < Duration::from_secs(60) {
        let lanes = pgark_backends(&c, &db).await;
        if lanes.iter().any(|&(_, coordinator, copying)| copying && !coordinator) {
            killed = lanes.iter().find(|l| l.1).map(|l| l.0);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let pid = killed.expect("the dump's workers started");
    c.execute("SELECT pg_terminate_backend($1)", &[&pid]).await.unwrap();
    let out = finish(child, Duration::from_secs(120)).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("error:") && stderr.contains("coordinator's connection"), "{stderr}");
    assert!(names(dir.path()).is_empty(), "no archive, no partial file: {:?}", names(dir.path()));
}

/// A table another session holds locked: with --lock-wait-timeout the dump fails soon, naming the
/// table and the process; nothing is written; once the lock is gone the dump works.
#[tokio::test]
async fn a_locked_table_fails_the_dump_after_the_lock_wait_timeout() {
    let db = app_db("fault_lock_wait", 1000).await;
    let holder = client(&db).await;
    holder.batch_execute("BEGIN; LOCK TABLE app.notes IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let pid: i32 = holder.query_one("SELECT pg_backend_pid()", &[]).await.unwrap().get(0);
    let dir = tmp();
    let started = Instant::now();
    let child = start_dump(&db, dir.path(), &["--lock-wait-timeout", "1s"]);
    let out = finish(child, Duration::from_secs(60)).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(30), "it did not wait without end");
    assert!(stderr.contains(&format!("table app.notes is locked by process {pid} (AccessExclusiveLock)")), "{stderr}");
    assert!(stderr.contains("--lock-wait-timeout"), "{stderr}");
    assert_eq!(names(dir.path()), [".pgark"], "only the history: no archive, no partial file");
    // Bad values are refused by name.
    let out = pgark(&["dump", "--db", &url(&db), "-o", "x.pgark", "--lock-wait-timeout", "soon"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("'soon' is not a duration"));

    holder.batch_execute("ROLLBACK").await.unwrap();
    let out = finish(start_dump(&db, dir.path(), &["--lock-wait-timeout", "1s"]), Duration::from_secs(60)).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// DDL issued on the source while the dump holds its locks (a column added to one table, another
/// dropped) waits for the dump, which neither deadlocks nor fails: the tables the workers cannot
/// lock are copied by the coordinator, and the archive is the database as it was at the snapshot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ddl_during_a_dump_waits_for_it_and_the_archive_is_the_snapshot() {
    let db = app_db("fault_ddl", 200_000).await;
    let expected = fingerprints(&db).await;
    // Hold the last table so the dump stops while it holds the locks of the others.
    let gate = client(&db).await;
    gate.batch_execute("BEGIN; LOCK TABLE app.zz_gate IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let dir = tmp();
    let path = dir.path().join("a.pgark");
    let child = start_dump(&db, &path, &["--jobs", "3", "--chunk-size", "1MiB"]);
    let c = client(&db).await;
    let waiting = |sql: &'static str| {
        let c = &c;
        async move {
            let started = Instant::now();
            loop {
                let n: i64 = c.query_one(sql, &[]).await.unwrap().get(0);
                if n > 0 {
                    break;
                }
                assert!(started.elapsed() < Duration::from_secs(60), "timed out waiting for: {sql}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    waiting(
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) \
         WHERE NOT l.granted AND l.relation = 'app.zz_gate'::regclass AND a.application_name = 'pgark'",
    )
    .await;
    let mut ddl = Vec::new();
    for sql in ["ALTER TABLE app.big ADD COLUMN extra int DEFAULT 7", "DROP TABLE app.notes"] {
        let session = client(&db).await;
        ddl.push(tokio::spawn(async move { session.batch_execute(sql).await }));
    }
    waiting(
        "SELECT (count(*) = 2)::int::int8 FROM pg_locks WHERE NOT granted AND mode = 'AccessExclusiveLock' \
         AND relation IN ('app.big'::regclass, 'app.notes'::regclass)",
    )
    .await;
    gate.batch_execute("ROLLBACK").await.unwrap();
    let out = finish(child, Duration::from_secs(120)).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("another session waits to change table app."), "{stderr}");
    for d in ddl {
        d.await.unwrap().unwrap();
    }
    // The archive is the database before the DDL.
    let copy = "fault_ddl_copy";
    exec("postgres", &format!("DROP DATABASE IF EXISTS {copy} WITH (FORCE)")).await;
    restore_into(&path, copy, &RestoreOptions { create: true, ..Default::default() }).await.unwrap();
    assert_eq!(fingerprints(copy).await, expected);
    let columns: i64 =
        value(copy, "SELECT count(*) FROM pg_attribute WHERE attrelid = 'app.big'::regclass AND attnum > 0").await;
    assert_eq!(columns, 3, "no column added after the snapshot");
}

/// Dumps while pgbench writes to the same tables: a dump in a snapshot the test holds
/// (`--snapshot`) restores to exactly the row counts and fingerprints a REPEATABLE READ read in that
/// snapshot sees; and every archive is one consistent snapshot, so pgbench's invariant holds in
/// every restored copy (the balances of accounts, tellers and branches and the history's deltas
/// add up to the same sum).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dumps_under_pgbench_load_are_consistent_snapshots() {
    let db = fresh_db("fault_pgbench").await;
    let pgbench = bin_dir().join("pgbench");
    let port = port().to_string();
    let base = ["-h", "127.0.0.1", "-p", port.as_str(), "-U", "postgres"];
    let out = std::process::Command::new(&pgbench).args(base).args(["-i", "-q", "-s", "2", &db]).output().unwrap();
    assert!(out.status.success(), "pgbench -i: {}", String::from_utf8_lossy(&out.stderr));
    let mut load = std::process::Command::new(&pgbench)
        .args(base)
        .args(["-n", "-c", "4", "-j", "2", "-T", "600", &db])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let c = client(&db).await;
    let history = || async { c.query_one("SELECT count(*) FROM pgbench_history", &[]).await.unwrap().get::<_, i64>(0) };
    while history().await < 200 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let dir = tmp();
    // A snapshot the test holds (as a replication slot's would be): the dump taken in it with
    // --snapshot holds exactly what a REPEATABLE READ read in it sees, under load.
    let holder = client(&db).await;
    holder.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ").await.unwrap();
    let id: String = holder.query_one("SELECT pg_export_snapshot()", &[]).await.unwrap().get(0);
    let at_snapshot = pgark_engine::fingerprint_tables(&holder).await.unwrap();
    while history().await < 400 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let in_snapshot = dir.path().join("snapshot.pgark");
    let out = finish(
        start_dump(&db, &in_snapshot, &["--jobs", "3", "--chunk-size", "1MiB", "--snapshot", &id]),
        Duration::from_secs(120),
    )
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    holder.batch_execute("COMMIT").await.unwrap();
    let mut archives = Vec::new();
    for i in 0..3 {
        let before = history().await;
        let path = dir.path().join(format!("load{i}.pgark"));
        let out =
            finish(start_dump(&db, &path, &["--jobs", "3", "--chunk-size", "1MiB"]), Duration::from_secs(120)).await;
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(history().await > before, "pgbench was writing during dump {i}");
        archives.push(path);
    }
    let _ = load.kill();
    let _ = load.wait();
    let copy = "fault_pgbench_snapshot";
    exec("postgres", &format!("DROP DATABASE IF EXISTS {copy} WITH (FORCE)")).await;
    restore_into(&in_snapshot, copy, &RestoreOptions { create: true, ..Default::default() }).await.unwrap();
    assert_eq!(fingerprints(copy).await, at_snapshot, "the archive is the snapshot it was given");
    assert_ne!(fingerprints(&db).await, at_snapshot, "pgbench wrote meanwhile");
    for (i, path) in archives.iter().enumerate() {
        let copy = format!("fault_pgbench_copy{i}");
        exec("postgres", &format!("DROP DATABASE IF EXISTS {copy} WITH (FORCE)")).await;
        restore_into(path, &copy, &RestoreOptions { create: true, ..Default::default() }).await.unwrap();
        let row = client(&copy)
            .await
            .query_one(
                "SELECT (SELECT sum(abalance) FROM pgbench_accounts), (SELECT sum(tbalance) FROM pgbench_tellers), \
                        (SELECT sum(bbalance) FROM pgbench_branches), (SELECT coalesce(sum(delta), 0) FROM pgbench_history), \
                        (SELECT count(*) FROM pgbench_history)",
                &[],
            )
            .await
            .unwrap();
        let sums: Vec<i64> = (0..4).map(|k| row.get(k)).collect();
        let transactions: i64 = row.get(4);
        assert!(transactions > 0, "archive {i} holds pgbench's transactions");
        assert!(sums.iter().all(|s| *s == sums[0]), "archive {i} is one snapshot: {sums:?}");
    }
}

/// The disk filling while the archive is written: a clean failure naming the file, the partial
/// file removed, the earlier backup in the directory untouched. A small tmpfs where the tests run
/// as root; a file-size limit (ulimit -f, EFBIG) always.
#[tokio::test]
async fn a_full_disk_fails_cleanly_and_touches_nothing_else() {
    let db = fresh_db("fault_disk").await;
    exec(
        &db,
        "CREATE TABLE t AS SELECT i, md5(i::text) AS a, md5((i + 1)::text) AS b FROM generate_series(1, 200000) i",
    )
    .await;
    let dir = tmp();
    let earlier = |d: &Path| {
        let out =
            pgark(&["dump", "-q", "--db", &url(&db), "--no-data", "-o", d.join("earlier.pgark").to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };

    // ulimit -f: 1 MiB per file.
    earlier(dir.path());
    let mut command =
        pgark_command(Path::new("."), &["dump", "-q", "--db", &url(&db), "-o", dir.path().to_str().unwrap()]);
    // SAFETY: setrlimit in the child between fork and exec touches nothing shared.
    unsafe {
        use std::os::unix::process::CommandExt;
        command.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: 1 << 20, rlim_max: 1 << 20 };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "an error, not a signal: {stderr}");
    assert!(stderr.contains("File too large") && stderr.contains(&dir.path().display().to_string()), "{stderr}");
    assert_eq!(names(dir.path()), [".pgark", "earlier.pgark"], "the partial file is removed");
    let out = pgark(&["verify", "-q", dir.path().join("earlier.pgark").to_str().unwrap()]);
    assert!(out.status.success(), "the earlier backup is untouched");

    // A full file system, where one can be mounted.
    let small = tmp();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs", small.path().to_str().unwrap()])
        .output()
        .is_ok_and(|o| o.status.success());
    if !mounted {
        eprintln!("not root: the tmpfs half of this test is skipped");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(small.path());
    earlier(small.path());
    let out = pgark(&["dump", "-q", "--db", &url(&db), "-o", small.path().to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("No space left on device") && stderr.contains(&small.path().display().to_string()),
        "{stderr}"
    );
    assert_eq!(names(small.path()), [".pgark", "earlier.pgark"], "the partial file is removed");
    let out = pgark(&["verify", "-q", small.path().join("earlier.pgark").to_str().unwrap()]);
    assert!(out.status.success(), "the earlier backup is untouched");
    let history = std::fs::read_to_string(small.path().join(".pgark/history.jsonl")).unwrap_or_default();
    assert!(history.contains("\"failed\""), "the failure is recorded: {history}");
}

/// The server restarted mid-dump and mid-restore (a cluster of its own): each fails with a clear
/// message and leaves no archive; the restore says what it had finished and how to go on, and
/// following that advice works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_mid_dump_or_restore_fails_cleanly_and_says_how_to_go_on() {
    let cluster = tokio::task::spawn_blocking(|| pgark_engine::LocalCluster::start().unwrap()).await.unwrap();
    let cluster = std::sync::Arc::new(cluster);
    let (c, conn) = tokio_postgres::connect(&cluster.url("postgres"), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    c.batch_execute(
        "CREATE ROLE restart_owner LOGIN; CREATE SCHEMA app AUTHORIZATION restart_owner; SET ROLE restart_owner;
         CREATE TABLE app.big (id int PRIMARY KEY, a text, b text);
         INSERT INTO app.big SELECT i, md5(i::text), md5((i * 3)::text) FROM generate_series(1, 1000000) i;
         CREATE TABLE app.small (id int REFERENCES app.big, note text); INSERT INTO app.small VALUES (1, 'one');
         CREATE INDEX ON app.big (a); RESET ROLE;",
    )
    .await
    .unwrap();
    drop(c);
    let source = cluster.url("postgres");
    let dir = tmp();
    let path = dir.path().join("a.pgark");
    let busy = |db: &'static str, what: &'static str| {
        let url = cluster.url("postgres");
        async move {
            let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(conn);
            let started = Instant::now();
            loop {
                let n: i64 = c
                    .query_one(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND query LIKE $2 AND state = 'active'",
                        &[&db, &what],
                    )
                    .await
                    .unwrap()
                    .get(0);
                if n > 0 {
                    return;
                }
                assert!(started.elapsed() < Duration::from_secs(60), "{what} never ran on {db}");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    };
    // Down for a few seconds: long enough that pgark's reconnecting workers find it gone.
    let restart = |cluster: std::sync::Arc<pgark_engine::LocalCluster>| async move {
        tokio::task::spawn_blocking(move || cluster.restart(Duration::from_secs(3)).unwrap()).await.unwrap()
    };

    // Mid-dump.
    let args = ["dump", "-q", "--db", &source, "-o", path.to_str().unwrap(), "--chunk-size", "1MiB", "--level", "5"];
    let child = pgark_command(Path::new("."), &args).stderr(Stdio::piped()).spawn().unwrap();
    busy("postgres", "COPY%TO STDOUT%").await;
    restart(cluster.clone()).await;
    let out = finish(child, Duration::from_secs(120)).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // Where the restart finds the dump decides the message: copying a chunk, or connecting a worker.
    let said = ["dumping table app.big, chunk", "opening a worker connection"];
    assert!(stderr.contains("error: ") && said.iter().any(|s| stderr.contains(s)), "says what it was doing: {stderr}");
    assert!(names(dir.path()).is_empty(), "no archive, no partial file: {:?}", names(dir.path()));
    let out =
        finish(pgark_command(Path::new("."), &args).stderr(Stdio::piped()).spawn().unwrap(), Duration::from_secs(120))
            .await;
    assert!(out.status.success(), "after the restart a dump works: {}", String::from_utf8_lossy(&out.stderr));

    // Mid-restore, into a database the restore creates.
    let copy = cluster.url("copy");
    let restore = ["restore", "-q", path.to_str().unwrap(), "--db", &copy, "--create", "--jobs", "2"];
    let child = pgark_command(Path::new("."), &restore).stderr(Stdio::piped()).spawn().unwrap();
    busy("copy", "COPY%FROM STDIN%").await;
    restart(cluster.clone()).await;
    let out = finish(child, Duration::from_secs(120)).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("schema (") && stderr.contains("data chunks committed"), "says what was done: {stderr}");
    assert!(stderr.contains("drop it and restore again"), "says how to go on: {stderr}");
    // Following the advice.
    let (c, conn) = tokio_postgres::connect(&source, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    c.batch_execute("DROP DATABASE copy").await.unwrap();
    let out = pgark(&restore);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let count = |url: String| async move {
        let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        let r = c.query_one("SELECT count(*), sum(hashtext(a || b)) FROM app.big", &[]).await.unwrap();
        (r.get::<_, i64>(0), r.get::<_, Option<i64>>(1))
    };
    assert_eq!(count(copy).await, count(source).await);
}

//! The pgark binary: connection errors, interrupted dumps, refusals that protect data, dry runs.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::*;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn connection_problems_are_one_clear_line_without_secrets() {
    password_login_role("pw_user", "right-password").await;
    let p = port();
    let cases = [
        (
            format!("postgres://pw_user:wrong-secret@127.0.0.1:{p}/postgres?sslmode=disable"),
            "authentication failed for user \"pw_user\"",
        ),
        (
            format!("postgres://postgres@127.0.0.1:{p}/no_such_db?sslmode=disable"),
            "database \"no_such_db\" does not exist",
        ),
        ("postgres://u:wrong-secret@no-such-host.invalid:5432/db".to_string(), "no-such-host.invalid"),
        ("postgres://u:wrong-secret@127.0.0.1:99999/db".to_string(), "invalid port"),
        (format!("postgres://u@127.0.0.1:{p}/db?sslmode=sometimes"), "unknown sslmode 'sometimes'"),
    ];
    let dir = tmp();
    for (url, expected) in cases {
        let out = pgark(&["dump", "--db", &url, "-o", dir.path().to_str().unwrap()]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{url}: {err}");
        assert!(err.contains(expected), "{url}: expected {expected:?} in {err}");
        // One line of error; a remote host without verified TLS also gets a warning line.
        assert_eq!(err.trim().lines().filter(|l| !l.starts_with("warning: ")).count(), 1, "one line: {err}");
        assert!(!err.contains("wrong-secret"), "the password leaked: {err}");
    }
    let written: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(written, [".pgark"], "no archive written on failure, only the history");
    let history = std::fs::read_to_string(pgark_engine::history_path(dir.path())).unwrap();
    assert_eq!(history.matches("\"status\":\"failed\"").count(), 5, "every failure recorded: {history}");
    assert!(!history.contains("wrong-secret"), "the password leaked into the history: {history}");
    // The right password works, also from PGPASSWORD.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pgark"))
        .args(["dump", "--dry-run", "--db", &format!("postgres://pw_user@127.0.0.1:{p}/postgres?sslmode=disable")])
        .env("PGPASSWORD", "right-password")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Starts a dump slow enough to interrupt (one job, small chunks, zstd level 19) and waits until
/// its partial file exists.
fn start_slow_dump(db_url: &str, path: &Path, capture_stderr: bool) -> std::process::Child {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pgark"));
    cmd.args(["dump", "-q", "--db", db_url, "-o", path.to_str().unwrap()]).args([
        "--jobs",
        "1",
        "--chunk-size",
        "256KiB",
        "--level",
        "19",
    ]);
    if capture_stderr {
        cmd.stderr(std::process::Stdio::piped());
    }
    let child = cmd.spawn().unwrap();
    let partial = pgark_engine::partial_path(path);
    let started = Instant::now();
    while !partial.exists() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(partial.exists(), "the dump writes to {}", partial.display());
    child
}

#[tokio::test]
async fn a_killed_dump_leaves_no_archive_at_the_final_path() {
    let db = fresh_db("cli_kill").await;
    exec(
        &db,
        "CREATE TABLE t AS SELECT i, md5(i::text) AS a, md5((i * 2)::text) AS b FROM generate_series(1, 300000) i",
    )
    .await;
    let dir = tmp();
    let db_url = url(&db);
    for (n, delay) in [0u64, 30, 150].into_iter().enumerate() {
        let path = dir.path().join(format!("killed{n}.pgark"));
        let mut child = start_slow_dump(&db_url, &path, false);
        std::thread::sleep(Duration::from_millis(delay));
        assert!(child.try_wait().unwrap().is_none(), "the dump was still running when killed");
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!path.exists(), "a killed dump must leave no file at the final path");
    }
    // Ctrl-C: the dump stops, says so, and cleans up its partial file too.
    let path = dir.path().join("interrupted.pgark");
    let child = start_slow_dump(&db_url, &path, true);
    // SAFETY: sends a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
    assert!(!path.exists() && !pgark_engine::partial_path(&path).exists());

    // A complete dump to the same name then succeeds, and the leftover partial file is gone.
    let path = dir.path().join("killed0.pgark");
    let out = pgark(&["dump", "--db", &db_url, "-o", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(path.exists() && !pgark_engine::partial_path(&path).exists());
}

#[tokio::test]
async fn existing_backups_and_non_empty_targets_are_protected() {
    let db = fresh_db("cli_protect").await;
    exec(
        &db,
        "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, 'v' FROM generate_series(1, 1000) i;",
    )
    .await;
    let dir = tmp();
    let db_url = url(&db);
    // A directory gets <db>_<UTC timestamp to the millisecond>.pgark.
    let out = pgark(&["dump", "--db", &db_url, "-o", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f != ".pgark" && !f.ends_with(".pgark.txt"))
        .collect();
    assert_eq!(files.len(), 1, "one archive (and its info file) beside the history folder: {files:?}");
    let name = &files[0];
    assert!(
        name.starts_with("cli_protect_")
            && name.ends_with("Z.pgark")
            && name.len() == "cli_protect_20261128T093000.123Z.pgark".len(),
        "{name}"
    );
    let archive = dir.path().join(name);
    let before = std::fs::read(&archive).unwrap();
    let out = pgark(&["dump", "--db", &db_url, "-o", archive.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&archive).unwrap(), before, "the existing backup is untouched");

    // Restoring over the source itself is refused; --clean replaces the objects.
    let out = pgark(&["restore", archive.to_str().unwrap(), "--db", &db_url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already has relations") && stderr(&out).contains("public.t"), "{}", stderr(&out));
    exec(&db, "INSERT INTO t VALUES (1001, 'after the dump')").await;
    let out = pgark(&["restore", archive.to_str().unwrap(), "--db", &db_url, "--clean"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let n: i64 = client(&db).await.query_one("SELECT count(*) FROM t", &[]).await.unwrap().get(0);
    assert_eq!(n, 1000);

    // --create makes the database, and refuses one that exists.
    exec("postgres", "DROP DATABASE IF EXISTS cli_protect_new").await;
    let new_url = url("cli_protect_new");
    let out = pgark(&["restore", archive.to_str().unwrap(), "--db", &new_url, "--create", "--jobs", "3"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fingerprints("cli_protect_new").await, fingerprints(&db).await);
    let out = pgark(&["restore", archive.to_str().unwrap(), "--db", &new_url, "--create"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
}

#[tokio::test]
async fn dry_runs_print_plans_and_change_nothing() {
    let db = fresh_db("cli_dry").await;
    exec(&db, &fixture("demo.sql")).await;
    let dir = tmp();
    let out = pgark(&["dump", "--db", &url(&db), "--dry-run", "--chunk-size", "512KiB", "--table", "shop.order*"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("shop.order_items") && text.contains("shop.orders") && !text.contains("shop.customers"),
        "{text}"
    );
    assert!(text.contains("total: 2 tables"), "{text}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    let archive = dir.path().join("d.pgark");
    assert!(pgark(&["dump", "-q", "--db", &url(&db), "-o", archive.to_str().unwrap()]).status.success());
    // A restore plan needs no database.
    let out =
        pgark(&["restore", archive.to_str().unwrap(), "--dry-run", "--db", "postgres://nobody@no-such-host.invalid/x"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("  table shop.orders") && text.contains("  foreign-key shop."), "{text}");
    assert!(text.contains("data: 4 tables"), "{text}");

    // Sections: pre-data only creates empty tables.
    let copy = fresh_db("cli_dry_pre").await;
    let out = pgark(&["restore", archive.to_str().unwrap(), "--db", &url(&copy), "--section", "pre-data"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let fp = fingerprints(&copy).await;
    assert_eq!(fp.len(), 4);
    assert!(fp.values().all(|f| f.rows == 0));
    let out = pgark(&[
        "restore",
        archive.to_str().unwrap(),
        "--db",
        &url(&copy),
        "--section",
        "data",
        "--section",
        "post-data",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_same(&db, &copy).await;
    assert!(Path::new(&archive).exists());
}

#[tokio::test]
async fn environment_variables_and_supabase_refs_resolve() {
    let db = fresh_db("cli_env").await;
    exec(&db, "CREATE TABLE t (id int); INSERT INTO t VALUES (1);").await;
    let bin = env!("CARGO_BIN_EXE_pgark");
    // Only PG* variables.
    let out = std::process::Command::new(bin)
        .args(["dump", "--dry-run"])
        .env_remove("PGARK_DATABASE_URL")
        .envs([
            ("PGHOST", "127.0.0.1"),
            ("PGPORT", &port().to_string()),
            ("PGUSER", "postgres"),
            ("PGDATABASE", &db),
            ("PGSSLMODE", "disable"),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("public.t"));
    // PGARK_DATABASE_URL.
    let out = std::process::Command::new(bin)
        .args(["dump", "--dry-run"])
        .env("PGARK_DATABASE_URL", url(&db))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // A Supabase ref: the direct host, user postgres, password from SUPABASE_DB_PASSWORD, never shown.
    let out = std::process::Command::new(bin)
        .args(["dump", "--dry-run", "--project-ref", "abcdefghijklmnopqrst"])
        .env("SUPABASE_DB_PASSWORD", "sb-secret-pw")
        .env_remove("PGPASSWORD")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("postgres@db.abcdefghijklmnopqrst.supabase.co:5432/postgres"), "{err}");
    assert!(!err.contains("sb-secret-pw"), "{err}");
    let out = std::process::Command::new(bin)
        .args(["dump", "--dry-run", "--project-ref", "abcdefghijklmnopqrst"])
        .env_remove("SUPABASE_DB_PASSWORD")
        .env_remove("PGPASSWORD")
        .output()
        .unwrap();
    assert!(stderr(&out).contains("SUPABASE_DB_PASSWORD"), "{}", stderr(&out));
}

#[tokio::test]
async fn sigterm_stale_partials_names_and_output_folders() {
    let db = fresh_db("cli_term").await;
    exec(
        &db,
        "CREATE TABLE t AS SELECT i, md5(i::text) AS a, md5((i * 2)::text) AS b FROM generate_series(1, 300000) i",
    )
    .await;
    let dir = tmp();
    let db_url = url(&db);
    // SIGTERM (systemd, timeout, containers) stops a dump like Ctrl-C.
    let path = dir.path().join("terminated.pgark");
    let child = start_slow_dump(&db_url, &path, true);
    // SAFETY: sends a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143), "{}", stderr(&out));
    assert!(stderr(&out).contains("terminated"), "{}", stderr(&out));
    assert!(!path.exists() && !pgark_engine::partial_path(&path).exists());

    // A partial file nobody writes (a killed dump's) is removed by the next dump into the folder.
    let stale = dir.path().join("old_20260101T000000.000Z.pgark.partial");
    std::fs::write(&stale, b"PGARK").unwrap();
    let out = pgark(&["dump", "-q", "--db", &db_url, "-o", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("removed") && !stale.exists(), "{}", stderr(&out));

    // Two dumps into one folder at once get two names.
    let folder = dir.path().to_str().unwrap().to_string();
    let (a, b) = std::thread::scope(|s| {
        let one = s.spawn(|| pgark(&["dump", "-q", "--db", &db_url, "-o", &folder]));
        let two = s.spawn(|| pgark(&["dump", "-q", "--db", &db_url, "-o", &folder]));
        (one.join().unwrap(), two.join().unwrap())
    });
    assert!(a.status.success() && b.status.success(), "{} {}", stderr(&a), stderr(&b));
    let archives = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "pgark"));
    assert_eq!(archives.count(), 3, "three dumps into the folder, three archives");

    // A folder that does not exist is named, once, with what pgark was doing.
    let missing = dir.path().join("nosuchdir/sub/x.pgark");
    let out = pgark(&["dump", "-q", "--db", &db_url, "-o", missing.to_str().unwrap()]);
    let text = stderr(&out);
    assert!(!out.status.success());
    assert!(text.contains("cannot create the archive") && text.contains("nosuchdir/sub does not exist"), "{text}");
    assert!(!text.contains("os error"), "{text}");
    // Any other name is a backup directory: created (0700, with its parents) when missing,
    // never written as a file of that name.
    let missing = format!("{}/nosuchdir2/backups", dir.path().display());
    let out = pgark(&["dump", "-q", "--db", &db_url, "-o", &missing]);
    assert!(out.status.success(), "{}", stderr(&out));
    let created = dir.path().join("nosuchdir2/backups");
    assert!(created.is_dir(), "-o backups is a directory");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&created).unwrap().permissions().mode() & 0o777, 0o700);
    let inside: Vec<_> = std::fs::read_dir(&created).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(inside.iter().any(|n| n.to_string_lossy().ends_with(".pgark")), "{inside:?}");
    assert!(created.join(".pgark/history.jsonl").is_file(), "a created directory keeps a history");
    // A file in the way of a directory name is named, not written over.
    let file = dir.path().join("afile");
    std::fs::write(&file, "x").unwrap();
    let out = pgark(&["dump", "-q", "--db", &db_url, "-o", file.to_str().unwrap()]);
    assert!(!out.status.success() && stderr(&out).contains("is a file, not a directory"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
}

#[tokio::test]
async fn the_password_file_is_read_as_libpq_reads_it() {
    password_login_role("pgpass_user", "from-the-file").await;
    use std::os::unix::fs::PermissionsExt;
    let dir = tmp();
    let file = dir.path().join("pgpass");
    let p = port();
    // The first matching line wins; `*` matches anything; `\:` is a colon.
    std::fs::write(
        &file,
        format!("# a comment\nother\\:host:*:*:pgpass_user:nope\n127.0.0.1:{p}:*:pgpass_user:from-the-file\n*:*:*:*:later\n"),
    )
    .unwrap();
    let run = |mode: u32| {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_pgark"))
            .args([
                "dump",
                "--dry-run",
                "-q",
                "--db",
                &format!("postgres://pgpass_user@127.0.0.1:{p}/postgres?sslmode=disable"),
            ])
            .env("PGPASSFILE", &file)
            .env_remove("PGPASSWORD")
            .env_remove("PGARK_DATABASE_URL")
            .output()
            .unwrap()
    };
    let out = run(0o600);
    assert!(out.status.success(), "{}", stderr(&out));
    // A file others can read is ignored, and the error says so.
    let out = run(0o644);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("was ignored: others can read it"), "{}", stderr(&out));
}

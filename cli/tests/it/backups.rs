//! Backup directories: dumps and verifications recorded in the history, `list` telling
//! archives, damaged archives, partial and foreign files apart, `verify --all`.

use serde_json::Value;

use crate::harness::*;

fn history(dir: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(pgark_engine::history_path(dir)).unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[tokio::test]
async fn a_backup_directory_records_lists_and_verifies_its_backups() {
    let db = fresh_db("bk_dir").await;
    exec(
        &db,
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bk_owner') THEN
           CREATE ROLE bk_owner; END IF; END $$;
         CREATE SCHEMA \"Ledger\" AUTHORIZATION bk_owner;
         CREATE TABLE \"Ledger\".\"entry lines\" AS SELECT i, md5(i::text) AS memo FROM generate_series(1, 5000) i;
         ALTER TABLE \"Ledger\".\"entry lines\" OWNER TO bk_owner;
         CREATE TABLE public.small AS SELECT 1 AS x;",
    )
    .await;
    let dir = tmp();
    let folder = dir.path().to_str().unwrap();
    let db_url = url(&db);
    for extra in [&["--info-file"][..], &["--profile", "structure-only"][..]] {
        let out = pgark(&[&["dump", "-q", "--db", &db_url, "-o", folder][..], extra].concat());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    // A failed run is recorded too, with the database it was for and never the password.
    let bad_url = format!("postgres://postgres:s3cret-pw@127.0.0.1:{}/bk_no_such_db?sslmode=disable", port());
    assert!(!pgark(&["dump", "-q", "--db", &bad_url, "-o", folder]).status.success());

    let runs = history(dir.path());
    assert_eq!(runs.len(), 3, "{runs:?}");
    let full = &runs[0];
    assert_eq!((full["kind"].as_str(), full["status"].as_str()), (Some("dump"), Some("ok")));
    assert_eq!(full["database"], db.as_str());
    assert_eq!(full["tables"], 2);
    assert_eq!(full["rows"], 5001);
    assert_eq!(runs[1]["profile"], "structure-only");
    assert_eq!((runs[2]["status"].as_str(), runs[2]["database"].as_str()), (Some("failed"), Some("bk_no_such_db")));
    assert!(runs[2]["error"].as_str().unwrap().contains("does not exist"), "{}", runs[2]);
    let raw = std::fs::read_to_string(pgark_engine::history_path(dir.path())).unwrap();
    assert!(!raw.contains("s3cret-pw"));

    // --info-file wrote <archive>.txt: what it holds, how to restore it, security notes.
    let info_path = dir.path().join(format!("{}.txt", full["archive"].as_str().unwrap()));
    let info = std::fs::read_to_string(&info_path).unwrap();
    assert!(info.starts_with(pgark_engine::INFO_FILE_HEADER), "{info}");
    assert!(info.contains("Ledger.entry lines") && info.contains("pgark restore") && info.contains("not encrypted"));

    // Damage one copy, truncate another, and leave files pgark did not write.
    let good = dir.path().join(full["archive"].as_str().unwrap());
    let bytes = std::fs::read(&good).unwrap();
    let mut flipped = bytes.clone();
    flipped[200] ^= 0xff;
    std::fs::write(dir.path().join("flipped.pgark"), &flipped).unwrap();
    std::fs::write(dir.path().join("truncated.pgark"), &bytes[..bytes.len() / 2]).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "ask Ana before pruning").unwrap();
    std::fs::write(dir.path().join("fake.pgark"), vec![b'x'; 4096]).unwrap();
    std::fs::write(dir.path().join("next.pgark.partial"), b"PGARK").unwrap();
    std::os::unix::fs::symlink(dir.path().join("gone.pgark"), dir.path().join("dangling.pgark")).unwrap();

    // An archive under another name is found by its header.
    std::fs::copy(&good, dir.path().join("renamed.bak")).unwrap();
    let out = pgark(&["verify", "--all", folder, "--jobs", "3"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("6 archive(s) checked: 3 ok, 3 failed"), "{text}");
    assert!(text.contains("renamed.bak") && !text.contains("notes.txt"), "{text}");
    std::fs::remove_file(dir.path().join("renamed.bak")).unwrap();

    let out = pgark(&["list", folder, "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let find = |name: &str| listed.iter().find(|l| l["file"] == name).unwrap_or_else(|| panic!("{name} not listed"));
    let good_name = full["archive"].as_str().unwrap();
    let good = find(good_name);
    assert_eq!((good["state"].as_str(), good["rows"].as_u64()), (Some("archive"), Some(5001)));
    assert_eq!(good["manifest_blake3"], full["manifest_blake3"]);
    assert_eq!(good["last_verify"]["ok"], true);
    let flipped = find("flipped.pgark");
    assert_eq!(flipped["state"], "archive");
    assert_eq!(flipped["last_verify"]["ok"], false);
    assert_eq!(find("truncated.pgark")["state"], "unreadable");
    assert_eq!(find("fake.pgark")["state"], "foreign");
    assert_eq!(find("notes.txt")["state"], "foreign");
    assert_eq!(find("next.pgark.partial")["state"], "partial");
    assert_eq!(find("dangling.pgark")["state"], "foreign");
    assert_eq!(listed.len(), 8, "history folder is not listed: {listed:?}");
    assert_eq!(history(dir.path()).iter().filter(|r| r["kind"] == "verify").count(), 6);

    let out = pgark(&["list", folder]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("3 archive(s), 5 other file(s)"), "{text}");
    assert!(text.contains("structure-only") && text.contains("FAILED"), "{text}");

    // report: counts, success rate from the history, the largest table of the newest data.
    let out = pgark(&["report", folder, "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((report["backups"].as_u64(), report["other_files"].as_u64()), (Some(3), Some(5)), "{report}");
    assert_eq!(report["dumps_ok"], serde_json::json!([2, 3]));
    let largest = &report["largest_tables"][0];
    assert_eq!((largest["table"].as_str(), largest["rows"].as_u64()), (Some("Ledger.entry lines"), Some(5000)));
    assert!(report["volume_total_bytes"].as_u64().unwrap() > 0);
    let out = pgark(&["report", folder]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("2/3 ok (67%)") && text.contains("Ledger.entry lines"), "{text}");

    // prune prints its plan and deletes nothing without --yes; it never counts or touches
    // damaged, foreign or fresh partial files; the newest verified archive survives.
    let newest = runs[1]["archive"].as_str().unwrap();
    let files = || {
        let mut f: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        f.sort();
        f
    };
    // Rules count per series (database and profile): the structure-only dump does not push
    // the full one out; with one series per database, the newest full backup still stays.
    let before = files();
    let out = pgark(&["prune", folder, "--keep-last", "1", "--dry-run"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains(&format!("keep    {newest}")) && text.contains("last 1, newest verified, newest"), "{text}");
    assert!(text.contains(&format!("keep    {good_name}")) && text.contains("[bk_dir (profile full)]"), "{text}");
    assert!(text.contains("[bk_dir (profile structure-only)]"), "{text}");
    assert!(text.contains("would delete 1 archive(s)"), "{text}");
    assert_eq!(files(), before, "a plan deletes nothing");
    let out = pgark(&["prune", folder, "--keep-last", "1", "--group-by", "db"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("newest full backup of bk_dir") && text.contains("would delete 1 archive(s)"), "{text}");
    assert!(!pgark(&["prune", folder, "--keep-last", "1", "--group-by", "host"]).status.success());
    // flipped.pgark (a copy of the full dump that failed verification) goes, with its info file.
    std::fs::copy(&info_path, dir.path().join("flipped.pgark.txt")).unwrap();
    let out = pgark(&["prune", folder, "--keep-last", "1", "--yes", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let done: Value = serde_json::from_slice(&out.stdout).unwrap();
    let deleted: Vec<&str> = done["done"]["deleted"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(deleted, ["flipped.pgark"]);
    let left = files();
    for kept in [".pgark", newest, good_name, "truncated.pgark", "fake.pgark", "notes.txt", "next.pgark.partial"] {
        assert!(left.iter().any(|f| f == kept), "{kept} must survive: {left:?}");
    }
    assert!(!dir.path().join("flipped.pgark.txt").exists(), "an archive's info file goes with it");
    assert!(info_path.exists(), "the kept archive's info file stays");
    let prune = history(dir.path()).into_iter().find(|r| r["kind"] == "prune").expect("the prune is in the history");
    assert_eq!(prune["deleted"], serde_json::json!(["flipped.pgark"]));
    // The original `clean [DAYS] [MAX]` form, and a prune with no rule at all.
    let out = pgark(&["clean", folder, "30", "5"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("deleted 0 archive(s)"), "{out:?}");
    let out = pgark(&["prune", folder]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no retention rule"));

    // --verbose logs each stage with its times (and conflicts with --quiet).
    let newest_path = dir.path().join(newest);
    let out = pgark(&["verify", "-v", newest_path.to_str().unwrap()]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && log.contains("verifying: begins") && log.contains("verifying: done"), "{log}");
    assert!(!pgark(&["verify", "-v", "-q", newest_path.to_str().unwrap()]).status.success());

    let out = pgark(&["list", dir.path().join("nope").to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope does not exist yet"));

    // Precedence: a flag (-o, or its alias --dir) over $PGARK_BACKUP_DIR over backup_dir in the config.
    let (env_dir, conf_dir, flag_dir) = (tmp(), tmp(), tmp());
    let config = conf_dir.path().join("pgark.toml");
    let text = format!("backup_dir = {:?}\n[connection]\nurl = {db_url:?}\n", conf_dir.path().to_str().unwrap());
    std::fs::write(&config, text).unwrap();
    let run = |args: &[&str], env: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pgark"));
        cmd.args(args).env("PGARK_CONFIG", &config).env_remove("PGARK_DATABASE_URL");
        if env {
            cmd.env("PGARK_BACKUP_DIR", env_dir.path());
        } else {
            cmd.env_remove("PGARK_BACKUP_DIR");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    // The database too comes from the config when no --db, $PGARK_DATABASE_URL or --project-ref names one.
    run(&["dump", "-q", "--profile", "structure-only"], false);
    run(&["dump", "-q", "--db", &db_url, "--profile", "structure-only"], true);
    run(
        &["dump", "-q", "--db", &db_url, "--profile", "structure-only", "--dir", flag_dir.path().to_str().unwrap()],
        true,
    );
    for d in [&env_dir, &conf_dir, &flag_dir] {
        let archives = std::fs::read_dir(d.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "pgark"));
        assert_eq!(archives.count(), 1, "one dump went to {}", d.path().display());
    }
}

/// The original system's `backup-config.json`, found in the current directory, drives a dump:
/// its backup directory, profiles (as overrides of `default`) and retention; unknown keys are
/// notes, not errors.
#[tokio::test]
async fn the_original_json_config_drives_dump_and_prune() {
    let db = fresh_db("bk_json").await;
    exec(&db, "CREATE SCHEMA app; CREATE TABLE app.orders AS SELECT i FROM generate_series(1, 300) i;").await;
    let dir = tmp();
    std::fs::create_dir(dir.path().join("backups")).unwrap();
    let config = r#"{
      "default": { "backupDir": "./backups", "compress": true, "verbose": true, "retentionDays": 30,
                   "maxBackups": 1, "mystery": 1 },
      "profiles": { "structure": { "includeData": false }, "full": { "includeData": true } },
      "schedules": { "daily": { "enabled": true, "time": "02:30", "profile": "full" } }
    }"#;
    std::fs::write(dir.path().join("backup-config.json"), config).unwrap();
    let db_url = url(&db);
    for profile in ["structure", "full"] {
        let out = pgark_in(dir.path(), &["dump", "-q", "--db", &db_url, "--profile", profile]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(
            stderr.contains("warning: backup-config.json: ignored: default.mystery: unknown key, ignored"),
            "{stderr}"
        );
    }
    let runs = history(&dir.path().join("backups"));
    assert_eq!(runs.len(), 2, "both dumps went to default.backupDir: {runs:?}");
    assert_eq!((runs[0]["profile"].as_str(), runs[0]["rows"].as_u64()), (Some("structure"), Some(0)));
    assert_eq!((runs[1]["profile"].as_str(), runs[1]["rows"].as_u64()), (Some("full"), Some(300)));

    // prune with no rule on the command line: maxBackups keeps the newest one of each series
    // (profile); counted per database, the older structure dump goes.
    let out = pgark_in(dir.path(), &["prune"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("nothing to delete"), "{text}");
    let out = pgark_in(dir.path(), &["prune", "--group-by", "db"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("would delete 1 archive(s)"), "{text}");
    assert!(text.contains(&format!("delete  {}", runs[0]["archive"].as_str().unwrap())), "{text}");

    let out = pgark_in(dir.path(), &["config", "check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("note: default.mystery")
            && text.contains("schedules.daily")
            && text.contains("daily at 02:30 UTC, profile full, enabled"),
        "{text}"
    );
    // A wrong value is a problem (non-zero), named by its key path.
    std::fs::write(dir.path().join("backup-config.json"), r#"{"default": {"maxBackups": "ten"}}"#).unwrap();
    let out = pgark_in(dir.path(), &["config", "check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("default.maxBackups: must be a whole number"));
    let out = pgark_in(dir.path(), &["list"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("default.maxBackups"));
}

/// A dump into a backup directory that is interrupted (SIGINT), one whose server stops under it,
/// and one whose server is down are each recorded in the history, and none leaves an archive.
#[tokio::test]
async fn interrupted_and_failed_runs_are_recorded() {
    // A cluster of its own: this test stops it.
    let mut cluster = tokio::task::spawn_blocking(|| pgark_engine::LocalCluster::start().unwrap()).await.unwrap();
    let url = cluster.url("postgres");
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    client
        .batch_execute(
            "CREATE TABLE t AS SELECT i, md5(i::text) AS a, md5((i * 2)::text) AS b FROM generate_series(1, 300000) i",
        )
        .await
        .unwrap();
    drop(client);
    let dir = tmp();
    let slow_dump = || {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_pgark"))
            .args(["dump", "-q", "--db", &url, "-o", dir.path().to_str().unwrap()])
            .args(["--jobs", "1", "--chunk-size", "256KiB", "--level", "19"])
            .env_remove("PGARK_CONFIG")
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until it writes its partial file.
        let started = std::time::Instant::now();
        let writing = || {
            std::fs::read_dir(dir.path())
                .unwrap()
                .any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".partial"))
        };
        while !writing() && started.elapsed() < std::time::Duration::from_secs(20) {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        assert!(writing(), "the dump started writing");
        child
    };
    let archives = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains(".pgark"))
            .filter(|e| e.as_ref().unwrap().file_name() != ".pgark")
            .count()
    };

    let child = slow_dump();
    // SAFETY: sends a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    assert_eq!(child.wait_with_output().unwrap().status.code(), Some(130));

    let child = slow_dump();
    tokio::task::spawn_blocking(move || {
        cluster.stop();
        cluster
    })
    .await
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());

    let out = pgark(&["dump", "-q", "--db", &url, "-o", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());

    let runs = history(dir.path());
    let statuses: Vec<&str> = runs.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["interrupted", "failed", "failed"], "{runs:?}");
    assert!(runs.iter().all(|r| r["database"] == "postgres" && r["kind"] == "dump"), "{runs:?}");
    assert_eq!(runs[0]["error"], "stopped: interrupted (SIGINT)");
    // Where the server went away decides the message (a COPY of public.t, a worker's session,
    // a connection refused while it shuts down): any, but one.
    assert!(runs[1]["error"].as_str().is_some_and(|e| e.len() > 10), "{}", runs[1]);
    assert!(runs[2]["error"].as_str().unwrap().contains("127.0.0.1"), "{}", runs[2]);
    assert_eq!(archives(), 0, "no archive and no partial file is left");
}

/// `check`: no backup is critical, a fresh one is healthy, a failed last run and low space are
/// warnings, a late or corrupt newest backup is critical; `report --prometheus` writes the
/// metrics atomically.
#[tokio::test]
async fn check_reports_late_failed_corrupt_and_low_space_with_exit_codes() {
    let db = fresh_db("bk_check").await;
    exec(&db, "CREATE TABLE t AS SELECT i FROM generate_series(1, 1000) i").await;
    let dir = tmp();
    let folder = dir.path().to_str().unwrap();
    let code = |args: &[&str]| {
        let out = pgark(&[&["check", folder][..], args].concat());
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (status, text) = code(&[]);
    assert_eq!(status, Some(2), "{text}");
    assert!(text.contains("CRITICAL: no backup"), "{text}");

    assert!(pgark(&["dump", "-q", "--db", &url(&db), "-o", folder]).status.success());
    let (status, text) = code(&["--verify-newest"]);
    assert_eq!(status, Some(0), "{text}");
    assert!(text.starts_with("OK: "), "{text}");
    let (status, text) = code(&["--min-free", "1000000GiB"]);
    assert_eq!(status, Some(1), "{text}");
    assert!(text.contains("WARNING:") && text.contains("(low-space)"), "{text}");

    // A failed run after it: a warning, the backup itself still fresh.
    let bad = format!("postgres://postgres@127.0.0.1:{}/bk_check_gone?sslmode=disable", port());
    assert!(!pgark(&["dump", "-q", "--db", &bad, "-o", folder]).status.success());
    let (status, text) = code(&[]);
    assert_eq!(status, Some(1), "{text}");
    assert!(text.contains("the last dump") && text.contains("failed") && text.contains("(failed)"), "{text}");

    // A damaged archive beside it: a warning naming it.
    let newest_name =
        history(dir.path()).iter().find(|r| r["status"] == "ok").unwrap()["archive"].as_str().unwrap().to_string();
    let whole = std::fs::read(dir.path().join(&newest_name)).unwrap();
    std::fs::write(dir.path().join("cut.pgark"), &whole[..whole.len() / 2]).unwrap();
    let (status, text) = code(&[]);
    assert_eq!(status, Some(1), "{text}");
    assert!(text.contains("cut.pgark is a damaged archive") && text.contains("(damaged)"), "{text}");
    std::fs::remove_file(dir.path().join("cut.pgark")).unwrap();

    // Late: judged two days on, the newest backup is past the default 26 hours.
    let rules = pgark_engine::HealthRules { max_age: Some(chrono::Duration::hours(26)), ..Default::default() };
    let later =
        pgark_engine::check_backups(dir.path(), &rules, chrono::Utc::now() + chrono::Duration::days(2)).unwrap();
    assert_eq!(later.exit_code(), 2);
    assert!(later.problems.iter().any(|p| p.kind == "late" && p.message.contains("2d")), "{:?}", later.problems);

    // Corrupt: one flipped byte in the newest archive's data.
    let newest =
        history(dir.path()).iter().find(|r| r["status"] == "ok").unwrap()["archive"].as_str().unwrap().to_string();
    let path = dir.path().join(&newest);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    // Never verified: a warning only when asked for.
    let (status, text) = code(&["--require-verified"]);
    assert_eq!(status, Some(1), "{text}");
    assert!(text.contains("has never been verified") && text.contains("(unverified)"), "{text}");
    let (status, text) = code(&["--verify-newest", "--json"]);
    assert_eq!(status, Some(2), "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["status"], "critical");
    assert_eq!(v["health"]["newest_verified"], false);
    assert!(v["health"]["problems"].as_array().unwrap().iter().any(|p| p["kind"] == "corrupt"));
    // A verify that failed, recorded in the history, makes a plain check critical too (it
    // said OK over a failure before).
    assert!(!pgark(&["verify", "-q", path.to_str().unwrap()]).status.success());
    let (status, text) = code(&[]);
    assert_eq!(status, Some(2), "{text}");
    assert!(text.contains("failed verify") && text.contains("(corrupt)"), "{text}");

    // Metrics for node_exporter's textfile collector.
    let prom = tmp();
    let file = prom.path().join("pgark.prom");
    assert!(pgark(&["report", folder, "--prometheus", file.to_str().unwrap()]).status.success());
    let text = std::fs::read_to_string(&file).unwrap();
    for metric in ["pgark_last_success_timestamp_seconds", "pgark_runs_total", "pgark_failures_total", "pgark_backups"]
    {
        assert!(text.contains(&format!("# TYPE {metric} ")), "{metric} in {text}");
    }
    assert!(text.contains(&format!("pgark_failures_total{{dir=\"{folder}\"}} 1\n")), "{text}");
    assert!(!prom.path().join("pgark.prom.partial").exists());
}

/// Everything that holds the database's contents is its owner's only: archives, info files,
/// the history, extracts (files 0600, folders 0700).
#[tokio::test]
async fn backups_history_and_extracts_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let db = fresh_db("bk_private").await;
    exec(&db, "CREATE TABLE secret AS SELECT 'card 4111' AS v").await;
    let dir = tmp();
    let folder = dir.path().to_str().unwrap();
    assert!(pgark(&["dump", "-q", "--db", &url(&db), "-o", folder, "--info-file"]).status.success());
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let archive = history(dir.path())[0]["archive"].as_str().unwrap().to_string();
    let a = dir.path().join(&archive);
    assert_eq!(mode(&a), 0o600, "archive");
    assert_eq!(mode(&dir.path().join(format!("{archive}.txt"))), 0o600, "info file");
    assert_eq!(mode(&dir.path().join(".pgark")), 0o700, "history folder");
    assert_eq!(mode(&pgark_engine::history_path(dir.path())), 0o600, "history");
    let out = tmp();
    let sql = out.path().join("x.sql");
    assert!(pgark(&["extract", a.to_str().unwrap(), "--format", "sql", "-o", sql.to_str().unwrap(), "-q"])
        .status
        .success());
    assert_eq!(mode(&sql), 0o600, "SQL script");
    let tree = out.path().join("x.d");
    assert!(pgark(&["extract", a.to_str().unwrap(), "--format", "dir", "-o", tree.to_str().unwrap(), "-q"])
        .status
        .success());
    assert_eq!(mode(&tree), 0o700, "extract folder");
    assert_eq!(mode(&tree.join("data")), 0o700, "data folder");
    for f in std::fs::read_dir(tree.join("data")).unwrap().chain(std::fs::read_dir(&tree).unwrap()) {
        let p = f.unwrap().path();
        if p.is_file() {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
    let csv = out.path().join("x.csv");
    assert!(pgark(&["extract", a.to_str().unwrap(), "--format", "csv", "-o", csv.to_str().unwrap(), "-q"])
        .status
        .success());
    assert_eq!(mode(&csv.join("public.secret.csv")), 0o600, "CSV file");
}

#[tokio::test]
async fn a_configured_backup_dir_is_created_and_bare_archive_names_are_found_in_it() {
    let db = fresh_db("bk_bare").await;
    exec(&db, "CREATE TABLE t AS SELECT i FROM generate_series(1, 300) i").await;
    let dir = tmp();
    // The team's JSON config, with a backup folder that does not exist yet.
    std::fs::write(dir.path().join("backup-config.json"), r#"{"default": {"backupDir": "./backups"}}"#).unwrap();
    let out = pgark_in(dir.path(), &["dump", "-q", "--db", &url(&db)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let backups = dir.path().join("backups");
    assert!(backups.is_dir(), "backupDir is created as a directory, never written as a file");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&backups).unwrap().permissions().mode() & 0o777, 0o700);
    let name = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with(".pgark") && !n.starts_with('.'))
        .unwrap();
    // A bare name is found in the backup directory by every command that reads an archive.
    let ok = |cwd: &std::path::Path, args: &[&str]| {
        let out = pgark_in(cwd, args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(ok(dir.path(), &["verify", &name]).starts_with("ok: "));
    assert!(ok(dir.path(), &["validate", &name]).starts_with("ok: "));
    assert!(ok(dir.path(), &["info", &name]).contains("public.t"));
    assert!(ok(dir.path(), &["cat", &name, "t", "--limit", "1"]).starts_with('1'));
    ok(dir.path(), &["diff", &name, &name]);
    ok(dir.path(), &["extract", &name, "--format", "sql", "-o", "out.sql", "-q"]);
    assert!(std::fs::read_to_string(dir.path().join("out.sql")).unwrap().contains("COPY \"public\".\"t\""));
    let copy = fresh_db("bk_bare_copy").await;
    ok(dir.path(), &["restore", &name, "--db", &url(&copy), "-q"]);
    assert_eq!(value::<i64>(&copy, "SELECT count(*) FROM t").await, 300);
    // --backup-dir works from anywhere, for every command that reads or writes backups.
    let elsewhere = tmp();
    let folder = backups.to_str().unwrap();
    assert!(ok(elsewhere.path(), &["verify", &name, "--backup-dir", folder]).starts_with("ok: "));
    assert!(ok(elsewhere.path(), &["--backup-dir", folder, "list"]).contains(&name));
    ok(elsewhere.path(), &["check", "--backup-dir", folder]);
    ok(elsewhere.path(), &["report", "--backup-dir", folder]);
    ok(elsewhere.path(), &["prune", "--backup-dir", folder, "--keep-last", "3"]);
    ok(elsewhere.path(), &["dump", "-q", "--db", &url(&db), "--backup-dir", folder]);
    let archives = std::fs::read_dir(&backups).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned());
    assert_eq!(archives.filter(|n| n.ends_with(".pgark") && !n.starts_with('.')).count(), 2);
    // A name found nowhere is named in the error.
    let out = pgark_in(elsewhere.path(), &["verify", "nope.pgark", "--backup-dir", folder]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("nope.pgark"));
}

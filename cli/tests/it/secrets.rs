//! Secrets never leak: every command is run with a known password (in URLs on the command line,
//! in the environment, in the config file, in a user mapping, in a webhook URL's token) and
//! every output and every file pgark wrote is searched for it.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::harness::*;

const PASSWORD: &str = "Pw-7f3a9c1e-secret";
const WRONG: &str = "Pw-wrong-5b2d-secret";
const MAPPING: &str = "Mapping-pw-91c4-secret";
const TOKEN: &str = "hooktoken-4e8f-secret";
const PASSPHRASE: &str = "Passphrase-8d1f-secret";

/// Every file under `dir`, recursively.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Fails when any of the secrets is in `bytes`.
fn assert_clean(what: &str, bytes: &[u8]) {
    for secret in [PASSWORD, WRONG, MAPPING, TOKEN, PASSPHRASE] {
        let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "{secret} leaked into {what}: {}", String::from_utf8_lossy(bytes));
    }
}

#[tokio::test]
async fn no_command_output_or_file_holds_a_password() {
    password_login_role("sec_user", PASSWORD).await;
    let db = fresh_db("sec_src").await;
    exec(
        &db,
        "ALTER DATABASE sec_src OWNER TO sec_user;
             ALTER ROLE sec_user CREATEDB;
             CREATE SCHEMA app AUTHORIZATION sec_user;
             SET ROLE sec_user;
             CREATE TABLE app.accounts (id int PRIMARY KEY, name text);
             INSERT INTO app.accounts SELECT i, 'name ' || i FROM generate_series(1, 5000) i;
             RESET ROLE;",
    )
    .await;
    // A user mapping's password (read by the superuser's dump) stays out of the archive.
    let fdw = fresh_db("sec_fdw").await;
    exec(
        &fdw,
        &format!(
            "CREATE EXTENSION postgres_fdw;
             CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'db.example.com', dbname 'x');
             CREATE USER MAPPING FOR sec_user SERVER remote OPTIONS (user 'remote_user', password '{MAPPING}');"
        ),
    )
    .await;
    let p = port();
    let with_pw = |db: &str, pw: &str| format!("postgres://sec_user:{pw}@127.0.0.1:{p}/{db}?sslmode=disable");
    let src = with_pw(&db, PASSWORD);
    // The config file may not hold passwords (pgark refuses them there): it names the servers,
    // the password comes from the environment.
    let no_pw = |db: &str| format!("postgres://sec_user@127.0.0.1:{p}/{db}?sslmode=disable");
    let work = tmp();
    let backups = work.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let b = backups.to_str().unwrap().to_string();
    let (hook_port, hooks) = crate::schedule::receiver();
    std::fs::write(
        work.path().join("pgark.toml"),
        format!(
            "backup_dir = {b:?}\ndrill_db = \"{}\"\n[connection]\nurl = \"{}\"\n[retention]\nkeep_last = 5\n\
             [schedules.nightly]\nenabled = true\nevery = \"daily\"\ntime = \"02:00\"\ndrill = true\n\
             [notifications.webhook]\nenabled = true\nurl = \"http://127.0.0.1:{hook_port}/hook/{TOKEN}\"\non_success = true\non_error = true\n",
            no_pw("postgres"),
            no_pw(&db)
        ),
    )
    .unwrap();

    let mut outputs: Vec<(String, Output)> = Vec::new();
    let mut run = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = pgark_command(work.path(), args);
        for (k, v) in env {
            command.env(k, v);
        }
        let out = command.output().unwrap();
        outputs.push((args.join(" "), out.clone()));
        out
    };
    let a1 = backups.join("first.pgark");
    let a1s = a1.to_str().unwrap();
    let ok =
        |out: Output, what: &str| assert!(out.status.success(), "{what}: {}", String::from_utf8_lossy(&out.stderr));
    ok(run(&["dump", "-v", "--db", &src, "-o", a1s, "--info-file", "--globals"], &[]), "dump");
    ok(run(&["dump", "--dry-run", "--db", &src], &[]), "dry run");
    // From the environment: the URL, and a password apart.
    ok(run(&["dump", "-q", "-o", &b], &[("PGARK_DATABASE_URL", &src)]), "dump from env");
    ok(run(&["dump", "-q", "--db", &no_pw(&db), "-o", &b], &[("PGPASSWORD", PASSWORD)]), "PGPASSWORD");
    // Wrong passwords, in the URL and the environment: failures, recorded and notified.
    assert!(!run(&["dump", "-q", "--db", &with_pw(&db, WRONG), "-o", &b], &[]).status.success());
    assert!(!run(&["dump", "-q", "--db", &no_pw(&db), "-o", &b], &[("PGPASSWORD", WRONG)]).status.success());
    // Every reader of archives and of the directory.
    for args in [
        vec!["verify", a1s],
        vec!["verify", "--all", &b, "--json"],
        vec!["inspect", a1s],
        vec!["inspect", a1s, "--json"],
        vec!["list", &b, "--json"],
        vec!["report", &b, "--json"],
        vec!["check", &b, "--json"],
        vec!["config", "check"],
        vec!["schedule", "status", "--json"],
        vec!["cat", a1s, "app.accounts", "--limit", "3"],
        vec!["restore", "--list", a1s],
    ] {
        run(&args, &[]);
    }
    let copy = with_pw("sec_copy", PASSWORD);
    exec("postgres", "DROP DATABASE IF EXISTS sec_copy WITH (FORCE)").await;
    exec("postgres", "CREATE DATABASE sec_copy OWNER sec_user").await;
    ok(run(&["restore", "-v", a1s, "--db", &copy], &[]), "restore");
    assert!(!run(&["restore", a1s, "--db", &with_pw("sec_copy", WRONG)], &[]).status.success());
    let fdw_archive = work.path().join("fdw.pgark");
    ok(run(&["dump", "-q", "--db", &url(&fdw), "-o", fdw_archive.to_str().unwrap()], &[]), "dump of the mapping");
    let fdw_sql = work.path().join("fdw.sql");
    ok(
        run(&["extract", fdw_archive.to_str().unwrap(), "--format", "sql", "-o", fdw_sql.to_str().unwrap()], &[]),
        "extract",
    );
    // An archive encrypted with a passphrase, read with it and with a wrong one.
    let enc = backups.join("encrypted.pgark");
    let enc_s = enc.to_str().unwrap();
    ok(
        run(
            &["dump", "-v", "--db", &src, "-o", enc_s, "--passphrase-env", "PGARK_TEST_PASS"],
            &[("PGARK_TEST_PASS", PASSPHRASE)],
        ),
        "encrypted dump",
    );
    ok(
        run(&["verify", "-v", enc_s, "--passphrase-env", "PGARK_TEST_PASS"], &[("PGARK_TEST_PASS", PASSPHRASE)]),
        "verify with the passphrase",
    );
    assert!(!run(
        &["restore", enc_s, "--db", &copy, "--passphrase-env", "PGARK_TEST_PASS"],
        &[("PGARK_TEST_PASS", WRONG)]
    )
    .status
    .success());
    let sql = work.path().join("out.sql");
    ok(run(&["extract", a1s, "--format", "sql", "-o", sql.to_str().unwrap()], &[]), "extract sql");
    ok(
        run(&["extract", a1s, "--format", "dir", "-o", work.path().join("out.d").to_str().unwrap()], &[]),
        "extract dir",
    );
    ok(run(&["drill", a1s, "--db", &with_pw("postgres", PASSWORD), "--json"], &[]), "drill");
    assert!(!run(&["drill", a1s, "--db", &with_pw("postgres", WRONG)], &[]).status.success());
    let log = work.path().join("logs/nightly.log");
    let scheduled = run(&["schedule", "run", "nightly", "--log", log.to_str().unwrap()], &[("PGPASSWORD", PASSWORD)]);
    ok(scheduled, "schedule run");
    let prom = work.path().join("pgark.prom");
    run(&["report", &b, "--prometheus", prom.to_str().unwrap()], &[]);
    // The crontab and systemd units pgark writes, with a crontab program that keeps the table in a file.
    let (fake, _table) = fake_crontab(work.path());
    ok(run(&["schedule", "install"], &[("PGARK_CRONTAB", fake.to_str().unwrap())]), "schedule install");
    let units = work.path().join("units");
    ok(run(&["schedule", "install", "--systemd", "--unit-dir", units.to_str().unwrap()], &[]), "install --systemd");
    ok(run(&["schedule", "enable", "weekly", "03:00", "--day", "sunday"], &[]), "schedule enable");
    ok(run(&["schedule", "disable", "weekly"], &[]), "schedule disable");
    // The daemon: its health and metrics pages and its output.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let daemon = pgark_command(work.path(), &["daemon", "--listen", &format!("127.0.0.1:{port}")])
        .env("PGPASSWORD", PASSWORD)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "the daemon listens");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let pages =
        format!("{}{}", crate::schedule::http_get(port, "/healthz"), crate::schedule::http_get(port, "/metrics"));
    assert!(pages.contains("pgark_backups{"), "{pages}");
    assert_clean("the daemon's pages", pages.as_bytes());
    // SAFETY: sends a signal to our own child process.
    unsafe { libc::kill(daemon.id() as i32, libc::SIGTERM) };
    let daemon_out = daemon.wait_with_output().unwrap();
    // A password in the config is refused, without being echoed.
    let with_password = std::fs::read_to_string(work.path().join("pgark.toml"))
        .unwrap()
        .replace(&no_pw("postgres"), &with_pw("postgres", PASSWORD));
    std::fs::write(work.path().join("pgark.toml"), with_password).unwrap();
    let refused = run(&["config", "check"], &[]);
    assert!(String::from_utf8_lossy(&refused.stdout).contains("drill_db in the config holds a password"));
    run(&["notify", "test"], &[]);
    let second = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pgark") && p != &a1)
        .max()
        .unwrap();
    run(&["diff", a1s, second.to_str().unwrap(), "--json"], &[]);
    run(&["prune", &b, "--keep-last", "1", "--yes"], &[]);

    outputs.push(("daemon".into(), daemon_out));
    for (what, out) in &outputs {
        assert_clean(&format!("the stdout of pgark {what}"), &out.stdout);
        assert_clean(&format!("the stderr of pgark {what}"), &out.stderr);
    }
    let mut written = Vec::new();
    files(work.path(), &mut written);
    assert!(written.len() > 10, "{written:?}");
    for f in written.iter().filter(|f| f.file_name().is_some_and(|n| n != "pgark.toml")) {
        assert_clean(&f.display().to_string(), &std::fs::read(f).unwrap());
    }
    let notes: Vec<serde_json::Value> = hooks.try_iter().collect();
    assert!(notes.len() >= 3, "the webhook heard the runs: {notes:?}");
    assert_clean("the webhook messages", serde_json::to_string(&notes).unwrap().as_bytes());
    // The archive's user mapping is there, without its password.
    let script = std::fs::read_to_string(&fdw_sql).unwrap();
    assert!(
        script.contains("CREATE USER MAPPING FOR sec_user SERVER \"remote\" OPTIONS (\"user\" 'remote_user')"),
        "{script}"
    );
}

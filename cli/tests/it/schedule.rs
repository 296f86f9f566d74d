//! `schedule enable|disable|status`: rules written into pgark.toml in place (comments kept) or
//! into the original JSON config, next runs, refusals that leave the file as it was.

use crate::harness::*;

#[test]
fn schedules_are_edited_in_place_and_shown_with_their_next_runs() {
    let dir = tmp();
    let toml = dir.path().join("pgark.toml");
    std::fs::write(&toml, "# nightly backups of the app\nbackup_dir = \"/nonexistent\"  # mounted later\n").unwrap();
    let ok = |args: &[&str]| {
        let out = pgark_in(dir.path(), args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(ok(&["schedule", "enable", "daily", "02:30", "--profile", "structure-only"]).contains("next run"));
    ok(&["schedule", "enable", "weekly", "03:00", "--day", "sunday"]);
    ok(&["schedule", "enable", "half-hourly", "--cron", "*/30 * * * *"]);
    ok(&["schedule", "disable", "weekly"]);
    let text = std::fs::read_to_string(&toml).unwrap();
    assert!(
        text.starts_with("# nightly backups of the app\nbackup_dir = \"/nonexistent\"  # mounted later\n"),
        "{text}"
    );
    assert!(text.contains("[schedules.weekly]\nenabled = false"), "{text}");
    let status: serde_json::Value = serde_json::from_str(&ok(&["schedule", "status", "--json"])).unwrap();
    let find = |n: &str| status.as_array().unwrap().iter().find(|s| s["name"] == n).unwrap().clone();
    assert_eq!(find("daily")["rule"], "30 2 * * *");
    assert_eq!(find("daily")["profile"], "structure-only");
    assert!(find("daily")["next_run"].as_str().unwrap().ends_with("02:30:00Z"));
    assert!(find("weekly")["next_run"].is_null());
    assert_eq!(find("half-hourly")["rule"], "*/30 * * * *");

    // A rule that cannot run is refused and the file stays as it was.
    let before = std::fs::read(&toml).unwrap();
    let out = pgark_in(dir.path(), &["schedule", "enable", "monthly", "04:00", "--day", "40"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("not a day of the month"));
    assert_eq!(std::fs::read(&toml).unwrap(), before);
    assert!(!pgark_in(dir.path(), &["schedule", "disable", "nope"]).status.success());

    // The original JSON config is edited as it is, keys in their order.
    std::fs::remove_file(&toml).unwrap();
    let json = dir.path().join("backup-config.json");
    std::fs::write(&json, r#"{"default": {"projectRef": "abc"}, "schedules": {"daily": {"enabled": false, "time": "02:00", "profile": "full"}}}"#).unwrap();
    ok(&["schedule", "enable", "daily", "05:15"]);
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["schedules"]["daily"], serde_json::json!({"enabled": true, "time": "05:15", "profile": "full"}));
    assert_eq!(v["default"]["projectRef"], "abc");
}

/// A webhook receiver on a local port: each POST's body, answered 200.
pub fn receiver() -> (u16, std::sync::mpsc::Receiver<serde_json::Value>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
            let _ = tx.send(serde_json::from_slice(&body).unwrap());
        }
    });
    (port, rx)
}

#[tokio::test]
async fn dumps_into_a_backup_directory_notify_the_webhook() {
    let db = fresh_db("nt_src").await;
    exec(&db, "CREATE TABLE t AS SELECT 1 AS x").await;
    let dir = tmp();
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let (hook_port, received) = receiver();
    let config = |url: &str| {
        format!(
            "backup_dir = {:?}\n[notifications.webhook]\nenabled = true\nurl = \"{url}\"\non_success = true\non_error = true\n",
            backups.to_str().unwrap()
        )
    };
    std::fs::write(dir.path().join("pgark.toml"), config(&format!("http://127.0.0.1:{hook_port}/hook"))).unwrap();
    let out = pgark_in(dir.path(), &["dump", "-q", "--db", &url(&db)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let msg = received.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    assert_eq!((msg["status"].as_str(), msg["database"].as_str()), (Some("ok"), Some(db.as_str())));
    assert!(msg["text"].as_str().unwrap().starts_with(&format!("pgark: backup of {db} OK on ")), "{msg}");
    assert!(msg["archive"].as_str().unwrap().ends_with(".pgark") && msg["size_bytes"].as_u64().unwrap() > 0);
    // A failed dump is sent too.
    let gone = format!("postgres://postgres@127.0.0.1:{}/nt_gone?sslmode=disable", port());
    assert!(!pgark_in(dir.path(), &["dump", "-q", "--db", &gone]).status.success());
    let msg = received.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    assert_eq!(msg["status"], "failed");
    assert!(msg["error"].as_str().unwrap().contains("does not exist"), "{msg}");
    // notify test reaches it; a webhook that cannot be reached is a failure of notify test, but
    // never of a dump.
    assert!(pgark_in(dir.path(), &["notify", "test"]).status.success());
    assert_eq!(received.recv_timeout(std::time::Duration::from_secs(10)).unwrap()["database"], "(test message)");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    std::fs::write(dir.path().join("pgark.toml"), config(&format!("http://127.0.0.1:{closed}/hook?token=s3cret")))
        .unwrap();
    let out = pgark_in(dir.path(), &["notify", "test"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success() && text.contains("webhook: FAILED") && text.contains("attempt 3 of 3"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
    let out = pgark_in(dir.path(), &["dump", "-q", "--db", &url(&db)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.contains("webhook notification was not sent"), "{stderr}");
    let history = std::fs::read_to_string(pgark_engine::history_path(&backups)).unwrap();
    let last: serde_json::Value = serde_json::from_str(history.lines().last().unwrap()).unwrap();
    assert_eq!((last["kind"].as_str(), last["status"].as_str()), (Some("notify"), Some("failed")), "{last}");
    assert!(last["error"].as_str().unwrap().starts_with("webhook: ") && !history.contains("s3cret"), "{last}");
}

#[tokio::test]
async fn schedule_run_dumps_verifies_and_prunes_one_run_at_a_time() {
    let db = fresh_db("sr_src").await;
    exec(&db, "CREATE TABLE t AS SELECT i FROM generate_series(1, 100) i").await;
    let dir = tmp();
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    std::fs::write(
        dir.path().join("pgark.toml"),
        format!(
            "backup_dir = {:?}\nmetrics_file = {:?}\n[connection]\nurl = \"{}\"\n[retention]\nkeep_last = 2\n[schedules.nightly]\nenabled = true\nevery = \"daily\"\ntime = \"02:00\"\nprofile = \"structure-only\"\n\
             [schedules.monthly-check]\nenabled = true\nevery = \"monthly\"\nday = \"1\"\ntime = \"05:00\"\ntask = \"verify\"\n",
            backups.to_str().unwrap(),
            dir.path().join("pgark.prom").to_str().unwrap(),
            url(&db)
        ),
    )
    .unwrap();
    for _ in 0..3 {
        let out = pgark_in(dir.path(), &["schedule", "run", "nightly", "--log", "logs/nightly.log"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let log = std::fs::read_to_string(dir.path().join("logs/nightly.log")).unwrap();
    assert_eq!(log.matches("== pgark schedule run nightly at ").count(), 3, "{log}");
    assert!(log.contains("deleted 1 archive"), "the steps' output: {log}");
    let history: Vec<serde_json::Value> = std::fs::read_to_string(pgark_engine::history_path(&backups))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = history.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "dump").count(), 3, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "verify").count(), 3, "{kinds:?}");
    assert!(kinds.contains(&"prune"), "the third run pruned the first archive: {kinds:?}");
    assert!(history.iter().filter(|r| r["kind"] == "dump").all(|r| r["profile"] == "structure-only"));
    let names = || std::fs::read_dir(&backups).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned());
    assert_eq!(names().filter(|n| n.ends_with(".pgark") && !n.starts_with('.')).count(), 2, "keep_last = 2");
    assert_eq!(names().filter(|n| n.ends_with(".pgark.txt")).count(), 2, "info files go with their archives");
    // A schedule with another task: the monthly verify of every archive.
    let out = pgark_in(dir.path(), &["schedule", "run", "monthly-check"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(pgark_engine::history_path(&backups)).unwrap();
    assert_eq!(text.matches("\"kind\":\"verify\"").count(), 5, "two more verifications: {text}");
    let out = pgark_in(dir.path(), &["schedule", "status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let check = status.as_array().unwrap().iter().find(|s| s["name"] == "monthly-check").unwrap();
    assert_eq!(check["last_status"], "ok", "{status}");
    let metrics = std::fs::read_to_string(dir.path().join("pgark.prom")).unwrap();
    assert!(metrics.contains("pgark_runs_total{") && metrics.contains("} 3\n"), "metrics after the run: {metrics}");
    // While a run holds the directory's lock, another is skipped (exit 75).
    let lock = std::fs::OpenOptions::new().write(true).open(backups.join(".pgark/schedule.lock")).unwrap();
    // SAFETY: flock on a descriptor this test owns.
    assert_eq!(unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX) }, 0);
    let out = pgark_in(dir.path(), &["schedule", "run", "nightly"]);
    assert_eq!(out.status.code(), Some(75), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!pgark_in(dir.path(), &["schedule", "run", "nope"]).status.success());
}

/// A minimal SMTP server on a local port: each message's DATA.
fn smtp_receiver() -> (u16, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let _ = stream.write_all(b"220 localhost ESMTP test\r\n");
            let mut data: Option<String> = None;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if let Some(d) = &mut data {
                    if line == ".\r\n" {
                        let _ = tx.send(data.take().unwrap());
                        let _ = stream.write_all(b"250 queued\r\n");
                    } else {
                        d.push_str(&line);
                    }
                    continue;
                }
                let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                let reply: &[u8] = match verb.as_str() {
                    "EHLO" | "HELO" => b"250 localhost\r\n",
                    "DATA" => {
                        data = Some(String::new());
                        b"354 go ahead\r\n"
                    }
                    "QUIT" => b"221 bye\r\n",
                    _ => b"250 ok\r\n",
                };
                let _ = stream.write_all(reply);
                if verb == "QUIT" {
                    break;
                }
            }
        }
    });
    (port, rx)
}

#[tokio::test]
async fn failed_dumps_are_mailed() {
    let dir = tmp();
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let (smtp_port, mails) = smtp_receiver();
    std::fs::write(
        dir.path().join("pgark.toml"),
        format!(
            "backup_dir = {:?}\n[notifications.email]\nenabled = true\non_error = true\nto = [\"ops@example.com\"]\n\
             from = \"pgark@example.com\"\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {smtp_port}\nsecurity = \"none\"\n",
            backups.to_str().unwrap()
        ),
    )
    .unwrap();
    let config_check = pgark_in(dir.path(), &["config", "check"]);
    assert!(config_check.status.success(), "{}", String::from_utf8_lossy(&config_check.stdout));
    let gone = format!("postgres://postgres@127.0.0.1:{}/ml_gone?sslmode=disable", port());
    assert!(!pgark_in(dir.path(), &["dump", "-q", "--db", &gone]).status.success());
    let mail = mails.recv_timeout(std::time::Duration::from_secs(20)).unwrap();
    assert!(mail.contains("Subject: pgark: backup of ml_gone FAILED on "), "{mail}");
    assert!(mail.contains("To: ops@example.com") && mail.contains("does not exist"), "{mail}");
    assert!(pgark_in(dir.path(), &["notify", "test"]).status.success());
    assert!(mails
        .recv_timeout(std::time::Duration::from_secs(20))
        .unwrap()
        .contains("Subject: pgark: test message from "));
}

#[test]
fn install_writes_a_marked_crontab_block_and_systemd_timers() {
    let dir = tmp();
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    std::fs::write(
        dir.path().join("pgark.toml"),
        format!(
            "backup_dir = {:?}\n[schedules.daily]\nenabled = true\nevery = \"daily\"\ntime = \"02:30\"\n\
             [schedules.weekly]\nenabled = true\nevery = \"weekly\"\ntime = \"03:00\"\nday = \"sunday\"\n\
             [schedules.off]\nenabled = false\ncron = \"* * * * *\"\n\
             [schedules.berlin]\nenabled = true\nevery = \"daily\"\ntime = \"01:15\"\ntimezone = \"Europe/Berlin\"\n",
            backups.to_str().unwrap()
        ),
    )
    .unwrap();
    let (fake, table) = fake_crontab(dir.path());
    let run = |args: &[&str]| {
        let out = pgark_command(dir.path(), args).env("PGARK_CRONTAB", &fake).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    std::fs::write(&table, "MAILTO=ops\n15 4 * * * /usr/local/bin/rotate-logs\n").unwrap();
    // The config names no database: a dump as cron runs it would fail, and install says so.
    let out = pgark_command(dir.path(), &["schedule", "install"]).env("PGARK_CRONTAB", &fake).output().unwrap();
    let warning = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && warning.contains("would fail as cron runs it"), "{warning}");
    assert!(warning.contains("set [connection] url"), "{warning}");
    run(&["schedule", "install"]);
    let text = std::fs::read_to_string(&table).unwrap();
    assert!(text.starts_with("MAILTO=ops\n15 4 * * * /usr/local/bin/rotate-logs\n# BEGIN pgark schedules"), "{text}");
    assert_eq!(text.matches("# BEGIN pgark schedules").count(), 1, "installing twice writes one block: {text}");
    assert!(text.contains("CRON_TZ=UTC\n30 2 * * * '") && text.contains("0 3 * * sun '"), "{text}");
    assert!(text.contains("CRON_TZ=Europe/Berlin\n15 1 * * * '"), "each entry in its zone: {text}");
    assert!(text.contains("schedule run daily --config '") && text.contains(".pgark/logs/daily.log'"), "{text}");
    assert!(!text.contains("schedule run off"), "disabled schedules are not installed: {text}");
    run(&["schedule", "remove"]);
    assert_eq!(std::fs::read_to_string(&table).unwrap(), "MAILTO=ops\n15 4 * * * /usr/local/bin/rotate-logs\n");

    let units = dir.path().join("units");
    run(&["schedule", "install", "--systemd", "--unit-dir", units.to_str().unwrap()]);
    let timer = std::fs::read_to_string(units.join("pgark-weekly.timer")).unwrap();
    assert!(timer.contains("OnCalendar=Sun *-*-* 03:00:00 UTC") && timer.contains("Persistent=true"), "{timer}");
    let service = std::fs::read_to_string(units.join("pgark-daily.service")).unwrap();
    assert!(service.contains("ExecStart=") && service.contains("schedule run daily"), "{service}");
    run(&["schedule", "remove", "--systemd", "--unit-dir", units.to_str().unwrap()]);
    assert_eq!(std::fs::read_dir(&units).unwrap().count(), 0);
}

/// A folder with `backups/` and a pgark.toml dumping `db` into it on `schedule` (TOML tables).
fn with_schedule(db: &str, schedule: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tmp();
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let config =
        format!("backup_dir = {:?}\n[connection]\nurl = \"{}\"\n{schedule}", backups.to_str().unwrap(), url(db));
    std::fs::write(dir.path().join("pgark.toml"), config).unwrap();
    (dir, backups)
}

/// Sends SIGTERM to a daemon started with its stderr piped; its exit status and stderr.
fn terminate(mut daemon: std::process::Child) -> (std::process::ExitStatus, String) {
    // SAFETY: sends a signal to our own child process.
    unsafe { libc::kill(daemon.id() as i32, libc::SIGTERM) };
    let status = daemon.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(daemon.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    (status, stderr)
}

pub fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[tokio::test]
async fn the_daemon_runs_a_missed_schedule_serves_health_and_metrics_and_stops_on_sigterm() {
    let db = fresh_db("dm_src").await;
    exec(&db, "CREATE TABLE t AS SELECT i FROM generate_series(1, 100) i").await;
    // Due five minutes ago and never run: the daemon runs it at start.
    let due = (chrono::Utc::now() - chrono::Duration::minutes(5)).format("%H:%M");
    let (dir, backups) =
        with_schedule(&db, &format!("[schedules.daily]\nenabled = true\nevery = \"daily\"\ntime = \"{due}\"\n"));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let daemon = pgark_command(dir.path(), &["daemon", "--listen", &format!("127.0.0.1:{port}")])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let history = pgark_engine::history_path(&backups);
    let started = std::time::Instant::now();
    while !std::fs::read_to_string(&history).is_ok_and(|h| h.contains("\"verify\"")) {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "the missed run did not happen");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let health = http_get(port, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200 OK") && health.ends_with("ok\n"), "{health}");
    let metrics = http_get(port, "/metrics");
    assert!(metrics.contains("pgark_runs_total{dir=") && metrics.contains("pgark_backups{"), "{metrics}");
    assert!(http_get(port, "/nope").starts_with("HTTP/1.1 404"));
    let log = std::fs::read_to_string(backups.join(".pgark/logs/daily.log")).unwrap();
    assert!(log.contains("== pgark schedule run daily"), "{log}");
    let (status, stderr) = terminate(daemon);
    assert!(status.success() && stderr.contains("missed its run") && stderr.contains("stopping"), "{stderr}");
}

#[test]
fn the_container_example_config_is_valid() {
    let example = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docker/pgark.toml")).unwrap();
    let dir = tmp();
    let config = dir.path().join("pgark.toml");
    std::fs::write(&config, example.replace("\"/backups\"", &format!("{:?}", dir.path().to_str().unwrap()))).unwrap();
    let out = pgark(&["config", "check", "--config", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let dockerfile = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docker/Dockerfile")).unwrap();
    assert!(
        dockerfile.contains("USER 10001") && dockerfile.contains("HEALTHCHECK") && dockerfile.contains("\"daemon\"")
    );
}

#[tokio::test]
async fn the_daemon_fires_a_schedule_seconds_ahead_and_sigterm_mid_dump_leaves_no_archive() {
    let db = fresh_db("dm_slow").await;
    exec(
        &db,
        "CREATE TABLE t AS SELECT i, md5(i::text) AS a, md5((i * 7)::text) AS b FROM generate_series(1, 600000) i",
    )
    .await;
    // Every 4 seconds; the history already has a dump of this profile after the last due time
    // only once the first run is done, so the daemon runs at start, then again seconds later.
    let (dir, backups) = with_schedule(&db, "[schedules.often]\nenabled = true\ncron = \"*/4 * * * * *\"\n");
    let daemon = pgark_command(dir.path(), &["daemon"]).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let archives = || {
        std::fs::read_dir(&backups)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".pgark"))
            .count()
    };
    let partial =
        || std::fs::read_dir(&backups).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".partial"));
    // Wait for the second run's dump to be writing (the first has left an archive).
    let started = std::time::Instant::now();
    while !(archives() >= 1 && partial()) {
        assert!(started.elapsed() < std::time::Duration::from_secs(90), "no second run started");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let before = archives();
    let (status, stderr) = terminate(daemon);
    assert!(status.success(), "{stderr}");
    // Give an orphaned dump, if any, the time to finish: none may appear.
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(archives(), before, "the interrupted run wrote no archive: {stderr}");
    assert!(!partial(), "and left no partial file");
    let history = std::fs::read_to_string(pgark_engine::history_path(&backups)).unwrap();
    assert!(history.contains("\"interrupted\""), "the interrupted dump is recorded: {history}");
}

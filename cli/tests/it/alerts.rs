//! Alerts pushed once per incident and resolved (`check --notify`, `verify`, scheduled runs), and
//! `check` holding a backup directory to `[alerts]` in the config.

use std::path::Path;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use crate::harness::*;
use crate::schedule::receiver;

/// Every message the webhook got within a short while, as `status kind` (`alert late`, …).
fn drain(received: &Receiver<serde_json::Value>) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(m) = received.recv_timeout(Duration::from_millis(1500)) {
        let kind = m["kind"].as_str().or(m["event"].as_str()).unwrap_or("?");
        out.push(format!("{} {kind}", m["status"].as_str().unwrap_or("?")));
    }
    out.sort();
    out
}

fn run(dir: &Path, args: &[&str], now: Option<&str>) -> (Option<i32>, String) {
    let mut command = pgark_command(dir, args);
    if let Some(now) = now {
        command.env("PGARK_NOW", now);
    }
    let out = command.output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

fn config(backups: &Path, db: &str, hook: u16, min_free: &str) -> String {
    format!(
        "backup_dir = {:?}\n[connection]\nurl = \"{}\"\n\
         [notifications.webhook]\nenabled = true\nurl = \"http://127.0.0.1:{hook}/hook\"\non_error = true\n\
         [alerts]\nrequire_verified = true\nmin_free = \"{min_free}\"\nlate_after = \"1h\"\n\
         [schedules.nightly]\nenabled = true\nevery = \"daily\"\ntime = \"02:00\"\n",
        backups.to_str().unwrap(),
        url(db)
    )
}

#[tokio::test]
async fn problems_are_alerted_once_per_incident_and_resolved() {
    let db = fresh_db("al_src").await;
    exec(&db, "CREATE TABLE t AS SELECT i, md5(i::text) AS m FROM generate_series(1, 20000) i").await;
    let dir = tmp();
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let (hook, received) = receiver();
    std::fs::write(dir.path().join("pgark.toml"), config(&backups, &db, hook, "100000GiB")).unwrap();
    let (code, text) = run(dir.path(), &["dump", "-q"], None);
    assert_eq!(code, Some(0), "{text}");
    assert!(drain(&received).is_empty(), "a good dump goes only to on_success channels");

    // The config asks for verification and more free space than there is: two warnings, two
    // alerts — once, however often the check runs.
    let (code, text) = run(dir.path(), &["check", "--notify"], None);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("never been verified") && text.contains("low-space"), "{text}");
    assert_eq!(drain(&received), ["alert low-space", "alert unverified"]);
    let (code, _) = run(dir.path(), &["check", "--notify"], None);
    assert_eq!(code, Some(1));
    assert!(drain(&received).is_empty(), "an open incident is not alerted again");

    // A verify that finds the archive corrupt alerts at once; the check after it does not repeat
    // it, and the 'never verified' incident is resolved.
    let archive = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "pgark"))
        .unwrap();
    let mut bytes = std::fs::read(&archive).unwrap();
    let middle = bytes.len() / 3;
    bytes[middle] ^= 0xff;
    std::fs::write(&archive, bytes).unwrap();
    let (code, text) = run(dir.path(), &["verify", archive.to_str().unwrap()], None);
    assert_eq!(code, Some(1), "{text}");
    assert_eq!(drain(&received), ["alert corrupt"]);
    let (code, text) = run(dir.path(), &["check", "--notify"], None);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("failed verify"), "{text}");
    assert_eq!(drain(&received), ["resolved unverified"]);
    // monthly `verify --all` finds it again: still one incident.
    let (code, _) = run(dir.path(), &["verify", "--all"], None);
    assert_eq!(code, Some(1));
    assert!(drain(&received).is_empty());

    // Enough space again (the threshold lowered), a good new backup verified, the corrupt one
    // removed: everything resolves, once.
    std::fs::write(dir.path().join("pgark.toml"), config(&backups, &db, hook, "1KiB")).unwrap();
    std::fs::remove_file(&archive).unwrap();
    let (code, text) = run(dir.path(), &["dump", "-q"], None);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = run(dir.path(), &["verify", "--all"], None);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = run(dir.path(), &["check", "--notify"], None);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(drain(&received), ["resolved corrupt", "resolved low-space"]);

    // The nightly schedule was installed; two days on at 03:30 its run is late (an hour's grace
    // passed since 02:00 with no dump): critical, alerted once; a dump then resolves it.
    let (fake, table) = fake_crontab(dir.path());
    let out = pgark_command(dir.path(), &["schedule", "install"]).env("PGARK_CRONTAB", &fake).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // With a channel enabled, cron also runs the check that pushes alerts (a run that never
    // started is late too).
    let crontab = std::fs::read_to_string(table).unwrap();
    assert!(crontab.contains("*/15 * * * * '") && crontab.contains(" check --notify --config '"), "{crontab}");
    let later = (chrono::Utc::now() + chrono::Duration::days(2)).format("%Y-%m-%dT03:30:00Z").to_string();
    let (code, text) = run(dir.path(), &["check", "--notify", "--max-age", "30d"], Some(&later));
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("schedule nightly (profile full) was due at"), "{text}");
    assert_eq!(drain(&received), ["alert late"]);
    let (_, text) = run(dir.path(), &["check", "--notify", "--max-age", "30d"], Some(&later));
    assert!(drain(&received).is_empty(), "{text}");
    let (code, text) = run(dir.path(), &["dump", "-q"], Some(&later));
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = run(dir.path(), &["verify", "--all"], Some(&later));
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = run(dir.path(), &["check", "--notify", "--max-age", "30d"], Some(&later));
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(drain(&received), ["resolved late"]);
    assert!(run(dir.path(), &["check"], Some("tomorrow")).1.contains("PGARK_NOW='tomorrow' is not an RFC 3339 time"));
}

#[tokio::test]
async fn failed_drills_and_prunes_are_notified() {
    let db = fresh_db("al_drill").await;
    exec(&db, "CREATE TABLE t AS SELECT 1 AS x").await;
    let dir = tmp();
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let (hook, received) = receiver();
    std::fs::write(dir.path().join("pgark.toml"), config(&backups, &db, hook, "1KiB")).unwrap();
    let (code, text) = run(dir.path(), &["dump", "-q"], None);
    assert_eq!(code, Some(0), "{text}");
    // A drill onto a server that cannot be reached fails: notified as the run it is.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let nowhere = format!("postgres://postgres@127.0.0.1:{closed}/postgres?sslmode=disable");
    let (code, text) = run(dir.path(), &["drill", backups.to_str().unwrap(), "--db", &nowhere], None);
    assert_eq!(code, Some(1), "{text}");
    let got: Vec<serde_json::Value> =
        std::iter::from_fn(|| received.recv_timeout(Duration::from_secs(5)).ok()).collect();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!((got[0]["event"].as_str(), got[0]["status"].as_str()), (Some("drill"), Some("failed")));
    assert!(got[0]["text"].as_str().unwrap().starts_with("pgark: restore drill of "), "{}", got[0]);

    // A prune that failed (as one does on a read-only volume; recorded by prune itself) is
    // alerted by the next check; a prune that works clears it.
    let now = chrono::Utc::now();
    let mut failed = pgark_engine::Record::new(pgark_engine::RunKind::Prune, pgark_engine::RunStatus::Failed, now, now);
    failed.error = Some("Permission denied".into());
    pgark_engine::append_history(&backups, &failed).unwrap();
    let (code, text) = run(dir.path(), &["check", "--notify", "--require-verified"], None);
    assert!(code == Some(1) && text.contains("the last prune") && text.contains("Permission denied"), "{text}");
    assert_eq!(drain(&received), ["alert prune-failed", "alert unverified"]);
    let (code, text) = run(dir.path(), &["prune", "--keep-last", "5", "--yes"], None);
    assert_eq!(code, Some(0), "{text}");
    let (_, text) = run(dir.path(), &["check", "--notify"], None);
    assert!(!text.contains("the last prune"), "{text}");
    assert_eq!(drain(&received), ["resolved prune-failed"]);
}

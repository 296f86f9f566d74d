//! The setup teams come from (`shared/LEGACY.md`): their `backup-config.json` where their
//! install script put it, their command forms and cron lines — accepted unchanged.

use std::path::Path;

use crate::harness::*;

/// The team's config as they have it (LEGACY.md), with a minimal profile, a webhook and a key
/// pgark does not know.
fn team_config(hook: u16) -> String {
    format!(
        r#"{{
    "default": {{
        "projectRef": "abcdefghijklmnop",
        "backupDir": "./backups",
        "retentionDays": 30,
        "maxBackups": 10
    }},
    "profiles": {{
        "minimal": {{ "tables": ["public.orders"] }}
    }},
    "schedules": {{
        "daily":   {{ "enabled": true, "time": "02:00", "profile": "full" }},
        "weekly":  {{ "enabled": true, "time": "03:00", "day": "sunday", "profile": "full" }},
        "monthly": {{ "enabled": true, "time": "04:00", "day": 1, "profile": "full" }}
    }},
    "notifications": {{
        "email":   {{ "enabled": false, "recipients": ["admin@example.com"], "onSuccess": true, "onError": true }},
        "webhook": {{ "enabled": true, "url": "http://127.0.0.1:{hook}/hook", "onSuccess": false, "onError": true }}
    }},
    "lastRun": "2024-01-01"
}}
"#
    )
}

fn archives(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pgark") && !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn the_teams_config_commands_and_cron_lines_work_unchanged() {
    let db = fresh_db("lg_app").await;
    exec(
        &db,
        "CREATE TABLE orders AS SELECT i AS id, i * 2 AS total FROM generate_series(1, 500) i;
         CREATE TABLE audit AS SELECT i FROM generate_series(1, 50) i;",
    )
    .await;
    let project = tmp();
    let root = project.path();
    let config_dir = root.join("backups/mcp/config");
    std::fs::create_dir_all(&config_dir).unwrap();
    let (hook, _received) = crate::schedule::receiver();
    let config_file = config_dir.join("backup-config.json");
    std::fs::write(&config_file, team_config(hook)).unwrap();
    let (fake, table) = fake_crontab(root);
    let run = |args: &[&str]| {
        let out =
            pgark_command(root, args).env("PGARK_DATABASE_URL", url(&db)).env("PGARK_CRONTAB", &fake).output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.code(), text)
    };
    let ok = |args: &[&str]| {
        let (code, text) = run(args);
        assert_eq!(code, Some(0), "{args:?}: {text}");
        text
    };

    // Found where the install script put it; config check says so and shows what it read.
    let text = ok(&["config", "check"]);
    assert!(text.contains("read backups/mcp/config/backup-config.json (found in the current folder)"), "{text}");
    assert!(text.contains("profiles.minimal") && text.contains("tables public.orders"), "{text}");
    assert!(text.contains("keep last 10, max age 30d per db,profile"), "{text}");
    // Unknown keys: one warning, never fatal.
    let text = ok(&["backup", "-q"]);
    assert_eq!(text.matches("warning:").count(), 1, "{text}");
    assert!(text.contains("ignored: lastRun: unknown key"), "{text}");
    let backups = root.join("backups");
    assert_eq!(archives(&backups).len(), 1, "backupDir holds the archive");

    // The scheduler's forms.
    ok(&["schedule", "enable", "daily", "02:30", "full"]);
    ok(&["schedule", "enable", "weekly", "03:00", "full", "saturday"]);
    ok(&["schedule", "disable", "monthly"]);
    let edited = std::fs::read_to_string(&config_file).unwrap();
    let want = team_config(hook)
        .replace(r#""daily":   { "enabled": true, "time": "02:00""#, r#""daily":   { "enabled": true, "time": "02:30""#)
        .replace(r#""day": "sunday""#, r#""day": "saturday""#)
        .replace(r#""monthly": { "enabled": true"#, r#""monthly": { "enabled": false"#);
    assert_eq!(edited, want, "only the schedules' values change; layout, order and unknown keys stay");
    let text = ok(&["schedule", "setup"]);
    assert!(text.contains("installed in the crontab"), "{text}");
    // The projectRef needs a password cron will not have: install says so and how to fix it.
    assert!(text.contains("would fail as cron runs it") && text.contains("~/.pgpass"), "{text}");
    let crontab = std::fs::read_to_string(&table).unwrap();
    assert!(crontab.contains("30 2 * * * '") && crontab.contains("0 3 * * sat '"), "{crontab}");
    assert!(!crontab.contains("schedule run monthly") && crontab.contains("check --notify"), "{crontab}");
    // `run minimal`: one run with a profile; `schedule run daily` for the schedule.
    ok(&["schedule", "run", "minimal"]);
    ok(&["schedule", "run", "daily"]);
    let out = pgark_command(root, &["schedule", "status", "--json"]).output().unwrap();
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let find = |n: &str| status.as_array().unwrap().iter().find(|s| s["name"] == n).unwrap().clone();
    assert!(find("daily")["last_run"].is_string(), "{status}");
    assert!(find("weekly")["last_run"].is_null(), "the last run of the schedule, not of its profile: {status}");
    let names = archives(&backups);
    assert_eq!(names.len(), 3, "{names:?}");

    // The utilities' forms.
    let (a, b) = (&names[0], &names[2]);
    assert!(ok(&["validate", a]).starts_with("ok: "));
    let (code, text) = run(&["compare", a, b]);
    assert!(code == Some(0) || code == Some(1), "{text}");
    ok(&["extract", a, "unpacked"]);
    assert!(root.join("unpacked/restore.sql").is_file() && root.join("unpacked/pre-data.sql").is_file());
    let help = ok(&["--help"]);
    assert!(help.contains("Also accepted") && help.contains("clean [DAYS] [MAX]"), "{help}");
    // `clean 15 1` deletes, as the old tool did, and prints what it deleted; per series, so the
    // minimal dump and the newest full one stay.
    let text = ok(&["clean", "15", "1"]);
    assert!(text.contains("deleted 1 archive(s)"), "{text}");
    let left = archives(&backups);
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(!left.contains(a) && left.contains(b), "{left:?}");
    // `clean --dry-run` only shows.
    assert!(ok(&["clean", "15", "1", "--dry-run"]).contains("nothing to delete"));
}

#[tokio::test]
async fn quiet_runs_print_nothing_info_files_come_by_default_and_exit_codes_differ() {
    let db = fresh_db("lg_quiet").await;
    exec(&db, "CREATE TABLE t AS SELECT i FROM generate_series(1, 100) i; CREATE VIEW v AS SELECT * FROM t").await;
    let dir = tmp();
    let folder = dir.path().to_str().unwrap();
    let out = pgark(&["dump", "-q", "--db", &url(&db), "-o", folder]);
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "-q: nothing on stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let files: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    let archive = files.iter().find(|f| f.ends_with(".pgark") && !f.starts_with('.')).unwrap();
    assert!(
        files.contains(&format!("{archive}.txt")),
        "the info file comes by default into a backup directory: {files:?}"
    );
    for args in [&["verify", "-q", folder][..], &["check", "-q", folder], &["list", folder]] {
        let out = pgark(args);
        assert!(out.status.success(), "{args:?}");
        assert_eq!(out.stdout.is_empty(), args[1] == "-q", "{args:?}: {}", String::from_utf8_lossy(&out.stdout));
    }
    // A structure-only dump counts its objects, not "0 tables".
    let out = pgark(&["dump", "--db", &url(&db), "-o", folder, "--profile", "structure-only", "--no-info-file"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains(" schema objects, no table data;"), "{text}");
    let txt = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension() == Some("txt".as_ref()));
    assert_eq!(txt.count(), 1, "--no-info-file writes none");
    // A usage error is 64, apart from check's 2 (critical) and 1 (warning or failure).
    assert_eq!(pgark(&["dump", "--no-such-flag"]).status.code(), Some(64));
    assert_eq!(pgark(&["check", folder, "--max-age", "1 fortnight"]).status.code(), Some(64));
    assert_eq!(pgark(&["--help"]).status.code(), Some(0));
    let empty = tmp();
    assert_eq!(pgark(&["check", empty.path().to_str().unwrap()]).status.code(), Some(2));
}

#[tokio::test]
async fn init_sets_everything_up_in_one_step_and_names_unreadable_tables() {
    let db = fresh_db("lg_init").await;
    exec(
        &db,
        "CREATE TABLE public.orders AS SELECT i FROM generate_series(1, 100) i;
         CREATE SCHEMA vault_like; CREATE TABLE vault_like.secrets (k text);
         DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lg_reader') THEN
           CREATE ROLE lg_reader LOGIN; END IF; END $$;
         GRANT SELECT ON public.orders TO lg_reader;",
    )
    .await;
    let dir = tmp();
    // A role that cannot read every table: named, nothing dumped.
    let reader = url(&db).replace("postgres://postgres@", "postgres://lg_reader@");
    let out = pgark_in(dir.path(), &["init", "--db", &reader, "--config", "reader.toml"]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && text.contains("cannot read 1 table(s)") && text.contains("vault_like.secrets"),
        "{text}"
    );
    // A password in the URL is not written into a file.
    let secret = url(&db).replace("postgres://postgres@", "postgres://postgres:hunter2@");
    let out = pgark_in(dir.path(), &["init", "--db", &secret, "--config", "secret.toml"]);
    assert!(!out.status.success() && !dir.path().join("secret.toml").exists());
    // The owner: config, directory, check, first backup verified, the next step printed.
    let out = pgark_in(dir.path(), &["init", "--db", &url(&db)]);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    assert!(text.contains("every table can be read") && text.contains("next: pgark schedule install"), "{text}");
    assert!(pgark_in(dir.path(), &["config", "check"]).status.success());
    let backups = dir.path().join("backups");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&backups).unwrap().permissions().mode() & 0o777, 0o700);
    assert_eq!(archives(&backups).len(), 1);
    let history = std::fs::read_to_string(pgark_engine::history_path(&backups)).unwrap();
    assert!(history.contains("\"kind\":\"verify\",\"status\":\"ok\""), "{history}");
    // Run again, it adopts the config it wrote.
    let out = pgark_in(dir.path(), &["init", "--no-dump"]);
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("using the existing config pgark.toml")
    );
}

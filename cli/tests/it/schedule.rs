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

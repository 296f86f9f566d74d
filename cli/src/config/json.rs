//! The original backup system's `backup-config.json`, read as it is and mapped onto [`Config`]:
//!
//! ```json
//! { "default": { "projectRef": "abcd…", "backupDir": "./backups", "compress": true, "verbose": true,
//!                "retentionDays": 30, "maxBackups": 10, "includeData": true, … },
//!   "profiles": { "full": { "includeData": true, … }, "structure": { "includeData": false } },
//!   "schedules": { "daily": { "enabled": true, "time": "02:00", "profile": "full" },
//!                  "weekly": { "enabled": false, "time": "03:00", "day": "sunday", "profile": "full" } },
//!   "notifications": { "webhook": { "enabled": true, "url": "https://…", "onSuccess": false, "onError": true },
//!                      "email": { "enabled": true, "to": "ops@…", "onError": true,
//!                                 "from": "…", "smtpHost": "…", "smtpPort": 587, "security": "starttls" } } }
//! ```
//!
//! `default` holds the options of every run and each profile overrides some of them (as the
//! original merged `{...default, ...profile}`); `retentionDays` and `maxBackups` may also stand at
//! the top level. Keys pgark does not know are reported as notes, never fatal; values of the wrong
//! type are problems, each with its key path.

use std::collections::BTreeMap;

use pgark_engine::Retention;
use serde_json::{Map, Value};

use super::{Config, Email, Notifications, Profile, Schedule, Webhook};

/// What reading the file gave: the config, problems (wrong values) and notes (unknown keys).
pub struct Read {
    /// The config it maps onto.
    pub config: Config,
    /// Values that are wrong, with their key paths.
    pub problems: Vec<String>,
    /// Keys that were ignored, with their key paths.
    pub notes: Vec<String>,
}

/// The `include*`/`compress` switches of the original's backup options, and the toggle each is.
const SWITCHES: [&str; 8] = [
    "includeData",
    "includeStructure",
    "includeFunctions",
    "includeRLS",
    "includeTriggers",
    "includeIndexes",
    "includeConstraints",
    "compress",
];

/// Reads the text of a `backup-config.json`.
pub fn read(text: &str) -> Read {
    let mut r = Read { config: Config::default(), problems: Vec::new(), notes: Vec::new() };
    let root = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(root)) => root,
        Ok(_) => {
            r.problems.push("the file must hold a JSON object".into());
            return r;
        }
        Err(e) => {
            r.problems.push(format!("not valid JSON: {e}"));
            return r;
        }
    };
    let empty = Map::new();
    let default = object(&root, "default", &mut r.problems).unwrap_or(&empty);
    // The switches of `default` apply to every run, profiles start from them.
    let mut base = BTreeMap::new();
    for (key, value) in default {
        let path = format!("default.{key}");
        match key.as_str() {
            "projectRef" => r.config.connection.project_ref = string(value, &path, &mut r.problems),
            "backupDir" => r.config.backup_dir = string(value, &path, &mut r.problems).map(Into::into),
            "retentionDays" | "maxBackups" => retention(key, value, &path, &mut r.config.retention, &mut r.problems),
            "verbose" => {} // the --verbose flag; the original's default is pgark's progress output
            k if SWITCHES.contains(&k) => {
                if let Some(on) = boolean(value, &path, &mut r.problems) {
                    base.insert(k.to_string(), on);
                }
            }
            _ => r.notes.push(format!("{path}: unknown key, ignored")),
        }
    }
    for (key, value) in &root {
        match key.as_str() {
            "default" => {}
            "retentionDays" | "maxBackups" => retention(key, value, key, &mut r.config.retention, &mut r.problems),
            "profiles" => {
                for (name, p) in object(&root, "profiles", &mut r.problems).unwrap_or(&empty) {
                    let path = format!("profiles.{name}");
                    let Some(p) = as_object(p, &path, &mut r.problems) else { continue };
                    let mut switches = base.clone();
                    for (k, v) in p {
                        let key_path = format!("{path}.{k}");
                        match k.as_str() {
                            k if SWITCHES.contains(&k) => {
                                if let Some(on) = boolean(v, &key_path, &mut r.problems) {
                                    switches.insert(k.to_string(), on);
                                }
                            }
                            "verbose" => {}
                            _ => r.notes.push(format!("{key_path}: not supported in a profile, ignored")),
                        }
                    }
                    r.config.profiles.insert(name.clone(), profile(&switches));
                }
            }
            "schedules" => {
                for (name, s) in object(&root, "schedules", &mut r.problems).unwrap_or(&empty) {
                    let path = format!("schedules.{name}");
                    if let Some(s) = as_object(s, &path, &mut r.problems) {
                        let schedule = schedule(name, s, &path, &mut r);
                        r.config.schedules.insert(name.clone(), schedule);
                    }
                }
            }
            "notifications" => {
                let n = object(&root, "notifications", &mut r.problems).unwrap_or(&empty);
                r.config.notifications = notifications(n, &mut r);
            }
            _ => r.notes.push(format!("{key}: unknown key, ignored")),
        }
    }
    if base.values().any(|on| !on) {
        // `default` itself leaves something out: it is what a dump without --profile does.
        r.config.profiles.entry("default".into()).or_insert_with(|| profile(&base));
        r.config.profile = Some("default".into());
    }
    r
}

fn profile(switches: &BTreeMap<String, bool>) -> Profile {
    let off = |k: &str| switches.get(k) == Some(&false);
    Profile {
        no_data: off("includeData"),
        no_structure: off("includeStructure"),
        no_functions: off("includeFunctions"),
        no_rls: off("includeRLS"),
        no_triggers: off("includeTriggers"),
        no_indexes: off("includeIndexes"),
        no_constraints: off("includeConstraints"),
        no_compress: off("compress"),
        ..Profile::default()
    }
}

/// `retentionDays` (nothing older survives) or `maxBackups` (the newest N), as `clean DAYS MAX`.
fn retention(key: &str, value: &Value, path: &str, rules: &mut Retention, problems: &mut Vec<String>) {
    let Some(n) = value.as_u64().filter(|&n| n > 0) else {
        problems.push(format!("{path}: must be a whole number above 0, not {value}"));
        return;
    };
    match key {
        "retentionDays" => rules.max_age = chrono::Duration::try_days(n.min(1 << 20) as i64),
        _ => rules.keep_last = Some(n as usize),
    }
}

fn schedule(name: &str, s: &Map<String, Value>, path: &str, r: &mut Read) -> Schedule {
    let mut out = Schedule {
        every: ["daily", "weekly", "monthly"].contains(&name).then(|| name.to_string()),
        ..Schedule::default()
    };
    for (k, v) in s {
        let key_path = format!("{path}.{k}");
        match k.as_str() {
            "enabled" => out.enabled = boolean(v, &key_path, &mut r.problems).unwrap_or(false),
            "time" => out.time = string(v, &key_path, &mut r.problems),
            "profile" => out.profile = string(v, &key_path, &mut r.problems),
            "day" => match v {
                Value::String(d) => out.day = Some(d.clone()),
                Value::Number(n) => out.day = Some(n.to_string()),
                _ => r.problems.push(format!("{key_path}: must be a weekday name or a day of the month, not {v}")),
            },
            _ => r.notes.push(format!("{key_path}: unknown key, ignored")),
        }
    }
    out
}

fn notifications(n: &Map<String, Value>, r: &mut Read) -> Notifications {
    let mut out = Notifications::default();
    for (channel, v) in n {
        let path = format!("notifications.{channel}");
        let Some(c) = as_object(v, &path, &mut r.problems) else { continue };
        let target = match channel.as_str() {
            "webhook" => "url",
            "email" => "to",
            _ => {
                r.notes.push(format!("{path}: unknown channel, ignored"));
                continue;
            }
        };
        // enabled, onSuccess, onError (absent: false, as the original read them), and the target.
        let (mut when, mut to) = ([false; 3], None);
        // The SMTP settings the original never had (its email was a placeholder) may be added.
        let mut smtp = Email::default();
        for (k, v) in c {
            let key_path = format!("{path}.{k}");
            let flag = |r: &mut Read| boolean(v, &key_path, &mut r.problems).unwrap_or(false);
            let is_email = channel == "email";
            match k.as_str() {
                "enabled" => when[0] = flag(r),
                "onSuccess" => when[1] = flag(r),
                "onError" => when[2] = flag(r),
                k if k == target => to = string(v, &key_path, &mut r.problems),
                "from" if is_email => smtp.from = string(v, &key_path, &mut r.problems),
                "smtpHost" if is_email => smtp.smtp_host = string(v, &key_path, &mut r.problems),
                "security" if is_email => smtp.security = string(v, &key_path, &mut r.problems),
                "smtpPort" if is_email => match v.as_u64().and_then(|p| u16::try_from(p).ok()) {
                    Some(p) => smtp.smtp_port = Some(p),
                    None => r.problems.push(format!("{key_path}: must be a port number, not {v}")),
                },
                _ => r.notes.push(format!("{key_path}: unknown key, ignored")),
            }
        }
        let [enabled, on_success, on_error] = when;
        if channel == "webhook" {
            out.webhook = Some(Webhook { enabled, on_success, on_error, url: to });
        } else {
            out.email = Some(Email { enabled, on_success, on_error, to: to.into_iter().collect(), ..smtp });
        }
    }
    out
}

fn object<'v>(root: &'v Map<String, Value>, key: &str, problems: &mut Vec<String>) -> Option<&'v Map<String, Value>> {
    as_object(root.get(key)?, key, problems)
}

fn as_object<'v>(v: &'v Value, path: &str, problems: &mut Vec<String>) -> Option<&'v Map<String, Value>> {
    match v {
        Value::Object(m) => Some(m),
        _ => {
            problems.push(format!("{path}: must be an object"));
            None
        }
    }
}

fn string(v: &Value, path: &str, problems: &mut Vec<String>) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        _ => {
            problems.push(format!("{path}: must be a string, not {v}"));
            None
        }
    }
}

fn boolean(v: &Value, path: &str, problems: &mut Vec<String>) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        _ => {
            problems.push(format!("{path}: must be true or false, not {v}"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The original system's config, as its scheduler wrote it, plus keys pgark does not know.
    const ORIGINAL: &str = r#"{
      "default": { "projectRef": "abcdefghijklmnopqrst", "backupDir": "./backups", "compress": true,
                   "verbose": true, "retentionDays": 30, "maxBackups": 10, "includeTriggers": false,
                   "s3Bucket": "x" },
      "profiles": {
        "full": { "includeData": true },
        "structure": { "includeData": false, "includeFunctions": true, "backupDir": "./other" },
        "bare": { "includeData": true, "includeTriggers": true, "compress": false }
      },
      "schedules": {
        "daily": { "enabled": true, "time": "02:30", "profile": "full" },
        "weekly": { "enabled": false, "time": "03:00", "day": "sunday", "profile": "full" },
        "monthly": { "enabled": true, "time": "04:00", "day": 1, "profile": "structure" }
      },
      "notifications": {
        "email": { "enabled": true, "onSuccess": false, "onError": true, "to": "ops@example.com" },
        "webhook": { "enabled": true, "onSuccess": true, "onError": true, "url": "https://hooks.example.com/x" },
        "slack": {}
      },
      "lastRun": "2025-01-01"
    }"#;

    #[test]
    fn the_original_config_maps_onto_pgark_and_reports_what_it_ignores() {
        let r = read(ORIGINAL);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(
            r.notes,
            // In the file's order.
            [
                "default.s3Bucket: unknown key, ignored",
                "profiles.structure.backupDir: not supported in a profile, ignored",
                "notifications.slack: unknown channel, ignored",
                "lastRun: unknown key, ignored",
            ]
        );
        let c = &r.config;
        assert_eq!(c.connection.project_ref.as_deref(), Some("abcdefghijklmnopqrst"));
        assert_eq!(c.backup_dir.as_deref(), Some(std::path::Path::new("./backups")));
        assert_eq!((c.retention.keep_last, c.retention.max_age), (Some(10), Some(chrono::Duration::days(30))));
        // Profiles start from default (which leaves out triggers) and override it.
        let full = &c.profiles["full"];
        assert!(full.no_triggers && !full.no_data && !full.no_compress);
        assert!(c.profiles["structure"].no_data && c.profiles["structure"].no_triggers);
        assert!(!c.profiles["bare"].no_triggers && c.profiles["bare"].no_compress);
        // default itself leaves something out, so it is what a dump without --profile uses.
        assert_eq!(c.profile.as_deref(), Some("default"));
        assert!(c.profiles["default"].no_triggers);
        let monthly = &c.schedules["monthly"];
        assert_eq!((monthly.every.as_deref(), monthly.day.as_deref()), (Some("monthly"), Some("1")));
        assert!(monthly.enabled && !c.schedules["weekly"].enabled);
        assert!(monthly.problems(c).is_empty() && c.schedules["weekly"].problems(c).is_empty());
        assert_eq!(c.notifications.email.as_ref().unwrap().to, ["ops@example.com"]);
        assert!(c.notifications.webhook.as_ref().unwrap().on_success);
        // The original's email had no SMTP server: config check says what it needs.
        let email_problems = c.notifications.problems().join("; ");
        assert!(
            email_problems.contains("email.smtp_host") && email_problems.contains("email.from"),
            "{email_problems}"
        );
    }

    #[test]
    fn wrong_values_are_problems_with_their_key_paths() {
        let r = read(
            r#"{ "default": { "backupDir": 7, "includeData": "yes" }, "maxBackups": -1,
                 "profiles": { "x": [] }, "schedules": { "daily": { "time": "25:00", "day": 3 } } }"#,
        );
        let paths: Vec<&str> = r.problems.iter().map(|p| p.split(':').next().unwrap()).collect();
        assert_eq!(paths, ["default.backupDir", "default.includeData", "maxBackups", "profiles.x"], "{:?}", r.problems);
        let daily = &r.config.schedules["daily"];
        let found = daily.problems(&r.config);
        assert!(
            found.iter().any(|p| p.starts_with("time:")) && found.iter().any(|p| p.starts_with("day:")),
            "{found:?}"
        );
        assert!(read("[1]").problems[0].contains("JSON object"));
        assert!(read("{").problems[0].starts_with("not valid JSON"));
    }
}

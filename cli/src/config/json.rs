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
            "timezone" => r.config.timezone = string(value, &path, &mut r.problems),
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
                    let mut tables = Vec::new();
                    for (k, v) in p {
                        let key_path = format!("{path}.{k}");
                        match k.as_str() {
                            k if SWITCHES.contains(&k) => {
                                if let Some(on) = boolean(v, &key_path, &mut r.problems) {
                                    switches.insert(k.to_string(), on);
                                }
                            }
                            "tables" => tables = string_list(v, &key_path, &mut r.problems),
                            "verbose" | "description" => {}
                            k => match toggle_switch(k) {
                                // `noFunctions: true` (or no-functions, no_functions) is `includeFunctions: false`.
                                Some(switch) => {
                                    if let Some(on) = boolean(v, &key_path, &mut r.problems) {
                                        switches.insert(switch.to_string(), !on);
                                    }
                                }
                                None => r.notes.push(format!("{key_path}: not supported in a profile, ignored")),
                            },
                        }
                    }
                    let mut made = profile(&switches);
                    made.tables = tables;
                    r.config.profiles.insert(name.clone(), made);
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
            "task" => out.task = string(v, &key_path, &mut r.problems),
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
        if channel != "webhook" && channel != "email" {
            r.notes.push(format!("{path}: unknown channel, ignored"));
            continue;
        }
        let is_email = channel == "email";
        // enabled, onSuccess, onError (absent: false, as the original read them), and the target.
        let (mut when, mut url, mut recipients) = ([false; 3], None, Vec::new());
        // The SMTP settings the original never had (its email was a placeholder) may be added.
        let mut smtp = Email::default();
        for (k, v) in c {
            let key_path = format!("{path}.{k}");
            let flag = |r: &mut Read| boolean(v, &key_path, &mut r.problems).unwrap_or(false);
            match k.as_str() {
                "enabled" => when[0] = flag(r),
                "onSuccess" => when[1] = flag(r),
                "onError" => when[2] = flag(r),
                "recipients" | "to" if is_email => recipients = string_list(v, &key_path, &mut r.problems),
                "url" if !is_email => url = string(v, &key_path, &mut r.problems),
                "smtp" if is_email => smtp_settings(v, &key_path, &mut smtp, r),
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
        if is_email {
            out.email = Some(Email { enabled, on_success, on_error, to: recipients, ..smtp });
        } else {
            out.webhook = Some(Webhook { enabled, on_success, on_error, url });
        }
    }
    out
}

/// `smtp: { host, port, secure, from, user, pass }`: the server settings; a password in the file
/// is never read (PGARK_SMTP_USER / PGARK_SMTP_PASSWORD are).
fn smtp_settings(v: &Value, path: &str, smtp: &mut Email, r: &mut Read) {
    let Some(o) = as_object(v, path, &mut r.problems) else { return };
    for (k, v) in o {
        let key_path = format!("{path}.{k}");
        match k.as_str() {
            "host" => smtp.smtp_host = string(v, &key_path, &mut r.problems),
            "from" => smtp.from = string(v, &key_path, &mut r.problems),
            "port" => match v.as_u64().and_then(|p| u16::try_from(p).ok()) {
                Some(p) => smtp.smtp_port = Some(p),
                None => r.problems.push(format!("{key_path}: must be a port number, not {v}")),
            },
            // nodemailer's `secure: true` is TLS from the start; false upgrades with STARTTLS.
            "secure" => {
                let tls = boolean(v, &key_path, &mut r.problems).unwrap_or(false);
                smtp.security = Some(if tls { "tls" } else { "starttls" }.into());
            }
            "security" => smtp.security = string(v, &key_path, &mut r.problems),
            "user" | "pass" | "password" | "auth" => r.notes.push(format!(
                "{key_path}: not read from the file (secrets stay out of configs): set PGARK_SMTP_USER and \
                 PGARK_SMTP_PASSWORD"
            )),
            _ => r.notes.push(format!("{key_path}: unknown key, ignored")),
        }
    }
}

/// A list of strings, or one string of comma-separated items (`"a@x, b@y"`).
fn string_list(v: &Value, path: &str, problems: &mut Vec<String>) -> Vec<String> {
    let split = |s: &str| s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
    match v {
        Value::String(s) => split(s),
        Value::Array(items) if items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).flat_map(split).collect::<Vec<String>>()
        }
        _ => {
            problems.push(format!("{path}: must be a list of strings or a comma-separated string, not {v}"));
            Vec::new()
        }
    }
}

/// The `include*` switch a toggle name (`noFunctions`, `no-functions`, `no_functions`) turns off.
fn toggle_switch(key: &str) -> Option<&'static str> {
    let plain: String = key.chars().filter(|c| *c != '-' && *c != '_').collect::<String>().to_ascii_lowercase();
    let rest = plain.strip_prefix("no")?;
    SWITCHES.iter().copied().find(|s| s.strip_prefix("include").unwrap_or(s).eq_ignore_ascii_case(rest))
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
    fn recipients_smtp_and_minimal_tables_are_read() {
        let r = read(
            r#"{ "profiles": { "minimal": { "tables": ["public.users", "public.orders"], "noFunctions": true,
                                            "no-triggers": true, "description": "main tables" } },
                 "notifications": { "email": { "enabled": true, "onError": true, "recipients": "a@x.io, b@y.io",
                     "smtp": { "host": "smtp.x.io", "port": 465, "secure": true, "from": "pgark@x.io",
                               "pass": "hunter2" } } } }"#,
        );
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let minimal = &r.config.profiles["minimal"];
        assert_eq!(minimal.tables, ["public.users", "public.orders"]);
        assert!(minimal.no_functions && minimal.no_triggers && !minimal.no_data);
        let email = r.config.notifications.email.as_ref().unwrap();
        assert_eq!(email.to, ["a@x.io", "b@y.io"]);
        assert_eq!((email.smtp_host.as_deref(), email.smtp_port), (Some("smtp.x.io"), Some(465)));
        assert_eq!((email.security.as_deref(), email.from.as_deref()), (Some("tls"), Some("pgark@x.io")));
        assert!(r.config.notifications.problems().is_empty(), "{:?}", r.config.notifications.problems());
        assert!(r.notes.iter().any(|n| n.starts_with("notifications.email.smtp.pass: not read")), "{:?}", r.notes);
        assert!(!r.notes.join(" ").contains("hunter2"));
        let list = read(r#"{"notifications": {"email": {"recipients": ["a@x.io", "b@y.io, c@z.io"]}}}"#);
        assert_eq!(list.config.notifications.email.unwrap().to, ["a@x.io", "b@y.io", "c@z.io"]);
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

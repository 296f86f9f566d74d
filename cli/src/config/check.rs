//! `config check`: every problem of a config file, each with its key path.

use std::path::Path;

use anyhow::{Context, Result};
use pgark_engine::{DumpOptions, Retention};

use super::{apply_profile, is_json, Alerts, Config, ConnectionConfig, Profile};

/// The built-in profiles a config profile may start from.
const BUILTIN_BASES: [&str; 3] = ["full", "structure-only", "data-only"];

/// Every problem of the config file at `path`, each with its key path (`retention.max_age: …`):
/// unknown keys, wrong types, values that do not parse, profiles that cannot be applied; and
/// notes (keys of the original JSON config that pgark ignores), and what of the config could be read.
pub fn check_file(path: &Path) -> Result<Checked> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading config {}", path.display()))?;
    if is_json(path) {
        let read = super::json::read(&text);
        let mut problems = read.problems;
        let config = read.config.with_defaults();
        problems.extend(semantic_problems(&config));
        return Ok(Checked { problems, notes: read.notes, config });
    }
    let table: toml::Table = match toml::from_str(&text) {
        Ok(t) => t,
        Err(e) => {
            let problems = vec![format!("not valid TOML: {}", e.to_string().trim())];
            return Ok(Checked { problems, notes: Vec::new(), config: Config::default() });
        }
    };
    let mut problems = Vec::new();
    let mut config = Config::default();
    for (key, value) in &table {
        match (key.as_str(), value) {
            ("retention", toml::Value::Table(t)) => {
                if each_key::<Retention>("retention", t, &mut problems) {
                    config.retention = value.clone().try_into().unwrap_or_default();
                }
            }
            ("alerts", toml::Value::Table(t)) => {
                if each_key::<Alerts>("alerts", t, &mut problems) {
                    config.alerts = value.clone().try_into().unwrap_or_default();
                }
            }
            ("profiles", toml::Value::Table(profiles)) => {
                for (name, p) in profiles {
                    let path = format!("profiles.{name}");
                    match p {
                        toml::Value::Table(t) if each_key::<Profile>(&path, t, &mut problems) => {
                            config.profiles.insert(name.clone(), p.clone().try_into().unwrap_or_default());
                        }
                        toml::Value::Table(t) => {
                            // Its other keys are still checked: the base it starts from.
                            let base = t.get("base").and_then(toml::Value::as_str);
                            if let Some(base) = base.filter(|b| !BUILTIN_BASES.contains(b)) {
                                problems
                                    .push(format!("{path}.base: '{base}' is not one of {}", BUILTIN_BASES.join(", ")));
                            }
                        }
                        _ => problems.push(format!("{path}: must be a table ([{path}])")),
                    }
                }
            }
            ("connection", toml::Value::Table(t)) => {
                if each_key::<ConnectionConfig>("connection", t, &mut problems) {
                    let c: ConnectionConfig = value.clone().try_into().unwrap_or_default();
                    if let Err(e) = c.options() {
                        problems.push(e.to_string());
                    }
                }
            }
            ("retention" | "profiles" | "connection" | "alerts", _) => {
                problems.push(format!("{key}: must be a table ([{key}])"))
            }
            _ => {
                let single = toml::Table::from_iter([(key.clone(), value.clone())]);
                if each_key::<Config>("", &single, &mut problems) {
                    let one: Config = toml::Value::Table(single).try_into().unwrap_or_default();
                    config.backup_dir = one.backup_dir.or(config.backup_dir);
                    config.profile = one.profile.or(config.profile);
                    config.metrics_file = one.metrics_file.or(config.metrics_file);
                    config.drill_db = one.drill_db.or(config.drill_db);
                    config.schedules.extend(one.schedules);
                    if key == "notifications" {
                        config.notifications = one.notifications;
                    }
                    config.encryption = one.encryption.or(config.encryption);
                    config.timezone = one.timezone.or(config.timezone);
                }
            }
        }
    }
    let config = config.with_defaults();
    problems.extend(semantic_problems(&config));
    Ok(Checked { problems, notes: Vec::new(), config })
}

/// What `check_file` found.
pub struct Checked {
    /// Every problem, with its key path.
    pub problems: Vec<String>,
    /// Keys ignored (the original JSON config).
    pub notes: Vec<String>,
    /// The parts of the config that could be read.
    pub config: Config,
}

/// Values that parse but do not work: a backup_dir that is no directory, profiles that cannot
/// be applied, schedules that cannot run.
fn semantic_problems(config: &Config) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(dir) = config.backup_dir.as_ref().filter(|d| d.exists() && !d.is_dir()) {
        problems.push(format!("backup_dir: {} is a file, not a directory", dir.display()));
    }
    for name in config.profiles.keys() {
        if let Err(e) = apply_profile(name, config, &mut DumpOptions::default()) {
            problems.push(format!("profiles.{name}: {e}"));
        }
    }
    if let Some(name) = &config.profile {
        if let Err(e) = apply_profile(name, config, &mut DumpOptions::default()) {
            problems.push(format!("profile: {e}"));
        }
    }
    for (name, s) in &config.schedules {
        for e in s.problems(config) {
            problems.push(format!("schedules.{name}.{e}"));
        }
    }
    for e in config.notifications.problems() {
        problems.push(format!("notifications.{e}"));
    }
    if let Err(e) = config.drill_url() {
        problems.push(e.to_string());
    }
    if let Some(e) = &config.encryption {
        match e.encryption() {
            Ok(Some(_)) => {}
            Ok(None) => problems.push("encryption: give recipients, a recipients_file or a passphrase".into()),
            Err(err) => problems.push(format!("encryption: {err:#}")),
        }
    }
    problems
}

/// Checks each key of `table` on its own against `T` (whose fields all have defaults), so every
/// wrong key is reported, not only the first. Says whether all were right.
fn each_key<T: serde::de::DeserializeOwned>(prefix: &str, table: &toml::Table, problems: &mut Vec<String>) -> bool {
    let before = problems.len();
    for (key, value) in table {
        let single = toml::Table::from_iter([(key.clone(), value.clone())]);
        if let Err(e) = toml::Value::Table(single).try_into::<T>() {
            let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
            let message = e.to_string();
            problems.push(format!("{path}: {}", message.lines().next().unwrap_or_default().trim()));
        }
    }
    problems.len() == before
}

#[cfg(test)]
mod tests {
    use super::check_file;

    fn problems(text: &str) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pgark.toml");
        std::fs::write(&path, text).unwrap();
        check_file(&path).unwrap().problems
    }

    #[test]
    fn every_problem_is_reported_with_its_key_path() {
        let found = problems(
            r#"
backup_dir = "/dev/null"
info_fil = true
info_file = "yes"
[retention]
keep_last = 7
keep_dayly = 3
max_age = "3 fortnights"
[profiles.nightly]
base = "everything"
schemas = "app"
no_index = true
[profiles.minimal]
base = "full"
"#,
        );
        let paths: Vec<&str> = found.iter().map(|p| p.split(':').next().unwrap()).collect();
        assert_eq!(
            paths,
            [
                "info_fil",
                "info_file",
                "profiles.nightly.no_index",
                "profiles.nightly.schemas",
                "profiles.nightly.base",
                "retention.keep_dayly",
                "retention.max_age",
                "backup_dir",
                "profiles.minimal"
            ],
            "{found:#?}"
        );
        assert!(problems("backup_dir = \"/tmp\"\n[retention]\nkeep_last = 3\n[profiles.app]\nschemas = [\"app\"]\n")
            .is_empty());
        assert!(problems("x = [")[0].starts_with("not valid TOML"));
        let secret = problems("[connection]\nurl = \"postgres://app:hunter2@db.internal/app\"\n");
        assert!(
            secret.len() == 1 && secret[0].starts_with("connection.url") && !secret[0].contains("hunter2"),
            "{secret:?}"
        );
        assert!(problems("[connection]\nurl = \"postgres://app@db.internal/app\"\nproject_ref = \"abc\"\n").is_empty());
    }
}

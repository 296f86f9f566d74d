//! `pgark.toml`: named dump profiles (and the `minimal` profile's table list).
//!
//! ```toml
//! [profiles.minimal]          # `--profile minimal`: structure and data of these tables only
//! tables = ["public.users", "public.orders"]
//!
//! [profiles.nightly]          # any name; every field optional
//! base = "full"               # full | structure-only | data-only
//! exclude_schemas = ["audit"]
//! no_functions = true
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use pgark_engine::{ConnectOptions, DumpOptions, Kind, Retention};

pub use crate::schedule::Schedule;
use serde::Deserialize;

/// The config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The backup directory: where `dump` writes without `--output` and what `list` lists.
    pub backup_dir: Option<PathBuf>,
    /// The database `dump` reads when neither --db, $PGARK_DATABASE_URL nor --project-ref is given.
    #[serde(default)]
    pub connection: ConnectionConfig,
    /// Write `<archive>.txt` beside every archive, as `dump --info-file` does.
    #[serde(default)]
    pub info_file: bool,
    /// What `prune` keeps when no rule is given on the command line.
    #[serde(default)]
    pub retention: Retention,
    /// The profile `dump` uses when `--profile` is not given.
    pub profile: Option<String>,
    /// Named profiles.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// When scheduled dumps run (read and checked here; run by the scheduling commands).
    #[serde(default)]
    pub schedules: BTreeMap<String, Schedule>,
    /// Where the results of scheduled dumps are sent (read and checked here).
    #[serde(default)]
    pub notifications: Notifications,
    /// Where `schedule run` writes the backup directory's metrics (Prometheus text, for
    /// node_exporter's textfile collector) after each run.
    pub metrics_file: Option<PathBuf>,
    /// The server `pgark drill` restores onto (a URL; its database is only used to create and drop
    /// the scratch database) when neither --db nor $PGARK_DRILL_URL is given.
    pub drill_db: Option<String>,
    /// How `dump` encrypts when no encryption flag is given (scheduled dumps).
    pub encryption: Option<EncryptionConfig>,
}

/// `[encryption]`: the recipients (or the passphrase's file or variable) dumps encrypt to.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptionConfig {
    /// age recipients (`age1…`) or SSH public keys.
    #[serde(default)]
    pub recipients: Vec<String>,
    /// A file of recipients, one per line.
    pub recipients_file: Option<PathBuf>,
    /// A file whose first line is the passphrase.
    pub passphrase_file: Option<PathBuf>,
    /// An environment variable holding the passphrase.
    pub passphrase_env: Option<String>,
    /// An age identity file (or SSH private key) that opens the archives, for scheduled verify
    /// and drill runs (the archives need it; the dump does not).
    pub identity_file: Option<PathBuf>,
}

impl EncryptionConfig {
    /// The same as command-line arguments.
    pub fn args(&self) -> crate::args::EncryptArgs {
        crate::args::EncryptArgs {
            encrypt_to: self.recipients.clone(),
            encrypt_to_file: self.recipients_file.iter().cloned().collect(),
            passphrase: self.passphrase(),
        }
    }

    /// The keys it gives readers (verify, drill): the identity file, or the passphrase.
    pub fn keys(&self) -> crate::args::KeyArgs {
        crate::args::KeyArgs { identities: self.identity_file.iter().cloned().collect(), passphrase: self.passphrase() }
    }

    fn passphrase(&self) -> crate::args::PassphraseArgs {
        crate::args::PassphraseArgs {
            passphrase_env: self.passphrase_env.clone(),
            passphrase_file: self.passphrase_file.clone(),
        }
    }
}

impl Notifications {
    /// What is wrong with the channels, each as `key: problem`.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(w) = self.webhook.as_ref().filter(|w| w.enabled) {
            match w.url.as_deref() {
                None => out.push("webhook.url: an enabled webhook needs a url".to_string()),
                Some(u) if !(u.starts_with("https://") || u.starts_with("http://")) => {
                    out.push(format!("webhook.url: '{u}' is not an http(s) URL"))
                }
                Some(_) => {}
            }
            if !w.on_success && !w.on_error {
                out.push("webhook: enabled but neither on_success nor on_error is set".into());
            }
        }
        if let Some(e) = self.email.as_ref().filter(|e| e.enabled) {
            if e.to.is_empty() {
                out.push("email.to: an enabled email channel needs at least one address".into());
            }
            if let Some(bad) = e.to.iter().find(|a| !a.contains('@')) {
                out.push(format!("email.to: '{bad}' is not an email address"));
            }
            if !e.on_success && !e.on_error {
                out.push("email: enabled but neither on_success nor on_error is set".into());
            }
            if e.smtp_host.is_none() {
                out.push("email.smtp_host: an enabled email channel needs an SMTP server".into());
            }
            match e.from.as_deref() {
                None => out.push("email.from: an enabled email channel needs a sender address".into()),
                Some(f) if !f.contains('@') => out.push(format!("email.from: '{f}' is not an email address")),
                Some(_) => {}
            }
            if let Some(s) = e.security.as_deref().filter(|s| !["starttls", "tls", "none"].contains(s)) {
                out.push(format!("email.security: '{s}' is not one of starttls, tls, none"));
            }
        }
        out
    }
}

/// `[notifications]`: the channels results go to.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notifications {
    pub webhook: Option<Webhook>,
    pub email: Option<Email>,
}

/// `[notifications.webhook]`: a JSON POST to `url`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub on_success: bool,
    #[serde(default)]
    pub on_error: bool,
    pub url: Option<String>,
}

/// `[notifications.email]`: a mail to `to` through an SMTP server (user and password from
/// `PGARK_SMTP_USER` / `PGARK_SMTP_PASSWORD`, never from the file).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Email {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub on_success: bool,
    #[serde(default)]
    pub on_error: bool,
    #[serde(default)]
    pub to: Vec<String>,
    /// The sender address.
    pub from: Option<String>,
    /// The SMTP server.
    pub smtp_host: Option<String>,
    /// Its port (default: 587 for starttls, 465 for tls, 25 for none).
    pub smtp_port: Option<u16>,
    /// `starttls` (default), `tls` (implicit) or `none` (plain, for a local relay).
    pub security: Option<String>,
}

/// `[connection]`: a URL without password, or a Supabase project ref.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionConfig {
    pub url: Option<String>,
    pub project_ref: Option<String>,
}

impl Config {
    /// `drill_db`; refuses a password in the file, as `connection.url` does.
    pub fn drill_url(&self) -> Result<Option<String>> {
        let Some(url) = &self.drill_db else { return Ok(None) };
        if (ConnectOptions { url: Some(url.clone()), project_ref: None }).holds_password() {
            bail!(
                "drill_db in the config holds a password: keep passwords in PGPASSWORD or the password file \
                 (~/.pgpass)"
            );
        }
        Ok(Some(url.clone()))
    }
}

impl ConnectionConfig {
    /// The options it names; refuses a password in the file.
    pub fn options(&self) -> Result<Option<ConnectOptions>> {
        if self.url.is_none() && self.project_ref.is_none() {
            return Ok(None);
        }
        let options = ConnectOptions { url: self.url.clone(), project_ref: self.project_ref.clone() };
        if options.holds_password() {
            bail!(
                "connection.url in the config holds a password: keep passwords in PGPASSWORD, \
                 SUPABASE_DB_PASSWORD or the password file (~/.pgpass)"
            );
        }
        Ok(Some(options))
    }
}

/// A named set of dump options.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// A built-in profile this one starts from.
    pub base: Option<String>,
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(default)]
    pub exclude_schemas: Vec<String>,
    #[serde(default)]
    pub tables: Vec<String>,
    #[serde(default)]
    pub exclude_tables: Vec<String>,
    #[serde(default)]
    pub no_data: bool,
    #[serde(default)]
    pub no_structure: bool,
    #[serde(default)]
    pub no_functions: bool,
    #[serde(default)]
    pub no_rls: bool,
    #[serde(default)]
    pub no_triggers: bool,
    #[serde(default)]
    pub no_indexes: bool,
    #[serde(default)]
    pub no_constraints: bool,
    #[serde(default)]
    pub no_views: bool,
    /// Store chunks uncompressed.
    #[serde(default)]
    pub no_compress: bool,
}

/// The `--no-X` kind toggles, shared by the command line and profiles.
#[derive(Debug, Default, Clone, Copy, clap::Args)]
pub struct KindToggles {
    /// Leave out functions, procedures and aggregates.
    #[arg(long)]
    pub no_functions: bool,
    /// Leave out row-level security switches and policies.
    #[arg(long)]
    pub no_rls: bool,
    /// Leave out triggers and event triggers.
    #[arg(long)]
    pub no_triggers: bool,
    /// Leave out indexes.
    #[arg(long)]
    pub no_indexes: bool,
    /// Leave out constraints and foreign keys.
    #[arg(long)]
    pub no_constraints: bool,
    /// Leave out views and materialized views.
    #[arg(long)]
    pub no_views: bool,
}

impl KindToggles {
    /// Adds the kinds these toggles leave out to `kinds`.
    pub fn add_to(&self, kinds: &mut Vec<Kind>) {
        for (on, name) in [
            (self.no_functions, "functions"),
            (self.no_rls, "rls"),
            (self.no_triggers, "triggers"),
            (self.no_indexes, "indexes"),
            (self.no_constraints, "constraints"),
            (self.no_views, "views"),
        ] {
            for k in Kind::toggle(name).filter(|_| on).into_iter().flatten() {
                if !kinds.contains(k) {
                    kinds.push(*k);
                }
            }
        }
    }
}

impl Config {
    /// The backup directory when none is given: `$PGARK_BACKUP_DIR`, else `backup_dir` (flags >
    /// environment > config).
    pub fn default_backup_dir(&self) -> Option<PathBuf> {
        std::env::var_os("PGARK_BACKUP_DIR").filter(|d| !d.is_empty()).map(PathBuf::from).or(self.backup_dir.clone())
    }

    /// The directory a command works on: `given`, else [`Config::default_backup_dir`].
    pub fn backup_dir_or(&self, given: Option<PathBuf>) -> Result<PathBuf> {
        let Some(dir) = given.or_else(|| self.default_backup_dir()) else {
            bail!("no backup directory: give one, set PGARK_BACKUP_DIR, or set backup_dir in pgark.toml");
        };
        if !dir.is_dir() {
            bail!("{} is not a directory", dir.display());
        }
        Ok(dir)
    }

    /// Reads the config file [`locate`] finds (the original `backup-config.json` too: its unknown
    /// keys are printed as notes); else an empty config.
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let Some(path) = locate(path) else { return Ok(Config::default()) };
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading config {}", path.display()))?;
        if !is_json(&path) {
            return toml::from_str(&text).with_context(|| format!("config {}", path.display()));
        }
        let read = crate::config_json::read(&text);
        for note in &read.notes {
            eprintln!("note: {}: {note}", path.display());
        }
        if !read.problems.is_empty() {
            bail!("config {}: {}", path.display(), read.problems.join("; "));
        }
        Ok(read.config)
    }
}

/// The config file: `path`, else `$PGARK_CONFIG`, else `./pgark.toml`, else the original
/// system's `./backup-config.json`, whichever is there first.
pub fn locate(path: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = path {
        return Some(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("PGARK_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    ["pgark.toml", "backup-config.json"].into_iter().map(PathBuf::from).find(|p| p.is_file())
}

/// Whether `path` is the original system's JSON config rather than `pgark.toml`.
pub fn is_json(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// The built-in profiles a config profile may start from.
const BUILTIN_BASES: [&str; 3] = ["full", "structure-only", "data-only"];

/// Every problem of the config file at `path`, each with its key path (`retention.max_age: …`):
/// unknown keys, wrong types, values that do not parse, profiles that cannot be applied; and
/// notes (keys of the original JSON config that pgark ignores), and what of the config could be read.
pub fn check_file(path: &Path) -> Result<Checked> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading config {}", path.display()))?;
    if is_json(path) {
        let read = crate::config_json::read(&text);
        let mut problems = read.problems;
        problems.extend(semantic_problems(&read.config));
        return Ok(Checked { problems, notes: read.notes, config: read.config });
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
            ("retention" | "profiles" | "connection", _) => problems.push(format!("{key}: must be a table ([{key}])")),
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
                }
            }
        }
    }
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
    if let Some(dir) = config.backup_dir.as_ref().filter(|d| !d.is_dir()) {
        problems.push(format!("backup_dir: {} is not a directory", dir.display()));
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
        match e.args().encryption() {
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

/// The directory a command works on: `given`, else the default of the config file at
/// `config_path` (read only when needed).
pub fn backup_dir(given: Option<PathBuf>, config_path: Option<&Path>) -> Result<PathBuf> {
    match given {
        Some(dir) => Config::default().backup_dir_or(Some(dir)),
        None => Config::load(config_path)?.backup_dir_or(None),
    }
}

/// Applies profile `name` (built-in or from the config) to `options`.
pub fn apply_profile(name: &str, config: &Config, options: &mut DumpOptions) -> Result<()> {
    let builtin = |n: &str, o: &mut DumpOptions| -> bool {
        match n {
            "full" => {}
            "structure-only" => o.data = false,
            "data-only" => o.structure = false,
            _ => return false,
        }
        true
    };
    options.profile = Some(name.to_string());
    if let Some(p) = config.profiles.get(name) {
        if let Some(base) = &p.base {
            if !builtin(base, options) {
                bail!("profile '{name}': base '{base}' is not one of full, structure-only, data-only");
            }
        }
        apply(p, options);
        if name == "minimal" && p.tables.is_empty() {
            bail!("profile 'minimal' in the config lists no tables (tables = [\"schema.table\", …])");
        }
        return Ok(());
    }
    if builtin(name, options) {
        return Ok(());
    }
    if name == "minimal" {
        bail!("profile 'minimal' dumps the main tables listed in pgark.toml: add [profiles.minimal] tables = [\"schema.table\", …]");
    }
    let known: Vec<&str> = ["full", "structure-only", "data-only", "minimal"]
        .into_iter()
        .chain(config.profiles.keys().map(String::as_str))
        .collect();
    bail!("unknown profile '{name}' (known: {})", known.join(", "))
}

fn apply(p: &Profile, o: &mut DumpOptions) {
    o.filter.schemas.extend(p.schemas.iter().cloned());
    o.filter.exclude_schemas.extend(p.exclude_schemas.iter().cloned());
    o.filter.tables.extend(p.tables.iter().cloned());
    o.filter.exclude_tables.extend(p.exclude_tables.iter().cloned());
    o.data &= !p.no_data;
    o.structure &= !p.no_structure;
    if p.no_compress {
        o.compression = pgark_engine::Compression::None;
    }
    let toggles = KindToggles {
        no_functions: p.no_functions,
        no_rls: p.no_rls,
        no_triggers: p.no_triggers,
        no_indexes: p.no_indexes,
        no_constraints: p.no_constraints,
        no_views: p.no_views,
    };
    toggles.add_to(&mut o.exclude_kinds);
}

#[cfg(test)]
mod check_tests {
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
backup_dir = "/nonexistent/backups"
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

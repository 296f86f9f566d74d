//! The config file: `pgark.toml`, or the original system's `backup-config.json` (`json.rs`),
//! found by [`locate`], read by [`Config::load`], checked key by key by [`check_file`]. Plain
//! data and rules only: nothing here knows the command line.
//!
//! ```toml
//! backup_dir = "/var/backups/pg"
//! [profiles.minimal]          # `--profile minimal`: structure and data of these tables only
//! tables = ["public.users", "public.orders"]
//!
//! [profiles.nightly]          # any name; every field optional
//! base = "full"               # full | structure-only | data-only
//! exclude_schemas = ["audit"]
//! no_functions = true
//! ```

mod alerts;
mod check;
mod edit;
pub mod json;
mod profile;
mod schedule;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use pgark_engine::{ConnectOptions, Encryption, Retention, SecretString};
use serde::Deserialize;

pub use alerts::{Alerts, DEFAULT_CHECK_EVERY, DEFAULT_LATE_AFTER, DEFAULT_MAX_AGE};
pub use check::{check_file, Checked};
pub use edit::{edit, Value};
pub use profile::{apply_profile, leave_out, Profile, TOGGLES};
pub use schedule::{Schedule, Task, Zone};

/// The config file.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The backup directory: where `dump` writes without `--output` and what `list` lists.
    pub backup_dir: Option<PathBuf>,
    /// The database `dump` reads when neither --db, $PGARK_DATABASE_URL nor --project-ref is given.
    #[serde(default)]
    pub connection: ConnectionConfig,
    /// Whether dumps write `<archive>.txt` beside the archive (default: into a backup directory, yes).
    pub info_file: Option<bool>,
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
    /// What `check`, the daemon and scheduled runs hold the backup directory to and alert on.
    #[serde(default)]
    pub alerts: Alerts,
    /// The time zone of schedules that name none (default: the machine's).
    pub timezone: Option<String>,
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
    /// The encryption it asks for (`None` when it names neither recipients nor a passphrase).
    pub fn encryption(&self) -> Result<Option<Encryption>> {
        let passphrase = read_passphrase(self.passphrase_env.as_deref(), self.passphrase_file.as_deref())?;
        encryption(self.recipients.clone(), self.recipients_file.as_slice(), passphrase)
    }
}

/// A passphrase from an environment variable or a file's first line; refuses an empty one or an
/// unset variable. `None` when neither is named.
pub fn read_passphrase(var: Option<&str>, file: Option<&Path>) -> Result<Option<SecretString>> {
    let text = match (var, file) {
        (Some(var), _) => {
            std::env::var(var).map_err(|_| anyhow::anyhow!("the passphrase variable {var} is not set"))?
        }
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the passphrase file {}", path.display()))?;
            text.lines().next().unwrap_or("").to_string()
        }
        (None, None) => return Ok(None),
    };
    if text.is_empty() {
        bail!("the passphrase is empty");
    }
    Ok(Some(SecretString::from(text)))
}

/// Encryption to `recipients` and those of `files` (one per line, # comments, as age -R reads
/// them), or with `passphrase`; `None` when there are neither.
pub fn encryption(
    mut recipients: Vec<String>,
    files: &[PathBuf],
    passphrase: Option<SecretString>,
) -> Result<Option<Encryption>> {
    for file in files {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading recipients file {}", file.display()))?;
        recipients
            .extend(text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string));
    }
    if recipients.is_empty() && passphrase.is_none() {
        if !files.is_empty() {
            bail!("the recipients files hold no recipient");
        }
        return Ok(None);
    }
    let encryption = Encryption { recipients, passphrase };
    encryption.check()?;
    Ok(Some(encryption))
}

impl Notifications {
    /// Whether any channel is enabled.
    pub fn any_enabled(&self) -> bool {
        self.webhook.as_ref().is_some_and(|w| w.enabled) || self.email.as_ref().is_some_and(|e| e.enabled)
    }

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

impl Config {
    /// The backup directory when none is given: `--backup-dir`, else `$PGARK_BACKUP_DIR`, else
    /// `backup_dir` (flags > environment > config).
    pub fn default_backup_dir(&self) -> Option<PathBuf> {
        BACKUP_DIR
            .get()
            .cloned()
            .or_else(|| std::env::var_os("PGARK_BACKUP_DIR").filter(|d| !d.is_empty()).map(PathBuf::from))
            .or(self.backup_dir.clone())
    }

    /// `given`, else [`Config::default_backup_dir`]; an error when there is neither.
    fn chosen_backup_dir(&self, given: Option<PathBuf>) -> Result<PathBuf> {
        given.or_else(|| self.default_backup_dir()).context(
            "no backup directory: give one (--backup-dir DIR), set PGARK_BACKUP_DIR, or set backup_dir in the config",
        )
    }

    /// The directory a command reads: `given`, else [`Config::default_backup_dir`]; it must exist.
    pub fn backup_dir_or(&self, given: Option<PathBuf>) -> Result<PathBuf> {
        let dir = self.chosen_backup_dir(given)?;
        if !dir.is_dir() {
            match dir.exists() {
                true => bail!("{} is not a directory", dir.display()),
                false => bail!("the backup directory {} does not exist yet (a dump into it creates it)", dir.display()),
            }
        }
        Ok(dir)
    }

    /// The directory a command writes into (a dump, a scheduled run, `schedule install`): `given`,
    /// else [`Config::default_backup_dir`], created (mode 0700, with missing parents) when it does
    /// not exist yet.
    pub fn backup_dir_created(&self, given: Option<PathBuf>) -> Result<PathBuf> {
        let dir = self.chosen_backup_dir(given)?;
        create_backup_dir(&dir)?;
        Ok(dir)
    }

    /// [`Config::load`] for a command that only reads the config for what it adds (notifications,
    /// keys): a config found by default that cannot be read is warned about and left aside.
    pub fn load_for_notices(path: Option<&Path>) -> Result<Config> {
        match Config::load(path) {
            Err(e) if path.is_none() => {
                eprintln!("warning: the config was not read: {e:#}");
                Ok(Config::default())
            }
            other => other,
        }
    }

    /// Reads the config file [`locate`] finds (the original `backup-config.json` too: its unknown
    /// keys are printed as notes); else an empty config.
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let Some(path) = locate(path) else { return Ok(Config::default()) };
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading config {}", path.display()))?;
        if !is_json(&path) {
            let config: Config = toml::from_str(&text).with_context(|| format!("config {}", path.display()))?;
            return Ok(config.with_defaults());
        }
        let read = json::read(&text);
        // Keys pgark does not use: named, all in one warning, never fatal.
        if !read.notes.is_empty() {
            eprintln!("warning: {}: ignored: {}", path.display(), read.notes.join("; "));
        }
        if !read.problems.is_empty() {
            bail!("config {}: {}", path.display(), read.problems.join("; "));
        }
        Ok(read.config.with_defaults())
    }

    /// The config with what one setting gives others filled in: schedules without a time zone
    /// get the config's `timezone`.
    pub fn with_defaults(mut self) -> Config {
        for s in self.schedules.values_mut().filter(|s| s.timezone.is_none()) {
            s.timezone = self.timezone.clone();
        }
        self
    }
}

/// `--backup-dir`, set once at start.
static BACKUP_DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Sets the backup directory every command uses when it is given none (`--backup-dir`).
pub fn set_backup_dir(dir: PathBuf) {
    let _ = BACKUP_DIR.set(dir);
}

/// Creates `dir` as a backup directory (mode 0700, with missing parents) unless it is one; a file
/// in its place is an error.
pub fn create_backup_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    if dir.exists() {
        bail!(
            "{} is a file, not a directory: an archive file's name ends in .pgark (-o NAME.pgark); any other \
             name is a backup directory",
            dir.display()
        );
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating the backup directory {}", dir.display()))
}

/// Where an archive named on the command line is: `path` when it exists or has a folder in it;
/// a bare file name that is not in the current folder is looked for in the backup directory
/// (`--backup-dir`, `$PGARK_BACKUP_DIR`, `backup_dir` of the config at `config`).
pub fn find_archive(path: PathBuf, config: Option<&Path>) -> PathBuf {
    if path.exists() || path.components().count() != 1 {
        return path;
    }
    let dir = Config::load(config).unwrap_or_default().default_backup_dir();
    match dir.map(|d| d.join(&path)) {
        Some(found) if found.exists() => found,
        _ => path,
    }
}

/// Where a config file is looked for, in order, when none is named: pgark's own, then the
/// original system's in the current folder and where its install script put it.
pub const DEFAULT_PLACES: [&str; 3] = ["pgark.toml", "backup-config.json", "backups/mcp/config/backup-config.json"];

/// The config file: `path`, else `$PGARK_CONFIG`, else the first of [`DEFAULT_PLACES`] that exists.
pub fn locate(path: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = path {
        return Some(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("PGARK_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    DEFAULT_PLACES.into_iter().map(PathBuf::from).find(|p| p.is_file())
}

/// Whether `path` is the original system's JSON config rather than `pgark.toml`.
pub fn is_json(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// The directory a command reads: `given`, else the default of the config file at
/// `config_path` (read only when needed).
pub fn backup_dir(given: Option<PathBuf>, config_path: Option<&Path>) -> Result<PathBuf> {
    match given {
        Some(dir) => Config::default().backup_dir_or(Some(dir)),
        None => Config::load(config_path)?.backup_dir_or(None),
    }
}

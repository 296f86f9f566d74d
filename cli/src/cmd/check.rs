//! `pgark check [DIR]`: is this backup directory healthy? One line per problem; exit status
//! 0 healthy, 1 warning, 2 critical — for cron, Nagios-style monitors and container health
//! checks. `--notify` pushes each new problem as an alert, once, and a "resolved" message when
//! it goes away.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::Args;
use pgark_engine::{check_backups, parse_age, read_history, HealthRules, Severity};

use crate::config::Config;
use crate::notify::alerts::{self, Change};
use crate::units::parse_size;

/// `pgark check` arguments; each rule not given comes from `[alerts]` in the config.
#[derive(Args)]
pub struct CheckArgs {
    /// The directory (default: backup_dir in the config).
    pub dir: Option<PathBuf>,
    /// Critical when the newest backup is older than this (26h, 2d; default: [alerts] max_age, else 26h).
    #[arg(long, value_parser = parse_age)]
    pub max_age: Option<chrono::Duration>,
    /// Warning when the backup volume has less free space than this (10GiB; default: [alerts] min_free).
    #[arg(long, value_parser = parse_size)]
    pub min_free: Option<u64>,
    /// Verify every chunk of the newest backup (critical when it fails). Without it, the
    /// newest backup's last recorded verify decides (critical when it failed).
    #[arg(long)]
    pub verify_newest: bool,
    /// Warning when the newest backup has never been verified (also [alerts] require_verified).
    #[arg(long)]
    pub require_verified: bool,
    /// Critical unless a restore drill (`pgark drill`) passed within this time (7d; default:
    /// [alerts] max_drill_age).
    #[arg(long, value_parser = parse_age)]
    pub max_drill_age: Option<chrono::Duration>,
    /// Push alerts through the configured notifications: one for each problem that is new since
    /// the last check, and a "resolved" message for each that went away (once per incident).
    #[arg(long)]
    pub notify: bool,
    /// Config file (default: $PGARK_CONFIG, else ./pgark.toml, else ./backup-config.json).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The rules for `dir` at `now` from the config: `[alerts]`, and the scheduled runs that were
/// due when `dir` is the config's backup directory (its schedules write there).
pub fn configured_rules(config: &Config, dir: &Path, now: DateTime<Utc>) -> Result<HealthRules> {
    let history = read_history(dir)?.0;
    let same = |a: &Path, b: &Path| std::fs::canonicalize(a).ok() == std::fs::canonicalize(b).ok();
    let none = Default::default();
    let schedules = match config.default_backup_dir() {
        Some(d) if same(&d, dir) => &config.schedules,
        _ => &none,
    };
    Ok(config.alerts.rules(schedules, &history, now))
}

/// Checks `dir` by `rules` at `now`, and with `notify` brings its alerts in line; prints each alert
/// change on stderr. Returns the health.
pub fn check_and_alert(
    dir: &Path,
    rules: &HealthRules,
    config: &Config,
    notify: bool,
    now: DateTime<Utc>,
) -> Result<pgark_engine::Health> {
    let health = check_backups(dir, rules, now)?;
    if notify {
        for change in alerts::sync(dir, &config.notifications, &health.problems, now)? {
            match change {
                Change::Opened(key, sent) | Change::Retried(key, sent) => {
                    eprintln!("alert {key}: {}", if sent { "sent" } else { "NOT sent (tried again at the next check)" })
                }
                Change::Resolved(key) => eprintln!("alert {key}: resolved, sent"),
            }
        }
    }
    Ok(health)
}

/// Runs `pgark check`.
pub fn run(args: CheckArgs) -> Result<ExitCode> {
    let config = Config::load(args.config.as_deref())?;
    let dir = config.backup_dir_or(args.dir)?;
    let now = crate::clock::now();
    let mut rules = configured_rules(&config, &dir, now)?;
    rules.max_age = args.max_age.or(rules.max_age);
    rules.min_free = args.min_free.or(rules.min_free);
    rules.verify_newest = args.verify_newest;
    rules.require_verified |= args.require_verified;
    rules.max_drill_age = args.max_drill_age.or(rules.max_drill_age);
    let health = check_and_alert(&dir, &rules, &config, args.notify, now)?;
    if args.json {
        let status = ["ok", "warning", "critical"][health.exit_code() as usize];
        let value = serde_json::json!({"status": status, "health": health});
        println!("{}", serde_json::to_string_pretty(&value).context("encoding the health")?);
    } else if health.problems.is_empty() {
        if crate::progress::is_quiet() {
            return Ok(ExitCode::SUCCESS);
        }
        let newest = health.newest.as_deref().unwrap_or("-");
        let age = health.newest_age_seconds.map(|s| format!(", {:.1} h old", s as f64 / 3600.0)).unwrap_or_default();
        println!("OK: {}: newest backup {newest}{age}", dir.display());
    } else {
        for p in &health.problems {
            let level = if p.severity == Severity::Critical { "CRITICAL" } else { "WARNING" };
            println!("{level}: {} ({})", p.message, p.kind);
        }
    }
    Ok(ExitCode::from(health.exit_code()))
}

//! `pgark schedule status|enable|disable`: the schedules of the config file — their rules, next
//! and last runs — and editing them in place.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use pgark_engine::{read_history, RunKind};

use crate::config::{edit, Value};
use crate::config::{locate, Config};

/// `pgark schedule` subcommands.
#[derive(Subcommand)]
pub enum ScheduleCommand {
    /// Each schedule: rule, profile, enabled, next run, last run and its result.
    Status {
        /// Config file (default: $PGARK_CONFIG, else ./pgark.toml, else ./backup-config.json).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Enable (creating or changing) a schedule: `enable daily 02:30`, `enable weekly 03:00
    /// --day sunday`, `enable monthly 04:00 --day 1`, `enable NAME --cron "*/30 * * * *"`; also
    /// the original form `enable daily 02:30 full`, `enable weekly 03:00 full sunday`,
    /// `enable monthly 04:00 full 1` (time, profile, day).
    Enable {
        /// daily, weekly, monthly, or a name of your own (with --every or --cron).
        name: String,
        /// HH:MM.
        time: Option<String>,
        /// The original form's profile, then day.
        #[arg(num_args = 0..=2, value_name = "PROFILE [DAY]")]
        rest: Vec<String>,
        /// Weekday (weekly) or day of the month (monthly).
        #[arg(long)]
        day: Option<String>,
        /// daily, weekly or monthly (default: the name, when it is one of them).
        #[arg(long)]
        every: Option<String>,
        /// A cron expression instead of a time.
        #[arg(long, conflicts_with_all = ["time", "day", "every"])]
        cron: Option<String>,
        /// The dump profile.
        #[arg(long)]
        profile: Option<String>,
        /// What the schedule runs: dump (default), verify (every archive), drill (the newest),
        /// prune — e.g. a monthly verify and a quarterly drill beside the nightly dump.
        #[arg(long, value_parser = |t: &str| crate::config::Task::parse(t).map(|_| t.to_string()))]
        task: Option<String>,
        /// UTC (default) or a fixed offset like +02:00.
        #[arg(long)]
        timezone: Option<String>,
        /// Config file to edit (default as for status; ./pgark.toml is created if there is none).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// One run now, as the scheduler does it: the schedule's task — a dump into the backup
    /// directory with its profile, the new archive verified, prune by the configured retention;
    /// or a verify of every archive, a drill, a prune — then check --notify. One run at a time
    /// per directory (a lock).
    Run {
        /// The schedule, or a profile (the original `run full`); default: a dump with the
        /// config's profile.
        name: Option<String>,
        /// Config file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Append the run's output to this file (kept under 1 MiB, three older ones kept).
        #[arg(long)]
        log: Option<PathBuf>,
    },
    /// Write the enabled schedules into the user's crontab (a marked block; the user's other
    /// entries are kept), or as systemd user timers; logs go to <backup dir>/.pgark/logs.
    Install {
        /// systemd user units (pgark-NAME.service/.timer) instead of crontab entries.
        #[arg(long)]
        systemd: bool,
        /// Where the systemd units go (default: ~/.config/systemd/user).
        #[arg(long, requires = "systemd")]
        unit_dir: Option<PathBuf>,
        /// Config file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Remove what `install` wrote (the crontab block, or the pgark systemd units).
    Remove {
        /// The systemd units instead of the crontab block.
        #[arg(long)]
        systemd: bool,
        /// Where the systemd units are.
        #[arg(long, requires = "systemd")]
        unit_dir: Option<PathBuf>,
    },
    /// Disable a schedule (kept in the file).
    Disable {
        /// The schedule.
        name: String,
        /// Config file to edit.
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

/// Runs `pgark schedule …`.
pub fn run(command: ScheduleCommand) -> Result<ExitCode> {
    match command {
        ScheduleCommand::Status { config, json } => status(config.as_deref(), json),
        ScheduleCommand::Enable { name, time, rest, day, every, cron, profile, task, timezone, config } => {
            let mut rest = rest.into_iter();
            let (rest_profile, rest_day) = (rest.next(), rest.next());
            if rest_profile.is_some() && profile.is_some() {
                bail!("schedule {name}: the profile is given twice (positional and --profile)");
            }
            if rest_day.is_some() && day.is_some() {
                bail!("schedule {name}: the day is given twice (positional and --day)");
            }
            let (profile, day) = (profile.or(rest_profile), day.or(rest_day));
            let path = locate(config.as_deref()).unwrap_or_else(|| PathBuf::from("pgark.toml"));
            let every = every.or_else(|| ["daily", "weekly", "monthly"].contains(&name.as_str()).then(|| name.clone()));
            if cron.is_none() && (every.is_none() || time.is_none()) {
                bail!("schedule {name}: give a time (HH:MM) and --every daily|weekly|monthly, or --cron");
            }
            let text = |v: Option<String>| v.map(Value::Text);
            let cron_set = cron.is_some();
            let changes = [
                ("enabled", Some(Value::Bool(true))),
                ("every", if cron_set { None } else { text(every) }),
                ("time", if cron_set { None } else { text(time) }),
                ("day", if cron_set { None } else { text(day) }),
                ("cron", text(cron)),
                ("profile", text(profile)),
                ("task", text(task)),
                ("timezone", text(timezone)),
            ];
            // Keep what is not given (a profile set earlier stays).
            let changes: Vec<_> = changes
                .into_iter()
                .filter(|(k, v)| v.is_some() || (cron_set && matches!(*k, "every" | "time" | "day")))
                .collect();
            let before = std::fs::read(&path).ok();
            let old_problems = match &before {
                Some(_) => crate::config::check_file(&path)?.problems,
                None => Vec::new(),
            };
            edit(&path, &name, &changes)?;
            // The edit must not add a problem to the file: else it is put back as it was.
            let checked = crate::config::check_file(&path)?;
            let new: Vec<&String> = checked.problems.iter().filter(|p| !old_problems.contains(p)).collect();
            if !new.is_empty() {
                match before {
                    Some(b) => std::fs::write(&path, b)?,
                    None => std::fs::remove_file(&path)?,
                }
                bail!("schedule {name} not saved: {}", new.iter().map(|p| p.as_str()).collect::<Vec<_>>().join("; "));
            }
            let schedule = &checked.config.schedules[&name];
            println!(
                "{}: schedule {name} enabled: {}; next run {}",
                path.display(),
                schedule.describe(),
                schedule.next_run(crate::clock::now())?.format("%Y-%m-%d %H:%M UTC")
            );
            Ok(ExitCode::SUCCESS)
        }
        ScheduleCommand::Run { name, config, log } => crate::schedule::run(name.as_deref(), config, log.as_deref()),
        ScheduleCommand::Install { systemd, unit_dir, config } => install(systemd, unit_dir, config.as_deref()),
        ScheduleCommand::Remove { systemd, unit_dir } => {
            if systemd {
                let units = match unit_dir {
                    Some(d) => d,
                    None => crate::schedule::unit_dir()?,
                };
                for u in crate::schedule::remove_units(&units)? {
                    println!("removed {}", units.join(u).display());
                }
                println!("then: systemctl --user daemon-reload");
            } else {
                let table = crate::schedule::read_crontab()?;
                crate::schedule::write_crontab(&crate::schedule::replace_block(&table, None))?;
                println!("removed pgark's block from the crontab (other entries kept)");
            }
            Ok(ExitCode::SUCCESS)
        }
        ScheduleCommand::Disable { name, config } => {
            let path = locate(config.as_deref()).context("no config file: nothing to disable")?;
            if !Config::load(Some(&path))?.schedules.contains_key(&name) {
                bail!("{} has no schedule {name}", path.display());
            }
            edit(&path, &name, &[("enabled", Some(Value::Bool(false)))])?;
            println!("{}: schedule {name} disabled", path.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn status(config: Option<&Path>, json: bool) -> Result<ExitCode> {
    let path = locate(config).context("no config file: give --config FILE, or create ./pgark.toml")?;
    let config = Config::load(Some(&path))?;
    let now = crate::clock::now();
    let history = match config.default_backup_dir().filter(|d| d.is_dir()) {
        Some(dir) => read_history(&dir)?.0,
        None => Vec::new(),
    };
    let mut rows = Vec::new();
    for (name, s) in &config.schedules {
        let next = if s.enabled { Some(s.next_run(now)?) } else { None };
        // The last dump this schedule ran.
        let profile = s.profile.as_deref().unwrap_or("full");
        // (a verify, drill or prune schedule: the last run of that kind)
        let kind = s.task()?.run_kind();
        let last = history
            .iter()
            .rev()
            .find(|r| r.kind == kind && (kind != RunKind::Dump || r.schedule.as_deref() == Some(name)));
        let zone = s.zone()?;
        rows.push(serde_json::json!({
            "name": name, "enabled": s.enabled, "rule": s.cron_expr()?, "profile": profile,
            "timezone": zone.name(), "next_run": next,
            "last_run": last.map(|r| r.started), "last_status": last.map(|r| r.status),
        }));
        if !json {
            let next = next.map_or("-".to_string(), |n| zone.show(n));
            let last = last.map_or("never".to_string(), |r| {
                format!(
                    "{} {}",
                    r.started.format("%Y-%m-%d %H:%M UTC"),
                    serde_json::json!(r.status).as_str().unwrap_or("")
                )
            });
            println!("{name:<10} {:<50} next {next:<28} last {last}", s.describe());
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else if rows.is_empty() {
        println!("{}: no schedules (pgark schedule enable daily 02:30)", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `schedule install`: crontab block or systemd units for the enabled schedules.
fn install(systemd: bool, unit_dir: Option<PathBuf>, config: Option<&Path>) -> Result<ExitCode> {
    let path = locate(config).context("no config file: the schedules live in pgark.toml")?;
    let path = std::fs::canonicalize(&path).with_context(|| format!("finding {}", path.display()))?;
    let cfg = Config::load(Some(&path))?;
    let dir = std::fs::canonicalize(cfg.backup_dir_created(None)?)?;
    let exe = std::env::current_exe().context("finding the pgark binary")?;
    if !cfg.schedules.values().any(|s| s.enabled) {
        bail!("no schedule is enabled (pgark schedule enable daily 02:30)");
    }
    // With notifications, a check every 15 minutes pushes alerts: a run that never started is late.
    let watch = cfg.notifications.any_enabled();
    if cfg.schedules.values().any(|s| s.enabled && s.task().is_ok_and(|t| t != crate::config::Task::Prune)) {
        if let Some(warning) = crate::schedule::as_cron_would(&exe, &path, &cfg) {
            eprintln!("warning: {warning}");
        }
    }
    if systemd {
        let units = match unit_dir {
            Some(d) => d,
            None => crate::schedule::unit_dir()?,
        };
        let timers = crate::schedule::write_units(&units, &exe, &path, &dir, &cfg.schedules, watch)?;
        println!("wrote {} timer(s) in {}; then:", timers.len(), units.display());
        println!("  systemctl --user daemon-reload && systemctl --user enable --now {}", timers.join(" "));
    } else {
        let block = crate::schedule::cron_block(&exe, &path, &dir, &cfg.schedules, watch)?;
        let table = crate::schedule::read_crontab()?;
        crate::schedule::write_crontab(&crate::schedule::replace_block(&table, Some(&block)))?;
        print!("installed in the crontab:\n{block}");
    }
    // Runs are expected from now on: `check` reports a run not done by its time (plus grace) as late.
    let now = crate::clock::now();
    let record = pgark_engine::Record::new(RunKind::Schedule, pgark_engine::RunStatus::Ok, now, now);
    pgark_engine::append_history(&dir, &record)?;
    Ok(ExitCode::SUCCESS)
}

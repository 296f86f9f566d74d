//! `schedule run`: one scheduled run — dump, verify, drill, prune — each step the pgark command a
//! user would run, one run at a time per backup directory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use crate::config::{locate, Config, Task};

/// What one run does: a schedule's task, or the original `run PROFILE`.
struct Job {
    task: Task,
    profile: Option<String>,
    drill: bool,
    schedule: Option<String>,
}

/// `schedule run`: the schedule's task — a dump (then verify of the new archive, a drill when the
/// schedule asks, prune), a verify of every archive, a drill of the newest, or a prune — each
/// step the pgark command a user would run, so the run is recorded, notified and interruptible
/// exactly as they are; then `check --notify` pushes the directory's alerts.
pub fn run(name: Option<&str>, config_path: Option<PathBuf>, log: Option<&Path>) -> Result<ExitCode> {
    let path = locate(config_path.as_deref());
    let config = Config::load(path.as_deref())?;
    let dir = config.backup_dir_created(None)?;
    let job = match name {
        Some(n) => match config.schedules.get(n) {
            Some(s) => {
                Job { task: s.task()?, profile: s.profile.clone(), drill: s.drill, schedule: Some(n.to_string()) }
            }
            // The original `run full`: a run with that profile.
            None if crate::config::apply_profile(n, &config, &mut pgark_engine::DumpOptions::default()).is_ok() => {
                Job { task: Task::Dump, profile: Some(n.to_string()), drill: false, schedule: None }
            }
            None => bail!("the config has no schedule {n}, and {n} is no profile either"),
        },
        None => Job { task: Task::Dump, profile: config.profile.clone(), drill: false, schedule: None },
    };
    // One run at a time per directory: held until the run ends.
    let _lock = match crate::files::lock(&dir, "schedule.lock", false)? {
        Some(lock) => lock,
        None => {
            eprintln!("another scheduled run into {} is in progress; this one is skipped", dir.display());
            return Ok(ExitCode::from(75));
        }
    };
    let log_file = match log {
        Some(l) => {
            let mut f = super::install::rotating_log(l)?;
            use std::io::Write;
            writeln!(
                f,
                "== pgark schedule run {} at {}",
                name.unwrap_or("(default)"),
                crate::clock::now().to_rfc3339()
            )?;
            Some(f)
        }
        None => None,
    };
    let steps = Steps { me: std::env::current_exe().context("finding the pgark binary")?, config: path, log: log_file };
    let dir_s = dir.to_string_lossy().into_owned();
    let ok = match job.task {
        Task::Dump => dump_steps(&steps, &job, &dir, &config)?,
        Task::Verify => steps.pgark(&["verify", "--all", "-q", &dir_s])?,
        Task::Drill => steps.pgark(&["drill", "-q", &dir_s])?,
        Task::Prune => steps.pgark(&["prune", &dir_s, "--yes"])?,
    };
    // The directory's problems (late, low space, corrupt, a failed prune) pushed as alerts, once
    // per incident; its exit status is the health's, not this run's.
    steps.pgark(&["check", "--notify", "-q", &dir_s])?;
    if let Some(file) = &config.metrics_file {
        if let Err(e) = crate::files::replace(file, pgark_engine::backup_metrics(&dir, crate::clock::now())?) {
            eprintln!("warning: the metrics were not written: {e:#}");
        }
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Runs the pgark binary for each step, with the run's config and log.
struct Steps {
    me: PathBuf,
    config: Option<PathBuf>,
    log: Option<std::fs::File>,
}

impl Steps {
    /// Runs `pgark ARGS`; says whether it succeeded.
    fn pgark(&self, args: &[&str]) -> Result<bool> {
        let mut cmd = std::process::Command::new(&self.me);
        cmd.args(args);
        if let Some(p) = &self.config {
            cmd.arg("--config").arg(p);
        }
        if let Some(f) = &self.log {
            cmd.stdout(f.try_clone()?).stderr(f.try_clone()?);
        }
        Ok(cmd.status().with_context(|| format!("running pgark {}", args.join(" ")))?.success())
    }
}

/// A dump into `dir`, then verify of the new archive (and a drill when asked), then prune by the
/// configured retention; says whether all succeeded.
fn dump_steps(steps: &Steps, job: &Job, dir: &Path, config: &Config) -> Result<bool> {
    let before = archives(dir)?;
    let dir_s = dir.to_string_lossy().into_owned();
    let mut dump = vec!["dump", "-q", "-o", dir_s.as_str()];
    if let Some(p) = &job.profile {
        dump.extend(["--profile", p.as_str()]);
    }
    if let Some(n) = &job.schedule {
        dump.extend(["--schedule", n.as_str()]);
    }
    if !steps.pgark(&dump)? {
        return Ok(false);
    }
    // verify and drill record their results and notify their failures themselves.
    for archive in archives(dir)?.difference(&before) {
        let path = dir.join(archive).to_string_lossy().into_owned();
        if !steps.pgark(&["verify", "-q", &path])? {
            eprintln!("the new archive {archive} fails verify");
            return Ok(false);
        }
        if job.drill && !steps.pgark(&["drill", "-q", &path])? {
            eprintln!("the restore drill of the new archive {archive} failed");
            return Ok(false);
        }
    }
    if config.retention.is_empty() {
        println!("no [retention] in the config: nothing pruned");
        return Ok(true);
    }
    steps.pgark(&["prune", &dir_s, "--yes"])
}

/// The `.pgark` files of `dir`.
fn archives(dir: &Path) -> Result<std::collections::HashSet<String>> {
    Ok(std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".pgark") && !n.starts_with('.'))
        .collect())
}

//! `schedule run`: one scheduled run — dump, verify, drill, prune — each step the pgark command a
//! user would run, one run at a time per backup directory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use crate::config::{locate, Config};

/// `schedule run`: dump, verify, drill (when the schedule asks), prune — each step the pgark
/// command a user would run, so the run is recorded, notified and interruptible exactly as they are.
pub fn run(name: Option<&str>, config_path: Option<PathBuf>, log: Option<&Path>) -> Result<ExitCode> {
    let path = locate(config_path.as_deref());
    let config = Config::load(path.as_deref())?;
    let dir = config.backup_dir_created(None)?;
    let (profile, drill) = match name {
        Some(n) => match config.schedules.get(n) {
            Some(s) => (s.profile.clone(), s.drill),
            // The original `run full`: a run with that profile.
            None if crate::config::apply_profile(n, &config, &mut pgark_engine::DumpOptions::default()).is_ok() => {
                (Some(n.to_string()), false)
            }
            None => bail!("the config has no schedule {n}, and {n} is no profile either"),
        },
        None => (config.profile.clone(), false),
    };
    let _lock = match RunLock::take(&dir)? {
        Some(lock) => lock,
        None => {
            eprintln!("another scheduled run into {} is in progress; this one is skipped", dir.display());
            return Ok(ExitCode::from(75));
        }
    };
    let me = std::env::current_exe().context("finding the pgark binary")?;
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
    let pgark = |args: &[&str]| -> Result<std::process::ExitStatus> {
        let mut cmd = std::process::Command::new(&me);
        cmd.args(args);
        if let Some(p) = &path {
            cmd.arg("--config").arg(p);
        }
        if let Some(f) = &log_file {
            cmd.stdout(f.try_clone()?).stderr(f.try_clone()?);
        }
        cmd.status().with_context(|| format!("running pgark {}", args.join(" ")))
    };
    let before: std::collections::HashSet<String> = archives(&dir)?;
    let dir_s = dir.to_string_lossy().into_owned();
    let mut dump = vec!["dump", "-q", "-o", dir_s.as_str()];
    if let Some(p) = &profile {
        dump.extend(["--profile", p.as_str()]);
    }
    if let Some(n) = name.filter(|n| config.schedules.contains_key(*n)) {
        dump.extend(["--schedule", n]);
    }
    if !pgark(&dump)?.success() {
        return Ok(ExitCode::FAILURE);
    }
    let new: Vec<String> = archives(&dir)?.difference(&before).cloned().collect();
    let mut code = ExitCode::SUCCESS;
    // verify and drill record their results and notify their failures themselves.
    for archive in &new {
        let path = dir.join(archive);
        if !pgark(&["verify", "-q", path.to_string_lossy().as_ref()])?.success() {
            eprintln!("the new archive {archive} fails verify");
            code = ExitCode::FAILURE;
        } else if drill && !pgark(&["drill", "-q", path.to_string_lossy().as_ref()])?.success() {
            eprintln!("the restore drill of the new archive {archive} failed");
            code = ExitCode::FAILURE;
        }
    }
    if code == ExitCode::SUCCESS {
        if config.retention.is_empty() {
            println!("no [retention] in the config: nothing pruned");
        } else if !pgark(&["prune", dir_s.as_str(), "--yes"])?.success() {
            code = ExitCode::FAILURE;
        }
    }
    // The directory's problems (late, low space, corrupt, a failed prune) pushed as alerts, once
    // per incident; its exit status is the health's, not this run's.
    pgark(&["check", "--notify", "-q", dir_s.as_str()])?;
    if let Some(file) = &config.metrics_file {
        if let Err(e) = crate::files::replace(file, pgark_engine::backup_metrics(&dir, crate::clock::now())?) {
            eprintln!("warning: the metrics were not written: {e:#}");
        }
    }
    Ok(code)
}

/// The `.pgark` files of `dir`.
fn archives(dir: &Path) -> Result<std::collections::HashSet<String>> {
    Ok(std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".pgark"))
        .collect())
}

/// The lock a scheduled run holds on `<dir>/.pgark/schedule.lock` (released when dropped).
struct RunLock {
    _file: std::fs::File,
}

impl RunLock {
    /// Takes the lock, or `None` when another run holds it.
    fn take(dir: &Path) -> Result<Option<RunLock>> {
        use std::os::fd::AsRawFd;
        let meta = dir.join(".pgark");
        std::fs::create_dir_all(&meta).with_context(|| format!("creating {}", meta.display()))?;
        let path = meta.join("schedule.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        // SAFETY: flock on a descriptor this process owns; no memory is passed.
        let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
        Ok(locked.then_some(RunLock { _file: file }))
    }
}

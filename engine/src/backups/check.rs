//! A backup directory's health, for cron, monitors and container health checks: the newest
//! backup too old (late), the last run failed, the newest backup failing verify (corrupt: now,
//! or as the history's last verify of it recorded), never verified when asked, low free space,
//! damaged archives. Each problem has a severity; the worst decides the exit status
//! (0 healthy, 1 warning, 2 critical).

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::history::{read_history, RunKind, RunStatus};
use super::listing::{list_with, ListedState};
use super::report::volume;
use crate::archive::Archive;
use crate::error::Result;
use crate::progress::NoProgress;
use crate::verify::verify;

/// What `check` checks (a rule left `None` is not checked).
#[derive(Debug, Clone, Default)]
pub struct HealthRules {
    /// The newest backup must be younger than this.
    pub max_age: Option<Duration>,
    /// The backup volume must have at least this many bytes free.
    pub min_free: Option<u64>,
    /// Verify every chunk of the newest backup.
    pub verify_newest: bool,
    /// A drill (`pgark drill`) must have passed within this time.
    pub max_drill_age: Option<Duration>,
    /// The newest backup must have been verified (a warning when it never was).
    pub require_verified: bool,
}

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth a look (exit status 1).
    Warning,
    /// Backups are not being made or cannot be trusted (exit status 2).
    Critical,
}

/// One problem found.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// Warning or critical.
    pub severity: Severity,
    /// `none`, `late`, `failed`, `corrupt`, `unverified`, `low-space`, `damaged` or `no-drill`.
    pub kind: &'static str,
    /// One line for people.
    pub message: String,
}

/// What `check` found.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// The newest backup's file name.
    pub newest: Option<String>,
    /// Its age in seconds.
    pub newest_age_seconds: Option<i64>,
    /// Whether it passed verify (when checked).
    pub newest_verified: Option<bool>,
    /// Free bytes on the backup volume.
    pub volume_free_bytes: u64,
    /// Every problem, worst first.
    pub problems: Vec<Problem>,
}

impl Health {
    /// 0 healthy, 1 warnings only, 2 anything critical.
    pub fn exit_code(&self) -> u8 {
        match self.problems.iter().map(|p| p.severity).max() {
            None => 0,
            Some(Severity::Warning) => 1,
            Some(Severity::Critical) => 2,
        }
    }
}

/// Checks `dir` against `rules` at `now`.
pub fn check(dir: &Path, rules: &HealthRules, now: DateTime<Utc>) -> Result<Health> {
    let (history, _) = read_history(dir)?;
    let listed = list_with(dir, &history)?;
    let mut problems = Vec::new();
    let mut problem = |severity, kind, message: String| problems.push(Problem { severity, kind, message });
    let newest = listed
        .iter()
        .filter_map(|l| match &l.state {
            ListedState::Archive(a) => Some((l, a)),
            _ => None,
        })
        .max_by_key(|(_, a)| a.snapshot_time);
    let age = newest.map(|(_, a)| now - a.snapshot_time);
    match (newest, age, rules.max_age) {
        (None, ..) => problem(Severity::Critical, "none", format!("no backup in {}", dir.display())),
        (Some((l, _)), Some(age), Some(max)) if age > max => problem(
            Severity::Critical,
            "late",
            format!("the newest backup, {}, is {} old (more than {})", l.file, human(age), human(max)),
        ),
        _ => {}
    }
    let last_dump = history.iter().rev().find(|r| r.kind == RunKind::Dump);
    if let Some(r) = last_dump.filter(|r| r.status != RunStatus::Ok) {
        let what = if r.status == RunStatus::Interrupted { "was interrupted" } else { "failed" };
        let error = r.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
        problem(
            Severity::Warning,
            "failed",
            format!("the last dump ({}) {what}{error}", r.started.format("%Y-%m-%d %H:%M UTC")),
        );
    }
    if let Some(max) = rules.max_drill_age {
        let passed = history.iter().rev().find(|r| r.kind == RunKind::Drill && r.status == RunStatus::Ok);
        let last = history.iter().rev().find(|r| r.kind == RunKind::Drill);
        let failed_since = last.filter(|r| r.status != RunStatus::Ok).and_then(|r| r.error.as_deref());
        let why = failed_since.map(|e| format!("; the last one failed: {e}")).unwrap_or_default();
        match passed {
            None => problem(Severity::Critical, "no-drill", format!("no restore drill has passed{why}")),
            Some(r) if now - r.finished > max => problem(
                Severity::Critical,
                "no-drill",
                format!(
                    "the last passing restore drill was {} ago (more than {}){why}",
                    human(now - r.finished),
                    human(max)
                ),
            ),
            _ => {}
        }
    }
    let mut newest_verified = None;
    // Without a verify now, the history's last verify of the newest backup decides.
    if let (false, Some((l, a))) = (rules.verify_newest, newest) {
        match &a.last_verify {
            Some(v) if !v.ok => {
                newest_verified = Some(false);
                let why = v.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
                let when = v.time.format("%Y-%m-%d %H:%M UTC");
                problem(
                    Severity::Critical,
                    "corrupt",
                    format!("the newest backup, {}, failed verify ({when}){why}", l.file),
                );
            }
            Some(_) => newest_verified = Some(true),
            None if rules.require_verified => problem(
                Severity::Warning,
                "unverified",
                format!("the newest backup, {}, has never been verified (pgark verify {})", l.file, l.file),
            ),
            None => {}
        }
    }
    if let (true, Some((l, _))) = (rules.verify_newest, newest) {
        let report = Archive::open_locked(&dir.join(&l.file)).map(|a| verify(&a, &NoProgress));
        let failure = match &report {
            Ok(r) if r.ok() => None,
            Ok(r) => Some(r.problems.first().map(|p| p.to_string()).unwrap_or_default()),
            Err(e) => Some(e.to_string()),
        };
        newest_verified = Some(failure.is_none());
        if let Some(why) = failure {
            problem(Severity::Critical, "corrupt", format!("the newest backup, {}, fails verify: {why}", l.file));
        }
    }
    for l in &listed {
        if let ListedState::Unreadable { reason } = &l.state {
            problem(Severity::Warning, "damaged", format!("{} is a damaged archive: {reason}", l.file));
        }
    }
    let (free, _) = volume(dir)?;
    if let Some(min) = rules.min_free.filter(|&m| free < m) {
        problem(
            Severity::Warning,
            "low-space",
            format!("{} free on the volume of {} (less than {})", gib(free), dir.display(), gib(min)),
        );
    }
    problems.sort_by_key(|p| std::cmp::Reverse(p.severity));
    Ok(Health {
        newest: newest.map(|(l, _)| l.file.clone()),
        newest_age_seconds: age.map(|a| a.num_seconds()),
        newest_verified,
        volume_free_bytes: free,
        problems,
    })
}

/// `3.2 GiB`.
fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

/// `26h`, `3d 4h`, `15m`.
fn human(d: Duration) -> String {
    let (days, hours, minutes) = (d.num_days(), d.num_hours() % 24, d.num_minutes() % 60);
    match (days, hours) {
        (0, 0) => format!("{minutes}m"),
        (0, _) => format!("{hours}h{}", if minutes > 0 { format!(" {minutes}m") } else { String::new() }),
        _ => format!("{days}d {hours}h"),
    }
}

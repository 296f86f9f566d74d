//! A backup directory's health, for cron, monitors and container health checks: the newest
//! backup too old or a scheduled run not done (late), the last dump or prune failed, the newest
//! backup failing verify (corrupt: now, or as the history's last verify of it recorded; older
//! archives whose last verify failed too), never verified when asked, low free space, damaged
//! archives. Each problem has a severity; the worst decides the exit status
//! (0 healthy, 1 warning, 2 critical).

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::history::{read_history, Record, RunKind, RunStatus};
use super::listing::{list_with, Listed, ListedArchive, ListedState};
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
    /// Scheduled runs that must have succeeded by now (critical `late` otherwise).
    pub due: Vec<DueRun>,
}

/// A scheduled dump that was due: a dump of `profile` must have succeeded since `at` once
/// `grace` has passed.
#[derive(Debug, Clone)]
pub struct DueRun {
    /// The schedule's name.
    pub schedule: String,
    /// The profile it dumps (`None`: the default, `full`).
    pub profile: Option<String>,
    /// When the run was due.
    pub at: DateTime<Utc>,
    /// How long after `at` it may take to succeed.
    pub grace: Duration,
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
    /// `none`, `late`, `failed`, `corrupt`, `unverified`, `low-space`, `damaged`, `no-drill`
    /// or `prune-failed`.
    pub kind: &'static str,
    /// What it is about, when there can be several of a kind: an archive, a schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
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

impl Problem {
    /// What identifies one incident across checks: the kind and the subject.
    pub fn key(&self) -> String {
        match &self.subject {
            Some(s) => format!("{}:{s}", self.kind),
            None => self.kind.to_string(),
        }
    }
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

/// The problems found so far.
#[derive(Default)]
struct Found(Vec<Problem>);

impl Found {
    fn add(&mut self, severity: Severity, kind: &'static str, subject: Option<&str>, message: String) {
        self.0.push(Problem { severity, kind, subject: subject.map(str::to_string), message });
    }
}

/// An archive of the listing and what it holds.
type Entry<'a> = (&'a Listed, &'a ListedArchive);

/// Checks `dir` against `rules` at `now`.
pub fn check(dir: &Path, rules: &HealthRules, now: DateTime<Utc>) -> Result<Health> {
    let (history, _) = read_history(dir)?;
    let listed = list_with(dir, &history)?;
    let mut found = Found::default();
    let archives: Vec<Entry> = listed
        .iter()
        .filter_map(|l| match &l.state {
            ListedState::Archive(a) => Some((l, &**a)),
            _ => None,
        })
        .collect();
    let newest = archives.iter().copied().max_by_key(|(_, a)| a.snapshot_time);
    let age = newest.map(|(_, a)| now - a.snapshot_time);
    match (newest, age, rules.max_age) {
        (None, ..) => found.add(Severity::Critical, "none", None, format!("no backup in {}", dir.display())),
        (Some((l, _)), Some(age), Some(max)) if age > max => found.add(
            Severity::Critical,
            "late",
            None,
            format!("the newest backup, {}, is {} old (more than {})", l.file, human(age), human(max)),
        ),
        _ => {}
    }
    late_runs(&rules.due, &history, now, &mut found);
    failed_runs(&history, &mut found);
    if let Some(max) = rules.max_drill_age {
        drills(&history, max, now, &mut found);
    }
    let newest_verified = verification(dir, rules, &archives, newest, &mut found);
    for l in &listed {
        if let ListedState::Unreadable { reason } = &l.state {
            let message = format!("{} is a damaged archive: {reason}", l.file);
            found.add(Severity::Warning, "damaged", Some(&l.file), message);
        }
    }
    let (free, _) = volume(dir)?;
    if let Some(min) = rules.min_free.filter(|&m| free < m) {
        let message = format!("{} free on the volume of {} (less than {})", gib(free), dir.display(), gib(min));
        found.add(Severity::Warning, "low-space", None, message);
    }
    let mut problems = found.0;
    problems.sort_by_key(|p| std::cmp::Reverse(p.severity));
    Ok(Health {
        newest: newest.map(|(l, _)| l.file.clone()),
        newest_age_seconds: age.map(|a| a.num_seconds()),
        newest_verified,
        volume_free_bytes: free,
        problems,
    })
}

/// Scheduled runs past their grace with no successful dump of their profile since they were due.
fn late_runs(due: &[DueRun], history: &[Record], now: DateTime<Utc>, found: &mut Found) {
    // A run started a little before its time (a clock a minute fast) still counts.
    let early = Duration::minutes(1);
    for d in due.iter().filter(|d| now >= d.at + d.grace) {
        let profile = d.profile.as_deref().unwrap_or("full");
        let done = history.iter().any(|r| {
            r.kind == RunKind::Dump
                && r.status == RunStatus::Ok
                && r.started >= d.at - early
                && r.profile.as_deref().unwrap_or("full") == profile
        });
        if !done {
            let message = format!(
                "schedule {} (profile {profile}) was due at {} and no dump of it has succeeded since ({} ago)",
                d.schedule,
                d.at.format("%Y-%m-%d %H:%M UTC"),
                human(now - d.at)
            );
            found.add(Severity::Critical, "late", Some(&d.schedule), message);
        }
    }
}

/// The last dump and the last prune, when they failed.
fn failed_runs(history: &[Record], found: &mut Found) {
    let last_dump = history.iter().rev().find(|r| r.kind == RunKind::Dump);
    if let Some(r) = last_dump.filter(|r| r.status != RunStatus::Ok) {
        let what = if r.status == RunStatus::Interrupted { "was interrupted" } else { "failed" };
        let error = r.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
        let message = format!("the last dump ({}) {what}{error}", r.started.format("%Y-%m-%d %H:%M UTC"));
        found.add(Severity::Warning, "failed", None, message);
    }
    let last_prune = history.iter().rev().find(|r| r.kind == RunKind::Prune);
    if let Some(r) = last_prune.filter(|r| r.status != RunStatus::Ok) {
        let error = r.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
        let message = format!("the last prune ({}) failed{error}", r.started.format("%Y-%m-%d %H:%M UTC"));
        found.add(Severity::Warning, "prune-failed", None, message);
    }
}

/// A restore drill must have passed within `max`.
fn drills(history: &[Record], max: Duration, now: DateTime<Utc>, found: &mut Found) {
    let passed = history.iter().rev().find(|r| r.kind == RunKind::Drill && r.status == RunStatus::Ok);
    let last = history.iter().rev().find(|r| r.kind == RunKind::Drill);
    let failed_since = last.filter(|r| r.status != RunStatus::Ok).and_then(|r| r.error.as_deref());
    let why = failed_since.map(|e| format!("; the last one failed: {e}")).unwrap_or_default();
    let message = match passed {
        None => format!("no restore drill has passed{why}"),
        Some(r) if now - r.finished > max => format!(
            "the last passing restore drill was {} ago (more than {}){why}",
            human(now - r.finished),
            human(max)
        ),
        _ => return,
    };
    found.add(Severity::Critical, "no-drill", None, message);
}

/// The newest backup verified now (`verify_newest`) or by its last recorded verify (critical when
/// it failed, a warning when it never was and that is required); older archives whose last
/// verify failed (a warning each). Says whether the newest passed, when known.
fn verification(
    dir: &Path,
    rules: &HealthRules,
    archives: &[Entry],
    newest: Option<Entry>,
    found: &mut Found,
) -> Option<bool> {
    for (l, a) in archives.iter().filter(|(l, _)| Some(&l.file) != newest.map(|(n, _)| &n.file)) {
        if let Some(v) = a.last_verify.as_ref().filter(|v| !v.ok) {
            let why = v.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
            let when = v.time.format("%Y-%m-%d %H:%M UTC");
            let message = format!("{} failed verify ({when}){why}", l.file);
            found.add(Severity::Warning, "corrupt", Some(&l.file), message);
        }
    }
    let (l, a) = newest?;
    if rules.verify_newest {
        let report = Archive::open_locked(&dir.join(&l.file)).map(|a| verify(&a, &NoProgress));
        let failure = match &report {
            Ok(r) if r.ok() => None,
            Ok(r) => Some(r.problems.first().map(|p| p.to_string()).unwrap_or_default()),
            Err(e) => Some(e.to_string()),
        };
        if let Some(why) = &failure {
            let message = format!("the newest backup, {}, fails verify: {why}", l.file);
            found.add(Severity::Critical, "corrupt", Some(&l.file), message);
        }
        return Some(failure.is_none());
    }
    match &a.last_verify {
        Some(v) if !v.ok => {
            let why = v.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
            let when = v.time.format("%Y-%m-%d %H:%M UTC");
            let message = format!("the newest backup, {}, failed verify ({when}){why}", l.file);
            found.add(Severity::Critical, "corrupt", Some(&l.file), message);
            Some(false)
        }
        Some(_) => Some(true),
        None if rules.require_verified => {
            let message = format!("the newest backup, {}, has never been verified (pgark verify {})", l.file, l.file);
            found.add(Severity::Warning, "unverified", Some(&l.file), message);
            None
        }
        None => None,
    }
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

//! Alerts: problems of a backup directory (late, low space, corrupt or damaged archives, a failed
//! prune, …) pushed once per incident. The open incidents live in `<dir>/.pgark/alerts.json`;
//! each check ([`sync`]) sends an alert for a problem that was not open, nothing for one still
//! open, and a "resolved" message for one that went away. An alert whose sending failed is sent
//! again at the next check. A failed dump is not an alert: the dump notifies its own failure.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use pgark_engine::Problem;
use serde::{Deserialize, Serialize};

use super::{deliver, Message};
use crate::config::Notifications;

/// Problems that are runs notified as they happen, not incidents.
const NOTIFIED_BY_THEIR_RUN: [&str; 1] = ["failed"];

/// One open incident.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Incident {
    /// The problem's kind (`late`, `low-space`, …).
    pub kind: String,
    /// The problem, as first found.
    pub message: String,
    /// When it was first found.
    pub since: DateTime<Utc>,
    /// Whether its alert reached every channel that wants it.
    pub notified: bool,
}

/// What a sync did about one incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A new problem: its alert was sent (`true`: to every channel).
    Opened(String, bool),
    /// An open problem whose earlier alert had failed: sent again.
    Retried(String, bool),
    /// A problem that went away: "resolved" sent.
    Resolved(String),
}

/// The open incidents, by key (`kind` or `kind:subject`).
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    open: BTreeMap<String, Incident>,
}

/// The state file held under an exclusive lock (released when dropped), so a check and a
/// verify running at once never both send the same alert.
struct Locked {
    path: PathBuf,
    state: State,
    _lock: std::fs::File,
}

impl Locked {
    fn open(dir: &Path) -> Result<Locked> {
        let lock = crate::files::lock(dir, "alerts.lock", true)?.context("the alerts lock")?;
        let path = crate::files::meta_dir(dir).join("alerts.json");
        let state = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                eprintln!("warning: {} is not readable ({e}); starting with no open alerts", path.display());
                State::default()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        Ok(Locked { path, state, _lock: lock })
    }

    fn save(&self) -> Result<()> {
        crate::files::replace(&self.path, serde_json::to_vec_pretty(&self.state)?)
    }
}

/// Brings the open incidents of `dir` in line with `problems`, the whole of what a check found
/// at `now`: alerts for new ones, "resolved" for those gone; returns what changed.
pub fn sync(dir: &Path, channels: &Notifications, problems: &[Problem], now: DateTime<Utc>) -> Result<Vec<Change>> {
    let mut locked = Locked::open(dir)?;
    let mut changes = Vec::new();
    let current: Vec<&Problem> = problems.iter().filter(|p| !NOTIFIED_BY_THEIR_RUN.contains(&p.kind)).collect();
    for p in &current {
        if let Some(change) = open_one(&mut locked.state, dir, channels, p, now) {
            changes.push(change);
        }
    }
    let gone: Vec<String> =
        locked.state.open.keys().filter(|k| !current.iter().any(|p| &p.key() == *k)).cloned().collect();
    for key in gone {
        let incident = locked.state.open.remove(&key).expect("listed above");
        if incident.notified {
            let since = incident.since.format("%Y-%m-%d %H:%M UTC");
            let text = format!("{} (open since {since})", incident.message);
            deliver(channels, &Message::alert(&incident.kind, &text, true), Some(dir));
            changes.push(Change::Resolved(key));
        }
    }
    locked.save()?;
    Ok(changes)
}

/// Opens the incident of `problem` (found by a run: a verify that failed) and sends its alert,
/// unless it is open already; other open incidents are left as they are.
pub fn raise(dir: &Path, channels: &Notifications, problem: &Problem, now: DateTime<Utc>) -> Result<Option<Change>> {
    let mut locked = Locked::open(dir)?;
    let change = open_one(&mut locked.state, dir, channels, problem, now);
    locked.save()?;
    Ok(change)
}

fn open_one(
    state: &mut State,
    dir: &Path,
    channels: &Notifications,
    p: &Problem,
    now: DateTime<Utc>,
) -> Option<Change> {
    let key = p.key();
    match state.open.get_mut(&key) {
        Some(open) if open.notified => None,
        Some(open) => {
            open.notified = deliver(channels, &Message::alert(p.kind, &p.message, false), Some(dir));
            Some(Change::Retried(key, open.notified))
        }
        None => {
            let notified = deliver(channels, &Message::alert(p.kind, &p.message, false), Some(dir));
            let incident = Incident { kind: p.kind.to_string(), message: p.message.clone(), since: now, notified };
            state.open.insert(key.clone(), incident);
            Some(Change::Opened(key, notified))
        }
    }
}

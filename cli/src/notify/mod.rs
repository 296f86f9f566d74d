//! Notifications: a run's result (dump, drill; a verify that fails) and alerts (`alerts.rs`: a
//! problem of the backup directory, once when it begins and once when it is resolved), through
//! a webhook POST (a Slack-compatible `text` and the facts as fields) and email, each with a
//! timeout and retries. A failing notification is reported and recorded, never turning a good
//! backup into a failed one.

pub mod alerts;
mod email;
mod webhook;

use std::time::Duration;

use serde::Serialize;

use std::path::Path;

use pgark_engine::{Record, RunKind, RunStatus};

use crate::config::Notifications;

pub use email::send_email;
pub use webhook::send_webhook;

/// What a notification says.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// What it is about: `dump`, `verify`, `drill`, `alert` or `test`.
    pub event: &'static str,
    /// `ok`, `failed`, `alert` (a problem began) or `resolved` (it ended).
    pub status: &'static str,
    /// The database (empty when not known or not one).
    pub database: String,
    /// The archive written or checked.
    pub archive: Option<String>,
    /// Its size.
    pub size_bytes: Option<u64>,
    /// How long the run took.
    pub seconds: f64,
    /// What went wrong (an alert: the problem).
    pub error: Option<String>,
    /// An alert's kind: `late`, `low-space`, `corrupt`, `damaged`, `prune-failed`, …
    pub kind: Option<String>,
    /// The machine the run was on.
    pub host: String,
}

impl Message {
    /// The message of a finished run, from its history record.
    pub fn of_run(record: &Record) -> Message {
        Message {
            event: match record.kind {
                RunKind::Verify => "verify",
                RunKind::Drill => "drill",
                RunKind::Prune => "prune",
                _ => "dump",
            },
            status: if record.status == RunStatus::Ok { "ok" } else { "failed" },
            database: record.database.clone().unwrap_or_default(),
            archive: record.archive.clone(),
            size_bytes: record.stored_bytes.filter(|_| record.kind == RunKind::Dump),
            seconds: record.seconds,
            error: record.error.clone(),
            kind: None,
            host: host_name(),
        }
    }

    /// An alert that began (or, `resolved`, ended): `kind` and the problem in one line.
    pub fn alert(kind: &str, problem: &str, resolved: bool) -> Message {
        Message {
            event: "alert",
            status: if resolved { "resolved" } else { "alert" },
            database: String::new(),
            archive: None,
            size_bytes: None,
            seconds: 0.0,
            error: Some(problem.to_string()),
            kind: Some(kind.to_string()),
            host: host_name(),
        }
    }

    /// Whether it is good news (sent to the channels that want successes).
    pub fn is_good(&self) -> bool {
        self.status == "ok"
    }

    /// The headline (an email's subject).
    pub fn subject(&self) -> String {
        let outcome = match self.status {
            "ok" if self.event == "drill" => "passed",
            "ok" => "OK",
            _ => "FAILED",
        };
        let archive = self.archive.as_deref().unwrap_or("an archive");
        let db = if self.database.is_empty() { "(unknown database)" } else { &self.database };
        match self.event {
            "alert" => {
                let state = if self.status == "resolved" { "RESOLVED" } else { "ALERT" };
                format!("pgark {state} on {}: {}", self.host, self.kind.as_deref().unwrap_or("problem"))
            }
            "verify" => format!("pgark: verify of {archive} {outcome} on {}", self.host),
            "drill" => format!("pgark: restore drill of {archive} {outcome} on {}", self.host),
            "prune" => format!("pgark: prune {outcome} on {}", self.host),
            "test" => format!("pgark: test message from {}", self.host),
            _ => format!("pgark: backup of {db} {outcome} on {}", self.host),
        }
    }

    /// One line for people (Slack's `text`).
    pub fn text(&self) -> String {
        let mut s = self.subject();
        if self.event == "dump" {
            if let Some(a) = &self.archive {
                s.push_str(&format!(": {a}"));
            }
            if let Some(b) = self.size_bytes {
                s.push_str(&format!(" ({}, {:.1} s)", crate::units::bytes(b), self.seconds));
            }
        }
        if let Some(e) = &self.error {
            s.push_str(&format!(": {e}"));
        }
        s
    }
}

/// This machine's name.
pub fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into the buffer it is given.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    if ok {
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "unknown host".into()
    }
}

/// Attempts and waits between them.
pub(crate) const ATTEMPTS: u32 = 3;
pub(crate) const FIRST_WAIT: Duration = Duration::from_millis(500);

/// Sends `message` through every enabled channel that wants it (on success or on error);
/// returns each channel's result.
pub fn send(channels: &Notifications, message: &Message) -> Vec<(&'static str, Result<(), String>)> {
    let ok = message.is_good();
    let mut out = Vec::new();
    if let Some(w) = channels.webhook.as_ref().filter(|w| w.enabled && if ok { w.on_success } else { w.on_error }) {
        out.push(("webhook", send_webhook(w, message)));
    }
    if let Some(e) = channels.email.as_ref().filter(|e| e.enabled && if ok { e.on_success } else { e.on_error }) {
        out.push(("email", send_email(e, message)));
    }
    out
}

/// Sends `message` (see [`send`]); a channel that fails is reported on stderr and, when `dir` is
/// a backup directory, recorded in its history. Says whether every channel that wanted it got it.
pub fn deliver(channels: &Notifications, message: &Message, dir: Option<&Path>) -> bool {
    let mut all = true;
    for (channel, result) in send(channels, message) {
        let Err(e) = result else { continue };
        all = false;
        eprintln!("warning: the {channel} notification was not sent: {e}");
        let Some(dir) = dir else { continue };
        let now = crate::clock::now();
        let mut failed = Record::new(RunKind::Notify, RunStatus::Failed, now, now);
        failed.database = Some(message.database.clone()).filter(|d| !d.is_empty());
        failed.archive = message.archive.clone();
        failed.error = Some(format!("{channel}: {e} (the message: {})", message.subject()));
        if let Err(e) = pgark_engine::append_history(dir, &failed) {
            eprintln!("warning: the failed notification was not recorded in the history: {e}");
        }
    }
    all
}

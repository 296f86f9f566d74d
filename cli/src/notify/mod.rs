//! Notifications of a run's result: a webhook POST (a Slack-compatible `text` and the facts as
//! fields), with a timeout and retries; a failing notification is reported, never turning a
//! good backup into a failed one.

mod email;
mod webhook;

use std::time::Duration;

use serde::Serialize;

use crate::config::Notifications;

pub use email::send_email;
pub use webhook::send_webhook;

/// What a notification says.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// `ok` or `failed`.
    pub status: &'static str,
    /// The database backed up.
    pub database: String,
    /// The archive written.
    pub archive: Option<String>,
    /// Its size.
    pub size_bytes: Option<u64>,
    /// How long the run took.
    pub seconds: f64,
    /// What went wrong.
    pub error: Option<String>,
    /// The machine the run was on.
    pub host: String,
}

impl Message {
    /// One line for people (Slack's `text`).
    pub fn text(&self) -> String {
        let outcome = if self.status == "ok" { "OK" } else { "FAILED" };
        let mut s = format!("pgark: backup of {} {outcome} on {}", self.database, self.host);
        if let Some(a) = &self.archive {
            s.push_str(&format!(": {a}"));
        }
        if let Some(b) = self.size_bytes {
            s.push_str(&format!(" ({}, {:.1} s)", crate::units::bytes(b), self.seconds));
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
    let ok = message.status == "ok";
    let mut out = Vec::new();
    if let Some(w) = channels.webhook.as_ref().filter(|w| w.enabled && if ok { w.on_success } else { w.on_error }) {
        out.push(("webhook", send_webhook(w, message)));
    }
    if let Some(e) = channels.email.as_ref().filter(|e| e.enabled && if ok { e.on_success } else { e.on_error }) {
        out.push(("email", send_email(e, message)));
    }
    out
}

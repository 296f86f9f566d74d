//! Notifications of a run's result: a webhook POST (a Slack-compatible `text` and the facts as
//! fields), with a timeout and retries; a failing notification is reported, never turning a
//! good backup into a failed one.

use std::time::Duration;

use serde::Serialize;

use crate::config::{Notifications, Webhook};

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
const ATTEMPTS: u32 = 3;
const FIRST_WAIT: Duration = Duration::from_millis(500);

/// POSTs `message` to the webhook: a JSON body with `text` and the message's fields; up to three
/// attempts, waiting 0.5 s then 1 s between them, 10 s each at most.
pub fn send_webhook(webhook: &Webhook, message: &Message) -> Result<(), String> {
    let url = webhook.url.as_deref().ok_or("the webhook has no url")?;
    let body = serde_json::json!({
        "text": message.text(), "status": message.status, "database": message.database,
        "archive": message.archive, "size_bytes": message.size_bytes, "seconds": message.seconds,
        "error": message.error, "host": message.host,
    });
    let agent: ureq::Agent = ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(10))).build().into();
    let mut wait = FIRST_WAIT;
    let mut last = String::new();
    for attempt in 1..=ATTEMPTS {
        match agent.post(url).header("Content-Type", "application/json").send(body.to_string()) {
            Ok(_) => return Ok(()),
            // The URL may carry a token: say what failed without it.
            Err(e) => last = format!("attempt {attempt} of {ATTEMPTS}: {}", without_url(&e.to_string(), url)),
        }
        if attempt < ATTEMPTS {
            std::thread::sleep(wait);
            wait *= 2;
        }
    }
    Err(last)
}

fn without_url(text: &str, url: &str) -> String {
    text.replace(url, "the webhook URL")
}

/// Sends `message` through every enabled channel that wants it (on success or on error);
/// returns each channel's result.
pub fn send(channels: &Notifications, message: &Message) -> Vec<(&'static str, Result<(), String>)> {
    let ok = message.status == "ok";
    let mut out = Vec::new();
    if let Some(w) = channels.webhook.as_ref().filter(|w| w.enabled && if ok { w.on_success } else { w.on_error }) {
        out.push(("webhook", send_webhook(w, message)));
    }
    if channels.email.as_ref().is_some_and(|e| e.enabled && if ok { e.on_success } else { e.on_error }) {
        out.push(("email", Err("sending email is not implemented yet".to_string())));
    }
    out
}

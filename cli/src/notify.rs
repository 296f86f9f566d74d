//! Notifications of a run's result: a webhook POST (a Slack-compatible `text` and the facts as
//! fields), with a timeout and retries; a failing notification is reported, never turning a
//! good backup into a failed one.

use std::time::Duration;

use serde::Serialize;

use crate::config::{Email, Notifications, Webhook};

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
    if let Some(e) = channels.email.as_ref().filter(|e| e.enabled && if ok { e.on_success } else { e.on_error }) {
        out.push(("email", send_email(e, message)));
    }
    out
}

/// Mails `message` to the channel's addresses: a readable subject, the facts in plain text.
pub fn send_email(email: &Email, message: &Message) -> Result<(), String> {
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::{SmtpTransport, Transport};
    let host = email.smtp_host.as_deref().ok_or("no smtp_host")?;
    let from = email.from.as_deref().ok_or("no from address")?;
    let outcome = if message.status == "ok" { "OK" } else { "FAILED" };
    let subject = format!("pgark: backup of {} {outcome} on {}", message.database, message.host);
    let mut body = format!(
        "{}\n\nstatus:   {}\ndatabase: {}\nhost:     {}\nseconds:  {:.1}\n",
        message.text(),
        message.status,
        message.database,
        message.host,
        message.seconds
    );
    if let Some(a) = &message.archive {
        body.push_str(&format!("archive:  {a}\n"));
    }
    if let Some(b) = message.size_bytes {
        body.push_str(&format!("size:     {}\n", crate::units::bytes(b)));
    }
    if let Some(e) = &message.error {
        // The last lines of the error.
        let lines: Vec<&str> = e.lines().collect();
        body.push_str(&format!("\nerror:\n{}\n", lines[lines.len().saturating_sub(20)..].join("\n")));
    }
    let mut builder = lettre::Message::builder()
        .from(from.parse().map_err(|e| format!("from address {from}: {e}"))?)
        .subject(subject);
    for to in &email.to {
        builder = builder.to(to.parse().map_err(|e| format!("address {to}: {e}"))?);
    }
    let mail = builder.body(body).map_err(|e| e.to_string())?;
    let security = email.security.as_deref().unwrap_or("starttls");
    let (transport, default_port) = match security {
        "none" => (SmtpTransport::builder_dangerous(host), 25),
        "tls" => (SmtpTransport::relay(host).map_err(|e| e.to_string())?, 465),
        _ => (SmtpTransport::starttls_relay(host).map_err(|e| e.to_string())?, 587),
    };
    let mut transport = transport.port(email.smtp_port.unwrap_or(default_port)).timeout(Some(Duration::from_secs(10)));
    if let (Ok(user), Ok(password)) = (std::env::var("PGARK_SMTP_USER"), std::env::var("PGARK_SMTP_PASSWORD")) {
        transport = transport.credentials(Credentials::new(user, password));
    }
    let transport = transport.build();
    let mut wait = FIRST_WAIT;
    let mut last = String::new();
    for attempt in 1..=ATTEMPTS {
        match transport.send(&mail) {
            Ok(_) => return Ok(()),
            Err(e) => last = format!("attempt {attempt} of {ATTEMPTS}: {e}"),
        }
        if attempt < ATTEMPTS {
            std::thread::sleep(wait);
            wait *= 2;
        }
    }
    Err(last)
}

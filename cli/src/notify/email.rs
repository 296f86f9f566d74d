//! The email channel: a plain-text mail through an SMTP server (lettre).

use std::time::Duration;

use super::{Message, ATTEMPTS, FIRST_WAIT};
use crate::config::Email;

/// Mails `message` to the channel's addresses: a readable subject, the facts in plain text.
pub fn send_email(email: &Email, message: &Message) -> Result<(), String> {
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::{SmtpTransport, Transport};
    let host = email.smtp_host.as_deref().ok_or("no smtp_host")?;
    let from = email.from.as_deref().ok_or("no from address")?;
    let subject = message.subject();
    let mut body = format!(
        "{}\n\nevent:    {}\nstatus:   {}\ndatabase: {}\nhost:     {}\nseconds:  {:.1}\n",
        message.text(),
        message.event,
        message.status,
        message.database,
        message.host,
        message.seconds
    );
    if let Some(k) = &message.kind {
        body.push_str(&format!("alert:    {k}\n"));
    }
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

//! `pgark notify test`: a test message through each configured channel, and each result.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::config::Config;
use crate::notify::{host_name, send_email, send_webhook, Message};

/// Runs `pgark notify test`.
pub fn test(config: Option<PathBuf>) -> Result<ExitCode> {
    let config = Config::load(config.as_deref())?;
    let n = &config.notifications;
    let message = Message {
        event: "test",
        kind: None,
        status: "ok",
        database: "(test message)".into(),
        archive: None,
        size_bytes: None,
        seconds: 0.0,
        error: None,
        host: host_name(),
    };
    let mut failed = 0;
    let mut sent = 0;
    if let Some(w) = n.webhook.as_ref().filter(|w| w.enabled) {
        sent += 1;
        match send_webhook(w, &message) {
            Ok(()) => println!("webhook: sent"),
            Err(e) => {
                failed += 1;
                println!("webhook: FAILED: {e}");
            }
        }
    }
    if let Some(e) = n.email.as_ref().filter(|e| e.enabled) {
        sent += 1;
        match send_email(e, &message) {
            Ok(()) => println!("email: sent to {}", e.to.join(", ")),
            Err(err) => {
                failed += 1;
                println!("email: FAILED: {err}");
            }
        }
    }
    if sent == 0 {
        bail!("no notification channel is enabled ([notifications.webhook] or [notifications.email] in the config)");
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

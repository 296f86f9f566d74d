//! The webhook channel: a JSON POST (Slack-compatible `text` and the facts as fields).

use std::time::Duration;

use super::{Message, ATTEMPTS, FIRST_WAIT};
use crate::config::Webhook;

/// POSTs `message` to the webhook: a JSON body with `text` and the message's fields; up to three
/// attempts, waiting 0.5 s then 1 s between them, 10 s each at most.
pub fn send_webhook(webhook: &Webhook, message: &Message) -> Result<(), String> {
    let url = webhook.url.as_deref().ok_or("the webhook has no url")?;
    let body = serde_json::json!({
        "text": message.text(), "event": message.event, "status": message.status,
        "database": message.database, "archive": message.archive, "size_bytes": message.size_bytes,
        "seconds": message.seconds, "error": message.error, "kind": message.kind, "host": message.host,
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

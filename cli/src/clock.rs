//! The time pgark acts at: the system's, or `PGARK_NOW` (an RFC 3339 time) to rehearse schedules,
//! alerts and retention ahead of time — what `check` would say tomorrow at 03:00, which runs
//! would be late. It moves pgark's own clock only (history, check, prune); servers keep theirs.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

/// The variable that sets the clock.
pub const VAR: &str = "PGARK_NOW";

/// Now, by `PGARK_NOW` when it is set (checked at start by [`check`]).
pub fn now() -> DateTime<Utc> {
    fixed().ok().flatten().unwrap_or_else(Utc::now)
}

/// Refuses a `PGARK_NOW` that is not an RFC 3339 time.
pub fn check() -> Result<()> {
    fixed().map(|_| ())
}

fn fixed() -> Result<Option<DateTime<Utc>>> {
    let Some(text) = std::env::var_os(VAR).filter(|v| !v.is_empty()) else { return Ok(None) };
    let text = text.to_string_lossy();
    let at = DateTime::parse_from_rfc3339(&text)
        .with_context(|| format!("{VAR}='{text}' is not an RFC 3339 time (2026-12-05T03:00:00Z)"))?;
    Ok(Some(at.with_timezone(&Utc)))
}

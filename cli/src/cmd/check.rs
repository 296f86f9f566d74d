//! `pgark check [DIR]`: is this backup directory healthy? One line per problem; exit status
//! 0 healthy, 1 warning, 2 critical — for cron, Nagios-style monitors and container health
//! checks.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use pgark_engine::{check_backups, HealthRules, Severity};

/// Runs `pgark check`.
pub fn run(dir: &Path, rules: &HealthRules, json: bool) -> Result<ExitCode> {
    let health = check_backups(dir, rules, chrono::Utc::now())?;
    if json {
        let status = ["ok", "warning", "critical"][health.exit_code() as usize];
        let value = serde_json::json!({"status": status, "health": health});
        println!("{}", serde_json::to_string_pretty(&value).context("encoding the health")?);
    } else if health.problems.is_empty() {
        let newest = health.newest.as_deref().unwrap_or("-");
        let age = health.newest_age_seconds.map(|s| format!(", {:.1} h old", s as f64 / 3600.0)).unwrap_or_default();
        println!("OK: {}: newest backup {newest}{age}", dir.display());
    } else {
        for p in &health.problems {
            let level = if p.severity == Severity::Critical { "CRITICAL" } else { "WARNING" };
            println!("{level}: {} ({})", p.message, p.kind);
        }
    }
    Ok(ExitCode::from(health.exit_code()))
}

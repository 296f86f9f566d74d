//! `pgark list`: every file of a backup directory — archives with their database, profile,
//! size, tables, rows, duration and last verification; partial, damaged and foreign files with
//! the reason.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use pgark_engine::{list_backups, ListedState};

use crate::units::bytes;

/// Runs `pgark list`.
pub fn run(dir: &Path, json: bool) -> Result<ExitCode> {
    let listed = list_backups(dir)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&listed).context("encoding the listing")?);
        return Ok(ExitCode::SUCCESS);
    }
    if listed.is_empty() {
        println!("{} holds no backups", dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<40} {:<20} {:<16} {:<14} {:>10} {:>7} {:>12} {:>9}  last verify",
        "FILE", "TIME (UTC)", "DATABASE", "PROFILE", "SIZE", "TABLES", "ROWS", "DURATION"
    );
    let mut archives = 0;
    for l in &listed {
        match &l.state {
            ListedState::Archive(a) => {
                archives += 1;
                let verify = match &a.last_verify {
                    None => "never".to_string(),
                    Some(v) if v.ok => format!("ok {}", v.time.format("%Y-%m-%d %H:%M")),
                    Some(v) => format!("FAILED {}", v.time.format("%Y-%m-%d %H:%M")),
                };
                println!(
                    "{:<40} {:<20} {:<16} {:<14} {:>10} {:>7} {:>12} {:>8.1}s  {verify}",
                    l.file,
                    a.snapshot_time.format("%Y-%m-%d %H:%M:%S"),
                    a.database,
                    a.profile.as_deref().unwrap_or("full"),
                    bytes(l.size),
                    a.tables,
                    a.rows,
                    a.seconds
                );
            }
            ListedState::Unreadable { reason } => println!("{:<40} unreadable archive: {reason}", l.file),
            ListedState::Partial => {
                println!("{:<40} partial: being written, or left by a dump that did not finish", l.file)
            }
            ListedState::Foreign { reason } => println!("{:<40} not a pgark archive: {reason}", l.file),
        }
    }
    println!("{archives} archive(s), {} other file(s)", listed.len() - archives);
    Ok(ExitCode::SUCCESS)
}

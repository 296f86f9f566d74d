//! `pgark config check`: every problem of the config file, each with its key path.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::config::{check_file, locate};

/// Runs `pgark config check`: exit status 1 when the file has problems.
pub fn run(config: Option<PathBuf>) -> Result<ExitCode> {
    let Some(path) = locate(config.as_deref()) else {
        bail!("no config file: give --config FILE, set PGARK_CONFIG, or create ./pgark.toml");
    };
    let checked = check_file(&path)?;
    for n in &checked.notes {
        println!("{}: note: {n}", path.display());
    }
    let problems = checked.problems;
    if problems.is_empty() {
        for (name, s) in &checked.config.schedules {
            println!("{}: schedule {name}: {}", path.display(), s.describe());
        }
        println!("{}: ok", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    for p in &problems {
        println!("{}: {p}", path.display());
    }
    println!("{} problem(s)", problems.len());
    Ok(ExitCode::FAILURE)
}

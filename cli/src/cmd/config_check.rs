//! `pgark config check`: every problem of the config file, each with its key path.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::config::check_file;

/// Runs `pgark config check`: exit status 1 when the file has problems.
pub fn run(config: Option<PathBuf>) -> Result<ExitCode> {
    let path = match config.or_else(|| std::env::var_os("PGARK_CONFIG").map(PathBuf::from)) {
        Some(p) => p,
        None if Path::new("pgark.toml").is_file() => PathBuf::from("pgark.toml"),
        None => bail!("no config file: give --config FILE, set PGARK_CONFIG, or create ./pgark.toml"),
    };
    let problems = check_file(&path)?;
    if problems.is_empty() {
        println!("{}: ok", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    for p in &problems {
        println!("{}: {p}", path.display());
    }
    println!("{} problem(s)", problems.len());
    Ok(ExitCode::FAILURE)
}

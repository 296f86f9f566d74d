//! `pgark verify` (alias `validate`): every hash of an archive, without a database.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use pgark_engine::Archive;

use crate::progress::Bars;
use crate::units::{bytes, secs};

/// Runs `pgark verify`: exit status 1 when any chunk fails.
pub fn run(path: &Path, json: bool, quiet: bool) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let archive = Archive::open(path)?;
    let report = pgark_engine::verify(&archive, &Bars::new(quiet || json));
    if json {
        println!("{}", serde_json::to_string_pretty(&report).context("encoding the report")?);
    } else {
        for p in &report.problems {
            eprintln!("corrupt: {p}");
        }
        let elapsed = started.elapsed();
        let status = if report.ok() { "ok" } else { "FAILED" };
        println!(
            "{status}: {} — {} chunks, {} rows, {} raw ({} stored) checked in {} ({}/s); {} problem(s)",
            path.display(),
            report.chunks,
            report.rows,
            bytes(report.raw_bytes),
            bytes(report.stored_bytes),
            secs(elapsed),
            bytes((report.raw_bytes as f64 / elapsed.as_secs_f64().max(1e-9)) as u64),
            report.problems.len()
        );
    }
    Ok(if report.ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

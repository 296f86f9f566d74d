//! `pgark verify` (alias `validate`): every hash of one or more archives (or of every archive in
//! a folder), without a database.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use pgark_engine::{Archive, VerifyReport};
use serde_json::json;

use crate::progress::Bars;
use crate::units::{bytes, secs};

/// The archives `paths` name: files as given, folders by their `.pgark` files (sorted).
fn archives(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading the folder {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "pgark") && f.is_file())
                .collect();
            found.sort();
            if found.is_empty() {
                anyhow::bail!("{} holds no .pgark archive", p.display());
            }
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Checks one archive; an archive that cannot be opened is a failed report of its own.
fn check(path: &Path, quiet: bool) -> std::result::Result<VerifyReport, pgark_engine::Error> {
    let archive = Archive::open(path)?;
    Ok(pgark_engine::verify(&archive, &Bars::new(quiet)))
}

/// Runs `pgark verify`: exit status 1 when any archive or chunk fails.
pub fn run(paths: &[PathBuf], json: bool, quiet: bool) -> Result<ExitCode> {
    let list = archives(paths)?;
    let single = list.len() == 1 && !paths[0].is_dir();
    let mut failed = 0;
    let mut reports = Vec::new();
    for path in &list {
        let started = std::time::Instant::now();
        let result = check(path, quiet || json);
        let ok = result.as_ref().is_ok_and(VerifyReport::ok);
        failed += usize::from(!ok);
        if json {
            reports.push(match &result {
                Ok(r) if single => serde_json::to_value(r).context("encoding the report")?,
                Ok(r) => json!({"path": path, "ok": r.ok(), "report": r}),
                Err(e) => json!({"path": path, "ok": false, "error": e.to_string()}),
            });
            continue;
        }
        match result {
            Err(e) if single => return Err(e.into()),
            Err(e) => println!("FAILED: {e}"),
            Ok(report) => print_report(path, &report, started.elapsed()),
        }
    }
    if json {
        let value = if single { reports.remove(0) } else { serde_json::Value::Array(reports) };
        println!("{}", serde_json::to_string_pretty(&value).context("encoding the report")?);
    } else if !single {
        println!("{} archive(s) checked: {} ok, {failed} failed", list.len(), list.len() - failed);
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn print_report(path: &Path, report: &VerifyReport, elapsed: std::time::Duration) {
    for p in &report.problems {
        eprintln!("corrupt: {p}");
    }
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

//! `pgark verify` (alias `validate`): every hash of one or more archives (or of every archive in
//! a folder), without a database.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use pgark_engine::{Archive, Problem, Record, RunKind, RunStatus, Severity, VerifyReport};
use serde_json::json;

use crate::args::KeyArgs;
use crate::config::Notifications;
use crate::progress::Bars;
use crate::units::{bytes, secs};

/// The archives `paths` name: files as given; in folders every file with a pgark header (an
/// archive under any name) or named `.pgark` (a damaged archive is still checked, and fails),
/// sorted; hidden and `.partial` files are left alone.
fn archives(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading the folder {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    let candidate = !name.starts_with('.') && !name.ends_with(".partial");
                    candidate && f.is_file() && (f.extension().is_some_and(|x| x == "pgark") || Archive::has_header(f))
                })
                .collect();
            found.sort();
            if found.is_empty() {
                anyhow::bail!("{} holds no pgark archive", p.display());
            }
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Checks one archive; an archive that cannot be opened is a failed report of its own.
/// The result is recorded in the history of the backup directory the archive is in.
fn check(
    path: &Path,
    keys: &KeyArgs,
    notifications: &Notifications,
    quiet: bool,
) -> std::result::Result<VerifyReport, pgark_engine::Error> {
    let started = crate::clock::now();
    // Without keys an encrypted archive gets the outer check: every stored byte's hash.
    let (result, manifest_blake3) = match keys.open_archive(path, true) {
        Ok(archive) => (Ok(pgark_engine::verify(&archive, &Bars::new(quiet))), Some(archive.manifest_blake3())),
        Err(e) => (Err(e), None),
    };
    record(path, started, &result, manifest_blake3, notifications);
    result
}

/// One archive's outcome.
struct Checked {
    result: std::result::Result<VerifyReport, pgark_engine::Error>,
    elapsed: std::time::Duration,
}

/// Checks every archive, `jobs` at a time (each archive's chunks are checked in parallel too);
/// results come back in input order.
fn check_all(
    list: &[PathBuf],
    keys: &KeyArgs,
    notifications: &Notifications,
    jobs: usize,
    quiet: bool,
) -> Vec<Checked> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<Checked>>> = list.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, list.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(path) = list.get(i) else { break };
                let started = std::time::Instant::now();
                // Several archives at once would draw over each other's bars.
                let result = check(path, keys, notifications, quiet || jobs > 1);
                *slots[i].lock().expect("no panics while holding") =
                    Some(Checked { result, elapsed: started.elapsed() });
            });
        }
    });
    slots.into_iter().map(|m| m.into_inner().expect("no panics").expect("every archive checked")).collect()
}

/// Runs `pgark verify`: exit status 1 when any archive or chunk fails. A failure in a backup
/// directory is recorded in its history and pushed as a `corrupt` alert through `notifications`
/// (once per archive, as `check --notify` would).
pub fn run(
    paths: &[PathBuf],
    keys: &KeyArgs,
    notifications: &Notifications,
    jobs: usize,
    json: bool,
    quiet: bool,
) -> Result<ExitCode> {
    let list = archives(paths)?;
    let single = list.len() == 1 && !paths[0].is_dir();
    let mut failed = 0;
    let mut reports = Vec::new();
    for (path, checked) in list.iter().zip(check_all(&list, keys, notifications, jobs, quiet || json)) {
        let result = checked.result;
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
            Ok(report) if report.ok() && crate::progress::is_quiet() => {}
            Ok(report) => print_report(path, &report, checked.elapsed),
        }
    }
    if json {
        let value = if single { reports.remove(0) } else { serde_json::Value::Array(reports) };
        println!("{}", serde_json::to_string_pretty(&value).context("encoding the report")?);
    } else if !single && (failed > 0 || !crate::progress::is_quiet()) {
        println!("{} archive(s) checked: {} ok, {failed} failed", list.len(), list.len() - failed);
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Records the result in the history of the backup directory the archive is in, if it is in
/// one (a folder with a `.pgark/` history); a history that cannot be written is only reported.
fn record(
    path: &Path,
    started: DateTime<Utc>,
    result: &std::result::Result<VerifyReport, pgark_engine::Error>,
    manifest_blake3: Option<String>,
    notifications: &Notifications,
) {
    let Some(dir) = super::history_dir_of(path) else { return };
    let ok = result.as_ref().is_ok_and(VerifyReport::ok);
    let status = if ok { RunStatus::Ok } else { RunStatus::Failed };
    let mut r = Record::new(RunKind::Verify, status, started, crate::clock::now());
    r.archive = path.file_name().map(|n| n.to_string_lossy().into_owned());
    r.manifest_blake3 = manifest_blake3;
    match result {
        Ok(report) => {
            r.rows = Some(report.rows);
            r.raw_bytes = Some(report.raw_bytes);
            r.stored_bytes = Some(report.stored_bytes);
            if !ok {
                r.error = Some(format!("{} problem(s): {}", report.problems.len(), report.problems[0]));
            }
        }
        Err(e) => r.error = Some(e.to_string()),
    }
    if let Err(e) = pgark_engine::append_history(dir, &r) {
        eprintln!("warning: the verification was not recorded in the history: {e}");
    }
    if let (false, Some(file)) = (ok, &r.archive) {
        let problem = Problem {
            severity: Severity::Critical,
            kind: "corrupt",
            subject: Some(file.clone()),
            message: format!("{file} failed verify: {}", r.error.as_deref().unwrap_or("")),
        };
        if let Err(e) = crate::notify::alerts::raise(dir, notifications, &problem, r.finished) {
            eprintln!("warning: the failed verification was not alerted: {e:#}");
        }
    }
}

fn print_report(path: &Path, report: &VerifyReport, elapsed: std::time::Duration) {
    for p in &report.problems {
        eprintln!("corrupt: {p}");
    }
    let status = if report.ok() { "ok" } else { "FAILED" };
    if report.without_key {
        println!(
            "{status}: {} — encrypted; without its key every stored byte was checked against its hash \
             ({} chunks, {} stored) in {}; {} problem(s). With --identity (or the passphrase) the data is checked too.",
            path.display(),
            report.chunks,
            bytes(report.stored_bytes),
            secs(elapsed),
            report.problems.len()
        );
        return;
    }
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

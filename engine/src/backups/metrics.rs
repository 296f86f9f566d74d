//! A backup directory's state in the Prometheus text exposition format, for node_exporter's
//! textfile collector (`report --prometheus FILE`) and, later, the daemon's `/metrics`.

use std::fmt::Write;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::history::{read_history, RunKind, RunStatus};
use super::report::report;
use crate::error::Result;

/// The metrics of `dir` at `now`.
pub fn prometheus(dir: &Path, now: DateTime<Utc>) -> Result<String> {
    let r = report(dir, now, 0)?;
    let (history, _) = read_history(dir)?;
    let dumps: Vec<_> = history.iter().filter(|h| h.kind == RunKind::Dump).collect();
    let last_ok = dumps.iter().rev().find(|h| h.status == RunStatus::Ok);
    let label = format!("dir=\"{}\"", escape(&dir.display().to_string()));
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, value: f64| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{{{label}}} {value}");
    };
    if let Some(ok) = last_ok {
        metric(
            "pgark_last_success_timestamp_seconds",
            "gauge",
            "When the last successful dump finished (Unix time).",
            ok.finished.timestamp() as f64,
        );
        metric("pgark_last_duration_seconds", "gauge", "How long the last successful dump took.", ok.seconds);
        metric(
            "pgark_last_size_bytes",
            "gauge",
            "Size of the archive of the last successful dump.",
            ok.stored_bytes.unwrap_or(0) as f64,
        );
    }
    metric("pgark_runs_total", "counter", "Dumps recorded in the history.", dumps.len() as f64);
    metric(
        "pgark_failures_total",
        "counter",
        "Dumps recorded as failed or interrupted.",
        dumps.iter().filter(|h| h.status != RunStatus::Ok).count() as f64,
    );
    metric("pgark_backups", "gauge", "Readable archives in the directory.", r.backups as f64);
    metric("pgark_backup_bytes", "gauge", "Bytes of all archives in the directory.", r.total_bytes as f64);
    metric("pgark_volume_free_bytes", "gauge", "Free bytes on the backup volume.", r.volume_free_bytes as f64);
    metric("pgark_volume_size_bytes", "gauge", "Size of the backup volume.", r.volume_total_bytes as f64);
    if let Some(age) = r.last_backup_age_seconds {
        metric("pgark_newest_backup_age_seconds", "gauge", "Age of the newest archive's snapshot.", age as f64);
    }
    Ok(out)
}

/// A label value as the exposition format wants it.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

//! `pgark report`: a backup directory at a glance — sizes, compression, durations, success
//! rates, free space, the largest tables and their growth, with sparklines over time.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use pgark_engine::{backup_metrics, report_backups};

use crate::units::bytes;

/// Runs `pgark report`.
pub fn run(dir: &Path, json: bool, prometheus: Option<&Path>) -> Result<ExitCode> {
    let now = crate::clock::now();
    if let Some(file) = prometheus {
        write_metrics(dir, file, now)?;
    }
    let r = report_backups(dir, now, 10)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r).context("encoding the report")?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}: {} backup(s), {} other file(s)", dir.display(), r.backups, r.other_files);
    let n = r.sizes.len().max(1) as u64;
    println!(
        "size:        {} in all, {} on average{}",
        bytes(r.total_bytes),
        bytes(r.total_bytes / n),
        r.compression_ratio.map(|c| format!(", COPY data compressed {c:.1}x")).unwrap_or_default()
    );
    if !r.sizes.is_empty() {
        let sizes: Vec<f64> = r.sizes.iter().map(|s| s.1 as f64).collect();
        println!("             {}  (oldest → newest)", sparkline(&sizes));
    }
    if let Some((min, median, max)) = r.duration_min_median_max {
        println!("duration:    {min:.1} s min, {median:.1} s median, {max:.1} s max");
        println!("             {}", sparkline(&r.durations));
    }
    let pct = |(ok, all): (usize, usize)| {
        if all == 0 {
            "no dumps recorded".to_string()
        } else {
            format!("{ok}/{all} ok ({:.0}%)", ok as f64 * 100.0 / all as f64)
        }
    };
    println!("success:     {} in the history, {} in the last 30 days", pct(r.dumps_ok), pct(r.dumps_ok_30_days));
    if r.history_lines_skipped > 0 {
        println!("             ({} damaged history line(s) skipped)", r.history_lines_skipped);
    }
    if let Some(age) = r.last_backup_age_seconds {
        println!("last backup: {} ago", age_text(age));
    }
    println!("volume:      {} free of {}", bytes(r.volume_free_bytes), bytes(r.volume_total_bytes));
    if !r.largest_tables.is_empty() {
        println!("largest tables (newest backup; growth since the oldest):");
        for t in &r.largest_tables {
            let growth = match (t.first_raw_bytes, t.first_rows) {
                (Some(b), Some(rows)) => format!(
                    "{:+} rows, {}{}",
                    t.rows as i64 - rows as i64,
                    if t.raw_bytes >= b { "+" } else { "-" },
                    bytes(t.raw_bytes.abs_diff(b))
                ),
                _ => "new".to_string(),
            };
            println!("  {:<40} {:>10} {:>12} rows   {growth}", t.table, bytes(t.raw_bytes), t.rows);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `▂▃█`: each value's height as a share of the largest.
pub fn sparkline(values: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let hi = values.iter().fold(0.0_f64, |hi, v| hi.max(*v));
    values.iter().map(|v| if hi > 0.0 { BARS[((v.max(0.0) / hi) * 7.0).round() as usize] } else { BARS[0] }).collect()
}

fn age_text(seconds: i64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

/// Writes the metrics to `file` through a temporary name in its folder (whose name does not end
/// in `.prom`, so the textfile collector never reads half a file), then renames it.
fn write_metrics(dir: &Path, file: &Path, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
    crate::files::replace(file, backup_metrics(dir, now)?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sparklines() {
        assert_eq!(super::sparkline(&[1.0, 2.0, 8.0]), "▂▃█");
        assert_eq!(super::sparkline(&[5.0, 5.0]), "██");
        assert_eq!(super::sparkline(&[0.0]), "▁");
    }
}

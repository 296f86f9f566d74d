//! A backup directory's report: its archives' sizes and compression, the history's durations and
//! success rates, the volume's free space, the largest tables and how they grew from the
//! oldest archive to the newest.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::history::{read_history, RunKind, RunStatus};
use super::listing::{list_with, Listed, ListedArchive, ListedState};
use crate::archive::{Archive, Contents};
use crate::error::{Error, Result};

/// Everything `pgark report` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Readable archives.
    pub backups: usize,
    /// Other files (damaged, partial, foreign).
    pub other_files: usize,
    /// Bytes of all archives.
    pub total_bytes: u64,
    /// COPY bytes over all archives divided by their size.
    pub compression_ratio: Option<f64>,
    /// Archive sizes, oldest first (with their times).
    pub sizes: Vec<(DateTime<Utc>, u64)>,
    /// Seconds of the successful dumps in the history, oldest first.
    pub durations: Vec<f64>,
    /// Shortest, median and longest of `durations`.
    pub duration_min_median_max: Option<(f64, f64, f64)>,
    /// Dumps in the history: (ok, all).
    pub dumps_ok: (usize, usize),
    /// The same over the last 30 days.
    pub dumps_ok_30_days: (usize, usize),
    /// History lines that could not be read.
    pub history_lines_skipped: usize,
    /// Seconds since the newest archive's snapshot.
    pub last_backup_age_seconds: Option<i64>,
    /// Bytes free / total on the directory's volume.
    pub volume_free_bytes: u64,
    /// Total bytes of the directory's volume.
    pub volume_total_bytes: u64,
    /// The largest tables of the newest archive and their growth since the oldest.
    pub largest_tables: Vec<TableGrowth>,
}

/// A table in the newest archive, compared with the oldest.
#[derive(Debug, Clone, Serialize)]
pub struct TableGrowth {
    /// `schema.table`.
    pub table: String,
    /// COPY bytes in the newest archive.
    pub raw_bytes: u64,
    /// Rows in the newest archive.
    pub rows: u64,
    /// COPY bytes in the oldest archive (absent: the table was not in it).
    pub first_raw_bytes: Option<u64>,
    /// Rows in the oldest archive.
    pub first_rows: Option<u64>,
}

/// Reports on `dir` at `now`, naming at most `top` tables.
pub fn report(dir: &Path, now: DateTime<Utc>, top: usize) -> Result<Report> {
    let (history, history_lines_skipped) = read_history(dir)?;
    let listed = list_with(dir, &history)?;
    let archives: Vec<(&Listed, &ListedArchive)> = listed
        .iter()
        .filter_map(|l| match &l.state {
            ListedState::Archive(a) => Some((l, &**a)),
            _ => None,
        })
        .collect();
    let total_bytes = archives.iter().map(|(l, _)| l.size).sum();
    let raw: u64 = archives.iter().map(|(_, a)| a.raw_bytes).sum();
    let dumps: Vec<_> = history.iter().filter(|r| r.kind == RunKind::Dump).collect();
    let durations: Vec<f64> = dumps.iter().filter(|r| r.status == RunStatus::Ok).map(|r| r.seconds).collect();
    let rate = |since: Option<DateTime<Utc>>| {
        let runs: Vec<_> = dumps.iter().filter(|r| since.is_none_or(|s| r.started >= s)).collect();
        (runs.iter().filter(|r| r.status == RunStatus::Ok).count(), runs.len())
    };
    let (volume_free_bytes, volume_total_bytes) = volume(dir)?;
    Ok(Report {
        backups: archives.len(),
        other_files: listed.len() - archives.len(),
        total_bytes,
        compression_ratio: (total_bytes > 0).then(|| raw as f64 / total_bytes as f64),
        sizes: archives.iter().map(|(l, a)| (a.snapshot_time, l.size)).collect(),
        duration_min_median_max: min_median_max(&durations),
        durations,
        dumps_ok: rate(None),
        dumps_ok_30_days: rate(Some(now - Duration::days(30))),
        history_lines_skipped,
        last_backup_age_seconds: archives.last().map(|(_, a)| (now - a.snapshot_time).num_seconds()),
        volume_free_bytes,
        volume_total_bytes,
        largest_tables: largest_tables(dir, &archives, top),
    })
}

fn min_median_max(values: &[f64]) -> Option<(f64, f64, f64)> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = match n {
        0 => return None,
        _ if n % 2 == 1 => v[n / 2],
        _ => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    };
    Some((v[0], median, v[n - 1]))
}

/// The `top` largest tables of the newest archive with table data, with their size in the
/// oldest archive with data of the same database.
fn largest_tables(dir: &Path, archives: &[(&Listed, &ListedArchive)], top: usize) -> Vec<TableGrowth> {
    let with_data: Vec<_> = archives.iter().filter(|(_, a)| a.tables > 0).collect();
    let Some((newest, last_summary)) = with_data.last() else { return Vec::new() };
    let (oldest, _) = with_data.iter().find(|(_, a)| a.database == last_summary.database).expect("the newest is one");
    let tables = |l: &Listed| -> Vec<(String, u64, u64)> {
        match Archive::open(&dir.join(&l.file)) {
            Ok(a) => a
                .manifest()
                .tables
                .iter()
                .filter(|t| t.contents == Contents::Rows)
                .map(|t| (t.display_name(), t.raw_bytes(), t.rows()))
                .collect(),
            Err(_) => Vec::new(),
        }
    };
    let first = tables(oldest);
    let mut last = tables(newest);
    last.sort_by_key(|t| std::cmp::Reverse(t.1));
    last.truncate(top);
    last.into_iter()
        .map(|(table, raw_bytes, rows)| {
            let before = first.iter().find(|f| f.0 == table);
            TableGrowth {
                raw_bytes,
                rows,
                first_raw_bytes: before.map(|f| f.1),
                first_rows: before.map(|f| f.2),
                table,
            }
        })
        .collect()
}

/// Free and total bytes of the volume `dir` is on.
pub(super) fn volume(dir: &Path) -> Result<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|_| Error::Refused(format!("{} holds a NUL byte", dir.display())))?;
    // SAFETY: statvfs fills the zeroed struct it is given; the path is NUL-terminated.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return Err(Error::io(dir, std::io::Error::last_os_error()));
    }
    let unit = s.f_frsize as u64;
    Ok((s.f_bavail as u64 * unit, s.f_blocks as u64 * unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(min_median_max(&[]), None);
        assert_eq!(min_median_max(&[3.0, 1.0, 2.0]), Some((1.0, 2.0, 3.0)));
        assert_eq!(min_median_max(&[4.0, 1.0, 2.0, 10.0]), Some((1.0, 3.0, 10.0)));
    }
}

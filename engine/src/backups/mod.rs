//! Backup directories: the folder nightly dumps go to, its history of runs
//! (`history.rs`: `<dir>/.pgark/history.jsonl`), what is in it (`listing.rs`: every file,
//! archives told apart by their header, not their name) retention (`prune.rs`), a summary of it
//! all (`report.rs`), its health (`check.rs`) and metrics (`metrics.rs`), and the comparison
//! of two archives (`diff.rs`).
//!
//! Takes a folder; hands the CLI records and listings. Uses `archive` to read archives (and
//! `verify` to check the newest); knows nothing of servers.

mod check;
mod diff;
mod history;
mod listing;
mod metrics;
mod prune;
mod report;

pub use check::{check, DueRun, Health, HealthRules, Problem, Severity};
pub use diff::{diff, ArchiveDiff, Change, Content, DiffSide, ItemChange, TableChange};
pub use history::{append, history_path, read_history, Record, RunKind, RunStatus};
pub use listing::{info_file_name, list, LastVerify, Listed, ListedArchive, ListedState, INFO_FILE_HEADER};
pub use metrics::prometheus;
pub use prune::{
    age as deserialize_age, parse_age, plan as plan_prune, Doomed, GroupBy, Kept, PrunePlan, PruneSummary, Retention,
};
pub use report::{report, Report, TableGrowth};

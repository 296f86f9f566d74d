//! Backup directories: the folder nightly dumps go to, its history of runs
//! (`history.rs`: `<dir>/.pgark/history.jsonl`) and what is in it (`listing.rs`: every file,
//! archives told apart by their header, not their name).
//!
//! Takes a folder; hands the CLI records and listings. Uses `archive` to read archives; knows
//! nothing of servers.

mod history;
mod listing;

pub use history::{append, history_path, read_history, Record, RunKind, RunStatus};
pub use listing::{list, LastVerify, Listed, ListedArchive, ListedState};

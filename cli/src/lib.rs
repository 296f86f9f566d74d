//! The `pgark` command's modules, as a library: the binary (`main.rs`) parses the command line
//! and dispatches to `cmd/`; the fuzz targets (`fuzz/`) reach the config parsers through it.
//! Not a stable API: use `pgark-engine` for that.

#![doc(hidden)]

pub mod args;
pub mod clock;
pub mod cmd;
pub mod config;
pub mod files;
pub mod notify;
pub mod progress;
pub mod schedule;
pub mod units;

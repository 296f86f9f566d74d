//! One file per command: each parses nothing itself (clap did), calls the engine, prints.

pub mod demo;
pub mod dump;
pub mod inspect;
pub mod restore;
pub mod verify;

use anyhow::{Context, Result};

/// A SIGINT listener, registered at once.
pub fn interrupt_signal() -> Result<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).context("installing the Ctrl-C handler")
}

//! One file per command: each parses nothing itself (clap did), calls the engine, prints.

pub mod cat;
pub mod check;
pub mod config_check;
pub mod daemon;
pub mod demo;
pub mod diff;
pub mod drill;
pub mod dump;
pub mod extract;
pub mod init;
pub mod inspect;
pub mod list;
pub mod notify;
pub mod prune;
pub mod report;
pub mod restore;
pub mod schedule;
pub mod verify;

use std::fmt;
use std::path::Path;

use anyhow::{Context, Result};
use tokio::signal::unix::{signal, Signal, SignalKind};

/// The backup directory an archive is in, when that directory keeps a history (`.pgark/`).
pub fn history_dir_of(archive: &Path) -> Option<&Path> {
    let dir = archive.parent().map(|p| if p.as_os_str().is_empty() { Path::new(".") } else { p })?;
    (archive.is_file() && pgark_engine::history_path(dir).parent().is_some_and(Path::is_dir)).then_some(dir)
}

/// Ctrl-C (SIGINT), and what systemd, `timeout` and container runtimes send (SIGTERM) or a
/// closing terminal (SIGHUP): each stops a command cleanly.
pub struct Interrupt {
    int: Signal,
    term: Signal,
    hup: Signal,
}

/// Which signal arrived.
#[derive(Clone, Copy)]
pub enum Stop {
    Int,
    Term,
    Hup,
}

impl Stop {
    /// The shell's convention: 128 + the signal's number.
    pub fn exit_code(self) -> i32 {
        128 + match self {
            Stop::Int => libc::SIGINT,
            Stop::Term => libc::SIGTERM,
            Stop::Hup => libc::SIGHUP,
        }
    }
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stop::Int => "interrupted (SIGINT)",
            Stop::Term => "terminated (SIGTERM)",
            Stop::Hup => "hung up (SIGHUP)",
        })
    }
}

impl Interrupt {
    /// Waits for the first of the signals.
    pub async fn recv(&mut self) -> Stop {
        tokio::select! {
            _ = self.int.recv() => Stop::Int,
            _ = self.term.recv() => Stop::Term,
            _ = self.hup.recv() => Stop::Hup,
        }
    }
}

/// The listeners, registered at once (before any file exists, so a signal always finds them).
pub fn interrupt_signal() -> Result<Interrupt> {
    let listen = |kind| signal(kind).context("installing the signal handlers");
    Ok(Interrupt {
        int: listen(SignalKind::interrupt())?,
        term: listen(SignalKind::terminate())?,
        hup: listen(SignalKind::hangup())?,
    })
}

//! The engine's error type: every variant says what it was working on.

use std::path::PathBuf;

/// A specialised `Result` for the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the engine, with the object it concerns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Connection settings (URL, environment, TLS files) are unusable.
    #[error("invalid connection settings: {0}")]
    Config(String),
    /// The server could not be reached or refused the login.
    #[error("cannot connect to {target}: {reason}")]
    Connect {
        /// `user@host:port/db`, never with a password.
        target: String,
        /// What went wrong, in one line.
        reason: String,
    },
    /// A statement failed on the server.
    #[error("{context}: {reason}")]
    Db {
        /// What the engine was doing (which table, which chunk, which DDL item).
        context: String,
        /// The server's message.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The operating system's error.
        error: std::io::Error,
    },
    /// A file is not a readable pgark archive (bad magic, version, footer, manifest).
    #[error("{}: {reason}", path.display())]
    Archive {
        /// The archive.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A chunk of an archive does not match its manifest entry.
    #[error("{}: table {table}, chunk {chunk} (offset {offset}): {reason}", path.display())]
    Chunk {
        /// The archive.
        path: PathBuf,
        /// `schema.table` the chunk belongs to.
        table: String,
        /// Chunk number within the table.
        chunk: u32,
        /// Byte offset of the chunk in the archive.
        offset: u64,
        /// What does not match.
        reason: String,
    },
    /// The operation was refused to protect data (non-empty target, existing file, bad option).
    #[error("{0}")]
    Refused(String),
    /// A restore stopped after changing the target.
    #[error("{cause}\nrestore into {target} stopped after: {done}. {}", partial_advice(*created))]
    PartialRestore {
        /// The target database.
        target: String,
        /// The steps that had completed (what was committed, table by table).
        done: String,
        /// What failed.
        cause: Box<Error>,
        /// Whether this restore created the database (`--create`).
        created: bool,
    },
    /// A bug or a crashed worker thread inside pgark.
    #[error("internal error: {0}")]
    Internal(String),
    /// A local PostgreSQL cluster (demo, tests) could not be set up.
    #[error("local cluster: {0}")]
    Cluster(String),
}

/// How to go on after a restore stopped half way: only a database the restore made itself is
/// worth dropping.
fn partial_advice(created: bool) -> &'static str {
    if created {
        "The database was created by this restore and is partially restored: drop it and restore again."
    } else {
        "The database existed before this restore and keeps what was committed: restore the rest \
         (--section, --table), or everything again with --clean."
    }
}

impl Error {
    /// Whether this says the database connected to does not exist.
    pub fn is_missing_database(&self) -> bool {
        matches!(self, Error::Connect { reason, .. } if reason.starts_with("database \"") && reason.ends_with("\" does not exist"))
    }

    /// Wraps a server error with what the engine was doing.
    pub fn db(context: impl Into<String>, err: &tokio_postgres::Error) -> Self {
        Error::Db { context: context.into(), reason: describe_pg_error(err) }
    }

    /// Wraps an I/O error with the file it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), error: source }
    }
}

/// One line for a tokio-postgres error: the server's message (with detail and hint) or the
/// chain of client-side causes.
pub(crate) fn describe_pg_error(err: &tokio_postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        let mut s = format!("{} ({})", db.message(), db.code().code());
        if let Some(detail) = db.detail() {
            s.push_str("; detail: ");
            s.push_str(detail);
        }
        if let Some(hint) = db.hint() {
            s.push_str("; hint: ");
            s.push_str(hint);
        }
        return s;
    }
    let mut s = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = cause.source();
    }
    s
}

//! Reading a backup without pgark or a database: an archive turned into open formats. `sql.rs`
//! writes one plain SQL script (schema, data as `COPY … FROM stdin` blocks, post-data) that
//! `psql -f` restores into an empty database, selected as a restore would select (or, through
//! `inserts.rs`, rows as INSERT statements for clients that cannot run COPY); `dir.rs`
//! writes the data as files (binary COPY, as stored) with a script that `\copy`s them in;
//! `files.rs` one CSV or JSON-lines file per table.
//!
//! Takes an [`Archive`](crate::archive::Archive) and a [`RestorePlan`](crate::restore::RestorePlan)
//! (the same selection `restore` makes); uses `decode` for binary COPY data.

mod dir;
mod files;
mod inserts;
mod sql;

pub use dir::write_directory;
pub use files::write_table_files;
pub use inserts::InsertOptions;
pub use sql::{copy_from_stdin, write_sql_script, write_sql_script_with, ScriptSummary};

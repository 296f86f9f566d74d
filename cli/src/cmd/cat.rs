//! `pgark cat ARCHIVE TABLE`: one table's rows straight from the archive, no database —
//! decoded chunk by chunk (each chunk's stored hash checked before its rows are written), in
//! bounded memory.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, Result};
use clap::ValueEnum;
use pgark_engine::{copy_from_stdin, write_rows, RowFormat, RowOptions, SourceFacts};

/// Output formats of `cat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CatFormat {
    /// PostgreSQL's COPY text format (tab-separated, `\N` for NULL), as `COPY … TO STDOUT` prints.
    Text,
    /// CSV with a header line; NULL is an empty field, an empty string `""`.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// A `COPY … FROM stdin;` block psql loads.
    Sql,
}

/// Runs `pgark cat`.
pub fn run(
    path: &Path,
    keys: &crate::args::KeyArgs,
    table: &str,
    format: CatFormat,
    limit: Option<u64>,
    columns: Option<Vec<String>>,
) -> Result<ExitCode> {
    let archive = keys.open(path)?;
    let entry = archive.manifest().find_table(table).map_err(|e| anyhow!(e))?.clone();
    let facts = SourceFacts::of(archive.manifest());
    if let Some(warning) = facts.money_warning(std::slice::from_ref(&entry)) {
        eprintln!("warning: {warning}");
    }
    let options = RowOptions {
        format: Some(match format {
            CatFormat::Text | CatFormat::Sql => RowFormat::Text,
            CatFormat::Csv => RowFormat::Csv,
            CatFormat::Jsonl => RowFormat::Jsonl,
        }),
        limit,
        columns,
        header: format == CatFormat::Csv,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    if format == CatFormat::Sql {
        let names: Vec<String> = match &options.columns {
            Some(c) => c.clone(),
            None => entry.columns.clone(),
        };
        writeln!(out, "{};", copy_from_stdin(&entry.schema, &entry.name, &names))?;
    }
    write_rows(&archive, &entry, facts, &options, &mut out)?;
    if format == CatFormat::Sql {
        writeln!(out, "\\.")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

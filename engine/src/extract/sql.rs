//! The plain SQL script: what `pg_dump -Fp` writes, from an archive. Schema items in restore
//! order, each table's rows as a `COPY … FROM stdin;` block in text format (binary chunks
//! decoded), large objects through a temporary table and `lo_put`, sequence values, then
//! indexes, constraints and the rest of post-data.

use std::io::Write;

use rayon::prelude::*;
use serde::Serialize;

use crate::archive::{Archive, Contents, CopyFormat, DdlItem, Manifest, TableEntry};
use crate::decode::{write_rows, RowFormat, RowOptions, SourceFacts};
use crate::error::{Error, Result};
use crate::pg::{copy_in_sql, setup_sql, Role};
use crate::progress::{Event, Progress, Stage};
use crate::restore::RestorePlan;

use super::inserts::{insert_head, write_inserts, InsertOptions};

/// What a script holds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScriptSummary {
    /// Schema statements written.
    pub statements: usize,
    /// Tables whose rows were written.
    pub tables: usize,
    /// Rows written.
    pub rows: u64,
}

/// Where the gathered large-object pieces go before `lo_put` (as a restore does it).
const LARGE_OBJECTS: &str = "CREATE TEMPORARY TABLE pgark_large_objects \
    (loid pg_catalog.oid, pageoff pg_catalog.int8, data pg_catalog.bytea);";
const LARGE_OBJECTS_PUT: &str = "SELECT pg_catalog.count(pg_catalog.lo_put(loid, pageoff, data)) \
    FROM pg_temp.pgark_large_objects;\nDROP TABLE pg_temp.pgark_large_objects;";

/// The script's opening: where it comes from, how to run it, the session settings a restore uses.
pub(super) fn preamble(m: &Manifest, how: &str, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "--\n-- pgark extract of database {} (PostgreSQL {}), snapshot {}\n--\n-- {how}\n\
         -- Roles it names must exist: {}\n--\n",
        m.database,
        m.server_version,
        m.snapshot_time.format("%Y-%m-%d %H:%M:%S UTC"),
        if m.roles.is_empty() { "(none)".to_string() } else { m.roles.join(", ") }
    )?;
    for setting in setup_sql(Role::Restore).split_inclusive(';') {
        writeln!(out, "{}", setting.trim())?;
    }
    writeln!(out, "SET client_min_messages = warning;\n")
}

/// Writes `items` under a heading (nothing when there are none); returns how many.
pub(super) fn statements(items: &[DdlItem], title: &str, version: i32, out: &mut dyn Write) -> std::io::Result<usize> {
    if items.is_empty() {
        return Ok(0);
    }
    writeln!(out, "--\n-- {title}\n--\n")?;
    for item in items {
        writeln!(out, "-- {}\n{}\n", item.label().replace('\n', " "), item.sql_for(version))?;
    }
    Ok(items.len())
}

/// The tables `plan` loads (manifest order), each with its chunks in block order.
pub(super) fn planned_tables(m: &Manifest, plan: &RestorePlan) -> Vec<TableEntry> {
    let mut tables: Vec<usize> = plan.chunks.iter().map(|&(t, _)| t).collect();
    tables.sort_unstable();
    tables.dedup();
    tables
        .into_iter()
        .map(|t| {
            let table = &m.tables[t];
            let mut chunks: Vec<usize> = plan.chunks.iter().filter(|&&(ti, _)| ti == t).map(|&(_, c)| c).collect();
            chunks.sort_unstable();
            TableEntry { chunks: chunks.iter().map(|&c| table.chunks[c].clone()).collect(), ..table.clone() }
        })
        .collect()
}

/// The `COPY … FROM STDIN` a table's rows (or large-object pieces, into a temporary table) are
/// loaded with, and the statements that come before and after it.
pub(super) fn copy_statement(
    table: &TableEntry,
    format: CopyFormat,
) -> (Option<&'static str>, String, Option<&'static str>) {
    if table.contents == Contents::LargeObjects {
        let copy = copy_in_sql("pg_temp", "pgark_large_objects", &table.columns, format);
        (Some(LARGE_OBJECTS), copy, Some(LARGE_OBJECTS_PUT))
    } else {
        (None, copy_in_sql(&table.schema, &table.name, &table.columns, format), None)
    }
}

/// Writes `table`'s rows as COPY text (or, given `inserts`, as INSERT statements), decoding as
/// many chunks at once as there are threads and writing them in order: memory holds about one
/// decoded chunk per thread.
fn write_rows_parallel(
    archive: &Archive,
    table: &TableEntry,
    facts: SourceFacts,
    inserts: Option<(&str, &InsertOptions)>,
    out: &mut dyn Write,
) -> Result<u64> {
    let options = RowOptions { format: Some(RowFormat::Text), ..Default::default() };
    let bare = TableEntry { chunks: Vec::new(), ..table.clone() };
    let mut rows = 0;
    for window in table.chunks.chunks(rayon::current_num_threads().max(1)) {
        let decoded: Vec<Result<(Vec<u8>, u64)>> = window
            .par_iter()
            .map(|chunk| {
                let one = TableEntry { chunks: vec![chunk.clone()], ..bare.clone() };
                let mut text = Vec::with_capacity(chunk.raw_len as usize + chunk.raw_len as usize / 2);
                let n = write_rows(archive, &one, facts, &options, &mut text)?;
                match inserts {
                    Some((head, insert)) => {
                        let mut statements = Vec::with_capacity(text.len() * 2);
                        let n = write_inserts(&text, head, table.columns.is_empty(), insert, &mut statements);
                        Ok((statements, n))
                    }
                    None => Ok((text, n)),
                }
            })
            .collect();
        for d in decoded {
            let (text, n) = d?;
            out.write_all(&text).map_err(|e| Error::Io { path: "the SQL script".into(), error: e })?;
            rows += n;
        }
    }
    Ok(rows)
}

/// The `COPY … FROM STDIN (FORMAT text)` statement that loads rows written as COPY text.
pub fn copy_from_stdin(schema: &str, name: &str, columns: &[String]) -> String {
    copy_in_sql(schema, name, columns, CopyFormat::Text)
}

/// Writes the script for `plan` (made by `restore::prepare` for `archive`) to `out`.
pub fn write_sql_script(
    archive: &Archive,
    plan: &RestorePlan,
    out: &mut dyn Write,
    progress: &dyn Progress,
) -> Result<ScriptSummary> {
    write_sql_script_with(archive, plan, None, out, progress)
}

/// [`write_sql_script`], with the rows as INSERT statements when `inserts` is given: a script
/// with no COPY and no psql meta-command, which any SQL client runs.
pub fn write_sql_script_with(
    archive: &Archive,
    plan: &RestorePlan,
    inserts: Option<&InsertOptions>,
    out: &mut dyn Write,
    progress: &dyn Progress,
) -> Result<ScriptSummary> {
    let io = |e: std::io::Error| Error::Io { path: "the SQL script".into(), error: e };
    let m = archive.manifest();
    let version = m.server_version_num;
    let mut summary = ScriptSummary::default();
    let how = match inserts {
        None => {
            "Restore into an empty database: psql -X -v ON_ERROR_STOP=1 -d DATABASE -f THIS_FILE\n\
             -- (add --single-transaction to leave nothing behind on failure)."
        }
        Some(_) => {
            "Rows as INSERT statements, no COPY and no psql meta-command: runs in any SQL client\n\
             -- (a web SQL editor, psql -X -v ON_ERROR_STOP=1 -f THIS_FILE) into an empty database."
        }
    };
    preamble(m, how, out).map_err(io)?;
    summary.statements += statements(&plan.pre_data, "pre-data", version, out).map_err(io)?;
    let tables = planned_tables(m, plan);
    let total: u64 = tables.iter().map(TableEntry::raw_bytes).sum();
    progress.event(Event::Begin { stage: Stage::Load, total, bytes: true });
    let facts = SourceFacts::of(m);
    for table in &tables {
        progress.event(Event::Detail { text: table.display_name() });
        let (before, copy, after) = copy_statement(table, CopyFormat::Text);
        if let Some(sql) = before {
            writeln!(out, "{sql}").map_err(io)?;
        }
        if let Some(insert) = inserts {
            let head = match table.contents {
                Contents::LargeObjects => insert_head("pg_temp", "pgark_large_objects", &table.columns),
                _ => insert_head(&table.schema, &table.name, &table.columns),
            };
            summary.rows += write_rows_parallel(archive, table, facts, Some((&head, insert)), out)?;
            writeln!(out).map_err(io)?;
        } else {
            // psql reads the rows that follow a COPY … FROM STDIN statement, up to `\.`.
            writeln!(out, "{copy};").map_err(io)?;
            summary.rows += write_rows_parallel(archive, table, facts, None, out)?;
            writeln!(out, "\\.\n").map_err(io)?;
        }
        if let Some(sql) = after {
            writeln!(out, "{sql}\n").map_err(io)?;
        }
        progress.event(Event::Advance { amount: table.raw_bytes() });
        summary.tables += 1;
    }
    progress.event(Event::End);
    summary.statements += statements(&plan.data_items, "sequence values", version, out).map_err(io)?;
    summary.statements += statements(&plan.post_data, "post-data", version, out).map_err(io)?;
    writeln!(out, "-- end of the pgark extract").map_err(io)?;
    out.flush().map_err(io)?;
    Ok(summary)
}

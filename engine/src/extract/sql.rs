//! The plain SQL script: what `pg_dump -Fp` writes, from an archive. Schema items in restore
//! order, each table's rows as a `COPY … FROM stdin;` block in text format (binary chunks
//! decoded), large objects through a temporary table and `lo_put`, sequence values, then
//! indexes, constraints and the rest of post-data.

use std::io::Write;

use serde::Serialize;

use crate::archive::{Archive, Contents, CopyFormat, DdlItem, TableEntry};
use crate::decode::{write_rows, RowFormat, RowOptions, SourceFacts};
use crate::error::{Error, Result};
use crate::pg::{copy_in_sql, setup_sql, Role};
use crate::progress::{Event, Progress, Stage};
use crate::restore::RestorePlan;

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

/// Writes the script for `plan` (made by `restore::prepare` for `archive`) to `out`.
pub fn write_sql_script(
    archive: &Archive,
    plan: &RestorePlan,
    out: &mut dyn Write,
    progress: &dyn Progress,
) -> Result<ScriptSummary> {
    let io = |e: std::io::Error| Error::Io { path: "the SQL script".into(), error: e };
    let m = archive.manifest();
    let mut summary = ScriptSummary::default();
    writeln!(
        out,
        "--\n-- pgark extract of database {} (PostgreSQL {}), snapshot {}\n--\n\
         -- Restore into an empty database: psql -X -v ON_ERROR_STOP=1 -d DATABASE -f THIS_FILE\n\
         -- (add --single-transaction to leave nothing behind on failure). Roles it names must exist:\n\
         -- {}\n--\n",
        m.database,
        m.server_version,
        m.snapshot_time.format("%Y-%m-%d %H:%M:%S UTC"),
        if m.roles.is_empty() { "(none)".to_string() } else { m.roles.join(", ") }
    )
    .map_err(io)?;
    for setting in setup_sql(Role::Restore).split_inclusive(';') {
        writeln!(out, "{}", setting.trim()).map_err(io)?;
    }
    writeln!(out, "SET client_min_messages = warning;\n").map_err(io)?;
    let version = m.server_version_num;
    let mut statements = |items: &[DdlItem], title: &str, out: &mut dyn Write| -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        writeln!(out, "--\n-- {title}\n--\n").map_err(io)?;
        for item in items {
            writeln!(out, "-- {}\n{}\n", item.label().replace('\n', " "), item.sql_for(version)).map_err(io)?;
            summary.statements += 1;
        }
        Ok(())
    };
    statements(&plan.pre_data, "pre-data", out)?;

    // Tables in manifest order, each table's chunks in block order.
    let mut tables: Vec<usize> = plan.chunks.iter().map(|&(t, _)| t).collect();
    tables.sort_unstable();
    tables.dedup();
    let total: u64 = plan.chunks.iter().map(|&(t, c)| m.tables[t].chunks[c].raw_len).sum();
    progress.event(Event::Begin { stage: Stage::Load, total, bytes: true });
    let facts = SourceFacts::of(m);
    let mut rows_summary = (0usize, 0u64);
    for &t in &tables {
        let table = &m.tables[t];
        let mut chunks: Vec<usize> = plan.chunks.iter().filter(|&&(ti, _)| ti == t).map(|&(_, c)| c).collect();
        chunks.sort_unstable();
        let selected =
            TableEntry { chunks: chunks.iter().map(|&c| table.chunks[c].clone()).collect(), ..table.clone() };
        progress.event(Event::Detail { text: table.display_name() });
        let large_objects = table.contents == Contents::LargeObjects;
        let copy = if large_objects {
            writeln!(out, "{LARGE_OBJECTS}").map_err(io)?;
            copy_in_sql("pg_temp", "pgark_large_objects", &table.columns, CopyFormat::Text)
        } else {
            copy_in_sql(&table.schema, &table.name, &table.columns, CopyFormat::Text)
        };
        // psql reads the rows that follow a COPY … FROM STDIN statement, up to `\.`.
        writeln!(out, "{copy};").map_err(io)?;
        let options = RowOptions { format: Some(RowFormat::Text), ..Default::default() };
        let rows = write_rows(archive, &selected, facts, &options, out)?;
        writeln!(out, "\\.\n").map_err(io)?;
        if large_objects {
            writeln!(out, "{LARGE_OBJECTS_PUT}\n").map_err(io)?;
        }
        progress.event(Event::Advance { amount: selected.raw_bytes() });
        rows_summary.0 += 1;
        rows_summary.1 += rows;
    }
    progress.event(Event::End);
    (summary.tables, summary.rows) = rows_summary;
    statements(&plan.data_items, "sequence values", out)?;
    statements(&plan.post_data, "post-data", out)?;
    writeln!(out, "-- end of the pgark extract").map_err(io)?;
    out.flush().map_err(io)?;
    Ok(summary)
}

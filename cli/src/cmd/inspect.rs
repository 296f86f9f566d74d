//! `pgark inspect`: one archive's facts, tables and restore instructions.

use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use pgark_engine::{Archive, Compression, Layout};
use serde_json::json;

use crate::units::bytes;

/// Runs `pgark inspect`.
pub fn run(path: &Path, keys: &crate::args::KeyArgs, as_json: bool) -> Result<ExitCode> {
    // Without keys, an encrypted archive shows what it shows to anyone.
    let archive = keys.open_archive(path, true)?;
    if let (Some(public), true) = (archive.public_info(), archive.is_locked()) {
        if as_json {
            let v = json!({"path": path, "file_bytes": archive.file_len(), "format_version": archive.format_version(),
                           "encrypted": true, "public": public});
            println!("{}", serde_json::to_string_pretty(&v).context("encoding JSON")?);
        } else {
            print!("{}", describe(path, &archive));
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !as_json {
        print!("{}", describe(path, &archive));
        return Ok(ExitCode::SUCCESS);
    }
    let m = archive.manifest();
    {
        let tables: Vec<_> = m
            .tables
            .iter()
            .map(|t| {
                json!({
                    "schema": t.schema, "name": t.name, "rows": t.rows(), "raw_bytes": t.raw_bytes(),
                    "stored_bytes": t.stored_bytes(), "chunks": t.chunks.len(), "format": t.format.sql(),
                    "layout": t.layout,
                })
            })
            .collect();
        let v = json!({
            "path": path, "file_bytes": archive.file_len(), "format_version": archive.format_version(),
            "database": m.database,
            "server_version": m.server_version, "encoding": m.encoding, "tool_version": m.tool_version,
            "snapshot_time": m.snapshot_time, "finished_time": m.finished_time, "settings": m.settings,
            "totals": { "tables": m.tables.len(), "rows": m.total_rows(), "raw_bytes": m.total_raw_bytes(),
                        "stored_bytes": m.total_stored_bytes(), "chunks": m.total_chunks(), "schema_items": m.items.len() },
            "tables": tables,
            "requires": m.items.iter().filter(|i| !i.requires.is_empty())
                .map(|i| json!({"object": i.label(), "needs": i.requires})).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&v).context("encoding JSON")?);
    }
    Ok(ExitCode::SUCCESS)
}

/// The archive's facts, tables and restore instructions, as `inspect` prints them.
pub fn describe(path: &Path, archive: &Archive) -> String {
    let mut out = String::new();
    write_text(&mut out, path, archive).expect("writing to a String cannot fail");
    out
}

fn write_text(out: &mut String, path: &Path, archive: &Archive) -> std::fmt::Result {
    if let (Some(p), true) = (archive.public_info(), archive.is_locked()) {
        return write_locked(out, path, archive, p);
    }
    let m = archive.manifest();
    let mut compression = match m.settings.compression {
        Compression::None => "none".to_string(),
        Compression::Zstd { level } => format!("zstd level {level}"),
    };
    let packed = m.tables.iter().filter(|t| t.layout == Layout::Columns).count();
    if packed > 0 {
        compression.push_str(&format!(", {packed} of {} tables packed by column", m.tables.len()));
    }
    writeln!(out, "archive:     {} ({})", path.display(), bytes(archive.file_len()))?;
    writeln!(out, "database:    {} (PostgreSQL {}, {})", m.database, m.server_version, m.encoding)?;
    writeln!(out, "snapshot:    {}", m.snapshot_time.format("%Y-%m-%d %H:%M:%S UTC"))?;
    writeln!(
        out,
        "finished:    {} ({:.1} s after the snapshot)",
        m.finished_time.format("%Y-%m-%d %H:%M:%S UTC"),
        (m.finished_time - m.snapshot_time).num_milliseconds() as f64 / 1000.0
    )?;
    writeln!(out, "written by:  pgark {} (archive format {})", m.tool_version, archive.format_version())?;
    if let Some(p) = archive.public_info() {
        writeln!(
            out,
            "encrypted:   with age, to {} (the commands below need --identity FILE or the passphrase)",
            p.recipients.join(", ")
        )?;
    }
    writeln!(
        out,
        "settings:    {} jobs, chunks of {}, {}",
        m.settings.jobs,
        bytes(m.settings.chunk_size),
        compression
    )?;
    let mut contents = Vec::new();
    if let Some(p) = &m.settings.profile {
        contents.push(format!("profile {p}"));
    }
    if !m.settings.data {
        contents.push("no data".into());
    }
    if !m.settings.structure {
        contents.push("no schema".into());
    }
    if !m.settings.exclude_kinds.is_empty() {
        let kinds: Vec<&str> = m.settings.exclude_kinds.iter().map(|k| k.name()).collect();
        contents.push(format!("left out: {}", kinds.join(", ")));
    }
    if !m.settings.managed_schemas.is_empty() {
        contents.push("managed (Supabase) schemas left out".into());
    }
    if !contents.is_empty() {
        writeln!(out, "contents:    {}", contents.join("; "))?;
    }
    if !m.roles.is_empty() {
        let globals = if m.globals.is_empty() { "" } else { " (definitions included)" };
        writeln!(out, "roles:       {}{globals}", m.roles.join(", "))?;
    }
    for (label, list) in [
        ("schemas", &m.settings.schemas),
        ("excluded schemas", &m.settings.exclude_schemas),
        ("tables", &m.settings.tables),
        ("excluded tables", &m.settings.exclude_tables),
    ] {
        if !list.is_empty() {
            writeln!(out, "only:        {label} {}", list.join(", "))?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{:<48} {:>12} {:>11} {:>11} {:>7}", "table", "rows", "raw", "stored", "chunks")?;
    let mut tables: Vec<_> = m.tables.iter().collect();
    tables.sort_by_key(|t| std::cmp::Reverse(t.raw_bytes()));
    for t in tables {
        writeln!(
            out,
            "{:<48} {:>12} {:>11} {:>11} {:>7}",
            t.display_name(),
            t.rows(),
            bytes(t.raw_bytes()),
            bytes(t.stored_bytes()),
            t.chunks.len()
        )?;
    }
    let ratio =
        if m.total_stored_bytes() > 0 { m.total_raw_bytes() as f64 / m.total_stored_bytes() as f64 } else { 1.0 };
    writeln!(
        out,
        "total: {} tables, {} rows, {} raw, {} stored ({ratio:.1}x), {} chunks, {} schema statements",
        m.tables.len(),
        m.total_rows(),
        bytes(m.total_raw_bytes()),
        bytes(m.total_stored_bytes()),
        m.total_chunks(),
        m.items.len()
    )?;
    write_requires(out, m)?;
    writeln!(out)?;
    writeln!(
        out,
        "restore:     pgark restore {} --db postgres://USER@HOST:PORT/NEWDB --create --jobs 4",
        path.display()
    )?;
    writeln!(out, "check first: pgark verify {}", path.display())?;
    writeln!(
        out,
        "plain psql:  pgark extract {p} --format sql -o NEWDB.sql && psql -X -v ON_ERROR_STOP=1 -d NEWDB -f NEWDB.sql",
        p = path.display()
    )?;
    writeln!(
        out,
        "files:       pgark extract {} --format dir -o DIR (data files + restore.sql for psql), \
         --format csv|jsonl -o DIR, pgark cat {} TABLE",
        path.display(),
        path.display()
    )?;
    Ok(())
}

/// The objects that need objects the archive leaves out, if any.
fn write_requires(out: &mut String, m: &pgark_engine::Manifest) -> std::fmt::Result {
    let needing: Vec<String> = m.items.iter().filter_map(|i| i.requires_line()).collect();
    if !needing.is_empty() {
        writeln!(out, "\nneed objects this archive leaves out (restored only where the target has them):")?;
        for line in needing {
            writeln!(out, "  {line}")?;
        }
    }
    Ok(())
}

/// What an encrypted archive opened without its key shows.
fn write_locked(out: &mut String, path: &Path, archive: &Archive, p: &pgark_engine::PublicInfo) -> std::fmt::Result {
    writeln!(out, "archive:     {} ({})", path.display(), bytes(archive.file_len()))?;
    writeln!(out, "database:    {} (PostgreSQL {})", p.database, p.server_version)?;
    writeln!(out, "snapshot:    {}", p.snapshot_time.format("%Y-%m-%d %H:%M:%S UTC"))?;
    writeln!(out, "finished:    {}", p.finished_time.format("%Y-%m-%d %H:%M:%S UTC"))?;
    writeln!(out, "written by:  pgark {} (archive format {})", p.tool_version, archive.format_version())?;
    if let Some(profile) = &p.profile {
        writeln!(out, "contents:    profile {profile}")?;
    }
    writeln!(out, "total:       {} tables, {} rows, {} of COPY data", p.tables, p.rows, bytes(p.raw_bytes))?;
    writeln!(out, "encrypted:   with age, to {}", p.recipients.join(", "))?;
    writeln!(
        out,
        "             tables, schema and data need the key: pgark inspect|restore|extract|cat {} --identity FILE \
         (or --passphrase-env VAR / --passphrase-file FILE); pgark verify checks every stored byte without it",
        path.display()
    )?;
    Ok(())
}

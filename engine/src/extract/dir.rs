//! The directory form: `pre-data.sql`, one data file per chunk (its COPY stream as stored —
//! binary for most tables, so every type travels, even ones pgark cannot decode),
//! `post-data.sql`, and `restore.sql`, which psql runs from inside the directory: the schema,
//! then `\copy … FROM 'data/…' WITH (FORMAT binary)` for each chunk, then post-data.

use std::io::Write;
use std::path::Path;

use super::sql::{copy_statement, planned_tables, preamble, statements, ScriptSummary};
use crate::archive::{Archive, CopyFormat};
use crate::error::{Error, Result};
use crate::progress::{Event, Progress, Stage};
use crate::restore::RestorePlan;

/// How to use the directory.
const README: &str = "This directory is a pgark archive in files psql can restore, no pgark needed.

  pre-data.sql    schemas, types, functions, tables (run first)
  data/           one file per chunk of each table: its COPY stream (binary or text, as
                  restore.sql says), checked against the archive's hashes when written
  post-data.sql   sequence values, indexes, constraints, triggers, policies, grants
  restore.sql     runs all of it in order

Restore into an empty database (roles the objects name must exist):

  cd THIS_DIRECTORY
  psql -X -v ON_ERROR_STOP=1 -d DATABASE -f restore.sql

psql's \\copy reads the data files relative to the current directory, so run it from here.
";

/// Writes the directory form of `plan` into `dir` (which must exist and be empty).
pub fn write_directory(
    archive: &Archive,
    plan: &RestorePlan,
    dir: &Path,
    progress: &dyn Progress,
) -> Result<ScriptSummary> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |e: std::io::Error| Error::Io { path: path.clone(), error: e }
    };
    let m = archive.manifest();
    let version = m.server_version_num;
    let create = |name: &str| -> Result<std::io::BufWriter<std::fs::File>> {
        let path = dir.join(name);
        Ok(std::io::BufWriter::new(crate::files::create_private(&path).map_err(io(&path))?))
    };
    let mut summary = ScriptSummary::default();
    let mut pre = create("pre-data.sql")?;
    preamble(m, "Run by restore.sql; see README.txt.", &mut pre).map_err(io(&dir.join("pre-data.sql")))?;
    summary.statements +=
        statements(&plan.pre_data, "pre-data", version, &mut pre).map_err(io(&dir.join("pre-data.sql")))?;
    pre.flush().map_err(io(&dir.join("pre-data.sql")))?;

    let data = dir.join("data");
    crate::files::private_dir(&data).map_err(io(&data))?;
    let restore_path = dir.join("restore.sql");
    let mut restore = create("restore.sql")?;
    let r = io(&restore_path);
    writeln!(
        restore,
        "-- Run from this directory: psql -X -v ON_ERROR_STOP=1 -d DATABASE -f restore.sql\n\\ir pre-data.sql\n"
    )
    .map_err(&r)?;
    // \copy runs in psql's own session, which pre-data.sql's settings do not reach.
    writeln!(restore, "SELECT pg_catalog.set_config('search_path', '', false);\n").map_err(&r)?;
    let tables = planned_tables(m, plan);
    let total: u64 = tables.iter().map(|t| t.raw_bytes()).sum();
    progress.event(Event::Begin { stage: Stage::Load, total, bytes: true });
    for (t, table) in tables.iter().enumerate() {
        progress.event(Event::Detail { text: table.display_name() });
        let ext = if table.format == CopyFormat::Binary { "bin" } else { "txt" };
        let (before, copy, after) = copy_statement(table, table.format);
        writeln!(restore, "-- {} ({} rows)", table.display_name().replace('\n', " "), table.rows()).map_err(&r)?;
        if let Some(sql) = before {
            writeln!(restore, "{sql}").map_err(&r)?;
        }
        for chunk in &table.chunks {
            let name = format!("{t:05}-{:05}.{ext}", chunk.index);
            let path = data.join(&name);
            let mut file = std::io::BufWriter::new(crate::files::create_private(&path).map_err(io(&path))?);
            let mut failed = None;
            archive.stream_chunk(table, chunk, &mut |piece| {
                file.write_all(&piece).map_err(|e| {
                    let message = e.to_string();
                    failed = Some(e);
                    message
                })
            })?;
            if let Some(e) = failed {
                return Err(io(&path)(e));
            }
            file.flush().map_err(io(&path))?;
            // `\copy` is `COPY … FROM STDIN` with the file as its input, on one line.
            let from_file = copy.replacen("FROM STDIN", &format!("FROM 'data/{name}'"), 1);
            let rest = from_file.strip_prefix("COPY").unwrap_or(&from_file);
            writeln!(restore, "\\copy{}", rest.replace('\n', " ")).map_err(&r)?;
            progress.event(Event::Advance { amount: chunk.raw_len });
        }
        if let Some(sql) = after {
            writeln!(restore, "{sql}").map_err(&r)?;
        }
        writeln!(restore).map_err(&r)?;
        summary.tables += 1;
        summary.rows += table.rows();
    }
    progress.event(Event::End);
    writeln!(restore, "\\ir post-data.sql").map_err(&r)?;
    restore.flush().map_err(&r)?;
    let mut post = create("post-data.sql")?;
    let p = io(&dir.join("post-data.sql"));
    preamble(m, "Run by restore.sql; see README.txt.", &mut post).map_err(&p)?;
    summary.statements += statements(&plan.data_items, "sequence values", version, &mut post).map_err(&p)?;
    summary.statements += statements(&plan.post_data, "post-data", version, &mut post).map_err(&p)?;
    post.flush().map_err(&p)?;
    let mut readme = create("README.txt")?;
    readme.write_all(README.as_bytes()).and_then(|_| readme.flush()).map_err(io(&dir.join("README.txt")))?;
    Ok(summary)
}

//! One file per table — CSV with a header row, or JSON lines — for analytics, spreadsheets and
//! the original backup system's JSON export. Named `schema.table.csv` (characters a file name
//! cannot hold replaced by `_`; `-2`, `-3` … when two names collide).

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use super::sql::{planned_tables, ScriptSummary};
use crate::archive::{Archive, Contents};
use crate::decode::{write_rows, RowFormat, RowOptions, SourceFacts};
use crate::error::{Error, Result};
use crate::progress::{Event, Progress, Stage};
use crate::restore::RestorePlan;

/// Writes each table `plan` loads into its own file in `dir` (which must exist) in `format`
/// (CSV or JSON lines); large objects are left out. Returns the tables and rows written.
pub fn write_table_files(
    archive: &Archive,
    plan: &RestorePlan,
    dir: &Path,
    format: RowFormat,
    progress: &dyn Progress,
) -> Result<ScriptSummary> {
    let m = archive.manifest();
    let ext = match format {
        RowFormat::Csv => "csv",
        RowFormat::Jsonl => "jsonl",
        RowFormat::Text => "copy",
    };
    let tables: Vec<_> = planned_tables(m, plan).into_iter().filter(|t| t.contents == Contents::Rows).collect();
    progress.event(Event::Begin { stage: Stage::Load, total: tables.iter().map(|t| t.raw_bytes()).sum(), bytes: true });
    let facts = SourceFacts::of(m);
    let mut taken = HashSet::new();
    let mut summary = ScriptSummary::default();
    for table in &tables {
        progress.event(Event::Detail { text: table.display_name() });
        let safe: String = table
            .display_name()
            .chars()
            .map(|c| {
                if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        let name = (1..)
            .map(|n| if n == 1 { format!("{safe}.{ext}") } else { format!("{safe}-{n}.{ext}") })
            .find(|n| taken.insert(n.to_lowercase()))
            .expect("a free name");
        let path = dir.join(&name);
        let file = crate::files::create_private(&path).map_err(|e| Error::Io { path: path.clone(), error: e })?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        let options = RowOptions { format: Some(format), header: format == RowFormat::Csv, ..Default::default() };
        summary.rows += write_rows(archive, table, facts, &options, &mut out)?;
        out.flush().map_err(|e| Error::Io { path: path.clone(), error: e })?;
        summary.tables += 1;
        progress.event(Event::Advance { amount: table.raw_bytes() });
    }
    progress.event(Event::End);
    Ok(summary)
}

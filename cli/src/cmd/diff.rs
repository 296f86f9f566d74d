//! `pgark diff A B` (also: compare): what changed between two backups — schema items added,
//! removed or changed (with a unified diff), sequence values, and per table the rows and whether
//! the content changed. Exit status as diff(1): 0 identical, 1 different, 2 trouble.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use pgark_engine::{diff_archives, ArchiveDiff, Change, ContentChange, DiffSide, ItemChange};

/// Runs `pgark diff`.
pub fn run(a: &Path, b: &Path, keys: &crate::args::KeyArgs, json: bool, all_tables: bool) -> ExitCode {
    match compare(a, b, keys, json, all_tables) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Prints the comparison; true when the archives hold the same.
fn compare(a: &Path, b: &Path, keys: &crate::args::KeyArgs, json: bool, all_tables: bool) -> Result<bool> {
    let d = diff_archives(&keys.open(a)?, &keys.open(b)?);
    if json {
        println!("{}", serde_json::to_string_pretty(&d).context("encoding the comparison")?);
    } else {
        print_text(&d, all_tables);
    }
    Ok(d.identical())
}

fn print_text(d: &ArchiveDiff, all_tables: bool) {
    print_side("A", &d.a);
    print_side("B", &d.b);
    for note in &d.notes {
        println!("note: dumped differently: {note}");
    }
    println!();
    let count = |items: &[ItemChange], c: Change| items.iter().filter(|i| i.change == c).count();
    println!(
        "Schema: {} added, {} removed, {} changed, {} unchanged",
        count(&d.schema, Change::Added),
        count(&d.schema, Change::Removed),
        count(&d.schema, Change::Changed),
        d.schema_unchanged
    );
    for item in &d.schema {
        print_item(item, false);
    }
    if !d.sequences.is_empty() {
        println!("Sequence values: {} differ", d.sequences.len());
        for item in &d.sequences {
            print_item(item, true);
        }
    }
    let tally = |c: ContentChange| d.tables.iter().filter(|t| t.content == c).count();
    println!(
        "Data: {} table(s): {} changed, {} unchanged, {} unknown, {} added, {} removed",
        d.tables.len(),
        tally(ContentChange::Changed),
        tally(ContentChange::Unchanged),
        tally(ContentChange::Unknown),
        tally(ContentChange::Added),
        tally(ContentChange::Removed)
    );
    for t in d.tables.iter().filter(|t| all_tables || t.content != ContentChange::Unchanged) {
        let rows = |r: Option<u64>| r.map_or("-".to_string(), |r| r.to_string());
        let delta = match (t.rows_a, t.rows_b) {
            (Some(x), Some(y)) if x != y => format!(" ({:+})", y as i128 - x as i128),
            _ => String::new(),
        };
        let content = match t.content {
            ContentChange::Unchanged => "unchanged",
            ContentChange::Changed => "changed",
            ContentChange::Unknown => "unknown",
            ContentChange::Added => "added",
            ContentChange::Removed => "removed",
        };
        let reason = t.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
        println!("  {:<40} {content}{reason}, rows {} → {}{delta}", t.table, rows(t.rows_a), rows(t.rows_b));
    }
    println!();
    println!("{}", if d.identical() { "The backups hold the same." } else { "The backups differ." });
}

fn print_side(name: &str, s: &DiffSide) {
    println!(
        "{name}: {}  ({}, PostgreSQL {}, snapshot {} UTC, profile {}, pgark {})",
        s.path,
        s.database,
        s.server_version,
        s.snapshot_time.format("%Y-%m-%d %H:%M:%S"),
        s.profile.as_deref().unwrap_or("full"),
        s.tool_version
    );
}

/// One item: `+`/`-` with its statement's first line, or `~` with the unified diff (sequence
/// values: just the changed lines).
fn print_item(item: &ItemChange, brief: bool) {
    match item.change {
        Change::Added | Change::Removed => {
            let sign = if item.change == Change::Added { '+' } else { '-' };
            let first = item.sql.as_deref().and_then(|s| s.lines().next()).unwrap_or("");
            println!("  {sign} {}: {first}", item.label);
        }
        Change::Changed => {
            println!("  ~ {}", item.label);
            for line in item.diff.as_deref().unwrap_or("").lines() {
                let header = line.starts_with("---") || line.starts_with("+++") || line.starts_with("@@");
                if !brief || !(header || line.starts_with(' ')) {
                    println!("      {line}");
                }
            }
        }
    }
}

//! Comparing two archives without a database: schema items added, removed or changed (with a
//! unified diff of each changed statement), sequence values, and per table the change in rows
//! and whether the content changed.
//!
//! Content is compared by the tables' [`RowDigest`](crate::archive::RowDigest)s (the sum of every row's hash, recorded at
//! dump time), so the same rows compare equal however the two dumps cut the table into chunks.
//! Archives written before row digests existed say "unknown" rather than guess.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;
use similar::TextDiff;

use crate::archive::{Archive, CopyFormat, DdlItem, Kind, Manifest, Section, TableEntry};

/// What `pgark diff A B` reports.
#[derive(Debug, Clone, Serialize)]
pub struct ArchiveDiff {
    /// The first (older) archive.
    pub a: DiffSide,
    /// The second (newer) archive.
    pub b: DiffSide,
    /// How the two dumps were made differently (profile, filters, toggles), which explains
    /// items or tables present on one side only.
    pub notes: Vec<String>,
    /// Schema items added, removed or changed (sequence values are in `sequences`).
    pub schema: Vec<ItemChange>,
    /// Schema items equal on both sides.
    pub schema_unchanged: usize,
    /// Sequence values that differ.
    pub sequences: Vec<ItemChange>,
    /// Every table with data on either side.
    pub tables: Vec<TableChange>,
}

impl ArchiveDiff {
    /// Whether nothing differs: no schema or sequence change and every table's content unchanged.
    pub fn identical(&self) -> bool {
        self.schema.is_empty()
            && self.sequences.is_empty()
            && self.tables.iter().all(|t| t.content == Content::Unchanged)
    }
}

/// One side of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct DiffSide {
    /// The archive's path as given.
    pub path: String,
    /// The database dumped.
    pub database: String,
    /// Its server's version.
    pub server_version: String,
    /// When its snapshot was taken.
    pub snapshot_time: DateTime<Utc>,
    /// The pgark that wrote it.
    pub tool_version: String,
    /// The dump profile, if one was named.
    pub profile: Option<String>,
}

/// How an item or a table differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Only in B.
    Added,
    /// Only in A.
    Removed,
    /// In both, different.
    Changed,
}

/// A schema item that differs.
#[derive(Debug, Clone, Serialize)]
pub struct ItemChange {
    /// Added, removed or changed.
    pub change: Change,
    /// The item's kind.
    pub kind: Kind,
    /// For owners, grants, comments and labels: the kind of object they belong to.
    pub of_kind: Option<Kind>,
    /// The restore section it belongs to.
    pub section: Section,
    /// Its schema, if it lives in one.
    pub schema: Option<String>,
    /// Its name (an identity for owners, grants and comments).
    pub name: String,
    /// The table it hangs off, if any.
    pub table: Option<String>,
    /// `kind schema.name`, for people.
    pub label: String,
    /// For changed items: a unified diff of the statements (A as `---`, B as `+++`).
    pub diff: Option<String>,
    /// For added or removed items: the statement.
    pub sql: Option<String>,
}

/// Whether a table's rows changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Content {
    /// The same rows on both sides.
    Unchanged,
    /// Different rows.
    Changed,
    /// Cannot tell (see the reason).
    Unknown,
    /// Data only in B.
    Added,
    /// Data only in A.
    Removed,
}

/// One table's data compared.
#[derive(Debug, Clone, Serialize)]
pub struct TableChange {
    /// `schema.table`.
    pub table: String,
    /// Rows in A (absent: no data for it in A).
    pub rows_a: Option<u64>,
    /// Rows in B.
    pub rows_b: Option<u64>,
    /// Unchanged, changed, unknown, added or removed.
    pub content: Content,
    /// Why the content is unknown, or what changed besides the rows.
    pub reason: Option<String>,
}

/// Compares two open archives; `a` is taken as the older.
pub fn diff(a: &Archive, b: &Archive) -> ArchiveDiff {
    let (ma, mb) = (a.manifest(), b.manifest());
    let (schema, schema_unchanged) = item_changes(ma, mb, |k| k != Kind::SequenceSet);
    let (sequences, _) = item_changes(ma, mb, |k| k == Kind::SequenceSet);
    ArchiveDiff {
        a: side(a.path(), ma),
        b: side(b.path(), mb),
        notes: setting_notes(ma, mb),
        schema,
        schema_unchanged,
        sequences,
        tables: table_changes(ma, mb),
    }
}

fn side(path: &Path, m: &Manifest) -> DiffSide {
    DiffSide {
        path: path.display().to_string(),
        database: m.database.clone(),
        server_version: m.server_version.clone(),
        snapshot_time: m.snapshot_time,
        tool_version: m.tool_version.clone(),
        profile: m.settings.profile.clone(),
    }
}

/// What identifies an item across archives: section, kind, owning kind, schema, table, name.
type ItemKey = (Section, &'static str, &'static str, Option<String>, Option<String>, String);

fn key(item: &DdlItem) -> ItemKey {
    (
        item.section,
        item.kind.name(),
        item.of_kind.map_or("", Kind::name),
        item.schema.clone(),
        item.table.clone(),
        item.name.clone(),
    )
}

/// The items of `m` whose kind passes `keep`, by key; items sharing a key are joined in order.
fn items_by_key<'m>(m: &'m Manifest, keep: &impl Fn(Kind) -> bool) -> BTreeMap<ItemKey, (&'m DdlItem, String)> {
    let mut out: BTreeMap<ItemKey, (&DdlItem, String)> = BTreeMap::new();
    for item in m.items.iter().filter(|i| keep(i.kind)) {
        out.entry(key(item))
            .and_modify(|(_, sql)| {
                sql.push('\n');
                sql.push_str(&item.sql);
            })
            .or_insert_with(|| (item, item.sql.clone()));
    }
    out
}

/// The items that differ, and how many are equal.
fn item_changes(a: &Manifest, b: &Manifest, keep: impl Fn(Kind) -> bool) -> (Vec<ItemChange>, usize) {
    let (in_a, in_b) = (items_by_key(a, &keep), items_by_key(b, &keep));
    let mut changes = Vec::new();
    let mut unchanged = 0;
    for (k, (item, sql)) in &in_a {
        match in_b.get(k) {
            None => changes.push(item_change(Change::Removed, item, None, Some(sql.clone()))),
            Some((_, other)) if other == sql => unchanged += 1,
            Some((_, other)) => {
                let label = label(item);
                let text = TextDiff::from_lines(format!("{sql}\n"), format!("{other}\n"))
                    .unified_diff()
                    .context_radius(3)
                    .header(&format!("a: {label}"), &format!("b: {label}"))
                    .to_string();
                changes.push(item_change(Change::Changed, item, Some(text), None));
            }
        }
    }
    for (k, (item, sql)) in &in_b {
        if !in_a.contains_key(k) {
            changes.push(item_change(Change::Added, item, None, Some(sql.clone())));
        }
    }
    changes.sort_by_key(|c| c.section);
    (changes, unchanged)
}

/// The item's label, with the table it hangs off.
fn label(item: &DdlItem) -> String {
    match (&item.table, &item.schema) {
        (Some(t), Some(s)) => format!("{} on {s}.{t}", item.label()),
        _ => item.label(),
    }
}

fn item_change(change: Change, item: &DdlItem, diff: Option<String>, sql: Option<String>) -> ItemChange {
    ItemChange {
        change,
        kind: item.kind,
        of_kind: item.of_kind,
        section: item.section,
        schema: item.schema.clone(),
        name: item.name.clone(),
        table: item.table.clone(),
        label: label(item),
        diff,
        sql,
    }
}

/// Every table with data on either side, in name order.
fn table_changes(a: &Manifest, b: &Manifest) -> Vec<TableChange> {
    let by_name = |m: &'_ Manifest| -> BTreeMap<String, TableEntry> {
        m.tables.iter().map(|t| (t.display_name(), t.clone())).collect()
    };
    let (in_a, in_b) = (by_name(a), by_name(b));
    let mut names: Vec<&String> = in_a.keys().chain(in_b.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let (ta, tb) = (in_a.get(name), in_b.get(name));
            let (content, reason) = match (ta, tb) {
                (Some(ta), Some(tb)) => compare_content(ta, tb),
                (None, Some(tb)) => absent_from(a, "A", tb, Content::Added),
                (Some(ta), None) => absent_from(b, "B", ta, Content::Removed),
                (None, None) => unreachable!("the name came from one side"),
            };
            TableChange {
                table: name.clone(),
                rows_a: ta.map(TableEntry::rows),
                rows_b: tb.map(TableEntry::rows),
                content,
                reason,
            }
        })
        .collect()
}

/// The content of a table that has data on both sides.
fn compare_content(a: &TableEntry, b: &TableEntry) -> (Content, Option<String>) {
    if a.rows() == 0 && b.rows() == 0 {
        return (Content::Unchanged, None);
    }
    if a.columns != b.columns {
        return (Content::Changed, Some(column_change(&a.columns, &b.columns)));
    }
    if a.rows() != b.rows() {
        return (Content::Changed, None);
    }
    if a.format != b.format {
        let name = |f: CopyFormat| f.sql();
        let why = format!("dumped as {} COPY in A and {} COPY in B", name(a.format), name(b.format));
        return (Content::Unknown, Some(why));
    }
    match (a.row_digest(), b.row_digest()) {
        (Some(x), Some(y)) if x == y => (Content::Unchanged, None),
        (Some(_), Some(_)) => (Content::Changed, None),
        (None, _) => (Content::Unknown, Some(no_digest("A"))),
        (_, None) => (Content::Unknown, Some(no_digest("B"))),
    }
}

/// `columns added: x; removed: y` (or that only their order changed).
fn column_change(a: &[String], b: &[String]) -> String {
    let only = |x: &[String], y: &[String]| x.iter().filter(|c| !y.contains(c)).cloned().collect::<Vec<_>>();
    let (added, removed) = (only(b, a), only(a, b));
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("added: {}", added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("removed: {}", removed.join(", ")));
    }
    if parts.is_empty() {
        "columns in another order".into()
    } else {
        format!("columns {}", parts.join("; "))
    }
}

fn no_digest(side: &str) -> String {
    format!("{side} was written by a pgark that recorded no row digests")
}

/// A table with data on one side only: added or removed, unless the other dump left its data
/// out (a data filter, a structure-only profile) while the table itself was there.
fn absent_from(m: &Manifest, side: &str, present: &TableEntry, otherwise: Content) -> (Content, Option<String>) {
    let table_item = m.items.iter().any(|i| {
        i.kind == Kind::Table && i.schema.as_deref() == Some(present.schema.as_str()) && i.name == present.name
    });
    if table_item || !m.settings.data {
        (Content::Unknown, Some(format!("{side} holds no data for it")))
    } else {
        (otherwise, None)
    }
}

/// How the two dumps' settings differ, in words.
fn setting_notes(a: &Manifest, b: &Manifest) -> Vec<String> {
    let (sa, sb) = (&a.settings, &b.settings);
    let mut notes = Vec::new();
    let mut differ = |what: &str, x: String, y: String| {
        if x != y {
            notes.push(format!("{what}: {x} in A, {y} in B"));
        }
    };
    let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    let kinds = |v: &[Kind]| list(&v.iter().map(|k| k.name().to_string()).collect::<Vec<_>>());
    differ("profile", sa.profile.clone().unwrap_or("none".into()), sb.profile.clone().unwrap_or("none".into()));
    differ("data", yes_no(sa.data), yes_no(sb.data));
    differ("structure", yes_no(sa.structure), yes_no(sb.structure));
    differ("schemas", list(&sa.schemas), list(&sb.schemas));
    differ("excluded schemas", list(&sa.exclude_schemas), list(&sb.exclude_schemas));
    differ("tables", list(&sa.tables), list(&sb.tables));
    differ("excluded tables", list(&sa.exclude_tables), list(&sb.exclude_tables));
    differ("kinds left out", kinds(&sa.exclude_kinds), kinds(&sb.exclude_kinds));
    differ("database", a.database.clone(), b.database.clone());
    differ("server", a.server_version.clone(), b.server_version.clone());
    notes
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::RowDigest;

    fn table(rows: &[(u64, Option<String>)]) -> TableEntry {
        TableEntry {
            schema: "public".into(),
            name: "t".into(),
            columns: vec!["id".into()],
            format: CopyFormat::Binary,
            layout: Default::default(),
            contents: Default::default(),
            column_types: vec![],
            chunks: rows
                .iter()
                .enumerate()
                .map(|(i, (rows, digest))| crate::archive::ChunkEntry {
                    index: i as u32,
                    first_block: 0,
                    end_block: None,
                    offset: 0,
                    stored_len: 0,
                    raw_len: 0,
                    rows: *rows,
                    raw_blake3: String::new(),
                    stored_blake3: String::new(),
                    row_digest: digest.clone(),
                })
                .collect(),
        }
    }

    fn digest(rows: &[&str]) -> Option<String> {
        let mut d = RowDigest::default();
        rows.iter().for_each(|r| d.add_row(r.as_bytes()));
        Some(d.to_string())
    }

    #[test]
    fn content_does_not_depend_on_chunks_and_old_archives_are_unknown() {
        let one = table(&[(3, digest(&["a", "b", "c"]))]);
        let two = table(&[(1, digest(&["b"])), (2, digest(&["c", "a"]))]);
        assert_eq!(compare_content(&one, &two).0, Content::Unchanged);
        let other = table(&[(1, digest(&["b"])), (2, digest(&["c", "x"]))]);
        assert_eq!(compare_content(&one, &other).0, Content::Changed);
        let old = table(&[(3, None)]);
        assert_eq!(compare_content(&one, &old), (Content::Unknown, Some(no_digest("B"))));
        let more = table(&[(4, None)]);
        assert_eq!(compare_content(&old, &more).0, Content::Changed, "row counts tell even without digests");
        let mut text = two.clone();
        text.format = CopyFormat::Text;
        assert_eq!(compare_content(&one, &text).0, Content::Unknown);
        let mut wider = two;
        wider.columns.push("extra".into());
        assert_eq!(compare_content(&one, &wider), (Content::Changed, Some("columns added: extra".into())));
    }
}

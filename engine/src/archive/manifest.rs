//! The manifest: everything an archive knows about its dump, stored as JSON after the chunks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::column_types::ColumnType;
use super::copy_format::CopyFormat;
use super::kind::{Kind, Section};
use super::row_digest::RowDigest;
use crate::sql::{ident, literal};

/// One schema statement, tagged so it can be filtered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DdlItem {
    /// Section the item is restored in.
    pub section: Section,
    /// What the item creates.
    pub kind: Kind,
    /// Schema the object lives in (none for schemas and extensions themselves).
    pub schema: Option<String>,
    /// Object name (for constraints and indexes: their own name).
    pub name: String,
    /// The table the item belongs to, for indexes, constraints, sequence ownership.
    pub table: Option<String>,
    /// The SQL, with every name schema-qualified (restored with an empty `search_path`).
    pub sql: String,
    /// A statement that removes the object if it exists (used by `restore --clean`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop: Option<String>,
    /// Tables (`schema.table`) the statement locks; items that share one never run at once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub touches: Vec<String>,
    /// The statement takes only a SHARE lock on what it touches (an index build), so it may run
    /// alongside other such statements on the same table.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shared: bool,
    /// For owners, grants and comments: the kind of the object they belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of_kind: Option<Kind>,
    /// Roles the statement names (owners, grantees, policy roles), unquoted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Statements to run instead of `sql` on newer servers, by the first server version
    /// (`server_version_num`) each applies to, ascending: a default a later version changed is
    /// written out so the object behaves there as it did on the source.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<(i32, String)>,
    /// The items (positions in the manifest's list) this one needs to exist first: what a
    /// selective restore pulls in with the objects it selects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<u32>,
    /// Objects this one needs that the archive does not hold (left out by a toggle, a filter or
    /// a managed schema), as `type identity` (`function app.f(integer)`): a restore creates it
    /// only where the target has them, and otherwise skips it with a warning.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
}

impl DdlItem {
    /// The statement for a server of `server_version_num`.
    pub fn sql_for(&self, server_version_num: i32) -> &str {
        self.variants.iter().rev().find(|(since, _)| server_version_num >= *since).map_or(&self.sql, |(_, sql)| sql)
    }

    /// `label needs a, b` for an item whose `requires` is not empty.
    pub fn requires_line(&self) -> Option<String> {
        (!self.requires.is_empty()).then(|| format!("{} needs {}", self.label(), self.requires.join(", ")))
    }

    /// Whether the item is, or belongs to, an object of one of `kinds`.
    pub fn is_of(&self, kinds: &[Kind]) -> bool {
        kinds.contains(&self.kind) || self.of_kind.is_some_and(|k| kinds.contains(&k))
    }

    /// `kind schema.name` (or `kind of identity` for owners, grants and comments), for messages.
    pub fn label(&self) -> String {
        match (&self.schema, self.kind) {
            (_, Kind::Owner | Kind::Grant | Kind::Comment | Kind::SecurityLabel) => {
                format!("{} of {}", self.kind.name(), self.name)
            }
            (_, Kind::DefaultPrivileges) => format!("{} {}", self.kind.name(), self.name),
            (Some(s), _) => format!("{} {s}.{}", self.kind.name(), self.name),
            (None, _) => format!("{} {}", self.kind.name(), self.name),
        }
    }
}

/// How chunks are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "codec")]
pub enum Compression {
    /// Raw COPY bytes.
    None,
    /// One independent zstd frame per chunk.
    Zstd {
        /// zstd level used.
        level: i32,
    },
}

/// How a table's COPY streams are arranged before compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// The stream as the server sent it.
    #[default]
    Rows,
    /// Binary streams packed column by column (see the `columns` module): much smaller frames.
    Columns,
}

impl Layout {
    /// The layout pgark stores a table in: columns for compressed binary streams, else rows.
    pub fn for_table(format: CopyFormat, compression: Compression) -> Layout {
        match (format, compression) {
            (CopyFormat::Binary, Compression::Zstd { .. }) => Layout::Columns,
            _ => Layout::Rows,
        }
    }
}

/// The dump settings recorded in the archive.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DumpSettings {
    /// Target raw chunk size in bytes.
    pub chunk_size: u64,
    /// Parallel connections used.
    pub jobs: usize,
    /// Chunk compression.
    pub compression: Compression,
    /// `--schema` filters.
    pub schemas: Vec<String>,
    /// `--exclude-schema` filters.
    pub exclude_schemas: Vec<String>,
    /// `--table` filters.
    pub tables: Vec<String>,
    /// `--exclude-table` filters.
    pub exclude_tables: Vec<String>,
    /// The profile used, if any.
    #[serde(default)]
    pub profile: Option<String>,
    /// Whether table data was dumped.
    #[serde(default = "yes")]
    pub data: bool,
    /// Whether the schema was dumped.
    #[serde(default = "yes")]
    pub structure: bool,
    /// Kinds of objects left out.
    #[serde(default)]
    pub exclude_kinds: Vec<Kind>,
    /// Managed schemas left out (Supabase).
    #[serde(default)]
    pub managed_schemas: Vec<String>,
    /// Tables dumped without their rows (`--exclude-table-data` patterns).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_table_data: Vec<String>,
}

fn yes() -> bool {
    true
}

/// One piece of a table's data: a COPY stream of a block range, compressed and hashed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkEntry {
    /// Number of the chunk within its table, from 0 in block order.
    pub index: u32,
    /// First heap block of the range.
    pub first_block: u64,
    /// Block after the range; `None` for the open-ended last range.
    pub end_block: Option<u64>,
    /// Offset of the stored frame in the archive.
    pub offset: u64,
    /// Stored (compressed) length.
    pub stored_len: u64,
    /// Length of the raw COPY stream.
    pub raw_len: u64,
    /// Rows in the chunk.
    pub rows: u64,
    /// blake3 of the raw COPY stream, hex.
    pub raw_blake3: String,
    /// blake3 of the stored bytes, hex.
    pub stored_blake3: String,
    /// The chunk's [`RowDigest`] (32 hex digits): the same rows give the same sum
    /// however they are chunked. Absent in archives of pgark before 0.16.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_digest: Option<String>,
}

/// One table's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableEntry {
    /// Schema name.
    pub schema: String,
    /// Table name.
    pub name: String,
    /// Columns in the COPY streams, in order (generated and dropped columns left out).
    pub columns: Vec<String>,
    /// COPY format of the chunks.
    pub format: CopyFormat,
    /// How the chunks' streams are arranged (archives before format 2: rows).
    #[serde(default)]
    pub layout: Layout,
    /// Chunks, in block order.
    pub chunks: Vec<ChunkEntry>,
    /// What the streams hold (absent: a table's rows).
    #[serde(default, skip_serializing_if = "Contents::is_rows")]
    pub contents: Contents,
    /// The type of each column in `columns`, for reading the streams without a database
    /// (absent in archives of pgark before 0.16).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub column_types: Vec<ColumnType>,
}

/// What a data entry's COPY streams hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Contents {
    /// The rows of the table the entry names.
    #[default]
    Rows,
    /// Large objects: `(loid oid, pageoff int8, data bytea)` pieces of at most
    /// [`LARGE_OBJECT_PIECE`] bytes; each chunk covers a range of large object oids (in the
    /// block fields of its `ChunkEntry`) and is written into them with `lo_put`.
    LargeObjects,
}

impl Contents {
    fn is_rows(&self) -> bool {
        *self == Contents::Rows
    }
}

/// Bytes of a large object in one row of its data stream.
pub const LARGE_OBJECT_PIECE: u64 = 1 << 20;

impl TableEntry {
    /// `schema.table`, unquoted, for messages.
    pub fn display_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
    /// Rows over all chunks.
    pub fn rows(&self) -> u64 {
        self.chunks.iter().map(|c| c.rows).sum()
    }
    /// Raw bytes over all chunks.
    pub fn raw_bytes(&self) -> u64 {
        self.chunks.iter().map(|c| c.raw_len).sum()
    }
    /// Stored bytes over all chunks.
    pub fn stored_bytes(&self) -> u64 {
        self.chunks.iter().map(|c| c.stored_len).sum()
    }
    /// The [`RowDigest`] of all the table's rows, if every chunk recorded one.
    pub fn row_digest(&self) -> Option<RowDigest> {
        let mut sum = RowDigest::default();
        for c in &self.chunks {
            sum.merge(&RowDigest::from_hex(c.row_digest.as_deref()?)?);
        }
        Some(sum)
    }
}

/// Everything an archive records about its dump.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// pgark version that wrote the archive.
    pub tool_version: String,
    /// The database's name.
    pub database: String,
    /// `server_version` of the source.
    pub server_version: String,
    /// `server_version_num` of the source.
    pub server_version_num: i32,
    /// Server encoding of the source.
    pub encoding: String,
    /// The source's `lc_monetary`, which decides how money values print (absent before 0.16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lc_monetary: Option<String>,
    /// The instant every table was read at (start of the exporting transaction).
    pub snapshot_time: DateTime<Utc>,
    /// When the dump finished writing.
    pub finished_time: DateTime<Utc>,
    /// Settings used.
    pub settings: DumpSettings,
    /// Schema statements in restore order.
    pub items: Vec<DdlItem>,
    /// Table data.
    pub tables: Vec<TableEntry>,
    /// Every role the schema statements name (owners, grantees, policy roles).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Definitions of those roles, when dumped with `--globals` (never passwords).
    #[serde(default)]
    pub globals: Vec<RoleDef>,
    /// The planner's statistics of the dumped relations (absent with `--no-statistics` and in
    /// archives of older pgark).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub planner_stats: Vec<RelationStats>,
}

/// A relation's planner statistics as the source had them: `pg_class`'s size estimates and, for
/// tables and materialized views, `pg_stats` per column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelationStats {
    /// Schema, unquoted.
    pub schema: String,
    /// Relation name, unquoted.
    pub name: String,
    /// `relpages`.
    pub relpages: i32,
    /// `reltuples` (-1: never analyzed, PostgreSQL 14 on).
    pub reltuples: f32,
    /// `relallvisible`.
    pub relallvisible: i32,
    /// `relallfrozen` (PostgreSQL 18 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relallfrozen: Option<i32>,
    /// Per column (and per `inherited` flag), the `pg_stats` values that are not NULL.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<ColumnStats>,
}

/// One `pg_stats` row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnStats {
    /// The column's name.
    pub column: String,
    /// Statistics over the table and its inheritance children (or partitions).
    pub inherited: bool,
    /// `(pg_stats column, value as text)`: `null_frac`, `avg_width`, `n_distinct`,
    /// `most_common_vals`, … (arrays in their text form).
    pub values: Vec<(String, String)>,
}

impl Manifest {
    /// A manifest of nothing, until the real one is read.
    pub(crate) fn placeholder() -> Manifest {
        Manifest {
            tool_version: String::new(),
            database: String::new(),
            server_version: String::new(),
            server_version_num: 0,
            encoding: String::new(),
            lc_monetary: None,
            snapshot_time: DateTime::<Utc>::UNIX_EPOCH,
            finished_time: DateTime::<Utc>::UNIX_EPOCH,
            settings: DumpSettings {
                chunk_size: 0,
                jobs: 0,
                compression: Compression::None,
                schemas: Vec::new(),
                exclude_schemas: Vec::new(),
                tables: Vec::new(),
                exclude_tables: Vec::new(),
                profile: None,
                data: true,
                structure: true,
                exclude_kinds: Vec::new(),
                managed_schemas: Vec::new(),
                exclude_table_data: Vec::new(),
            },
            items: Vec::new(),
            tables: Vec::new(),
            roles: Vec::new(),
            globals: Vec::new(),
            planner_stats: Vec::new(),
        }
    }

    /// The table with data named `name`: `schema.table` (unquoted), or a table name that only
    /// one schema has; the error says what matched or what there is.
    pub fn find_table(&self, name: &str) -> std::result::Result<&TableEntry, String> {
        let rows = self.tables.iter().filter(|t| t.contents == Contents::Rows);
        if let Some(t) = rows.clone().find(|t| t.display_name() == name) {
            return Ok(t);
        }
        let by_name: Vec<&TableEntry> = rows.clone().filter(|t| t.name == name).collect();
        match by_name[..] {
            [t] => Ok(t),
            [] => {
                let some: Vec<String> = rows.take(8).map(TableEntry::display_name).collect();
                Err(format!(
                    "the archive holds no data for a table {name} (it has {}{})",
                    some.join(", "),
                    if self.tables.len() > 8 { ", …" } else { "" }
                ))
            }
            _ => Err(format!(
                "{name} is in several schemas ({}): name it as schema.table",
                by_name.iter().map(|t| t.schema.as_str()).collect::<Vec<_>>().join(", ")
            )),
        }
    }

    /// Rows over all tables.
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(TableEntry::rows).sum()
    }
    /// Raw bytes over all tables.
    pub fn total_raw_bytes(&self) -> u64 {
        self.tables.iter().map(TableEntry::raw_bytes).sum()
    }
    /// Stored bytes over all tables.
    pub fn total_stored_bytes(&self) -> u64 {
        self.tables.iter().map(TableEntry::stored_bytes).sum()
    }
    /// Chunks over all tables.
    pub fn total_chunks(&self) -> usize {
        self.tables.iter().map(|t| t.chunks.len()).sum()
    }
}

/// A role's definition, without its password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleDef {
    /// Role name.
    pub name: String,
    /// `SUPERUSER`.
    pub superuser: bool,
    /// `INHERIT`.
    pub inherit: bool,
    /// `CREATEROLE`.
    pub create_role: bool,
    /// `CREATEDB`.
    pub create_db: bool,
    /// `LOGIN`.
    pub login: bool,
    /// `REPLICATION`.
    pub replication: bool,
    /// `BYPASSRLS`.
    pub bypass_rls: bool,
    /// `CONNECTION LIMIT` (-1: none).
    pub connection_limit: i32,
    /// `VALID UNTIL`.
    pub valid_until: Option<String>,
    /// Roles this role is a member of.
    pub member_of: Vec<String>,
}

impl RoleDef {
    /// `CREATE ROLE …` with the same attributes (no password: set one afterwards for logins).
    pub fn create_sql(&self) -> String {
        let flag = |on: bool, word: &str| if on { word.to_string() } else { format!("NO{word}") };
        let mut sql = format!(
            "CREATE ROLE {} WITH {} {} {} {} {} {} {} CONNECTION LIMIT {}",
            ident(&self.name),
            flag(self.superuser, "SUPERUSER"),
            flag(self.inherit, "INHERIT"),
            flag(self.create_role, "CREATEROLE"),
            flag(self.create_db, "CREATEDB"),
            flag(self.login, "LOGIN"),
            flag(self.replication, "REPLICATION"),
            flag(self.bypass_rls, "BYPASSRLS"),
            self.connection_limit
        );
        if let Some(v) = &self.valid_until {
            sql.push_str(&format!(" VALID UNTIL {}", literal(v)));
        }
        sql.push(';');
        sql
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_variant_applies_from_its_server_version_on() {
        let json = r#"{"section": "post-data", "kind": "subscription", "schema": null, "name": "s", "table": null,
            "sql": "base", "variants": [[160000, "sixteen"], [180000, "eighteen"]]}"#;
        let item: DdlItem = serde_json::from_str(json).unwrap();
        let picks: Vec<&str> =
            [120000, 159999, 160000, 170004, 180000, 190000].iter().map(|&v| item.sql_for(v)).collect();
        assert_eq!(picks, ["base", "base", "sixteen", "sixteen", "eighteen", "eighteen"]);
        let old = r#"{"section": "pre-data", "kind": "table", "schema": "s", "name": "t", "table": null, "sql": "x"}"#;
        assert_eq!(serde_json::from_str::<DdlItem>(old).unwrap().sql_for(180000), "x");
    }

    #[test]
    fn tables_of_format_1_manifests_are_in_the_rows_layout() {
        let v1 = r#"{"schema": "s", "name": "t", "columns": ["a"], "format": "binary", "chunks": []}"#;
        assert_eq!(serde_json::from_str::<TableEntry>(v1).unwrap().layout, Layout::Rows);
        assert_eq!(Layout::for_table(CopyFormat::Binary, Compression::Zstd { level: 1 }), Layout::Columns);
        assert_eq!(Layout::for_table(CopyFormat::Text, Compression::Zstd { level: 1 }), Layout::Rows);
        assert_eq!(Layout::for_table(CopyFormat::Binary, Compression::None), Layout::Rows);
    }
}

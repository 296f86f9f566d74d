//! Chunk planning: splitting tables into ctid block ranges of about the requested size, and
//! the `COPY … TO STDOUT` statement that reads one range.

use serde::Serialize;

use crate::archive::{ColumnType, Contents, CopyFormat, LARGE_OBJECT_PIECE};
use crate::sql::{ident_list, qualified};

/// A block range of a table: `[first_block, end_block)`, open-ended when `end_block` is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ChunkRange {
    /// First block.
    pub first_block: u64,
    /// Block after the last, or `None` for "to the end of the table".
    pub end_block: Option<u64>,
    /// Estimated on-disk bytes (heap + TOAST share) of the range.
    pub estimated_bytes: u64,
}

/// A table to dump and how it is split.
#[derive(Debug, Clone, Serialize)]
pub struct TablePlan {
    /// Schema name.
    pub schema: String,
    /// Table name.
    pub name: String,
    /// Columns copied, in order.
    pub columns: Vec<String>,
    /// COPY format.
    pub format: CopyFormat,
    /// Heap blocks at planning time.
    pub blocks: u64,
    /// Heap + TOAST bytes at planning time.
    pub table_bytes: u64,
    /// The chunks, in block order (for large objects: oid ranges).
    pub chunks: Vec<ChunkRange>,
    /// What is copied: a table's rows, or large objects.
    #[serde(skip)]
    pub contents: Contents,
    /// The types of `columns`.
    #[serde(skip)]
    pub column_types: Vec<ColumnType>,
}

impl TablePlan {
    /// `schema.table`, unquoted.
    pub fn display_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// The `COPY … TO STDOUT` statement for one chunk.
    pub fn copy_out_sql(&self, chunk: &ChunkRange) -> String {
        copy_out_sql(&self.schema, &self.name, &self.columns, self.format, self.contents, chunk)
    }
}

/// The `COPY … TO STDOUT` statement that reads one chunk of a table (or of large objects), as
/// the dump runs it; for a whole table, a chunk from block 0 without end.
pub(crate) fn copy_out_sql(
    schema: &str,
    name: &str,
    columns: &[String],
    format: CopyFormat,
    contents: Contents,
    chunk: &ChunkRange,
) -> String {
    if contents == Contents::LargeObjects {
        return large_objects_sql(chunk);
    }
    let mut select = format!("SELECT {} FROM ONLY {}", ident_list(columns), qualified(schema, name));
    let single = chunk.first_block == 0 && chunk.end_block.is_none();
    if !single {
        select.push_str(&format!(" WHERE ctid >= '({},0)'::pg_catalog.tid", chunk.first_block));
        if let Some(end) = chunk.end_block {
            select.push_str(&format!(" AND ctid < '({end},0)'::pg_catalog.tid"));
        }
    }
    format!("COPY ({select}) TO STDOUT (FORMAT {})", format.sql())
}

/// Large objects with oids in `[first_block, end_block)`, as `(loid, pageoff, data)` pieces.
fn large_objects_sql(chunk: &ChunkRange) -> String {
    let end = chunk.end_block.map(|e| format!(" AND m.oid < {e}")).unwrap_or_default();
    format!(
        "COPY (SELECT m.oid, p.off, pg_catalog.lo_get(m.oid, p.off, {LARGE_OBJECT_PIECE}) \
         FROM pg_catalog.pg_largeobject_metadata m, LATERAL (SELECT pg_catalog.lo_lseek64(o.fd, 0, 2) AS size, \
           pg_catalog.lo_close(o.fd) FROM (SELECT pg_catalog.lo_open(m.oid, 262144) AS fd) o) s, \
         LATERAL pg_catalog.generate_series(0::int8, greatest(s.size - 1, 0), {LARGE_OBJECT_PIECE}) p(off) \
         WHERE m.oid >= {}{end} ORDER BY 1, 2) TO STDOUT (FORMAT binary)",
        chunk.first_block
    )
}

/// Splits `blocks` heap blocks holding `table_bytes` (heap + TOAST) into ranges of about
/// `chunk_size` bytes. The last range is open-ended so rows in blocks added meanwhile are kept.
/// Without Tid Range Scans (`tid_ranges` false, PostgreSQL < 14) each range would be a full scan,
/// so the table stays whole.
pub(crate) fn split(blocks: u64, table_bytes: u64, chunk_size: u64, tid_ranges: bool) -> Vec<ChunkRange> {
    if blocks == 0 || !tid_ranges || table_bytes <= chunk_size {
        return vec![ChunkRange { first_block: 0, end_block: None, estimated_bytes: table_bytes }];
    }
    let per_block = (table_bytes / blocks).max(1);
    let step = (chunk_size / per_block).max(1);
    let mut out = Vec::new();
    let mut first = 0;
    while first < blocks {
        let end = first + step;
        if end >= blocks {
            break;
        }
        out.push(ChunkRange { first_block: first, end_block: Some(end), estimated_bytes: step * per_block });
        first = end;
    }
    out.push(ChunkRange { first_block: first, end_block: None, estimated_bytes: (blocks - first) * per_block });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_cover_every_block_once() {
        let r = split(1000, 8_192_000, 1_000_000, true);
        assert_eq!(r.len(), 9);
        assert_eq!(r[0].first_block, 0);
        for w in r.windows(2) {
            assert_eq!(w[0].end_block, Some(w[1].first_block));
        }
        assert_eq!(r.last().unwrap().end_block, None);
        assert_eq!(split(1000, 8_192_000, 1_000_000, false).len(), 1);
        assert_eq!(split(0, 0, 1, true).len(), 1);
        // TOAST-heavy: few heap blocks, many bytes each.
        assert_eq!(split(10, 100_000_000, 10_000_000, true).len(), 10);
    }

    #[test]
    fn copy_sql_is_qualified_and_ranged() {
        let t = TablePlan {
            schema: "s".into(),
            name: "t\"x".into(),
            columns: vec!["a".into(), "B".into()],
            format: CopyFormat::Binary,
            blocks: 10,
            table_bytes: 0,
            chunks: vec![],
            contents: Contents::Rows,
            column_types: vec![],
        };
        let c = ChunkRange { first_block: 5, end_block: Some(9), estimated_bytes: 0 };
        assert_eq!(
            t.copy_out_sql(&c),
            "COPY (SELECT \"a\", \"B\" FROM ONLY \"s\".\"t\"\"x\" WHERE ctid >= '(5,0)'::pg_catalog.tid AND ctid < '(9,0)'::pg_catalog.tid) TO STDOUT (FORMAT binary)"
        );
    }
}

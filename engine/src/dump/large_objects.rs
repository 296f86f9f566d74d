//! Planning the large objects' data: their sizes read in the snapshot, grouped by oid into
//! chunks of about `--chunk-size`, copied as `(loid, pageoff, data)` pieces (see
//! `chunks.rs`) and written back with `lo_put` on restore.

use tokio_postgres::Client;

use super::{ChunkRange, TablePlan};
use crate::archive::{ColumnType, Contents, CopyFormat, Shape};
use crate::error::{Error, Result};

/// The large objects to dump as one data entry, or `None` when there are none.
pub(super) async fn plan(client: &Client, chunk_size: u64) -> Result<Option<TablePlan>> {
    let rows = client
        .query(
            "SELECT m.oid, s.size FROM pg_catalog.pg_largeobject_metadata m, \
             LATERAL (SELECT pg_catalog.lo_lseek64(o.fd, 0, 2) AS size, pg_catalog.lo_close(o.fd) \
                      FROM (SELECT pg_catalog.lo_open(m.oid, 262144) AS fd) o) s ORDER BY 1",
            &[],
        )
        .await
        .map_err(|e| Error::db("reading the sizes of large objects", &e))?;
    if rows.is_empty() {
        return Ok(None);
    }
    let sizes: Vec<(u32, u64)> = rows.iter().map(|r| (r.get(0), r.get::<_, i64>(1).max(0) as u64)).collect();
    let chunks = group(&sizes, chunk_size);
    Ok(Some(TablePlan {
        schema: "pg_catalog".into(),
        name: "pg_largeobject".into(),
        columns: vec!["loid".into(), "pageoff".into(), "data".into()],
        format: CopyFormat::Binary,
        blocks: 0,
        table_bytes: sizes.iter().map(|(_, s)| s).sum(),
        chunks,
        contents: Contents::LargeObjects,
        column_types: [(26, "oid"), (20, "bigint"), (17, "bytea")]
            .into_iter()
            .map(|(oid, name)| ColumnType { name: name.into(), shape: Shape::Builtin { oid } })
            .collect(),
    }))
}

/// Oid ranges `[first, last + 1)` holding about `chunk_size` bytes each (a larger object alone).
fn group(sizes: &[(u32, u64)], chunk_size: u64) -> Vec<ChunkRange> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0u64;
    for (i, (_, size)) in sizes.iter().enumerate() {
        bytes += size;
        if bytes >= chunk_size || i + 1 == sizes.len() {
            out.push(ChunkRange {
                first_block: sizes[start].0 as u64,
                end_block: Some(sizes[i].0 as u64 + 1),
                estimated_bytes: bytes,
            });
            start = i + 1;
            bytes = 0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::group;

    #[test]
    fn objects_are_grouped_by_oid_into_chunks_of_about_the_size() {
        let sizes = [(10, 5), (11, 5), (12, 30), (20, 1), (21, 0)];
        let ranges: Vec<(u64, Option<u64>, u64)> =
            group(&sizes, 10).iter().map(|c| (c.first_block, c.end_block, c.estimated_bytes)).collect();
        assert_eq!(ranges, [(10, Some(12), 10), (12, Some(13), 30), (20, Some(22), 1)]);
    }
}

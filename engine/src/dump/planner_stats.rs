//! Planner statistics of the dumped relations, read in the dump's snapshot: `pg_class`'s size
//! estimates of the tables, materialized views and their indexes, and `pg_stats` per column of
//! the tables and materialized views (arrays in their text form). A restore gives them to a
//! PostgreSQL 18 target with `pg_restore_relation_stats` / `pg_restore_attribute_stats`, so it
//! plans like the source before any traffic; older targets run ANALYZE instead.

use std::collections::HashMap;

use tokio_postgres::Client;

use crate::archive::{ColumnStats, RelationStats};
use crate::error::{Error, Result};

/// `pg_stats` columns every supported version has, in the order `pg_restore_attribute_stats`
/// names them.
const COLUMNS: [&str; 10] = [
    "null_frac",
    "avg_width",
    "n_distinct",
    "most_common_vals",
    "most_common_freqs",
    "histogram_bounds",
    "correlation",
    "most_common_elems",
    "most_common_elem_freqs",
    "elem_count_histogram",
];

/// Range types' columns, PostgreSQL 17 on.
const RANGE_COLUMNS: [&str; 3] = ["range_length_histogram", "range_empty_frac", "range_bounds_histogram"];

/// Reads the statistics of `relations` (`(schema, name)` of tables and materialized views) and
/// of their indexes, on a server of `version` (`server_version_num`).
pub(super) async fn read(client: &Client, version: i32, relations: &[(String, String)]) -> Result<Vec<RelationStats>> {
    let err = |e: tokio_postgres::Error| Error::db("reading planner statistics", &e);
    let (schemas, names): (Vec<&str>, Vec<&str>) = relations.iter().map(|(s, n)| (s.as_str(), n.as_str())).unzip();
    let rows = client
        .query(
            "WITH named AS (SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
               JOIN ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[])) AS r(s, t) \
               ON n.nspname = r.s AND c.relname = r.t), \
             rels AS (SELECT oid FROM named UNION SELECT i.indexrelid FROM pg_catalog.pg_index i WHERE i.indrelid IN (SELECT oid FROM named)) \
             SELECT n.nspname::text, c.relname::text, c.relpages, c.reltuples, c.relallvisible, \
               (pg_catalog.to_jsonb(c) ->> 'relallfrozen')::int4 \
             FROM rels JOIN pg_catalog.pg_class c ON c.oid = rels.oid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             ORDER BY 1, 2",
            &[&schemas, &names],
        )
        .await
        .map_err(err)?;
    let mut out: Vec<RelationStats> = rows
        .iter()
        .map(|r| RelationStats {
            schema: r.get(0),
            name: r.get(1),
            relpages: r.get(2),
            reltuples: r.get(3),
            relallvisible: r.get(4),
            relallfrozen: r.get(5),
            columns: Vec::new(),
        })
        .collect();
    let mut columns: Vec<&str> = COLUMNS.to_vec();
    if version >= 170000 {
        columns.extend(RANGE_COLUMNS);
    }
    let select: Vec<String> = columns.iter().map(|c| format!("s.{c}::text")).collect();
    let sql = format!(
        "SELECT s.schemaname::text, s.tablename::text, s.attname::text, s.inherited, {} FROM pg_catalog.pg_stats s \
         JOIN ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[])) AS r(s, t) \
         ON s.schemaname = r.s AND s.tablename = r.t ORDER BY 1, 2, 3, 4",
        select.join(", ")
    );
    let index: HashMap<(String, String), usize> =
        out.iter().enumerate().map(|(i, s)| ((s.schema.clone(), s.name.clone()), i)).collect();
    for r in client.query(&sql, &[&schemas, &names]).await.map_err(err)? {
        let Some(&i) = index.get(&(r.get(0), r.get(1))) else { continue };
        let rel = &mut out[i];
        let values = columns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| r.get::<_, Option<String>>(4 + i).map(|v| (c.to_string(), v)))
            .collect();
        rel.columns.push(ColumnStats { column: r.get(2), inherited: r.get(3), values });
    }
    Ok(out)
}

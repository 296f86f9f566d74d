//! Indexes that no constraint owns (partial, expression, GIN, GiST, on partitioned tables, on
//! materialized views): built in post-data, several on one table at once.

use tokio_postgres::Client;

use super::depsort::Node;
use super::item;
use super::key::{class, ObjKey};
use super::query::db;
use super::scope::Context;
use crate::archive::{Kind, Section};
use crate::error::Result;
use crate::sql::{ident, qualified};

/// An index that no constraint owns.
#[derive(Debug, Clone)]
pub(crate) struct Index {
    pub oid: u32,
    pub table: u32,
    pub name: String,
    pub def: String,
    /// `CLUSTER ON` it.
    pub clustered: bool,
    /// `(column number, statistics target)` of expression columns with a target set.
    pub statistics: Vec<String>,
}

/// Reads the indexes of the relations `oids` (tables and materialized views).
pub(super) async fn read(client: &Client, oids: &[u32]) -> Result<Vec<Index>> {
    let mut indexes = Vec::new();
    let rows = client
        .query(
            "SELECT i.indrelid, ic.relname, pg_catalog.pg_get_indexdef(i.indexrelid), i.indexrelid, i.indisclustered, \
                 ARRAY(SELECT a.attnum || ' ' || a.attstattarget FROM pg_catalog.pg_attribute a \
                       WHERE a.attrelid = i.indexrelid AND a.attstattarget >= 0 ORDER BY a.attnum) \
             FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid \
             WHERE i.indrelid = ANY($1) \
             AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint co WHERE co.conindid = i.indexrelid \
               AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x')) \
             AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits ih WHERE ih.inhrelid = i.indexrelid) \
             ORDER BY i.indrelid, ic.relname",
            &[&oids],
        )
        .await
        .map_err(db("indexes"))?;
    for r in rows {
        indexes.push(Index {
            oid: r.get(3),
            table: r.get(0),
            name: r.get(1),
            def: r.get(2),
            clustered: r.get(4),
            statistics: r.get(5),
        });
    }
    Ok(indexes)
}

/// The indexes of selected tables and of materialized views in scope.
pub(super) fn build(cx: &Context<'_>, nodes: &mut Vec<Node>) {
    for i in &cx.cat.indexes {
        let (schema, name, own, partitioned, own_is_view) =
            if let Some(t) = cx.by_oid.get(&i.table).filter(|t| cx.selected.contains(&t.oid)) {
                (&t.schema, &t.name, cx.lineage(t), t.kind == 'p', false)
            } else if let Some(v) = cx.view_by_oid.get(&i.table).filter(|v| cx.view_kept(v)) {
                (&v.schema, &v.name, vec![format!("{}.{}", v.schema, v.name)], false, true)
            } else {
                continue;
            };
        // A partitioned table's index is created on every partition at once.
        let sql = if partitioned { i.def.replacen(" ON ONLY ", " ON ", 1) } else { i.def.clone() };
        let mut sql = format!("{sql};");
        for target in &i.statistics {
            let (column, n) = target.split_once(' ').unwrap_or((target, ""));
            sql.push_str(&format!(
                "\nALTER INDEX {} ALTER COLUMN {column} SET STATISTICS {n};",
                qualified(schema, &i.name)
            ));
        }
        if i.clustered {
            let word = if own_is_view { "MATERIALIZED VIEW" } else { "TABLE" };
            sql.push_str(&format!("\nALTER {word} ONLY {} CLUSTER ON {};", qualified(schema, name), ident(&i.name)));
        }
        let mut it = item(Section::PostData, Kind::Index, Some(schema), &i.name, sql);
        it.table = Some(name.clone());
        it.shared = true;
        it.touches = own;
        // With the unique-constraint builds, before their attachments: a table's index builds all
        // run at once (SHARE locks), not one side of an exclusive ALTER TABLE.
        nodes.push(Node::new(it, Some(ObjKey::new(class::REL, i.oid)), vec![], 0));
    }
}

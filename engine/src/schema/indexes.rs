//! Indexes that no constraint owns (partial, expression, GIN, GiST, on partitioned tables, on
//! materialized views): built in post-data, several on one table at once.
//!
//! A partitioned table's index is created `ON ONLY` the parent; each partition's index is built
//! under its own name (in parallel, per partition) and then attached (`ALTER INDEX … ATTACH
//! PARTITION`), as pg_dump does — the server never picks a name, so a parallel restore gives
//! the same result every time. Partitions' primary keys and unique constraints are attached the
//! same way (`constraints.rs`).

use tokio_postgres::Client;

use super::depsort::Node;
use super::item;
use super::key::{class, ObjKey};
use super::query::db;
use super::scope::Context;
use crate::archive::{DdlItem, Kind, Section};
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
    /// The partitioned index this one is attached to.
    pub attached_to: Option<AttachedTo>,
}

/// The parent index a partition's index (or constraint index) is attached to.
#[derive(Debug, Clone)]
pub(crate) struct AttachedTo {
    /// The parent index's oid.
    pub index: u32,
    /// The partitioned table it belongs to.
    pub table: u32,
    /// Its schema-qualified, quoted name.
    pub name: String,
}

/// Columns `parent index oid, its table's oid, its qualified name` of the index `{index}` is
/// attached to (NULLs when it is not), for a query that joins nothing else named `ih`, `pi`, `pc`
/// or `pn`.
pub(super) const ATTACHED_TO_COLUMNS: &str = "ih.inhparent, pi.indrelid, \
    pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(pc.relname)";

/// The joins `ATTACHED_TO_COLUMNS` reads, for the index whose oid is `{index}`.
pub(super) fn attached_to_joins(index: &str) -> String {
    format!(
        "LEFT JOIN pg_catalog.pg_inherits ih ON ih.inhrelid = {index} \
         LEFT JOIN pg_catalog.pg_index pi ON pi.indexrelid = ih.inhparent \
         LEFT JOIN pg_catalog.pg_class pc ON pc.oid = ih.inhparent \
         LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace"
    )
}

/// Reads `ATTACHED_TO_COLUMNS` starting at column `first`.
pub(super) fn attached_to(r: &tokio_postgres::Row, first: usize) -> Option<AttachedTo> {
    let index: Option<u32> = r.get(first);
    index.map(|index| AttachedTo { index, table: r.get(first + 1), name: r.get(first + 2) })
}

/// Reads the indexes of the relations `oids` (tables and materialized views).
pub(super) async fn read(client: &Client, oids: &[u32]) -> Result<Vec<Index>> {
    let mut indexes = Vec::new();
    let sql = format!(
        "SELECT i.indrelid, ic.relname, pg_catalog.pg_get_indexdef(i.indexrelid), i.indexrelid, i.indisclustered, \
             ARRAY(SELECT a.attnum || ' ' || a.attstattarget FROM pg_catalog.pg_attribute a \
                   WHERE a.attrelid = i.indexrelid AND a.attstattarget >= 0 ORDER BY a.attnum), {ATTACHED_TO_COLUMNS} \
         FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid {} \
         WHERE i.indrelid = ANY($1) \
         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint co WHERE co.conindid = i.indexrelid \
           AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x')) \
         ORDER BY i.indrelid, ic.relname",
        attached_to_joins("i.indexrelid")
    );
    let rows = client.query(&sql, &[&oids]).await.map_err(db("indexes"))?;
    for r in rows {
        indexes.push(Index {
            oid: r.get(3),
            table: r.get(0),
            name: r.get(1),
            def: r.get(2),
            clustered: r.get(4),
            statistics: r.get(5),
            attached_to: attached_to(&r, 6),
        });
    }
    Ok(indexes)
}

/// The indexes of selected tables and of materialized views in scope.
pub(super) fn build(cx: &Context<'_>, nodes: &mut Vec<Node>) {
    for i in &cx.cat.indexes {
        let (schema, name, own, own_is_view) =
            if let Some(t) = cx.by_oid.get(&i.table).filter(|t| cx.selected.contains(&t.oid)) {
                (&t.schema, &t.name, cx.lineage(t), false)
            } else if let Some(v) = cx.view_by_oid.get(&i.table).filter(|v| cx.view_kept(v)) {
                (&v.schema, &v.name, vec![format!("{}.{}", v.schema, v.name)], true)
            } else {
                continue;
            };
        // `ON ONLY` a partitioned table (as the server prints it): each partition's index comes
        // under its own name and is attached.
        let mut sql = format!("{};", i.def);
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
        if let (Some(to), false) = (&i.attached_to, own_is_view) {
            nodes.extend(attach(cx, &it, Kind::Index, to, ObjKey::new(class::REL, i.oid)));
        }
        // With the unique-constraint builds, before their attachments: a table's index builds all
        // run at once (SHARE locks), not one side of an exclusive ALTER TABLE.
        nodes.push(Node::new(it, Some(ObjKey::new(class::REL, i.oid)), vec![], 0));
    }
}

/// `ALTER INDEX parent ATTACH PARTITION child` for the partition index (or constraint) that
/// `child` creates, when the parent index's table is in the dump too; it follows both.
pub(super) fn attach(cx: &Context<'_>, child: &DdlItem, kind: Kind, to: &AttachedTo, key: ObjKey) -> Option<Node> {
    if !cx.selected.contains(&to.table) {
        return None; // the partition's index stands alone
    }
    let schema = child.schema.as_deref().unwrap_or_default();
    let index_name = &child.name; // a key's index has the key's name
    let mut it = item(
        Section::PostData,
        kind,
        Some(schema),
        &format!("{index_name} (attach)"),
        format!("ALTER INDEX {} ATTACH PARTITION {};", to.name, qualified(schema, index_name)),
    );
    it.table = child.table.clone();
    it.touches = child.touches.clone();
    let attached = ObjKey::new(class::INHERITS, key.oid);
    Some(Node::new(it, Some(attached), vec![ObjKey::new(class::REL, to.index), key], 3))
}

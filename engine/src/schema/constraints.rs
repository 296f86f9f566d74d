//! Table constraints added after the data: primary keys and unique constraints (their index
//! built first under a SHARE lock, then attached), exclusion and NOT VALID check constraints,
//! and foreign keys. Validated local CHECK constraints are written inside CREATE TABLE. A
//! partitioned table's key is added `ONLY` to it; each partition's key is added to the partition
//! under its own name and its index attached to the parent's (`indexes::attach`).

use std::collections::HashMap;

use tokio_postgres::Client;

use super::depsort::Node;
use super::indexes::{attach, attached_to, attached_to_joins, AttachedTo, ATTACHED_TO_COLUMNS};
use super::item;
use super::key::{class, ObjKey};
use super::query::{ch, db};
use super::scope::Context;
use super::tables::Table;
use crate::archive::{Kind, Section};
use crate::error::Result;
use crate::sql::{ident, qualified};

/// A constraint on a table.
#[derive(Debug, Clone)]
pub(crate) struct Constraint {
    pub oid: u32,
    pub table: u32,
    pub name: String,
    /// `p`, `u`, `x`, `c` or `f`.
    pub kind: char,
    pub def: String,
    pub referenced: Option<u32>,
    /// For primary keys and unique constraints: their index's definition.
    pub index_def: Option<String>,
    pub deferrable: bool,
    pub deferred: bool,
    /// `CLUSTER ON` its index.
    pub clustered: bool,
    /// A partition's primary key, unique or exclusion constraint: the partitioned table's index
    /// its index is attached to.
    pub attached_to: Option<AttachedTo>,
    /// A PostgreSQL 18 temporal key (`WITHOUT OVERLAPS`): its GiST index cannot be built on its
    /// own as a unique index, so the constraint is added whole.
    pub temporal: bool,
}

/// What `read` finds: constraints added after the data, and the (table, constraint) oids of
/// the CHECK constraints it wrote into their tables instead.
pub(super) type Constraints = (Vec<Constraint>, Vec<(u32, u32)>);

/// Reads the constraints of `tables`; validated local CHECKs go into their table's `checks`.
pub(super) async fn read(client: &Client, tables: &mut [Table]) -> Result<Constraints> {
    let oids: Vec<u32> = tables.iter().map(|t| t.oid).collect();
    let (mut constraints, mut check_oids) = (Vec::new(), Vec::new());
    let sql = format!(
        "SELECT co.conrelid, co.conname, co.contype::text, pg_catalog.pg_get_constraintdef(co.oid), \
         co.convalidated, co.conislocal, co.conparentid <> 0, co.confrelid, co.oid, \
         CASE WHEN co.contype IN ('p', 'u') THEN pg_catalog.pg_get_indexdef(co.conindid) END, co.condeferrable, co.condeferred, \
             coalesce((SELECT i.indisclustered FROM pg_catalog.pg_index i WHERE i.indexrelid = co.conindid), false), \
             {ATTACHED_TO_COLUMNS}, coalesce((pg_catalog.to_jsonb(co) ->> 'conperiod')::bool, false) \
         FROM pg_catalog.pg_constraint co {} \
         WHERE co.conrelid = ANY($1) AND co.contype IN ('p', 'u', 'x', 'c', 'f') \
         ORDER BY co.conrelid, co.conname",
        attached_to_joins("CASE WHEN co.contype IN ('p', 'u', 'x') AND co.conparentid <> 0 THEN co.conindid END")
    );
    let rows = client.query(&sql, &[&oids]).await.map_err(db("constraints"))?;
    let index: HashMap<u32, usize> = tables.iter().enumerate().map(|(i, t)| (t.oid, i)).collect();
    for r in rows {
        let table: u32 = r.get(0);
        let kind = ch(r.get(2));
        let validated: bool = r.get(4);
        let local: bool = r.get(5);
        let inherited_from_parent: bool = r.get(6);
        let attached_to = attached_to(&r, 13);
        if (!local || inherited_from_parent) && attached_to.is_none() {
            continue; // created by the parent's definition
        }
        let name: String = r.get(1);
        let def: String = r.get(3);
        if kind == 'c' && validated {
            tables[index[&table]].checks.push((name, def, r.get(8)));
            check_oids.push((table, r.get(8)));
            continue;
        }
        let referenced: u32 = r.get(7);
        constraints.push(Constraint {
            oid: r.get(8),
            table,
            name,
            kind,
            def,
            referenced: (referenced != 0).then_some(referenced),
            index_def: r.get(9),
            deferrable: r.get(10),
            deferred: r.get(11),
            clustered: r.get(12),
            attached_to,
            temporal: r.get(16),
        });
    }
    Ok((constraints, check_oids))
}

/// Unique-like, exclusion and check constraints of the selected tables.
pub(super) fn build(cx: &Context<'_>, nodes: &mut Vec<Node>) {
    for c in cx.cat.constraints.iter().filter(|c| c.kind != 'f' && cx.selected.contains(&c.table)) {
        let t = cx.by_oid[&c.table];
        // A partitioned table's key is made for it alone; its partitions' keys are attached.
        let only = if t.kind == 'p' && c.kind == 'c' { "" } else { "ONLY " };
        let q = qualified(&t.schema, &t.name);
        let mut it = item(
            Section::PostData,
            Kind::Constraint,
            Some(&t.schema),
            &c.name,
            format!("ALTER TABLE {only}{q} ADD CONSTRAINT {} {};", ident(&c.name), c.def),
        );
        it.table = Some(t.name.clone());
        it.touches = cx.lineage(t);
        let cluster =
            if c.clustered { format!("\nALTER TABLE ONLY {q} CLUSTER ON {};", ident(&c.name)) } else { String::new() };
        it.sql.push_str(&cluster);
        // A primary key or unique constraint of a plain table: its index is built first, under a
        // SHARE lock (alongside the table's other index builds), then attached in an instant.
        if let (Some(index_def), 'r', 'p' | 'u', false) = (&c.index_def, t.kind, c.kind, c.temporal) {
            let mut build = it.clone();
            build.name = format!("{} (its index)", c.name);
            build.sql = format!("{index_def};");
            build.shared = true;
            nodes.push(Node::new(build, None, vec![ObjKey::new(class::REL, t.oid)], 0));
            if let Some(to) = &c.attached_to {
                nodes.extend(attach(cx, &it, Kind::Constraint, to, ObjKey::new(class::CONSTRAINT, c.oid)));
            }
            let what = if c.kind == 'p' { "PRIMARY KEY" } else { "UNIQUE" };
            let timing = match (c.deferrable, c.deferred) {
                (true, true) => " DEFERRABLE INITIALLY DEFERRED",
                (true, false) => " DEFERRABLE",
                _ => "",
            };
            let name = ident(&c.name);
            it.sql = format!("ALTER TABLE ONLY {q} ADD CONSTRAINT {name} {what} USING INDEX {name}{timing};{cluster}");
            nodes.push(Node::new(it, Some(ObjKey::new(class::CONSTRAINT, c.oid)), vec![], 1));
            continue;
        }
        if let Some(to) = &c.attached_to {
            nodes.extend(attach(cx, &it, Kind::Constraint, to, ObjKey::new(class::CONSTRAINT, c.oid)));
        }
        nodes.push(Node::new(it, Some(ObjKey::new(class::CONSTRAINT, c.oid)), vec![], 0));
    }
}

/// Foreign keys between selected tables (one to a table outside the dump is left out).
pub(super) fn build_foreign_keys(cx: &Context<'_>, nodes: &mut Vec<Node>) {
    for c in cx.cat.constraints.iter().filter(|c| c.kind == 'f' && cx.selected.contains(&c.table)) {
        let t = cx.by_oid[&c.table];
        let Some(r) = c.referenced.and_then(|r| cx.by_oid.get(&r)) else { continue };
        if !cx.selected.contains(&r.oid) {
            continue; // the referenced table is not in this dump
        }
        let only = if t.kind == 'p' { "" } else { "ONLY " };
        let mut it = item(
            Section::PostData,
            Kind::ForeignKey,
            Some(&t.schema),
            &c.name,
            format!("ALTER TABLE {only}{} ADD CONSTRAINT {} {};", qualified(&t.schema, &t.name), ident(&c.name), c.def),
        );
        it.table = Some(t.name.clone());
        it.touches = cx.lineage(t);
        it.touches.extend(cx.lineage(r));
        // A partitioned table's key is valid once every partition's is attached to it.
        let referenced = cx.display(r);
        let attached: Vec<ObjKey> = nodes
            .iter()
            .filter(|n| n.key.is_some_and(|k| k.class == class::INHERITS) && n.item.touches.contains(&referenced))
            .filter_map(|n| n.key)
            .collect();
        nodes.push(Node::new(it, Some(ObjKey::new(class::CONSTRAINT, c.oid)), attached, 2));
    }
}

//! What an archive leaves out that the objects it keeps need. A `--no-*` toggle, a schema or
//! table filter or a managed schema can leave out a function that a view, trigger, policy,
//! default, check or index calls, or a table a view reads. Such dependents stay in the archive
//! and record, from `pg_depend`, the left-out objects they need (`DdlItem::requires`): a
//! restore creates them where the target has those objects and skips them, with a warning,
//! where it does not. A column default or CHECK constraint that needs a left-out object is
//! made apart from its `CREATE TABLE` (a default in pre-data, a check in post-data), so the
//! table itself never depends on it.

use std::collections::{BTreeSet, HashMap, HashSet};

use tokio_postgres::Client;

use super::depsort::{Depends, Node};
use super::item;
use super::key::{class, ObjKey};
use super::query::db;
use super::scope::Context;
use super::Catalog;
use crate::archive::{Kind, Section};
use crate::error::Result;
use crate::sql::{ident, qualified};

/// Unique indexes (no constraint's) that kept foreign keys reference: kept when `--no-indexes`
/// leaves indexes out, or the foreign key could not be made.
pub(super) fn indexes_foreign_keys_need(cx: &Context<'_>, nodes: &[Node]) -> HashSet<ObjKey> {
    if cx.leave.keeps(Kind::Index) || !cx.leave.keeps(Kind::ForeignKey) {
        return HashSet::new();
    }
    let keys = |kind: Kind| -> HashSet<ObjKey> {
        nodes.iter().filter(|n| n.item.kind == kind && n.item.table.is_some()).filter_map(|n| n.key).collect()
    };
    let (foreign_keys, indexes) = (keys(Kind::ForeignKey), keys(Kind::Index));
    let depends = &cx.cat.depends;
    depends
        .edges()
        .iter()
        .filter(|(from, _)| foreign_keys.contains(&depends.resolve(*from)))
        .map(|(_, to)| depends.resolve(*to))
        .filter(|to| indexes.contains(to))
        .collect()
}

/// Keys of every object the nodes create, with what is created inside another's statement
/// (identity sequences, with their column).
pub(super) fn emitted(nodes: &[Node], cat: &Catalog) -> HashSet<ObjKey> {
    let mut keys: HashSet<ObjKey> = nodes.iter().filter_map(|n| n.key).collect();
    let identity: Vec<ObjKey> = cat
        .sequences
        .iter()
        .filter(|s| matches!(s.owner, Some((t, _, true)) if keys.contains(&ObjKey::new(class::REL, t))))
        .map(|s| ObjKey::new(class::REL, s.oid))
        .collect();
    keys.extend(identity);
    keys
}

/// Every `pg_depend` edge whose target the archive does not hold: (the object that needs it,
/// raw as `pg_depend` names it; the object needed, as pgark would emit it).
fn missing<'a>(depends: &'a Depends, emitted: &'a HashSet<ObjKey>) -> impl Iterator<Item = (ObjKey, ObjKey)> + 'a {
    depends.edges().iter().filter_map(move |&(from, to)| {
        let to = depends.resolve(to);
        let to = if to.class == class::SHELL_TYPE { ObjKey::new(class::TYPE, to.oid) } else { to };
        (!emitted.contains(&to) && depends.resolve(from) != to).then_some((from, to))
    })
}

/// The column defaults (`pg_attrdef` keys) and inline CHECK constraints of selected tables
/// that need an object the archive does not hold.
pub(super) fn detachable(cat: &Catalog, selected: &BTreeSet<u32>, emitted: &HashSet<ObjKey>) -> HashSet<ObjKey> {
    let mut candidates: HashSet<ObjKey> = cat
        .tables
        .iter()
        .filter(|t| selected.contains(&t.oid))
        .flat_map(|t| t.columns.iter().filter(|c| !c.generated).filter_map(|c| c.default_oid))
        .map(|oid| ObjKey::new(class::ATTRDEF, oid))
        .collect();
    candidates.extend(
        cat.check_oids.iter().filter(|(t, _)| selected.contains(t)).map(|(_, c)| ObjKey::new(class::CONSTRAINT, *c)),
    );
    missing(&cat.depends, emitted).map(|(from, _)| from).filter(|from| candidates.contains(from)).collect()
}

/// The detached defaults (`ALTER TABLE … SET DEFAULT`, pre-data) and checks (`ADD CONSTRAINT`,
/// post-data) of `cx.detached`.
pub(super) fn build(cx: &Context<'_>, nodes: &mut Vec<Node>) {
    if cx.detached.is_empty() {
        return;
    }
    for t in cx.cat.tables.iter().filter(|t| cx.selected.contains(&t.oid)) {
        let q = qualified(&t.schema, &t.name);
        let table = ObjKey::new(class::REL, t.oid);
        for c in t.columns.iter().filter(|c| cx.detached_default(c)) {
            let (Some(expr), Some(oid)) = (&c.expr, c.default_oid) else { continue };
            let sql = format!("ALTER TABLE ONLY {q} ALTER COLUMN {} SET DEFAULT {expr};", ident(&c.name));
            let mut it =
                item(Section::PreData, Kind::Table, Some(&t.schema), &format!("{} default of {}", t.name, c.name), sql);
            it.table = Some(t.name.clone());
            it.touches = cx.lineage(t);
            nodes.push(Node::new(it, Some(ObjKey::new(class::ATTRDEF, oid)), vec![table], 9));
        }
        for (name, def, oid) in &t.checks {
            let key = ObjKey::new(class::CONSTRAINT, *oid);
            if !cx.detached.contains(&key) || !cx.leave.keeps(Kind::Constraint) {
                continue;
            }
            // Not ONLY: it reaches the table's children as the inline definition would have.
            let sql = format!("ALTER TABLE {q} ADD CONSTRAINT {} {def};", ident(name));
            let mut it = item(Section::PostData, Kind::Constraint, Some(&t.schema), name, sql);
            it.table = Some(t.name.clone());
            it.touches = cx.lineage(t);
            nodes.push(Node::new(it, Some(key), vec![table], 0));
        }
    }
}

/// Records on each node the objects it needs that the archive does not hold (named as
/// `pg_identify_object` names them).
pub(super) async fn record(
    client: &Client,
    nodes: &mut [Node],
    depends: &Depends,
    emitted: &HashSet<ObjKey>,
) -> Result<()> {
    let index: HashMap<ObjKey, usize> = nodes.iter().enumerate().filter_map(|(i, n)| n.key.map(|k| (k, i))).collect();
    let mut needs: Vec<(usize, ObjKey)> = Vec::new();
    for (from, to) in missing(depends, emitted) {
        // A piece made apart (a detached default or check) needs it itself; else its owner.
        let owner = if index.contains_key(&from) { from } else { depends.resolve(from) };
        if let Some(&i) = index.get(&owner) {
            needs.push((i, to));
        }
    }
    if needs.is_empty() {
        return Ok(());
    }
    let keys: Vec<ObjKey> = needs.iter().map(|(_, k)| *k).collect::<HashSet<_>>().into_iter().collect();
    let classes: Vec<u32> = keys.iter().map(|k| k.class).collect();
    let oids: Vec<u32> = keys.iter().map(|k| k.oid).collect();
    let rows = client
        .query(
            "SELECT k.c, k.o, i.type || ' ' || i.identity FROM ROWS FROM (pg_catalog.unnest($1::oid[]), pg_catalog.unnest($2::oid[])) AS k(c, o), \
             LATERAL pg_catalog.pg_identify_object(k.c, k.o, 0) AS i WHERE i.identity IS NOT NULL",
            &[&classes, &oids],
        )
        .await
        .map_err(db("objects left out"))?;
    let names: HashMap<ObjKey, String> = rows.iter().map(|r| (ObjKey::new(r.get(0), r.get(1)), r.get(2))).collect();
    for (i, key) in needs {
        if let Some(name) = names.get(&key) {
            let requires = &mut nodes[i].item.requires;
            if !requires.contains(name) {
                requires.push(name.clone());
                requires.sort();
            }
        }
    }
    Ok(())
}

//! Restore order from the catalog's own dependency records (`pg_depend`): edges are mapped onto
//! the objects pgark emits (an array type onto its element type, a row type onto its table, a
//! column default or inline check onto its table, a view's rewrite rule onto the view), then
//! items are sorted topologically, taking the lowest (section, kind priority, position) among the
//! items that are ready, so unrelated objects keep a stable, conventional order.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, HashSet};

use tokio_postgres::Client;

use super::key::{class, ObjKey};
use crate::archive::DdlItem;
use crate::error::{Error, Result};

/// Access-method members and the operator class (bound, `i`) or family (loose, `a`) they belong to.
const AMOP_OF_CLASS: &str = "SELECT d.objid, d.refobjid FROM pg_catalog.pg_depend d \
    WHERE d.classid = 'pg_catalog.pg_amop'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_opclass'::pg_catalog.regclass AND d.deptype = 'i'";
const AMOP_OF_FAMILY: &str = "SELECT d.objid, d.refobjid FROM pg_catalog.pg_depend d \
    WHERE d.classid = 'pg_catalog.pg_amop'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_opfamily'::pg_catalog.regclass AND d.deptype = 'a'";
const AMPROC_OF_CLASS: &str = "SELECT d.objid, d.refobjid FROM pg_catalog.pg_depend d \
    WHERE d.classid = 'pg_catalog.pg_amproc'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_opclass'::pg_catalog.regclass AND d.deptype = 'i'";
const AMPROC_OF_FAMILY: &str = "SELECT d.objid, d.refobjid FROM pg_catalog.pg_depend d \
    WHERE d.classid = 'pg_catalog.pg_amproc'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_opfamily'::pg_catalog.regclass AND d.deptype = 'a'";

/// An item with its identity and what it needs.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub item: DdlItem,
    /// The object this item creates, if it creates one others can depend on.
    pub key: Option<ObjKey>,
    /// Objects that must exist first (besides those found in `pg_depend`).
    pub deps: Vec<ObjKey>,
    /// Tie-break among ready items: lower first.
    pub priority: u8,
}

impl Node {
    /// A node for `item`, creating `key` (if any), needing `deps` first, ranked by `priority`.
    pub fn new(item: DdlItem, key: Option<ObjKey>, deps: Vec<ObjKey>, priority: u8) -> Node {
        Node { item, key, deps, priority }
    }
}

/// Dependency edges between user objects, mapped onto emitted objects.
#[derive(Debug, Default)]
pub(crate) struct Depends {
    redirect: HashMap<ObjKey, ObjKey>,
    edges: Vec<(ObjKey, ObjKey)>,
}

impl Depends {
    /// Reads `pg_depend` and the facts needed to map sub-objects onto their owners.
    pub async fn read(client: &Client) -> Result<Depends> {
        let err = |e: tokio_postgres::Error| Error::db("reading the catalog (dependencies)", &e);
        let mut redirect = HashMap::new();
        let queries: [(&str, u32, u32); 10] = [
            // An operator class's or family's members are created by its own statement.
            (AMOP_OF_CLASS, class::AMOP, class::OPCLASS),
            (AMOP_OF_FAMILY, class::AMOP, class::OPFAMILY),
            (AMPROC_OF_CLASS, class::AMPROC, class::OPCLASS),
            (AMPROC_OF_FAMILY, class::AMPROC, class::OPFAMILY),
            // Array types stand for their element type.
            ("SELECT t.oid, t.typelem FROM pg_catalog.pg_type t WHERE t.typcategory = 'A' AND t.typelem <> 0 AND t.oid >= 16384", class::TYPE, class::TYPE),
            // A relation's row type stands for the relation (except free-standing composite types).
            ("SELECT t.oid, t.typrelid FROM pg_catalog.pg_type t JOIN pg_catalog.pg_class c ON c.oid = t.typrelid WHERE c.relkind <> 'c' AND t.oid >= 16384", class::TYPE, class::REL),
            // Column defaults belong to their table.
            ("SELECT d.oid, d.adrelid FROM pg_catalog.pg_attrdef d", class::ATTRDEF, class::REL),
            // A view's _RETURN rule is the view.
            ("SELECT r.oid, r.ev_class FROM pg_catalog.pg_rewrite r WHERE r.rulename = '_RETURN' AND r.oid >= 16384", class::REWRITE, class::REL),
            // Validated local CHECK constraints are written inside CREATE TABLE.
            ("SELECT co.oid, co.conrelid FROM pg_catalog.pg_constraint co WHERE co.contype = 'c' AND co.conrelid <> 0 AND co.convalidated AND co.conislocal", class::CONSTRAINT, class::REL),
            // Domain constraints are written inside CREATE DOMAIN.
            ("SELECT co.oid, co.contypid FROM pg_catalog.pg_constraint co WHERE co.contypid <> 0", class::CONSTRAINT, class::TYPE),
        ];
        for (sql, from, to) in queries {
            for r in client.query(sql, &[]).await.map_err(err)? {
                redirect.insert(ObjKey::new(from, r.get(0)), ObjKey::new(to, r.get(1)));
            }
        }
        // Objects of an extension are created by its CREATE EXTENSION.
        for r in client
            .query(
                "SELECT d.classid, d.objid, d.refobjid FROM pg_catalog.pg_depend d WHERE d.deptype = 'e' \
                 AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass",
                &[],
            )
            .await
            .map_err(err)?
        {
            redirect.insert(ObjKey::new(r.get(0), r.get(1)), ObjKey::new(class::EXTENSION, r.get(2)));
        }
        // A free-standing composite type's pg_class row stands for the type.
        for r in client
            .query("SELECT c.oid, c.reltype FROM pg_catalog.pg_class c WHERE c.relkind = 'c' AND c.oid >= 16384", &[])
            .await
            .map_err(err)?
        {
            redirect.insert(ObjKey::new(class::REL, r.get(0)), ObjKey::new(class::TYPE, r.get(1)));
        }
        // An index that backs a constraint is the constraint.
        for r in client
            .query(
                "SELECT co.conindid, co.oid FROM pg_catalog.pg_constraint co \
                 WHERE co.contype IN ('p', 'u', 'x') AND co.conindid <> 0",
                &[],
            )
            .await
            .map_err(err)?
        {
            redirect.insert(ObjKey::new(class::REL, r.get(0)), ObjKey::new(class::CONSTRAINT, r.get(1)));
        }
        // A base type's support functions take or return the type: they need only its shell,
        // which exists before them (the type's definition then needs the functions).
        let shells: HashSet<(ObjKey, ObjKey)> = client
            .query(
                "SELECT p.oid, t.oid FROM pg_catalog.pg_type t JOIN pg_catalog.pg_proc p ON p.oid IN \
                 (t.typinput, t.typoutput, t.typreceive, t.typsend, t.typmodin, t.typmodout, t.typanalyze, \
                  coalesce(NULLIF(pg_catalog.to_jsonb(t) ->> 'typsubscript', '-'), '-')::pg_catalog.regproc) \
                 WHERE t.typtype = 'b' AND t.oid >= 16384",
                &[],
            )
            .await
            .map_err(err)?
            .iter()
            .map(|r| (ObjKey::new(class::PROC, r.get(0)), ObjKey::new(class::TYPE, r.get(1))))
            .collect();
        let mut edges = Vec::new();
        for r in client
            .query(
                // A serial sequence's dependency on its column is the separate OWNED BY item.
                "SELECT d.classid, d.objid, d.refclassid, d.refobjid FROM pg_catalog.pg_depend d \
                 WHERE d.deptype IN ('n', 'a') AND d.objid >= 16384 AND d.refobjid >= 16384 \
                 AND NOT (d.deptype = 'a' AND d.classid = 'pg_class'::pg_catalog.regclass \
                          AND EXISTS (SELECT 1 FROM pg_catalog.pg_sequence s WHERE s.seqrelid = d.objid))",
                &[],
            )
            .await
            .map_err(err)?
        {
            let (from, to) = (ObjKey::new(r.get(0), r.get(1)), ObjKey::new(r.get(2), r.get(3)));
            let to = if shells.contains(&(from, to)) { ObjKey::new(class::SHELL_TYPE, to.oid) } else { to };
            edges.push((from, to));
        }
        Ok(Depends { redirect, edges })
    }

    /// Every edge: (object, object it needs), as `pg_depend` names them.
    pub fn edges(&self) -> &[(ObjKey, ObjKey)] {
        &self.edges
    }

    /// Follows redirects to the object that is emitted.
    pub fn resolve(&self, mut key: ObjKey) -> ObjKey {
        for _ in 0..8 {
            match self.redirect.get(&key) {
                Some(next) => key = *next,
                None => break,
            }
        }
        key
    }

    /// Orders nodes: dependencies first, otherwise by (section, priority, position).
    pub fn sort(&self, nodes: Vec<Node>) -> Vec<Node> {
        let index: HashMap<ObjKey, usize> =
            nodes.iter().enumerate().filter_map(|(i, n)| n.key.map(|k| (k, i))).collect();
        let mut needs: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); nodes.len()];
        let mut add = |i: usize, dep: ObjKey| {
            if let Some(&j) = index.get(&self.resolve(dep)) {
                // An item never waits for one of a later section (a view using a unique index
                // for GROUP BY is created before that index exists, as pg_dump does).
                if j != i && nodes[j].item.section <= nodes[i].item.section {
                    needs[i].insert(j);
                }
            }
        };
        for (i, n) in nodes.iter().enumerate() {
            for d in &n.deps {
                add(i, *d);
            }
        }
        for (from, to) in &self.edges {
            if let Some(&i) = index.get(&self.resolve(*from)) {
                add(i, *to);
            }
        }
        let mut blocking: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
        let mut waiting: Vec<usize> = vec![0; nodes.len()];
        for (i, deps) in needs.iter().enumerate() {
            waiting[i] = deps.len();
            for &j in deps {
                blocking[j].push(i);
            }
        }
        let rank = |i: usize| Reverse((nodes[i].item.section, nodes[i].priority, i));
        let mut ready: BinaryHeap<_> = (0..nodes.len()).filter(|&i| waiting[i] == 0).map(rank).collect();
        let mut done: HashSet<usize> = HashSet::new();
        let mut order = Vec::with_capacity(nodes.len());
        while order.len() < nodes.len() {
            let next = match ready.pop() {
                Some(Reverse((_, _, i))) => i,
                // A cycle: release the lowest-ranked waiting item.
                None => {
                    (0..nodes.len()).filter(|i| !done.contains(i)).min_by_key(|&i| rank(i).0).expect("items remain")
                }
            };
            if !done.insert(next) {
                continue;
            }
            order.push(next);
            for &k in &blocking[next] {
                waiting[k] = waiting[k].saturating_sub(1);
                if waiting[k] == 0 && !done.contains(&k) {
                    ready.push(rank(k));
                }
            }
        }
        // Each item records what it needs by its position in the result.
        let mut position = vec![0u32; nodes.len()];
        for (p, &i) in order.iter().enumerate() {
            position[i] = p as u32;
        }
        let mut slots: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
        order
            .into_iter()
            .map(|i| {
                let mut n = slots[i].take().expect("each node once");
                n.item.needs = needs[i].iter().map(|&j| position[j]).collect();
                n.item.needs.sort_unstable();
                n
            })
            .collect()
    }

    /// Pre-data nodes that depend on objects created in a later section, with those objects.
    pub fn early_dependents(&self, nodes: &[Node]) -> Vec<(usize, Vec<ObjKey>)> {
        let index: HashMap<ObjKey, usize> =
            nodes.iter().enumerate().filter_map(|(i, n)| n.key.map(|k| (k, i))).collect();
        let mut out: HashMap<usize, Vec<ObjKey>> = HashMap::new();
        for (from, to) in &self.edges {
            let (Some(&i), Some(&j)) = (index.get(&self.resolve(*from)), index.get(&self.resolve(*to))) else {
                continue;
            };
            if nodes[j].item.section > nodes[i].item.section {
                let v = out.entry(i).or_default();
                let k = self.resolve(*to);
                if !v.contains(&k) {
                    v.push(k);
                }
            }
        }
        let mut v: Vec<_> = out.into_iter().collect();
        v.sort();
        v
    }

    /// For every object, the relations (by oid) it depends on directly.
    pub fn relation_deps(&self) -> HashMap<ObjKey, Vec<u32>> {
        let mut out: HashMap<ObjKey, Vec<u32>> = HashMap::new();
        for (from, to) in &self.edges {
            let (from, to) = (self.resolve(*from), self.resolve(*to));
            if to.class == class::REL && from != to {
                let v = out.entry(from).or_default();
                if !v.contains(&to.oid) {
                    v.push(to.oid);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{Kind, Section};

    fn node(name: &str, key: u32, deps: &[u32], priority: u8) -> Node {
        Node {
            item: DdlItem {
                section: Section::PreData,
                kind: Kind::Table,
                schema: None,
                name: name.into(),
                table: None,
                sql: String::new(),
                drop: None,
                touches: vec![],
                shared: false,
                of_kind: None,
                roles: vec![],
                variants: Vec::new(),
                needs: Vec::new(),
                requires: Vec::new(),
            },
            key: Some(ObjKey::new(class::REL, key)),
            deps: deps.iter().map(|&d| ObjKey::new(class::REL, d)).collect(),
            priority,
        }
    }

    #[test]
    fn dependencies_first_then_priority_and_cycles_are_broken() {
        let d = Depends::default();
        let sorted = d.sort(vec![
            node("view2", 1, &[2], 5),
            node("view1", 2, &[3], 5),
            node("table", 3, &[], 9),
            node("fn", 4, &[], 1),
        ]);
        let names: Vec<_> = sorted.iter().map(|n| n.item.name.as_str()).collect();
        assert_eq!(names, ["fn", "table", "view1", "view2"]);
        let sorted = d.sort(vec![node("a", 1, &[2], 1), node("b", 2, &[1], 1), node("c", 3, &[], 0)]);
        assert_eq!(sorted.len(), 3);
        assert_eq!(sorted[0].item.name, "c");
    }
}

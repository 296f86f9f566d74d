//! Pre-data objects that need a post-data object: moved after it, or (views) created as a
//! placeholder first and replaced after it.

use std::collections::{HashMap, HashSet};

use super::depsort::{Depends, Node};
use super::key::{class, ObjKey};
use super::views::View;
use crate::archive::{Kind, Section};
use crate::sql::qualified;

/// Pre-data objects whose definition needs a post-data object (found in `pg_depend`) are
/// created once it exists, as pg_dump does: a function with a SQL-standard body (`BEGIN ATOMIC`,
/// `RETURN`) that names a constraint (`ON CONFLICT ON CONSTRAINT`, a GROUP BY that a primary key
/// makes valid) and a materialized view move to post-data whole; a view is created as a
/// placeholder with the same columns in pre-data and replaced by its real definition then. What
/// needs a moved object is looked at again, until nothing more moves. Each postponed statement
/// touches the tables of what it waits for, so the post-data scheduler keeps it behind them.
pub(super) fn postpone_early(nodes: &mut Vec<Node>, views: &[View], depends: &Depends) {
    let views: HashMap<u32, &View> = views.iter().map(|v| (v.oid, v)).collect();
    let mut placeholders = HashSet::new();
    loop {
        let mut moved = false;
        let mut extra = Vec::new();
        for (i, needs) in depends.early_dependents(nodes) {
            if placeholders.contains(&i) || nodes[i].item.section != Section::PreData {
                continue;
            }
            let touches: Vec<String> = needs
                .iter()
                .flat_map(|k| nodes.iter().filter(|n| n.key == Some(*k)))
                .flat_map(|n| n.item.touches.clone())
                .collect();
            let view = nodes[i].key.filter(|k| k.class == class::REL).and_then(|k| views.get(&k.oid));
            match (nodes[i].item.kind, view) {
                (Kind::Function | Kind::Aggregate | Kind::MaterializedView, _) => {
                    let n = &mut nodes[i];
                    n.item.section = Section::PostData;
                    n.item.touches = touches;
                    if let Some(v) = view {
                        n.item.touches.push(format!("{}.{}", v.schema, v.name));
                    }
                    n.deps.extend(needs);
                    moved = true;
                }
                (Kind::View, Some(v)) => {
                    placeholders.insert(i);
                    extra.push(placeholder(&mut nodes[i], v, touches, needs));
                }
                _ => {}
            }
        }
        nodes.extend(extra);
        if !moved {
            break;
        }
    }
}

/// Turns a view's node into a placeholder with the same columns and returns the node that
/// replaces it with the real definition once `needs` exist.
fn placeholder(node: &mut Node, v: &View, touches: Vec<String>, needs: Vec<ObjKey>) -> Node {
    let q = qualified(&v.schema, &v.name);
    let columns: Vec<String> = v
        .columns
        .iter()
        .map(|c| match c.split_once(' ') {
            Some((name, rest)) => format!("NULL::{rest} AS {name}"),
            None => c.clone(),
        })
        .collect();
    let real =
        std::mem::replace(&mut node.item.sql, format!("CREATE VIEW {q} AS\n SELECT {};", columns.join(",\n    ")));
    let mut it = node.item.clone();
    it.section = Section::PostData;
    it.sql = real.replacen("CREATE VIEW", "CREATE OR REPLACE VIEW", 1);
    it.drop = None;
    it.touches = touches;
    it.touches.push(format!("{}.{}", v.schema, v.name));
    let mut deps = needs;
    deps.extend(node.key);
    Node::new(it, None, deps, 5)
}

//! What hangs off a table or view and is created after its data — triggers (`triggers.rs`),
//! rules (`rules.rs`), row-level security and policies (`policies.rs`) — read into one shape
//! and turned into items here. On a managed schema's table (Supabase), the user's own policies
//! and triggers calling the user's functions are kept.

use super::depsort::Node;
use super::item;
use super::key::ObjKey;
use super::scope::Context;
use super::tables::Table;
use crate::archive::{Kind, Section};

/// Something attached to a table and created after its data: a trigger, rule, policy or the
/// table's row-level-security switches.
#[derive(Debug, Clone)]
pub(crate) struct Attached {
    /// Roles named by the statement (policies), unquoted.
    pub roles: Vec<String>,
    /// For triggers: the schema of the function they call.
    pub function_schema: Option<String>,
    pub key: Option<ObjKey>,
    /// Objects that must exist first (besides those `pg_depend` records).
    pub deps: Vec<ObjKey>,
    pub table: u32,
    pub kind: Kind,
    pub name: String,
    pub sql: String,
}

/// Items for what is attached to the selected tables and views in scope.
pub(super) fn build(cx: &Context<'_>, nodes: &mut Vec<Node>) {
    for a in &cx.cat.attached {
        // On a managed table, keep what the user added: policies, and triggers calling the
        // user's own functions.
        let users_own_on_managed = |t: &&&Table| {
            !cx.selected.contains(&t.oid)
                && cx.leave.managed(&t.schema)
                && match a.kind {
                    Kind::Policy => true,
                    Kind::Trigger => a.function_schema.as_deref().is_some_and(|s| !cx.leave.managed(s)),
                    _ => false,
                }
        };
        let (schema, name, own) = if let Some(t) = cx.by_oid.get(&a.table).filter(|t| cx.selected.contains(&t.oid)) {
            (&t.schema, &t.name, cx.lineage(t))
        } else if let Some(t) = cx.by_oid.get(&a.table).filter(users_own_on_managed) {
            (&t.schema, &t.name, vec![cx.display(t)])
        } else if let Some(v) = cx.view_by_oid.get(&a.table).filter(|v| cx.view_kept(v)) {
            (&v.schema, &v.name, vec![format!("{}.{}", v.schema, v.name)])
        } else {
            continue;
        };
        let prio = match a.kind {
            Kind::Trigger => 3,
            Kind::Rule => 4,
            Kind::RowSecurity => 5,
            _ => 6,
        };
        let mut it = item(Section::PostData, a.kind, Some(schema), &a.name, a.sql.clone());
        it.table = Some(name.clone());
        it.roles = a.roles.clone();
        it.touches = match a.key {
            Some(k) => cx.touches_for(k, own),
            None => own,
        };
        nodes.push(Node::new(it, a.key, a.deps.clone(), prio));
    }
}

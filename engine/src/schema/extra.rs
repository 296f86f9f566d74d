//! Objects pgark writes the whole statement for while reading them (wrappers, servers, user
//! mappings, collations, text search, languages, statistics, casts, event triggers,
//! publications, default privileges): each family module reads its own into `Extra`s, and
//! one rule here turns those in scope into items.

use super::depsort::Node;
use super::item;
use super::key::ObjKey;
use super::scope::Context;
use crate::archive::{Kind, Section};
use crate::sql::{ident, qualified};

/// An object pgark writes the statement for itself: foreign-data wrappers, servers, user
/// mappings, collations, text search objects, casts, event triggers, publications, default
/// privileges.
#[derive(Debug, Clone)]
pub(crate) struct Extra {
    pub key: Option<ObjKey>,
    pub kind: Kind,
    pub section: Section,
    /// The schema for schema-qualified objects; `None` for database-wide ones.
    pub schema: Option<String>,
    pub name: String,
    pub sql: String,
    pub drop: Option<String>,
    pub deps: Vec<ObjKey>,
    /// Roles the statement names, unquoted.
    pub roles: Vec<String>,
    /// Tie-break among ready items of its section (see `depsort.rs`): lower first.
    pub priority: u8,
    /// Statements for newer servers (see `DdlItem::variants`).
    pub variants: Vec<(i32, String)>,
}

impl Extra {
    /// A database-wide object with a plain name, dropped by `DROP <what> IF EXISTS name CASCADE`.
    pub(super) fn named(key: ObjKey, kind: Kind, what: &str, name: String, sql: String) -> Extra {
        let drop = Some(format!("DROP {what} IF EXISTS {} CASCADE;", ident(&name)));
        Extra::global(Some(key), kind, name, sql, drop)
    }

    /// A database-wide object (no schema), in pre-data.
    pub(super) fn global(key: Option<ObjKey>, kind: Kind, name: String, sql: String, drop: Option<String>) -> Extra {
        Extra {
            key,
            kind,
            section: Section::PreData,
            schema: None,
            name,
            sql,
            drop,
            deps: vec![],
            roles: vec![],
            priority: 2,
            variants: Vec::new(),
        }
    }

    /// An object in a schema, in pre-data, dropped by `DROP <what> IF EXISTS schema.name CASCADE`.
    pub(super) fn in_schema(key: ObjKey, kind: Kind, what: &str, schema: String, name: String, sql: String) -> Extra {
        let drop = Some(format!("DROP {what} IF EXISTS {} CASCADE;", qualified(&schema, &name)));
        let mut e = Extra::global(Some(key), kind, name, sql, drop);
        e.schema = Some(schema);
        e
    }
}

/// Items for the extras in scope, in the order they were read.
pub(super) fn build(cx: &Context<'_>, nodes: &mut Vec<Node>) {
    for e in cx.cat.extras.iter().filter(|e| cx.scope.extra(e)) {
        let mut it = item(e.section, e.kind, e.schema.as_deref(), &e.name, e.sql.clone());
        it.drop = e.drop.clone();
        it.roles = e.roles.clone();
        it.variants = e.variants.clone();
        nodes.push(Node::new(it, e.key, e.deps.clone(), e.priority));
    }
}

//! Schemas. `public` exists in every database: it is not created, but its owner, grants and
//! comment are restored like any other schema's.

use std::collections::BTreeMap;

use tokio_postgres::Client;

use super::depsort::Node;
use super::item;
use super::key::{class, ObjKey};
use super::query::{db, not_extension_member, USER_NS};
use super::scope::Context;
use crate::archive::{Kind, Section};
use crate::error::Result;
use crate::sql::ident;

/// Reads every user schema: name → oid.
pub(super) async fn read(client: &Client) -> Result<BTreeMap<String, u32>> {
    let mut schemas = BTreeMap::new();
    for r in client
        .query(
            &format!(
                "SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n WHERE {USER_NS} AND {}",
                not_extension_member("pg_namespace", "n.oid")
            ),
            &[],
        )
        .await
        .map_err(db("schemas"))?
    {
        schemas.insert(r.get(1), r.get(0));
    }
    Ok(schemas)
}

/// The schemas in scope.
pub(super) fn build(cx: &Context<'_>, nodes: &mut Vec<Node>) {
    for s in &cx.scope.schemas {
        let key = cx.cat.schemas.get(s).map(|&o| ObjKey::new(class::NAMESPACE, o));
        let sql = if s == "public" { String::new() } else { format!("CREATE SCHEMA IF NOT EXISTS {};", ident(s)) };
        if !sql.is_empty() {
            nodes.push(Node::new(item(Section::PreData, Kind::Schema, None, s, sql), key, vec![], 0));
        } else if let Some(k) = key {
            // public exists in every database: nothing to create, but its owner, grants and
            // comment are still restored (as decorations of this key).
            nodes.push(Node::new(
                item(Section::PreData, Kind::Schema, None, s, "-- public exists in every database".into()),
                Some(k),
                vec![],
                0,
            ));
        }
    }
}

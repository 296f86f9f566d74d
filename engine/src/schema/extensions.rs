//! Extensions, restored at the exact version the source had (`plpgsql` is in every database).

use tokio_postgres::Client;

use super::depsort::Node;
use super::item;
use super::key::{class, ObjKey};
use super::query::db;
use super::scope::Context;
use crate::archive::{Kind, Section};
use crate::error::Result;
use crate::sql::{ident, literal};

/// An installed extension.
#[derive(Debug, Clone)]
pub(crate) struct Extension {
    pub oid: u32,
    pub name: String,
    pub schema: String,
    pub version: String,
}

/// Reads the installed extensions.
pub(super) async fn read(client: &Client) -> Result<Vec<Extension>> {
    let mut extensions = Vec::new();
    for r in client
            .query(
                "SELECT e.oid, e.extname, n.nspname, e.extversion FROM pg_catalog.pg_extension e \
                 JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY e.extname",
                &[],
            )
            .await
            .map_err(db("extensions"))?
        {
            extensions.push(Extension { oid: r.get(0), name: r.get(1), schema: r.get(2), version: r.get(3) });
        }
    Ok(extensions)
}

/// `CREATE EXTENSION` for each, when the dump covers the whole database.
pub(super) fn build(cx: &Context<'_>, nodes: &mut Vec<Node>) {
    if cx.scope.extensions {
        for e in &cx.cat.extensions {
            let mut it = item(
                Section::PreData,
                Kind::Extension,
                None,
                &e.name,
                format!(
                    "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {} VERSION {};",
                    ident(&e.name),
                    ident(&e.schema),
                    literal(&e.version)
                ),
            );
            it.drop = Some(format!("DROP EXTENSION IF EXISTS {} CASCADE;", ident(&e.name)));
            let deps =
                cx.cat.schemas.get(&e.schema).map(|&o| vec![ObjKey::new(class::NAMESPACE, o)]).unwrap_or_default();
            nodes.push(Node::new(it, Some(ObjKey::new(class::EXTENSION, e.oid)), deps, 1));
        }
    }
}

//! Large objects: created (`lo_create`, in batches) in pre-data with their owners, grants and
//! comments; their contents are data (`dump/large_objects.rs`). Carried when the dump covers
//! the whole database, as pg_dump does.

use tokio_postgres::Client;

use super::depsort::Node;
use super::item;
use super::key::{class, ObjKey};
use super::query::db;
use super::scope::Context;
use crate::archive::{Kind, Section};
use crate::error::Result;

/// Large objects created by one statement.
pub(super) const BATCH: usize = 1000;

/// Reads the oids of every large object.
pub(super) async fn read(client: &Client) -> Result<Vec<u32>> {
    let rows = client
        .query("SELECT m.oid FROM pg_catalog.pg_largeobject_metadata m ORDER BY 1", &[])
        .await
        .map_err(db("large objects"))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// One item per batch; it stands for its first object, the others' decorations hang off it.
pub(super) fn build(cx: &Context<'_>, nodes: &mut Vec<Node>) {
    if !cx.scope.extensions {
        return;
    }
    for batch in cx.cat.large_objects.chunks(BATCH) {
        let list: Vec<String> = batch.iter().map(u32::to_string).collect();
        let array = format!("'{{{}}}'::pg_catalog.oid[]", list.join(","));
        let name = format!("{}..{}", batch[0], batch[batch.len() - 1]);
        let mut it = item(
            Section::PreData,
            Kind::LargeObject,
            None,
            &name,
            format!("SELECT pg_catalog.lo_create(o) FROM pg_catalog.unnest({array}) AS o;"),
        );
        it.drop = Some(format!(
            "SELECT pg_catalog.lo_unlink(o) FROM pg_catalog.unnest({array}) AS o \
             WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_largeobject_metadata m WHERE m.oid = o);"
        ));
        nodes.push(Node::new(it, Some(ObjKey::new(class::LARGE_OBJECT, batch[0])), vec![], 9));
    }
}

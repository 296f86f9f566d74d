//! Triggers (with their enabled state), created after the data. Constraint and INSTEAD OF
//! triggers included; triggers a partition inherits come with its parent's.

use tokio_postgres::Client;

use super::attached::Attached;
use super::key::{class, ObjKey};
use super::query::db;
use crate::archive::Kind;
use crate::error::Result;
use crate::sql::ident;

/// Reads the triggers of the relations `rels`.
pub(super) async fn read(client: &Client, rels: &[u32], out: &mut Vec<Attached>) -> Result<()> {
    let rows = client
            .query(
                "SELECT t.oid, t.tgrelid, t.tgname, pg_catalog.pg_get_triggerdef(t.oid), t.tgenabled::text, \
                 t.tgrelid::pg_catalog.regclass::text, \
                 (SELECT n.nspname FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = t.tgfoid)::text \
                 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = ANY($1) AND NOT t.tgisinternal \
                 AND coalesce((pg_catalog.to_jsonb(t) ->> 'tgparentid')::pg_catalog.oid, 0) = 0 ORDER BY t.tgrelid, t.tgname",
                &[&rels],
            )
            .await
            .map_err(db("triggers"))?;
    for r in rows {
        let (table, name, def, enabled): (u32, String, String, String) = (r.get(1), r.get(2), r.get(3), r.get(4));
        let rel: String = r.get(5);
        let mut sql = format!("{def};");
        let state = match enabled.as_str() {
            "D" => Some("DISABLE TRIGGER"),
            "R" => Some("ENABLE REPLICA TRIGGER"),
            "A" => Some("ENABLE ALWAYS TRIGGER"),
            _ => None,
        };
        if let Some(state) = state {
            sql.push_str(&format!("\nALTER TABLE {rel} {state} {};", ident(&name)));
        }
        out.push(Attached {
            roles: Vec::new(),
            function_schema: r.get(6),
            deps: Vec::new(),
            key: Some(ObjKey::new(class::TRIGGER, r.get(0))),
            table,
            kind: Kind::Trigger,
            name,
            sql,
        });
    }
    // A partition's copy of its parent's trigger whose enabled state was changed on its own
    // (PostgreSQL 13 on records the parent).
    let rows = client
        .query(
            "SELECT p.oid, t.tgrelid, t.tgname, t.tgenabled::text, t.tgrelid::pg_catalog.regclass::text \
             FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_trigger p \
               ON p.oid = (pg_catalog.to_jsonb(t) ->> 'tgparentid')::pg_catalog.oid \
             WHERE t.tgrelid = ANY($1) AND t.tgenabled <> p.tgenabled ORDER BY t.tgrelid, t.tgname",
            &[&rels],
        )
        .await
        .map_err(db("trigger states of partitions"))?;
    for r in rows {
        let (name, enabled, rel): (String, String, String) = (r.get(2), r.get(3), r.get(4));
        let state = match enabled.as_str() {
            "D" => "DISABLE TRIGGER",
            "R" => "ENABLE REPLICA TRIGGER",
            "A" => "ENABLE ALWAYS TRIGGER",
            _ => "ENABLE TRIGGER",
        };
        out.push(Attached {
            roles: Vec::new(),
            function_schema: None,
            deps: vec![ObjKey::new(class::TRIGGER, r.get(0))],
            key: None,
            table: r.get(1),
            kind: Kind::Trigger,
            sql: format!("ALTER TABLE {rel} {state} {};", ident(&name)),
            name,
        });
    }
    Ok(())
}

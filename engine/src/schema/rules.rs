//! Rewrite rules (other than a view's own `_RETURN` rule), with their enabled state.

use tokio_postgres::Client;

use super::attached::Attached;
use super::key::{class, ObjKey};
use super::query::db;
use crate::archive::Kind;
use crate::error::Result;
use crate::sql::ident;

/// Reads the rules of the relations `rels`.
pub(super) async fn read(client: &Client, rels: &[u32], out: &mut Vec<Attached>) -> Result<()> {
    let rows = client
        .query(
            "SELECT r.oid, r.ev_class, r.rulename, pg_catalog.pg_get_ruledef(r.oid), r.ev_enabled::text, \
                 r.ev_class::pg_catalog.regclass::text \
                 FROM pg_catalog.pg_rewrite r WHERE r.ev_class = ANY($1) AND r.rulename <> '_RETURN' \
                 ORDER BY r.ev_class, r.rulename",
            &[&rels],
        )
        .await
        .map_err(db("rules"))?;
    for r in rows {
        let (table, name, def, enabled): (u32, String, String, String) = (r.get(1), r.get(2), r.get(3), r.get(4));
        let rel: String = r.get(5);
        let mut sql = def.trim_end().to_string();
        if !sql.ends_with(';') {
            sql.push(';');
        }
        if enabled == "D" {
            sql.push_str(&format!("\nALTER TABLE {rel} DISABLE RULE {};", ident(&name)));
        }
        out.push(Attached {
            roles: Vec::new(),
            function_schema: None,
            deps: Vec::new(),
            key: Some(ObjKey::new(class::REWRITE, r.get(0))),
            table,
            kind: Kind::Rule,
            name,
            sql,
        });
    }
    Ok(())
}

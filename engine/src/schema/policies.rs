//! Row-level security: a table's ENABLE / FORCE switches and its policies.

use tokio_postgres::Client;

use super::attached::Attached;
use super::key::{class, ObjKey};
use super::query::db;
use crate::archive::Kind;
use crate::error::Result;
use crate::sql::ident;

/// Reads the row-level-security switches and policies of the relations `rels`.
pub(super) async fn read(client: &Client, rels: &[u32], out: &mut Vec<Attached>) -> Result<()> {
    let rows = client
            .query(
                "SELECT c.oid, c.relrowsecurity, c.relforcerowsecurity, c.oid::pg_catalog.regclass::text FROM pg_catalog.pg_class c \
                 WHERE c.oid = ANY($1) AND (c.relrowsecurity OR c.relforcerowsecurity) ORDER BY c.oid",
                &[&rels],
            )
            .await
            .map_err(db("row-level security"))?;
    for r in rows {
        let rel: String = r.get(3);
        let mut sql = String::new();
        if r.get::<_, bool>(1) {
            sql.push_str(&format!("ALTER TABLE {rel} ENABLE ROW LEVEL SECURITY;"));
        }
        if r.get::<_, bool>(2) {
            sql.push_str(&format!("\nALTER TABLE {rel} FORCE ROW LEVEL SECURITY;"));
        }
        out.push(Attached {
            roles: Vec::new(),
            function_schema: None,
            deps: Vec::new(),
            key: None,
            table: r.get(0),
            kind: Kind::RowSecurity,
            name: "row level security".into(),
            sql: sql.trim_start().to_string(),
        });
    }
    let rows = client
            .query(
                "SELECT p.oid, p.polrelid, p.polname, p.polpermissive, p.polcmd::text, \
                 ARRAY(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r)) END \
                       FROM pg_catalog.unnest(p.polroles) AS r), \
                 pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), \
                 p.polrelid::pg_catalog.regclass::text, \
                 ARRAY(SELECT pg_catalog.pg_get_userbyid(r) FROM pg_catalog.unnest(p.polroles) AS r WHERE r <> 0) \
                 FROM pg_catalog.pg_policy p WHERE p.polrelid = ANY($1) ORDER BY p.polrelid, p.polname",
                &[&rels],
            )
            .await
            .map_err(db("policies"))?;
    for r in rows {
        let name: String = r.get(2);
        let cmd = match r.get::<_, String>(4).as_str() {
            "r" => "SELECT",
            "a" => "INSERT",
            "w" => "UPDATE",
            "d" => "DELETE",
            _ => "ALL",
        };
        let roles: Vec<String> = r.get(5);
        let rel: String = r.get(8);
        let mut sql = format!(
            "CREATE POLICY {} ON {rel}{} FOR {cmd} TO {}",
            ident(&name),
            if r.get::<_, bool>(3) { "" } else { " AS RESTRICTIVE" },
            roles.join(", ")
        );
        if let Some(q) = r.get::<_, Option<String>>(6) {
            sql.push_str(&format!(" USING ({q})"));
        }
        if let Some(c) = r.get::<_, Option<String>>(7) {
            sql.push_str(&format!(" WITH CHECK ({c})"));
        }
        sql.push(';');
        out.push(Attached {
            roles: Vec::new(),
            function_schema: None,
            deps: Vec::new(),
            key: Some(ObjKey::new(class::POLICY, r.get(0))),
            table: r.get(1),
            kind: Kind::Policy,
            name,
            sql,
        });
    }
    Ok(())
}

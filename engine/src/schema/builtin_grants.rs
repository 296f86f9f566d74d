//! Privileges changed on objects the database did not create itself — built-in objects and
//! those of extensions — as the difference between their privileges and the initial ones the
//! server recorded in `pg_init_privs`: `REVOKE` what was taken away, `GRANT` what was added (by
//! the restoring superuser, as for an owner). Carried when the dump covers the whole database and
//! no platform manages schemas of it: on a managed platform (Supabase) those privileges are the
//! platform's, and its restoring user may not change them.

use tokio_postgres::Client;

use super::depsort::Node;
use super::item;
use super::privileges::grant_word;
use super::query::db;
use super::scope::Context;
use crate::archive::{Kind, Section};
use crate::error::Result;
use crate::sql::ident;

/// One object's (or column's, system columns included) changed privileges.
#[derive(Debug, Clone)]
pub(crate) struct BuiltinGrant {
    /// `pg_identify_object`'s type and identity of the object.
    pub ty: String,
    pub identity: String,
    /// The column, for column privileges.
    pub column: Option<String>,
    /// `(grantee, privilege, grantable)` rows added and taken away; grantees quoted or PUBLIC.
    pub granted: Vec<String>,
    pub revoked: Vec<String>,
    /// Roles named, unquoted.
    pub roles: Vec<String>,
}

/// Rows of an ACL as `grantee|privilege|grantable`.
const ROWS: &str = "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END \
    || '|' || a.privilege_type || '|' || a.is_grantable FROM pg_catalog.aclexplode(NULLIF({}, '{}'::pg_catalog.aclitem[])) a";

/// The rows of ACL `a` that ACL `b` lacks, in `a`'s order (the order they were granted in, which
/// a restore keeps).
fn only_in(a: &str, b: &str) -> String {
    let rows = |acl: &str| ROWS.replacen("{}", acl, 1);
    format!(
        "ARRAY(SELECT u.r FROM pg_catalog.unnest(ARRAY({})) WITH ORDINALITY AS u(r, n) \
         WHERE u.r <> ALL (ARRAY({})) ORDER BY u.n)",
        rows(a),
        rows(b)
    )
}

/// Objects the database did not create itself: in `pg_catalog`, or part of an extension (as
/// pg_dump, which leaves `information_schema` alone: before 14 its objects had no initial
/// privileges recorded, and some of them are gone in later versions).
fn builtin(namespace: &str, class: &str, oid: &str) -> String {
    format!(
        "({namespace} = 'pg_catalog'::pg_catalog.regnamespace \
         OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = '{class}'::pg_catalog.regclass \
         AND d.objid = {oid} AND d.deptype = 'e'))"
    )
}

/// Reads the objects whose privileges differ from their initial ones (`pg_init_privs`, else the
/// defaults every owner gets).
pub(super) async fn read(client: &Client) -> Result<Vec<BuiltinGrant>> {
    let sql = format!(
        "WITH current(c, o, s, acl, initial) AS ( \
           SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, x.oid, 0, x.relacl, \
             pg_catalog.acldefault((CASE x.relkind WHEN 'S' THEN 's' ELSE 'r' END)::\"char\", x.relowner) \
             FROM pg_catalog.pg_class x WHERE x.relacl IS NOT NULL AND {} \
           UNION ALL SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass, x.oid, 0, x.proacl, pg_catalog.acldefault('f', x.proowner) \
             FROM pg_catalog.pg_proc x WHERE x.proacl IS NOT NULL AND {} \
           UNION ALL SELECT 'pg_catalog.pg_namespace'::pg_catalog.regclass, x.oid, 0, x.nspacl, pg_catalog.acldefault('n', x.nspowner) \
             FROM pg_catalog.pg_namespace x WHERE x.nspacl IS NOT NULL AND {} \
           UNION ALL SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, x.oid, 0, x.typacl, pg_catalog.acldefault('T', x.typowner) \
             FROM pg_catalog.pg_type x WHERE x.typacl IS NOT NULL AND {} \
           UNION ALL SELECT 'pg_catalog.pg_language'::pg_catalog.regclass, x.oid, 0, x.lanacl, pg_catalog.acldefault('l', x.lanowner) \
             FROM pg_catalog.pg_language x WHERE x.lanacl IS NOT NULL AND (x.oid < 16384 OR {}) \
           UNION ALL SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, x.attrelid, x.attnum, x.attacl, NULL::pg_catalog.aclitem[] \
             FROM pg_catalog.pg_attribute x JOIN pg_catalog.pg_class r ON r.oid = x.attrelid \
             WHERE x.attnum <> 0 AND x.attacl IS NOT NULL AND {}) \
         SELECT i.type, i.identity, CASE WHEN c.s <> 0 THEN (SELECT a.attname::text FROM pg_catalog.pg_attribute a \
             WHERE a.attrelid = c.o AND a.attnum = c.s) END, \
           {}, {} \
         FROM current c LEFT JOIN pg_catalog.pg_init_privs ip ON ip.classoid = c.c AND ip.objoid = c.o AND ip.objsubid = c.s, \
         LATERAL (SELECT coalesce(ip.initprivs, c.initial) AS acl) base, \
         LATERAL pg_catalog.pg_identify_object(c.c, c.o, 0) i \
         WHERE c.acl IS DISTINCT FROM base.acl ORDER BY c.c, c.o, c.s <> 0, c.s",
        builtin("x.relnamespace", "pg_catalog.pg_class", "x.oid"),
        builtin("x.pronamespace", "pg_catalog.pg_proc", "x.oid"),
        builtin("x.oid", "pg_catalog.pg_namespace", "x.oid"),
        builtin("x.typnamespace", "pg_catalog.pg_type", "x.oid"),
        builtin("0", "pg_catalog.pg_language", "x.oid"),
        builtin("r.relnamespace", "pg_catalog.pg_class", "r.oid"),
        only_in("c.acl", "base.acl"),
        only_in("base.acl", "c.acl"),
    );
    let mut out = Vec::new();
    for r in client.query(&sql, &[]).await.map_err(db("privileges of built-in objects"))? {
        let (granted, revoked): (Vec<String>, Vec<String>) = (r.get(3), r.get(4));
        let roles = granted
            .iter()
            .chain(&revoked)
            .filter_map(|row| row.split('|').next())
            .filter(|g| *g != "PUBLIC")
            .map(|g| g.trim_matches('"').replace("\"\"", "\""))
            .collect();
        out.push(BuiltinGrant { ty: r.get(0), identity: r.get(1), column: r.get(2), granted, revoked, roles });
    }
    Ok(out)
}

/// The changes, after everything else exists.
pub(super) fn build(cx: &Context<'_>, nodes: &mut Vec<Node>) {
    if !cx.scope.extensions || !cx.leave.managed_schemas.is_empty() {
        return;
    }
    for g in &cx.cat.builtin_grants {
        let Some(word) = grant_word(&g.ty) else { continue };
        let columns = g.column.as_ref().map(|c| format!(" ({})", ident(c))).unwrap_or_default();
        let on = format!("{word} {}", g.identity);
        let mut sql = Vec::new();
        for row in &g.revoked {
            let mut parts = row.split('|');
            let (grantee, privilege) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            sql.push(format!("REVOKE {privilege}{columns} ON {on} FROM {grantee};"));
        }
        for row in &g.granted {
            let mut parts = row.split('|');
            let (grantee, privilege) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            let option = if parts.next() == Some("true") { " WITH GRANT OPTION" } else { "" };
            sql.push(format!("GRANT {privilege}{columns} ON {on} TO {grantee}{option};"));
        }
        let name = match &g.column {
            Some(c) => format!("{}.{c}", g.identity),
            None => g.identity.clone(),
        };
        let mut it = item(Section::PostData, Kind::Grant, None, &name, sql.join("\n"));
        it.roles = g.roles.clone();
        // An object's changes and its columns' run one after the other, the object's first: a
        // table-level REVOKE run after a column's GRANT would take the column's privilege too.
        it.touches = vec![format!("{word} {}", g.identity)];
        nodes.push(Node::new(it, None, vec![], 9));
    }
}

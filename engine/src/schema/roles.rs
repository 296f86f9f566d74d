//! Roles are cluster-wide: an archive lists every role its statements name, `dump --globals`
//! also records their definitions (from `pg_roles`: attributes and memberships, never
//! passwords), and a restore checks them all before changing anything.

use std::collections::BTreeSet;

use tokio_postgres::Client;

use crate::archive::{DdlItem, RoleDef};
use crate::error::{Error, Result};
use crate::sql::ident;

/// Every role the items name, sorted.
pub fn roles_named(items: &[DdlItem]) -> Vec<String> {
    items.iter().flat_map(|i| i.roles.iter().cloned()).collect::<BTreeSet<_>>().into_iter().collect()
}

/// Reads the definitions of `names` (those that exist).
pub(crate) async fn read_roles(client: &Client, names: &[String]) -> Result<Vec<RoleDef>> {
    let rows = client
        .query(
            "SELECT r.rolname::text, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin, \
             r.rolreplication, r.rolbypassrls, r.rolconnlimit, r.rolvaliduntil::text, \
             ARRAY(SELECT g.rolname::text FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g ON g.oid = m.roleid \
                   WHERE m.member = r.oid ORDER BY 1) \
             FROM pg_catalog.pg_roles r WHERE r.rolname = ANY($1) ORDER BY 1",
            &[&names],
        )
        .await
        .map_err(|e| Error::db("reading role definitions (--globals)", &e))?;
    Ok(rows
        .iter()
        .map(|r| RoleDef {
            name: r.get(0),
            superuser: r.get(1),
            inherit: r.get(2),
            create_role: r.get(3),
            create_db: r.get(4),
            login: r.get(5),
            replication: r.get(6),
            bypass_rls: r.get(7),
            connection_limit: r.get(8),
            valid_until: r.get(9),
            member_of: r.get(10),
        })
        .collect())
}

/// Checks that every role `items` name exists in the target; creates the missing ones when
/// `create` is set (from `globals` where recorded, else `NOLOGIN`), otherwise fails listing
/// them all. Returns the roles created.
pub(crate) async fn ensure_roles(
    client: &Client,
    items: &[DdlItem],
    globals: &[RoleDef],
    create: bool,
) -> Result<Vec<String>> {
    let needed = roles_named(items);
    if needed.is_empty() {
        return Ok(Vec::new());
    }
    let existing: BTreeSet<String> = client
        .query("SELECT rolname::text FROM pg_catalog.pg_roles WHERE rolname = ANY($1)", &[&needed])
        .await
        .map_err(|e| Error::db("checking roles", &e))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let missing: Vec<String> = needed.into_iter().filter(|r| !existing.contains(r)).collect();
    if missing.is_empty() {
        return Ok(missing);
    }
    if !create {
        return Err(Error::Refused(format!(
            "the target cluster lacks {} role(s) the archive's owners, grants or policies name: {}. \
             Create them, restore with --create-roles (recreates them from the archive's --globals, else as NOLOGIN roles), \
             or leave ownership and grants out with --no-owner --no-privileges",
            missing.len(),
            missing.join(", ")
        )));
    }
    let mut sql = String::new();
    for name in &missing {
        match globals.iter().find(|g| &g.name == name) {
            Some(def) => sql.push_str(&def.create_sql()),
            None => sql.push_str(&format!("CREATE ROLE {} NOLOGIN;", ident(name))),
        }
    }
    for def in globals.iter().filter(|g| missing.contains(&g.name)) {
        for group in &def.member_of {
            if existing.contains(group) || missing.contains(group) {
                sql.push_str(&format!("GRANT {} TO {};", ident(group), ident(&def.name)));
            }
        }
    }
    client.batch_execute(&sql).await.map_err(|e| Error::db("creating missing roles (--create-roles)", &e))?;
    Ok(missing)
}

//! Default privileges (`ALTER DEFAULT PRIVILEGES`), per role and optionally per schema.

use tokio_postgres::Client;

use super::extra::Extra;
use super::privileges::parse_acl_rows;
use super::query::db;
use crate::archive::{Kind, Section};
use crate::error::Result;
use crate::sql::ident;

/// Reads every default-privileges entry.
pub(super) async fn read(client: &Client, out: &mut Vec<Extra>) -> Result<()> {
    // Default privileges: the owner's and PUBLIC's defaults revoked where the source did,
    // then every granted entry.
    let rows = client
        .query(
            "SELECT d.oid, pg_catalog.pg_get_userbyid(d.defaclrole), \
             CASE WHEN d.defaclnamespace <> 0 THEN (SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = d.defaclnamespace) END, \
             d.defaclobjtype::text, \
             ARRAY(SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END \
                   || '|' || a.privilege_type || '|' || a.is_grantable || '|' || pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantor)) \
                   FROM pg_catalog.aclexplode(d.defaclacl) AS a), \
             ARRAY(SELECT pg_catalog.pg_get_userbyid(a.grantee) FROM pg_catalog.aclexplode(d.defaclacl) AS a WHERE a.grantee <> 0) \
             FROM pg_catalog.pg_default_acl d ORDER BY 2, 3, 4",
            &[],
        )
        .await
        .map_err(db("default privileges"))?;
    for r in rows {
        let role: String = r.get(1);
        let schema: Option<String> = r.get(2);
        let on = match r.get::<_, String>(3).as_str() {
            "r" => "TABLES",
            "S" => "SEQUENCES",
            "f" => "FUNCTIONS",
            "T" => "TYPES",
            _ => "SCHEMAS",
        };
        let prefix = match &schema {
            Some(s) => format!("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {}", ident(&role), ident(s)),
            None => format!("ALTER DEFAULT PRIVILEGES FOR ROLE {}", ident(&role)),
        };
        let mut sql = String::new();
        if schema.is_none() {
            // A global entry replaces the built-in defaults: start from nothing.
            sql.push_str(&format!(
                "{prefix} REVOKE ALL ON {on} FROM PUBLIC;\n{prefix} REVOKE ALL ON {on} FROM {};",
                ident(&role)
            ));
        }
        let entries = parse_acl_rows(r.get(4));
        let mut i = 0;
        while i < entries.len() {
            let (grantee, grantable) = (&entries[i].grantee, entries[i].grantable);
            let mut privs = Vec::new();
            while i < entries.len() && &entries[i].grantee == grantee && entries[i].grantable == grantable {
                privs.push(entries[i].privilege.clone());
                i += 1;
            }
            let option = if grantable { " WITH GRANT OPTION" } else { "" };
            sql.push_str(&format!("\n{prefix} GRANT {} ON {on} TO {grantee}{option};", privs.join(", ")));
        }
        let mut roles: Vec<String> = r.get(5);
        roles.push(role.clone());
        let name = format!(
            "for {role}{} on {}",
            schema.as_ref().map(|s| format!(" in {s}")).unwrap_or_default(),
            on.to_lowercase()
        );
        let mut e = Extra::global(None, Kind::DefaultPrivileges, name, sql.trim_start().to_string(), None);
        e.schema = schema;
        e.roles = roles;
        e.section = Section::PostData;
        e.priority = 9;
        let _: u32 = r.get(0);
        out.push(e);
    }
    Ok(())
}

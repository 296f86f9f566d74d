//! Privileges: ACL rows as `aclexplode` gives them, and the `GRANT` statements that replay them
//! (from a clean slate, switching to the grantor's role when it is not the owner).

use std::collections::BTreeSet;

/// One privilege granted on an object (a row of `aclexplode`); role names are quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AclEntry {
    /// `PUBLIC` or a quoted role name.
    pub grantee: String,
    /// `SELECT`, `USAGE`, …
    pub privilege: String,
    pub grantable: bool,
    pub grantor: String,
}

/// Parses `grantee|privilege|grantable|grantor` rows (role names quoted).
pub(super) fn parse_acl_rows(rows: Vec<String>) -> Vec<AclEntry> {
    rows.into_iter()
        .filter_map(|row| {
            let mut it = row.rsplitn(4, '|');
            let grantor = it.next()?.to_string();
            let grantable = it.next()? == "true";
            let privilege = it.next()?.to_string();
            let grantee = it.next()?.to_string();
            Some(AclEntry { grantee, privilege, grantable, grantor })
        })
        .collect()
}

/// Roles an ACL names (grantees and grantors, and the owner its REVOKE names), unquoted.
pub(super) fn acl_roles(acl: &[AclEntry], owner: Option<&String>) -> Vec<String> {
    let mut roles: Vec<String> = owner.into_iter().cloned().collect();
    for e in acl {
        for r in [&e.grantee, &e.grantor] {
            let r = unquote(r);
            if r != "PUBLIC" && !roles.contains(&r) {
                roles.push(r);
            }
        }
    }
    roles
}

/// The name a quoted identifier stands for.
fn unquote(s: &str) -> String {
    match s.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => s.to_string(),
    }
}

/// `GRANT` statements for ACL rows, switching role when the grantor is not the owner. A
/// grantee holding every privilege in `all` (what the source gives an owner of such an object)
/// is granted `ALL`, so each server version grants its own set: a privilege one version adds
/// (PostgreSQL 17's MAINTAIN) comes along on an upgrade, and is not named to an older server.
pub(super) fn grant_sql(
    rows: &[AclEntry],
    on: &str,
    columns: &str,
    owner: &str,
    all: Option<&BTreeSet<String>>,
) -> String {
    let mut sql = String::new();
    let mut i = 0;
    while i < rows.len() {
        let AclEntry { grantee, grantable, grantor, .. } = &rows[i];
        let start = i;
        let mut privs = Vec::new();
        while i < rows.len()
            && rows[i].grantee == *grantee
            && rows[i].grantable == *grantable
            && rows[i].grantor == *grantor
        {
            privs.push(format!("{}{columns}", rows[i].privilege));
            i += 1;
        }
        let option = if *grantable { " WITH GRANT OPTION" } else { "" };
        let held: BTreeSet<String> = rows[start..i].iter().map(|r| r.privilege.clone()).collect();
        let privs =
            if all.is_some_and(|all| !all.is_empty() && *all == held) { "ALL".into() } else { privs.join(", ") };
        let grant = format!("GRANT {privs} ON {on} TO {grantee}{option};");
        // Role names come quoted only where needed (`quote_ident`), the owner always: compare names.
        if unquote(grantor) != unquote(owner) {
            sql.push_str(&format!("\nSET ROLE {grantor};\n{grant}\nRESET ROLE;"));
        } else {
            sql.push_str(&format!("\n{grant}"));
        }
    }
    sql
}

/// The keyword `GRANT … ON <word>` uses for an object type as `pg_identify_object` names it.
pub(super) fn grant_word(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "table" | "view" | "materialized view" | "foreign table" => "TABLE",
        "sequence" => "SEQUENCE",
        "function" | "aggregate" => "FUNCTION",
        "procedure" => "PROCEDURE",
        "schema" => "SCHEMA",
        "type" | "composite type" | "domain" => "TYPE",
        "server" => "FOREIGN SERVER",
        "foreign-data wrapper" => "FOREIGN DATA WRAPPER",
        "language" => "LANGUAGE",
        "large object" => "LARGE OBJECT",
        _ => return None,
    })
}

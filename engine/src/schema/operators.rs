//! Operators, operator families and operator classes. A family is created empty and given its
//! loose members (`ALTER OPERATOR FAMILY … ADD`); a class names its family and carries the
//! members bound to it. Operators a commutator or negator names before they exist are made as
//! shells by the server and filled in when their own turn comes.

use tokio_postgres::Client;

use super::extra::Extra;
use super::key::{class, ObjKey};
use super::query::{db, not_member, USER_NS};
use crate::archive::Kind;
use crate::error::Result;
use crate::sql::qualified;

/// `OPERATOR n op(left,right) [FOR ORDER BY family]` of the access-method operators that depend
/// on `{owner}` (an opclass or opfamily oid expression) with dependency type `{deptype}`.
const MEMBER_OPERATORS: &str = "ARRAY(SELECT 'OPERATOR ' || ao.amopstrategy || ' ' || ao.amopopr::pg_catalog.regoperator::text \
    || CASE WHEN ao.amoppurpose = 'o' THEN ' FOR ORDER BY ' || (SELECT pg_catalog.quote_ident(sn.nspname) || '.' \
         || pg_catalog.quote_ident(sf.opfname) FROM pg_catalog.pg_opfamily sf JOIN pg_catalog.pg_namespace sn \
         ON sn.oid = sf.opfnamespace WHERE sf.oid = ao.amopsortfamily) ELSE '' END \
    FROM pg_catalog.pg_amop ao JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_amop'::pg_catalog.regclass \
    AND d.objid = ao.oid AND d.refclassid = '{catalog}'::pg_catalog.regclass AND d.refobjid = {owner} AND d.deptype = '{deptype}' \
    ORDER BY ao.amopstrategy, ao.amoplefttype, ao.amoprighttype)";

/// `FUNCTION n (left, right) f(args)` of the support functions, as `MEMBER_OPERATORS`.
const MEMBER_FUNCTIONS: &str = "ARRAY(SELECT 'FUNCTION ' || ap.amprocnum || ' (' \
    || pg_catalog.format_type(ap.amproclefttype, NULL) || ', ' || pg_catalog.format_type(ap.amprocrighttype, NULL) \
    || ') ' || ap.amproc::pg_catalog.regprocedure::text \
    FROM pg_catalog.pg_amproc ap JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_amproc'::pg_catalog.regclass \
    AND d.objid = ap.oid AND d.refclassid = '{catalog}'::pg_catalog.regclass AND d.refobjid = {owner} AND d.deptype = '{deptype}' \
    ORDER BY ap.amprocnum, ap.amproclefttype, ap.amprocrighttype)";

fn members(template: &str, catalog: &str, owner: &str, deptype: &str) -> String {
    template.replace("{catalog}", catalog).replace("{owner}", owner).replace("{deptype}", deptype)
}

/// Reads the user's operators, then operator families, then operator classes.
pub(super) async fn read(client: &Client, out: &mut Vec<Extra>) -> Result<()> {
    read_operators(client, out).await?;
    read_families(client, out).await?;
    read_classes(client, out).await
}

async fn read_operators(client: &Client, out: &mut Vec<Extra>) -> Result<()> {
    let other = |column: &str| {
        format!(
            "(SELECT 'OPERATOR(' || pg_catalog.quote_ident(xn.nspname) || '.' || x.oprname || ')' FROM pg_catalog.pg_operator x \
             JOIN pg_catalog.pg_namespace xn ON xn.oid = x.oprnamespace WHERE x.oid = o.{column})"
        )
    };
    let sql = format!(
        "SELECT o.oid, n.nspname, o.oprname, \
         CASE WHEN o.oprleft <> 0 THEN pg_catalog.format_type(o.oprleft, NULL) END, \
         CASE WHEN o.oprright <> 0 THEN pg_catalog.format_type(o.oprright, NULL) END, \
         o.oprcode::pg_catalog.regproc::text, {}, {}, \
         CASE WHEN o.oprrest <> 0 THEN o.oprrest::pg_catalog.regproc::text END, \
         CASE WHEN o.oprjoin <> 0 THEN o.oprjoin::pg_catalog.regproc::text END, o.oprcanhash, o.oprcanmerge, \
         ARRAY(SELECT x.oid FROM pg_catalog.pg_operator x WHERE (x.oid = o.oprcom AND x.oprcom <> o.oid) \
               OR (x.oid = o.oprnegate AND x.oprnegate <> o.oid)) \
         FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace \
         WHERE o.oid >= 16384 AND o.oprcode <> 0 AND {USER_NS} AND {} ORDER BY o.oid",
        other("oprcom"),
        other("oprnegate"),
        not_member("pg_operator", "o.oid")
    );
    // A commutator or negator that does not name this operator back was defined after it (its
    // own definition overwrote the link): it is created after it again.
    let mut after: Vec<(u32, u32)> = Vec::new();
    let first = out.len();
    for r in client.query(&sql, &[]).await.map_err(db("operators"))? {
        after.extend(r.get::<_, Vec<u32>>(12).into_iter().map(|later| (later, r.get::<_, u32>(0))));
        let (schema, name): (String, String) = (r.get(1), r.get(2));
        let (left, right): (Option<String>, Option<String>) = (r.get(3), r.get(4));
        let mut clauses = vec![format!("FUNCTION = {}", r.get::<_, String>(5))];
        let optional = [("LEFTARG", &left), ("RIGHTARG", &right)];
        clauses.extend(optional.iter().filter_map(|(w, v)| v.as_ref().map(|v| format!("{w} = {v}"))));
        for (word, column) in [("COMMUTATOR", 6), ("NEGATOR", 7), ("RESTRICT", 8), ("JOIN", 9)] {
            if let Some(v) = r.get::<_, Option<String>>(column) {
                clauses.push(format!("{word} = {v}"));
            }
        }
        for (word, column) in [("HASHES", 10), ("MERGES", 11)] {
            if r.get::<_, bool>(column) {
                clauses.push(word.to_string());
            }
        }
        let q = format!("{}.{name}", crate::sql::ident(&schema));
        let sql = format!("CREATE OPERATOR {q} ({});", clauses.join(", "));
        let args = format!("{}, {}", left.as_deref().unwrap_or("NONE"), right.as_deref().unwrap_or("NONE"));
        let mut e =
            Extra::in_schema(ObjKey::new(class::OPERATOR, r.get(0)), Kind::Operator, "OPERATOR", schema, name, sql);
        e.drop = Some(format!("DROP OPERATOR IF EXISTS {q} ({args}) CASCADE;"));
        e.priority = 4;
        out.push(e);
    }
    for (later, earlier) in after {
        let later = ObjKey::new(class::OPERATOR, later);
        if let Some(e) = out[first..].iter_mut().find(|e| e.key == Some(later)) {
            e.deps.push(ObjKey::new(class::OPERATOR, earlier));
        }
    }
    Ok(())
}

async fn read_families(client: &Client, out: &mut Vec<Extra>) -> Result<()> {
    let sql = format!(
        "SELECT f.oid, n.nspname, f.opfname, pg_catalog.quote_ident(am.amname), {}, {} \
         FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace \
         JOIN pg_catalog.pg_am am ON am.oid = f.opfmethod \
         WHERE f.oid >= 16384 AND {USER_NS} AND {} ORDER BY f.oid",
        members(MEMBER_OPERATORS, "pg_catalog.pg_opfamily", "f.oid", "a"),
        members(MEMBER_FUNCTIONS, "pg_catalog.pg_opfamily", "f.oid", "a"),
        not_member("pg_opfamily", "f.oid")
    );
    for r in client.query(&sql, &[]).await.map_err(db("operator families"))? {
        let (schema, name, am): (String, String, String) = (r.get(1), r.get(2), r.get(3));
        let q = qualified(&schema, &name);
        let mut sql = format!("CREATE OPERATOR FAMILY {q} USING {am};");
        let loose: Vec<String> = r.get::<_, Vec<String>>(4).into_iter().chain(r.get::<_, Vec<String>>(5)).collect();
        if !loose.is_empty() {
            sql.push_str(&format!("\nALTER OPERATOR FAMILY {q} USING {am} ADD\n    {};", loose.join(",\n    ")));
        }
        let key = ObjKey::new(class::OPFAMILY, r.get(0));
        let mut e = Extra::in_schema(key, Kind::OperatorFamily, "OPERATOR FAMILY", schema, name, sql);
        e.drop = Some(format!("DROP OPERATOR FAMILY IF EXISTS {q} USING {am} CASCADE;"));
        e.priority = 4;
        out.push(e);
    }
    Ok(())
}

async fn read_classes(client: &Client, out: &mut Vec<Extra>) -> Result<()> {
    let sql = format!(
        "SELECT c.oid, n.nspname, c.opcname, c.opcdefault, pg_catalog.format_type(c.opcintype, NULL), \
         pg_catalog.quote_ident(am.amname), pg_catalog.quote_ident(fn.nspname) || '.' || pg_catalog.quote_ident(f.opfname), \
         CASE WHEN c.opckeytype <> 0 THEN pg_catalog.format_type(c.opckeytype, NULL) END, {}, {} \
         FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace \
         JOIN pg_catalog.pg_am am ON am.oid = c.opcmethod JOIN pg_catalog.pg_opfamily f ON f.oid = c.opcfamily \
         JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace \
         WHERE c.oid >= 16384 AND {USER_NS} AND {} ORDER BY c.oid",
        members(MEMBER_OPERATORS, "pg_catalog.pg_opclass", "c.oid", "i"),
        members(MEMBER_FUNCTIONS, "pg_catalog.pg_opclass", "c.oid", "i"),
        not_member("pg_opclass", "c.oid")
    );
    for r in client.query(&sql, &[]).await.map_err(db("operator classes"))? {
        let (schema, name, am): (String, String, String) = (r.get(1), r.get(2), r.get(5));
        let q = qualified(&schema, &name);
        let default = if r.get::<_, bool>(3) { " DEFAULT" } else { "" };
        let mut items: Vec<String> = r.get::<_, Vec<String>>(8).into_iter().chain(r.get::<_, Vec<String>>(9)).collect();
        let for_type: String = r.get(4);
        // A class whose members all live in its family (or that has none) still needs one
        // item after AS: STORAGE of its own type, which the server takes as no storage type.
        match r.get::<_, Option<String>>(7) {
            Some(storage) => items.push(format!("STORAGE {storage}")),
            None if items.is_empty() => items.push(format!("STORAGE {for_type}")),
            None => {}
        }
        let sql = format!(
            "CREATE OPERATOR CLASS {q}{default} FOR TYPE {for_type} USING {am} FAMILY {} AS\n    {};",
            r.get::<_, String>(6),
            items.join(",\n    ")
        );
        let key = ObjKey::new(class::OPCLASS, r.get(0));
        let mut e = Extra::in_schema(key, Kind::OperatorClass, "OPERATOR CLASS", schema, name, sql);
        e.drop = Some(format!("DROP OPERATOR CLASS IF EXISTS {q} USING {am} CASCADE;"));
        e.priority = 5;
        out.push(e);
    }
    Ok(())
}

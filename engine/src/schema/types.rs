//! User-defined types: enums, domains (with their constraints), composite types, range types
//! and shell types.

use tokio_postgres::Client;

use super::depsort::Node;
use super::item;
use super::key::{class, ObjKey};
use super::query::{ch, collate_clause, db, not_extension_member, USER_NS};
use super::scope::Context;
use crate::archive::{Kind, Section};
use crate::error::Result;
use crate::sql::{ident, literal, qualified};

/// A user-defined type.
#[derive(Debug, Clone)]
pub(crate) enum UserType {
    Enum {
        name: String,
        labels: Vec<String>,
    },
    Domain {
        name: String,
        base: String,
        not_null: bool,
        default: Option<String>,
        checks: Vec<(String, String)>,
    },
    Composite {
        name: String,
        attrs: Vec<(String, String)>,
    },
    Range {
        name: String,
        body: String,
    },
    /// A base type with its own input/output functions; `body` is the list inside
    /// `CREATE TYPE x (…)`. Created as a shell first, defined once its functions exist.
    Base {
        name: String,
        body: String,
    },
    /// A type declared but not yet defined (`CREATE TYPE x;`).
    Shell {
        name: String,
    },
}

/// What `read` finds: the types, and every domain constraint as (domain, constraint).
pub(super) type Types = (Vec<(u32, String, UserType)>, Vec<(u32, u32)>);

/// The inside of `CREATE TYPE x (…)` for a base type `t`, as pg_dump writes it (functions by
/// name: the search path is empty, so they come qualified).
const BASE_BODY: &str = "concat_ws(', ', \
    'INTERNALLENGTH = ' || CASE WHEN t.typlen = -1 THEN 'variable' ELSE t.typlen::text END, \
    'INPUT = ' || t.typinput::pg_catalog.regproc::text, 'OUTPUT = ' || t.typoutput::pg_catalog.regproc::text, \
    CASE WHEN t.typreceive <> 0 THEN 'RECEIVE = ' || t.typreceive::pg_catalog.regproc::text END, \
    CASE WHEN t.typsend <> 0 THEN 'SEND = ' || t.typsend::pg_catalog.regproc::text END, \
    CASE WHEN t.typmodin <> 0 THEN 'TYPMOD_IN = ' || t.typmodin::pg_catalog.regproc::text END, \
    CASE WHEN t.typmodout <> 0 THEN 'TYPMOD_OUT = ' || t.typmodout::pg_catalog.regproc::text END, \
    CASE WHEN t.typanalyze <> 0 THEN 'ANALYZE = ' || t.typanalyze::pg_catalog.regproc::text END, \
    CASE WHEN coalesce(pg_catalog.to_jsonb(t) ->> 'typsubscript', '-') <> '-' \
      THEN 'SUBSCRIPT = ' || (pg_catalog.to_jsonb(t) ->> 'typsubscript') END, \
    CASE WHEN t.typcategory <> 'U' THEN 'CATEGORY = ' || pg_catalog.quote_literal(t.typcategory::text) END, \
    CASE WHEN t.typispreferred THEN 'PREFERRED = true' END, \
    CASE WHEN t.typdefault IS NOT NULL THEN 'DEFAULT = ' || pg_catalog.quote_literal(t.typdefault) END, \
    CASE WHEN t.typelem <> 0 THEN 'ELEMENT = ' || pg_catalog.format_type(t.typelem, NULL) END, \
    CASE WHEN t.typdelim <> ',' THEN 'DELIMITER = ' || pg_catalog.quote_literal(t.typdelim::text) END, \
    'ALIGNMENT = ' || CASE t.typalign WHEN 'c' THEN 'char' WHEN 's' THEN 'int2' WHEN 'd' THEN 'double' ELSE 'int4' END, \
    'STORAGE = ' || CASE t.typstorage WHEN 'e' THEN 'external' WHEN 'x' THEN 'extended' WHEN 'm' THEN 'main' ELSE 'plain' END, \
    CASE WHEN t.typcollation <> 0 THEN 'COLLATABLE = true' END, \
    CASE WHEN t.typbyval THEN 'PASSEDBYVALUE' END)";

/// Reads the user's types and the oids of their domain constraints (written inside CREATE DOMAIN).
pub(super) async fn read(client: &Client) -> Result<Types> {
    let (mut types, mut domain_checks) = (Vec::new(), Vec::new());
    let sql = format!(
        "SELECT t.oid, n.nspname, t.typname, t.typtype::text, \
         ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder), \
         pg_catalog.format_type(t.typbasetype, t.typtypmod) || {}, \
         t.typnotnull, pg_catalog.pg_get_expr(t.typdefaultbin, 0), \
         ARRAY(SELECT co.conname::text FROM pg_catalog.pg_constraint co WHERE co.contypid = t.oid ORDER BY co.conname), \
         ARRAY(SELECT pg_catalog.pg_get_constraintdef(co.oid) FROM pg_catalog.pg_constraint co WHERE co.contypid = t.oid ORDER BY co.conname), \
         ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum), \
         ARRAY(SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) || {} FROM pg_catalog.pg_attribute a \
               JOIN pg_catalog.pg_type at ON at.oid = a.atttypid \
               WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) \
         , (SELECT concat_ws(', ', 'SUBTYPE = ' || pg_catalog.format_type(rg.rngsubtype, NULL), \
             CASE WHEN NOT oc.opcdefault THEN 'SUBTYPE_OPCLASS = ' || pg_catalog.quote_ident(ocn.nspname) || '.' || pg_catalog.quote_ident(oc.opcname) END, \
             CASE WHEN rg.rngcollation <> 0 AND rg.rngcollation <> st.typcollation THEN 'COLLATION = ' || (SELECT pg_catalog.quote_ident(rcn.nspname) || '.' || pg_catalog.quote_ident(rco.collname) FROM pg_catalog.pg_collation rco JOIN pg_catalog.pg_namespace rcn ON rcn.oid = rco.collnamespace WHERE rco.oid = rg.rngcollation) END, \
             CASE WHEN rg.rngcanonical <> 0 THEN 'CANONICAL = ' || rg.rngcanonical::pg_catalog.regproc::text END, \
             CASE WHEN rg.rngsubdiff <> 0 THEN 'SUBTYPE_DIFF = ' || rg.rngsubdiff::pg_catalog.regproc::text END, \
             'MULTIRANGE_TYPE_NAME = ' || ((pg_catalog.to_jsonb(rg) ->> 'rngmultitypid')::pg_catalog.oid)::pg_catalog.regtype::text) \
           FROM pg_catalog.pg_range rg JOIN pg_catalog.pg_type st ON st.oid = rg.rngsubtype \
           JOIN pg_catalog.pg_opclass oc ON oc.oid = rg.rngsubopc JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace \
           WHERE rg.rngtypid = t.oid), \
         CASE WHEN t.typtype = 'b' THEN {BASE_BODY} END \
         FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
         WHERE {USER_NS} AND {} AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'p' AND NOT t.typisdefined) \
           OR (t.typtype = 'b' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.oid = t.typelem AND e.typarray = t.oid)) OR (t.typtype = 'c' AND \
           (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')) \
         ORDER BY t.oid",
        collate_clause("t.typcollation", "(SELECT b.typcollation FROM pg_catalog.pg_type b WHERE b.oid = t.typbasetype)"),
        collate_clause("a.attcollation", "at.typcollation"),
        not_extension_member("pg_type", "t.oid")
    );
    for r in client
        .query("SELECT co.contypid, co.oid FROM pg_catalog.pg_constraint co WHERE co.contypid <> 0", &[])
        .await
        .map_err(db("domain constraints"))?
    {
        domain_checks.push((r.get(0), r.get(1)));
    }
    for r in client.query(&sql, &[]).await.map_err(db("types"))? {
        let schema: String = r.get(1);
        let name: String = r.get(2);
        let ty = match ch(r.get(3)) {
            'e' => UserType::Enum { name, labels: r.get(4) },
            'r' => UserType::Range { name, body: r.get(12) },
            'p' => UserType::Shell { name },
            'b' => UserType::Base { name, body: r.get(13) },
            'd' => {
                let names: Vec<String> = r.get(8);
                let defs: Vec<String> = r.get(9);
                // From PostgreSQL 17 a domain's NOT NULL is a named constraint among the others.
                let named_not_null = defs.iter().any(|d| d == "NOT NULL");
                UserType::Domain {
                    name,
                    base: r.get(5),
                    not_null: r.get::<_, bool>(6) && !named_not_null,
                    default: r.get(7),
                    checks: names.into_iter().zip(defs).collect(),
                }
            }
            _ => {
                let names: Vec<String> = r.get(10);
                let types: Vec<String> = r.get(11);
                UserType::Composite { name, attrs: names.into_iter().zip(types).collect() }
            }
        };
        types.push((r.get(0), schema, ty));
    }
    Ok((types, domain_checks))
}

/// `CREATE TYPE` / `CREATE DOMAIN` for the types of the schemas in scope.
pub(super) fn build(cx: &Context<'_>, nodes: &mut Vec<Node>) {
    for (oid, schema, ty) in &cx.cat.types {
        if !cx.scope.schemas.contains(schema) {
            continue;
        }
        let (name, sql, drop) = match ty {
            UserType::Enum { name, labels } => {
                let labels: Vec<String> = labels.iter().map(|l| literal(l)).collect();
                let q = qualified(schema, name);
                (
                    name,
                    format!("CREATE TYPE {q} AS ENUM ({});", labels.join(", ")),
                    format!("DROP TYPE IF EXISTS {q} CASCADE;"),
                )
            }
            UserType::Domain { name, base, not_null, default, checks } => {
                let q = qualified(schema, name);
                let mut sql = format!("CREATE DOMAIN {q} AS {base}");
                if let Some(d) = default {
                    sql.push_str(&format!(" DEFAULT {d}"));
                }
                if *not_null {
                    sql.push_str(" NOT NULL");
                }
                for (cname, def) in checks {
                    sql.push_str(&format!(" CONSTRAINT {} {def}", ident(cname)));
                }
                sql.push(';');
                (name, sql, format!("DROP DOMAIN IF EXISTS {q} CASCADE;"))
            }
            UserType::Composite { name, attrs } => {
                let q = qualified(schema, name);
                let attrs: Vec<String> = attrs.iter().map(|(n, t)| format!("{} {t}", ident(n))).collect();
                (
                    name,
                    format!("CREATE TYPE {q} AS ({});", attrs.join(", ")),
                    format!("DROP TYPE IF EXISTS {q} CASCADE;"),
                )
            }
            UserType::Shell { name } => {
                let q = qualified(schema, name);
                (name, format!("CREATE TYPE {q};"), format!("DROP TYPE IF EXISTS {q} CASCADE;"))
            }
            UserType::Range { name, body } => {
                let q = qualified(schema, name);
                (name, format!("CREATE TYPE {q} AS RANGE ({body});"), format!("DROP TYPE IF EXISTS {q} CASCADE;"))
            }
            UserType::Base { name, body } => {
                // The shell first: the functions of the definition take or return the type (their
                // dependency on it is mapped onto the shell, see `depsort.rs`).
                let q = qualified(schema, name);
                let shell = item(Section::PreData, Kind::Type, Some(schema), name, format!("CREATE TYPE {q};"));
                nodes.push(Node::new(shell, Some(ObjKey::new(class::SHELL_TYPE, *oid)), vec![], 2));
                (name, format!("CREATE TYPE {q} ({body});"), format!("DROP TYPE IF EXISTS {q} CASCADE;"))
            }
        };
        let mut it = item(Section::PreData, Kind::Type, Some(schema), name, sql);
        it.drop = Some(drop);
        nodes.push(Node::new(it, Some(ObjKey::new(class::TYPE, *oid)), vec![], 2));
    }
}

//! Decorations: every emitted object's owner (`ALTER … OWNER TO`), privileges (`GRANT`, see
//! `privileges.rs`) and comments (on the object, its columns, its inner constraints), read
//! for the objects the dump covers and added as items after the ones that create them.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use tokio_postgres::Client;

use super::depsort::Node;
use super::key::{class, ObjKey};
use super::privileges::{acl_roles, grant_sql, grant_word, parse_acl_rows, AclEntry};
use super::query::db;
use crate::archive::Kind;
use crate::error::Result;
use crate::sql::{ident, literal};

/// Owner, privileges and comments of objects, keyed by the object.
#[derive(Debug, Default)]
pub(crate) struct Decorations {
    /// `(TYPE keyword, identity)` as `pg_identify_object` names the object.
    pub identity: HashMap<ObjKey, (String, String)>,
    pub owner: HashMap<ObjKey, String>,
    /// Objects with a non-default ACL: `(grantee, privilege, grantable, grantor)` rows in order.
    pub acl: HashMap<ObjKey, Vec<AclEntry>>,
    /// Column privileges: `(table, column name) → rows`.
    pub column_acl: BTreeMap<(ObjKey, String), Vec<AclEntry>>,
    /// `(object, column number) → comment`.
    pub comments: BTreeMap<(ObjKey, i32), String>,
    /// Column names of commented columns.
    pub column_names: HashMap<(ObjKey, i32), String>,
    /// `(object, column number) → (provider, label)` security labels.
    pub labels: BTreeMap<(ObjKey, i32), Vec<(String, String)>>,
    /// Every privilege an owner holds by default, per `GRANT … ON` keyword, on the source.
    pub all_privileges: HashMap<String, BTreeSet<String>>,
}

/// Reads identity, owner, ACL and comments for `keys` (and comments on their columns).
pub(super) async fn read(client: &Client, keys: &[ObjKey]) -> Result<Decorations> {
    let mut d = Decorations::default();
    let classes: Vec<u32> = keys.iter().map(|k| k.class).collect();
    let oids: Vec<u32> = keys.iter().map(|k| k.oid).collect();
    let rows = client
        .query(
            "SELECT k.c, k.o, i.type, i.identity FROM ROWS FROM (pg_catalog.unnest($1::oid[]), pg_catalog.unnest($2::oid[])) AS k(c, o), \
             LATERAL pg_catalog.pg_identify_object(k.c, k.o, 0) AS i",
            &[&classes, &oids],
        )
        .await
        .map_err(db("object names"))?;
    for r in rows {
        let (ty, identity): (Option<String>, Option<String>) = (r.get(2), r.get(3));
        if let (Some(ty), Some(identity)) = (ty, identity) {
            d.identity.insert(ObjKey::new(r.get(0), r.get(1)), (ty, identity));
        }
    }
    let rows = client
        .query(
            "SELECT k.w, ARRAY(SELECT a.privilege_type FROM pg_catalog.aclexplode(pg_catalog.acldefault(k.t, 10)) a \
             WHERE a.grantee = 10) FROM (VALUES ('TABLE', 'r'::\"char\"), ('SEQUENCE', 's'), ('FUNCTION', 'f'), \
             ('PROCEDURE', 'f'), ('LANGUAGE', 'l'), ('SCHEMA', 'n'), ('TYPE', 'T'), ('FOREIGN DATA WRAPPER', 'F'), \
             ('FOREIGN SERVER', 'S'), ('LARGE OBJECT', 'L')) AS k(w, t)",
            &[],
        )
        .await
        .map_err(db("default privileges of owners"))?;
    for r in rows {
        d.all_privileges.insert(r.get(0), r.get::<_, Vec<String>>(1).into_iter().collect());
    }
    read_owners(client, keys, &mut d).await?;
    let rels: Vec<u32> = keys.iter().filter(|k| k.class == class::REL).map(|k| k.oid).collect();
    let rows = client
        .query(
            "SELECT a.attrelid, a.attname, \
             ARRAY(SELECT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(x.grantee)) END \
                   || '|' || x.privilege_type || '|' || x.is_grantable || '|' || pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(x.grantor)) \
                   FROM pg_catalog.aclexplode(a.attacl) AS x) \
             FROM pg_catalog.pg_attribute a WHERE a.attrelid = ANY($1) AND a.attacl IS NOT NULL AND NOT a.attisdropped \
             ORDER BY a.attrelid, a.attnum",
            &[&rels],
        )
        .await
        .map_err(db("column privileges"))?;
    for r in rows {
        d.column_acl.insert((ObjKey::new(class::REL, r.get(0)), r.get(1)), parse_acl_rows(r.get(2)));
    }
    let rows = client
        .query(
            "SELECT k.c, k.o, ds.objsubid, ds.description FROM ROWS FROM (pg_catalog.unnest($1::oid[]), pg_catalog.unnest($2::oid[])) AS k(c, o) \
             JOIN pg_catalog.pg_description ds ON ds.classoid = k.c AND ds.objoid = k.o",
            &[&classes, &oids],
        )
        .await
        .map_err(db("comments"))?;
    for r in rows {
        d.comments.insert((ObjKey::new(r.get(0), r.get(1)), r.get(2)), r.get(3));
    }
    let rows = client
        .query(
            "SELECT k.c, k.o, l.objsubid, l.provider, l.label FROM ROWS FROM (pg_catalog.unnest($1::oid[]), pg_catalog.unnest($2::oid[])) AS k(c, o) \
             JOIN pg_catalog.pg_seclabel l ON l.classoid = k.c AND l.objoid = k.o ORDER BY 1, 2, 3, 4",
            &[&classes, &oids],
        )
        .await
        .map_err(db("security labels"))?;
    for r in rows {
        d.labels.entry((ObjKey::new(r.get(0), r.get(1)), r.get(2))).or_default().push((r.get(3), r.get(4)));
    }
    let rows = client
        .query(
            "SELECT a.attrelid, a.attnum::int4, a.attname FROM pg_catalog.pg_attribute a \
             WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped \
             AND (EXISTS (SELECT 1 FROM pg_catalog.pg_description ds WHERE ds.classoid = 'pg_class'::pg_catalog.regclass \
                            AND ds.objoid = a.attrelid AND ds.objsubid = a.attnum) \
               OR EXISTS (SELECT 1 FROM pg_catalog.pg_seclabel l WHERE l.classoid = 'pg_class'::pg_catalog.regclass \
                            AND l.objoid = a.attrelid AND l.objsubid = a.attnum))",
            &[&rels],
        )
        .await
        .map_err(db("column names"))?;
    for r in rows {
        d.column_names.insert((ObjKey::new(class::REL, r.get(0)), r.get(1)), r.get(2));
    }
    // A composite type's column comments are recorded on its pg_class row.
    let types: Vec<u32> = keys.iter().filter(|k| k.class == class::TYPE).map(|k| k.oid).collect();
    let rows = client
        .query(
            "SELECT t.oid, ds.objsubid, ds.description, a.attname FROM pg_catalog.pg_type t \
             JOIN pg_catalog.pg_description ds ON ds.classoid = 'pg_class'::pg_catalog.regclass \
               AND ds.objoid = t.typrelid AND ds.objsubid > 0 \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = t.typrelid AND a.attnum = ds.objsubid \
             WHERE t.oid = ANY($1) AND t.typtype = 'c'",
            &[&types],
        )
        .await
        .map_err(db("comments on composite type columns"))?;
    for r in rows {
        let key = ObjKey::new(class::TYPE, r.get(0));
        d.comments.insert((key, r.get(1)), r.get(2));
        d.column_names.insert((key, r.get(1)), r.get(3));
    }
    Ok(d)
}

/// Owners and ACLs, which live in each catalog's own columns.
async fn read_owners(client: &Client, keys: &[ObjKey], d: &mut Decorations) -> Result<()> {
    let owner_acl = [
        (class::REL, "pg_class", "relowner", "x.relacl"),
        (class::TYPE, "pg_type", "typowner", "x.typacl"),
        (class::PROC, "pg_proc", "proowner", "x.proacl"),
        (class::NAMESPACE, "pg_namespace", "nspowner", "x.nspacl"),
        (class::SERVER, "pg_foreign_server", "srvowner", "x.srvacl"),
        (class::FDW, "pg_foreign_data_wrapper", "fdwowner", "x.fdwacl"),
        (class::COLLATION, "pg_collation", "collowner", "NULL::pg_catalog.aclitem[]"),
        (class::EVENT_TRIGGER, "pg_event_trigger", "evtowner", "NULL::pg_catalog.aclitem[]"),
        (class::PUBLICATION, "pg_publication", "pubowner", "NULL::pg_catalog.aclitem[]"),
        (class::TS_CONFIG, "pg_ts_config", "cfgowner", "NULL::pg_catalog.aclitem[]"),
        (class::TS_DICT, "pg_ts_dict", "dictowner", "NULL::pg_catalog.aclitem[]"),
        (class::LANGUAGE, "pg_language", "lanowner", "x.lanacl"),
        (class::STATISTICS, "pg_statistic_ext", "stxowner", "NULL::pg_catalog.aclitem[]"),
        (class::OPERATOR, "pg_operator", "oprowner", "NULL::pg_catalog.aclitem[]"),
        (class::OPCLASS, "pg_opclass", "opcowner", "NULL::pg_catalog.aclitem[]"),
        (class::OPFAMILY, "pg_opfamily", "opfowner", "NULL::pg_catalog.aclitem[]"),
        (class::CONVERSION, "pg_conversion", "conowner", "NULL::pg_catalog.aclitem[]"),
        (class::SUBSCRIPTION, "pg_subscription", "subowner", "NULL::pg_catalog.aclitem[]"),
        (class::LARGE_OBJECT, "pg_largeobject_metadata", "lomowner", "x.lomacl"),
    ];
    for (cls, table, owner, acl) in owner_acl {
        let these: Vec<u32> = keys.iter().filter(|k| k.class == cls).map(|k| k.oid).collect();
        if these.is_empty() {
            continue;
        }
        let sql = format!(
            "SELECT x.oid, pg_catalog.pg_get_userbyid(x.{owner}), {acl} IS NOT NULL, \
             ARRAY(SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END \
                   || '|' || a.privilege_type || '|' || a.is_grantable || '|' || pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantor)) \
                   FROM pg_catalog.aclexplode({acl}) AS a) \
             FROM pg_catalog.{table} x WHERE x.oid = ANY($1)"
        );
        for r in client.query(&sql, &[&these]).await.map_err(db("owners and privileges"))? {
            let key = ObjKey::new(cls, r.get(0));
            d.owner.insert(key, r.get(1));
            if r.get::<_, bool>(2) {
                d.acl.insert(key, parse_acl_rows(r.get(3)));
            }
        }
    }
    Ok(())
}

/// Adds owner, privilege and comment items after the items that create their objects. Objects
/// in `follows` get no owner item: their owner follows another object's (a serial or identity
/// sequence moves with its table's `ALTER TABLE … OWNER TO`, and `ALTER SEQUENCE … OWNER TO` is
/// refused).
pub(super) fn decorate(
    nodes: &mut Vec<Node>,
    d: &Decorations,
    inner: &HashMap<ObjKey, Vec<(ObjKey, Kind)>>,
    follows: &HashSet<ObjKey>,
) {
    let mut extra = Vec::new();
    for n in nodes.iter() {
        let Some(own) = n.key else { continue };
        let own_kind = n.item.kind;
        for (key, of_kind) in std::iter::once((own, own_kind)).chain(inner.get(&own).into_iter().flatten().copied()) {
            let Some((ty, identity)) = d.identity.get(&key) else { continue };
            // SQL names an aggregate without arguments `agg(*)`.
            let star;
            let identity = if ty == "aggregate" && identity.ends_with("()") {
                star = format!("{}(*)", &identity[..identity.len() - 2]);
                &star
            } else {
                identity
            };
            let base = |kind: Kind, sql: String| {
                let mut it = n.item.clone();
                it.of_kind = Some(of_kind);
                it.shared = false;
                it.kind = kind;
                it.name = identity.clone();
                it.sql = sql;
                it.variants = Vec::new();
                it.drop = None;
                // An inner object (a CHECK written in CREATE TABLE, an identity sequence) is
                // there once its owner's statement ran.
                let deps = if key == own { vec![key] } else { vec![key, own] };
                Node::new(it, None, deps, 20)
            };
            let word = object_word(ty);
            let owner_word = owner_word(ty).filter(|_| !follows.contains(&key));
            if let (Some(owner), Some(word)) = (d.owner.get(&key), owner_word) {
                let mut o = base(Kind::Owner, format!("ALTER {word} {identity} OWNER TO {};", ident(owner)));
                o.item.roles = vec![owner.clone()];
                extra.push(o);
            }
            if let (Some(acl), Some(word)) = (d.acl.get(&key), grant_word(ty)) {
                let owner = d.owner.get(&key).map(|o| ident(o)).unwrap_or_else(|| "CURRENT_USER".into());
                let mut sql = format!(
                    "REVOKE ALL ON {word} {identity} FROM PUBLIC;\nREVOKE ALL ON {word} {identity} FROM {owner};"
                );
                sql.push_str(&grant_sql(acl, &format!("{word} {identity}"), "", &owner, d.all_privileges.get(word)));
                let mut g = base(Kind::Grant, sql);
                g.item.roles = acl_roles(acl, d.owner.get(&key));
                g.priority = 21;
                extra.push(g);
            }
            for ((k, col), acl) in d.column_acl.range((key, String::new())..) {
                if *k != key {
                    break;
                }
                let owner = d.owner.get(&key).map(|o| ident(o)).unwrap_or_else(|| "CURRENT_USER".into());
                let mut g = base(
                    Kind::Grant,
                    grant_sql(acl, &format!("TABLE {identity}"), &format!(" ({})", ident(col)), &owner, None)
                        .trim_start()
                        .to_string(),
                );
                g.priority = 22;
                extra.push(g);
            }
            // `public` exists before the restore, with a default comment: restore its absence too.
            if ty == "schema" && identity == "public" && !d.comments.contains_key(&(key, 0)) {
                let mut c = base(Kind::Comment, "COMMENT ON SCHEMA public IS NULL;".into());
                c.priority = 19;
                extra.push(c);
            }
            // What COMMENT ON and SECURITY LABEL name: the object, or one of its columns.
            let target = |sub: i32| match (sub, word) {
                (0, Some(w)) => Some(comment_target(ty, w, identity)),
                (sub, _) if sub > 0 => {
                    d.column_names.get(&(key, sub)).map(|c| format!("COLUMN {identity}.{}", ident(c)))
                }
                _ => None,
            };
            for ((k, sub), text) in d.comments.range((key, i32::MIN)..) {
                if *k != key {
                    break;
                }
                let Some(target) = target(*sub) else { continue };
                let mut c = base(Kind::Comment, format!("COMMENT ON {target} IS {};", literal(text)));
                c.priority = 19;
                extra.push(c);
            }
            for ((k, sub), labels) in d.labels.range((key, i32::MIN)..) {
                if *k != key {
                    break;
                }
                let Some(target) = target(*sub) else { continue };
                for (provider, label) in labels {
                    let sql = format!("SECURITY LABEL FOR {} ON {target} IS {};", ident(provider), literal(label));
                    let mut l = base(Kind::SecurityLabel, sql);
                    l.priority = 19;
                    extra.push(l);
                }
            }
        }
    }
    nodes.extend(extra);
}

/// The SQL keyword for an object type as `pg_identify_object` names it.
fn object_word(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "table" => "TABLE",
        "view" => "VIEW",
        "materialized view" => "MATERIALIZED VIEW",
        "sequence" => "SEQUENCE",
        "index" => "INDEX",
        "foreign table" => "FOREIGN TABLE",
        "type" | "composite type" => "TYPE",
        "domain" => "DOMAIN",
        "function" => "FUNCTION",
        "procedure" => "PROCEDURE",
        "aggregate" => "AGGREGATE",
        "schema" => "SCHEMA",
        "extension" => "EXTENSION",
        "trigger" => "TRIGGER",
        "rule" => "RULE",
        "policy" => "POLICY",
        "table constraint" | "domain constraint" => "CONSTRAINT",
        "server" => "SERVER",
        "foreign-data wrapper" => "FOREIGN DATA WRAPPER",
        "collation" => "COLLATION",
        "event trigger" => "EVENT TRIGGER",
        "publication" => "PUBLICATION",
        "text search configuration" => "TEXT SEARCH CONFIGURATION",
        "text search dictionary" => "TEXT SEARCH DICTIONARY",
        "cast" => "CAST",
        "language" => "LANGUAGE",
        "statistics object" => "STATISTICS",
        "access method" => "ACCESS METHOD",
        "operator" => "OPERATOR",
        "operator class" => "OPERATOR CLASS",
        "operator family" => "OPERATOR FAMILY",
        "conversion" => "CONVERSION",
        "subscription" => "SUBSCRIPTION",
        "large object" => "LARGE OBJECT",
        "text search parser" => "TEXT SEARCH PARSER",
        "text search template" => "TEXT SEARCH TEMPLATE",
        _ => return None,
    })
}

fn owner_word(ty: &str) -> Option<&'static str> {
    match ty {
        "index" | "extension" | "trigger" | "rule" | "policy" | "table constraint" | "domain constraint" | "cast" => {
            None
        }
        other => object_word(other),
    }
}

/// `COMMENT ON` target: domain constraints need `ON DOMAIN`.
fn comment_target(ty: &str, word: &str, identity: &str) -> String {
    if ty == "domain constraint" {
        if let Some((c, d)) = identity.split_once(" on ") {
            return format!("CONSTRAINT {c} ON DOMAIN {d}");
        }
    }
    format!("{word} {identity}")
}

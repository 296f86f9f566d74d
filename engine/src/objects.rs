//! Catalog objects other than tables and types, each rendered by the server's own deparsers:
//! extensions, functions, procedures, aggregates, views, materialized views, triggers, rules,
//! row-level security and policies; and every object's owner, privileges and comment.

use std::collections::{BTreeMap, HashMap};

use tokio_postgres::Client;

use crate::error::{Error, Result};

/// Oids of the system catalogs that identify object classes (assigned by initdb, fixed).
pub(crate) mod class {
    pub const REL: u32 = 1259;
    pub const TYPE: u32 = 1247;
    pub const PROC: u32 = 1255;
    pub const NAMESPACE: u32 = 2615;
    pub const CONSTRAINT: u32 = 2606;
    pub const REWRITE: u32 = 2618;
    pub const TRIGGER: u32 = 2620;
    pub const EXTENSION: u32 = 3079;
    pub const POLICY: u32 = 3256;
    pub const ATTRDEF: u32 = 2604;
    pub const FDW: u32 = 2328;
    pub const SERVER: u32 = 1417;
    pub const EVENT_TRIGGER: u32 = 3466;
    pub const COLLATION: u32 = 3456;
    pub const PUBLICATION: u32 = 6104;
    pub const CAST: u32 = 2605;
    pub const TS_CONFIG: u32 = 3602;
    pub const TS_DICT: u32 = 3600;
    pub const LANGUAGE: u32 = 2612;
    pub const STATISTICS: u32 = 3381;
}

/// An object's identity in the catalog: the catalog it lives in and its oid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ObjKey {
    pub class: u32,
    pub oid: u32,
}

impl ObjKey {
    pub fn new(class: u32, oid: u32) -> ObjKey {
        ObjKey { class, oid }
    }
}

fn db(context: &str) -> impl Fn(tokio_postgres::Error) -> Error + '_ {
    move |e| Error::db(format!("reading the catalog ({context})"), &e)
}

const USER_NS: &str = "n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'";

/// Leaves out objects that belong to an extension (`e`) or are an internal part of another
/// object (`i`, e.g. a range type's multirange constructors and casts).
fn not_member(class: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = '{class}'::pg_catalog.regclass \
         AND d.objid = {oid} AND d.deptype IN ('e', 'i'))"
    )
}

/// An installed extension.
#[derive(Debug, Clone)]
pub(crate) struct Extension {
    pub oid: u32,
    pub name: String,
    pub schema: String,
    pub version: String,
}

/// A function, procedure or aggregate with its complete `CREATE` statement.
#[derive(Debug, Clone)]
pub(crate) struct Routine {
    pub oid: u32,
    pub schema: String,
    pub name: String,
    /// `f`, `p`, `a` or `w`.
    pub kind: char,
    pub sql: String,
    /// `schema.name(argument types)`, for DROP.
    pub identity: String,
}

/// A view or materialized view.
#[derive(Debug, Clone)]
pub(crate) struct View {
    pub oid: u32,
    pub schema: String,
    pub name: String,
    pub materialized: bool,
    pub populated: bool,
    pub options: Vec<String>,
    pub query: String,
    /// `"name" type [COLLATE x]` per column, for a placeholder with the same shape.
    pub columns: Vec<String>,
}

/// Something attached to a table and created after its data: a trigger, rule, policy or the
/// table's row-level-security switches.
#[derive(Debug, Clone)]
pub(crate) struct Attached {
    /// Roles named by the statement (policies), unquoted.
    pub roles: Vec<String>,
    /// For triggers: the schema of the function they call.
    pub function_schema: Option<String>,
    pub key: Option<ObjKey>,
    pub table: u32,
    pub kind: crate::manifest::Kind,
    pub name: String,
    pub sql: String,
}

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
}

/// An object pgark writes the statement for itself: foreign-data wrappers, servers, user
/// mappings, collations, text search objects, casts, event triggers, publications, default
/// privileges.
#[derive(Debug, Clone)]
pub(crate) struct Extra {
    pub key: Option<ObjKey>,
    pub kind: crate::manifest::Kind,
    pub section: crate::manifest::Section,
    /// The schema for schema-qualified objects; `None` for database-wide ones.
    pub schema: Option<String>,
    pub name: String,
    pub sql: String,
    pub drop: Option<String>,
    pub deps: Vec<ObjKey>,
    /// Roles the statement names, unquoted.
    pub roles: Vec<String>,
}

impl Extra {
    /// A database-wide object with a plain name, dropped by `DROP <what> IF EXISTS name CASCADE`.
    fn named(key: ObjKey, kind: crate::manifest::Kind, what: &str, name: String, sql: String) -> Extra {
        let drop = Some(format!("DROP {what} IF EXISTS {} CASCADE;", crate::ddl::ident(&name)));
        Extra::global(Some(key), kind, name, sql, drop)
    }

    fn global(
        key: Option<ObjKey>,
        kind: crate::manifest::Kind,
        name: String,
        sql: String,
        drop: Option<String>,
    ) -> Extra {
        Extra {
            key,
            kind,
            section: crate::manifest::Section::PreData,
            schema: None,
            name,
            sql,
            drop,
            deps: vec![],
            roles: vec![],
        }
    }
}

/// Appends ` WORD value` for each present value, then the closing `;`.
fn clauses(sql: &mut String, parts: &[(&str, Option<String>)]) {
    for (word, value) in parts {
        if let Some(v) = value {
            sql.push_str(&format!(" {word} {v}"));
        }
    }
    sql.push(';');
}

/// Option lists (`key 'value', …`) as SQL, from a `text[]` of `key=value`.
const OPTIONS: &str = "(SELECT pg_catalog.string_agg(pg_catalog.quote_ident(o.option_name) || ' ' || \
    pg_catalog.quote_literal(o.option_value), ', ') FROM pg_catalog.pg_options_to_table({}) o {})";

fn options_sql(column: &str, filter: &str) -> String {
    OPTIONS.replacen("{}", column, 1).replacen("{}", filter, 1)
}

/// Everything this module reads.
#[derive(Debug, Default)]
pub(crate) struct Objects {
    pub extensions: Vec<Extension>,
    pub routines: Vec<Routine>,
    pub views: Vec<View>,
    pub attached: Vec<Attached>,
    pub extras: Vec<Extra>,
    /// `ALTER DATABASE … SET` / `ALTER ROLE … IN DATABASE … SET` statements, as DO blocks that
    /// name whatever database they run in.
    pub database_settings: Vec<(Option<String>, String)>,
}

impl Objects {
    /// Reads extensions, routines, views, triggers, rules and policies (of `tables` and views).
    pub async fn read(client: &Client, tables: &[u32]) -> Result<Objects> {
        let mut o = Objects::default();
        for r in client
            .query(
                "SELECT e.oid, e.extname, n.nspname, e.extversion FROM pg_catalog.pg_extension e \
                 JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY e.extname",
                &[],
            )
            .await
            .map_err(db("extensions"))?
        {
            o.extensions.push(Extension { oid: r.get(0), name: r.get(1), schema: r.get(2), version: r.get(3) });
        }
        o.read_routines(client).await?;
        o.read_foreign(client).await?;
        o.read_database_settings(client).await?;
        o.read_more(client).await?;
        let sql = format!(
            "SELECT c.oid, n.nspname, c.relname, c.relkind = 'm', c.relispopulated, \
             coalesce(c.reloptions, '{{}}')::text[], pg_catalog.pg_get_viewdef(c.oid), \
             ARRAY(SELECT pg_catalog.quote_ident(a.attname) || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod) \
                   || CASE WHEN a.attcollation <> t.typcollation THEN ' COLLATE ' || (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) ELSE '' END \
                   FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('v', 'm') AND {USER_NS} AND {} ORDER BY c.oid",
            not_member("pg_class", "c.oid")
        );
        for r in client.query(&sql, &[]).await.map_err(db("views"))? {
            o.views.push(View {
                oid: r.get(0),
                schema: r.get(1),
                name: r.get(2),
                materialized: r.get(3),
                populated: r.get(4),
                options: r.get(5),
                query: r.get(6),
                columns: r.get(7),
            });
        }
        let mut rels: Vec<u32> = tables.to_vec();
        rels.extend(o.views.iter().map(|v| v.oid));
        o.read_attached(client, &rels).await?;
        Ok(o)
    }

    async fn read_routines(&mut self, client: &Client) -> Result<()> {
        let sql = format!(
            "SELECT p.oid, n.nspname, p.proname, p.prokind::text, \
             CASE WHEN p.prokind <> 'a' THEN pg_catalog.pg_get_functiondef(p.oid) END, \
             pg_catalog.pg_get_function_identity_arguments(p.oid), \
             CASE WHEN p.prokind = 'a' THEN ( \
               SELECT concat_ws(', ', 'SFUNC = ' || a.aggtransfn::pg_catalog.regproc::text, \
                 'STYPE = ' || pg_catalog.format_type(a.aggtranstype, NULL), \
                 CASE WHEN a.aggtransspace <> 0 THEN 'SSPACE = ' || a.aggtransspace END, \
                 CASE WHEN a.aggfinalfn <> 0 THEN 'FINALFUNC = ' || a.aggfinalfn::pg_catalog.regproc::text END, \
                 CASE WHEN a.aggfinalextra THEN 'FINALFUNC_EXTRA' END, \
                 CASE WHEN a.aggfinalfn <> 0 AND a.aggfinalmodify <> (CASE a.aggkind WHEN 'n' THEN 'r' ELSE 'w' END) THEN 'FINALFUNC_MODIFY = ' \
                   || CASE a.aggfinalmodify WHEN 'r' THEN 'READ_ONLY' WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END END, \
                 CASE WHEN a.aggkind = 'h' THEN 'HYPOTHETICAL' END, \
                 CASE WHEN a.aggcombinefn <> 0 THEN 'COMBINEFUNC = ' || a.aggcombinefn::pg_catalog.regproc::text END, \
                 CASE WHEN a.aggserialfn <> 0 THEN 'SERIALFUNC = ' || a.aggserialfn::pg_catalog.regproc::text END, \
                 CASE WHEN a.aggdeserialfn <> 0 THEN 'DESERIALFUNC = ' || a.aggdeserialfn::pg_catalog.regproc::text END, \
                 CASE WHEN a.agginitval IS NOT NULL THEN 'INITCOND = ' || pg_catalog.quote_literal(a.agginitval) END, \
                 CASE WHEN a.aggmtransfn <> 0 THEN 'MSFUNC = ' || a.aggmtransfn::pg_catalog.regproc::text END, \
                 CASE WHEN a.aggminvtransfn <> 0 THEN 'MINVFUNC = ' || a.aggminvtransfn::pg_catalog.regproc::text END, \
                 CASE WHEN a.aggmtranstype <> 0 THEN 'MSTYPE = ' || pg_catalog.format_type(a.aggmtranstype, NULL) END, \
                 CASE WHEN a.aggmfinalfn <> 0 THEN 'MFINALFUNC = ' || a.aggmfinalfn::pg_catalog.regproc::text END, \
                 CASE WHEN a.aggminitval IS NOT NULL THEN 'MINITCOND = ' || pg_catalog.quote_literal(a.aggminitval) END, \
                 CASE WHEN a.aggsortop <> 0 THEN 'SORTOP = OPERATOR(' || a.aggsortop::pg_catalog.regoperator::text || ')' END, \
                 CASE p.proparallel WHEN 's' THEN 'PARALLEL = SAFE' WHEN 'r' THEN 'PARALLEL = RESTRICTED' END) \
               FROM pg_catalog.pg_aggregate a WHERE a.aggfnoid = p.oid) END \
             FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
             WHERE {USER_NS} AND {} ORDER BY p.oid",
            not_member("pg_proc", "p.oid")
        );
        for r in client.query(&sql, &[]).await.map_err(db("functions"))? {
            let schema: String = r.get(1);
            let name: String = r.get(2);
            let kind = r.get::<_, String>(3).chars().next().unwrap_or('f');
            let args: String = r.get(5);
            let q = crate::ddl::qualified(&schema, &name);
            let sql = if kind == 'a' {
                let body: Option<String> = r.get(6);
                format!(
                    "CREATE AGGREGATE {q}({}) ({});",
                    if args.is_empty() { "*" } else { &args },
                    body.unwrap_or_default()
                )
            } else {
                let def: String = r.get(4);
                format!("{};", def.trim_end())
            };
            self.routines.push(Routine { oid: r.get(0), identity: format!("{q}({args})"), schema, name, kind, sql });
        }
        Ok(())
    }

    /// Collations, text search dictionaries and configurations, casts, event triggers,
    /// publications and default privileges.
    async fn read_more(&mut self, client: &Client) -> Result<()> {
        use crate::ddl::{ident, literal, qualified};
        use crate::manifest::{Kind, Section};
        // An object in a schema, dropped by `DROP <what> IF EXISTS schema.name CASCADE`.
        let schema_obj = |key: ObjKey, kind: Kind, what: &str, schema: String, name: String, sql: String| Extra {
            key: Some(key),
            kind,
            section: Section::PreData,
            drop: Some(format!("DROP {what} IF EXISTS {} CASCADE;", qualified(&schema, &name))),
            schema: Some(schema),
            name,
            sql,
            deps: vec![],
            roles: vec![],
        };
        // Collations. The ICU locale column moved between versions: read it by name from the row.
        let sql = format!(
            "SELECT c.oid, n.nspname, c.collname, c.collprovider::text, c.collisdeterministic, \
             c.collcollate, c.collctype, pg_catalog.to_jsonb(c) ->> 'colliculocale', pg_catalog.to_jsonb(c) ->> 'colllocale' \
             FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace \
             WHERE {USER_NS} AND {} ORDER BY c.oid",
            not_member("pg_collation", "c.oid")
        );
        for r in client.query(&sql, &[]).await.map_err(db("collations"))? {
            let (schema, name): (String, String) = (r.get(1), r.get(2));
            let provider = match r.get::<_, String>(3).as_str() {
                "i" => "icu",
                "b" => "builtin",
                "d" => "default",
                _ => "libc",
            };
            let (collate, ctype): (Option<String>, Option<String>) = (r.get(5), r.get(6));
            let locale: Option<String> = r.get::<_, Option<String>>(8).or(r.get(7));
            let mut opts = vec![format!("provider = {provider}")];
            match (provider, locale) {
                ("libc", _) | (_, None) => {
                    opts.push(format!("lc_collate = {}", literal(&collate.unwrap_or_default())));
                    opts.push(format!("lc_ctype = {}", literal(&ctype.unwrap_or_default())));
                }
                (_, Some(l)) => opts.push(format!("locale = {}", literal(&l))),
            }
            if !r.get::<_, bool>(4) {
                opts.push("deterministic = false".into());
            }
            let sql = format!("CREATE COLLATION {} ({});", qualified(&schema, &name), opts.join(", "));
            let key = ObjKey::new(class::COLLATION, r.get(0));
            self.extras.push(schema_obj(key, Kind::Collation, "COLLATION", schema, name, sql));
        }
        // Text search dictionaries and configurations.
        let sql = format!(
            "SELECT td.oid, n.nspname, td.dictname, \
             (SELECT pg_catalog.quote_ident(tn.nspname) || '.' || pg_catalog.quote_ident(t.tmplname) FROM pg_catalog.pg_ts_template t \
              JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace WHERE t.oid = td.dicttemplate), td.dictinitoption \
             FROM pg_catalog.pg_ts_dict td JOIN pg_catalog.pg_namespace n ON n.oid = td.dictnamespace \
             WHERE {USER_NS} AND {} ORDER BY td.oid",
            not_member("pg_ts_dict", "td.oid")
        );
        for r in client.query(&sql, &[]).await.map_err(db("text search dictionaries"))? {
            let (schema, name): (String, String) = (r.get(1), r.get(2));
            let q = qualified(&schema, &name);
            let mut sql = format!("CREATE TEXT SEARCH DICTIONARY {q} (TEMPLATE = {}", r.get::<_, String>(3));
            if let Some(o) = r.get::<_, Option<String>>(4) {
                sql.push_str(&format!(", {o}"));
            }
            sql.push_str(");");
            let key = ObjKey::new(class::TS_DICT, r.get(0));
            self.extras.push(schema_obj(key, Kind::TextSearch, "TEXT SEARCH DICTIONARY", schema, name, sql));
        }
        let sql = format!(
            "SELECT c.oid, n.nspname, c.cfgname, \
             (SELECT pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(p.prsname) FROM pg_catalog.pg_ts_parser p \
              JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace WHERE p.oid = c.cfgparser), \
             ARRAY(SELECT 'ADD MAPPING FOR ' || t.alias || ' WITH ' || pg_catalog.string_agg(m.mapdict::pg_catalog.regdictionary::text, ', ' ORDER BY m.mapseqno) \
                   FROM pg_catalog.pg_ts_config_map m JOIN pg_catalog.ts_token_type(c.cfgparser) t ON t.tokid = m.maptokentype \
                   WHERE m.mapcfg = c.oid GROUP BY t.alias, t.tokid ORDER BY t.tokid) \
             FROM pg_catalog.pg_ts_config c JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace \
             WHERE {USER_NS} AND {} ORDER BY c.oid",
            not_member("pg_ts_config", "c.oid")
        );
        for r in client.query(&sql, &[]).await.map_err(db("text search configurations"))? {
            let (schema, name): (String, String) = (r.get(1), r.get(2));
            let q = qualified(&schema, &name);
            let mut sql = format!("CREATE TEXT SEARCH CONFIGURATION {q} (PARSER = {});", r.get::<_, String>(3));
            for m in r.get::<_, Vec<String>>(4) {
                sql.push_str(&format!("\nALTER TEXT SEARCH CONFIGURATION {q} {m};"));
            }
            let key = ObjKey::new(class::TS_CONFIG, r.get(0));
            self.extras.push(schema_obj(key, Kind::TextSearch, "TEXT SEARCH CONFIGURATION", schema, name, sql));
        }
        // Procedural languages no extension brings (pg_dump writes them without their handler's
        // details; here they are complete).
        let sql = format!(
            "SELECT l.oid, l.lanname, l.lanpltrusted, l.lanplcallfoid::pg_catalog.regproc::text, \
             CASE WHEN l.laninline <> 0 THEN l.laninline::pg_catalog.regproc::text END, \
             CASE WHEN l.lanvalidator <> 0 THEN l.lanvalidator::pg_catalog.regproc::text END \
             FROM pg_catalog.pg_language l WHERE l.lanispl AND l.oid >= 16384 AND {} ORDER BY l.oid",
            not_member("pg_language", "l.oid")
        );
        for r in client.query(&sql, &[]).await.map_err(db("languages"))? {
            let name: String = r.get(1);
            let trusted = if r.get::<_, bool>(2) { "TRUSTED " } else { "" };
            let mut sql = format!("CREATE {trusted}LANGUAGE {}", ident(&name));
            clauses(&mut sql, &[("HANDLER", r.get(3)), ("INLINE", r.get(4)), ("VALIDATOR", r.get(5))]);
            let key = ObjKey::new(class::LANGUAGE, r.get(0));
            self.extras.push(Extra::named(key, Kind::Language, "LANGUAGE", name, sql));
        }
        // Extended statistics (created after the data, like indexes).
        let sql = format!(
            "SELECT s.oid, n.nspname, s.stxname, pg_catalog.pg_get_statisticsobjdef(s.oid) \
             FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace \
             WHERE {USER_NS} AND {} ORDER BY s.oid",
            not_member("pg_statistic_ext", "s.oid")
        );
        for r in client.query(&sql, &[]).await.map_err(db("statistics"))? {
            let (schema, name): (String, String) = (r.get(1), r.get(2));
            let sql = format!("{};", r.get::<_, String>(3));
            let mut e =
                schema_obj(ObjKey::new(class::STATISTICS, r.get(0)), Kind::Statistics, "STATISTICS", schema, name, sql);
            e.section = Section::PostData;
            self.extras.push(e);
        }
        // Casts involving a user-defined type or function.
        let rows = client
            .query(
                "SELECT c.oid, pg_catalog.format_type(c.castsource, NULL), pg_catalog.format_type(c.casttarget, NULL), \
                 CASE WHEN c.castfunc <> 0 THEN c.castfunc::pg_catalog.regprocedure::text END, c.castmethod::text, c.castcontext::text \
                 FROM pg_catalog.pg_cast c WHERE c.oid >= 16384 \
                 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_cast'::pg_catalog.regclass \
                   AND d.objid = c.oid AND d.deptype IN ('e', 'i')) ORDER BY c.oid",
                &[],
            )
            .await
            .map_err(db("casts"))?;
        for r in rows {
            let (source, target): (String, String) = (r.get(1), r.get(2));
            let how = match (r.get::<_, String>(4).as_str(), r.get::<_, Option<String>>(3)) {
                ("f", Some(f)) => format!("WITH FUNCTION {f}"),
                ("i", _) => "WITH INOUT".into(),
                _ => "WITHOUT FUNCTION".into(),
            };
            let context = match r.get::<_, String>(5).as_str() {
                "a" => " AS ASSIGNMENT",
                "i" => " AS IMPLICIT",
                _ => "",
            };
            let sig = format!("({source} AS {target})");
            let sql = format!("CREATE CAST {sig} {how}{context};");
            let drop = Some(format!("DROP CAST IF EXISTS {sig} CASCADE;"));
            self.extras.push(Extra::global(Some(ObjKey::new(class::CAST, r.get(0))), Kind::Cast, sig, sql, drop));
        }
        // Event triggers (after everything else: they could fire on the restore's own DDL).
        let rows = client
            .query(
                "SELECT e.oid, e.evtname, e.evtevent, e.evtfoid::pg_catalog.regproc::text, e.evtenabled::text, \
                 ARRAY(SELECT pg_catalog.quote_literal(t) FROM pg_catalog.unnest(e.evttags) AS t) \
                 FROM pg_catalog.pg_event_trigger e ORDER BY e.evtname",
                &[],
            )
            .await
            .map_err(db("event triggers"))?;
        for r in rows {
            let name: String = r.get(1);
            let tags: Vec<String> = r.get(5);
            let mut sql = format!("CREATE EVENT TRIGGER {} ON {}", ident(&name), r.get::<_, String>(2));
            if !tags.is_empty() {
                sql.push_str(&format!(" WHEN TAG IN ({})", tags.join(", ")));
            }
            sql.push_str(&format!(" EXECUTE FUNCTION {}();", r.get::<_, String>(3)));
            match r.get::<_, String>(4).as_str() {
                "D" => sql.push_str(&format!("\nALTER EVENT TRIGGER {} DISABLE;", ident(&name))),
                "R" => sql.push_str(&format!("\nALTER EVENT TRIGGER {} ENABLE REPLICA;", ident(&name))),
                "A" => sql.push_str(&format!("\nALTER EVENT TRIGGER {} ENABLE ALWAYS;", ident(&name))),
                _ => {}
            }
            let drop = Some(format!("DROP EVENT TRIGGER IF EXISTS {};", ident(&name)));
            let mut e =
                Extra::global(Some(ObjKey::new(class::EVENT_TRIGGER, r.get(0))), Kind::EventTrigger, name, sql, drop);
            e.section = Section::PostData;
            self.extras.push(e);
        }
        // Publications: the publication, then its tables and schemas (row filters and column
        // lists read by name, as they exist from PostgreSQL 15 on).
        let rows = client
            .query(
                "SELECT p.oid, p.pubname, p.puballtables, \
                 concat_ws(', ', CASE WHEN p.pubinsert THEN 'insert' END, CASE WHEN p.pubupdate THEN 'update' END, \
                   CASE WHEN p.pubdelete THEN 'delete' END, CASE WHEN p.pubtruncate THEN 'truncate' END), coalesce((pg_catalog.to_jsonb(p) ->> 'pubviaroot')::bool, false), \
                 ARRAY(SELECT 'TABLE ONLY ' || pr.prrelid::pg_catalog.regclass::text \
                   || coalesce(' (' || (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum) \
                        FROM pg_catalog.pg_attribute a WHERE a.attrelid = pr.prrelid \
                        AND a.attnum::text = ANY(pg_catalog.string_to_array(pg_catalog.to_jsonb(pr) ->> 'prattrs', ' '))) || ')', '') \
                   || coalesce(' WHERE (' || pg_catalog.pg_get_expr((SELECT x.prqual FROM pg_catalog.pg_publication_rel x \
                        WHERE x.oid = pr.oid AND pg_catalog.to_jsonb(pr) ? 'prqual'), pr.prrelid) || ')', '') \
                   FROM pg_catalog.pg_publication_rel pr WHERE pr.prpubid = p.oid ORDER BY 1) \
                 FROM pg_catalog.pg_publication p ORDER BY p.pubname",
                &[],
            )
            .await
            .map_err(db("publications"))?;
        let in_schema: Vec<(u32, String)> = if client
            .query_opt("SELECT 1 FROM pg_catalog.pg_class WHERE relname = 'pg_publication_namespace' AND relnamespace = 'pg_catalog'::pg_catalog.regnamespace", &[])
            .await
            .map_err(db("publication schemas"))?
            .is_some()
        {
            client
                .query(
                    "SELECT pn.pnpubid, 'TABLES IN SCHEMA ' || pg_catalog.quote_ident(n.nspname) \
                     FROM pg_catalog.pg_publication_namespace pn JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid ORDER BY 2",
                    &[],
                )
                .await
                .map_err(db("publication schemas"))?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect()
        } else {
            Vec::new()
        };
        for r in rows {
            let oid: u32 = r.get(0);
            let name: String = r.get(1);
            let q = ident(&name);
            let all = if r.get::<_, bool>(2) { " FOR ALL TABLES" } else { "" };
            let mut sql = format!(
                "CREATE PUBLICATION {q}{all} WITH (publish = {}, publish_via_partition_root = {});",
                literal(&r.get::<_, String>(3)),
                r.get::<_, bool>(4)
            );
            let members: Vec<String> = r.get(5);
            for m in members.iter().chain(in_schema.iter().filter(|(p, _)| *p == oid).map(|(_, s)| s)) {
                sql.push_str(&format!("\nALTER PUBLICATION {q} ADD {m};"));
            }
            let drop = Some(format!("DROP PUBLICATION IF EXISTS {q};"));
            let mut e = Extra::global(Some(ObjKey::new(class::PUBLICATION, oid)), Kind::Publication, name, sql, drop);
            e.section = Section::PostData;
            self.extras.push(e);
        }
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
            let _: u32 = r.get(0);
            self.extras.push(e);
        }
        Ok(())
    }

    async fn read_database_settings(&mut self, client: &Client) -> Result<()> {
        let rows = client
            .query(
                "SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(s.setrole) END, \
                 s.setconfig FROM pg_catalog.pg_db_role_setting s \
                 WHERE s.setdatabase = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()) \
                 ORDER BY s.setrole",
                &[],
            )
            .await
            .map_err(db("database settings"))?;
        for r in rows {
            let role: Option<String> = r.get(0);
            for setting in r.get::<_, Vec<String>>(1) {
                let Some((name, value)) = setting.split_once('=') else { continue };
                let quoted = role.as_deref().map(crate::ddl::ident);
                self.database_settings.push((role.clone(), database_setting_sql(quoted.as_deref(), name, value)));
            }
        }
        Ok(())
    }

    async fn read_foreign(&mut self, client: &Client) -> Result<()> {
        use crate::ddl::{ident, literal};
        use crate::manifest::Kind;
        let sql = format!(
            "SELECT w.oid, w.fdwname, CASE WHEN w.fdwhandler <> 0 THEN w.fdwhandler::pg_catalog.regproc::text END, \
             CASE WHEN w.fdwvalidator <> 0 THEN w.fdwvalidator::pg_catalog.regproc::text END, {} \
             FROM pg_catalog.pg_foreign_data_wrapper w WHERE {} ORDER BY w.oid",
            options_sql("w.fdwoptions", ""),
            not_member("pg_foreign_data_wrapper", "w.oid")
        );
        for r in client.query(&sql, &[]).await.map_err(db("foreign-data wrappers"))? {
            let name: String = r.get(1);
            let mut sql = format!("CREATE FOREIGN DATA WRAPPER {}", ident(&name));
            let options: Option<String> = r.get(4);
            clauses(
                &mut sql,
                &[("HANDLER", r.get(2)), ("VALIDATOR", r.get(3)), ("OPTIONS", options.map(|o| format!("({o})")))],
            );
            let key = ObjKey::new(class::FDW, r.get(0));
            self.extras.push(Extra::named(key, Kind::ForeignServer, "FOREIGN DATA WRAPPER", name, sql));
        }
        let sql = format!(
            "SELECT s.oid, s.srvname, w.fdwname, s.srvtype, s.srvversion, {} \
             FROM pg_catalog.pg_foreign_server s JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw \
             WHERE {} ORDER BY s.oid",
            options_sql("s.srvoptions", ""),
            not_member("pg_foreign_server", "s.oid")
        );
        for r in client.query(&sql, &[]).await.map_err(db("foreign servers"))? {
            let name: String = r.get(1);
            let mut sql = format!("CREATE SERVER {}", ident(&name));
            if let Some(t) = r.get::<_, Option<String>>(3) {
                sql.push_str(&format!(" TYPE {}", literal(&t)));
            }
            if let Some(v) = r.get::<_, Option<String>>(4) {
                sql.push_str(&format!(" VERSION {}", literal(&v)));
            }
            sql.push_str(&format!(" FOREIGN DATA WRAPPER {}", ident(&r.get::<_, String>(2))));
            if let Some(o) = r.get::<_, Option<String>>(5) {
                sql.push_str(&format!(" OPTIONS ({o})"));
            }
            sql.push(';');
            let key = ObjKey::new(class::SERVER, r.get(0));
            self.extras.push(Extra::named(key, Kind::ForeignServer, "SERVER", name, sql));
        }
        // Passwords in user mappings are secrets: they never go into an archive.
        let sql = format!(
            "SELECT u.srvid, u.srvname, CASE WHEN u.umuser = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(u.usename) END, {}, \
             CASE WHEN u.umuser <> 0 THEN u.usename::text END \
             FROM pg_catalog.pg_user_mappings u ORDER BY u.srvname, u.usename",
            options_sql("u.umoptions", "WHERE o.option_name <> 'password'")
        );
        for r in client.query(&sql, &[]).await.map_err(db("user mappings"))? {
            let (server, user): (String, String) = (r.get(1), r.get(2));
            let mut sql = format!("CREATE USER MAPPING FOR {user} SERVER {}", ident(&server));
            if let Some(o) = r.get::<_, Option<String>>(3) {
                sql.push_str(&format!(" OPTIONS ({o})"));
            }
            sql.push(';');
            let mut e = Extra::global(
                None,
                Kind::UserMapping,
                format!("{user} on {server}"),
                sql,
                Some(format!("DROP USER MAPPING IF EXISTS FOR {user} SERVER {};", ident(&server))),
            );
            e.deps = vec![ObjKey::new(class::SERVER, r.get(0))];
            e.roles = r.get::<_, Option<String>>(4).into_iter().collect();
            self.extras.push(e);
        }
        Ok(())
    }

    async fn read_attached(&mut self, client: &Client, rels: &[u32]) -> Result<()> {
        use crate::manifest::Kind;
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
                sql.push_str(&format!("\nALTER TABLE {rel} {state} {};", crate::ddl::ident(&name)));
            }
            self.attached.push(Attached {
                roles: Vec::new(),
                function_schema: r.get(6),
                key: Some(ObjKey::new(class::TRIGGER, r.get(0))),
                table,
                kind: Kind::Trigger,
                name,
                sql,
            });
        }
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
                sql.push_str(&format!("\nALTER TABLE {rel} DISABLE RULE {};", crate::ddl::ident(&name)));
            }
            self.attached.push(Attached {
                roles: Vec::new(),
                function_schema: None,
                key: Some(ObjKey::new(class::REWRITE, r.get(0))),
                table,
                kind: Kind::Rule,
                name,
                sql,
            });
        }
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
            self.attached.push(Attached {
                roles: Vec::new(),
                function_schema: None,
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
                crate::ddl::ident(&name),
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
            self.attached.push(Attached {
                roles: Vec::new(),
                function_schema: None,
                key: Some(ObjKey::new(class::POLICY, r.get(0))),
                table: r.get(1),
                kind: Kind::Policy,
                name,
                sql,
            });
        }
        Ok(())
    }
}

/// Reads identity, owner, ACL and comments for `keys` (and comments on their columns).
pub(crate) async fn read_decorations(client: &Client, keys: &[ObjKey]) -> Result<Decorations> {
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
    // Owners and ACLs live in each catalog's own columns.
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
            "SELECT a.attrelid, a.attnum::int4, a.attname FROM pg_catalog.pg_attribute a \
             JOIN pg_catalog.pg_description ds ON ds.classoid = 'pg_class'::pg_catalog.regclass \
               AND ds.objoid = a.attrelid AND ds.objsubid = a.attnum \
             WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped",
            &[&rels],
        )
        .await
        .map_err(db("column names"))?;
    for r in rows {
        d.column_names.insert((ObjKey::new(class::REL, r.get(0)), r.get(1)), r.get(2));
    }
    Ok(d)
}

fn parse_acl_rows(rows: Vec<String>) -> Vec<AclEntry> {
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

/// Settings whose value is a list written without quotes around the whole (as pg_dump does).
const LIST_SETTINGS: &[&str] = &[
    "search_path",
    "temp_tablespaces",
    "session_preload_libraries",
    "local_preload_libraries",
    "shared_preload_libraries",
];

/// A DO block that applies one database (or role-in-database) setting to the current database.
pub(crate) fn database_setting_sql(role: Option<&str>, name: &str, value: &str) -> String {
    use crate::ddl::{ident, literal};
    let value_sql = if LIST_SETTINGS.contains(&name) { value.to_string() } else { literal(value) };
    let target = match role {
        Some(r) => format!("ROLE {r} IN DATABASE %I"),
        None => "DATABASE %I".to_string(),
    };
    let stmt = format!("ALTER {target} SET {} TO {value_sql}", ident(name));
    format!(
        "DO $pgark$ BEGIN EXECUTE pg_catalog.format({}, pg_catalog.current_database()); END $pgark$;",
        literal(&stmt)
    )
}

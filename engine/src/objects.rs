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

fn not_member(class: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = '{class}'::pg_catalog.regclass \
         AND d.objid = {oid} AND d.deptype = 'e')"
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

/// A foreign-data wrapper, server or user mapping, with its statement.
#[derive(Debug, Clone)]
pub(crate) struct Foreign {
    pub key: Option<ObjKey>,
    pub kind: crate::manifest::Kind,
    pub name: String,
    pub sql: String,
    pub drop: Option<String>,
    pub deps: Vec<ObjKey>,
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
    pub foreign: Vec<Foreign>,
    /// `ALTER DATABASE … SET` / `ALTER ROLE … IN DATABASE … SET` statements, as DO blocks that
    /// name whatever database they run in.
    pub database_settings: Vec<String>,
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
        let sql = format!(
            "SELECT c.oid, n.nspname, c.relname, c.relkind = 'm', c.relispopulated, \
             coalesce(c.reloptions, '{{}}')::text[], pg_catalog.pg_get_viewdef(c.oid), \
             ARRAY(SELECT pg_catalog.quote_ident(a.attname) || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod) \
                   || CASE WHEN a.attcollation <> t.typcollation THEN ' COLLATE ' || a.attcollation::pg_catalog.regcollation::text ELSE '' END \
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
               FROM pg_catalog.pg_aggregate a WHERE a.aggfnoid = p.oid) END, \
             (SELECT a.aggkind FROM pg_catalog.pg_aggregate a WHERE a.aggfnoid = p.oid)::text \
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
                let aggkind: Option<String> = r.get(7);
                if aggkind.as_deref() != Some("n") {
                    // Ordered-set and hypothetical-set aggregates: extremely rare; say so at restore.
                    format!("DO $$ BEGIN RAISE EXCEPTION 'pgark cannot recreate ordered-set aggregate {q}({args})'; END $$;")
                } else {
                    format!(
                        "CREATE AGGREGATE {q}({}) ({});",
                        if args.is_empty() { "*" } else { &args },
                        body.unwrap_or_default()
                    )
                }
            } else {
                let def: String = r.get(4);
                format!("{};", def.trim_end())
            };
            self.routines.push(Routine { oid: r.get(0), identity: format!("{q}({args})"), schema, name, kind, sql });
        }
        Ok(())
    }

    async fn read_database_settings(&mut self, client: &Client) -> Result<()> {
        let rows = client
            .query(
                "SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(s.setrole)) END, \
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
                self.database_settings.push(database_setting_sql(role.as_deref(), name, value));
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
            if let Some(h) = r.get::<_, Option<String>>(2) {
                sql.push_str(&format!(" HANDLER {h}"));
            }
            if let Some(v) = r.get::<_, Option<String>>(3) {
                sql.push_str(&format!(" VALIDATOR {v}"));
            }
            if let Some(o) = r.get::<_, Option<String>>(4) {
                sql.push_str(&format!(" OPTIONS ({o})"));
            }
            sql.push(';');
            let drop = Some(format!("DROP FOREIGN DATA WRAPPER IF EXISTS {} CASCADE;", ident(&name)));
            self.foreign.push(Foreign {
                key: Some(ObjKey::new(class::FDW, r.get(0))),
                kind: Kind::ForeignServer,
                name,
                sql,
                drop,
                deps: vec![],
            });
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
            let drop = Some(format!("DROP SERVER IF EXISTS {} CASCADE;", ident(&name)));
            self.foreign.push(Foreign {
                key: Some(ObjKey::new(class::SERVER, r.get(0))),
                kind: Kind::ForeignServer,
                name,
                sql,
                drop,
                deps: vec![],
            });
        }
        // Passwords in user mappings are secrets: they never go into an archive.
        let sql = format!(
            "SELECT u.srvid, u.srvname, CASE WHEN u.umuser = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(u.usename) END, {} \
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
            self.foreign.push(Foreign {
                key: None,
                kind: Kind::UserMapping,
                name: format!("{user} on {server}"),
                sql,
                drop: Some(format!("DROP USER MAPPING IF EXISTS FOR {user} SERVER {};", ident(&server))),
                deps: vec![ObjKey::new(class::SERVER, r.get(0))],
            });
        }
        Ok(())
    }

    async fn read_attached(&mut self, client: &Client, rels: &[u32]) -> Result<()> {
        use crate::manifest::Kind;
        let rows = client
            .query(
                "SELECT t.oid, t.tgrelid, t.tgname, pg_catalog.pg_get_triggerdef(t.oid), t.tgenabled::text, \
                 t.tgrelid::pg_catalog.regclass::text \
                 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = ANY($1) AND NOT t.tgisinternal \
                 AND t.tgparentid = 0 ORDER BY t.tgrelid, t.tgname",
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
                 p.polrelid::pg_catalog.regclass::text \
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
        (class::REL, "pg_class", "relowner", "relacl"),
        (class::TYPE, "pg_type", "typowner", "typacl"),
        (class::PROC, "pg_proc", "proowner", "proacl"),
        (class::NAMESPACE, "pg_namespace", "nspowner", "nspacl"),
        (class::SERVER, "pg_foreign_server", "srvowner", "srvacl"),
        (class::FDW, "pg_foreign_data_wrapper", "fdwowner", "fdwacl"),
    ];
    for (cls, table, owner, acl) in owner_acl {
        let these: Vec<u32> = keys.iter().filter(|k| k.class == cls).map(|k| k.oid).collect();
        if these.is_empty() {
            continue;
        }
        let sql = format!(
            "SELECT x.oid, pg_catalog.pg_get_userbyid(x.{owner}), x.{acl} IS NOT NULL, \
             ARRAY(SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END \
                   || '|' || a.privilege_type || '|' || a.is_grantable || '|' || pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantor)) \
                   FROM pg_catalog.aclexplode(x.{acl}) AS a) \
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

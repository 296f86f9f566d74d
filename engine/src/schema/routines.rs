//! Functions, procedures and aggregates (normal, ordered-set, hypothetical): functions and
//! procedures as `pg_get_functiondef` writes them, aggregates from `pg_aggregate`.

use tokio_postgres::Client;

use super::depsort::Node;
use super::item;
use super::key::{class, ObjKey};
use super::query::{db, not_member, USER_NS};
use super::scope::Context;
use crate::archive::{Kind, Section};
use crate::error::Result;
use crate::sql::qualified;

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

/// Reads every user function, procedure and aggregate.
pub(super) async fn read(client: &Client) -> Result<Vec<Routine>> {
    let mut routines = Vec::new();
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
        let q = qualified(&schema, &name);
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
        routines.push(Routine { oid: r.get(0), identity: format!("{q}({args})"), schema, name, kind, sql });
    }
    Ok(routines)
}

/// The routines of the schemas in scope (none under a table filter).
pub(super) fn build(cx: &Context<'_>, nodes: &mut Vec<Node>) {
    for r in cx.cat.routines.iter().filter(|r| cx.scope.routines(&r.schema)) {
        let (kind, word, prio) = match r.kind {
            'a' => (Kind::Aggregate, "AGGREGATE", 4),
            'p' => (Kind::Function, "PROCEDURE", 3),
            _ => (Kind::Function, "FUNCTION", 3),
        };
        let mut it = item(Section::PreData, kind, Some(&r.schema), &r.name, r.sql.clone());
        it.drop = Some(format!("DROP {word} IF EXISTS {} CASCADE;", r.identity));
        nodes.push(Node::new(it, Some(ObjKey::new(class::PROC, r.oid)), vec![], prio));
    }
}

//! Text search parsers, templates, dictionaries and configurations (with their token mappings).

use tokio_postgres::Client;

use super::extra::Extra;
use super::key::{class, ObjKey};
use super::query::{db, not_member, USER_NS};
use crate::archive::Kind;
use crate::error::Result;
use crate::sql::qualified;

/// Reads text search parsers and templates, then dictionaries, then configurations.
pub(super) async fn read(client: &Client, out: &mut Vec<Extra>) -> Result<()> {
    let function = |column: &str, word: &str| {
        format!("CASE WHEN x.{column} <> 0 THEN '{word} = ' || x.{column}::pg_catalog.regproc::text END")
    };
    let sql = format!(
        "SELECT x.oid, n.nspname, x.prsname, concat_ws(', ', {}, {}, {}, {}, {}) \
         FROM pg_catalog.pg_ts_parser x JOIN pg_catalog.pg_namespace n ON n.oid = x.prsnamespace \
         WHERE x.oid >= 16384 AND {USER_NS} AND {} ORDER BY x.oid",
        function("prsstart", "START"),
        function("prstoken", "GETTOKEN"),
        function("prsend", "END"),
        function("prslextype", "LEXTYPES"),
        function("prsheadline", "HEADLINE"),
        not_member("pg_ts_parser", "x.oid")
    );
    for r in client.query(&sql, &[]).await.map_err(db("text search parsers"))? {
        let (schema, name): (String, String) = (r.get(1), r.get(2));
        let sql = format!("CREATE TEXT SEARCH PARSER {} ({});", qualified(&schema, &name), r.get::<_, String>(3));
        let key = ObjKey::new(class::TS_PARSER, r.get(0));
        out.push(Extra::in_schema(key, Kind::TextSearch, "TEXT SEARCH PARSER", schema, name, sql));
    }
    let sql = format!(
        "SELECT x.oid, n.nspname, x.tmplname, concat_ws(', ', {}, {}) \
         FROM pg_catalog.pg_ts_template x JOIN pg_catalog.pg_namespace n ON n.oid = x.tmplnamespace \
         WHERE x.oid >= 16384 AND {USER_NS} AND {} ORDER BY x.oid",
        function("tmplinit", "INIT"),
        function("tmpllexize", "LEXIZE"),
        not_member("pg_ts_template", "x.oid")
    );
    for r in client.query(&sql, &[]).await.map_err(db("text search templates"))? {
        let (schema, name): (String, String) = (r.get(1), r.get(2));
        let sql = format!("CREATE TEXT SEARCH TEMPLATE {} ({});", qualified(&schema, &name), r.get::<_, String>(3));
        let key = ObjKey::new(class::TS_TEMPLATE, r.get(0));
        out.push(Extra::in_schema(key, Kind::TextSearch, "TEXT SEARCH TEMPLATE", schema, name, sql));
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
        out.push(Extra::in_schema(key, Kind::TextSearch, "TEXT SEARCH DICTIONARY", schema, name, sql));
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
        out.push(Extra::in_schema(key, Kind::TextSearch, "TEXT SEARCH CONFIGURATION", schema, name, sql));
    }
    Ok(())
}

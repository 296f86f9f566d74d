//! Logical replication: publications with their tables (row filters, column lists) and schemas.

use tokio_postgres::Client;

use super::extra::Extra;
use super::key::{class, ObjKey};
use super::query::db;
use crate::archive::{Kind, Section};
use crate::error::Result;
use crate::sql::{ident, literal};

/// Reads the publications and what they publish.
pub(super) async fn read(client: &Client, out: &mut Vec<Extra>) -> Result<()> {
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
        e.priority = 8;
        out.push(e);
    }
    Ok(())
}

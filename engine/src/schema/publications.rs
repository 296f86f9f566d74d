//! Logical replication: publications with their tables (row filters, column lists) and schemas.

use tokio_postgres::Client;

use super::extra::Extra;
use super::key::{class, ObjKey};
use super::query::{db, server_version};
use crate::archive::{Kind, Section};
use crate::error::Result;
use crate::sql::{ident, literal};

/// Reads the publications and what they publish.
pub(super) async fn read(client: &Client, out: &mut Vec<Extra>) -> Result<()> {
    // Publications: the publication, then its tables and schemas (row filters and column lists
    // exist from PostgreSQL 15 on).
    let (columns, filter) = if server_version(client).await? >= 150000 {
        (
            "coalesce(' (' || (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum) \
               FROM pg_catalog.pg_attribute a WHERE a.attrelid = pr.prrelid AND a.attnum = ANY(pr.prattrs)) || ')', '')",
            "coalesce(' WHERE (' || pg_catalog.pg_get_expr(pr.prqual, pr.prrelid) || ')', '')",
        )
    } else {
        ("''", "''")
    };
    let sql = format!(
        "SELECT p.oid, p.pubname, p.puballtables, \
             concat_ws(', ', CASE WHEN p.pubinsert THEN 'insert' END, CASE WHEN p.pubupdate THEN 'update' END, \
               CASE WHEN p.pubdelete THEN 'delete' END, CASE WHEN p.pubtruncate THEN 'truncate' END), coalesce((pg_catalog.to_jsonb(p) ->> 'pubviaroot')::bool, false), \
         coalesce(pg_catalog.to_jsonb(p) ->> 'pubgencols', 'n') = 's', \
         ARRAY(SELECT 'TABLE ONLY ' || pr.prrelid::pg_catalog.regclass::text || {columns} || {filter} \
           FROM pg_catalog.pg_publication_rel pr WHERE pr.prpubid = p.oid ORDER BY 1) \
         FROM pg_catalog.pg_publication p ORDER BY p.pubname"
    );
    let rows = client.query(&sql, &[]).await.map_err(db("publications"))?;
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
        // Parameters other than `publish` only where they differ from the default: older
        // servers do not know them.
        let mut with = vec![format!("publish = {}", literal(&r.get::<_, String>(3)))];
        if r.get::<_, bool>(4) {
            with.push("publish_via_partition_root = true".into());
        }
        if r.get::<_, bool>(5) {
            with.push("publish_generated_columns = stored".into());
        }
        let mut sql = format!("CREATE PUBLICATION {q}{all} WITH ({});", with.join(", "));
        let members: Vec<String> = r.get(6);
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

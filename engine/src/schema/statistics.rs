//! Extended statistics objects (`CREATE STATISTICS`), built in post-data like indexes.

use tokio_postgres::Client;

use super::extra::Extra;
use super::key::{class, ObjKey};
use super::query::{db, not_member, USER_NS};
use crate::archive::{Kind, Section};
use crate::error::Result;
use crate::sql::qualified;

/// Reads the statistics objects.
pub(super) async fn read(client: &Client, out: &mut Vec<Extra>) -> Result<()> {
    // Extended statistics (created after the data, like indexes).
    let sql = format!(
        "SELECT s.oid, n.nspname, s.stxname, pg_catalog.pg_get_statisticsobjdef(s.oid), \
         NULLIF((pg_catalog.to_jsonb(s) ->> 'stxstattarget')::int4, -1) \
         FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace \
         WHERE {USER_NS} AND {} ORDER BY s.oid",
        not_member("pg_statistic_ext", "s.oid")
    );
    for r in client.query(&sql, &[]).await.map_err(db("statistics"))? {
        let (schema, name): (String, String) = (r.get(1), r.get(2));
        let mut sql = format!("{};", r.get::<_, String>(3));
        // A statistics target of its own (PostgreSQL 13 on).
        if let Some(n) = r.get::<_, Option<i32>>(4) {
            sql.push_str(&format!("\nALTER STATISTICS {} SET STATISTICS {n};", qualified(&schema, &name)));
        }
        let mut e = Extra::in_schema(
            ObjKey::new(class::STATISTICS, r.get(0)),
            Kind::Statistics,
            "STATISTICS",
            schema,
            name,
            sql,
        );
        e.section = Section::PostData;
        e.priority = 1;
        out.push(e);
    }
    Ok(())
}

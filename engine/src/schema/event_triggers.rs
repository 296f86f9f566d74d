//! Event triggers, created last in post-data: they could fire on the restore's own DDL.

use tokio_postgres::Client;

use super::extra::Extra;
use super::key::{class, ObjKey};
use super::query::db;
use crate::archive::{Kind, Section};
use crate::error::Result;
use crate::sql::ident;

/// Reads the event triggers.
pub(super) async fn read(client: &Client, out: &mut Vec<Extra>) -> Result<()> {
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
        e.priority = 8;
        out.push(e);
    }
    Ok(())
}

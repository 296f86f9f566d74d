//! Transforms (`CREATE TRANSFORM FOR type LANGUAGE lang`): how a procedural language receives
//! and returns a type.

use tokio_postgres::Client;

use super::extra::Extra;
use super::key::{class, ObjKey};
use super::query::{db, not_member};
use crate::archive::Kind;
use crate::error::Result;
use crate::sql::ident;

/// Reads the user's transforms.
pub(super) async fn read(client: &Client, out: &mut Vec<Extra>) -> Result<()> {
    let sql = format!(
        "SELECT t.oid, pg_catalog.format_type(t.trftype, NULL), l.lanname, \
         CASE WHEN t.trffromsql <> 0 THEN t.trffromsql::pg_catalog.regprocedure::text END, \
         CASE WHEN t.trftosql <> 0 THEN t.trftosql::pg_catalog.regprocedure::text END \
         FROM pg_catalog.pg_transform t JOIN pg_catalog.pg_language l ON l.oid = t.trflang \
         WHERE t.oid >= 16384 AND {} ORDER BY t.oid",
        not_member("pg_transform", "t.oid")
    );
    for r in client.query(&sql, &[]).await.map_err(db("transforms"))? {
        let (ty, language): (String, String) = (r.get(1), r.get(2));
        let target = format!("FOR {ty} LANGUAGE {}", ident(&language));
        let mut ways = Vec::new();
        if let Some(f) = r.get::<_, Option<String>>(3) {
            ways.push(format!("FROM SQL WITH FUNCTION {f}"));
        }
        if let Some(f) = r.get::<_, Option<String>>(4) {
            ways.push(format!("TO SQL WITH FUNCTION {f}"));
        }
        let sql = format!("CREATE TRANSFORM {target} ({});", ways.join(", "));
        let drop = Some(format!("DROP TRANSFORM IF EXISTS {target} CASCADE;"));
        let mut e = Extra::global(Some(ObjKey::new(class::TRANSFORM, r.get(0))), Kind::Transform, target, sql, drop);
        e.priority = 6;
        out.push(e);
    }
    Ok(())
}

//! Casts that involve a user-defined type or function.

use tokio_postgres::Client;

use super::extra::Extra;
use super::key::{class, ObjKey};
use super::query::db;
use crate::archive::Kind;
use crate::error::Result;

/// Reads the user's casts.
pub(super) async fn read(client: &Client, out: &mut Vec<Extra>) -> Result<()> {
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
        let mut e = Extra::global(Some(ObjKey::new(class::CAST, r.get(0))), Kind::Cast, sig, sql, drop);
        e.priority = 6;
        out.push(e);
    }
    Ok(())
}

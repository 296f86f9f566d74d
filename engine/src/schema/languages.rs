//! Procedural languages no extension brings, complete with their handler, inline and validator
//! functions (created after those functions).

use tokio_postgres::Client;

use super::extra::Extra;
use super::key::{class, ObjKey};
use super::query::{clauses, db, not_member};
use crate::archive::Kind;
use crate::error::Result;
use crate::sql::ident;

/// Reads the languages.
pub(super) async fn read(client: &Client, out: &mut Vec<Extra>) -> Result<()> {
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
        let mut e = Extra::named(key, Kind::Language, "LANGUAGE", name, sql);
        e.priority = 3;
        out.push(e);
    }
    Ok(())
}

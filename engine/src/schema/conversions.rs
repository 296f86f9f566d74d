//! Encoding conversions (`CREATE [DEFAULT] CONVERSION`).

use tokio_postgres::Client;

use super::extra::Extra;
use super::key::{class, ObjKey};
use super::query::{db, not_member, USER_NS};
use crate::archive::Kind;
use crate::error::Result;
use crate::sql::{literal, qualified};

/// Reads the user's conversions.
pub(super) async fn read(client: &Client, out: &mut Vec<Extra>) -> Result<()> {
    let sql = format!(
        "SELECT c.oid, n.nspname, c.conname, c.condefault, pg_catalog.pg_encoding_to_char(c.conforencoding)::text, \
         pg_catalog.pg_encoding_to_char(c.contoencoding)::text, c.conproc::pg_catalog.regproc::text \
         FROM pg_catalog.pg_conversion c JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace \
         WHERE c.oid >= 16384 AND {USER_NS} AND {} ORDER BY c.oid",
        not_member("pg_conversion", "c.oid")
    );
    for r in client.query(&sql, &[]).await.map_err(db("conversions"))? {
        let (schema, name): (String, String) = (r.get(1), r.get(2));
        let default = if r.get::<_, bool>(3) { "DEFAULT " } else { "" };
        let sql = format!(
            "CREATE {default}CONVERSION {} FOR {} TO {} FROM {};",
            qualified(&schema, &name),
            literal(&r.get::<_, String>(4)),
            literal(&r.get::<_, String>(5)),
            r.get::<_, String>(6)
        );
        let key = ObjKey::new(class::CONVERSION, r.get(0));
        let mut e = Extra::in_schema(key, Kind::Conversion, "CONVERSION", schema, name, sql);
        e.priority = 4;
        out.push(e);
    }
    Ok(())
}

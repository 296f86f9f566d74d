//! Access methods (`CREATE ACCESS METHOD … TYPE TABLE | INDEX HANDLER f`) no extension brings.

use tokio_postgres::Client;

use super::extra::Extra;
use super::key::{class, ObjKey};
use super::query::{db, not_member};
use crate::archive::Kind;
use crate::error::Result;
use crate::sql::ident;

/// Reads the user's access methods.
pub(super) async fn read(client: &Client, out: &mut Vec<Extra>) -> Result<()> {
    let sql = format!(
        "SELECT a.oid, a.amname, CASE a.amtype WHEN 't' THEN 'TABLE' ELSE 'INDEX' END, a.amhandler::pg_catalog.regproc::text \
         FROM pg_catalog.pg_am a WHERE a.oid >= 16384 AND {} ORDER BY a.oid",
        not_member("pg_am", "a.oid")
    );
    for r in client.query(&sql, &[]).await.map_err(db("access methods"))? {
        let name: String = r.get(1);
        let sql = format!(
            "CREATE ACCESS METHOD {} TYPE {} HANDLER {};",
            ident(&name),
            r.get::<_, String>(2),
            r.get::<_, String>(3)
        );
        let key = ObjKey::new(class::ACCESS_METHOD, r.get(0));
        let mut e = Extra::named(key, Kind::AccessMethod, "ACCESS METHOD", name, sql);
        e.priority = 3;
        out.push(e);
    }
    Ok(())
}

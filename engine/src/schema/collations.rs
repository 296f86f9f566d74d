//! Collations (libc, ICU, builtin; deterministic or not), created in pre-data.

use tokio_postgres::Client;

use super::extra::Extra;
use super::key::{class, ObjKey};
use super::query::{db, not_member, USER_NS};
use crate::archive::Kind;
use crate::error::Result;
use crate::sql::{literal, qualified};

/// Reads the user's collations.
pub(super) async fn read(client: &Client, out: &mut Vec<Extra>) -> Result<()> {
    // Collations. The ICU locale column moved between versions: read it by name from the row.
    let sql = format!(
        "SELECT c.oid, n.nspname, c.collname, c.collprovider::text, c.collisdeterministic, \
         c.collcollate, c.collctype, pg_catalog.to_jsonb(c) ->> 'colliculocale', pg_catalog.to_jsonb(c) ->> 'colllocale' \
         FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace \
         WHERE {USER_NS} AND {} ORDER BY c.oid",
        not_member("pg_collation", "c.oid")
    );
    for r in client.query(&sql, &[]).await.map_err(db("collations"))? {
        let (schema, name): (String, String) = (r.get(1), r.get(2));
        let provider = match r.get::<_, String>(3).as_str() {
            "i" => "icu",
            "b" => "builtin",
            "d" => "default",
            _ => "libc",
        };
        let (collate, ctype): (Option<String>, Option<String>) = (r.get(5), r.get(6));
        let locale: Option<String> = r.get::<_, Option<String>>(8).or(r.get(7));
        let mut opts = vec![format!("provider = {provider}")];
        // Before PostgreSQL 15 an ICU collation kept its locale in collcollate.
        let locale = locale.or_else(|| collate.clone().filter(|_| provider == "icu"));
        match (provider, locale) {
            ("libc", _) | (_, None) => {
                opts.push(format!("lc_collate = {}", literal(&collate.unwrap_or_default())));
                opts.push(format!("lc_ctype = {}", literal(&ctype.unwrap_or_default())));
            }
            (_, Some(l)) => opts.push(format!("locale = {}", literal(&l))),
        }
        if !r.get::<_, bool>(4) {
            opts.push("deterministic = false".into());
        }
        let sql = format!("CREATE COLLATION {} ({});", qualified(&schema, &name), opts.join(", "));
        let key = ObjKey::new(class::COLLATION, r.get(0));
        out.push(Extra::in_schema(key, Kind::Collation, "COLLATION", schema, name, sql));
    }
    Ok(())
}

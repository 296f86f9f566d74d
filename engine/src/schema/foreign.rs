//! Foreign data: foreign-data wrappers, servers and user mappings (their options; a password
//! only into an encrypted archive).
//! Foreign tables are tables (`tables.rs`).

use tokio_postgres::Client;

use super::extra::Extra;
use super::key::{class, ObjKey};
use super::query::{clauses, db, not_member, options_sql};
use super::scope::MappingOptions;
use crate::archive::Kind;
use crate::error::Result;
use crate::sql::{ident, literal};

/// Reads wrappers, then servers, then user mappings with the `options` carried; returns a
/// warning for each password left out.
pub(super) async fn read(client: &Client, options: MappingOptions, out: &mut Vec<Extra>) -> Result<Vec<String>> {
    let sql = format!(
        "SELECT w.oid, w.fdwname, CASE WHEN w.fdwhandler <> 0 THEN w.fdwhandler::pg_catalog.regproc::text END, \
         CASE WHEN w.fdwvalidator <> 0 THEN w.fdwvalidator::pg_catalog.regproc::text END, {} \
         FROM pg_catalog.pg_foreign_data_wrapper w WHERE {} ORDER BY w.oid",
        options_sql("w.fdwoptions", ""),
        not_member("pg_foreign_data_wrapper", "w.oid")
    );
    for r in client.query(&sql, &[]).await.map_err(db("foreign-data wrappers"))? {
        let name: String = r.get(1);
        let mut sql = format!("CREATE FOREIGN DATA WRAPPER {}", ident(&name));
        let options: Option<String> = r.get(4);
        clauses(
            &mut sql,
            &[("HANDLER", r.get(2)), ("VALIDATOR", r.get(3)), ("OPTIONS", options.map(|o| format!("({o})")))],
        );
        let key = ObjKey::new(class::FDW, r.get(0));
        out.push(Extra::named(key, Kind::ForeignServer, "FOREIGN DATA WRAPPER", name, sql));
    }
    let sql = format!(
        "SELECT s.oid, s.srvname, w.fdwname, s.srvtype, s.srvversion, {} \
         FROM pg_catalog.pg_foreign_server s JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw \
         WHERE {} ORDER BY s.oid",
        options_sql("s.srvoptions", ""),
        not_member("pg_foreign_server", "s.oid")
    );
    for r in client.query(&sql, &[]).await.map_err(db("foreign servers"))? {
        let name: String = r.get(1);
        let mut sql = format!("CREATE SERVER {}", ident(&name));
        if let Some(t) = r.get::<_, Option<String>>(3) {
            sql.push_str(&format!(" TYPE {}", literal(&t)));
        }
        if let Some(v) = r.get::<_, Option<String>>(4) {
            sql.push_str(&format!(" VERSION {}", literal(&v)));
        }
        sql.push_str(&format!(" FOREIGN DATA WRAPPER {}", ident(&r.get::<_, String>(2))));
        if let Some(o) = r.get::<_, Option<String>>(5) {
            sql.push_str(&format!(" OPTIONS ({o})"));
        }
        sql.push(';');
        let key = ObjKey::new(class::SERVER, r.get(0));
        out.push(Extra::named(key, Kind::ForeignServer, "SERVER", name, sql));
    }
    // A password is a secret: it goes only into an archive nobody can read without its key.
    let carried = match options {
        MappingOptions::None => "WHERE false",
        MappingOptions::NoPassword => "WHERE o.option_name <> 'password'",
        MappingOptions::All => "",
    };
    let sql = format!(
        "SELECT u.srvid, u.srvname, CASE WHEN u.umuser = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(u.usename) END, {}, \
         CASE WHEN u.umuser <> 0 THEN u.usename::text END, \
         EXISTS (SELECT 1 FROM pg_catalog.pg_options_to_table(u.umoptions) o WHERE o.option_name = 'password') \
         FROM pg_catalog.pg_user_mappings u ORDER BY u.srvname, u.usename",
        options_sql("u.umoptions", carried)
    );
    let mut warnings = Vec::new();
    for r in client.query(&sql, &[]).await.map_err(db("user mappings"))? {
        let (server, user): (String, String) = (r.get(1), r.get(2));
        if options == MappingOptions::NoPassword && r.get::<_, bool>(5) {
            warnings.push(format!(
                "the password of user mapping for {user} on server {server} is left out: an archive that is not encrypted \
                 never holds one (dump with --encrypt-to or --passphrase-file to carry it; --no-user-mapping-options \
                 leaves every option out)"
            ));
        }
        let mut sql = format!("CREATE USER MAPPING FOR {user} SERVER {}", ident(&server));
        if let Some(o) = r.get::<_, Option<String>>(3) {
            sql.push_str(&format!(" OPTIONS ({o})"));
        }
        sql.push(';');
        let mut e = Extra::global(
            None,
            Kind::UserMapping,
            format!("{user} on {server}"),
            sql,
            Some(format!("DROP USER MAPPING IF EXISTS FOR {user} SERVER {};", ident(&server))),
        );
        e.deps = vec![ObjKey::new(class::SERVER, r.get(0))];
        e.roles = r.get::<_, Option<String>>(4).into_iter().collect();
        out.push(e);
    }
    Ok(warnings)
}

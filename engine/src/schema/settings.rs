//! Database settings (`ALTER DATABASE … SET`, `ALTER ROLE … IN DATABASE … SET`), applied to
//! whatever database the restore writes into.

use tokio_postgres::Client;

use super::depsort::Node;
use super::item;
use super::query::db;
use super::scope::Context;
use crate::archive::{Kind, Section};
use crate::error::Result;
use crate::sql::{ident, literal};

/// One setting: the role it is for (`None`: everyone) and the DO block that applies it.
pub(super) type Setting = (Option<String>, String);

/// Reads the settings of the current database.
pub(super) async fn read(client: &Client) -> Result<Vec<Setting>> {
    let mut settings = Vec::new();
    let rows = client
        .query(
            "SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(s.setrole) END, \
             s.setconfig FROM pg_catalog.pg_db_role_setting s \
             WHERE s.setdatabase = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()) \
             ORDER BY s.setrole",
            &[],
        )
        .await
        .map_err(db("database settings"))?;
    for r in rows {
        let role: Option<String> = r.get(0);
        for setting in r.get::<_, Vec<String>>(1) {
            let Some((name, value)) = setting.split_once('=') else { continue };
            let quoted = role.as_deref().map(ident);
            settings.push((role.clone(), database_setting_sql(quoted.as_deref(), name, value)));
        }
    }
    Ok(settings)
}

/// Settings whose value is a list written without quotes around the whole (as pg_dump does).
const LIST_SETTINGS: &[&str] = &[
    "search_path",
    "temp_tablespaces",
    "session_preload_libraries",
    "local_preload_libraries",
    "shared_preload_libraries",
];

/// A DO block that applies one database (or role-in-database) setting to the current database.
fn database_setting_sql(role: Option<&str>, name: &str, value: &str) -> String {
    let value_sql = if LIST_SETTINGS.contains(&name) { value.to_string() } else { literal(value) };
    let target = match role {
        Some(r) => format!("ROLE {r} IN DATABASE %I"),
        None => "DATABASE %I".to_string(),
    };
    let stmt = format!("ALTER {target} SET {} TO {value_sql}", ident(name));
    format!(
        "DO $pgark$ BEGIN EXECUTE pg_catalog.format({}, pg_catalog.current_database()); END $pgark$;",
        literal(&stmt)
    )
}

/// The settings, when the dump covers the whole database.
pub(super) fn build(cx: &Context<'_>, nodes: &mut Vec<Node>) {
    if cx.scope.extensions {
        for (i, (role, sql)) in cx.cat.database_settings.iter().enumerate() {
            let mut it =
                item(Section::PreData, Kind::DatabaseSetting, None, &format!("setting {}", i + 1), sql.clone());
            it.roles = role.iter().cloned().collect();
            nodes.push(Node::new(it, None, vec![], 0));
        }
    }
}

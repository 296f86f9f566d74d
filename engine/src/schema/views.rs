//! Views and materialized views (`pg_get_viewdef`), materialized views refreshed after the data
//! when they were populated. A view that needs a post-data object (a primary key making its
//! GROUP BY columns functionally dependent) is created as a placeholder and replaced later
//! (`postpone.rs`).

use std::collections::HashMap;

use tokio_postgres::Client;

use super::depsort::Node;
use super::item;
use super::key::{class, ObjKey};
use super::query::{collate_clause, db, not_extension_member, not_member, USER_NS};
use super::scope::Context;
use super::tables::{ColumnSettings, COLUMN_SETTINGS};
use crate::archive::{Kind, Section};
use crate::error::Result;
use crate::sql::qualified;

/// A view or materialized view.
#[derive(Debug, Clone)]
pub(crate) struct View {
    pub oid: u32,
    pub schema: String,
    pub name: String,
    pub materialized: bool,
    pub populated: bool,
    pub options: Vec<String>,
    pub query: String,
    /// `"name" type [COLLATE x]` per column, for a placeholder with the same shape.
    pub columns: Vec<String>,
    /// A materialized view's table access method, when not `heap`.
    pub access_method: Option<String>,
    /// Column defaults (`ALTER VIEW … SET DEFAULT`): quoted column, expression.
    pub defaults: Vec<(String, String)>,
    /// A materialized view's column settings that are not the defaults: quoted column, settings.
    pub settings: Vec<(String, ColumnSettings)>,
}

/// Reads every user view and materialized view.
pub(super) async fn read(client: &Client) -> Result<Vec<View>> {
    let mut views = Vec::new();
    let sql = format!(
            "SELECT c.oid, n.nspname, c.relname, c.relkind = 'm', c.relispopulated, \
             coalesce(c.reloptions, '{{}}')::text[], pg_catalog.pg_get_viewdef(c.oid), \
             ARRAY(SELECT pg_catalog.quote_ident(a.attname) || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod) \
                   || {} \
                   FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum), \
             (SELECT pg_catalog.quote_ident(am.amname) FROM pg_catalog.pg_am am WHERE am.oid = c.relam AND am.amname <> 'heap'), \
             ARRAY(SELECT pg_catalog.quote_ident(a.attname) FROM pg_catalog.pg_attrdef d JOIN pg_catalog.pg_attribute a \
                   ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = c.oid ORDER BY a.attnum), \
             ARRAY(SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d \
                   WHERE d.adrelid = c.oid ORDER BY d.adnum) \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('v', 'm') AND {USER_NS} AND {} ORDER BY c.oid",
            collate_clause("a.attcollation", "t.typcollation"),
            not_member("pg_class", "c.oid")
        );
    for r in client.query(&sql, &[]).await.map_err(db("views"))? {
        views.push(View {
            oid: r.get(0),
            schema: r.get(1),
            name: r.get(2),
            materialized: r.get(3),
            populated: r.get(4),
            options: r.get(5),
            query: r.get(6),
            columns: r.get(7),
            access_method: r.get(8),
            defaults: r.get::<_, Vec<String>>(9).into_iter().zip(r.get::<_, Vec<String>>(10)).collect(),
            settings: Vec::new(),
        });
    }
    read_settings(client, &mut views).await?;
    Ok(views)
}

/// The column settings of materialized views (statistics targets, storage, options, compression).
async fn read_settings(client: &Client, views: &mut [View]) -> Result<()> {
    let oids: Vec<u32> = views.iter().filter(|v| v.materialized).map(|v| v.oid).collect();
    let sql = format!(
        "SELECT a.attrelid, pg_catalog.quote_ident(a.attname), {COLUMN_SETTINGS} \
         FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
         WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum"
    );
    let index: HashMap<u32, usize> = views.iter().enumerate().map(|(i, v)| (v.oid, i)).collect();
    for r in client.query(&sql, &[&oids]).await.map_err(db("materialized view columns"))? {
        let settings = ColumnSettings::from_row(&r, 2);
        if settings.is_default() {
            continue;
        }
        views[index[&r.get::<_, u32>(0)]].settings.push((r.get(1), settings));
    }
    Ok(())
}

/// Views and materialized views by oid → (schema, name), for filters and messages (extension
/// members left out, internal ones kept).
pub(super) async fn read_names(client: &Client) -> Result<HashMap<u32, (String, String)>> {
    let mut names = HashMap::new();
    for r in client
            .query(
                &format!("SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('v', 'm') AND {USER_NS} AND {}", not_extension_member("pg_class", "c.oid")),
                &[],
            )
            .await
            .map_err(db("views"))?
        {
            names.insert(r.get(0), (r.get(1), r.get(2)));
        }
    Ok(names)
}

/// The views in scope, and the refresh of each populated materialized view.
pub(super) fn build(cx: &Context<'_>, nodes: &mut Vec<Node>) {
    for v in cx.cat.views.iter().filter(|v| cx.scope.view_oids.contains(&v.oid)) {
        let q = qualified(&v.schema, &v.name);
        let with = if v.options.is_empty() { String::new() } else { format!(" WITH ({})", v.options.join(", ")) };
        let key = ObjKey::new(class::REL, v.oid);
        let query = v.query.trim_end().trim_end_matches(';');
        let (kind, mut sql, drop) = if v.materialized {
            let using = v.access_method.as_ref().map(|am| format!(" USING {am}")).unwrap_or_default();
            (
                Kind::MaterializedView,
                format!("CREATE MATERIALIZED VIEW {q}{using}{with} AS\n{query}\n  WITH NO DATA;"),
                format!("DROP MATERIALIZED VIEW IF EXISTS {q} CASCADE;"),
            )
        } else {
            (Kind::View, format!("CREATE VIEW {q}{with} AS\n{query};"), format!("DROP VIEW IF EXISTS {q} CASCADE;"))
        };
        for (column, settings) in &v.settings {
            sql.push_str(&settings.alters(&format!("TABLE ONLY {q}"), column, true));
        }
        for (column, expr) in &v.defaults {
            sql.push_str(&format!("\nALTER VIEW {q} ALTER COLUMN {column} SET DEFAULT {expr};"));
        }
        let mut it = item(Section::PreData, kind, Some(&v.schema), &v.name, sql);
        it.drop = Some(drop);
        nodes.push(Node::new(it, Some(key), vec![], 7));
        if v.materialized && v.populated {
            let mut it = item(
                Section::PostData,
                Kind::Refresh,
                Some(&v.schema),
                &v.name,
                format!("REFRESH MATERIALIZED VIEW {q};"),
            );
            it.table = Some(v.name.clone());
            it.touches = cx.touches_for(key, vec![format!("{}.{}", v.schema, v.name)]);
            nodes.push(Node::new(it, None, vec![key], 7));
        }
    }
}

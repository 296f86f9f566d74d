//! Views and materialized views (`pg_get_viewdef`), materialized views refreshed after the data
//! when they were populated. A view that needs a post-data object (a primary key making its
//! GROUP BY columns functionally dependent) is created as a placeholder and replaced later.

use std::collections::HashMap;

use tokio_postgres::Client;

use super::depsort::{Depends, Node};
use super::item;
use super::key::{class, ObjKey};
use super::query::{db, not_extension_member, not_member, USER_NS};
use super::scope::Context;
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
}

/// Reads every user view and materialized view.
pub(super) async fn read(client: &Client) -> Result<Vec<View>> {
    let mut views = Vec::new();
    let sql = format!(
            "SELECT c.oid, n.nspname, c.relname, c.relkind = 'm', c.relispopulated, \
             coalesce(c.reloptions, '{{}}')::text[], pg_catalog.pg_get_viewdef(c.oid), \
             ARRAY(SELECT pg_catalog.quote_ident(a.attname) || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod) \
                   || CASE WHEN a.attcollation <> t.typcollation THEN ' COLLATE ' || (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) ELSE '' END \
                   FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum), \
             (SELECT pg_catalog.quote_ident(am.amname) FROM pg_catalog.pg_am am WHERE am.oid = c.relam AND am.amname <> 'heap'), \
             ARRAY(SELECT pg_catalog.quote_ident(a.attname) FROM pg_catalog.pg_attrdef d JOIN pg_catalog.pg_attribute a \
                   ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = c.oid ORDER BY a.attnum), \
             ARRAY(SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d \
                   WHERE d.adrelid = c.oid ORDER BY d.adnum) \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('v', 'm') AND {USER_NS} AND {} ORDER BY c.oid",
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
        });
    }
    Ok(views)
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

/// A view whose query needs a post-data object (a primary key making GROUP BY columns
/// functionally dependent) is created as a placeholder with the same columns in pre-data and
/// replaced by its real definition once that object exists; a materialized view moves to
/// post-data whole.
pub(super) fn postpone_early(nodes: &mut Vec<Node>, views: &[View], depends: &Depends) {
    let views: HashMap<u32, &View> = views.iter().map(|v| (v.oid, v)).collect();
    let mut extra = Vec::new();
    for (i, needs) in depends.early_dependents(nodes) {
        let Some(key) = nodes[i].key.filter(|k| k.class == class::REL) else { continue };
        let Some(v) = views.get(&key.oid) else { continue };
        let q = qualified(&v.schema, &v.name);
        let touches: Vec<String> = needs
            .iter()
            .flat_map(|k| nodes.iter().filter(|n| n.key == Some(*k)))
            .flat_map(|n| n.item.touches.clone())
            .collect();
        if v.materialized {
            let n = &mut nodes[i];
            n.item.section = Section::PostData;
            n.item.touches = touches;
            n.item.touches.push(format!("{}.{}", v.schema, v.name));
            n.deps.extend(needs);
            continue;
        }
        let placeholder: Vec<String> = v
            .columns
            .iter()
            .map(|c| match c.split_once(' ') {
                Some((name, rest)) => format!("NULL::{rest} AS {name}"),
                None => c.clone(),
            })
            .collect();
        let real = std::mem::replace(
            &mut nodes[i].item.sql,
            format!("CREATE VIEW {q} AS\n SELECT {};", placeholder.join(",\n    ")),
        );
        let mut it = nodes[i].item.clone();
        it.section = Section::PostData;
        it.sql = real.replacen("CREATE VIEW", "CREATE OR REPLACE VIEW", 1);
        it.drop = None;
        it.touches = touches;
        it.touches.push(format!("{}.{}", v.schema, v.name));
        let mut deps = needs;
        deps.push(key);
        extra.push(Node::new(it, None, deps, 5));
    }
    nodes.extend(extra);
}

//! Tables: ordinary, partitioned, partitions, inheritance children, unlogged and foreign
//! tables, with their columns (types, collations, defaults, identity, generated columns),
//! inline CHECK constraints, storage parameters and replica identity.

use std::collections::HashMap;

use tokio_postgres::Client;

use super::depsort::Node;
use super::key::{class, ObjKey};
use super::query::{ch, collate_clause, db, not_extension_member, USER_NS};
use super::scope::Context;
use super::{item, sequences};
use crate::archive::{Kind, Section};
use crate::error::Result;
use crate::sql::{ident, qualified};

/// A table or partitioned table.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub oid: u32,
    pub schema: String,
    pub name: String,
    /// `r` (ordinary) or `p` (partitioned).
    pub kind: char,
    pub unlogged: bool,
    /// For a partition: the parent's oid and the `FOR VALUES …` clause.
    pub partition_of: Option<(u32, String)>,
    /// For a partitioned table: `RANGE (…)`, `LIST (…)`, `HASH (…)`.
    pub partition_key: Option<String>,
    /// For a foreign table: `SERVER x OPTIONS (…)`.
    pub foreign: Option<String>,
    pub heap_bytes: u64,
    pub table_bytes: u64,
    pub columns: Vec<Column>,
    /// Validated local CHECK constraints written inside `CREATE TABLE`: name, definition, oid.
    pub checks: Vec<(String, String, u32)>,
    /// Inheritance parents (not partition parents), in order.
    pub inherits: Vec<u32>,
    /// Storage parameters (`fillfactor=70`).
    pub options: Vec<String>,
    /// `FULL`, `NOTHING` or `USING INDEX x` when not the default.
    pub replica_identity: Option<String>,
    /// Its table access method (quoted); `None` where it has none (a partitioned table that
    /// never set one, a foreign table).
    pub access_method: Option<String>,
}

/// A column, with what `CREATE TABLE` needs.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub name: String,
    pub type_sql: String,
    pub type_oid: u32,
    pub not_null: bool,
    /// `a` (ALWAYS), `d` (BY DEFAULT) or none.
    pub identity: Option<char>,
    /// Whether the column is `GENERATED ALWAYS AS (…)`: its rows are computed, not copied.
    pub generated: bool,
    /// `VIRTUAL` (PostgreSQL 18) rather than `STORED`.
    pub generated_virtual: bool,
    /// Default or generation expression.
    pub expr: Option<String>,
    /// Its `pg_attrdef` row.
    pub default_oid: Option<u32>,
    /// ` COLLATE schema.name`, when not the collation its type brings.
    pub collation: Option<String>,
    /// Defined in this table (not only inherited from a parent).
    pub local: bool,
    /// Inherited from a parent (it may be defined locally as well).
    pub inherited: bool,
    /// The name of its NOT NULL constraint (PostgreSQL 18 names them).
    pub not_null_name: Option<String>,
    /// Whether that constraint is the table's own (not only inherited); `None` before 18.
    pub not_null_local: Option<bool>,
    /// Whether that constraint is `NO INHERIT` (PostgreSQL 18).
    pub not_null_no_inherit: bool,
    /// Statistics target, storage, options and compression, when not the defaults.
    pub settings: ColumnSettings,
    /// A foreign table column's `OPTIONS (…)` contents.
    pub fdw_options: Option<String>,
}

/// Reads every user table with its columns (parents before their partitions and children); their
/// sizes are read apart ([`read_sizes`]), once they are locked: reading a size takes a lock.
pub(super) async fn read(client: &Client) -> Result<Vec<Table>> {
    let mut tables = read_tables(client).await?;
    let oids: Vec<u32> = tables.iter().map(|t| t.oid).collect();
    read_columns(client, &mut tables, &oids).await?;
    Ok(tables)
}

/// Fills in each table's heap and heap + TOAST bytes.
pub(super) async fn read_sizes(client: &Client, tables: &mut [Table]) -> Result<()> {
    let oids: Vec<u32> = tables.iter().map(|t| t.oid).collect();
    let rows = client
        .query(
            "SELECT t.oid, pg_catalog.pg_relation_size(t.oid), pg_catalog.pg_table_size(t.oid) \
             FROM pg_catalog.unnest($1::pg_catalog.oid[]) AS t(oid)",
            &[&oids],
        )
        .await
        .map_err(db("table sizes"))?;
    let sizes: HashMap<u32, (i64, i64)> = rows.iter().map(|r| (r.get(0), (r.get(1), r.get(2)))).collect();
    for t in tables {
        if let Some(&(heap, total)) = sizes.get(&t.oid) {
            (t.heap_bytes, t.table_bytes) = (heap as u64, total as u64);
        }
    }
    Ok(())
}

async fn read_tables(client: &Client) -> Result<Vec<Table>> {
    let mut tables = Vec::new();
    let sql = format!(
        "SELECT c.oid, n.nspname, c.relname, c.relkind::text, c.relpersistence = 'u', \
         (SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid AND c.relispartition), \
         CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END, \
         CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END, \
         coalesce(c.reloptions, '{{}}')::text[], \
         CASE c.relreplident WHEN 'f' THEN 'FULL' WHEN 'n' THEN 'NOTHING' \
           WHEN 'i' THEN 'USING INDEX ' || pg_catalog.quote_ident((SELECT ic.relname FROM pg_catalog.pg_index i \
             JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid AND i.indisreplident)) END, \
         ARRAY(SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid AND NOT c.relispartition ORDER BY i.inhseqno), \
         (SELECT 'SERVER ' || pg_catalog.quote_ident(fs.srvname) || coalesce(' OPTIONS (' || (SELECT pg_catalog.string_agg( \
             pg_catalog.quote_ident(o.option_name) || ' ' || pg_catalog.quote_literal(o.option_value), ', ') \
             FROM pg_catalog.pg_options_to_table(ft.ftoptions) o) || ')', '') \
          FROM pg_catalog.pg_foreign_table ft JOIN pg_catalog.pg_foreign_server fs ON fs.oid = ft.ftserver WHERE ft.ftrelid = c.oid), \
         (SELECT pg_catalog.quote_ident(am.amname) FROM pg_catalog.pg_am am WHERE am.oid = c.relam) \
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'f') AND {USER_NS} AND {} ORDER BY n.nspname, c.relname",
        not_extension_member("pg_class", "c.oid")
    );
    for r in client.query(&sql, &[]).await.map_err(db("tables"))? {
        let parent: Option<u32> = r.get(5);
        let bound: Option<String> = r.get(6);
        tables.push(Table {
            oid: r.get(0),
            schema: r.get(1),
            name: r.get(2),
            kind: ch(r.get(3)),
            unlogged: r.get(4),
            partition_of: parent.zip(bound),
            partition_key: r.get(7),
            heap_bytes: 0,
            table_bytes: 0,
            columns: Vec::new(),
            checks: Vec::new(),
            options: r.get(8),
            replica_identity: r.get(9),
            inherits: r.get(10),
            foreign: r.get(11),
            access_method: r.get(12),
        });
    }
    // Parents before their partitions.
    let depth = |t: &Table, all: &[Table]| {
        let mut d = 0;
        let parent = |t: &Table| t.partition_of.as_ref().map(|p| p.0).or_else(|| t.inherits.first().copied());
        let mut cur = parent(t);
        while let Some(p) = cur {
            d += 1;
            if d > 64 {
                break;
            }
            cur = all.iter().find(|x| x.oid == p).and_then(parent);
        }
        d
    };
    let depths: HashMap<u32, usize> = tables.iter().map(|t| (t.oid, depth(t, &tables))).collect();
    tables.sort_by_key(|t| depths[&t.oid]);
    Ok(tables)
}

async fn read_columns(client: &Client, tables: &mut [Table], oids: &[u32]) -> Result<()> {
    let sql = format!(
        "SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.atttypid, \
             a.attnotnull, a.attidentity::text, a.attgenerated::text, a.attislocal, a.attinhcount > 0, \
             pg_catalog.pg_get_expr(d.adbin, d.adrelid), \
             NULLIF({}, ''), \
             (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(o.option_name) || ' ' || pg_catalog.quote_literal(o.option_value), ', ') \
              FROM pg_catalog.pg_options_to_table(a.attfdwoptions) o), \
             nn.conname::text, {COLUMN_SETTINGS}, d.oid, nn.conislocal, coalesce(nn.connoinherit, false) \
             FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
             LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             LEFT JOIN pg_catalog.pg_constraint nn ON nn.conrelid = a.attrelid AND nn.contype = 'n' \
               AND nn.conkey[1] = a.attnum \
             WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attrelid, a.attnum",
        collate_clause("a.attcollation", "t.typcollation")
    );
    let rows = client.query(&sql, &[&oids]).await.map_err(db("columns"))?;
    let index: HashMap<u32, usize> = tables.iter().enumerate().map(|(i, t)| (t.oid, i)).collect();
    for r in rows {
        let identity: String = r.get(5);
        let generated: String = r.get(6);
        tables[index[&r.get::<_, u32>(0)]].columns.push(Column {
            name: r.get(1),
            type_sql: r.get(2),
            type_oid: r.get(3),
            not_null: r.get(4),
            identity: identity.chars().next(),
            generated: generated == "s" || generated == "v",
            generated_virtual: generated == "v",
            local: r.get(7),
            inherited: r.get(8),
            expr: r.get(9),
            collation: r.get(10),
            fdw_options: r.get(11),
            not_null_name: r.get(12),
            settings: ColumnSettings::from_row(&r, 13),
            default_oid: r.get(17),
            not_null_local: r.get(18),
            not_null_no_inherit: r.get(19),
        });
    }
    Ok(())
}

/// `CREATE TABLE` for every selected table (with its inherited columns' own defaults and its
/// replica identity).
pub(super) fn build(cx: &Context<'_>, nodes: &mut Vec<Node>) {
    let identity_seq = sequences::identity_sequences(cx);
    for t in cx.cat.tables.iter().filter(|t| cx.selected.contains(&t.oid)) {
        let q = qualified(&t.schema, &t.name);
        let mut parts = Vec::new();
        // A partition's columns come from its parent; an inheritance child's inherited columns
        // come from its parents.
        for c in t.columns.iter().filter(|c| t.partition_of.is_none() && c.local) {
            let default = !cx.detached_default(c);
            parts.push(column_sql(t, c, identity_seq.get(&(t.oid, c.name.as_str())).copied(), default));
        }
        // A partition's NOT NULL constraints take its parent's names (PostgreSQL 18) unless it
        // names its own. A source without names (before 18) gets the names a server that has
        // them gives a partition created on its own and attached, as pg_dump restores it.
        if let Some(parent) = t.partition_of.as_ref().and_then(|(p, _)| cx.by_oid.get(p)) {
            for c in t.columns.iter().filter(|c| c.not_null) {
                let parents = parent.columns.iter().find(|p| p.name == c.name).and_then(|p| p.not_null_name.as_ref());
                let own = match &c.not_null_name {
                    Some(name) => Some(name.clone()).filter(|n| Some(n) != parents),
                    None => Some(format!("{}_{}_not_null", t.name, c.name)).filter(|n| n.len() < 64),
                };
                if let Some(name) = own {
                    parts.push(format!("{} CONSTRAINT {} NOT NULL", ident(&c.name), ident(&name)));
                }
            }
        }
        if cx.leave.keeps(Kind::Constraint) {
            for (name, def, _) in
                t.checks.iter().filter(|(_, _, oid)| !cx.detached.contains(&ObjKey::new(class::CONSTRAINT, *oid)))
            {
                parts.push(format!("CONSTRAINT {} {def}", ident(name)));
            }
        }
        let body = if parts.is_empty() && t.partition_of.is_some() {
            String::new()
        } else {
            format!(" (\n    {}\n)", parts.join(",\n    "))
        };
        let unlogged = match (t.unlogged, t.foreign.is_some()) {
            (_, true) => "FOREIGN ",
            (true, _) => "UNLOGGED ",
            _ => "",
        };
        // A parent outside the dump (an extension's table) cannot be named: such a partition is
        // dumped as a table of its own.
        let mut sql = match t.partition_of.as_ref().and_then(|(parent, bound)| Some((cx.by_oid.get(parent)?, bound))) {
            Some((p, bound)) => {
                format!("CREATE {unlogged}TABLE {q} PARTITION OF {}{body} {bound}", qualified(&p.schema, &p.name))
            }
            None => format!("CREATE {unlogged}TABLE {q}{body}"),
        };
        if !t.inherits.is_empty() {
            let parents: Vec<String> =
                t.inherits.iter().filter_map(|p| cx.by_oid.get(p)).map(|p| qualified(&p.schema, &p.name)).collect();
            sql.push_str(&format!(" INHERITS ({})", parents.join(", ")));
        }
        if let Some(key) = &t.partition_key {
            sql.push_str(&format!(" PARTITION BY {key}"));
        }
        if let Some(server) = &t.foreign {
            sql.push_str(&format!(" {server}"));
        }
        if let Some(am) = access_method(cx, t) {
            sql.push_str(&format!(" USING {am}"));
        }
        if !t.options.is_empty() {
            sql.push_str(&format!(" WITH ({})", t.options.join(", ")));
        }
        sql.push(';');
        sql.push_str(&column_alters(cx, t));
        if let Some(ri) = t.replica_identity.as_ref().filter(|_| t.foreign.is_none()) {
            sql.push_str(&format!("\nALTER TABLE ONLY {q} REPLICA IDENTITY {ri};"));
        }
        let mut it = item(Section::PreData, Kind::Table, Some(&t.schema), &t.name, sql);
        let word = if t.foreign.is_some() { "FOREIGN TABLE" } else { "TABLE" };
        it.drop = Some(format!("DROP {word} IF EXISTS {q} CASCADE;"));
        it.touches = cx.lineage(t);
        let mut deps: Vec<ObjKey> = t.inherits.iter().map(|p| ObjKey::new(class::REL, *p)).collect();
        if let Some((p, _)) = &t.partition_of {
            deps.push(ObjKey::new(class::REL, *p));
        }
        nodes.push(Node::new(it, Some(ObjKey::new(class::REL, t.oid)), deps, 6));
    }
}

/// The `USING` a table's `CREATE TABLE` needs: its access method where it differs from the one
/// it would get without (a partition: its parent's, PostgreSQL 17 on, else `heap`; a
/// partitioned table: none).
fn access_method<'a>(cx: &Context<'_>, t: &'a Table) -> Option<&'a str> {
    let own = t.access_method.as_deref()?;
    let parent = t.partition_of.as_ref().and_then(|(p, _)| cx.by_oid.get(p));
    let inherited = parent.map_or("heap", |p| p.access_method.as_deref().unwrap_or("heap"));
    (own != inherited || (t.kind == 'p' && parent.is_none())).then_some(own)
}

/// A column's definition inside `CREATE TABLE`, with the sequence of its identity, if any.
/// `default`: whether its default is written here (not when it is a separate item, see
/// `requires.rs`).
fn column_sql(t: &Table, c: &Column, identity_seq: Option<&sequences::Sequence>, default: bool) -> String {
    let mut col = format!("{} {}", ident(&c.name), c.type_sql);
    if let Some(opts) = &c.fdw_options {
        col.push_str(&format!(" OPTIONS ({opts})"));
    }
    if let Some(coll) = &c.collation {
        col.push_str(coll);
    }
    match (&c.expr, c.generated) {
        // An inherited generated column takes its parent's expression.
        (Some(_), true) if c.inherited => {}
        (Some(e), true) => {
            let how = if c.generated_virtual { "VIRTUAL" } else { "STORED" };
            col.push_str(&format!(" GENERATED ALWAYS AS ({e}) {how}"))
        }
        (Some(e), false) if default => col.push_str(&format!(" DEFAULT {e}")),
        _ => {}
    }
    // PostgreSQL 18 catalogs NOT NULL constraints: one only inherited comes from the parent's
    // definition (writing it here would make it the child's own too).
    if c.not_null && c.not_null_local != Some(false) {
        // Keep a name other than the one the server would choose.
        match c.not_null_name.as_ref().filter(|n| **n != format!("{}_{}_not_null", t.name, c.name)) {
            Some(name) => col.push_str(&format!(" CONSTRAINT {} NOT NULL", ident(name))),
            None => col.push_str(" NOT NULL"),
        }
        if c.not_null_no_inherit {
            col.push_str(" NO INHERIT");
        }
    }
    if let Some(kind) = c.identity {
        let how = if kind == 'a' { "ALWAYS" } else { "BY DEFAULT" };
        match identity_seq {
            Some(s) => col.push_str(&format!(
                " GENERATED {how} AS IDENTITY (SEQUENCE NAME {} {})",
                qualified(&s.schema, &s.name),
                sequences::options(s)
            )),
            None => col.push_str(&format!(" GENERATED {how} AS IDENTITY")),
        }
    }
    col
}

/// `ALTER TABLE` statements for what `CREATE TABLE` cannot say about columns: defaults that
/// differ from the inherited ones (an inheritance child's, a partition's own), and per-column
/// statistics targets, storage, options and compression.
fn column_alters(cx: &Context<'_>, t: &Table) -> String {
    let q = qualified(&t.schema, &t.name);
    let word = if t.foreign.is_some() { "FOREIGN TABLE" } else { "TABLE" };
    let parent = t.partition_of.as_ref().and_then(|(p, _)| cx.by_oid.get(p));
    let mut sql = String::new();
    for c in &t.columns {
        let col = ident(&c.name);
        let inherited_default = match parent {
            Some(p) => p.columns.iter().find(|pc| pc.name == c.name).and_then(|pc| pc.expr.as_ref()),
            None => None,
        };
        let own_default = match (&c.expr, c.generated) {
            // Columns whose local definition differs from the inherited one.
            (Some(e), false) if t.partition_of.is_none() && !c.local => Some(e),
            (Some(e), false) if parent.is_some() && inherited_default != Some(e) => Some(e),
            _ => None,
        };
        if let Some(e) = own_default.filter(|_| !cx.detached_default(c)) {
            sql.push_str(&format!("\nALTER TABLE ONLY {q} ALTER COLUMN {col} SET DEFAULT {e};"));
        }
        let compression = t.foreign.is_none();
        sql.push_str(&c.settings.alters(&format!("{word} ONLY {q}"), &col, compression));
    }
    sql
}

/// `pg_attribute` columns (alias `a`, its type `t`) that `ColumnSettings::from_row` reads.
pub(super) const COLUMN_SETTINGS: &str = "CASE WHEN a.attstattarget >= 0 THEN a.attstattarget::int4 END, \
    CASE WHEN a.attstorage <> t.typstorage THEN CASE a.attstorage WHEN 'p' THEN 'PLAIN' WHEN 'e' THEN 'EXTERNAL' \
      WHEN 'm' THEN 'MAIN' ELSE 'EXTENDED' END END, \
    coalesce(a.attoptions, '{}')::text[], \
    CASE pg_catalog.to_jsonb(a) ->> 'attcompression' WHEN 'p' THEN 'pglz' WHEN 'l' THEN 'lz4' END";

/// A column's settings that `CREATE TABLE` / `CREATE MATERIALIZED VIEW` cannot say.
#[derive(Debug, Clone, Default)]
pub(crate) struct ColumnSettings {
    /// `SET STATISTICS n`, when set.
    pub statistics: Option<i32>,
    /// `SET STORAGE x`, when not the type's.
    pub storage: Option<String>,
    /// `SET (n_distinct = …)` and other column options.
    pub options: Vec<String>,
    /// `SET COMPRESSION x`, when set (PostgreSQL 14 on).
    pub compression: Option<String>,
}

impl ColumnSettings {
    /// Reads the four `COLUMN_SETTINGS` columns starting at `first`.
    pub(super) fn from_row(r: &tokio_postgres::Row, first: usize) -> ColumnSettings {
        ColumnSettings {
            statistics: r.get(first),
            storage: r.get(first + 1),
            options: r.get(first + 2),
            compression: r.get(first + 3),
        }
    }

    /// Whether every setting is the default.
    pub(super) fn is_default(&self) -> bool {
        self.statistics.is_none() && self.storage.is_none() && self.options.is_empty() && self.compression.is_none()
    }

    /// `ALTER {rel} ALTER COLUMN {col} SET …` for each setting (`rel`: `TABLE ONLY x`; the
    /// compression only where `compression` allows it, which foreign tables do not).
    pub(super) fn alters(&self, rel: &str, col: &str, compression: bool) -> String {
        let mut sql = String::new();
        if let Some(n) = self.statistics {
            sql.push_str(&format!("\nALTER {rel} ALTER COLUMN {col} SET STATISTICS {n};"));
        }
        if let Some(storage) = &self.storage {
            sql.push_str(&format!("\nALTER {rel} ALTER COLUMN {col} SET STORAGE {storage};"));
        }
        if !self.options.is_empty() {
            sql.push_str(&format!("\nALTER {rel} ALTER COLUMN {col} SET ({});", self.options.join(", ")));
        }
        if let Some(method) = self.compression.as_ref().filter(|_| compression) {
            sql.push_str(&format!("\nALTER {rel} ALTER COLUMN {col} SET COMPRESSION {method};"));
        }
        sql
    }
}

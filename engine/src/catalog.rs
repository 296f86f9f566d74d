//! Reading the catalog (inside the dump's snapshot, with an empty `search_path` so the server's
//! deparsers qualify every name) into plain structs that `ddl` turns into statements.

use std::collections::HashMap;

use tokio_postgres::Client;

use crate::copy_format::CopyFormat;
use crate::error::{Error, Result};

/// Schemas that belong to the system, never dumped.
const USER_SCHEMAS: &str = "n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'";

/// Objects created by an extension are restored by `CREATE EXTENSION`, not one by one.
fn not_extension_member(class: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = '{class}'::pg_catalog.regclass \
         AND d.objid = {oid} AND d.deptype = 'e')"
    )
}

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
    pub checks: Vec<(String, String)>,
    /// Inheritance parents (not partition parents), in order.
    pub inherits: Vec<u32>,
    /// Storage parameters (`fillfactor=70`).
    pub options: Vec<String>,
    /// `FULL`, `NOTHING` or `USING INDEX x` when not the default.
    pub replica_identity: Option<String>,
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
    /// Whether the column is `GENERATED ALWAYS AS (…) STORED`.
    pub generated: bool,
    /// Default or generation expression.
    pub expr: Option<String>,
    pub collation: Option<String>,
    /// Defined in this table (not only inherited from a parent).
    pub local: bool,
    /// A foreign table column's `OPTIONS (…)` contents.
    pub fdw_options: Option<String>,
}

/// A sequence, with its owner if any.
#[derive(Debug, Clone)]
pub(crate) struct Sequence {
    pub oid: u32,
    pub schema: String,
    pub name: String,
    pub type_sql: String,
    pub start: i64,
    pub increment: i64,
    pub max: i64,
    pub min: i64,
    pub cache: i64,
    pub cycle: bool,
    /// `(table oid, column name, identity?)`.
    pub owner: Option<(u32, String, bool)>,
    pub last_value: i64,
    pub is_called: bool,
}

/// A user-defined type.
#[derive(Debug, Clone)]
pub(crate) enum UserType {
    Enum {
        name: String,
        labels: Vec<String>,
    },
    Domain {
        name: String,
        base: String,
        not_null: bool,
        default: Option<String>,
        checks: Vec<(String, String)>,
    },
    Composite {
        name: String,
        attrs: Vec<(String, String)>,
    },
    Range {
        name: String,
        body: String,
    },
    /// A type declared but not yet defined (`CREATE TYPE x;`).
    Shell {
        name: String,
    },
}

/// A constraint on a table.
#[derive(Debug, Clone)]
pub(crate) struct Constraint {
    pub oid: u32,
    pub table: u32,
    pub name: String,
    /// `p`, `u`, `x`, `c` or `f`.
    pub kind: char,
    pub def: String,
    pub referenced: Option<u32>,
    /// For primary keys and unique constraints: their index's definition.
    pub index_def: Option<String>,
    pub deferrable: bool,
    pub deferred: bool,
}

/// An index that no constraint owns.
#[derive(Debug, Clone)]
pub(crate) struct Index {
    pub oid: u32,
    pub table: u32,
    pub name: String,
    pub def: String,
}

/// What the catalog holds, read in one snapshot.
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    pub tables: Vec<Table>,
    pub sequences: Vec<Sequence>,
    pub types: Vec<(u32, String, UserType)>,
    pub constraints: Vec<Constraint>,
    pub indexes: Vec<Index>,
    pub block_size: u64,
    /// Every user schema, by name.
    pub schema_oids: std::collections::BTreeMap<String, u32>,
    /// Views and materialized views: oid → (schema, name).
    pub view_names: HashMap<u32, (String, String)>,
    /// Oids of CHECK constraints written inside CREATE TABLE: (table, constraint).
    pub check_oids: Vec<(u32, u32)>,
    /// Oids of domain constraints (written inside CREATE DOMAIN): (domain, constraint).
    pub domain_check_oids: Vec<(u32, u32)>,
}

fn db(context: &str) -> impl Fn(tokio_postgres::Error) -> Error + '_ {
    move |e| Error::db(format!("reading the catalog ({context})"), &e)
}

fn ch(s: String) -> char {
    s.chars().next().unwrap_or(' ')
}

/// Minimal facts about every type, to decide which COPY format a table can use.
struct TypeInfo {
    kind: char,
    base: u32,
    elem: u32,
    is_array: bool,
    binary_io: bool,
}

async fn type_infos(client: &Client) -> Result<HashMap<u32, TypeInfo>> {
    let rows = client
        .query(
            "SELECT t.oid, t.typtype::text, t.typbasetype, t.typelem, t.typcategory = 'A', \
             t.typsend <> 0 AND t.typreceive <> 0 FROM pg_catalog.pg_type t",
            &[],
        )
        .await
        .map_err(db("types"))?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r.get::<_, u32>(0),
                TypeInfo {
                    kind: ch(r.get(1)),
                    base: r.get(2),
                    elem: r.get(3),
                    is_array: r.get(4),
                    binary_io: r.get(5),
                },
            )
        })
        .collect())
}

/// Oids below this were assigned by initdb and are the same in every database.
const FIRST_NORMAL_OID: u32 = 16384;

/// Whether a value of this type survives binary COPY into another database: composites and
/// arrays embed type oids, which differ between databases for user-defined types.
fn binary_portable(types: &HashMap<u32, TypeInfo>, oid: u32) -> bool {
    let Some(t) = types.get(&oid) else { return false };
    if !t.binary_io {
        return false;
    }
    match t.kind {
        'd' => binary_portable(types, t.base),
        'c' => false,
        _ if t.is_array => t.elem < FIRST_NORMAL_OID && binary_portable(types, t.elem),
        _ => true,
    }
}

impl Catalog {
    /// The COPY format a table's data is dumped in.
    pub fn copy_format(table: &Table, portable: &dyn Fn(u32) -> bool) -> CopyFormat {
        if table.columns.iter().filter(|c| !c.generated).all(|c| portable(c.type_oid)) {
            CopyFormat::Binary
        } else {
            CopyFormat::Text
        }
    }

    /// Reads everything in the current transaction.
    pub async fn read(client: &Client) -> Result<(Catalog, HashMap<u32, CopyFormat>)> {
        let mut cat = Catalog {
            block_size: client
                .query_one("SELECT pg_catalog.current_setting('block_size')::int8", &[])
                .await
                .map_err(db("block size"))?
                .get::<_, i64>(0) as u64,
            ..Default::default()
        };
        for r in client
            .query(
                &format!(
                    "SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n WHERE {USER_SCHEMAS} AND {}",
                    not_extension_member("pg_namespace", "n.oid")
                ),
                &[],
            )
            .await
            .map_err(db("schemas"))?
        {
            cat.schema_oids.insert(r.get(1), r.get(0));
        }
        for r in client
            .query(
                &format!("SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('v', 'm') AND {USER_SCHEMAS} AND {}", not_extension_member("pg_class", "c.oid")),
                &[],
            )
            .await
            .map_err(db("views"))?
        {
            cat.view_names.insert(r.get(0), (r.get(1), r.get(2)));
        }
        cat.read_tables(client).await?;
        let oids: Vec<u32> = cat.tables.iter().map(|t| t.oid).collect();
        cat.read_columns(client, &oids).await?;
        cat.read_types(client).await?;
        cat.read_sequences(client).await?;
        cat.read_constraints(client, &oids).await?;
        let mut with_views = oids.clone();
        with_views.extend(cat.view_names.keys());
        cat.read_indexes(client, &with_views).await?;
        let types = type_infos(client).await?;
        let portable = |oid| binary_portable(&types, oid);
        let formats = cat.tables.iter().map(|t| (t.oid, Catalog::copy_format(t, &portable))).collect();
        Ok((cat, formats))
    }

    async fn read_tables(&mut self, client: &Client) -> Result<()> {
        let sql = format!(
            "SELECT c.oid, n.nspname, c.relname, c.relkind::text, c.relpersistence = 'u', \
             (SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid AND c.relispartition), \
             CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END, \
             CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END, \
             pg_catalog.pg_relation_size(c.oid), pg_catalog.pg_table_size(c.oid), \
             coalesce(c.reloptions, '{{}}')::text[], \
             CASE c.relreplident WHEN 'f' THEN 'FULL' WHEN 'n' THEN 'NOTHING' \
               WHEN 'i' THEN 'USING INDEX ' || pg_catalog.quote_ident((SELECT ic.relname FROM pg_catalog.pg_index i \
                 JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid AND i.indisreplident)) END, \
             ARRAY(SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid AND NOT c.relispartition ORDER BY i.inhseqno), \
             (SELECT 'SERVER ' || pg_catalog.quote_ident(fs.srvname) || coalesce(' OPTIONS (' || (SELECT pg_catalog.string_agg( \
                 pg_catalog.quote_ident(o.option_name) || ' ' || pg_catalog.quote_literal(o.option_value), ', ') \
                 FROM pg_catalog.pg_options_to_table(ft.ftoptions) o) || ')', '') \
              FROM pg_catalog.pg_foreign_table ft JOIN pg_catalog.pg_foreign_server fs ON fs.oid = ft.ftserver WHERE ft.ftrelid = c.oid) \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p', 'f') AND {USER_SCHEMAS} AND {} ORDER BY n.nspname, c.relname",
            not_extension_member("pg_class", "c.oid")
        );
        for r in client.query(&sql, &[]).await.map_err(db("tables"))? {
            let parent: Option<u32> = r.get(5);
            let bound: Option<String> = r.get(6);
            self.tables.push(Table {
                oid: r.get(0),
                schema: r.get(1),
                name: r.get(2),
                kind: ch(r.get(3)),
                unlogged: r.get(4),
                partition_of: parent.zip(bound),
                partition_key: r.get(7),
                heap_bytes: r.get::<_, i64>(8) as u64,
                table_bytes: r.get::<_, i64>(9) as u64,
                columns: Vec::new(),
                checks: Vec::new(),
                options: r.get(10),
                replica_identity: r.get(11),
                inherits: r.get(12),
                foreign: r.get(13),
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
        let depths: HashMap<u32, usize> = self.tables.iter().map(|t| (t.oid, depth(t, &self.tables))).collect();
        self.tables.sort_by_key(|t| depths[&t.oid]);
        Ok(())
    }

    async fn read_columns(&mut self, client: &Client, oids: &[u32]) -> Result<()> {
        let rows = client
            .query(
                "SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.atttypid, \
                 a.attnotnull, a.attidentity::text, a.attgenerated::text, a.attislocal, \
                 pg_catalog.pg_get_expr(d.adbin, d.adrelid), \
                 CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN \
                   pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END, \
                 (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(o.option_name) || ' ' || pg_catalog.quote_literal(o.option_value), ', ') \
                  FROM pg_catalog.pg_options_to_table(a.attfdwoptions) o) \
                 FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
                 LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                 LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation \
                 LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace \
                 WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped \
                 ORDER BY a.attrelid, a.attnum",
                &[&oids],
            )
            .await
            .map_err(db("columns"))?;
        let index: HashMap<u32, usize> = self.tables.iter().enumerate().map(|(i, t)| (t.oid, i)).collect();
        for r in rows {
            let identity: String = r.get(5);
            let generated: String = r.get(6);
            self.tables[index[&r.get::<_, u32>(0)]].columns.push(Column {
                name: r.get(1),
                type_sql: r.get(2),
                type_oid: r.get(3),
                not_null: r.get(4),
                identity: identity.chars().next(),
                generated: generated == "s",
                local: r.get(7),
                expr: r.get(8),
                collation: r.get(9),
                fdw_options: r.get(10),
            });
        }
        Ok(())
    }

    async fn read_types(&mut self, client: &Client) -> Result<()> {
        let sql = format!(
            "SELECT t.oid, n.nspname, t.typname, t.typtype::text, \
             ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder), \
             pg_catalog.format_type(t.typbasetype, t.typtypmod) \
               || CASE WHEN t.typcollation <> 0 AND t.typcollation <> (SELECT b.typcollation FROM pg_catalog.pg_type b WHERE b.oid = t.typbasetype) \
                  THEN ' COLLATE ' || \
                    (SELECT pg_catalog.quote_ident(tcn.nspname) || '.' || pg_catalog.quote_ident(tco.collname) FROM pg_catalog.pg_collation tco JOIN pg_catalog.pg_namespace tcn ON tcn.oid = tco.collnamespace WHERE tco.oid = t.typcollation) ELSE '' END, \
             t.typnotnull, pg_catalog.pg_get_expr(t.typdefaultbin, 0), \
             ARRAY(SELECT co.conname::text FROM pg_catalog.pg_constraint co WHERE co.contypid = t.oid ORDER BY co.conname), \
             ARRAY(SELECT pg_catalog.pg_get_constraintdef(co.oid) FROM pg_catalog.pg_constraint co WHERE co.contypid = t.oid ORDER BY co.conname), \
             ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum), \
             ARRAY(SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) \
             , (SELECT concat_ws(', ', 'SUBTYPE = ' || pg_catalog.format_type(rg.rngsubtype, NULL), \
                 CASE WHEN NOT oc.opcdefault THEN 'SUBTYPE_OPCLASS = ' || pg_catalog.quote_ident(ocn.nspname) || '.' || pg_catalog.quote_ident(oc.opcname) END, \
                 CASE WHEN rg.rngcollation <> 0 AND rg.rngcollation <> st.typcollation THEN 'COLLATION = ' || (SELECT pg_catalog.quote_ident(rcn.nspname) || '.' || pg_catalog.quote_ident(rco.collname) FROM pg_catalog.pg_collation rco JOIN pg_catalog.pg_namespace rcn ON rcn.oid = rco.collnamespace WHERE rco.oid = rg.rngcollation) END, \
                 CASE WHEN rg.rngcanonical <> 0 THEN 'CANONICAL = ' || rg.rngcanonical::pg_catalog.regproc::text END, \
                 CASE WHEN rg.rngsubdiff <> 0 THEN 'SUBTYPE_DIFF = ' || rg.rngsubdiff::pg_catalog.regproc::text END, \
                 'MULTIRANGE_TYPE_NAME = ' || ((pg_catalog.to_jsonb(rg) ->> 'rngmultitypid')::pg_catalog.oid)::pg_catalog.regtype::text) \
               FROM pg_catalog.pg_range rg JOIN pg_catalog.pg_type st ON st.oid = rg.rngsubtype \
               JOIN pg_catalog.pg_opclass oc ON oc.oid = rg.rngsubopc JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace \
               WHERE rg.rngtypid = t.oid) \
             FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
             WHERE {USER_SCHEMAS} AND {} AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'p' AND NOT t.typisdefined) OR (t.typtype = 'c' AND \
               (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')) \
             ORDER BY t.oid",
            not_extension_member("pg_type", "t.oid")
        );
        for r in client
            .query("SELECT co.contypid, co.oid FROM pg_catalog.pg_constraint co WHERE co.contypid <> 0", &[])
            .await
            .map_err(db("domain constraints"))?
        {
            self.domain_check_oids.push((r.get(0), r.get(1)));
        }
        for r in client.query(&sql, &[]).await.map_err(db("types"))? {
            let schema: String = r.get(1);
            let name: String = r.get(2);
            let ty = match ch(r.get(3)) {
                'e' => UserType::Enum { name, labels: r.get(4) },
                'r' => UserType::Range { name, body: r.get(12) },
                'p' => UserType::Shell { name },
                'd' => {
                    let names: Vec<String> = r.get(8);
                    let defs: Vec<String> = r.get(9);
                    UserType::Domain {
                        name,
                        base: r.get(5),
                        not_null: r.get(6),
                        default: r.get(7),
                        checks: names.into_iter().zip(defs).collect(),
                    }
                }
                _ => {
                    let names: Vec<String> = r.get(10);
                    let types: Vec<String> = r.get(11);
                    UserType::Composite { name, attrs: names.into_iter().zip(types).collect() }
                }
            };
            self.types.push((r.get(0), schema, ty));
        }
        Ok(())
    }

    async fn read_sequences(&mut self, client: &Client) -> Result<()> {
        let sql = format!(
            "SELECT c.oid, n.nspname, c.relname, pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, \
             s.seqmax, s.seqmin, s.seqcache, s.seqcycle, d.refobjid, a.attname, d.deptype = 'i' \
             FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_class'::pg_catalog.regclass AND d.objid = c.oid \
               AND d.refclassid = 'pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i') \
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
             WHERE {USER_SCHEMAS} AND {} ORDER BY n.nspname, c.relname",
            not_extension_member("pg_class", "c.oid")
        );
        for r in client.query(&sql, &[]).await.map_err(db("sequences"))? {
            let schema: String = r.get(1);
            let name: String = r.get(2);
            let owner_table: Option<u32> = r.get(10);
            let owner_col: Option<String> = r.get(11);
            let identity: Option<bool> = r.get(12);
            let value_sql = format!("SELECT last_value, is_called FROM {}", crate::ddl::qualified(&schema, &name));
            let v = client
                .query_one(&value_sql, &[])
                .await
                .map_err(|e| Error::db(format!("reading sequence {schema}.{name}"), &e))?;
            self.sequences.push(Sequence {
                oid: r.get(0),
                schema,
                name,
                type_sql: r.get(3),
                start: r.get(4),
                increment: r.get(5),
                max: r.get(6),
                min: r.get(7),
                cache: r.get(8),
                cycle: r.get(9),
                owner: owner_table.zip(owner_col).map(|(t, c)| (t, c, identity.unwrap_or(false))),
                last_value: v.get(0),
                is_called: v.get(1),
            });
        }
        Ok(())
    }

    async fn read_constraints(&mut self, client: &Client, oids: &[u32]) -> Result<()> {
        let rows = client
            .query(
                "SELECT co.conrelid, co.conname, co.contype::text, pg_catalog.pg_get_constraintdef(co.oid), \
                 co.convalidated, co.conislocal, co.conparentid <> 0, co.confrelid, co.oid, \
                 CASE WHEN co.contype IN ('p', 'u') THEN pg_catalog.pg_get_indexdef(co.conindid) END, co.condeferrable, co.condeferred \
                 FROM pg_catalog.pg_constraint co \
                 WHERE co.conrelid = ANY($1) AND co.contype IN ('p', 'u', 'x', 'c', 'f') \
                 ORDER BY co.conrelid, co.conname",
                &[&oids],
            )
            .await
            .map_err(db("constraints"))?;
        let index: HashMap<u32, usize> = self.tables.iter().enumerate().map(|(i, t)| (t.oid, i)).collect();
        for r in rows {
            let table: u32 = r.get(0);
            let kind = ch(r.get(2));
            let validated: bool = r.get(4);
            let local: bool = r.get(5);
            let inherited_from_parent: bool = r.get(6);
            if !local || inherited_from_parent {
                continue; // created by the parent's definition
            }
            let name: String = r.get(1);
            let def: String = r.get(3);
            if kind == 'c' && validated {
                self.tables[index[&table]].checks.push((name, def));
                self.check_oids.push((table, r.get(8)));
                continue;
            }
            let referenced: u32 = r.get(7);
            self.constraints.push(Constraint {
                oid: r.get(8),
                table,
                name,
                kind,
                def,
                referenced: (referenced != 0).then_some(referenced),
                index_def: r.get(9),
                deferrable: r.get(10),
                deferred: r.get(11),
            });
        }
        Ok(())
    }

    async fn read_indexes(&mut self, client: &Client, oids: &[u32]) -> Result<()> {
        let rows = client
            .query(
                "SELECT i.indrelid, ic.relname, pg_catalog.pg_get_indexdef(i.indexrelid), i.indexrelid \
                 FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid \
                 WHERE i.indrelid = ANY($1) \
                 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint co WHERE co.conindid = i.indexrelid \
                   AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x')) \
                 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits ih WHERE ih.inhrelid = i.indexrelid) \
                 ORDER BY i.indrelid, ic.relname",
                &[&oids],
            )
            .await
            .map_err(db("indexes"))?;
        for r in rows {
            self.indexes.push(Index { oid: r.get(3), table: r.get(0), name: r.get(1), def: r.get(2) });
        }
        Ok(())
    }
}

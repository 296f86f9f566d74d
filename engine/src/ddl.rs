//! Turning the catalog into tagged DDL items, in an order that restores without errors:
//! schemas, types, sequences, tables (parents before partitions), sequence ownership; then
//! sequence values (data); then constraints, indexes and foreign keys (post-data).

use std::collections::{BTreeSet, HashMap};

use crate::catalog::{Catalog, Table, UserType};
use crate::filter::Filter;
use crate::manifest::{DdlItem, Kind, Section};

/// Quotes an identifier (always, so any character is safe).
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `"schema"."name"`.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

/// A SQL string literal.
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn item(section: Section, kind: Kind, schema: Option<&str>, name: &str, sql: String) -> DdlItem {
    DdlItem {
        section,
        kind,
        schema: schema.map(str::to_string),
        name: name.to_string(),
        table: None,
        sql,
        drop: None,
        touches: Vec::new(),
    }
}

/// Which tables (by oid) a dump covers: partitions follow the table at the root of their tree.
pub(crate) fn selected_tables(cat: &Catalog, filter: &Filter) -> BTreeSet<u32> {
    let by_oid: HashMap<u32, &Table> = cat.tables.iter().map(|t| (t.oid, t)).collect();
    cat.tables
        .iter()
        .filter(|t| {
            let mut r: &Table = t;
            while let Some(p) = r.partition_of.as_ref().and_then(|(p, _)| by_oid.get(p)) {
                r = p;
            }
            filter.table(&r.schema, &r.name)
        })
        .map(|t| t.oid)
        .collect()
}

/// Builds the schema items for the selected tables and the schemas they live in.
pub(crate) fn build(cat: &Catalog, filter: &Filter, selected: &BTreeSet<u32>) -> Vec<DdlItem> {
    let by_oid: HashMap<u32, &Table> = cat.tables.iter().map(|t| (t.oid, t)).collect();
    let display = |t: &Table| format!("{}.{}", t.schema, t.name);
    // Ancestors lock along with a partition: a partition's items touch its whole tree.
    let lineage = |t: &Table| {
        let mut v = vec![display(t)];
        let mut cur = t;
        while let Some(p) = cur.partition_of.as_ref().and_then(|(p, _)| by_oid.get(p)) {
            v.push(display(p));
            cur = p;
        }
        v
    };
    // Schemas: those of the selected tables, plus every covered schema when no table filter is set.
    let mut schemas: BTreeSet<String> = selected.iter().map(|o| by_oid[o].schema.clone()).collect();
    let schema_wanted = |s: &str| schemas.contains(s) || (filter.tables.is_empty() && filter.schema(s));
    let mut items = Vec::new();

    let mut type_schemas = BTreeSet::new();
    for (schema, _) in &cat.types {
        if schema_wanted(schema) {
            type_schemas.insert(schema.clone());
        }
    }
    for s in &cat.sequences {
        if schema_wanted(&s.schema) && s.owner.as_ref().is_none_or(|(t, _, _)| selected.contains(t)) {
            type_schemas.insert(s.schema.clone());
        }
    }
    schemas.extend(type_schemas);
    for s in &schemas {
        if s != "public" {
            items.push(item(
                Section::PreData,
                Kind::Schema,
                None,
                s,
                format!("CREATE SCHEMA IF NOT EXISTS {};", ident(s)),
            ));
        }
    }

    for (schema, ty) in &cat.types {
        if !schemas.contains(schema) {
            continue;
        }
        let (name, sql, drop) = match ty {
            UserType::Enum { name, labels, .. } => {
                let labels: Vec<String> = labels.iter().map(|l| literal(l)).collect();
                let q = qualified(schema, name);
                (
                    name,
                    format!("CREATE TYPE {q} AS ENUM ({});", labels.join(", ")),
                    format!("DROP TYPE IF EXISTS {q} CASCADE;"),
                )
            }
            UserType::Domain { name, base, not_null, default, checks, .. } => {
                let q = qualified(schema, name);
                let mut sql = format!("CREATE DOMAIN {q} AS {base}");
                if let Some(d) = default {
                    sql.push_str(&format!(" DEFAULT {d}"));
                }
                if *not_null {
                    sql.push_str(" NOT NULL");
                }
                for (cname, def) in checks {
                    sql.push_str(&format!(" CONSTRAINT {} {def}", ident(cname)));
                }
                sql.push(';');
                (name, sql, format!("DROP DOMAIN IF EXISTS {q} CASCADE;"))
            }
            UserType::Composite { name, attrs, .. } => {
                let q = qualified(schema, name);
                let attrs: Vec<String> = attrs.iter().map(|(n, t)| format!("{} {t}", ident(n))).collect();
                (
                    name,
                    format!("CREATE TYPE {q} AS ({});", attrs.join(", ")),
                    format!("DROP TYPE IF EXISTS {q} CASCADE;"),
                )
            }
        };
        let mut it = item(Section::PreData, Kind::Type, Some(schema), name, sql);
        it.drop = Some(drop);
        items.push(it);
    }

    // Free-standing and serial-owned sequences (identity sequences come with their column).
    let sequences: Vec<_> = cat
        .sequences
        .iter()
        .filter(|s| schemas.contains(&s.schema))
        .filter(|s| s.owner.as_ref().is_none_or(|(t, _, _)| selected.contains(t)))
        .collect();
    let seq_options = |s: &crate::catalog::Sequence| {
        format!(
            "START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {}{}",
            s.start,
            s.increment,
            s.min,
            s.max,
            s.cache,
            if s.cycle { " CYCLE" } else { "" }
        )
    };
    for s in &sequences {
        if matches!(s.owner, Some((_, _, true))) {
            continue;
        }
        let q = qualified(&s.schema, &s.name);
        let mut it = item(
            Section::PreData,
            Kind::Sequence,
            Some(&s.schema),
            &s.name,
            format!("CREATE SEQUENCE {q} AS {} {};", s.type_sql, seq_options(s)),
        );
        it.drop = Some(format!("DROP SEQUENCE IF EXISTS {q} CASCADE;"));
        items.push(it);
    }

    let identity_seq: HashMap<(u32, &str), &crate::catalog::Sequence> = sequences
        .iter()
        .filter_map(|s| match &s.owner {
            Some((t, c, true)) => Some(((*t, c.as_str()), *s)),
            _ => None,
        })
        .collect();
    for t in cat.tables.iter().filter(|t| selected.contains(&t.oid)) {
        let q = qualified(&t.schema, &t.name);
        let mut parts = Vec::new();
        // A partition's columns come from its parent.
        for c in t.columns.iter().filter(|_| t.partition_of.is_none()) {
            let mut col = format!("{} {}", ident(&c.name), c.type_sql);
            if let Some(coll) = &c.collation {
                col.push_str(&format!(" COLLATE {coll}"));
            }
            match (&c.expr, c.generated) {
                (Some(e), true) => col.push_str(&format!(" GENERATED ALWAYS AS ({e}) STORED")),
                (Some(e), false) => col.push_str(&format!(" DEFAULT {e}")),
                _ => {}
            }
            if c.not_null {
                col.push_str(" NOT NULL");
            }
            if let Some(kind) = c.identity {
                let how = if kind == 'a' { "ALWAYS" } else { "BY DEFAULT" };
                match identity_seq.get(&(t.oid, c.name.as_str())) {
                    Some(s) => col.push_str(&format!(
                        " GENERATED {how} AS IDENTITY (SEQUENCE NAME {} {})",
                        qualified(&s.schema, &s.name),
                        seq_options(s)
                    )),
                    None => col.push_str(&format!(" GENERATED {how} AS IDENTITY")),
                }
            }
            parts.push(col);
        }
        for (name, def) in &t.checks {
            parts.push(format!("CONSTRAINT {} {def}", ident(name)));
        }
        let body = if parts.is_empty() && t.partition_of.is_some() {
            String::new()
        } else {
            format!(" (\n    {}\n)", parts.join(",\n    "))
        };
        let unlogged = if t.unlogged { "UNLOGGED " } else { "" };
        let sql = match &t.partition_of {
            Some((parent, bound)) => {
                let p = by_oid[parent];
                format!("CREATE {unlogged}TABLE {q} PARTITION OF {}{body} {bound}", qualified(&p.schema, &p.name))
            }
            None => format!("CREATE {unlogged}TABLE {q}{body}"),
        };
        let sql = match &t.partition_key {
            Some(key) => format!("{sql} PARTITION BY {key};"),
            None => format!("{sql};"),
        };
        let mut it = item(Section::PreData, Kind::Table, Some(&t.schema), &t.name, sql);
        it.drop = Some(format!("DROP TABLE IF EXISTS {q} CASCADE;"));
        it.touches = lineage(t);
        items.push(it);
    }

    for s in &sequences {
        if let Some((table, col, false)) = &s.owner {
            let t = by_oid[table];
            let mut it = item(
                Section::PreData,
                Kind::SequenceOwnedBy,
                Some(&s.schema),
                &s.name,
                format!(
                    "ALTER SEQUENCE {} OWNED BY {}.{};",
                    qualified(&s.schema, &s.name),
                    qualified(&t.schema, &t.name),
                    ident(col)
                ),
            );
            it.table = Some(t.name.clone());
            items.push(it);
        }
    }
    for s in &sequences {
        items.push(item(
            Section::Data,
            Kind::SequenceSet,
            Some(&s.schema),
            &s.name,
            format!(
                "SELECT pg_catalog.setval({}, {}, {});",
                literal(&qualified(&s.schema, &s.name)),
                s.last_value,
                s.is_called
            ),
        ));
    }

    // Post-data: unique-like constraints and indexes, then foreign keys.
    for c in cat.constraints.iter().filter(|c| c.kind != 'f' && selected.contains(&c.table)) {
        let t = by_oid[&c.table];
        let only = if t.kind == 'p' { "" } else { "ONLY " };
        let mut it = item(
            Section::PostData,
            Kind::Constraint,
            Some(&t.schema),
            &c.name,
            format!("ALTER TABLE {only}{} ADD CONSTRAINT {} {};", qualified(&t.schema, &t.name), ident(&c.name), c.def),
        );
        it.table = Some(t.name.clone());
        it.touches = lineage(t);
        items.push(it);
    }
    for i in cat.indexes.iter().filter(|i| selected.contains(&i.table)) {
        let t = by_oid[&i.table];
        // A partitioned table's index is created on every partition at once.
        let sql = if t.kind == 'p' { i.def.replacen(" ON ONLY ", " ON ", 1) } else { i.def.clone() };
        let mut it = item(Section::PostData, Kind::Index, Some(&t.schema), &i.name, format!("{sql};"));
        it.table = Some(t.name.clone());
        it.touches = lineage(t);
        items.push(it);
    }
    for c in cat.constraints.iter().filter(|c| c.kind == 'f' && selected.contains(&c.table)) {
        let t = by_oid[&c.table];
        let Some(r) = c.referenced.and_then(|r| by_oid.get(&r)) else { continue };
        if !selected.contains(&r.oid) {
            continue; // the referenced table is not in this dump
        }
        let only = if t.kind == 'p' { "" } else { "ONLY " };
        let mut it = item(
            Section::PostData,
            Kind::ForeignKey,
            Some(&t.schema),
            &c.name,
            format!("ALTER TABLE {only}{} ADD CONSTRAINT {} {};", qualified(&t.schema, &t.name), ident(&c.name), c.def),
        );
        it.table = Some(t.name.clone());
        it.touches = lineage(t);
        it.touches.extend(lineage(r));
        items.push(it);
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(qualified("Sch", "t"), "\"Sch\".\"t\"");
        assert_eq!(literal("it's"), "'it''s'");
    }
}

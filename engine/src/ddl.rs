//! Turning the catalog into tagged DDL items, in an order that restores without errors:
//! schemas, types, sequences, tables (parents before partitions), sequence ownership; then
//! sequence values (data); then constraints, indexes and foreign keys (post-data).

use std::collections::{BTreeSet, HashMap};

use crate::catalog::{Catalog, Table, UserType};
use crate::depsort::{Depends, Node};
use crate::filter::Filter;
use crate::manifest::{DdlItem, Kind, Section};
use crate::objects::{class, AclEntry, Decorations, ObjKey, Objects};

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
        shared: false,
        of_kind: None,
        roles: Vec::new(),
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

/// Everything `build` turns into statements.
pub(crate) struct Sources<'a> {
    pub cat: &'a Catalog,
    pub objects: &'a Objects,
    pub decorations: &'a Decorations,
    pub depends: &'a Depends,
}

/// The objects (by catalog key) a dump covers, for reading their decorations.
pub(crate) fn covered_keys(cat: &Catalog, objects: &Objects, filter: &Filter, selected: &BTreeSet<u32>) -> Vec<ObjKey> {
    let scope = Scope::new(cat, filter, selected);
    let mut keys: Vec<ObjKey> = scope
        .schemas
        .iter()
        .filter_map(|s| cat.schema_oids.get(s))
        .map(|&o| ObjKey::new(class::NAMESPACE, o))
        .collect();
    keys.extend(
        cat.types.iter().filter(|(_, s, _)| scope.schemas.contains(s)).map(|(o, _, _)| ObjKey::new(class::TYPE, *o)),
    );
    keys.extend(cat.sequences.iter().filter(|s| scope.sequence(s)).map(|s| ObjKey::new(class::REL, s.oid)));
    keys.extend(selected.iter().map(|&o| ObjKey::new(class::REL, o)));
    keys.extend(
        cat.constraints.iter().filter(|c| selected.contains(&c.table)).map(|c| ObjKey::new(class::CONSTRAINT, c.oid)),
    );
    keys.extend(
        cat.check_oids.iter().filter(|(t, _)| selected.contains(t)).map(|(_, o)| ObjKey::new(class::CONSTRAINT, *o)),
    );
    let domains: BTreeSet<u32> =
        cat.types.iter().filter(|(_, s, _)| scope.schemas.contains(s)).map(|(o, _, _)| *o).collect();
    keys.extend(
        cat.domain_check_oids
            .iter()
            .filter(|(d, _)| domains.contains(d))
            .map(|(_, o)| ObjKey::new(class::CONSTRAINT, *o)),
    );
    keys.extend(
        cat.indexes
            .iter()
            .filter(|i| selected.contains(&i.table) || scope.view_oids.contains(&i.table))
            .map(|i| ObjKey::new(class::REL, i.oid)),
    );
    keys.extend(objects.routines.iter().filter(|r| scope.routines(&r.schema)).map(|r| ObjKey::new(class::PROC, r.oid)));
    keys.extend(
        objects.views.iter().filter(|v| scope.view_oids.contains(&v.oid)).map(|v| ObjKey::new(class::REL, v.oid)),
    );
    keys.extend(
        objects
            .attached
            .iter()
            .filter(|a| selected.contains(&a.table) || scope.view_oids.contains(&a.table))
            .filter_map(|a| a.key),
    );
    if scope.extensions {
        keys.extend(objects.extensions.iter().map(|e| ObjKey::new(class::EXTENSION, e.oid)));
    }
    keys.extend(objects.extras.iter().filter(|e| scope.extra(e)).filter_map(|e| e.key));
    keys
}

/// What a filter lets into a dump besides the selected tables.
struct Scope {
    schemas: BTreeSet<String>,
    view_oids: BTreeSet<u32>,
    table_filter: bool,
    extensions: bool,
    selected: BTreeSet<u32>,
    filter: Filter,
}

impl Scope {
    fn new(cat: &Catalog, filter: &Filter, selected: &BTreeSet<u32>) -> Scope {
        let by_oid: HashMap<u32, &Table> = cat.tables.iter().map(|t| (t.oid, t)).collect();
        let table_filter = !filter.tables.is_empty();
        let mut schemas: BTreeSet<String> = selected.iter().map(|o| by_oid[o].schema.clone()).collect();
        for s in cat.schema_oids.keys() {
            if !table_filter && filter.schema(s) {
                schemas.insert(s.clone());
            }
        }
        let view_oids = cat
            .view_names
            .iter()
            .filter(|(_, (s, n))| filter.table(s, n) && (table_filter || schemas.contains(s)))
            .map(|(o, _)| *o)
            .collect();
        Scope {
            schemas,
            view_oids,
            table_filter,
            extensions: filter.schemas.is_empty() && !table_filter,
            selected: selected.clone(),
            filter: filter.clone(),
        }
    }

    fn sequence(&self, s: &crate::catalog::Sequence) -> bool {
        match &s.owner {
            Some((t, _, _)) => self.selected.contains(t),
            None => self.schemas.contains(&s.schema) && (!self.table_filter || self.filter.table(&s.schema, &s.name)),
        }
    }

    fn extra(&self, e: &crate::objects::Extra) -> bool {
        match &e.schema {
            Some(s) if e.kind != Kind::DefaultPrivileges => self.schemas.contains(s) && !self.table_filter,
            _ => self.extensions,
        }
    }

    fn routines(&self, schema: &str) -> bool {
        !self.table_filter && self.schemas.contains(schema)
    }
}

fn node(item: DdlItem, key: Option<ObjKey>, deps: Vec<ObjKey>, priority: u8) -> Node {
    Node { item, key, deps, priority }
}

/// What the dump leaves out (profiles and `--no-*` toggles).
pub(crate) struct Leave<'a> {
    pub options: &'a crate::dump_impl::DumpOptions,
}

impl Leave<'_> {
    /// Whether `schema` is one a platform manages.
    fn managed(&self, schema: &str) -> bool {
        self.options.managed_schemas.iter().any(|p| crate::filter::glob_match(p, schema))
    }

    /// Whether items of this kind are kept.
    fn keeps(&self, kind: Kind) -> bool {
        let o = self.options;
        let structural = kind != Kind::SequenceSet;
        !o.exclude_kinds.contains(&kind) && (if structural { o.structure } else { o.data })
    }
}

/// Builds every statement for the selected tables and the objects in scope, in restore order.
pub(crate) fn build(src: &Sources<'_>, filter: &Filter, selected: &BTreeSet<u32>, leave: &Leave<'_>) -> Vec<DdlItem> {
    let cat = src.cat;
    let scope = Scope::new(cat, filter, selected);
    let by_oid: HashMap<u32, &Table> = cat.tables.iter().map(|t| (t.oid, t)).collect();
    let display = |t: &Table| format!("{}.{}", t.schema, t.name);
    let lineage = |t: &Table| {
        let mut v = vec![display(t)];
        let mut cur = t;
        while let Some(p) = cur.partition_of.as_ref().and_then(|(p, _)| by_oid.get(p)) {
            v.push(display(p));
            cur = p;
        }
        v
    };
    // Names of relations (tables and views) for `touches`.
    let rel_name = |oid: u32| -> Option<String> {
        by_oid.get(&oid).map(|t| display(t)).or_else(|| cat.view_names.get(&oid).map(|(s, n)| format!("{s}.{n}")))
    };
    let rel_deps = src.depends.relation_deps();
    let touches_for = |key: ObjKey, own: Vec<String>| {
        let mut v = own;
        for oid in rel_deps.get(&key).into_iter().flatten() {
            if let Some(n) = rel_name(*oid) {
                if !v.contains(&n) {
                    v.push(n);
                }
            }
        }
        v
    };
    let mut nodes: Vec<Node> = Vec::new();

    if scope.extensions {
        for e in &src.objects.extensions {
            let mut it = item(
                Section::PreData,
                Kind::Extension,
                None,
                &e.name,
                format!(
                    "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {} VERSION {};",
                    ident(&e.name),
                    ident(&e.schema),
                    literal(&e.version)
                ),
            );
            it.drop = Some(format!("DROP EXTENSION IF EXISTS {} CASCADE;", ident(&e.name)));
            let deps =
                cat.schema_oids.get(&e.schema).map(|&o| vec![ObjKey::new(class::NAMESPACE, o)]).unwrap_or_default();
            nodes.push(node(it, Some(ObjKey::new(class::EXTENSION, e.oid)), deps, 1));
        }
    }
    if scope.extensions {
        for (i, (role, sql)) in src.objects.database_settings.iter().enumerate() {
            let mut it =
                item(Section::PreData, Kind::DatabaseSetting, None, &format!("setting {}", i + 1), sql.clone());
            it.roles = role.iter().cloned().collect();
            nodes.push(node(it, None, vec![], 0));
        }
    }
    for e in src.objects.extras.iter().filter(|e| scope.extra(e)) {
        let mut it = item(e.section, e.kind, e.schema.as_deref(), &e.name, e.sql.clone());
        it.drop = e.drop.clone();
        it.roles = e.roles.clone();
        let priority = match e.kind {
            Kind::Language => 3,
            Kind::Cast => 6,
            Kind::Statistics => 1,
            Kind::EventTrigger | Kind::Publication => 8,
            Kind::DefaultPrivileges => 9,
            _ => 2,
        };
        nodes.push(node(it, e.key, e.deps.clone(), priority));
    }
    for s in &scope.schemas {
        let key = cat.schema_oids.get(s).map(|&o| ObjKey::new(class::NAMESPACE, o));
        let sql = if s == "public" { String::new() } else { format!("CREATE SCHEMA IF NOT EXISTS {};", ident(s)) };
        if !sql.is_empty() {
            nodes.push(node(item(Section::PreData, Kind::Schema, None, s, sql), key, vec![], 0));
        } else if let Some(k) = key {
            // public exists in every database: nothing to create, but its owner, grants and
            // comment are still restored (as decorations of this key).
            nodes.push(node(
                item(Section::PreData, Kind::Schema, None, s, "-- public exists in every database".into()),
                Some(k),
                vec![],
                0,
            ));
        }
    }

    for (oid, schema, ty) in &cat.types {
        if !scope.schemas.contains(schema) {
            continue;
        }
        let (name, sql, drop) = match ty {
            UserType::Enum { name, labels } => {
                let labels: Vec<String> = labels.iter().map(|l| literal(l)).collect();
                let q = qualified(schema, name);
                (
                    name,
                    format!("CREATE TYPE {q} AS ENUM ({});", labels.join(", ")),
                    format!("DROP TYPE IF EXISTS {q} CASCADE;"),
                )
            }
            UserType::Domain { name, base, not_null, default, checks } => {
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
            UserType::Composite { name, attrs } => {
                let q = qualified(schema, name);
                let attrs: Vec<String> = attrs.iter().map(|(n, t)| format!("{} {t}", ident(n))).collect();
                (
                    name,
                    format!("CREATE TYPE {q} AS ({});", attrs.join(", ")),
                    format!("DROP TYPE IF EXISTS {q} CASCADE;"),
                )
            }
            UserType::Shell { name } => {
                let q = qualified(schema, name);
                (name, format!("CREATE TYPE {q};"), format!("DROP TYPE IF EXISTS {q} CASCADE;"))
            }
            UserType::Range { name, body } => {
                let q = qualified(schema, name);
                (name, format!("CREATE TYPE {q} AS RANGE ({body});"), format!("DROP TYPE IF EXISTS {q} CASCADE;"))
            }
        };
        let mut it = item(Section::PreData, Kind::Type, Some(schema), name, sql);
        it.drop = Some(drop);
        nodes.push(node(it, Some(ObjKey::new(class::TYPE, *oid)), vec![], 2));
    }

    for r in src.objects.routines.iter().filter(|r| scope.routines(&r.schema)) {
        let (kind, word, prio) = match r.kind {
            'a' => (Kind::Aggregate, "AGGREGATE", 4),
            'p' => (Kind::Function, "PROCEDURE", 3),
            _ => (Kind::Function, "FUNCTION", 3),
        };
        let mut it = item(Section::PreData, kind, Some(&r.schema), &r.name, r.sql.clone());
        it.drop = Some(format!("DROP {word} IF EXISTS {} CASCADE;", r.identity));
        nodes.push(node(it, Some(ObjKey::new(class::PROC, r.oid)), vec![], prio));
    }

    // Free-standing and serial-owned sequences (identity sequences come with their column).
    let sequences: Vec<_> = cat.sequences.iter().filter(|s| scope.sequence(s)).collect();
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
        nodes.push(node(it, Some(ObjKey::new(class::REL, s.oid)), vec![], 5));
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
        // A partition's columns come from its parent; an inheritance child's inherited columns
        // come from its parents.
        for c in t.columns.iter().filter(|c| t.partition_of.is_none() && c.local) {
            let mut col = format!("{} {}", ident(&c.name), c.type_sql);
            if let Some(opts) = &c.fdw_options {
                col.push_str(&format!(" OPTIONS ({opts})"));
            }
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
        if leave.keeps(Kind::Constraint) {
            for (name, def) in &t.checks {
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
        let mut sql = match t.partition_of.as_ref().and_then(|(parent, bound)| Some((by_oid.get(parent)?, bound))) {
            Some((p, bound)) => {
                format!("CREATE {unlogged}TABLE {q} PARTITION OF {}{body} {bound}", qualified(&p.schema, &p.name))
            }
            None => format!("CREATE {unlogged}TABLE {q}{body}"),
        };
        if !t.inherits.is_empty() {
            let parents: Vec<String> =
                t.inherits.iter().filter_map(|p| by_oid.get(p)).map(|p| qualified(&p.schema, &p.name)).collect();
            sql.push_str(&format!(" INHERITS ({})", parents.join(", ")));
        }
        if let Some(key) = &t.partition_key {
            sql.push_str(&format!(" PARTITION BY {key}"));
        }
        if let Some(server) = &t.foreign {
            sql.push_str(&format!(" {server}"));
        }
        if !t.options.is_empty() {
            sql.push_str(&format!(" WITH ({})", t.options.join(", ")));
        }
        sql.push(';');
        // Columns whose local definition differs from the inherited one.
        for c in t.columns.iter().filter(|c| t.partition_of.is_none() && !c.local) {
            if let (Some(e), false) = (&c.expr, c.generated) {
                sql.push_str(&format!("\nALTER TABLE ONLY {q} ALTER COLUMN {} SET DEFAULT {e};", ident(&c.name)));
            }
        }
        if let Some(ri) = t.replica_identity.as_ref().filter(|_| t.foreign.is_none()) {
            sql.push_str(&format!("\nALTER TABLE ONLY {q} REPLICA IDENTITY {ri};"));
        }
        let mut it = item(Section::PreData, Kind::Table, Some(&t.schema), &t.name, sql);
        let word = if t.foreign.is_some() { "FOREIGN TABLE" } else { "TABLE" };
        it.drop = Some(format!("DROP {word} IF EXISTS {q} CASCADE;"));
        it.touches = lineage(t);
        let mut deps: Vec<ObjKey> = t.inherits.iter().map(|p| ObjKey::new(class::REL, *p)).collect();
        if let Some((p, _)) = &t.partition_of {
            deps.push(ObjKey::new(class::REL, *p));
        }
        nodes.push(node(it, Some(ObjKey::new(class::REL, t.oid)), deps, 6));
    }

    for v in src.objects.views.iter().filter(|v| scope.view_oids.contains(&v.oid)) {
        let q = qualified(&v.schema, &v.name);
        let with = if v.options.is_empty() { String::new() } else { format!(" WITH ({})", v.options.join(", ")) };
        let key = ObjKey::new(class::REL, v.oid);
        let query = v.query.trim_end().trim_end_matches(';');
        let (kind, sql, drop) = if v.materialized {
            (
                Kind::MaterializedView,
                format!("CREATE MATERIALIZED VIEW {q}{with} AS\n{query}\n  WITH NO DATA;"),
                format!("DROP MATERIALIZED VIEW IF EXISTS {q} CASCADE;"),
            )
        } else {
            (Kind::View, format!("CREATE VIEW {q}{with} AS\n{query};"), format!("DROP VIEW IF EXISTS {q} CASCADE;"))
        };
        let mut it = item(Section::PreData, kind, Some(&v.schema), &v.name, sql);
        it.drop = Some(drop);
        nodes.push(node(it, Some(key), vec![], 7));
        if v.materialized && v.populated {
            let mut it = item(
                Section::PostData,
                Kind::Refresh,
                Some(&v.schema),
                &v.name,
                format!("REFRESH MATERIALIZED VIEW {q};"),
            );
            it.table = Some(v.name.clone());
            it.touches = touches_for(key, vec![format!("{}.{}", v.schema, v.name)]);
            nodes.push(node(it, None, vec![key], 7));
        }
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
            nodes.push(node(it, None, vec![ObjKey::new(class::REL, s.oid), ObjKey::new(class::REL, *table)], 8));
        }
    }
    for s in &sequences {
        let it = item(
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
        );
        nodes.push(node(it, None, vec![ObjKey::new(class::REL, s.oid)], 0));
    }

    // Post-data: unique-like constraints and indexes, foreign keys, then what hangs off tables.
    for c in cat.constraints.iter().filter(|c| c.kind != 'f' && selected.contains(&c.table)) {
        let t = by_oid[&c.table];
        let only = if t.kind == 'p' { "" } else { "ONLY " };
        let q = qualified(&t.schema, &t.name);
        let mut it = item(
            Section::PostData,
            Kind::Constraint,
            Some(&t.schema),
            &c.name,
            format!("ALTER TABLE {only}{q} ADD CONSTRAINT {} {};", ident(&c.name), c.def),
        );
        it.table = Some(t.name.clone());
        it.touches = lineage(t);
        // A primary key or unique constraint of a plain table: its index is built first, under a
        // SHARE lock (alongside the table's other index builds), then attached in an instant.
        if let (Some(index_def), 'r', 'p' | 'u') = (&c.index_def, t.kind, c.kind) {
            let mut build = it.clone();
            build.sql = format!("{index_def};");
            build.shared = true;
            nodes.push(node(build, None, vec![ObjKey::new(class::REL, t.oid)], 0));
            let what = if c.kind == 'p' { "PRIMARY KEY" } else { "UNIQUE" };
            let timing = match (c.deferrable, c.deferred) {
                (true, true) => " DEFERRABLE INITIALLY DEFERRED",
                (true, false) => " DEFERRABLE",
                _ => "",
            };
            let name = ident(&c.name);
            it.sql = format!("ALTER TABLE ONLY {q} ADD CONSTRAINT {name} {what} USING INDEX {name}{timing};");
            nodes.push(node(it, Some(ObjKey::new(class::CONSTRAINT, c.oid)), vec![], 1));
            continue;
        }
        nodes.push(node(it, Some(ObjKey::new(class::CONSTRAINT, c.oid)), vec![], 0));
    }
    let view_by_oid: HashMap<u32, &crate::objects::View> = src.objects.views.iter().map(|v| (v.oid, v)).collect();
    for i in &cat.indexes {
        let (schema, name, own, partitioned) =
            if let Some(t) = by_oid.get(&i.table).filter(|t| selected.contains(&t.oid)) {
                (&t.schema, &t.name, lineage(t), t.kind == 'p')
            } else if let Some(v) = view_by_oid.get(&i.table).filter(|v| scope.view_oids.contains(&v.oid)) {
                (&v.schema, &v.name, vec![format!("{}.{}", v.schema, v.name)], false)
            } else {
                continue;
            };
        // A partitioned table's index is created on every partition at once.
        let sql = if partitioned { i.def.replacen(" ON ONLY ", " ON ", 1) } else { i.def.clone() };
        let mut it = item(Section::PostData, Kind::Index, Some(schema), &i.name, format!("{sql};"));
        it.table = Some(name.clone());
        it.shared = true;
        it.touches = own;
        // With the unique-constraint builds, before their attachments: a table's index builds all
        // run at once (SHARE locks), not one side of an exclusive ALTER TABLE.
        nodes.push(node(it, Some(ObjKey::new(class::REL, i.oid)), vec![], 0));
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
        nodes.push(node(it, Some(ObjKey::new(class::CONSTRAINT, c.oid)), vec![], 2));
    }
    for a in &src.objects.attached {
        // On a managed table, keep what the user added: policies, and triggers calling the
        // user's own functions.
        let users_own_on_managed = |t: &&&Table| {
            !selected.contains(&t.oid)
                && leave.managed(&t.schema)
                && match a.kind {
                    Kind::Policy => true,
                    Kind::Trigger => a.function_schema.as_deref().is_some_and(|s| !leave.managed(s)),
                    _ => false,
                }
        };
        let (schema, name, own) = if let Some(t) = by_oid.get(&a.table).filter(|t| selected.contains(&t.oid)) {
            (&t.schema, &t.name, lineage(t))
        } else if let Some(t) = by_oid.get(&a.table).filter(users_own_on_managed) {
            (&t.schema, &t.name, vec![display(t)])
        } else if let Some(v) = view_by_oid.get(&a.table).filter(|v| scope.view_oids.contains(&v.oid)) {
            (&v.schema, &v.name, vec![format!("{}.{}", v.schema, v.name)])
        } else {
            continue;
        };
        let prio = match a.kind {
            Kind::Trigger => 3,
            Kind::Rule => 4,
            Kind::RowSecurity => 5,
            _ => 6,
        };
        let mut it = item(Section::PostData, a.kind, Some(schema), &a.name, a.sql.clone());
        it.table = Some(name.clone());
        it.roles = a.roles.clone();
        it.touches = match a.key {
            Some(k) => touches_for(k, own),
            None => own,
        };
        nodes.push(node(it, a.key, vec![], prio));
    }

    nodes.retain(|n| leave.keeps(n.item.kind));
    // Post-data statements run in parallel and keep their order only where they touch the same
    // thing: an object without a table (publication, event trigger) touches itself.
    for n in nodes.iter_mut().filter(|n| n.item.section == Section::PostData && n.item.touches.is_empty()) {
        n.item.touches = vec![n.item.label()];
    }
    postpone_early_views(&mut nodes, src);
    // CHECK constraints written inside CREATE TABLE still carry their own comments.
    // So do a domain's constraints, written inside CREATE DOMAIN.
    let mut inner: HashMap<ObjKey, Vec<(ObjKey, Kind)>> = HashMap::new();
    for (table, check) in cat.check_oids.iter().filter(|_| leave.keeps(Kind::Constraint)) {
        inner
            .entry(ObjKey::new(class::REL, *table))
            .or_default()
            .push((ObjKey::new(class::CONSTRAINT, *check), Kind::Constraint));
    }
    for (domain, check) in &cat.domain_check_oids {
        inner
            .entry(ObjKey::new(class::TYPE, *domain))
            .or_default()
            .push((ObjKey::new(class::CONSTRAINT, *check), Kind::Type));
    }
    decorate(&mut nodes, src.decorations, &inner);
    src.depends.sort(nodes).into_iter().map(|n| n.item).collect()
}

/// A view whose query needs a post-data object (a primary key making GROUP BY columns
/// functionally dependent) is created as a placeholder with the same columns in pre-data and
/// replaced by its real definition once that object exists; a materialized view moves to
/// post-data whole.
fn postpone_early_views(nodes: &mut Vec<Node>, src: &Sources<'_>) {
    let views: HashMap<u32, &crate::objects::View> = src.objects.views.iter().map(|v| (v.oid, v)).collect();
    let mut extra = Vec::new();
    for (i, needs) in src.depends.early_dependents(nodes) {
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
        extra.push(node(it, None, deps, 5));
    }
    nodes.extend(extra);
}

/// Adds owner, privilege and comment items after the items that create their objects.
fn decorate(nodes: &mut Vec<Node>, d: &Decorations, inner: &HashMap<ObjKey, Vec<(ObjKey, Kind)>>) {
    let mut extra = Vec::new();
    for n in nodes.iter() {
        let Some(own) = n.key else { continue };
        let own_kind = n.item.kind;
        for (key, of_kind) in std::iter::once((own, own_kind)).chain(inner.get(&own).into_iter().flatten().copied()) {
            let Some((ty, identity)) = d.identity.get(&key) else { continue };
            // SQL names an aggregate without arguments `agg(*)`.
            let star;
            let identity = if ty == "aggregate" && identity.ends_with("()") {
                star = format!("{}(*)", &identity[..identity.len() - 2]);
                &star
            } else {
                identity
            };
            let base = |kind: Kind, sql: String| {
                let mut it = n.item.clone();
                it.of_kind = Some(of_kind);
                it.shared = false;
                it.kind = kind;
                it.name = identity.clone();
                it.sql = sql;
                it.drop = None;
                node(it, None, vec![key], 20)
            };
            let word = object_word(ty);
            if let (Some(owner), Some(word)) = (d.owner.get(&key), owner_word(ty)) {
                let mut o = base(Kind::Owner, format!("ALTER {word} {identity} OWNER TO {};", ident(owner)));
                o.item.roles = vec![owner.clone()];
                extra.push(o);
            }
            if let (Some(acl), Some(word)) = (d.acl.get(&key), grant_word(ty)) {
                let owner = d.owner.get(&key).map(|o| ident(o)).unwrap_or_else(|| "CURRENT_USER".into());
                let mut sql = format!(
                    "REVOKE ALL ON {word} {identity} FROM PUBLIC;\nREVOKE ALL ON {word} {identity} FROM {owner};"
                );
                sql.push_str(&grant_sql(acl, &format!("{word} {identity}"), "", &owner));
                let mut g = base(Kind::Grant, sql);
                g.item.roles = acl_roles(acl, d.owner.get(&key));
                g.priority = 21;
                extra.push(g);
            }
            for ((k, col), acl) in d.column_acl.range((key, String::new())..) {
                if *k != key {
                    break;
                }
                let owner = d.owner.get(&key).map(|o| ident(o)).unwrap_or_else(|| "CURRENT_USER".into());
                let mut g = base(
                    Kind::Grant,
                    grant_sql(acl, &format!("TABLE {identity}"), &format!(" ({})", ident(col)), &owner)
                        .trim_start()
                        .to_string(),
                );
                g.priority = 22;
                extra.push(g);
            }
            // `public` exists before the restore, with a default comment: restore its absence too.
            if ty == "schema" && identity == "public" && !d.comments.contains_key(&(key, 0)) {
                let mut c = base(Kind::Comment, "COMMENT ON SCHEMA public IS NULL;".into());
                c.priority = 19;
                extra.push(c);
            }
            for ((k, sub), text) in d.comments.range((key, i32::MIN)..) {
                if *k != key {
                    break;
                }
                let target = match (*sub, word) {
                    (0, Some(w)) => comment_target(ty, w, identity),
                    (sub, _) if sub > 0 => match d.column_names.get(&(key, sub)) {
                        Some(col) => format!("COLUMN {identity}.{}", ident(col)),
                        None => continue,
                    },
                    _ => continue,
                };
                let mut c = base(Kind::Comment, format!("COMMENT ON {target} IS {};", literal(text)));
                c.priority = 19;
                extra.push(c);
            }
        }
    }
    nodes.extend(extra);
}

/// Roles an ACL names (grantees and grantors, and the owner its REVOKE names), unquoted.
fn acl_roles(acl: &[AclEntry], owner: Option<&String>) -> Vec<String> {
    let mut roles: Vec<String> = owner.into_iter().cloned().collect();
    for e in acl {
        for r in [&e.grantee, &e.grantor] {
            let r = unquote(r);
            if r != "PUBLIC" && !roles.contains(&r) {
                roles.push(r);
            }
        }
    }
    roles
}

/// The name a quoted identifier stands for.
fn unquote(s: &str) -> String {
    match s.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => s.to_string(),
    }
}

/// `GRANT` statements for ACL rows, switching role when the grantor is not the owner.
fn grant_sql(rows: &[AclEntry], on: &str, columns: &str, owner: &str) -> String {
    let mut sql = String::new();
    let mut i = 0;
    while i < rows.len() {
        let AclEntry { grantee, grantable, grantor, .. } = &rows[i];
        let mut privs = Vec::new();
        while i < rows.len()
            && rows[i].grantee == *grantee
            && rows[i].grantable == *grantable
            && rows[i].grantor == *grantor
        {
            privs.push(format!("{}{columns}", rows[i].privilege));
            i += 1;
        }
        let option = if *grantable { " WITH GRANT OPTION" } else { "" };
        let grant = format!("GRANT {} ON {on} TO {grantee}{option};", privs.join(", "));
        if grantor != owner {
            sql.push_str(&format!("\nSET ROLE {grantor};\n{grant}\nRESET ROLE;"));
        } else {
            sql.push_str(&format!("\n{grant}"));
        }
    }
    sql
}

/// The SQL keyword for an object type as `pg_identify_object` names it.
fn object_word(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "table" => "TABLE",
        "view" => "VIEW",
        "materialized view" => "MATERIALIZED VIEW",
        "sequence" => "SEQUENCE",
        "index" => "INDEX",
        "foreign table" => "FOREIGN TABLE",
        "type" | "composite type" => "TYPE",
        "domain" => "DOMAIN",
        "function" => "FUNCTION",
        "procedure" => "PROCEDURE",
        "aggregate" => "AGGREGATE",
        "schema" => "SCHEMA",
        "extension" => "EXTENSION",
        "trigger" => "TRIGGER",
        "rule" => "RULE",
        "policy" => "POLICY",
        "table constraint" | "domain constraint" => "CONSTRAINT",
        "server" => "SERVER",
        "foreign-data wrapper" => "FOREIGN DATA WRAPPER",
        "collation" => "COLLATION",
        "event trigger" => "EVENT TRIGGER",
        "publication" => "PUBLICATION",
        "text search configuration" => "TEXT SEARCH CONFIGURATION",
        "text search dictionary" => "TEXT SEARCH DICTIONARY",
        "cast" => "CAST",
        "language" => "LANGUAGE",
        "statistics object" => "STATISTICS",
        _ => return None,
    })
}

fn owner_word(ty: &str) -> Option<&'static str> {
    match ty {
        "index" | "extension" | "trigger" | "rule" | "policy" | "table constraint" | "domain constraint" | "cast" => {
            None
        }
        other => object_word(other),
    }
}

fn grant_word(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "table" | "view" | "materialized view" | "foreign table" => "TABLE",
        "sequence" => "SEQUENCE",
        "function" | "aggregate" => "FUNCTION",
        "procedure" => "PROCEDURE",
        "schema" => "SCHEMA",
        "type" | "composite type" | "domain" => "TYPE",
        "server" => "FOREIGN SERVER",
        "foreign-data wrapper" => "FOREIGN DATA WRAPPER",
        "language" => "LANGUAGE",
        _ => return None,
    })
}

/// `COMMENT ON` target: domain constraints need `ON DOMAIN`.
fn comment_target(ty: &str, word: &str, identity: &str) -> String {
    if ty == "domain constraint" {
        if let Some((c, d)) = identity.split_once(" on ") {
            return format!("CONSTRAINT {c} ON DOMAIN {d}");
        }
    }
    format!("{word} {identity}")
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

//! Scope: which objects a dump covers. The filter selects tables (partitions follow the root
//! of their tree) and schemas; profiles and `--no-*` toggles leave kinds out ([`Leave`]); the
//! [`Context`] every family builds its items with holds both, with the lookups they share.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::extra::Extra;
use super::key::ObjKey;
use super::sequences::Sequence;
use super::tables::Table;
use super::views::View;
use super::Catalog;
use crate::archive::Kind;
use crate::filter::Filter;

/// Which tables (by oid) a dump covers: partitions follow the table at the root of their tree.
pub(super) fn selected_tables(tables: &[Table], filter: &Filter) -> BTreeSet<u32> {
    let by_oid: HashMap<u32, &Table> = tables.iter().map(|t| (t.oid, t)).collect();
    tables
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

/// What a filter lets into a dump besides the selected tables.
pub(super) struct Scope {
    /// Schemas whose objects are in scope.
    pub schemas: BTreeSet<String>,
    /// Views and materialized views in scope.
    pub view_oids: BTreeSet<u32>,
    table_filter: bool,
    /// Whether database-wide objects are in scope (no schema or table filter).
    pub extensions: bool,
    selected: BTreeSet<u32>,
    filter: Filter,
}

impl Scope {
    fn new(cat: &Catalog, filter: &Filter, selected: &BTreeSet<u32>) -> Scope {
        let by_oid: HashMap<u32, &Table> = cat.tables.iter().map(|t| (t.oid, t)).collect();
        let table_filter = !filter.tables.is_empty();
        let mut schemas: BTreeSet<String> = selected.iter().map(|o| by_oid[o].schema.clone()).collect();
        for s in cat.schemas.keys() {
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

    /// Whether a sequence is in scope: an owned one follows its table.
    pub(super) fn sequence(&self, s: &Sequence) -> bool {
        match &s.owner {
            Some((t, _, _)) => self.selected.contains(t),
            None => self.schemas.contains(&s.schema) && (!self.table_filter || self.filter.table(&s.schema, &s.name)),
        }
    }

    /// Whether an extra is in scope: schema objects follow their schema, database-wide ones
    /// the whole database.
    pub(super) fn extra(&self, e: &Extra) -> bool {
        match &e.schema {
            Some(s) if e.kind != Kind::DefaultPrivileges => self.schemas.contains(s) && !self.table_filter,
            _ => self.extensions,
        }
    }

    /// Whether the routines of `schema` are in scope.
    pub(super) fn routines(&self, schema: &str) -> bool {
        !self.table_filter && self.schemas.contains(schema)
    }
}

/// What the dump leaves out (profiles and `--no-*` toggles).
pub(crate) struct Leave<'a> {
    /// Schemas a platform manages (patterns): their objects are left out.
    pub managed_schemas: &'a [String],
    /// Kinds left out (`--no-functions`, …).
    pub exclude_kinds: &'a [Kind],
    /// Whether the schema is dumped.
    pub structure: bool,
    /// Whether data (and sequence values) are dumped.
    pub data: bool,
    /// Which options of user mappings are carried.
    pub user_mapping_options: MappingOptions,
}

/// Which options of user mappings a dump carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MappingOptions {
    /// None (`--no-user-mapping-options`).
    None,
    /// All but `password` (an archive anyone can read).
    NoPassword,
    /// All of them (an encrypted archive).
    All,
}

impl Leave<'_> {
    /// Whether `schema` is one a platform manages.
    pub(super) fn managed(&self, schema: &str) -> bool {
        self.managed_schemas.iter().any(|p| crate::filter::glob_match(p, schema))
    }

    /// Whether items of this kind are kept.
    pub(super) fn keeps(&self, kind: Kind) -> bool {
        let structural = kind != Kind::SequenceSet;
        !self.exclude_kinds.contains(&kind) && (if structural { self.structure } else { self.data })
    }
}

/// What every family's `build` reads: the catalog, the scope, and lookups they share.
pub(super) struct Context<'a> {
    pub cat: &'a Catalog,
    pub scope: Scope,
    pub selected: &'a BTreeSet<u32>,
    pub leave: &'a Leave<'a>,
    pub by_oid: HashMap<u32, &'a Table>,
    pub view_by_oid: HashMap<u32, &'a View>,
    /// For every object, the relations it depends on directly.
    rel_deps: HashMap<ObjKey, Vec<u32>>,
    /// Column defaults and CHECK constraints that need an object the dump leaves out: made as
    /// items of their own instead of inside `CREATE TABLE` (see `requires.rs`).
    pub detached: HashSet<ObjKey>,
}

impl<'a> Context<'a> {
    /// The context for a dump of `selected` tables under `filter`.
    pub fn new(cat: &'a Catalog, filter: &Filter, selected: &'a BTreeSet<u32>, leave: &'a Leave<'a>) -> Context<'a> {
        Context {
            cat,
            scope: Scope::new(cat, filter, selected),
            selected,
            leave,
            by_oid: cat.tables.iter().map(|t| (t.oid, t)).collect(),
            view_by_oid: cat.views.iter().map(|v| (v.oid, v)).collect(),
            rel_deps: cat.depends.relation_deps(),
            detached: HashSet::new(),
        }
    }

    /// Whether a view is in scope and kept (not left out by `--no-views`): what hangs off it
    /// follows.
    pub fn view_kept(&self, v: &View) -> bool {
        let kind = if v.materialized { Kind::MaterializedView } else { Kind::View };
        self.scope.view_oids.contains(&v.oid) && self.leave.keeps(kind)
    }

    /// Whether a column's default is made by an item of its own.
    pub fn detached_default(&self, c: &super::tables::Column) -> bool {
        c.default_oid.is_some_and(|oid| self.detached.contains(&ObjKey::new(super::key::class::ATTRDEF, oid)))
    }

    /// `schema.table`, unquoted, as items' `touches` name tables.
    pub fn display(&self, t: &Table) -> String {
        format!("{}.{}", t.schema, t.name)
    }

    /// A table and every partition parent above it: statements on a partition lock them all.
    pub fn lineage(&self, t: &Table) -> Vec<String> {
        let mut v = vec![self.display(t)];
        let mut cur = t;
        while let Some(p) = cur.partition_of.as_ref().and_then(|(p, _)| self.by_oid.get(p)) {
            v.push(self.display(p));
            cur = p;
        }
        v
    }

    /// A relation's (table's or view's) name for `touches`.
    fn rel_name(&self, oid: u32) -> Option<String> {
        self.by_oid
            .get(&oid)
            .map(|t| self.display(t))
            .or_else(|| self.cat.view_names.get(&oid).map(|(s, n)| format!("{s}.{n}")))
    }

    /// `own`, plus every relation the object `key` depends on.
    pub fn touches_for(&self, key: ObjKey, own: Vec<String>) -> Vec<String> {
        let mut v = own;
        for oid in self.rel_deps.get(&key).into_iter().flatten() {
            if let Some(n) = self.rel_name(*oid) {
                if !v.contains(&n) {
                    v.push(n);
                }
            }
        }
        v
    }
}

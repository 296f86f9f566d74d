//! The schema layer: reads the catalog inside the dump's snapshot (with an empty
//! `search_path`, so the server's own deparsers qualify every name) and turns it into DDL
//! items — tagged by section and kind, in an order that restores without errors.
//!
//! Takes a connection inside the snapshot, the filter and what to leave out; hands the dump a
//! [`Schema`]: the tables to copy and the items for the manifest.
//!
//! One module per object family holds its catalog query, its DDL and the identity
//! ([`ObjKey`]) that dependency ordering and decorations use: `schemas`,
//! `extensions`, `settings`, `types`, `routines`, `sequences`, `tables`, `views`,
//! `constraints`, `indexes`, `large_objects`, `builtin_grants`, `triggers`, `rules`, `policies`
//! (with `attached` turning those three into items), and through `extra`: `access_methods`,
//! `operators`, `conversions`, `transforms`, `foreign`, `collations`, `text_search`,
//! `languages`, `statistics`, `casts`, `event_triggers`, `publications`, `subscriptions`,
//! `default_privileges`. Around them: `scope` (what a filter covers), `depsort` (ordering by
//! `pg_depend`), `decorations` and `privileges` (owners, grants, comments), `roles`, `query`
//! (shared SQL).
//! A new family is one module plus a line in [`Catalog::read`] and, unless it reads into
//! `Extra`s, one in [`FAMILIES`].

mod access_methods;
mod attached;
mod builtin_grants;
mod casts;
mod collations;
mod constraints;
mod conversions;
mod data_types;
mod decorations;
mod default_privileges;
mod depsort;
mod event_triggers;
mod extensions;
mod extra;
mod foreign;
mod indexes;
mod key;
mod languages;
mod large_objects;
mod locks;
mod operators;
mod policies;
mod postpone;
mod privileges;
mod publications;
mod query;
mod requires;
mod roles;
mod routines;
mod rules;
mod schemas;
mod scope;
mod sequences;
mod settings;
mod statistics;
mod subscriptions;
mod tables;
mod text_search;
mod transforms;
mod triggers;
mod types;
mod views;

use std::collections::{BTreeMap, HashMap, HashSet};

use tokio_postgres::Client;

pub use roles::roles_named;
pub(crate) use roles::{ensure_roles, read_roles};
pub(crate) use scope::{Leave, MappingOptions};

use self::depsort::{Depends, Node};
use self::key::{class, ObjKey};
use self::scope::Context;
use crate::archive::{ColumnType, CopyFormat, DdlItem, Kind, Section};
use crate::error::{Error, Result};
use crate::filter::Filter;

/// Lock the selected tables as soon as they are listed, waiting at most this long for each
/// `LOCK TABLE` statement (`None`: as long as it takes).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LockWait(pub Option<std::time::Duration>);

/// Everything read from the catalog, in one snapshot.
pub(crate) struct Catalog {
    block_size: u64,
    schemas: BTreeMap<String, u32>,
    extensions: Vec<extensions::Extension>,
    database_settings: Vec<settings::Setting>,
    types: Vec<(u32, String, types::UserType)>,
    /// Domain constraints (written inside CREATE DOMAIN): (domain, constraint).
    domain_check_oids: Vec<(u32, u32)>,
    routines: Vec<routines::Routine>,
    sequences: Vec<sequences::Sequence>,
    tables: Vec<tables::Table>,
    data: HashMap<u32, data_types::TableData>,
    constraints: Vec<constraints::Constraint>,
    /// CHECK constraints written inside CREATE TABLE: (table, constraint).
    check_oids: Vec<(u32, u32)>,
    indexes: Vec<indexes::Index>,
    views: Vec<views::View>,
    /// Views and materialized views: oid → (schema, name).
    view_names: HashMap<u32, (String, String)>,
    attached: Vec<attached::Attached>,
    extras: Vec<extra::Extra>,
    /// What the user should know about what reading left out (user mappings' passwords).
    warnings: Vec<String>,
    large_objects: Vec<u32>,
    builtin_grants: Vec<builtin_grants::BuiltinGrant>,
    depends: Depends,
}

impl Catalog {
    /// Reads every family in the current transaction.
    async fn read(client: &Client, filter: &Filter, leave: &Leave<'_>, lock_wait: Option<LockWait>) -> Result<Catalog> {
        let block_size = client
            .query_one("SELECT pg_catalog.current_setting('block_size')::int8", &[])
            .await
            .map_err(query::db("block size"))?
            .get::<_, i64>(0) as u64;
        let mut tables = tables::read(client).await?;
        if let Some(LockWait(wait)) = lock_wait {
            let selected = scope::selected_tables(&tables, filter);
            let dumped: Vec<&tables::Table> = tables.iter().filter(|t| selected.contains(&t.oid)).collect();
            locks::lock(client, &dumped, wait).await?;
        }
        tables::read_sizes(client, &mut tables).await?;
        let (constraints, check_oids) = constraints::read(client, &mut tables).await?;
        let (types, domain_check_oids) = types::read(client).await?;
        let view_names = views::read_names(client).await?;
        let mut with_views: Vec<u32> = tables.iter().map(|t| t.oid).collect();
        with_views.extend(view_names.keys());
        let indexes = indexes::read(client, &with_views).await?;
        let views = views::read(client).await?;
        let mut rels: Vec<u32> = tables.iter().map(|t| t.oid).collect();
        rels.extend(views.iter().map(|v| v.oid));
        let mut attached = Vec::new();
        triggers::read(client, &rels, &mut attached).await?;
        rules::read(client, &rels, &mut attached).await?;
        policies::read(client, &rels, &mut attached).await?;
        let mut extras = Vec::new();
        access_methods::read(client, &mut extras).await?;
        operators::read(client, &mut extras).await?;
        conversions::read(client, &mut extras).await?;
        transforms::read(client, &mut extras).await?;
        let warnings = foreign::read(client, leave.user_mapping_options, &mut extras).await?;
        collations::read(client, &mut extras).await?;
        text_search::read(client, &mut extras).await?;
        languages::read(client, &mut extras).await?;
        statistics::read(client, &mut extras).await?;
        casts::read(client, &mut extras).await?;
        event_triggers::read(client, &mut extras).await?;
        publications::read(client, &mut extras).await?;
        subscriptions::read(client, &mut extras).await?;
        default_privileges::read(client, &mut extras).await?;
        Ok(Catalog {
            block_size,
            schemas: schemas::read(client).await?,
            extensions: extensions::read(client).await?,
            database_settings: settings::read(client).await?,
            types,
            domain_check_oids,
            routines: routines::read(client).await?,
            sequences: sequences::read(client).await?,
            data: data_types::read(client, &tables).await?,
            tables,
            constraints,
            check_oids,
            indexes,
            views,
            view_names,
            attached,
            extras,
            warnings,
            large_objects: large_objects::read(client).await?,
            builtin_grants: builtin_grants::read(client).await?,
            depends: Depends::read(client).await?,
        })
    }
}

/// How a family adds its items for the objects in scope.
type Build = fn(&Context<'_>, &mut Vec<Node>);

/// Every family's items, in this order: among items ready at the same time, with the same
/// section and priority, the earlier family's come first.
const FAMILIES: &[Build] = &[
    extensions::build,
    settings::build,
    extra::build,
    schemas::build,
    types::build,
    routines::build,
    sequences::build,
    tables::build,
    views::build,
    constraints::build,
    indexes::build,
    constraints::build_foreign_keys,
    attached::build,
    requires::build,
    large_objects::build,
    builtin_grants::build,
];

/// A table the dump covers.
#[derive(Debug, Clone)]
pub(crate) struct DumpTable {
    pub schema: String,
    pub name: String,
    /// `r` (ordinary: has data), `p` (partitioned) or `f` (foreign).
    pub kind: char,
    pub heap_bytes: u64,
    /// Heap + TOAST bytes.
    pub table_bytes: u64,
    /// The columns COPY reads (generated and dropped ones left out).
    pub columns: Vec<String>,
    /// The COPY format its data can travel in.
    pub format: CopyFormat,
    /// The types of `columns`.
    pub column_types: Vec<ColumnType>,
}

/// What the schema layer hands the dump.
pub(crate) struct Schema {
    /// The server's block size.
    pub block_size: u64,
    /// The tables the filter selects, parents before their partitions.
    pub tables: Vec<DumpTable>,
    /// Every statement, in restore order.
    pub items: Vec<DdlItem>,
    /// Whether the large objects' contents belong in the dump (it covers the whole database).
    pub large_objects: bool,
    /// What the user should know about what the dump leaves out.
    pub warnings: Vec<String>,
}

/// Reads the catalog and builds every item for the tables `filter` selects and the objects in
/// scope, leaving out what `leave` says; refuses a filter that selects no table.
pub(crate) async fn read(
    client: &Client,
    filter: &Filter,
    leave: &Leave<'_>,
    lock: Option<LockWait>,
) -> Result<Schema> {
    let cat = Catalog::read(client, filter, leave, lock).await?;
    let selected = scope::selected_tables(&cat.tables, filter);
    if selected.is_empty() && !filter.is_empty() {
        return Err(Error::Refused("no table matches the --schema/--table filters".into()));
    }
    let mut cx = Context::new(&cat, filter, &selected, leave);
    let mut nodes = build(&cx);
    // A partial dump: defaults and checks that need what it leaves out are made apart.
    let partial = !filter.is_empty() || !leave.exclude_kinds.is_empty() || !leave.managed_schemas.is_empty();
    if partial {
        cx.detached = requires::detachable(&cat, &selected, &requires::emitted(&nodes, &cat));
        if !cx.detached.is_empty() {
            nodes = build(&cx);
        }
    }
    postpone::postpone_early(&mut nodes, &cat.views, &cat.depends);
    // Post-data statements run in parallel and keep their order only where they touch the same
    // thing: an object without a table (publication, event trigger) touches itself.
    for n in nodes.iter_mut().filter(|n| n.item.section == Section::PostData && n.item.touches.is_empty()) {
        n.item.touches = vec![n.item.label()];
    }
    // CHECK constraints written inside CREATE TABLE, and a domain's constraints written inside
    // CREATE DOMAIN, still carry their own comments.
    let mut inner: HashMap<ObjKey, Vec<(ObjKey, Kind)>> = HashMap::new();
    let inline = |c: &u32| !cx.detached.contains(&ObjKey::new(class::CONSTRAINT, *c));
    for (table, check) in cat.check_oids.iter().filter(|(_, c)| leave.keeps(Kind::Constraint) && inline(c)) {
        inner
            .entry(ObjKey::new(class::REL, *table))
            .or_default()
            .push((ObjKey::new(class::CONSTRAINT, *check), Kind::Constraint));
    }
    for batch in cat.large_objects.chunks(large_objects::BATCH) {
        inner
            .entry(ObjKey::new(class::LARGE_OBJECT, batch[0]))
            .or_default()
            .extend(batch[1..].iter().map(|o| (ObjKey::new(class::LARGE_OBJECT, *o), Kind::LargeObject)));
    }
    // An identity sequence is created with its column; its grants and comment follow its table.
    for s in cat.sequences.iter().filter(|s| cx.scope.sequence(s)) {
        if let Some((table, _, true)) = s.owner {
            inner
                .entry(ObjKey::new(class::REL, table))
                .or_default()
                .push((ObjKey::new(class::REL, s.oid), Kind::Sequence));
        }
    }
    for (domain, check) in &cat.domain_check_oids {
        inner
            .entry(ObjKey::new(class::TYPE, *domain))
            .or_default()
            .push((ObjKey::new(class::CONSTRAINT, *check), Kind::Type));
    }
    let keys: Vec<ObjKey> = nodes
        .iter()
        .filter_map(|n| n.key)
        .filter(|k| k.class != class::SHELL_TYPE && k.class != class::INHERITS)
        .flat_map(|k| std::iter::once(k).chain(inner.get(&k).into_iter().flatten().map(|(c, _)| *c)))
        .collect();
    let found = decorations::read(client, &keys).await?;
    let follows: HashSet<ObjKey> =
        cat.sequences.iter().filter(|s| s.owner.is_some()).map(|s| ObjKey::new(class::REL, s.oid)).collect();
    decorations::decorate(&mut nodes, &found, &inner, &follows);
    // The decorations of kinds left out (comments with --no-comments) go too.
    nodes.retain(|n| {
        !matches!(n.item.kind, Kind::Comment | Kind::Grant | Kind::Owner | Kind::SecurityLabel)
            || leave.keeps(n.item.kind)
    });
    if partial {
        let emitted = requires::emitted(&nodes, &cat);
        requires::record(client, &mut nodes, &cat.depends, &emitted).await?;
    }
    let items: Vec<DdlItem> = cat.depends.sort(nodes).into_iter().map(|n| n.item).collect();
    let tables = cat
        .tables
        .iter()
        .filter(|t| selected.contains(&t.oid))
        .map(|t| DumpTable {
            schema: t.schema.clone(),
            name: t.name.clone(),
            kind: t.kind,
            heap_bytes: t.heap_bytes,
            table_bytes: t.table_bytes,
            columns: t.columns.iter().filter(|c| !c.generated).map(|c| c.name.clone()).collect(),
            format: cat.data[&t.oid].format,
            column_types: cat.data[&t.oid].column_types.clone(),
        })
        .collect();
    let large_objects =
        !cat.large_objects.is_empty() && cx.scope.extensions && !leave.exclude_kinds.contains(&Kind::LargeObject);
    let mut warnings = cat.warnings.clone();
    warnings.extend(
        items
            .iter()
            .filter(|i| i.kind == Kind::Index && leave.exclude_kinds.contains(&Kind::Index))
            .map(|i| format!("{} is kept although indexes are left out: a foreign key references it", i.label())),
    );
    Ok(Schema { block_size: cat.block_size, tables, items, large_objects, warnings })
}

/// Every family's nodes for the objects in scope, without the kinds `leave` leaves out (but
/// with the unique indexes the foreign keys it keeps reference).
fn build(cx: &Context<'_>) -> Vec<Node> {
    let mut nodes = Vec::new();
    for build in FAMILIES {
        build(cx, &mut nodes);
    }
    let for_foreign_keys = requires::indexes_foreign_keys_need(cx, &nodes);
    nodes.retain(|n| cx.leave.keeps(n.item.kind) || n.key.is_some_and(|k| for_foreign_keys.contains(&k)));
    nodes
}

/// An item with nothing but its section, kind, names and statement; families fill in the rest.
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
        variants: Vec::new(),
        needs: Vec::new(),
        requires: Vec::new(),
    }
}

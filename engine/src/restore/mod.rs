//! The restore: `prepare` selects items and chunks from the archive alone — a [`RestorePlan`]
//! that can be printed without a database; `execute` checks roles, creates the pre-data schema
//! in one transaction, loads chunks in parallel (several chunks of one table at once), sets
//! sequences, then builds indexes and constraints in parallel, never running two statements
//! that lock the same table at once.
//!
//! Takes an open [`Archive`] and [`RestoreOptions`]; hands back a [`RestoreSummary`]. Files:
//! `execute.rs` (the run, its checks and messages), `load.rs` (the COPY-in workers),
//! `schedule.rs` (parallel post-data statements).

mod execute;
mod load;
mod planner_stats;
mod schedule;
mod select;
mod skips;

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::archive::{Archive, Contents, DdlItem, Kind, Section};
use crate::error::{Error, Result};
use crate::filter::Filter;

/// How to restore.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RestoreOptions {
    /// Parallel connections loading data; index and constraint builds run up to twice as many.
    pub jobs: usize,
    /// Drop the archive's objects from the target first.
    pub clean: bool,
    /// Create the target database first.
    pub create: bool,
    /// Sections to restore; empty means all.
    pub sections: Vec<Section>,
    /// Schemas and tables to restore.
    pub filter: Filter,
    /// Kinds of objects to leave out (`--no-functions`, …).
    pub exclude_kinds: Vec<Kind>,
    /// Leave out `ALTER … OWNER TO`: objects belong to the restoring user.
    pub no_owner: bool,
    /// Leave out grants.
    pub no_privileges: bool,
    /// Create missing roles (as recorded by `dump --globals`, else NOLOGIN) instead of failing.
    pub create_roles: bool,
    /// Load data with triggers and foreign keys off (`session_replication_role = replica`;
    /// needs a superuser), for data-only restores into an existing schema.
    pub disable_triggers: bool,
    /// With a table filter: also restore what the selected tables need (types, functions,
    /// schemas, extensions, sequences); into a database that exists, each only if it is missing.
    /// `None`: yes.
    pub dependencies: Option<bool>,
    /// Everything in one transaction on one connection (no parallelism): a failure leaves
    /// nothing behind.
    pub single_transaction: bool,
    /// Leave out the check of every chunk to be loaded that runs before anything changes (for
    /// archives verified already; the check reads the chunks once more, at about 1.5 GB/s of
    /// COPY data per core).
    pub skip_check: bool,
    /// Give a PostgreSQL 18 target the archive's planner statistics (`--no-statistics`: not).
    #[serde(default = "yes")]
    pub statistics: bool,
    /// Run ANALYZE on the restored tables where statistics are not given (an older target, an
    /// archive without them); `--no-analyze`: not.
    #[serde(default = "yes")]
    pub analyze: bool,
}

fn yes() -> bool {
    true
}

impl Default for RestoreOptions {
    fn default() -> Self {
        RestoreOptions {
            jobs: 2,
            clean: false,
            create: false,
            sections: Vec::new(),
            filter: Filter::default(),
            exclude_kinds: Vec::new(),
            no_owner: false,
            no_privileges: false,
            create_roles: false,
            disable_triggers: false,
            skip_check: false,
            dependencies: None,
            single_transaction: false,
            statistics: true,
            analyze: true,
        }
    }
}

/// What a restore will do, computed from the archive alone.
#[derive(Debug, Clone)]
pub struct RestorePlan {
    options: RestoreOptions,
    /// Statements run before the data, in order, in one transaction.
    pub pre_data: Vec<DdlItem>,
    /// `(table, chunk)` indexes into the manifest, largest first.
    pub chunks: Vec<(usize, usize)>,
    /// Statements of the data section (sequence values).
    pub data_items: Vec<DdlItem>,
    /// Statements run after the data, in parallel where they lock different tables.
    pub post_data: Vec<DdlItem>,
    /// Each statement's position in the manifest's list (what `DdlItem::needs` refers to).
    pre_data_at: Vec<u32>,
    data_items_at: Vec<u32>,
    post_data_at: Vec<u32>,
    /// Schemas the restore writes into.
    pub schemas: Vec<String>,
    /// What a selective restore leaves out that the user should know about.
    pub notices: Vec<String>,
    /// Per pre-data statement: created only if missing (a dependency of selected tables
    /// restored into a database that exists; never dropped by `--clean`).
    pub optional: Vec<bool>,
    /// With a table filter: the relations it restores (`schema.name`), which must not exist
    /// in the target unless `--clean`.
    pub relations: Option<Vec<String>>,
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreSummary {
    /// Tables loaded.
    pub tables: usize,
    /// Chunks loaded.
    pub chunks: usize,
    /// Rows loaded.
    pub rows: u64,
    /// Raw bytes loaded.
    pub raw_bytes: u64,
    /// Schema statements run.
    pub statements: usize,
    /// What the planner-statistics step did (`statistics given to 12 relations in 0.05 s`,
    /// `analyzed 12 relations …`), if it ran.
    pub statistics: Option<String>,
    /// Objects skipped because what they need is neither in the archive nor in the target,
    /// each with why (also sent as warnings).
    pub skipped: Vec<String>,
    /// Wall time.
    pub elapsed: Duration,
}

fn item_schema(item: &DdlItem) -> &str {
    item.schema.as_deref().unwrap_or(&item.name)
}

/// Whether the options leave this item's kind in.
fn kind_wanted(item: &DdlItem, options: &RestoreOptions) -> bool {
    let mut excluded = options.exclude_kinds.clone();
    if options.no_owner {
        excluded.push(Kind::Owner);
    }
    if options.no_privileges {
        excluded.extend([Kind::Grant, Kind::DefaultPrivileges]);
    }
    !item.is_of(&excluded)
}

/// Whether a schema filter (without table patterns) covers this item.
fn schema_wanted(item: &DdlItem, options: &RestoreOptions) -> bool {
    let filter = &options.filter;
    match &item.table {
        Some(t) => filter.table(item_schema(item), t),
        None if item.kind == Kind::Table => filter.table(item_schema(item), &item.name),
        None => filter.schema(item_schema(item)),
    }
}

/// A copy of item `i` whose `requires` also names what it needs that the restore leaves out
/// (`restored[j]` false), so it is made only where the target has it. Owners, grants and
/// comments follow their object instead.
fn with_requires(items: &[DdlItem], i: usize, restored: &[bool]) -> DdlItem {
    let mut it = items[i].clone();
    if !select::follower(it.kind) {
        for &j in &items[i].needs {
            let label = items[j as usize].label();
            if !restored[j as usize] && !it.requires.contains(&label) {
                it.requires.push(label);
            }
        }
    }
    it
}

/// Selects what to restore from an archive.
pub fn prepare(archive: &Archive, options: &RestoreOptions) -> Result<RestorePlan> {
    if options.jobs == 0 {
        return Err(Error::Refused("--jobs must be at least 1".into()));
    }
    let m = archive.manifest();
    let section = |s: Section| options.sections.is_empty() || options.sections.contains(&s);
    let selection = (!options.filter.tables.is_empty())
        .then(|| select::select(&m.items, &options.filter, options.dependencies.unwrap_or(true), options.create));
    let kinds_left = select::kinds_left(&m.items, |it| kind_wanted(it, options));
    let chosen = |i: usize, it: &DdlItem| match &selection {
        Some(sel) => sel.chosen[i],
        None => schema_wanted(it, options),
    };
    let restored: Vec<bool> = m.items.iter().enumerate().map(|(i, it)| kinds_left[i] && chosen(i, it)).collect();
    // What the selection, a schema filter or a left-out kind leaves out that an item needs
    // (a foreign key's table, a trigger's function, a view's other table): the item is made
    // only where the target has it.
    let items = |s: Section| -> (Vec<u32>, Vec<DdlItem>) {
        if !section(s) {
            return (Vec::new(), Vec::new());
        }
        m.items
            .iter()
            .enumerate()
            .filter(|&(i, it)| it.section == s && restored[i])
            .map(|(i, _)| (i as u32, with_requires(&m.items, i, &restored)))
            .unzip()
    };
    let mut chunks = Vec::new();
    if section(Section::Data) {
        for (ti, t) in m.tables.iter().enumerate() {
            if options.filter.table(&t.schema, &t.name) {
                chunks.extend((0..t.chunks.len()).map(|ci| (ti, ci)));
            }
        }
    }
    chunks.sort_by_key(|&(t, c)| std::cmp::Reverse(m.tables[t].chunks[c].raw_len));
    let ((pre_data_at, pre_data), (data_items_at, data_items), (post_data_at, post_data)) =
        (items(Section::PreData), items(Section::Data), items(Section::PostData));
    let plan = RestorePlan {
        options: options.clone(),
        pre_data,
        data_items,
        post_data,
        pre_data_at,
        data_items_at,
        post_data_at,
        schemas: Vec::new(),
        chunks,
        optional: Vec::new(),
        relations: selection.as_ref().map(|s| s.relations.clone()),
        notices: selection.as_ref().map(|s| s.notices.clone()).unwrap_or_default(),
    };
    let optional = match &selection {
        Some(sel) if !options.create => m
            .items
            .iter()
            .enumerate()
            .filter(|(i, it)| {
                section(Section::PreData) && it.section == Section::PreData && kinds_left[*i] && sel.chosen[*i]
            })
            .map(|(i, _)| sel.dependency[i])
            .collect(),
        _ => vec![false; plan.pre_data.len()],
    };
    let plan = RestorePlan { optional, ..plan };
    // The schemas the restore creates objects in (a trigger or policy on another schema's table
    // does not make that schema the archive's).
    let creates = |k: Kind| {
        matches!(
            k,
            Kind::Schema
                | Kind::Table
                | Kind::View
                | Kind::MaterializedView
                | Kind::Sequence
                | Kind::Type
                | Kind::Function
                | Kind::Aggregate
                | Kind::Collation
                | Kind::TextSearch
        )
    };
    let mut schemas: BTreeSet<String> =
        plan.pre_data.iter().filter(|i| creates(i.kind)).map(|i| item_schema(i).to_string()).collect();
    schemas.extend(
        plan.chunks
            .iter()
            .map(|&(t, _)| &m.tables[t])
            .filter(|t| t.contents == Contents::Rows)
            .map(|t| t.schema.clone()),
    );
    let selects_nothing =
        plan.pre_data.is_empty() && plan.chunks.is_empty() && plan.post_data.is_empty() && plan.data_items.is_empty();
    if selects_nothing && !options.filter.is_empty() {
        return Err(Error::Refused("nothing in the archive matches the --schema/--table filters".into()));
    }
    Ok(RestorePlan { schemas: schemas.into_iter().collect(), ..plan })
}

impl RestorePlan {
    /// Statements created only where the target has what they need, with those objects.
    pub fn tentative(&self) -> impl Iterator<Item = &DdlItem> {
        self.pre_data.iter().chain(&self.data_items).chain(&self.post_data).filter(|it| !it.requires.is_empty())
    }

    /// Tables whose data is loaded.
    pub fn table_count(&self) -> usize {
        self.chunks.iter().map(|&(t, _)| t).collect::<HashSet<_>>().len()
    }
}

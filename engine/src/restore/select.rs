//! Selective restore by table: a `--table` pattern selects tables, views and sequences; what
//! belongs to them comes along (their constraints, indexes, triggers, rules, policies,
//! row-level security, owned sequences, refreshes, and the owners, grants, comments and values
//! of everything selected); with dependencies (the default), so do the objects they need
//! (types, functions, schemas, extensions, sequences their defaults use) — into a database that
//! exists, each only if it is missing there. A foreign key to a table that is not
//! restored is left out with a notice. Everything is decided from the archive alone, so
//! `--dry-run` and `--list` show exactly what a restore runs.

use crate::archive::{DdlItem, Kind};
use crate::filter::Filter;

/// Which items a table selection restores, and what it says about what it left out.
pub(super) struct Selection {
    /// Per item of the manifest, whether it is restored.
    pub chosen: Vec<bool>,
    /// Per item, whether it is there only because a selected object needs it: into a database
    /// that exists it is created only if missing (see `RestorePlan::optional`).
    pub dependency: Vec<bool>,
    /// `schema.name` of the tables, views and sequences the patterns name.
    pub relations: Vec<String>,
    /// Things left out the user should know about.
    pub notices: Vec<String>,
}

/// Objects a `--table` pattern names (a table's piece made apart, such as a column default
/// that needs an object the archive lacks, names its table instead).
fn named_by_table_patterns(it: &DdlItem) -> bool {
    matches!(it.kind, Kind::Table | Kind::View | Kind::MaterializedView | Kind::Sequence) && it.table.is_none()
}

/// What belongs to the table (or view) it is created on.
fn attached(it: &DdlItem) -> bool {
    (it.kind == Kind::Table && it.table.is_some())
        || matches!(
            it.kind,
            Kind::Constraint
                | Kind::ForeignKey
                | Kind::Index
                | Kind::Trigger
                | Kind::Rule
                | Kind::Policy
                | Kind::RowSecurity
                | Kind::Refresh
                | Kind::SequenceOwnedBy
        )
}

/// What follows the object it decorates or sets once that object is restored.
pub(super) fn follower(kind: Kind) -> bool {
    matches!(kind, Kind::Owner | Kind::Grant | Kind::Comment | Kind::SecurityLabel | Kind::SequenceSet)
}

/// The items a table `filter` selects; `dependencies` adds what they need. When the restore
/// does not create the database (`creating` false), what it needs may exist already: it is
/// marked, and its owners, grants and comments are left as the target has them.
pub(super) fn select(items: &[DdlItem], filter: &Filter, dependencies: bool, creating: bool) -> Selection {
    let schema = |it: &DdlItem| it.schema.clone().unwrap_or_default();
    let mut chosen: Vec<bool> =
        items.iter().map(|it| named_by_table_patterns(it) && filter.table(&schema(it), &it.name)).collect();
    let seeds = chosen.clone();
    let seed_names: std::collections::HashSet<(Option<&str>, &str)> =
        items.iter().zip(&seeds).filter(|(_, &on)| on).map(|(s, _)| (s.schema.as_deref(), s.name.as_str())).collect();
    // An item on a table names it (a foreign key also needs the table it references).
    let on_seed = |it: &DdlItem| match &it.table {
        Some(t) => seed_names.contains(&(it.schema.as_deref(), t.as_str())),
        None => it.needs.iter().any(|&j| seeds[j as usize]),
    };
    let mut notices = Vec::new();
    for (i, it) in items.iter().enumerate() {
        if !attached(it) || !on_seed(it) {
            continue;
        }
        let missing: Vec<&DdlItem> = it
            .needs
            .iter()
            .filter(|&&j| items[j as usize].kind == Kind::Table && !seeds[j as usize])
            .map(|&j| &items[j as usize])
            .collect();
        if it.kind == Kind::ForeignKey && !missing.is_empty() {
            let names: Vec<String> = missing.iter().map(|t| t.label()).collect();
            // A new database cannot have the table; one that exists may.
            if creating {
                notices.push(format!(
                    "leaving out {}: it references {}, which is not restored",
                    it.label(),
                    names.join(", ")
                ));
                continue;
            }
            // Chosen: what it needs and the restore leaves out makes it tentative (`prepare`).
            notices.push(format!(
                "{} is created only if the target has {} (not restored)",
                it.label(),
                names.join(", ")
            ));
        }
        chosen[i] = true;
        // A table's serial sequences come with it.
        if it.kind == Kind::SequenceOwnedBy {
            for &j in &it.needs {
                if items[j as usize].kind == Kind::Sequence {
                    chosen[j as usize] = true;
                }
            }
        }
    }
    let mut dependency = vec![false; items.len()];
    if dependencies {
        let mut stack: Vec<usize> = (0..items.len()).filter(|&i| chosen[i]).collect();
        while let Some(i) = stack.pop() {
            // What a foreign key needs is its tables and their keys: restored only when
            // selected (else the key is tentative, above), never pulled in as dependencies.
            if items[i].kind == Kind::ForeignKey {
                continue;
            }
            for &j in &items[i].needs {
                if !chosen[j as usize] {
                    chosen[j as usize] = true;
                    dependency[j as usize] = true;
                    stack.push(j as usize);
                }
            }
        }
    }
    // Into a database that exists, the views on the selected tables come back too (a table
    // dropped there took them along), each only where what else it needs is there.
    if !creating {
        let mut changed = true;
        while changed {
            changed = false;
            for (i, it) in items.iter().enumerate() {
                let view = matches!(it.kind, Kind::View | Kind::MaterializedView) && it.table.is_none();
                let on_chosen = || it.needs.iter().any(|&j| seeds[j as usize] || viewed(items, &chosen, j));
                if view && !chosen[i] && on_chosen() {
                    chosen[i] = true;
                    changed = true;
                }
            }
        }
        // Their refreshes, indexes and what else hangs off them.
        for (i, it) in items.iter().enumerate() {
            if attached(it) && !chosen[i] && it.needs.iter().any(|&j| viewed(items, &chosen, j)) {
                chosen[i] = true;
            }
        }
    }
    for (i, it) in items.iter().enumerate() {
        let objects_chosen = !it.needs.is_empty() && it.needs.iter().all(|&j| chosen[j as usize]);
        let on_existing = !creating && it.needs.iter().any(|&j| dependency[j as usize]);
        if follower(it.kind) && objects_chosen && !on_existing {
            chosen[i] = true;
        }
    }
    let relations =
        items.iter().zip(&seeds).filter(|(_, &on)| on).map(|(it, _)| format!("{}.{}", schema(it), it.name)).collect();
    Selection { chosen, dependency, relations, notices }
}

/// Whether item `j` is a view chosen for restore.
fn viewed(items: &[DdlItem], chosen: &[bool], j: u32) -> bool {
    chosen[j as usize] && matches!(items[j as usize].kind, Kind::View | Kind::MaterializedView)
}

/// Per item, whether the kinds asked for leave it in: an item left out takes along what hangs
/// off it (an index on a materialized view left out by `--no-views`, a comment on it).
pub(super) fn kinds_left(items: &[DdlItem], wanted: impl Fn(&DdlItem) -> bool) -> Vec<bool> {
    let mut left: Vec<bool> = items.iter().map(&wanted).collect();
    let mut changed = true;
    while changed {
        changed = false;
        for (i, it) in items.iter().enumerate() {
            let hangs_off = attached(it) || follower(it.kind);
            if left[i] && hangs_off && it.kind != Kind::ForeignKey && it.needs.iter().any(|&j| !left[j as usize]) {
                left[i] = false;
                changed = true;
            }
        }
    }
    left
}

//! Dump profiles: the built-in ones (full, structure-only, data-only, minimal) and those named
//! in the config, applied onto [`DumpOptions`].

use anyhow::{bail, Result};
use pgark_engine::{DumpOptions, Kind};
use serde::Deserialize;

use super::Config;

/// A named set of dump options.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// A built-in profile this one starts from.
    pub base: Option<String>,
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(default)]
    pub exclude_schemas: Vec<String>,
    #[serde(default)]
    pub tables: Vec<String>,
    #[serde(default)]
    pub exclude_tables: Vec<String>,
    /// Tables dumped without their rows.
    #[serde(default)]
    pub exclude_table_data: Vec<String>,
    #[serde(default)]
    pub no_data: bool,
    #[serde(default)]
    pub no_structure: bool,
    #[serde(default)]
    pub no_functions: bool,
    #[serde(default)]
    pub no_rls: bool,
    #[serde(default)]
    pub no_triggers: bool,
    #[serde(default)]
    pub no_indexes: bool,
    #[serde(default)]
    pub no_constraints: bool,
    #[serde(default)]
    pub no_views: bool,
    #[serde(default)]
    pub no_comments: bool,
    #[serde(default)]
    pub no_publications: bool,
    #[serde(default)]
    pub no_subscriptions: bool,
    /// Store chunks uncompressed.
    #[serde(default)]
    pub no_compress: bool,
}

/// The kinds a `--no-X` toggle (and a profile's `no_X`) leaves out, by toggle name.
pub const TOGGLES: [&str; 9] =
    ["functions", "rls", "triggers", "indexes", "constraints", "views", "comments", "publications", "subscriptions"];

/// Adds the kinds of the toggles that are on (`(on, name)`, names from [`TOGGLES`]) to `kinds`.
pub fn leave_out<'a>(toggles: impl IntoIterator<Item = (bool, &'a str)>, kinds: &mut Vec<Kind>) {
    for (on, name) in toggles {
        for k in Kind::toggle(name).filter(|_| on).into_iter().flatten() {
            if !kinds.contains(k) {
                kinds.push(*k);
            }
        }
    }
}

/// Applies profile `name` (built-in or from the config) to `options`.
pub fn apply_profile(name: &str, config: &Config, options: &mut DumpOptions) -> Result<()> {
    let builtin = |n: &str, o: &mut DumpOptions| -> bool {
        match n {
            "full" => {}
            "structure-only" => o.data = false,
            "data-only" => o.structure = false,
            _ => return false,
        }
        true
    };
    options.profile = Some(name.to_string());
    if let Some(p) = config.profiles.get(name) {
        if let Some(base) = &p.base {
            if !builtin(base, options) {
                bail!("profile '{name}': base '{base}' is not one of full, structure-only, data-only");
            }
        }
        apply(p, options);
        if name == "minimal" && p.tables.is_empty() {
            bail!("profile 'minimal' in the config lists no tables (tables = [\"schema.table\", …])");
        }
        return Ok(());
    }
    if builtin(name, options) {
        return Ok(());
    }
    if name == "minimal" {
        bail!("profile 'minimal' dumps the main tables listed in pgark.toml: add [profiles.minimal] tables = [\"schema.table\", …]");
    }
    let known: Vec<&str> = ["full", "structure-only", "data-only", "minimal"]
        .into_iter()
        .chain(config.profiles.keys().map(String::as_str))
        .collect();
    bail!("unknown profile '{name}' (known: {})", known.join(", "))
}

fn apply(p: &Profile, o: &mut DumpOptions) {
    o.filter.schemas.extend(p.schemas.iter().cloned());
    o.filter.exclude_schemas.extend(p.exclude_schemas.iter().cloned());
    o.filter.tables.extend(p.tables.iter().cloned());
    o.filter.exclude_tables.extend(p.exclude_tables.iter().cloned());
    o.exclude_table_data.extend(p.exclude_table_data.iter().cloned());
    o.data &= !p.no_data;
    o.structure &= !p.no_structure;
    if p.no_compress {
        o.compression = pgark_engine::Compression::None;
    }
    let on = [
        p.no_functions,
        p.no_rls,
        p.no_triggers,
        p.no_indexes,
        p.no_constraints,
        p.no_views,
        p.no_comments,
        p.no_publications,
        p.no_subscriptions,
    ];
    leave_out(on.into_iter().zip(TOGGLES), &mut o.exclude_kinds);
}

//! Editing the config file in place (`schedule enable/disable`): comments and formatting of
//! pgark.toml kept (toml_edit), the JSON's key order, indentation and unknown keys kept.

use std::path::Path;

use anyhow::{bail, Context, Result};

/// Sets `key = value` (or removes it when `None`) in schedule `name` of the config file at
/// `path` — pgark.toml or the original JSON — keeping everything else as it is; the file is
/// replaced atomically.
pub fn edit(path: &Path, name: &str, changes: &[(&str, Option<Value>)]) -> Result<()> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let new = if super::is_json(path) { edit_json(&text, name, changes)? } else { edit_toml(&text, name, changes)? };
    crate::files::replace(path, new)
}

/// A value to set.
#[derive(Debug, Clone)]
pub enum Value {
    /// A string.
    Text(String),
    /// A boolean.
    Bool(bool),
}

fn edit_toml(text: &str, name: &str, changes: &[(&str, Option<Value>)]) -> Result<String> {
    let mut doc: toml_edit::DocumentMut = text.parse().context("the config is not valid TOML")?;
    let schedules = doc.entry("schedules").or_insert_with(|| {
        let mut t = toml_edit::Table::new();
        t.set_implicit(true);
        toml_edit::Item::Table(t)
    });
    let schedules = schedules.as_table_mut().context("schedules in the config is not a table")?;
    let table = schedules.entry(name).or_insert_with(toml_edit::table).as_table_mut().context("not a table")?;
    for (key, value) in changes {
        match value {
            Some(Value::Text(s)) => table[*key] = toml_edit::value(s.as_str()),
            Some(Value::Bool(b)) => table[*key] = toml_edit::value(*b),
            None => {
                table.remove(key);
            }
        }
    }
    Ok(doc.to_string())
}

fn edit_json(text: &str, name: &str, changes: &[(&str, Option<Value>)]) -> Result<String> {
    let mut root: serde_json::Value = serde_json::from_str(text).context("the config is not valid JSON")?;
    let root_map = root.as_object_mut().context("the config is not a JSON object")?;
    let schedules = root_map.entry("schedules").or_insert_with(|| serde_json::json!({}));
    let schedule = schedules
        .as_object_mut()
        .context("schedules is not an object")?
        .entry(name)
        .or_insert_with(|| serde_json::json!({}))
        .as_object_mut()
        .context("the schedule is not an object")?;
    for (key, value) in changes {
        // The original names its keys in camelCase and holds no `every` (the name says it).
        if *key == "every" || *key == "timezone" || *key == "cron" {
            if value.is_some() && *key != "every" {
                bail!("the original JSON config has no '{key}': use pgark.toml for it");
            }
            continue;
        }
        match value {
            Some(Value::Text(s)) if *key == "day" && s.parse::<u64>().is_ok() => {
                schedule.insert(key.to_string(), serde_json::json!(s.parse::<u64>().expect("checked")));
            }
            Some(Value::Text(s)) => {
                schedule.insert(key.to_string(), serde_json::json!(s));
            }
            Some(Value::Bool(b)) => {
                schedule.insert(key.to_string(), serde_json::json!(b));
            }
            None => {
                schedule.remove(*key);
            }
        }
    }
    Ok(serde_json::to_string_pretty(&root)? + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_edits_keep_comments_and_other_keys() {
        let text = "# backups\nbackup_dir = \"/b\"  # where\n\n[schedules.daily]\n# nightly\nenabled = false\ntime = \"01:00\"\n";
        let out = edit_toml(
            text,
            "daily",
            &[("enabled", Some(Value::Bool(true))), ("time", Some(Value::Text("02:30".into())))],
        )
        .unwrap();
        assert!(out.starts_with("# backups\nbackup_dir = \"/b\"  # where\n"), "{out}");
        assert!(out.contains("# nightly\nenabled = true\ntime = \"02:30\""), "{out}");
        let added = edit_toml(text, "weekly", &[("every", Some(Value::Text("weekly".into())))]).unwrap();
        assert!(added.contains("[schedules.weekly]\nevery = \"weekly\""), "{added}");
    }
}

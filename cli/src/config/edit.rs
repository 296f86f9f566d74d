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
    let new = &root["schedules"][name];
    // Only the schedule's own text changes, so the rest of the file keeps its layout, key order,
    // indentation and unknown keys.
    let unit = indent_unit(text);
    if let Some(members) = object_members(text, 0) {
        if let Some(&(_, start, end)) = members.iter().find(|(k, ..)| k == "schedules") {
            let schedules = object_members(text, start).context("schedules is not an object")?;
            if let Some(&(_, s, e)) = schedules.iter().find(|(k, ..)| k == name) {
                let rendered = render(new, &text[s..e], &unit, line_indent(text, s))?;
                return Ok(format!("{}{rendered}{}", &text[..s], &text[e..]));
            }
            if let Some(&(_, last_start, last_end)) = schedules.last() {
                // A new member goes after the last one, on its own line when they are.
                let indent = line_indent(text, last_start);
                let sep = if text[start..end].contains('\n') { format!(",\n{indent}") } else { ", ".into() };
                let rendered = render(new, "{\n", &unit, indent.clone())?;
                let member = format!("{sep}{}: {rendered}", serde_json::to_string(name)?);
                return Ok(format!("{}{member}{}", &text[..last_end], &text[last_end..]));
            }
        }
    }
    // No schedules yet: the whole file, with its own indentation.
    Ok(pretty(&root, &unit)? + "\n")
}

/// `value` written the way `old` (the text it replaces) was: on one line when `old` was (with the
/// spaces inside braces it had), else indented by `unit` from `indent`.
fn render(value: &serde_json::Value, old: &str, unit: &str, indent: String) -> Result<String> {
    if !old.contains('\n') {
        let Some(map) = value.as_object() else { return Ok(serde_json::to_string(value)?) };
        let items: Vec<String> = map
            .iter()
            .map(|(k, v)| Ok(format!("{}: {}", serde_json::to_string(k)?, serde_json::to_string(v)?)))
            .collect::<Result<_>>()?;
        let pad = if old.starts_with("{ ") { " " } else { "" };
        return Ok(format!("{{{pad}{}{pad}}}", items.join(", ")));
    }
    Ok(pretty(value, unit)?.replace('\n', &format!("\n{indent}")))
}

/// `value` pretty-printed with `unit` as one level of indentation.
fn pretty(value: &serde_json::Value, unit: &str) -> Result<String> {
    use serde::Serialize;
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(
        &mut out,
        serde_json::ser::PrettyFormatter::with_indent(unit.as_bytes()),
    );
    value.serialize(&mut serializer)?;
    Ok(String::from_utf8(out)?)
}

/// The file's indentation unit: the first indented line's leading whitespace (two spaces if none).
fn indent_unit(text: &str) -> String {
    text.lines().map(|l| &l[..l.len() - l.trim_start().len()]).find(|w| !w.is_empty()).unwrap_or("  ").to_string()
}

/// The leading whitespace of the line `at` is on.
fn line_indent(text: &str, at: usize) -> String {
    let line = &text[text[..at].rfind('\n').map_or(0, |n| n + 1)..];
    line[..line.len() - line.trim_start().len()].to_string()
}

/// The members of the JSON object starting at byte `at` (after whitespace): each key with the
/// byte range of its value. `None` when there is no object there.
fn object_members(text: &str, at: usize) -> Option<Vec<(String, usize, usize)>> {
    let mut scan = Scan { b: text.as_bytes(), i: at };
    scan.ws();
    scan.members()
}

/// A cursor over JSON text that finds where values are (the text was parsed already, so it is valid).
struct Scan<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scan<'_> {
    fn ws(&mut self) {
        while self.b.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    /// A string at the cursor, decoded.
    fn string(&mut self) -> Option<String> {
        self.ws();
        let start = self.i;
        if self.b.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        while let Some(&c) = self.b.get(self.i) {
            self.i += 1;
            match c {
                b'\\' => self.i += 1,
                b'"' => return serde_json::from_slice(&self.b[start..self.i]).ok(),
                _ => {}
            }
        }
        None
    }

    /// Skips the value at the cursor.
    fn value(&mut self) -> Option<()> {
        self.ws();
        match *self.b.get(self.i)? {
            b'{' => self.members().map(|_| ()),
            b'[' => {
                self.i += 1;
                if self.eat(b']').is_some() {
                    return Some(());
                }
                loop {
                    self.value()?;
                    if self.eat(b',').is_none() {
                        return self.eat(b']');
                    }
                }
            }
            b'"' => self.string().map(|_| ()),
            _ => {
                while self.b.get(self.i).is_some_and(|c| !b",}] \t\r\n".contains(c)) {
                    self.i += 1;
                }
                Some(())
            }
        }
    }

    /// The members of the object at the cursor.
    fn members(&mut self) -> Option<Vec<(String, usize, usize)>> {
        self.eat(b'{')?;
        let mut out = Vec::new();
        if self.eat(b'}').is_some() {
            return Some(out);
        }
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            self.ws();
            let start = self.i;
            self.value()?;
            out.push((key, start, self.i));
            if self.eat(b',').is_none() {
                self.eat(b'}')?;
                return Some(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_edits_change_only_the_schedule() {
        let text = "{\n    \"default\": {\"backupDir\": \"./backups\", \"x\": [1, {\"y\": \"}\"}]},\n    \"schedules\": {\n        \"daily\":   { \"enabled\": false, \"time\": \"02:00\", \"profile\": \"full\" },\n        \"weekly\": {\n            \"enabled\": true,\n            \"time\": \"03:00\"\n        }\n    },\n    \"lastRun\": null\n}\n";
        let on = [("enabled", Some(Value::Bool(true))), ("time", Some(Value::Text("02:30".into())))];
        let out = edit_json(text, "daily", &on).unwrap();
        assert_eq!(
            out,
            text.replace("{ \"enabled\": false, \"time\": \"02:00\"", "{ \"enabled\": true, \"time\": \"02:30\"")
        );
        let out = edit_json(text, "weekly", &[("day", Some(Value::Text("sunday".into())))]).unwrap();
        assert_eq!(out, text.replace("\"03:00\"\n", "\"03:00\",\n            \"day\": \"sunday\"\n"), "{out}");
        let out =
            edit_json(text, "monthly", &[("enabled", Some(Value::Bool(true))), ("day", Some(Value::Text("1".into())))])
                .unwrap();
        let want = "\"time\": \"03:00\"\n        },\n        \"monthly\": {\n            \"enabled\": true,\n            \"day\": 1\n        }\n    },";
        assert!(out.contains(want), "{out}");
        assert!(
            out.starts_with("{\n    \"default\": {\"backupDir\": \"./backups\", \"x\": [1, {\"y\": \"}\"}]},"),
            "{out}"
        );
        let bare = edit_json("{\"default\": {}}", "daily", &on).unwrap();
        assert_eq!(serde_json::from_str::<serde_json::Value>(&bare).unwrap()["schedules"]["daily"]["time"], "02:30");
    }

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

//! Schema and table selection (`--schema`, `--exclude-schema`, `--table`, `--exclude-table`),
//! with `*` and `?` wildcards; a table pattern without a dot matches the table name in any schema.

use serde::{Deserialize, Serialize};

/// Which schemas and tables an operation covers; empty include lists mean "all".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// Schemas to include.
    pub schemas: Vec<String>,
    /// Schemas to leave out.
    pub exclude_schemas: Vec<String>,
    /// Tables to include (`name` or `schema.name`).
    pub tables: Vec<String>,
    /// Tables to leave out.
    pub exclude_tables: Vec<String>,
}

/// Whether `text` matches a pattern with `*` (any run) and `?` (one character).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Whether a table pattern (`name` or `schema.name`, with wildcards) matches this table.
pub(crate) fn table_matches(pattern: &str, schema: &str, name: &str) -> bool {
    match pattern.split_once('.') {
        Some((s, n)) => glob_match(s, schema) && glob_match(n, name),
        None => glob_match(pattern, name),
    }
}

impl Filter {
    /// Whether anything is being filtered.
    pub fn is_empty(&self) -> bool {
        self.schemas.is_empty()
            && self.exclude_schemas.is_empty()
            && self.tables.is_empty()
            && self.exclude_tables.is_empty()
    }

    /// Whether objects of this schema are covered.
    pub fn schema(&self, schema: &str) -> bool {
        (self.schemas.is_empty() || self.schemas.iter().any(|p| glob_match(p, schema)))
            && !self.exclude_schemas.iter().any(|p| glob_match(p, schema))
    }

    /// Whether this table is covered.
    pub fn table(&self, schema: &str, name: &str) -> bool {
        self.schema(schema)
            && (self.tables.is_empty() || self.tables.iter().any(|p| table_matches(p, schema, name)))
            && !self.exclude_tables.iter().any(|p| table_matches(p, schema, name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("small_*", "small_001"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "abbc"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("users", "users2"));
    }

    #[test]
    fn filters() {
        let f = Filter {
            tables: vec!["bench.small_*".into(), "users".into()],
            exclude_tables: vec!["small_002".into()],
            ..Default::default()
        };
        assert!(f.table("bench", "small_001"));
        assert!(!f.table("bench", "small_002"));
        assert!(f.table("other", "users"));
        assert!(!f.table("bench", "events"));
        let f = Filter { exclude_schemas: vec!["audit".into()], ..Default::default() };
        assert!(!f.table("audit", "log"));
        assert!(f.table("public", "log"));
    }
}

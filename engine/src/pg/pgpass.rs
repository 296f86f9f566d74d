//! libpq's password file: `$PGPASSFILE`, else `~/.pgpass`; lines `host:port:database:user:password`
//! where `*` matches anything and `\:` / `\\` escape; the first matching line wins; a file
//! others can read is ignored (as libpq does), and the connection error then says why.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

/// What the password file gave for a connection.
pub(super) enum Lookup {
    /// A matching line's password.
    Found(String),
    /// No file, or no line matches.
    None,
    /// The file exists but was ignored, and why (said when the login fails).
    Ignored(String),
}

fn file() -> Option<PathBuf> {
    match std::env::var_os("PGPASSFILE").filter(|v| !v.is_empty()) {
        Some(p) => Some(PathBuf::from(p)),
        None => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pgpass")),
    }
}

/// The fields of one line, unescaped; `None` for comments, blank and malformed lines.
fn fields(line: &str) -> Option<Vec<String>> {
    if line.starts_with('#') || line.trim().is_empty() {
        return None;
    }
    let mut out = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.last_mut()?.push(chars.next().unwrap_or('\\')),
            ':' if out.len() < 5 => out.push(String::new()),
            c => out.last_mut()?.push(c),
        }
    }
    (out.len() == 5).then_some(out)
}

/// The password for `user` on `database` at `host:port` (`host` "localhost" for a Unix socket).
pub(super) fn lookup(host: &str, port: u16, database: &str, user: &str) -> Lookup {
    let Some(path) = file() else { return Lookup::None };
    let Ok(meta) = std::fs::metadata(&path) else { return Lookup::None };
    if !meta.is_file() {
        return Lookup::None;
    }
    if meta.permissions().mode() & 0o077 != 0 {
        return Lookup::Ignored(format!(
            "the password file {} was ignored: others can read it (chmod 0600 it)",
            path.display()
        ));
    }
    let Ok(text) = std::fs::read_to_string(&path) else { return Lookup::None };
    let port = port.to_string();
    let wanted = [host, port.as_str(), database, user];
    for f in text.lines().filter_map(fields) {
        if f[..4].iter().zip(wanted).all(|(field, value)| field == "*" || field == value) {
            return Lookup::Found(f[4].clone());
        }
    }
    Lookup::None
}

#[cfg(test)]
mod tests {
    use super::fields;

    #[test]
    fn lines_are_split_on_unescaped_colons() {
        assert_eq!(fields("h:5432:db:u:p:w").unwrap(), ["h", "5432", "db", "u", "p:w"]);
        assert_eq!(fields(r"h\:x:*:db:u:p\\w").unwrap(), ["h:x", "*", "db", "u", r"p\w"]);
        assert!(fields("# comment").is_none() && fields("a:b:c").is_none() && fields("").is_none());
    }
}

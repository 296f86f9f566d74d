//! Rows as `INSERT` statements instead of `COPY … FROM stdin` (pg_dump's `--inserts` family), so
//! the script runs in any SQL client — one that cannot stream COPY data, like a web SQL editor.
//! The rows come decoded as COPY text; each field is turned back into its value and written as
//! a quoted literal the column's type reads (`standard_conforming_strings` is on in the script).

use crate::sql::{ident_list, qualified};

/// How rows are written as INSERTs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsertOptions {
    /// Rows per statement (pg_dump's `--rows-per-insert`; at least 1).
    pub rows_per_insert: usize,
    /// `ON CONFLICT DO NOTHING` after each statement.
    pub on_conflict_do_nothing: bool,
}

impl Default for InsertOptions {
    fn default() -> InsertOptions {
        InsertOptions { rows_per_insert: 1, on_conflict_do_nothing: false }
    }
}

/// The start of each statement: `INSERT INTO "s"."t" ("a", "b") VALUES`. The columns are always
/// named: an archive's column list leaves out generated columns, so a positional list could
/// misplace values.
pub(super) fn insert_head(schema: &str, name: &str, columns: &[String]) -> String {
    let list = if columns.is_empty() { String::new() } else { format!(" ({})", ident_list(columns)) };
    format!("INSERT INTO {}{list} VALUES", qualified(schema, name))
}

/// Writes the rows of `copy_text` (COPY text format: one row per line, tab-separated fields,
/// `\N` for NULL) as INSERT statements after `head`; returns how many rows. A table without
/// columns (`no_columns`) gets `DEFAULT VALUES` once per row.
pub(super) fn write_inserts(
    copy_text: &[u8],
    head: &str,
    no_columns: bool,
    options: &InsertOptions,
    out: &mut Vec<u8>,
) -> u64 {
    let per = options.rows_per_insert.max(1);
    let tail = if options.on_conflict_do_nothing { " ON CONFLICT DO NOTHING;\n" } else { ";\n" };
    let mut rows = 0u64;
    // Every line is a row (an empty one too: a row of one empty string, or of no columns).
    let lines: Vec<&[u8]> =
        copy_text.split_inclusive(|&b| b == b'\n').map(|l| l.strip_suffix(b"\n").unwrap_or(l)).collect();
    if no_columns {
        let insert = head.strip_suffix(" VALUES").unwrap_or(head);
        for _ in &lines {
            out.extend_from_slice(format!("{insert} DEFAULT VALUES{tail}").as_bytes());
        }
        return lines.len() as u64;
    }
    for group in lines.chunks(per) {
        out.extend_from_slice(head.as_bytes());
        for (i, line) in group.iter().enumerate() {
            out.extend_from_slice(if i == 0 { b" (" } else { b",\n\t(" });
            for (j, field) in line.split(|&b| b == b'\t').enumerate() {
                if j > 0 {
                    out.extend_from_slice(b", ");
                }
                literal(field, out);
            }
            out.push(b')');
            rows += 1;
        }
        out.extend_from_slice(tail.as_bytes());
    }
    rows
}

/// One COPY text field as an SQL literal: `NULL`, or the value unescaped and single-quoted.
fn literal(field: &[u8], out: &mut Vec<u8>) {
    if field == b"\\N" {
        out.extend_from_slice(b"NULL");
        return;
    }
    out.push(b'\'');
    let mut i = 0;
    while i < field.len() {
        let c = field[i];
        i += 1;
        if c == b'\'' {
            out.extend_from_slice(b"''");
            continue;
        }
        if c != b'\\' || i == field.len() {
            out.push(c);
            continue;
        }
        let e = field[i];
        i += 1;
        let byte = match e {
            b'b' => 8,
            b'f' => 12,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'v' => 11,
            b'0'..=b'7' => {
                // Up to three octal digits.
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match field.get(i) {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                v as u8
            }
            b'x' => {
                // One or two hex digits.
                let hex = |b: u8| (b as char).to_digit(16);
                let mut v = 0;
                for _ in 0..2 {
                    match field.get(i).and_then(|&b| hex(b)) {
                        Some(d) => {
                            v = v * 16 + d;
                            i += 1;
                        }
                        None => break,
                    }
                }
                v as u8
            }
            other => other,
        };
        if byte == b'\'' {
            out.extend_from_slice(b"''");
        } else {
            out.push(byte);
        }
    }
    out.push(b'\'');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_becomes_insert_statements() {
        let text = b"1\tit's\t\\N\n2\ta\\tb\\\\c\\nd\t\\x41\\101\n3\t\t{1,2}\n";
        let head = insert_head("s", "t", &["id".into(), "name".into(), "note".into()]);
        let mut out = Vec::new();
        let rows = write_inserts(text, &head, false, &InsertOptions::default(), &mut out);
        assert_eq!(rows, 3);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "INSERT INTO \"s\".\"t\" (\"id\", \"name\", \"note\") VALUES ('1', 'it''s', NULL);\n\
             INSERT INTO \"s\".\"t\" (\"id\", \"name\", \"note\") VALUES ('2', 'a\tb\\c\nd', 'AA');\n\
             INSERT INTO \"s\".\"t\" (\"id\", \"name\", \"note\") VALUES ('3', '', '{1,2}');\n"
        );
        let mut out = Vec::new();
        let options = InsertOptions { rows_per_insert: 2, on_conflict_do_nothing: true };
        write_inserts(text, "INSERT INTO t VALUES", false, &options, &mut out);
        let out = String::from_utf8(out).unwrap();
        assert_eq!(out.matches("INSERT INTO").count(), 2, "{out}");
        assert_eq!(out.matches(" ON CONFLICT DO NOTHING;\n").count(), 2, "{out}");
        assert!(out.contains("VALUES ('1', 'it''s', NULL),\n\t('2', "), "{out}");
        let mut out = Vec::new();
        assert_eq!(write_inserts(b"\n\n", "INSERT INTO t VALUES", true, &InsertOptions::default(), &mut out), 2);
        assert_eq!(out, b"INSERT INTO t DEFAULT VALUES;\nINSERT INTO t DEFAULT VALUES;\n");
        let mut out = Vec::new();
        assert_eq!(write_inserts(b"\n", "INSERT INTO t (\"c\") VALUES", false, &InsertOptions::default(), &mut out), 1);
        assert_eq!(out, b"INSERT INTO t (\"c\") VALUES ('');\n");
    }
}

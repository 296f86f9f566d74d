//! One table's rows read straight from an archive, chunk by chunk (each chunk's stored hash is
//! checked before any of its rows is written), as COPY text lines or CSV.

use std::io::Write;

use super::rows::{RowReader, RowSink};
use super::{copy_text_escape, csv_escape, json_string, Decoder, JsonKind, SourceFacts};
use crate::archive::{Archive, CopyFormat, TableEntry};
use crate::error::{Error, Result};

/// How rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowFormat {
    /// PostgreSQL's COPY text format: tab-separated, `\N` for NULL, backslash escapes.
    Text,
    /// CSV (RFC 4180): NULL as an empty field, an empty string as `""`.
    Csv,
    /// One JSON object per line, keyed by column name (see [`Decoder::json`]; for tables
    /// dumped in text COPY format booleans, numbers and json are typed, the rest are strings).
    Jsonl,
}

/// What `write_rows` writes.
#[derive(Debug, Clone, Default)]
pub struct RowOptions {
    /// Text or CSV.
    pub format: Option<RowFormat>,
    /// At most this many rows.
    pub limit: Option<u64>,
    /// These columns, in this order (default: all).
    pub columns: Option<Vec<String>>,
    /// A first line with the column names (CSV).
    pub header: bool,
}

/// Formats rows of one table in one format, reusing its buffers.
struct LineMaker<'a> {
    table: &'a TableEntry,
    format: RowFormat,
    picked: Vec<usize>,
    decoder: Option<Decoder>,
    /// For text-format tables: how each column's text becomes JSON.
    json_kinds: Vec<JsonKind>,
    line: Vec<u8>,
    text: String,
}

impl LineMaker<'_> {
    /// The header line (column names), for CSV and text.
    fn header(&mut self) -> &[u8] {
        self.line.clear();
        for (i, &c) in self.picked.iter().enumerate() {
            if i > 0 {
                self.line.push(if self.format == RowFormat::Csv { b',' } else { b'\t' });
            }
            match self.format {
                RowFormat::Csv => csv_escape(&self.table.columns[c], &mut self.line),
                _ => copy_text_escape(&self.table.columns[c], &mut self.line),
            }
        }
        self.line.push(b'\n');
        &self.line
    }

    /// One row's line, from its fields (binary values, or text values of a text-format table).
    fn row(&mut self, fields: &[Option<&[u8]>]) -> std::result::Result<&[u8], String> {
        let (format, columns) = (self.format, &self.table.columns);
        let (line, text) = (&mut self.line, &mut self.text);
        line.clear();
        if format == RowFormat::Jsonl {
            line.push(b'{');
        }
        for (i, &c) in self.picked.iter().enumerate() {
            if i > 0 {
                line.push(if format == RowFormat::Text { b'\t' } else { b',' });
            }
            if format == RowFormat::Jsonl {
                text.clear();
                json_string(&columns[c], text);
                text.push(':');
                line.extend_from_slice(text.as_bytes());
            }
            let Some(value) = fields.get(c).copied().flatten() else {
                match format {
                    RowFormat::Text => line.extend_from_slice(b"\\N"),
                    RowFormat::Jsonl => line.extend_from_slice(b"null"),
                    RowFormat::Csv => {}
                }
                continue;
            };
            text.clear();
            let column = |e: super::DecodeError| format!("column {}: {e}", columns[c]);
            match (&self.decoder, format) {
                (Some(d), RowFormat::Jsonl) => d.json(c, value, text).map_err(column)?,
                (Some(d), _) => d.text(c, value, text).map_err(column)?,
                (None, _) => {
                    let s = std::str::from_utf8(value).map_err(|_| "a value is not UTF-8".to_string())?;
                    if format == RowFormat::Jsonl {
                        self.json_kinds[c].write(s, text);
                    } else {
                        text.push_str(s);
                    }
                }
            }
            match format {
                RowFormat::Text => copy_text_escape(text, line),
                RowFormat::Csv => csv_escape(text, line),
                RowFormat::Jsonl => line.extend_from_slice(text.as_bytes()),
            }
        }
        if format == RowFormat::Jsonl {
            line.push(b'}');
        }
        line.push(b'\n');
        Ok(line)
    }
}

/// Writes `table`'s rows from `archive` to `out`; returns how many. Memory holds one chunk's
/// stored frame (mapped) and one row.
pub fn write_rows(
    archive: &Archive,
    table: &TableEntry,
    facts: SourceFacts,
    options: &RowOptions,
    out: &mut dyn Write,
) -> Result<u64> {
    let format = options.format.unwrap_or(RowFormat::Text);
    let picked: Vec<usize> = match &options.columns {
        None => (0..table.columns.len()).collect(),
        Some(names) => names
            .iter()
            .map(|n| {
                table.columns.iter().position(|c| c == n).ok_or_else(|| {
                    Error::Refused(format!(
                        "{} has no column {n} (it has {})",
                        table.display_name(),
                        table.columns.join(", ")
                    ))
                })
            })
            .collect::<Result<_>>()?,
    };
    let decoder = match table.format {
        CopyFormat::Binary => Some(Decoder::for_table(table, facts).map_err(Error::Refused)?),
        CopyFormat::Text => None,
    };
    let json_kinds = JsonKind::of(table);
    let mut maker = LineMaker { table, format, picked, decoder, json_kinds, line: Vec::new(), text: String::new() };
    let io = |e: std::io::Error| Error::Io { path: "standard output".into(), error: e };
    if options.header && format != RowFormat::Jsonl {
        out.write_all(maker.header()).map_err(io)?;
    }
    let limit = options.limit.unwrap_or(u64::MAX);
    let mut written = 0u64;
    let mut write_error: Option<std::io::Error> = None;
    for chunk in &table.chunks {
        if written >= limit {
            break;
        }
        let mut reader = RowReader::default();
        let mut partial_line: Vec<u8> = Vec::new();
        let mut stopped = false;
        let mut row = |fields: &[Option<&[u8]>]| -> std::result::Result<(), String> {
            if written >= limit {
                stopped = true;
                return Err("enough rows".into());
            }
            if let Err(e) = out.write_all(maker.row(fields)?) {
                write_error = Some(e);
                stopped = true;
                return Err("output closed".into());
            }
            written += 1;
            Ok(())
        };
        let result = archive.stream_chunk(table, chunk, &mut |piece| match table.format {
            CopyFormat::Binary => reader.feed(&piece, &mut row),
            CopyFormat::Text => text_rows(&mut partial_line, &piece, &mut row),
        });
        if let Some(e) = write_error.take() {
            return Err(io(e));
        }
        match result {
            Ok(_) => {}
            Err(_) if stopped => break,
            Err(e) => return Err(e),
        }
    }
    out.flush().map_err(io)?;
    Ok(written)
}

/// Splits a text COPY stream's piece into lines and each line into unescaped fields.
fn text_rows(partial: &mut Vec<u8>, piece: &[u8], row: RowSink<'_, String>) -> std::result::Result<(), String> {
    partial.extend_from_slice(piece);
    let mut start = 0;
    let mut owned: Vec<Option<Vec<u8>>> = Vec::new();
    while let Some(end) = partial[start..].iter().position(|&b| b == b'\n').map(|p| p + start) {
        owned.clear();
        for field in partial[start..end].split(|&b| b == b'\t') {
            owned.push(if field == b"\\N" { None } else { Some(unescape(field)) });
        }
        let fields: Vec<Option<&[u8]>> = owned.iter().map(|f| f.as_deref()).collect();
        row(&fields)?;
        start = end + 1;
    }
    partial.drain(..start);
    Ok(())
}

/// A COPY text field's bytes with its backslash escapes undone.
fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        if field[i] != b'\\' || i + 1 == field.len() {
            out.push(field[i]);
            i += 1;
            continue;
        }
        let c = field[i + 1];
        i += 2;
        match c {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'v' => out.push(0x0b),
            b'0'..=b'7' => {
                let mut v = (c - b'0') as u32;
                for _ in 0..2 {
                    match field.get(i) {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + (d - b'0') as u32;
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(v as u8);
            }
            b'x' if field.get(i).is_some_and(u8::is_ascii_hexdigit) => {
                let mut v = 0u32;
                for _ in 0..2 {
                    match field.get(i).and_then(|d| (*d as char).to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d;
                            i += 1;
                        }
                        None => break,
                    }
                }
                out.push(v as u8);
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields_unescape() {
        assert_eq!(unescape(br"a\tb\\c\nd\101\x41"), b"a\tb\\c\ndAA");
        let mut got = Vec::new();
        let mut partial = Vec::new();
        for piece in [&b"1\ta\\tb\t\\N\n2"[..], b"\t\tx\n"] {
            text_rows(&mut partial, piece, &mut |f| {
                got.push(f.iter().map(|v| v.map(|b| String::from_utf8_lossy(b).into_owned())).collect::<Vec<_>>());
                Ok(())
            })
            .unwrap();
        }
        assert_eq!(
            got,
            [
                vec![Some("1".to_string()), Some("a\tb".into()), None],
                vec![Some("2".to_string()), Some(String::new()), Some("x".into())]
            ]
        );
    }
}

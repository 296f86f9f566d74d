//! Reading archived data without a database: the binary COPY form of every built-in type (and
//! enums, domains, arrays, ranges, multiranges, hstore, citext, ltree) turned into PostgreSQL's own
//! text output, byte for byte as the server's `COPY … TO STDOUT` (text format) prints it with
//! pgark's session settings (`DateStyle = ISO`, `IntervalStyle = postgres`,
//! `extra_float_digits = 3`, `bytea_output = hex`) and timestamptz in UTC; then escaped for a
//! COPY text stream or CSV.
//!
//! Takes a table's [`ColumnType`]s from the manifest and its chunks' raw streams; hands out
//! rows of text. Uses `archive` only.

mod container;
mod datetime;
mod float;
mod net;
mod numeric;
mod rows;
mod shapes;
mod table;

use std::fmt::{self, Write};

use crate::archive::{ColumnType, CopyFormat, Shape, TableEntry};

pub use rows::RowReader;
pub use table::{write_rows, RowFormat, RowOptions};

/// A value whose binary form is not what its type says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The type being read.
    pub type_name: String,
    /// What is wrong.
    pub reason: String,
}

impl DecodeError {
    fn new(type_name: &str, reason: impl Into<String>) -> DecodeError {
        DecodeError { type_name: type_name.to_string(), reason: reason.into() }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} value cannot be read: {}", self.type_name, self.reason)
    }
}

/// `N` bytes at `pos`.
fn be<const N: usize>(b: &[u8], pos: usize) -> Result<[u8; N], DecodeError> {
    b.get(pos..pos + N)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| DecodeError::new("value", format!("shorter than {} bytes", pos + N)))
}

/// What the decoder needs to know of the source besides the types.
#[derive(Debug, Clone, Copy, Default)]
pub struct SourceFacts {
    /// `server_version_num` of the source (`"char"` prints differently across versions).
    pub server_version_num: i32,
    /// Whether the source's `lc_monetary` was C/POSIX (money prints as `$1,234.56`); otherwise
    /// money is written as a plain number, which its input reads in any locale.
    pub money_c: bool,
}

/// How one column is read.
#[derive(Debug, Clone)]
enum Reader {
    Builtin(u32),
    Enum,
    Text,
    VersionedText,
    Hstore,
    Array(Box<Reader>, char),
    Range(Box<Reader>),
    Multirange(Box<Reader>),
}

/// Turns the binary values of one table's columns into their text.
#[derive(Debug, Clone)]
pub struct Decoder {
    readers: Vec<Reader>,
    facts: SourceFacts,
}

/// Oids of the built-in types the decoder reads.
const KNOWN: &[u32] = &[
    16, 17, 18, 19, 20, 21, 23, 24, 25, 26, 27, 28, 29, 114, 142, 194, 600, 601, 602, 603, 604, 628, 650, 700, 701,
    718, 774, 790, 829, 869, 1042, 1043, 1082, 1083, 1114, 1184, 1186, 1266, 1560, 1562, 1700, 2202, 2203, 2204, 2205,
    2206, 2950, 3220, 3614, 3734, 3769, 3802, 4072, 4089, 4096, 4191, 5069,
];

fn reader(shape: &Shape) -> Option<Reader> {
    Some(match shape {
        Shape::Builtin { oid } if KNOWN.contains(oid) => Reader::Builtin(*oid),
        Shape::Builtin { .. } | Shape::Other => return None,
        Shape::Domain { base } => return reader(base),
        Shape::Enum => Reader::Enum,
        Shape::Array { elem } => {
            let delim = if **elem == (Shape::Builtin { oid: 603 }) { ';' } else { ',' };
            Reader::Array(Box::new(reader(elem)?), delim)
        }
        Shape::Range { subtype } => Reader::Range(Box::new(reader(subtype)?)),
        Shape::Multirange { subtype } => Reader::Multirange(Box::new(reader(subtype)?)),
        Shape::Extension { send } => match send.as_str() {
            "citextsend" => Reader::Text,
            // ltree's types send a version byte (1) and their text.
            "ltree_send" | "lquery_send" | "ltxtquery_send" => Reader::VersionedText,
            "hstore_send" => Reader::Hstore,
            _ => return None,
        },
    })
}

impl SourceFacts {
    /// The facts an archive's manifest records.
    pub fn of(manifest: &crate::archive::Manifest) -> SourceFacts {
        SourceFacts {
            server_version_num: manifest.server_version_num,
            money_c: manifest.lc_monetary.as_deref().is_some_and(|l| l == "C" || l == "POSIX"),
        }
    }
}

impl SourceFacts {
    /// A warning when `tables` hold money columns that will print as plain numbers (the
    /// source's `lc_monetary` was not C or POSIX, or was not recorded).
    pub fn money_warning(&self, tables: &[TableEntry]) -> Option<String> {
        fn has_money(s: &Shape) -> bool {
            match s {
                Shape::Builtin { oid } => *oid == 790,
                Shape::Domain { base } => has_money(base),
                Shape::Array { elem } => has_money(elem),
                _ => false,
            }
        }
        let columns: Vec<String> = tables
            .iter()
            .filter(|t| t.format == CopyFormat::Binary)
            .flat_map(|t| {
                t.columns
                    .iter()
                    .zip(&t.column_types)
                    .filter(|(_, c)| has_money(&c.shape))
                    .map(move |(name, _)| format!("{}.{name}", t.display_name()))
            })
            .collect();
        (!self.money_c && !columns.is_empty()).then(|| {
            format!(
                "money values ({}) are written as plain numbers: the source's lc_monetary was not C \
                 (money's input reads them in any locale)",
                columns.join(", ")
            )
        })
    }
}

impl Decoder {
    /// A decoder for `table`'s binary streams; an error names the first column of a type it
    /// cannot read (`column`: its type), or says the table was dumped as text or before column
    /// types were recorded.
    pub fn for_table(table: &TableEntry, facts: SourceFacts) -> Result<Decoder, String> {
        if table.format == CopyFormat::Text {
            return Err(format!("{} was dumped in text COPY format: its rows are text already", table.display_name()));
        }
        if table.column_types.len() != table.columns.len() {
            return Err(format!(
                "{}: the archive does not record its column types (written by a pgark before 0.16)",
                table.display_name()
            ));
        }
        let readers = table
            .columns
            .iter()
            .zip(&table.column_types)
            .map(|(column, ColumnType { name, shape })| {
                reader(shape).ok_or_else(|| {
                    format!(
                        "{}.{column}: pgark cannot read type {name} without a database (extract --format dir keeps it)",
                        table.display_name()
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Decoder { readers, facts })
    }

    /// Columns.
    pub fn width(&self) -> usize {
        self.readers.len()
    }

    /// Appends the text of column `column`'s binary value `b` to `out`.
    pub fn text(&self, column: usize, b: &[u8], out: &mut String) -> Result<(), DecodeError> {
        self.read(&self.readers[column], b, out)
    }

    fn read(&self, r: &Reader, b: &[u8], out: &mut String) -> Result<(), DecodeError> {
        match r {
            Reader::Builtin(oid) => self.builtin(*oid, b, out),
            Reader::Enum | Reader::Text => utf8(b, out),
            Reader::VersionedText => match b.split_first() {
                Some((1, text)) => utf8(text, out),
                _ => Err(DecodeError::new("ltree", "unknown version")),
            },
            Reader::Hstore => shapes::hstore(b, out),
            Reader::Array(elem, delim) => container::array(b, *delim, &|v, o| self.read(elem, v, o), out),
            Reader::Range(elem) => container::range(b, &|v, o| self.read(elem, v, o), out),
            Reader::Multirange(elem) => container::multirange(b, &|v, o| self.read(elem, v, o), out),
        }
    }

    /// Appends column `column`'s binary value `b` as a JSON value: numbers and booleans as
    /// such (NaN, infinities and -0 as strings), json and jsonb as they are, arrays with lower
    /// bounds of 1 as JSON arrays, everything else as the string of its text.
    pub fn json(&self, column: usize, b: &[u8], out: &mut String) -> Result<(), DecodeError> {
        self.read_json(&self.readers[column], b, out)
    }

    fn read_json(&self, r: &Reader, b: &[u8], out: &mut String) -> Result<(), DecodeError> {
        match r {
            Reader::Builtin(16 | 20 | 21 | 23 | 26 | 700 | 701 | 1700) => {
                let start = out.len();
                self.read(r, b, out)?;
                let number = &out[start..];
                if matches!(number, "t" | "f") {
                    let v = if number == "t" { "true" } else { "false" };
                    out.truncate(start);
                    out.push_str(v);
                } else if number.ends_with("NaN") || number.ends_with("Infinity") || number == "-0" {
                    // JSON numbers read as numeric, which has neither these nor a negative zero.
                    let text = out.split_off(start);
                    json_string(&text, out);
                }
                Ok(())
            }
            Reader::Builtin(114) => utf8(b, out),
            Reader::Builtin(3802) => self.read(r, b, out),
            Reader::Array(elem, delim) => {
                let start = out.len();
                if container::array_json(b, &|v, o| self.read_json(elem, v, o), out)? {
                    return Ok(());
                }
                out.truncate(start);
                let mut text = String::new();
                container::array(b, *delim, &|v, o| self.read(elem, v, o), &mut text)?;
                json_string(&text, out);
                Ok(())
            }
            _ => {
                let mut text = String::new();
                self.read(r, b, &mut text)?;
                json_string(&text, out);
                Ok(())
            }
        }
    }

    fn builtin(&self, oid: u32, b: &[u8], out: &mut String) -> Result<(), DecodeError> {
        let _ = match oid {
            16 => match b {
                [0] => write!(out, "f"),
                [_] => write!(out, "t"),
                _ => return Err(DecodeError::new("boolean", "not one byte")),
            },
            17 => {
                out.push_str("\\x");
                push_hex(out, b);
                Ok(())
            }
            18 => return shapes::char_out(b, self.facts.server_version_num, out),
            19 | 25 | 114 | 142 | 194 | 1042 | 1043 => return utf8(b, out),
            // jsonb and jsonpath: a version byte (1), then the text.
            3802 | 4072 => match b.split_first() {
                Some((1, text)) => return utf8(text, out),
                _ => return Err(DecodeError::new("jsonb", "unknown version")),
            },
            20 => {
                push_int(out, i64::from_be_bytes(be::<8>(b, 0)?));
                Ok(())
            }
            21 => {
                push_int(out, i16::from_be_bytes(be::<2>(b, 0)?).into());
                Ok(())
            }
            23 => {
                push_int(out, i32::from_be_bytes(be::<4>(b, 0)?).into());
                Ok(())
            }
            // oid, xid, cid and the reg* types as numbers.
            24 | 26 | 28 | 29 | 2202..=2206 | 3734 | 3769 | 4089 | 4096 | 4191 => {
                write!(out, "{}", u32::from_be_bytes(be::<4>(b, 0)?))
            }
            5069 => write!(out, "{}", u64::from_be_bytes(be::<8>(b, 0)?)),
            27 => write!(out, "({},{})", u32::from_be_bytes(be::<4>(b, 0)?), u16::from_be_bytes(be::<2>(b, 4)?)),
            700 => {
                float::float4(f32::from_be_bytes(be::<4>(b, 0)?), out);
                Ok(())
            }
            701 => {
                float::float8(f64::from_be_bytes(be::<8>(b, 0)?), out);
                Ok(())
            }
            1700 => return numeric::numeric(b, out),
            790 => {
                let cents = i64::from_be_bytes(be::<8>(b, 0)?);
                if self.facts.money_c {
                    numeric::money_c(cents, out);
                } else {
                    numeric::money_plain(cents, out);
                }
                Ok(())
            }
            1082 => return datetime::date(b, out),
            1083 => return datetime::time(b, out),
            1266 => return datetime::timetz(b, out),
            1114 => return datetime::timestamp(b, false, out),
            1184 => return datetime::timestamp(b, true, out),
            1186 => return datetime::interval(b, out),
            869 | 650 => return net::inet(b, out),
            829 => return net::mac(b, 6, out),
            774 => return net::mac(b, 8, out),
            2950 => {
                let u: [u8; 16] = be::<16>(b, 0)?;
                for (i, part) in [&u[..4], &u[4..6], &u[6..8], &u[8..10], &u[10..]].iter().enumerate() {
                    if i > 0 {
                        out.push('-');
                    }
                    push_hex(out, part);
                }
                Ok(())
            }
            3220 => {
                let lsn = u64::from_be_bytes(be::<8>(b, 0)?);
                write!(out, "{:X}/{:X}", lsn >> 32, lsn as u32)
            }
            1560 | 1562 => return shapes::bits(b, out),
            600..=604 | 628 | 718 => return shapes::geometry(oid, b, out),
            3614 => return shapes::tsvector(b, out),
            _ => return Err(DecodeError::new("value", format!("type oid {oid} is not read"))),
        };
        Ok(())
    }
}

/// Appends an integer without the formatting machinery (the hottest path of a decode).
fn push_int(out: &mut String, v: i64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        out.push('-');
    }
    out.push_str(std::str::from_utf8(&buf[i..]).expect("digits"));
}

/// Appends `v` zero-padded to at least `width` digits.
fn push_padded(out: &mut String, v: u64, width: usize) {
    let start = out.len();
    push_int(out, v as i64);
    let len = out.len() - start;
    if len < width {
        out.insert_str(start, &"0000"[..(width - len).min(4)]);
    }
}

/// Appends bytes as lowercase hex pairs.
fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for &x in bytes {
        out.push(HEX[(x >> 4) as usize] as char);
        out.push(HEX[(x & 15) as usize] as char);
    }
}

fn utf8(b: &[u8], out: &mut String) -> Result<(), DecodeError> {
    out.push_str(std::str::from_utf8(b).map_err(|_| DecodeError::new("text", "not UTF-8"))?);
    Ok(())
}

/// How a column's text is written as JSON when the table was dumped in text COPY format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonKind {
    /// `t`/`f` → true/false.
    Bool,
    /// Written as it is, unless NaN, an infinity or -0.
    Number,
    /// json/jsonb text, embedded.
    Json,
    /// A JSON string.
    Text,
}

impl JsonKind {
    /// The JSON kind of each column of `table` (all `Text` without recorded column types).
    pub(crate) fn of(table: &TableEntry) -> Vec<JsonKind> {
        fn kind(s: &Shape) -> JsonKind {
            match s {
                Shape::Domain { base } => kind(base),
                Shape::Builtin { oid: 16 } => JsonKind::Bool,
                Shape::Builtin { oid: 20 | 21 | 23 | 26 | 700 | 701 | 1700 } => JsonKind::Number,
                Shape::Builtin { oid: 114 | 3802 } => JsonKind::Json,
                _ => JsonKind::Text,
            }
        }
        let types = &table.column_types;
        (0..table.columns.len()).map(|i| types.get(i).map_or(JsonKind::Text, |t| kind(&t.shape))).collect()
    }

    /// Appends `text` (the value's PostgreSQL text) as JSON of this kind.
    pub(crate) fn write(self, text: &str, out: &mut String) {
        match (self, text) {
            (JsonKind::Bool, "t") => out.push_str("true"),
            (JsonKind::Bool, "f") => out.push_str("false"),
            (JsonKind::Number, t) if !(t.ends_with("NaN") || t.ends_with("Infinity") || t == "-0") => out.push_str(t),
            (JsonKind::Json, t) => out.push_str(t),
            (_, t) => json_string(t, out),
        }
    }
}

/// Appends `text` as a JSON string.
pub fn json_string(text: &str, out: &mut String) {
    out.push_str(&serde_json::to_string(text).expect("a string serializes"));
}

/// Appends a value's text to a COPY text-format line, escaped as COPY escapes it.
pub fn copy_text_escape(text: &str, out: &mut Vec<u8>) {
    let bytes = text.as_bytes();
    // Most values need no escape: copy them whole.
    if !bytes.iter().any(|&c| c == b'\\' || c < 0x0e) {
        out.extend_from_slice(bytes);
        return;
    }
    for &c in bytes {
        match c {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0x0b => out.extend_from_slice(b"\\v"),
            _ => out.push(c),
        }
    }
}

/// Appends a value to a CSV line: quoted when it holds a comma, quote, CR or LF, or is empty
/// (so an empty string differs from NULL, which is written as nothing), quotes doubled.
pub fn csv_escape(text: &str, out: &mut Vec<u8>) {
    let needs = text.is_empty() || text.bytes().any(|c| matches!(c, b',' | b'"' | b'\n' | b'\r')) || text == "\\.";
    if !needs {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    out.push(b'"');
    for &c in text.as_bytes() {
        if c == b'"' {
            out.push(b'"');
        }
        out.push(c);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Layout;

    #[test]
    fn money_without_a_c_locale_is_named_in_a_warning() {
        let money = |name: &str| ColumnType { name: name.into(), shape: Shape::Builtin { oid: 790 } };
        let table = TableEntry {
            schema: "s".into(),
            name: "t".into(),
            columns: vec!["price".into(), "id".into()],
            format: CopyFormat::Binary,
            layout: Layout::Columns,
            chunks: vec![],
            contents: Default::default(),
            column_types: vec![money("money"), ColumnType { name: "int".into(), shape: Shape::Builtin { oid: 23 } }],
        };
        let plain = SourceFacts { server_version_num: 170000, money_c: false };
        assert!(plain.money_warning(std::slice::from_ref(&table)).unwrap().contains("s.t.price"));
        assert_eq!(SourceFacts { money_c: true, ..plain }.money_warning(std::slice::from_ref(&table)), None);
        assert!(Decoder::for_table(&table, plain).is_ok());
        // An extension's type it cannot read: refused, naming table, column and type.
        let mut geo = table.clone();
        geo.column_types[1] =
            ColumnType { name: "public.geometry".into(), shape: Shape::Extension { send: "geometry_send".into() } };
        let e = Decoder::for_table(&geo, plain).unwrap_err();
        assert!(e.starts_with("s.t.id: pgark cannot read type public.geometry"), "{e}");
        // Archives of pgark before column types were recorded.
        geo.column_types.clear();
        assert!(Decoder::for_table(&geo, plain).unwrap_err().contains("does not record its column types"));
    }
}

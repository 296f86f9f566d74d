//! COPY stream formats and the one check pgark makes on a stream: counting its rows, which also
//! proves the stream is well formed.

use serde::{Deserialize, Serialize};

use super::row_digest::{RowDigest, RowHasher};

/// The COPY format a table's chunks are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CopyFormat {
    /// `FORMAT binary`: fastest, used unless a column's binary form carries database-specific
    /// type OIDs.
    Binary,
    /// `FORMAT text`: for arrays of user-defined types and composite types, whose binary form
    /// embeds type OIDs that differ between databases.
    Text,
}

impl CopyFormat {
    /// The `COPY … (FORMAT x)` option value.
    pub fn sql(self) -> &'static str {
        match self {
            CopyFormat::Binary => "binary",
            CopyFormat::Text => "text",
        }
    }
}

/// The first bytes of every binary COPY stream.
pub(crate) const BINARY_SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// What the binary parser expects next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The 19-byte header (signature, flags, extension length).
    Header,
    /// Header extension bytes to skip.
    Extension,
    /// A tuple's 16-bit field count (or the -1 trailer).
    FieldCount,
    /// A field's 32-bit length.
    FieldLength,
    /// Field bytes to skip.
    FieldData,
    /// Nothing: the trailer was seen.
    End,
}

/// Counts rows of a COPY stream fed in pieces of any size, checking its structure.
#[derive(Debug)]
pub struct RowCounter {
    format: CopyFormat,
    expect: Expect,
    /// Bytes of a fixed-size token (header, count, length) gathered so far.
    token: [u8; 19],
    token_len: usize,
    /// Bytes left to skip (extension or field data).
    skip: u64,
    fields_left: i16,
    rows: u64,
    last_byte: Option<u8>,
    /// Hashes each row as it goes by, when asked for.
    hasher: Option<Box<RowHasher>>,
}

impl RowCounter {
    /// A counter for a stream in `format`.
    pub fn new(format: CopyFormat) -> RowCounter {
        RowCounter {
            format,
            expect: Expect::Header,
            token: [0; 19],
            token_len: 0,
            skip: 0,
            fields_left: 0,
            rows: 0,
            last_byte: None,
            hasher: None,
        }
    }

    /// A counter that also computes the stream's [`RowDigest`].
    pub fn digesting(format: CopyFormat) -> RowCounter {
        RowCounter { hasher: Some(Box::default()), ..RowCounter::new(format) }
    }

    /// The digest of the rows counted so far (`None` unless made by [`RowCounter::digesting`]).
    pub fn digest(&self) -> Option<RowDigest> {
        self.hasher.as_ref().map(|h| h.digest)
    }

    fn hash(&mut self, bytes: &[u8]) {
        if let Some(h) = &mut self.hasher {
            h.update(bytes);
        }
    }

    /// Gathers `want` bytes of a token; returns it when complete.
    fn take(&mut self, data: &mut &[u8], want: usize) -> Option<[u8; 19]> {
        let n = (want - self.token_len).min(data.len());
        self.token[self.token_len..self.token_len + n].copy_from_slice(&data[..n]);
        self.token_len += n;
        *data = &data[n..];
        (self.token_len == want).then(|| {
            self.token_len = 0;
            self.token
        })
    }

    /// Feeds the next piece of the stream.
    pub fn feed(&mut self, mut data: &[u8]) -> Result<(), String> {
        if self.format == CopyFormat::Text {
            self.feed_text(data);
            return Ok(());
        }
        while !data.is_empty() {
            match self.expect {
                Expect::Header => {
                    let Some(h) = self.take(&mut data, 19) else { break };
                    if &h[..11] != BINARY_SIGNATURE {
                        return Err("binary COPY stream has no PGCOPY header".into());
                    }
                    let ext = i32::from_be_bytes([h[15], h[16], h[17], h[18]]);
                    if ext < 0 {
                        return Err("negative header extension length".into());
                    }
                    self.skip = ext as u64;
                    self.expect = Expect::Extension;
                }
                Expect::Extension | Expect::FieldData => {
                    let n = self.skip.min(data.len() as u64) as usize;
                    if self.expect == Expect::FieldData {
                        self.hash(&data[..n]);
                    }
                    data = &data[n..];
                    self.skip -= n as u64;
                    if self.skip == 0 {
                        self.expect =
                            if self.expect == Expect::Extension { Expect::FieldCount } else { self.next_field() };
                    }
                }
                Expect::FieldCount => {
                    let Some(t) = self.take(&mut data, 2) else { break };
                    let n = i16::from_be_bytes([t[0], t[1]]);
                    if n == -1 {
                        self.expect = Expect::End;
                    } else if n < 0 {
                        return Err(format!("row {}: bad field count {n}", self.rows));
                    } else {
                        self.hash(&t[..2]);
                        self.fields_left = n;
                        self.expect = self.next_field();
                    }
                }
                Expect::FieldLength => {
                    let Some(t) = self.take(&mut data, 4) else { break };
                    let len = i32::from_be_bytes([t[0], t[1], t[2], t[3]]);
                    self.hash(&t[..4]);
                    self.fields_left -= 1;
                    if len >= 0 {
                        self.skip = len as u64;
                        self.expect = if len == 0 { self.next_field() } else { Expect::FieldData };
                    } else if len == -1 {
                        self.expect = self.next_field();
                    } else {
                        return Err(format!("row {}: bad field length {len}", self.rows));
                    }
                }
                Expect::End => return Err(format!("{} bytes after the binary COPY trailer", data.len())),
            }
        }
        Ok(())
    }

    /// After a field (or a field count): the next field, or the next tuple.
    fn next_field(&mut self) -> Expect {
        if self.fields_left > 0 {
            Expect::FieldLength
        } else {
            self.rows += 1;
            if let Some(h) = &mut self.hasher {
                h.end_row();
            }
            Expect::FieldCount
        }
    }

    /// A piece of a text stream: rows are lines.
    fn feed_text(&mut self, data: &[u8]) {
        let Some(&last) = data.last() else { return };
        self.last_byte = Some(last);
        let Some(hasher) = &mut self.hasher else {
            self.rows += data.iter().filter(|&&b| b == b'\n').count() as u64;
            return;
        };
        for line in data.split_inclusive(|&b| b == b'\n') {
            hasher.update(line);
            if line.ends_with(b"\n") {
                hasher.end_row();
                self.rows += 1;
            }
        }
    }

    /// The row count, once the whole stream has been fed.
    pub fn finish(self) -> Result<u64, String> {
        match self.format {
            CopyFormat::Text if self.last_byte.is_some_and(|b| b != b'\n') => {
                Err("text COPY stream does not end with a newline".into())
            }
            CopyFormat::Text => Ok(self.rows),
            CopyFormat::Binary => match self.expect {
                Expect::End => Ok(self.rows),
                Expect::Header => Err("binary COPY stream has no PGCOPY header".into()),
                _ => Err(format!("binary COPY stream ends without a trailer after {} rows", self.rows)),
            },
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Counts the rows of a complete COPY stream, or says why it is malformed.
    pub(crate) fn count_rows(format: CopyFormat, data: &[u8]) -> Result<u64, String> {
        let mut counter = RowCounter::new(format);
        counter.feed(data)?;
        counter.finish()
    }

    /// A binary COPY stream of these rows (`None` = NULL).
    pub(crate) fn binary(rows: &[&[Option<&[u8]>]]) -> Vec<u8> {
        let mut v = BINARY_SIGNATURE.to_vec();
        v.extend_from_slice(&0i32.to_be_bytes());
        v.extend_from_slice(&0i32.to_be_bytes());
        for r in rows {
            v.extend_from_slice(&(r.len() as i16).to_be_bytes());
            for f in r.iter() {
                match f {
                    Some(b) => {
                        v.extend_from_slice(&(b.len() as i32).to_be_bytes());
                        v.extend_from_slice(b);
                    }
                    None => v.extend_from_slice(&(-1i32).to_be_bytes()),
                }
            }
        }
        v.extend_from_slice(&(-1i16).to_be_bytes());
        v
    }

    #[test]
    fn counts_binary_rows_and_rejects_damage() {
        let s = binary(&[&[Some(b"ab"), None], &[Some(b""), Some(b"xyz")], &[]]);
        assert_eq!(count_rows(CopyFormat::Binary, &s), Ok(3));
        assert!(count_rows(CopyFormat::Binary, &s[..s.len() - 1]).is_err());
        assert!(count_rows(CopyFormat::Binary, &s[..25]).is_err());
        assert!(count_rows(CopyFormat::Binary, b"garbage").is_err());
        let mut extra = s.clone();
        extra.push(0);
        assert!(count_rows(CopyFormat::Binary, &extra).is_err());
    }

    #[test]
    fn any_split_into_pieces_counts_the_same() {
        let s = binary(&[&[Some(b"abcdef"), None, Some(b"")], &[Some(b"xyz")], &[]]);
        for piece in 1..s.len() {
            let mut c = RowCounter::new(CopyFormat::Binary);
            for p in s.chunks(piece) {
                c.feed(p).unwrap();
            }
            assert_eq!(c.finish(), Ok(3), "pieces of {piece}");
        }
        let mut c = RowCounter::new(CopyFormat::Binary);
        c.feed(&s[..s.len() - 3]).unwrap();
        assert!(c.finish().is_err());
    }

    #[test]
    fn digests_each_row_as_sent_in_any_pieces() {
        let rows: [&[Option<&[u8]>]; 4] =
            [&[Some(b"abcdef"), None], &[Some(b"xyz"), Some(b"")], &[], &[Some(b"abcdef"), None]];
        let s = binary(&rows);
        let mut expected = RowDigest::default();
        for r in rows {
            let one = binary(&[r]);
            expected.add_row(&one[19..one.len() - 2]); // without header and trailer
        }
        let text = b"1\ta\n2\t\\N\n1\ta\n";
        let mut text_expected = RowDigest::default();
        for line in [&b"1\ta\n"[..], b"2\t\\N\n", b"1\ta\n"] {
            text_expected.add_row(line);
        }
        for piece in 1..s.len() {
            for (format, stream, want) in
                [(CopyFormat::Binary, &s[..], expected), (CopyFormat::Text, text, text_expected)]
            {
                let mut c = RowCounter::digesting(format);
                for p in stream.chunks(piece) {
                    c.feed(p).unwrap();
                }
                assert_eq!(c.digest(), Some(want), "{format:?} in pieces of {piece}");
                assert!(c.finish().is_ok());
            }
        }
        assert_eq!(RowCounter::new(CopyFormat::Binary).digest(), None);
    }

    #[test]
    fn counts_text_rows() {
        assert_eq!(count_rows(CopyFormat::Text, b""), Ok(0));
        assert_eq!(count_rows(CopyFormat::Text, b"1\ta\\nb\n2\t\\N\n"), Ok(2));
        assert!(count_rows(CopyFormat::Text, b"1\ta").is_err());
    }
}

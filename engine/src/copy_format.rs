//! COPY stream formats and the one check pgark makes on a stream: counting its rows, which also
//! proves the stream is well formed.

use serde::{Deserialize, Serialize};

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

const BINARY_SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// Counts the rows of a complete COPY stream, or says why it is malformed.
pub fn count_rows(format: CopyFormat, data: &[u8]) -> Result<u64, String> {
    match format {
        CopyFormat::Text => {
            if !data.is_empty() && data.last() != Some(&b'\n') {
                return Err("text COPY stream does not end with a newline".into());
            }
            Ok(data.iter().filter(|&&b| b == b'\n').count() as u64)
        }
        CopyFormat::Binary => count_binary(data),
    }
}

fn read_i32(data: &[u8], pos: usize) -> Option<i32> {
    data.get(pos..pos + 4).map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn count_binary(data: &[u8]) -> Result<u64, String> {
    if data.len() < 19 || &data[..11] != BINARY_SIGNATURE {
        return Err("binary COPY stream has no PGCOPY header".into());
    }
    let ext = read_i32(data, 15).ok_or("short header")?;
    if ext < 0 {
        return Err("negative header extension length".into());
    }
    let mut pos = 19 + ext as usize;
    let mut rows = 0u64;
    loop {
        let n = data
            .get(pos..pos + 2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| format!("binary COPY stream ends without a trailer after {rows} rows"))?;
        pos += 2;
        if n == -1 {
            if pos != data.len() {
                return Err(format!("{} bytes after the binary COPY trailer", data.len() - pos));
            }
            return Ok(rows);
        }
        if n < 0 {
            return Err(format!("row {rows}: bad field count {n}"));
        }
        for _ in 0..n {
            let len = read_i32(data, pos).ok_or_else(|| format!("row {rows}: truncated field"))?;
            pos += 4;
            if len >= 0 {
                pos = pos
                    .checked_add(len as usize)
                    .filter(|&p| p <= data.len())
                    .ok_or_else(|| format!("row {rows}: field runs past the end"))?;
            } else if len != -1 {
                return Err(format!("row {rows}: bad field length {len}"));
            }
        }
        rows += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary(rows: &[&[Option<&[u8]>]]) -> Vec<u8> {
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
    fn counts_text_rows() {
        assert_eq!(count_rows(CopyFormat::Text, b""), Ok(0));
        assert_eq!(count_rows(CopyFormat::Text, b"1\ta\\nb\n2\t\\N\n"), Ok(2));
        assert!(count_rows(CopyFormat::Text, b"1\ta").is_err());
    }
}

//! The types whose text is built from parts: "char", bit strings, the geometric types,
//! tsvector and hstore.

use std::fmt::Write;

use super::{be, float, DecodeError};

/// `"char"`: one byte; from PostgreSQL 15 on a non-ASCII byte prints as `\ooo`.
pub(super) fn char_out(b: &[u8], version: i32, out: &mut String) -> Result<(), DecodeError> {
    match b {
        [] | [0] => {}
        [c] if *c >= 0x80 && version >= 150000 => {
            let _ = write!(out, "\\{c:03o}");
        }
        [c] if *c < 0x80 => out.push(*c as char),
        [_] => return Err(DecodeError::new("\"char\"", "a non-ASCII byte from a server before 15")),
        _ => return Err(DecodeError::new("\"char\"", "more than one byte")),
    }
    Ok(())
}

/// bit and varbit: the bit count, then the bits.
pub(super) fn bits(b: &[u8], out: &mut String) -> Result<(), DecodeError> {
    let n = i32::from_be_bytes(be::<4>(b, 0)?);
    if n < 0 || b.len() != 4 + (n as usize).div_ceil(8) {
        return Err(DecodeError::new("bit", "its length does not match its bit count"));
    }
    for i in 0..n as usize {
        out.push(if b[4 + i / 8] & (0x80 >> (i % 8)) != 0 { '1' } else { '0' });
    }
    Ok(())
}

/// The geometric types, their coordinates printed as float8.
pub(super) fn geometry(oid: u32, b: &[u8], out: &mut String) -> Result<(), DecodeError> {
    let f = |i: usize| -> Result<f64, DecodeError> { Ok(f64::from_be_bytes(be::<8>(b, i * 8)?)) };
    let point = |i: usize, out: &mut String| -> Result<(), DecodeError> {
        out.push('(');
        float::float8(f(i)?, out);
        out.push(',');
        float::float8(f(i + 1)?, out);
        out.push(')');
        Ok(())
    };
    let points = |at: usize, n: usize, out: &mut String| -> Result<(), DecodeError> {
        for p in 0..n {
            if p > 0 {
                out.push(',');
            }
            let mut s = String::new();
            let sub = b.get(at + 16 * p..at + 16 * p + 16).ok_or_else(|| DecodeError::new("path", "ends early"))?;
            let (x, y) =
                (f64::from_be_bytes(sub[..8].try_into().unwrap()), f64::from_be_bytes(sub[8..].try_into().unwrap()));
            s.push('(');
            float::float8(x, &mut s);
            s.push(',');
            float::float8(y, &mut s);
            s.push(')');
            out.push_str(&s);
        }
        Ok(())
    };
    match oid {
        600 => point(0, out)?,
        601 => {
            out.push('[');
            point(0, out)?;
            out.push(',');
            point(2, out)?;
            out.push(']');
        }
        603 => {
            point(0, out)?;
            out.push(',');
            point(2, out)?;
        }
        628 => {
            out.push('{');
            for i in 0..3 {
                if i > 0 {
                    out.push(',');
                }
                float::float8(f(i)?, out);
            }
            out.push('}');
        }
        718 => {
            out.push('<');
            point(0, out)?;
            out.push(',');
            float::float8(f(2)?, out);
            out.push('>');
        }
        602 => {
            let closed = *b.first().ok_or_else(|| DecodeError::new("path", "empty"))? != 0;
            let n = i32::from_be_bytes(be::<4>(b, 1)?).max(0) as usize;
            out.push(if closed { '(' } else { '[' });
            points(5, n, out)?;
            out.push(if closed { ')' } else { ']' });
        }
        _ => {
            let n = i32::from_be_bytes(be::<4>(b, 0)?).max(0) as usize;
            out.push('(');
            points(4, n, out)?;
            out.push(')');
        }
    }
    Ok(())
}

/// tsvector: `'lexeme':1A,5 'other'`.
pub(super) fn tsvector(b: &[u8], out: &mut String) -> Result<(), DecodeError> {
    let bad = || DecodeError::new("tsvector", "ends early");
    let count = u32::from_be_bytes(be::<4>(b, 0)?);
    let mut pos = 4;
    for i in 0..count {
        if i > 0 {
            out.push(' ');
        }
        let end = b[pos..].iter().position(|&c| c == 0).ok_or_else(bad)? + pos;
        let lexeme = std::str::from_utf8(&b[pos..end]).map_err(|_| DecodeError::new("tsvector", "not UTF-8"))?;
        pos = end + 1;
        out.push('\'');
        for c in lexeme.chars() {
            if c == '\'' || c == '\\' {
                out.push(c);
            }
            out.push(c);
        }
        out.push('\'');
        let npos = u16::from_be_bytes(be::<2>(b, pos)?);
        pos += 2;
        for p in 0..npos {
            let v = u16::from_be_bytes(be::<2>(b, pos)?);
            pos += 2;
            out.push(if p == 0 { ':' } else { ',' });
            let _ = write!(out, "{}", v & 0x3fff);
            match v >> 14 {
                3 => out.push('A'),
                2 => out.push('B'),
                1 => out.push('C'),
                _ => {}
            }
        }
    }
    Ok(())
}

/// hstore: `"a"=>"1", "b"=>NULL`.
pub(super) fn hstore(b: &[u8], out: &mut String) -> Result<(), DecodeError> {
    let count = i32::from_be_bytes(be::<4>(b, 0)?);
    let mut pos = 4;
    let quoted = |b: &[u8], pos: &mut usize, out: &mut String| -> Result<bool, DecodeError> {
        let len = i32::from_be_bytes(be::<4>(b, *pos)?);
        *pos += 4;
        if len < 0 {
            return Ok(false);
        }
        let s = b.get(*pos..*pos + len as usize).ok_or_else(|| DecodeError::new("hstore", "ends early"))?;
        *pos += len as usize;
        let s = std::str::from_utf8(s).map_err(|_| DecodeError::new("hstore", "not UTF-8"))?;
        out.push('"');
        for c in s.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        Ok(true)
    };
    for i in 0..count.max(0) {
        if i > 0 {
            out.push_str(", ");
        }
        quoted(b, &mut pos, out)?;
        out.push_str("=>");
        if !quoted(b, &mut pos, out)? {
            out.push_str("NULL");
        }
    }
    Ok(())
}

//! Arrays, ranges and multiranges: their binary framing, and the quoting PostgreSQL's
//! `array_out` and `range_out` apply to the elements' text.

use std::fmt::Write;

use super::{be, DecodeError};

/// Writes one element's text into the string it is given.
pub(super) type Element<'a> = &'a dyn Fn(&[u8], &mut String) -> Result<(), DecodeError>;

/// Writes one array element (`None`: NULL).
type EachElement<'a> = &'a mut dyn FnMut(Option<&[u8]>, &mut String) -> Result<(), DecodeError>;

/// An array's dimensions (length, lower bound) and where its elements start.
struct Dims {
    dims: Vec<(usize, i32)>,
    start: usize,
}

fn dims(b: &[u8]) -> Result<Dims, DecodeError> {
    let ndim = i32::from_be_bytes(be::<4>(b, 0)?);
    if !(0..=6).contains(&ndim) {
        return Err(DecodeError::new("array", format!("{ndim} dimensions")));
    }
    let ndim = ndim as usize;
    let mut dims = Vec::with_capacity(ndim);
    for d in 0..ndim {
        let len = i32::from_be_bytes(be::<4>(b, 12 + 8 * d)?);
        if len < 0 {
            return Err(DecodeError::new("array", "a negative dimension"));
        }
        dims.push((len as usize, i32::from_be_bytes(be::<4>(b, 16 + 8 * d)?)));
    }
    Ok(Dims { dims, start: 12 + 8 * ndim })
}

impl Dims {
    fn is_empty(&self) -> bool {
        self.dims.is_empty() || self.dims.iter().any(|d| d.0 == 0)
    }

    /// Walks the elements in order, writing `open`/`close` around each dimension's blocks and
    /// `sep` between elements; `each` writes one element (`None`: NULL).
    fn walk(
        &self,
        b: &[u8],
        (open, close, sep): (char, char, char),
        out: &mut String,
        each: EachElement,
    ) -> Result<(), DecodeError> {
        let ndim = self.dims.len();
        // stride[d]: elements in one block of dimension d; a block of d ends where n is a multiple.
        let stride: Vec<usize> = (0..ndim).map(|d| self.dims[d..].iter().map(|x| x.0).product()).collect();
        let mut pos = self.start;
        out.extend(std::iter::repeat_n(open, ndim));
        for n in 0..stride[0] {
            if n > 0 {
                let closing = (1..ndim).filter(|&d| n % stride[d] == 0).count();
                out.extend(std::iter::repeat_n(close, closing));
                out.push(sep);
                out.extend(std::iter::repeat_n(open, closing));
            }
            let len = i32::from_be_bytes(be::<4>(b, pos)?);
            pos += 4;
            if len == -1 {
                each(None, out)?;
            } else {
                let value =
                    b.get(pos..pos + len.max(0) as usize).ok_or_else(|| DecodeError::new("array", "ends early"))?;
                pos += value.len();
                each(Some(value), out)?;
            }
        }
        out.extend(std::iter::repeat_n(close, ndim));
        if pos != b.len() {
            return Err(DecodeError::new("array", "bytes after the last element"));
        }
        Ok(())
    }
}

/// Appends an array: `{a,b}`, `{{1,2},{3,4}}`, `[0:1]={x,y}` for lower bounds other than 1,
/// `NULL` elements, quoted elements where `array_out` quotes them. `delim` is `,` (`;` for box).
pub(super) fn array(b: &[u8], delim: char, elem: Element, out: &mut String) -> Result<(), DecodeError> {
    let d = dims(b)?;
    if d.is_empty() {
        out.push_str("{}");
        return Ok(());
    }
    if d.dims.iter().any(|d| d.1 != 1) {
        for (len, lower) in &d.dims {
            let _ = write!(out, "[{}:{}]", lower, *lower as i64 + *len as i64 - 1);
        }
        out.push('=');
    }
    let mut text = String::new();
    d.walk(b, ('{', '}', delim), out, &mut |value, out| {
        match value {
            None => out.push_str("NULL"),
            Some(v) => {
                text.clear();
                elem(v, &mut text)?;
                quote_element(&text, delim, out);
            }
        }
        Ok(())
    })
}

/// Appends an array as a JSON array (nested for more dimensions; `null` elements) when every
/// lower bound is 1; returns false, writing nothing, when a bound is not (JSON has no place for
/// it: the caller writes the text form instead).
pub(super) fn array_json(b: &[u8], elem: Element, out: &mut String) -> Result<bool, DecodeError> {
    let d = dims(b)?;
    if d.dims.iter().any(|d| d.1 != 1) {
        return Ok(false);
    }
    if d.is_empty() {
        out.push_str("[]");
        return Ok(true);
    }
    d.walk(b, ('[', ']', ','), out, &mut |value, out| match value {
        None => {
            out.push_str("null");
            Ok(())
        }
        Some(v) => elem(v, out),
    })?;
    Ok(true)
}

/// An element as `array_out` writes it: quoted when empty, `NULL`, or holding a brace, quote,
/// backslash, the delimiter or white space; inside quotes `"` and `\` get a backslash.
fn quote_element(text: &str, delim: char, out: &mut String) {
    let needs = text.is_empty()
        || text.eq_ignore_ascii_case("NULL")
        || text.chars().any(|c| matches!(c, '{' | '}' | '"' | '\\') || c == delim || is_space(c));
    if !needs {
        out.push_str(text);
        return;
    }
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// C's isspace in the C locale.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

const EMPTY: u8 = 0x01;
const LB_INC: u8 = 0x02;
const UB_INC: u8 = 0x04;
const LB_INF: u8 = 0x08;
const UB_INF: u8 = 0x10;

/// Appends a range: `empty`, `[1,5)`, `(,"a b"]`.
pub(super) fn range(b: &[u8], elem: Element, out: &mut String) -> Result<(), DecodeError> {
    let flags = *b.first().ok_or_else(|| DecodeError::new("range", "empty"))?;
    if flags & EMPTY != 0 {
        out.push_str("empty");
        return Ok(());
    }
    let mut pos = 1;
    let mut bound = |present: bool, out: &mut String| -> Result<(), DecodeError> {
        if !present {
            return Ok(());
        }
        let len = i32::from_be_bytes(be::<4>(b, pos)?);
        let value = b
            .get(pos + 4..pos + 4 + len.max(0) as usize)
            .ok_or_else(|| DecodeError::new("range", "ends inside a bound"))?;
        pos += 4 + value.len();
        let mut text = String::new();
        elem(value, &mut text)?;
        quote_bound(&text, out);
        Ok(())
    };
    out.push(if flags & LB_INC != 0 { '[' } else { '(' });
    bound(flags & LB_INF == 0, out)?;
    out.push(',');
    bound(flags & UB_INF == 0, out)?;
    out.push(if flags & UB_INC != 0 { ']' } else { ')' });
    Ok(())
}

/// A bound as `range_out` writes it: quoted when empty or holding `"\()[],` or white space;
/// inside quotes `"` and `\` are doubled.
fn quote_bound(text: &str, out: &mut String) {
    let needs =
        text.is_empty() || text.chars().any(|c| matches!(c, '"' | '\\' | '(' | ')' | '[' | ']' | ',') || is_space(c));
    if needs {
        out.push('"');
    }
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    if needs {
        out.push('"');
    }
}

/// Appends a multirange: `{[1,2),[5,7)}`.
pub(super) fn multirange(b: &[u8], elem: Element, out: &mut String) -> Result<(), DecodeError> {
    let count = u32::from_be_bytes(be::<4>(b, 0)?);
    let mut pos = 4;
    out.push('{');
    for i in 0..count {
        if i > 0 {
            out.push(',');
        }
        let len = u32::from_be_bytes(be::<4>(b, pos)?) as usize;
        let r = b.get(pos + 4..pos + 4 + len).ok_or_else(|| DecodeError::new("multirange", "ends early"))?;
        pos += 4 + len;
        range(r, elem, out)?;
    }
    out.push('}');
    Ok(())
}

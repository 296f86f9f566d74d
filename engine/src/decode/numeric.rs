//! numeric's binary form (base-10000 digits, weight, sign, display scale) as its text, and
//! money as a plain number when the source's currency format is not known.

use std::fmt::Write;

use super::{be, DecodeError};

const NEG: u16 = 0x4000;
const NAN: u16 = 0xC000;
const PINF: u16 = 0xD000;
const NINF: u16 = 0xF000;

/// Appends a numeric.
pub(super) fn numeric(b: &[u8], out: &mut String) -> Result<(), DecodeError> {
    let ndigits = be::<2>(b, 0)?;
    let ndigits = i16::from_be_bytes(ndigits);
    let weight = i16::from_be_bytes(be::<2>(b, 2)?) as i32;
    let sign = u16::from_be_bytes(be::<2>(b, 4)?);
    let dscale = u16::from_be_bytes(be::<2>(b, 6)?) as usize;
    if ndigits < 0 || b.len() != 8 + 2 * ndigits as usize {
        return Err(DecodeError::new("numeric", "its digit count does not match its length"));
    }
    let special = match sign {
        NAN => "NaN",
        PINF => "Infinity",
        NINF => "-Infinity",
        0 | NEG => "",
        _ => return Err(DecodeError::new("numeric", format!("unknown sign 0x{sign:04x}"))),
    };
    if !special.is_empty() {
        out.push_str(special);
        return Ok(());
    }
    let digit = |i: i32| -> u16 {
        if i < 0 || i >= ndigits as i32 {
            0
        } else {
            u16::from_be_bytes([b[8 + 2 * i as usize], b[9 + 2 * i as usize]])
        }
    };
    if sign == NEG {
        out.push('-');
    }
    if weight < 0 {
        out.push('0');
    } else {
        for i in 0..=weight {
            let _ = if i == 0 { write!(out, "{}", digit(i)) } else { write!(out, "{:04}", digit(i)) };
        }
    }
    if dscale > 0 {
        out.push('.');
        let mut written = 0;
        let mut i = weight + 1;
        while written < dscale {
            let group = format!("{:04}", digit(i));
            for c in group.chars().take(dscale - written) {
                out.push(c);
                written += 1;
            }
            i += 1;
        }
    }
    Ok(())
}

/// Appends money (cents as an int8) as a plain number with two decimals, which `money`'s input
/// reads back in any locale.
pub(super) fn money_plain(cents: i64, out: &mut String) {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let _ = write!(out, "{sign}{}.{:02}", abs / 100, abs % 100);
}

/// Appends money as PostgreSQL prints it with `lc_monetary = C`: `$1,234.56`, `-$0.01`.
pub(super) fn money_c(cents: i64, out: &mut String) {
    let abs = cents.unsigned_abs();
    let whole = (abs / 100).to_string();
    if cents < 0 {
        out.push('-');
    }
    out.push('$');
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    let _ = write!(out, ".{:02}", abs % 100);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(ndigits: i16, weight: i16, sign: u16, dscale: u16, digits: &[u16]) -> String {
        let mut b = Vec::new();
        for v in [ndigits as u16, weight as u16, sign, dscale] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        for d in digits {
            b.extend_from_slice(&d.to_be_bytes());
        }
        let mut s = String::new();
        numeric(&b, &mut s).unwrap();
        s
    }

    #[test]
    fn numerics_and_money() {
        assert_eq!(num(2, 1, 0, 2, &[12, 3456]), "123456.00");
        assert_eq!(num(1, -1, NEG, 6, &[12]), "-0.001200");
        assert_eq!(num(0, 0, 0, 0, &[]), "0");
        assert_eq!(num(1, 2, 0, 0, &[7]), "700000000");
        assert_eq!(num(0, 0, NAN, 0, &[]), "NaN");
        let mut s = String::new();
        money_c(-123456789, &mut s);
        assert_eq!(s, "-$1,234,567.89");
        s.clear();
        money_plain(5, &mut s);
        assert_eq!(s, "0.05");
    }
}

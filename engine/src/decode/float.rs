//! float4 and float8 as PostgreSQL prints them with `extra_float_digits > 0` (every pgark
//! session): the shortest digits that read back to the same value, in fixed notation when the
//! decimal exponent is from -4 to below 6 (float4) or 15 (float8), else `d.ddde+XX`.
//!
//! PostgreSQL's Ryu port does not accept the rounding interval's bounds (`acceptBounds =
//! false`): a decimal exactly halfway to a neighbouring float is never chosen even where the
//! round-half-even reading would give the value back, as Rust's shortest formatting allows.
//! Such digits are replaced by the shortest correctly rounded ones strictly inside.

use std::fmt::{LowerExp, Write};
use std::str::FromStr;

/// Appends a float8.
pub(super) fn float8(v: f64, out: &mut String) {
    special(v.is_nan(), v.is_infinite(), v == 0.0, v.is_sign_negative(), out)
        .unwrap_or_else(|| shortest(&strictly_inside(v, 17), 15, out));
}

/// Appends a float4.
pub(super) fn float4(v: f32, out: &mut String) {
    special(v.is_nan(), v.is_infinite(), v == 0.0, v.is_sign_negative(), out)
        .unwrap_or_else(|| shortest(&strictly_inside(v, 9), 6, out));
}

/// The shortest `{:e}` digits of `v` that lie strictly inside its rounding interval, and of
/// those the closest to `v`, ties to even (Rust's shortest formatting breaks ties upwards).
fn strictly_inside<F: LowerExp + FromStr + PartialEq + Copy>(v: F, max_digits: usize) -> String {
    let first = format!("{v:e}");
    let shortest = first.split('e').next().unwrap_or("").bytes().filter(u8::is_ascii_digit).count();
    for n in shortest..=max_digits {
        let candidate = if tie_possible(v, n) {
            rounded_half_even(v, n)
        } else if n == shortest {
            first.clone()
        } else {
            format!("{v:.prec$e}", prec = n - 1)
        };
        if candidate.parse::<F>().ok() == Some(v) && !on_bound(&candidate, v) {
            return candidate;
        }
    }
    rounded_half_even(v, max_digits)
}

/// Whether `v` may lie exactly halfway between two `n`-digit decimals: its digit `n + 1` is 5.
fn tie_possible<F: LowerExp>(v: F, n: usize) -> bool {
    format!("{v:.n$e}").split('e').next().is_some_and(|m| m.ends_with('5'))
}

/// `v` to `n` significant digits, ties to even (as Ryu rounds), in `{:e}` form.
fn rounded_half_even<F: LowerExp>(v: F, n: usize) -> String {
    // Every float's decimal expansion ends within 800 digits.
    let exact = format!("{v:.800e}");
    let (mantissa, exp) = exact.split_once('e').expect("{:e} has an exponent");
    let mut exp: i32 = exp.parse().expect("{:e} exponent");
    let (sign, mantissa) = mantissa.strip_prefix('-').map_or(("", mantissa), |m| ("-", m));
    let all: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let (keep, rest) = all.split_at(n.min(all.len()));
    let mut keep = keep.to_vec();
    let up = match rest.first() {
        Some(d) if *d > b'5' => true,
        Some(b'5') => rest[1..].iter().any(|c| *c != b'0') || keep.last().is_some_and(|d| (d - b'0') % 2 == 1),
        _ => false,
    };
    if up {
        let mut i = keep.len();
        loop {
            if i == 0 {
                keep.insert(0, b'1');
                keep.pop();
                exp += 1;
                break;
            }
            i -= 1;
            if keep[i] == b'9' {
                keep[i] = b'0';
            } else {
                keep[i] += 1;
                break;
            }
        }
    }
    let digits = String::from_utf8(keep).expect("digits");
    let rest = digits[1..].trim_end_matches('0');
    let dot = if rest.is_empty() { "" } else { "." };
    format!("{sign}{}{dot}{rest}e{exp}", &digits[..1])
}

/// Whether the decimal `sci` (which reads back as `v`) is exactly halfway to a neighbour: a
/// hair above or below it reads as another value.
fn on_bound<F: FromStr + PartialEq + Copy>(sci: &str, v: F) -> bool {
    let Some((mantissa, exp)) = sci.split_once('e') else { return false };
    let (sign, mantissa) = mantissa.strip_prefix('-').map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let (Ok(m), Ok(exp)) = (digits.parse::<u64>(), exp.parse::<i32>()) else { return false };
    let scale = exp - (digits.len() as i32 - 1) - 20;
    let above = format!("{sign}{m}00000000000000000001e{scale}");
    let below = format!("{sign}{}99999999999999999999e{scale}", m.saturating_sub(1));
    above.parse::<F>().ok() != Some(v) || below.parse::<F>().ok() != Some(v)
}

/// NaN, infinities and zeros; `None` for other values.
fn special(nan: bool, inf: bool, zero: bool, negative: bool, out: &mut String) -> Option<()> {
    let text = match (nan, inf, zero, negative) {
        (true, ..) => "NaN",
        (_, true, _, false) => "Infinity",
        (_, true, _, true) => "-Infinity",
        (_, _, true, false) => "0",
        (_, _, true, true) => "-0",
        _ => return None,
    };
    out.push_str(text);
    Some(())
}

/// Lays out Rust's shortest round-trip digits (`-1.2345e-7`) the way PostgreSQL's Ryu port does.
fn shortest(sci: &str, fixed_below: i32, out: &mut String) {
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent");
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    if negative {
        out.push('-');
    }
    if (-4..fixed_below).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(digits);
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f8(v: f64) -> String {
        let mut s = String::new();
        float8(v, &mut s);
        s
    }

    fn f4(v: f32) -> String {
        let mut s = String::new();
        float4(v, &mut s);
        s
    }

    #[test]
    fn prints_as_postgresql_does() {
        assert_eq!(f8(1.0), "1");
        assert_eq!(f8(-0.0), "-0");
        assert_eq!(f8(0.1), "0.1");
        assert_eq!(f8(1e15), "1e+15");
        assert_eq!(f8(123456789012345.0), "123456789012345");
        assert_eq!(f8(0.0001), "0.0001");
        assert_eq!(f8(0.00001234), "1.234e-05");
        assert_eq!(f8(1.7976931348623157e308), "1.7976931348623157e+308");
        assert_eq!(f8(5e-324), "5e-324");
        assert_eq!(f8(f64::NAN), "NaN");
        assert_eq!(f8(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(f4(1.1), "1.1");
        assert_eq!(f4(123456.0), "123456");
        assert_eq!(f4(1234567.0), "1.234567e+06");
        assert_eq!(f4(3.4028235e38), "3.4028235e+38");
        // Halfway to a neighbour: PostgreSQL takes a digit more.
        assert_eq!(f4(52458312.0), "5.2458312e+07");
        assert_eq!(f4(-(345_540.0 + 0.625)), "-345540.62");
        assert_eq!(rounded_half_even(0.125f64, 2), "1.2e-1");
        assert_eq!(rounded_half_even(9.96f64, 2), "1e1");
    }
}

//! date, time, timetz, timestamp, timestamptz and interval as PostgreSQL prints them with
//! `DateStyle = ISO`, `IntervalStyle = postgres` and (for timestamptz) `TimeZone = UTC`.

use std::fmt::Write;

use super::{be, DecodeError};

/// Julian day of 2000-01-01, PostgreSQL's epoch.
const EPOCH_JDATE: i64 = 2_451_545;
const USECS_PER_DAY: i64 = 86_400_000_000;

/// (year, month, day) of a Julian day; year 0 is 1 BC (PostgreSQL's j2date).
fn j2date(jd: i64) -> (i64, u32, u32) {
    let mut julian = jd as u64 + 32044;
    let mut quad = julian / 146_097;
    let extra = (julian - quad * 146_097) * 4 + 3;
    julian += 60 + quad * 3 + extra / 146_097;
    quad = julian / 1461;
    julian -= quad * 1461;
    let mut y = julian * 4 / 1461;
    julian = if y != 0 { (julian + 305) % 365 } else { (julian + 306) % 366 } + 123;
    y += quad * 4;
    let year = y as i64 - 4800;
    let quad = julian * 2141 / 65536;
    let day = julian - 7834 * quad / 256;
    let month = (quad + 10) % 12 + 1;
    (year, month as u32, day as u32)
}

/// `YYYY-MM-DD`, and whether the year is BC (the caller appends ` BC` where PostgreSQL does).
fn date_part(jd: i64, out: &mut String) -> bool {
    let (year, month, day) = j2date(jd);
    let (shown, bc) = if year > 0 { (year, false) } else { (1 - year, true) };
    super::push_padded(out, shown as u64, 4);
    out.push('-');
    super::push_padded(out, month.into(), 2);
    out.push('-');
    super::push_padded(out, day.into(), 2);
    bc
}

/// `HH:MM:SS` and the fraction without trailing zeros.
fn time_part(usecs: i64, out: &mut String) {
    let (hour, rest) = (usecs / 3_600_000_000, usecs % 3_600_000_000);
    let (min, rest) = (rest / 60_000_000, rest % 60_000_000);
    super::push_padded(out, hour as u64, 2);
    out.push(':');
    super::push_padded(out, min as u64, 2);
    out.push(':');
    seconds(rest / 1_000_000, rest % 1_000_000, out);
}

/// `SS[.ffffff]`, zero-padded, fraction trimmed (PostgreSQL's AppendSeconds).
fn seconds(sec: i64, usec: i64, out: &mut String) {
    super::push_padded(out, sec.unsigned_abs(), 2);
    if usec != 0 {
        let mut frac = usec.unsigned_abs();
        let mut digits = 6;
        while frac.is_multiple_of(10) {
            frac /= 10;
            digits -= 1;
        }
        out.push('.');
        let start = out.len();
        super::push_int(out, frac as i64);
        let missing = digits - (out.len() - start);
        out.insert_str(start, &"000000"[..missing]);
    }
}

/// Appends a date.
pub(super) fn date(b: &[u8], out: &mut String) -> Result<(), DecodeError> {
    let days = i32::from_be_bytes(be::<4>(b, 0)?);
    match days {
        i32::MAX => out.push_str("infinity"),
        i32::MIN => out.push_str("-infinity"),
        _ => {
            if date_part(days as i64 + EPOCH_JDATE, out) {
                out.push_str(" BC");
            }
        }
    }
    Ok(())
}

/// Appends a time.
pub(super) fn time(b: &[u8], out: &mut String) -> Result<(), DecodeError> {
    time_part(i64::from_be_bytes(be::<8>(b, 0)?), out);
    Ok(())
}

/// Appends a timetz: the time and its zone (`+05:30`; the stored zone is seconds west of UTC).
pub(super) fn timetz(b: &[u8], out: &mut String) -> Result<(), DecodeError> {
    time_part(i64::from_be_bytes(be::<8>(b, 0)?), out);
    zone(i32::from_be_bytes(be::<4>(b, 8)?), out);
    Ok(())
}

/// PostgreSQL's EncodeTimezone: `+HH`, `+HH:MM` or `+HH:MM:SS`, east of UTC positive.
fn zone(west: i32, out: &mut String) {
    let secs = west.unsigned_abs();
    let (hour, min, sec) = (secs / 3600, secs / 60 % 60, secs % 60);
    out.push(if west <= 0 { '+' } else { '-' });
    let _ = match (sec, min) {
        (0, 0) => write!(out, "{hour:02}"),
        (0, _) => write!(out, "{hour:02}:{min:02}"),
        _ => write!(out, "{hour:02}:{min:02}:{sec:02}"),
    };
}

/// Appends a timestamp, or with `utc` a timestamptz shown in UTC (`+00`).
pub(super) fn timestamp(b: &[u8], utc: bool, out: &mut String) -> Result<(), DecodeError> {
    let t = i64::from_be_bytes(be::<8>(b, 0)?);
    match t {
        i64::MAX => out.push_str("infinity"),
        i64::MIN => out.push_str("-infinity"),
        _ => {
            let (days, usecs) = (t.div_euclid(USECS_PER_DAY), t.rem_euclid(USECS_PER_DAY));
            let bc = date_part(days + EPOCH_JDATE, out);
            out.push(' ');
            time_part(usecs, out);
            if utc {
                out.push_str("+00");
            }
            if bc {
                out.push_str(" BC");
            }
        }
    }
    Ok(())
}

/// Appends an interval in the `postgres` style: `1 year 2 mons -3 days +04:05:06.5`.
pub(super) fn interval(b: &[u8], out: &mut String) -> Result<(), DecodeError> {
    let time = i64::from_be_bytes(be::<8>(b, 0)?);
    let days = i32::from_be_bytes(be::<4>(b, 8)?);
    let months = i32::from_be_bytes(be::<4>(b, 12)?);
    if (time, days, months) == (i64::MAX, i32::MAX, i32::MAX) {
        out.push_str("infinity");
        return Ok(());
    }
    if (time, days, months) == (i64::MIN, i32::MIN, i32::MIN) {
        out.push_str("-infinity");
        return Ok(());
    }
    let (mut is_zero, mut is_before) = (true, false);
    let start = out.len();
    for (value, unit) in [(months as i64 / 12, "year"), (months as i64 % 12, "mon"), (days as i64, "day")] {
        if value == 0 {
            continue;
        }
        let space = if is_zero { "" } else { " " };
        let plus = if is_before && value > 0 { "+" } else { "" };
        let plural = if value != 1 { "s" } else { "" };
        let _ = write!(out, "{space}{plus}{value} {unit}{plural}");
        is_before = value < 0;
        is_zero = false;
    }
    let (hour, rest) = (time / 3_600_000_000, time % 3_600_000_000);
    let (min, rest) = (rest / 60_000_000, rest % 60_000_000);
    let (sec, usec) = (rest / 1_000_000, rest % 1_000_000);
    if is_zero || hour != 0 || min != 0 || sec != 0 || usec != 0 {
        let minus = hour < 0 || min < 0 || sec < 0 || usec < 0;
        let space = if out.len() == start { "" } else { " " };
        let sign = if minus {
            "-"
        } else if is_before {
            "+"
        } else {
            ""
        };
        let _ = write!(out, "{space}{sign}{:02}:{:02}:", hour.abs(), min.abs());
        seconds(sec, usec, out);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(f: fn(&[u8], &mut String) -> Result<(), DecodeError>, b: &[u8]) -> String {
        let mut s = String::new();
        f(b, &mut s).unwrap();
        s
    }

    fn iv(time: i64, days: i32, months: i32) -> String {
        let mut b = time.to_be_bytes().to_vec();
        b.extend_from_slice(&days.to_be_bytes());
        b.extend_from_slice(&months.to_be_bytes());
        show(interval, &b)
    }

    #[test]
    fn dates_times_and_intervals() {
        assert_eq!(show(date, &0i32.to_be_bytes()), "2000-01-01");
        assert_eq!(show(date, &(-730_119i32).to_be_bytes()), "0001-01-01");
        assert_eq!(show(date, &(-730_120i32).to_be_bytes()), "0001-12-31 BC");
        assert_eq!(show(time, &45_296_500_000i64.to_be_bytes()), "12:34:56.5");
        let mut tz = 0i64.to_be_bytes().to_vec();
        tz.extend_from_slice(&(-19_800i32).to_be_bytes());
        assert_eq!(show(timetz, &tz), "00:00:00+05:30");
        let mut s = String::new();
        timestamp(&(-1i64).to_be_bytes(), true, &mut s).unwrap();
        assert_eq!(s, "1999-12-31 23:59:59.999999+00");
        assert_eq!(iv(0, 0, 0), "00:00:00");
        assert_eq!(iv(14_706_000_000, 3, 14), "1 year 2 mons 3 days 04:05:06");
        assert_eq!(iv(7_200_000_000, -1, 0), "-1 days +02:00:00");
        assert_eq!(iv(-1_500_000, 0, -1), "-1 mons -00:00:01.5");
    }
}

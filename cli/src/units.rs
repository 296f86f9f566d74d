//! Human units: parsing `--chunk-size 64MiB`, printing byte counts and durations.

use std::time::Duration;

/// Parses a size: `65536` (bytes), `512KiB`, `64MiB`, `1GiB`, `2TiB` (binary multiples; also
/// `k`, `m`, `g`, `t`), or `500KB`, `10MB`, `1GB`, `2TB` (decimal multiples, as disks are sold).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("'{s}' is not a size (examples: 65536, 512KiB, 64MiB, 10GB)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => return Err(format!("'{s}': unknown unit '{unit}' (use KiB, MiB, GiB, TiB or KB, MB, GB, TB)")),
    };
    n.checked_mul(mult).filter(|&v| v > 0).ok_or_else(|| format!("'{s}' is not a usable size"))
}

/// Parses a wait: `500ms`, `30s`, `2min` (or `2m`), `1h`; a bare number is milliseconds, as
/// pg_dump's `--lock-wait-timeout` takes it.
pub fn parse_wait(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("'{s}' is not a duration (examples: 500ms, 30s, 2min)"))?;
    let ms: u64 = match unit.trim() {
        "" | "ms" => 1,
        "s" => 1000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        _ => return Err(format!("'{s}': unknown unit '{unit}' (use ms, s, min or h)")),
    };
    n.checked_mul(ms)
        .filter(|&v| v > 0)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("'{s}' is not a usable duration"))
}

/// `1.5 GiB`, `12.0 MiB`, `512 B`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `3.21 s`.
pub fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("2TiB"), Ok(2 << 40));
        assert_eq!(parse_size("10GB"), Ok(10_000_000_000));
        assert_eq!(parse_size("1 tb"), Ok(1_000_000_000_000));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12 parsecs").is_err());
        assert_eq!(bytes(1536), "1.5 KiB");
    }

    #[test]
    fn waits() {
        assert_eq!(parse_wait("500"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_wait("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_wait("2min"), Ok(Duration::from_secs(120)));
        assert!(parse_wait("0s").is_err());
        assert!(parse_wait("3 fortnights").is_err());
    }
}

//! Schedules (`[schedules.NAME]` in pgark.toml, or the original JSON's `schedules`): what is
//! wrong with one, the cron expression it stands for, its next and previous runs, its time zone.

use anyhow::{bail, Context, Result};
use chrono::{DateTime, FixedOffset, Utc};
use croner::Cron;
use pgark_engine::DumpOptions;
use serde::Deserialize;

use super::{apply_profile, Config};

/// `[schedules.NAME]`: a dump at `time` every day, week (`day` = weekday) or month (`day` = day
/// of the month), or by a `cron` expression.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    #[serde(default)]
    pub enabled: bool,
    /// `HH:MM`.
    pub time: Option<String>,
    /// `daily`, `weekly` or `monthly`.
    pub every: Option<String>,
    /// Weekday name for weekly schedules, day of the month for monthly ones.
    pub day: Option<String>,
    /// A cron expression instead of time/every/day.
    pub cron: Option<String>,
    /// The dump profile.
    pub profile: Option<String>,
    /// Time zone of `time` (default UTC).
    pub timezone: Option<String>,
    /// After the dump and its verification, prove the new archive restores (`pgark drill`, on
    /// `drill_db` or $PGARK_DRILL_URL).
    #[serde(default)]
    pub drill: bool,
}

const WEEKDAYS: [&str; 7] = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

impl Schedule {
    /// What is wrong with it, each as `key: problem`.
    pub fn problems(&self, config: &Config) -> Vec<String> {
        let mut out = Vec::new();
        let time_ok = |t: &str| {
            let (h, m) = t.split_once(':').unwrap_or((t, ""));
            let num = |x: &str, max: u32| x.len() <= 2 && x.parse::<u32>().is_ok_and(|v| v <= max);
            num(h, 23) && m.len() == 2 && num(m, 59)
        };
        if let Some(t) = self.time.as_deref().filter(|t| !time_ok(t)) {
            out.push(format!("time: '{t}' is not a time of day (HH:MM, 00:00 to 23:59)"));
        }
        match (self.every.as_deref(), self.day.as_deref()) {
            (Some("daily"), Some(_)) => out.push("day: a daily schedule takes no day".into()),
            (Some("weekly"), Some(d)) if !WEEKDAYS.contains(&d.to_ascii_lowercase().as_str()) => {
                out.push(format!("day: '{d}' is not a weekday (sunday … saturday)"))
            }
            (Some("monthly"), Some(d)) if !d.parse::<u32>().is_ok_and(|n| (1..=31).contains(&n)) => {
                out.push(format!("day: '{d}' is not a day of the month (1 … 31)"))
            }
            (Some("daily" | "weekly" | "monthly") | None, _) => {}
            (Some(e), _) => out.push(format!("every: '{e}' is not one of daily, weekly, monthly")),
        }
        if let Some(c) = &self.cron {
            if self.every.is_some() || self.time.is_some() {
                out.push("cron: give either cron or time/every, not both".into());
            }
            let fields = c.split_whitespace().count();
            if !(5..=6).contains(&fields) {
                out.push(format!("cron: '{c}' has {fields} fields (expected 5, or 6 with seconds)"));
            }
        } else if self.enabled && (self.time.is_none() || self.every.is_none()) {
            out.push("enabled: an enabled schedule needs time and every (or cron)".into());
        }
        if let Some(p) = &self.profile {
            if let Err(e) = apply_profile(p, config, &mut DumpOptions::default()) {
                out.push(format!("profile: {e}"));
            }
        }
        if let Err(e) = self.zone() {
            out.push(format!("timezone: {e}"));
        }
        if self.drill && config.drill_db.is_none() && std::env::var_os("PGARK_DRILL_URL").is_none() {
            out.push("drill: a schedule that drills needs drill_db in the config (or $PGARK_DRILL_URL)".into());
        }
        out
    }
}

impl Schedule {
    /// `daily at 02:30 UTC, profile full` (or the cron expression), for people.
    pub fn describe(&self) -> String {
        let when = match (&self.cron, self.every.as_deref(), &self.day) {
            (Some(c), ..) => format!("cron '{c}'"),
            (None, Some("weekly"), Some(d)) => format!("weekly on {d}"),
            (None, Some("monthly"), Some(d)) => format!("monthly on day {d}"),
            (None, Some(e), _) => e.to_string(),
            (None, None, _) => "no rule".into(),
        };
        let at = self.time.as_deref().map(|t| format!(" at {t}")).unwrap_or_default();
        let tz = self.timezone.as_deref().unwrap_or("UTC");
        let state = if self.enabled { "enabled" } else { "disabled" };
        let drill = if self.drill { ", then a restore drill" } else { "" };
        format!("{when}{at} {tz}, profile {}{drill}, {state}", self.profile.as_deref().unwrap_or("full"))
    }
}

impl Schedule {
    /// The cron expression (minute hour day-of-month month day-of-week) it stands for.
    pub fn cron_expr(&self) -> Result<String> {
        if let Some(c) = &self.cron {
            return Ok(c.clone());
        }
        let time = self.time.as_deref().unwrap_or("00:00");
        let (h, m) = time.split_once(':').with_context(|| format!("time '{time}' is not HH:MM"))?;
        let (h, m): (u32, u32) = (h.parse()?, m.parse()?);
        let day = self.day.as_deref().map(str::to_ascii_lowercase);
        Ok(match self.every.as_deref() {
            Some("daily") | None => format!("{m} {h} * * *"),
            Some("weekly") => format!("{m} {h} * * {}", &day.as_deref().unwrap_or("sunday")[..3]),
            Some("monthly") => format!("{m} {h} {} * *", day.as_deref().unwrap_or("1")),
            Some(other) => bail!("every = '{other}' is not daily, weekly or monthly"),
        })
    }

    /// The first run after `now`.
    pub fn next_run(&self, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
        self.occurrence(now, true)
    }

    /// The last run due at or before `now`.
    pub fn previous_run(&self, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
        self.occurrence(now, false)
    }

    /// The schedule's time zone (`None`: UTC).
    pub fn zone(&self) -> Result<Zone> {
        zone(self.timezone.as_deref())
    }

    fn occurrence(&self, now: DateTime<Utc>, next: bool) -> Result<DateTime<Utc>> {
        let expr = self.cron_expr()?;
        let cron: Cron = expr.parse().with_context(|| format!("cron expression '{expr}'"))?;
        fn find<Tz: chrono::TimeZone>(cron: &Cron, at: DateTime<Tz>, next: bool) -> Result<DateTime<Utc>> {
            let found =
                if next { cron.find_next_occurrence(&at, false) } else { cron.find_previous_occurrence(&at, true) };
            Ok(found.context("no such run")?.with_timezone(&Utc))
        }
        match self.zone()? {
            Zone::Fixed(z) => find(&cron, now.with_timezone(&z), next),
            Zone::Named(z) => find(&cron, now.with_timezone(&z), next),
        }
    }
}

/// A schedule's time zone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Zone {
    /// UTC or a fixed offset.
    Fixed(FixedOffset),
    /// A named zone of the tz database, with its daylight saving time.
    Named(chrono_tz::Tz),
}

impl Zone {
    /// Whether it is UTC.
    pub fn is_utc(&self) -> bool {
        matches!(self, Zone::Fixed(z) if z.local_minus_utc() == 0)
    }
}

/// UTC, a fixed offset like `+02:00`, or a tz database name like `Europe/Berlin`.
fn zone(name: Option<&str>) -> Result<Zone> {
    match name {
        None | Some("UTC" | "Etc/UTC" | "Z") => Ok(Zone::Fixed(FixedOffset::east_opt(0).expect("zero offset"))),
        Some(z) => {
            let fixed = DateTime::parse_from_str(&format!("2000-01-01 00:00 {z}"), "%Y-%m-%d %H:%M %:z");
            if let Ok(d) = fixed {
                return Ok(Zone::Fixed(*d.offset()));
            }
            z.parse::<chrono_tz::Tz>().map(Zone::Named).map_err(|_| {
                anyhow::anyhow!("timezone '{z}' is neither a tz database name (Europe/Berlin) nor an offset (+02:00)")
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(every: &str, time: &str, day: Option<&str>) -> Schedule {
        Schedule {
            enabled: true,
            every: Some(every.into()),
            time: Some(time.into()),
            day: day.map(Into::into),
            ..Default::default()
        }
    }

    #[test]
    fn rules_become_cron_expressions_and_next_runs() {
        let now: DateTime<Utc> = "2026-11-30T10:00:00Z".parse().unwrap();
        let daily = schedule("daily", "02:30", None);
        assert_eq!(daily.cron_expr().unwrap(), "30 2 * * *");
        assert_eq!(daily.next_run(now).unwrap().to_rfc3339(), "2026-12-01T02:30:00+00:00");
        let weekly = schedule("weekly", "03:00", Some("Sunday"));
        assert_eq!(weekly.next_run(now).unwrap().to_rfc3339(), "2026-12-06T03:00:00+00:00");
        let monthly = schedule("monthly", "04:00", Some("1"));
        assert_eq!(monthly.next_run(now).unwrap().to_rfc3339(), "2026-12-01T04:00:00+00:00");
        let shifted = Schedule { timezone: Some("+02:00".into()), ..daily.clone() };
        assert_eq!(shifted.next_run(now).unwrap().to_rfc3339(), "2026-12-01T00:30:00+00:00");
        let cron = Schedule { cron: Some("*/30 * * * *".into()), every: None, time: None, ..daily };
        assert_eq!(cron.next_run(now).unwrap().to_rfc3339(), "2026-11-30T10:30:00+00:00");
        // Six fields: seconds first (for the daemon).
        let seconds = Schedule { cron: Some("*/5 * * * * *".into()), ..cron };
        assert_eq!(seconds.next_run(now).unwrap().to_rfc3339(), "2026-11-30T10:00:05+00:00");
        assert!(Schedule { timezone: Some("Mars/Olympus".into()), ..schedule("daily", "01:00", None) }
            .next_run(now)
            .is_err());
        // A named zone follows its daylight saving time: 02:30 in Berlin is 01:30 UTC in
        // winter and 00:30 UTC in summer.
        let berlin = Schedule { timezone: Some("Europe/Berlin".into()), ..schedule("daily", "02:30", None) };
        assert_eq!(berlin.next_run(now).unwrap().to_rfc3339(), "2026-12-01T01:30:00+00:00");
        let summer: DateTime<Utc> = "2026-07-01T10:00:00Z".parse().unwrap();
        assert_eq!(berlin.next_run(summer).unwrap().to_rfc3339(), "2026-07-02T00:30:00+00:00");
    }
}

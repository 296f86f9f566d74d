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
    /// Time zone of `time` (default: `timezone` of the config, else the machine's).
    pub timezone: Option<String>,
    /// After the dump and its verification, prove the new archive restores (`pgark drill`, on
    /// `drill_db` or $PGARK_DRILL_URL).
    #[serde(default)]
    pub drill: bool,
    /// What it runs: `dump` (default), `verify` (every archive), `drill` (the newest), `prune`.
    pub task: Option<String>,
}

/// What a schedule runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// A dump into the backup directory, its verify (and drill), then prune.
    Dump,
    /// `verify --all`: every archive of the directory.
    Verify,
    /// `drill` of the newest archive.
    Drill,
    /// `prune --yes` by the configured retention.
    Prune,
}

impl Task {
    /// The task a name stands for.
    pub fn parse(name: &str) -> Result<Task> {
        Ok(match name {
            "dump" => Task::Dump,
            "verify" => Task::Verify,
            "drill" => Task::Drill,
            "prune" => Task::Prune,
            _ => bail!("'{name}' is not one of dump, verify, drill, prune"),
        })
    }

    /// The kind of history record its run leaves.
    pub fn run_kind(self) -> pgark_engine::RunKind {
        match self {
            Task::Dump => pgark_engine::RunKind::Dump,
            Task::Verify => pgark_engine::RunKind::Verify,
            Task::Drill => pgark_engine::RunKind::Drill,
            Task::Prune => pgark_engine::RunKind::Prune,
        }
    }
}

const WEEKDAYS: [&str; 7] = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

impl Schedule {
    /// Its task (default `dump`).
    pub fn task(&self) -> Result<Task> {
        self.task.as_deref().map_or(Ok(Task::Dump), Task::parse)
    }

    /// What is wrong with it, each as `key: problem`.
    pub fn problems(&self, config: &Config) -> Vec<String> {
        let mut out = Vec::new();
        if let Err(e) = self.task() {
            out.push(format!("task: {e}"));
        }
        if self.drill && self.task().is_ok_and(|t| t == Task::Prune || t == Task::Verify) {
            out.push("drill: only a dump (or a drill) schedule drills".into());
        }
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
        let drills = self.drill || self.task().is_ok_and(|t| t == Task::Drill);
        if drills && config.drill_db.is_none() && std::env::var_os("PGARK_DRILL_URL").is_none() {
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
        let tz = self.zone().map(|z| z.name()).unwrap_or_else(|_| self.timezone.clone().unwrap_or_default());
        let state = if self.enabled { "enabled" } else { "disabled" };
        let drill = if self.drill { ", then a restore drill" } else { "" };
        let what = match self.task().unwrap_or(Task::Dump) {
            Task::Dump => format!("profile {}{drill}", self.profile.as_deref().unwrap_or("full")),
            Task::Verify => "verify every archive".into(),
            Task::Drill => "restore drill of the newest archive".into(),
            Task::Prune => "prune".into(),
        };
        format!("{when}{at} {tz}, {what}, {state}")
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

    /// The schedule's time zone (`None`: the machine's).
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

    /// `UTC`, `+02:00` or `Europe/Berlin`.
    pub fn name(&self) -> String {
        match self {
            z if z.is_utc() => "UTC".into(),
            Zone::Fixed(z) => z.to_string(),
            Zone::Named(tz) => tz.name().to_string(),
        }
    }

    /// The tz database name cron's `CRON_TZ` and systemd take: a named zone, UTC, or a whole-hour
    /// offset as `Etc/GMT-2` (the tz database's signs are reversed); `None` for other offsets.
    pub fn tz_name(&self) -> Option<String> {
        match self {
            z if z.is_utc() => Some("UTC".into()),
            Zone::Named(tz) => Some(tz.name().to_string()),
            Zone::Fixed(z) if z.local_minus_utc() % 3600 == 0 => {
                let hours = z.local_minus_utc() / 3600;
                Some(format!("Etc/GMT{}{}", if hours > 0 { '-' } else { '+' }, hours.abs()))
            }
            Zone::Fixed(_) => None,
        }
    }

    /// `at` as a time in this zone, for people: `2026-12-05 02:30 Europe/Berlin`.
    pub fn show(&self, at: DateTime<Utc>) -> String {
        let local = match self {
            Zone::Fixed(z) => at.with_timezone(z).format("%Y-%m-%d %H:%M").to_string(),
            Zone::Named(z) => at.with_timezone(z).format("%Y-%m-%d %H:%M").to_string(),
        };
        format!("{local} {}", self.name())
    }
}

/// The machine's time zone: `$TZ` when it names one, else `/etc/timezone`, else the zone
/// `/etc/localtime` links to, else UTC.
pub fn machine_zone() -> Option<String> {
    let valid = |z: &str| z.parse::<chrono_tz::Tz>().is_ok();
    if let Some(tz) = std::env::var("TZ").ok().map(|t| t.trim_start_matches(':').to_string()).filter(|t| valid(t)) {
        return Some(tz);
    }
    if let Some(tz) = std::fs::read_to_string("/etc/timezone").ok().map(|t| t.trim().to_string()).filter(|t| valid(t)) {
        return Some(tz);
    }
    let link = std::fs::read_link("/etc/localtime").ok()?;
    let link = link.to_string_lossy();
    let name = link.split("zoneinfo/").nth(1)?;
    valid(name).then(|| name.to_string())
}

/// UTC, a fixed offset like `+02:00`, or a tz database name like `Europe/Berlin`; none: the
/// machine's zone.
fn zone(name: Option<&str>) -> Result<Zone> {
    let machine = if name.is_none() { machine_zone() } else { None };
    match name.or(machine.as_deref()) {
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

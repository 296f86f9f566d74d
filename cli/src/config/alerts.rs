//! `[alerts]`: what a backup directory is held to — by `check`, the daemon's `/healthz` and the
//! alerts pushed from scheduled runs and the daemon — and the scheduled runs that were due.
//!
//! ```toml
//! [alerts]
//! require_verified = true   # WARNING when the newest backup was never verified
//! max_age = "26h"           # CRITICAL when the newest backup is older
//! late_after = "1h"         # a scheduled run not done this long after it was due is late
//! min_free = "10GiB"        # WARNING below this much free space on the backup volume
//! max_drill_age = "100d"    # CRITICAL unless a restore drill passed within this time
//! check_every = "5m"        # how often the daemon looks (and pushes new alerts)
//! ```

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use pgark_engine::{deserialize_age, DueRun, HealthRules, Record, RunKind};
use serde::Deserialize;

use super::Schedule;

/// `[alerts]`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alerts {
    /// WARNING when the newest backup has never been verified.
    #[serde(default)]
    pub require_verified: bool,
    /// CRITICAL when the newest backup is older than this (default 26h).
    #[serde(default, deserialize_with = "deserialize_age")]
    pub max_age: Option<Duration>,
    /// A scheduled run is late when no dump of it succeeded this long after it was due (default 1h).
    #[serde(default, deserialize_with = "deserialize_age")]
    pub late_after: Option<Duration>,
    /// WARNING when the backup volume has less free space than this (`10GiB`).
    #[serde(default, deserialize_with = "size")]
    pub min_free: Option<u64>,
    /// CRITICAL unless a restore drill passed within this time.
    #[serde(default, deserialize_with = "deserialize_age")]
    pub max_drill_age: Option<Duration>,
    /// How often the daemon checks the directory and pushes new alerts (default 5m).
    #[serde(default, deserialize_with = "deserialize_age")]
    pub check_every: Option<Duration>,
}

/// The newest backup's age `check` allows when neither the command line nor the config says.
pub const DEFAULT_MAX_AGE: Duration = Duration::hours(26);
/// How long after its time a scheduled run may take to succeed, by default.
pub const DEFAULT_LATE_AFTER: Duration = Duration::hours(1);
/// How often the daemon checks, by default.
pub const DEFAULT_CHECK_EVERY: Duration = Duration::minutes(5);

impl Alerts {
    /// The rules `check` applies at `now`: these settings, and for each enabled schedule its last
    /// run whose grace has passed — once the schedules were installed (or the daemon started, or
    /// the directory's history began), so a schedule enabled today is not late for yesterday.
    pub fn rules(&self, schedules: &BTreeMap<String, Schedule>, history: &[Record], now: DateTime<Utc>) -> HealthRules {
        let grace = self.late_after.unwrap_or(DEFAULT_LATE_AFTER);
        let since =
            history.iter().rev().find(|r| r.kind == RunKind::Schedule).or_else(|| history.first()).map(|r| r.started);
        let due = schedules
            .iter()
            .filter(|(_, s)| s.enabled && s.task().is_ok_and(|t| t == super::Task::Dump))
            .filter_map(|(name, s)| {
                let at = s.previous_run(now - grace).ok()?;
                since.filter(|since| at >= *since)?;
                Some(DueRun { schedule: name.clone(), profile: s.profile.clone(), at, grace })
            })
            .collect();
        HealthRules {
            max_age: Some(self.max_age.unwrap_or(DEFAULT_MAX_AGE)),
            min_free: self.min_free,
            verify_newest: false,
            max_drill_age: self.max_drill_age,
            require_verified: self.require_verified,
            due,
        }
    }
}

/// A size in the config: `10GiB`, `500 MB`, or a number of bytes.
fn size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Bytes(u64),
        Text(String),
    }
    match Size::deserialize(d)? {
        Size::Bytes(n) => Ok(Some(n)),
        Size::Text(t) => crate::units::parse_size(&t).map(Some).map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pgark_engine::RunStatus;

    fn schedule(time: &str) -> Schedule {
        Schedule { enabled: true, every: Some("daily".into()), time: Some(time.into()), ..Schedule::default() }
    }

    #[test]
    fn due_runs_start_once_the_schedules_are_installed() {
        let alerts: Alerts = toml::from_str("late_after = \"30min\"\nmin_free = \"10GiB\"\nmax_age = 2").unwrap();
        assert_eq!(alerts.min_free, Some(10 << 30));
        let schedules = BTreeMap::from([("daily".to_string(), schedule("02:00"))]);
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let installed =
            Record::new(RunKind::Schedule, RunStatus::Ok, t("2026-12-03T10:00:00Z"), t("2026-12-03T10:00:00Z"));
        // 02:20 on the 4th: the 02:00 run is still in its grace, the one of the 3rd was before
        // the install: nothing is due.
        let rules = alerts.rules(&schedules, std::slice::from_ref(&installed), t("2026-12-04T02:20:00Z"));
        assert!(rules.due.is_empty(), "{:?}", rules.due);
        assert_eq!(rules.max_age, Some(Duration::days(2)));
        // 02:31: the 02:00 run of the 4th is due.
        let rules = alerts.rules(&schedules, &[installed], t("2026-12-04T02:31:00Z"));
        assert_eq!(rules.due.len(), 1);
        assert_eq!(rules.due[0].at, t("2026-12-04T02:00:00Z"));
        // No history at all: nothing is expected yet.
        assert!(alerts.rules(&schedules, &[], t("2026-12-04T02:31:00Z")).due.is_empty());
        assert!(toml::from_str::<Alerts>("min_free = \"ten\"").is_err());
    }
}

//! Retention for a backup directory: `plan` decides, from a listing alone, which archives each
//! rule keeps and which go (so a plan can be printed and tested without touching a file);
//! `PrunePlan::execute` deletes only what the plan names, after checking each file is still the
//! archive that was planned.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::history::{append, Record, RunKind, RunStatus};
use super::listing::{Listed, ListedState};
use crate::archive::{remove_partial_if_stale, Archive};
use crate::error::{Error, Result};

/// Which archives to keep. An archive survives when any keep rule keeps it (or no keep rule is
/// given) and it is no older than `max_age`; the newest archive and the newest that passed
/// verify, of each series, always survive. The same struct is `[retention]` in `pgark.toml`
/// (`max_age` as `"15d"`) and, flattened, the rules of `pgark prune`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct Retention {
    /// Keep the newest N archives.
    #[cfg_attr(feature = "clap", arg(long))]
    pub keep_last: Option<usize>,
    /// Keep the newest archive of each of the last N days (UTC) that have one.
    #[cfg_attr(feature = "clap", arg(long))]
    pub keep_daily: Option<usize>,
    /// Keep the newest archive of each of the last N ISO weeks that have one.
    #[cfg_attr(feature = "clap", arg(long))]
    pub keep_weekly: Option<usize>,
    /// Keep the newest archive of each of the last N months that have one.
    #[cfg_attr(feature = "clap", arg(long))]
    pub keep_monthly: Option<usize>,
    /// Delete archives older than this (15d, 36h, 2w), whatever keeps them.
    #[serde(deserialize_with = "age")]
    #[cfg_attr(feature = "clap", arg(long, value_parser = parse_age))]
    pub max_age: Option<Duration>,
    /// What the rules count in: `db,profile` (default: each database's backups of each
    /// profile are a series of their own), `db`, or `none` (everything together).
    #[cfg_attr(feature = "clap", arg(long, value_parser = GroupBy::parse, default_value = "db,profile"))]
    pub group_by: GroupBy,
}

/// What a retention rule counts in (restic's `forget --group-by`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum GroupBy {
    /// Per database and profile.
    #[default]
    DbProfile,
    /// Per database.
    Db,
    /// All archives together.
    None,
}

impl GroupBy {
    /// Parses `db,profile`, `db` or `none`.
    pub fn parse(s: &str) -> std::result::Result<GroupBy, String> {
        let mut parts: Vec<&str> = s.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
        parts.sort_unstable();
        match parts.as_slice() {
            ["db", "profile"] => Ok(GroupBy::DbProfile),
            ["db"] => Ok(GroupBy::Db),
            ["none"] | [] => Ok(GroupBy::None),
            _ => Err(format!("'{s}' is not a grouping: use db,profile, db or none")),
        }
    }
}

impl std::fmt::Display for GroupBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GroupBy::DbProfile => "db,profile",
            GroupBy::Db => "db",
            GroupBy::None => "none",
        })
    }
}

impl TryFrom<String> for GroupBy {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<GroupBy, String> {
        GroupBy::parse(&s)
    }
}

/// Parses an age: `15d`, `36h`, `2w`, `90m` or `90min` (minutes), `45s`; a bare number is days
/// (as the original `clean DAYS` took it). Units may be spelled out (`3 days`, `1 week`).
pub fn parse_age(s: &str) -> std::result::Result<Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: i64 = num.parse().map_err(|_| format!("'{s}' is not an age (examples: 15d, 36h, 2w, 30min)"))?;
    let age = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "d" | "day" | "days" => Duration::try_days(n),
        "h" | "hour" | "hours" => Duration::try_hours(n),
        "m" | "min" | "mins" | "minute" | "minutes" => Duration::try_minutes(n),
        "s" | "sec" | "secs" | "second" | "seconds" => Duration::try_seconds(n),
        "w" | "week" | "weeks" => Duration::try_weeks(n),
        _ => return Err(format!("'{s}': unknown unit '{unit}' (use s, m or min, h, d or w)")),
    };
    age.filter(|a| *a > Duration::zero()).ok_or_else(|| format!("'{s}' is not a usable age"))
}

/// Deserializes an age in a config file: an age string (`26h`) or a number of days.
pub fn age<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Duration>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Age {
        Days(u32),
        Text(String),
    }
    let text = match Age::deserialize(d)? {
        Age::Days(n) => n.to_string(),
        Age::Text(t) => t,
    };
    parse_age(&text).map(Some).map_err(serde::de::Error::custom)
}

impl Retention {
    /// Whether no rule is set (a grouping alone is not a rule).
    pub fn is_empty(&self) -> bool {
        Retention { group_by: GroupBy::default(), ..self.clone() } == Retention::default()
    }

    fn has_keep_rule(&self) -> bool {
        self.keep_last.is_some()
            || self.keep_daily.is_some()
            || self.keep_weekly.is_some()
            || self.keep_monthly.is_some()
    }
}

/// An archive a prune keeps, and every rule that keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct Kept {
    /// File name.
    pub file: String,
    /// Its series (the file name before the timestamp, else the database).
    pub series: String,
    /// Snapshot time.
    pub time: DateTime<Utc>,
    /// Why it stays ("last 1", "daily 2026-11-29", "newest verified", …).
    pub reasons: Vec<String>,
}

/// An archive a prune deletes.
#[derive(Debug, Clone, Serialize)]
pub struct Doomed {
    /// File name.
    pub file: String,
    /// Its series.
    pub series: String,
    /// Snapshot time.
    pub time: DateTime<Utc>,
    /// Its size.
    pub size: u64,
    /// Why it goes.
    pub why: String,
    /// blake3 of its manifest, checked again before deleting.
    pub manifest_blake3: String,
    /// Its info file, deleted with it.
    pub info_file: Option<String>,
}

/// What a prune would do.
#[derive(Debug, Clone, Serialize)]
pub struct PrunePlan {
    /// Archives that stay, oldest first.
    pub keep: Vec<Kept>,
    /// Archives that go, oldest first.
    pub delete: Vec<Doomed>,
    /// `.partial` files last written more than a day ago (removed unless a dump holds them).
    pub stale_partials: Vec<String>,
    /// Files a prune never touches (damaged archives, files pgark did not write), with why.
    pub untouched: Vec<(String, String)>,
}

/// What a prune did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PruneSummary {
    /// Archives deleted.
    pub deleted: Vec<String>,
    /// Bytes freed.
    pub freed_bytes: u64,
    /// Partial files removed.
    pub partials_removed: Vec<String>,
}

/// A `.partial` file older than this is stale.
const STALE_PARTIAL: i64 = 24 * 3600;

/// Decides, at `now`, what `rules` keep of the listed files.
pub fn plan(listed: &[Listed], rules: &Retention, now: DateTime<Utc>) -> Result<PrunePlan> {
    if rules.is_empty() {
        return Err(Error::Refused(
            "no retention rule: give --keep-last, --keep-daily, --keep-weekly, --keep-monthly or --max-age \
             (or retention in pgark.toml)"
                .into(),
        ));
    }
    let mut series: BTreeMap<String, Vec<&Listed>> = BTreeMap::new();
    let mut plan =
        PrunePlan { keep: Vec::new(), delete: Vec::new(), stale_partials: Vec::new(), untouched: Vec::new() };
    for l in listed {
        match &l.state {
            ListedState::Archive(a) => series.entry(series_key(l, a, rules.group_by)).or_default().push(l),
            ListedState::Partial => {
                if l.modified.is_some_and(|m| (now - m).num_seconds() > STALE_PARTIAL) {
                    plan.stale_partials.push(l.file.clone());
                }
            }
            ListedState::Unreadable { reason } => plan
                .untouched
                .push((l.file.clone(), format!("a damaged archive ({reason}); check it and delete it by hand"))),
            ListedState::Foreign { .. } => plan.untouched.push((l.file.clone(), "not written by pgark".into())),
        }
    }
    let protected = newest_full(listed);
    for (name, mut members) in series {
        members.sort_by_key(|l| std::cmp::Reverse(time_of(l)));
        let mut reasons: Vec<Vec<String>> = vec![Vec::new(); members.len()];
        if let Some(n) = rules.keep_last {
            for (i, r) in reasons.iter_mut().enumerate().take(n) {
                r.push(format!("last {}", i + 1));
            }
        }
        keep_buckets(&members, &mut reasons, rules.keep_daily, "daily", |t| t.format("%Y-%m-%d").to_string());
        keep_buckets(&members, &mut reasons, rules.keep_weekly, "weekly", |t| {
            let w = t.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        });
        keep_buckets(&members, &mut reasons, rules.keep_monthly, "monthly", |t| t.format("%Y-%m").to_string());
        let too_old = |l: &Listed| rules.max_age.is_some_and(|age| now - time_of(l) > age);
        for (l, r) in members.iter().zip(reasons.iter_mut()) {
            if too_old(l) {
                r.clear();
            } else if !rules.has_keep_rule() {
                r.push("within max age".into());
            }
        }
        if let Some(i) = members.iter().position(|l| verified_ok(l)) {
            reasons[i].push("newest verified".into());
        }
        reasons[0].push("newest".into());
        for (l, r) in members.iter().zip(reasons.iter_mut()) {
            match protected.get(l.file.as_str()) {
                Some(why) if r.is_empty() => r.push(why.clone()),
                _ => {}
            }
        }
        for (l, r) in members.iter().zip(reasons) {
            let ListedState::Archive(a) = &l.state else { unreachable!("series hold archives") };
            if r.is_empty() {
                let why = if too_old(l) { "older than --max-age".to_string() } else { "no rule keeps it".to_string() };
                plan.delete.push(Doomed {
                    file: l.file.clone(),
                    series: name.clone(),
                    time: a.snapshot_time,
                    size: l.size,
                    why,
                    manifest_blake3: a.manifest_blake3.clone(),
                    info_file: a.info_file.clone(),
                });
            } else {
                plan.keep.push(Kept { file: l.file.clone(), series: name.clone(), time: a.snapshot_time, reasons: r });
            }
        }
    }
    plan.keep.sort_by_key(|k| k.time);
    plan.delete.sort_by_key(|d| d.time);
    Ok(plan)
}

impl PrunePlan {
    /// Deletes the planned archives (each only if it is still the archive planned) and the
    /// stale partial files no dump holds.
    pub fn execute(&self, dir: &Path) -> Result<PruneSummary> {
        let started = Utc::now();
        let mut summary = PruneSummary::default();
        let result = self.delete_all(dir, &mut summary);
        // Every prune is recorded in the history (what it deleted, also when it stopped early),
        // so a prune that works again clears the failure of the last one.
        let status = if result.is_err() { RunStatus::Failed } else { RunStatus::Ok };
        let mut record = Record::new(RunKind::Prune, status, started, Utc::now());
        record.deleted = summary.deleted.clone();
        record.stored_bytes = Some(summary.freed_bytes);
        record.error = result.as_ref().err().map(|e| e.to_string());
        append(dir, &record)?;
        result.map(|()| summary)
    }

    fn delete_all(&self, dir: &Path, summary: &mut PruneSummary) -> Result<()> {
        for d in &self.delete {
            let path = dir.join(&d.file);
            let same = Archive::open_locked(&path).map(|a| a.manifest_blake3() == d.manifest_blake3).unwrap_or(false);
            if !same {
                let done = &summary.deleted;
                let list = if done.is_empty() { String::new() } else { format!(" ({})", done.join(", ")) };
                return Err(Error::Refused(format!(
                    "{} changed since the plan was made; stopped after deleting {} archive(s){list}",
                    path.display(),
                    done.len(),
                )));
            }
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            summary.deleted.push(d.file.clone());
            summary.freed_bytes += d.size;
            if let Some(info) = &d.info_file {
                let info = dir.join(info);
                std::fs::remove_file(&info).map_err(|e| Error::io(&info, e))?;
            }
        }
        for p in &self.stale_partials {
            if remove_partial_if_stale(&dir.join(p))? {
                summary.partials_removed.push(p.clone());
            }
        }
        Ok(())
    }
}

fn time_of(l: &Listed) -> DateTime<Utc> {
    match &l.state {
        ListedState::Archive(a) => a.snapshot_time,
        _ => DateTime::<Utc>::MIN_UTC,
    }
}

fn verified_ok(l: &Listed) -> bool {
    matches!(&l.state, ListedState::Archive(a) if a.last_verify.as_ref().is_some_and(|v| v.ok))
}

/// Keeps the newest archive of each of the `n` newest buckets (members are newest first).
fn keep_buckets(
    members: &[&Listed],
    reasons: &mut [Vec<String>],
    n: Option<usize>,
    rule: &str,
    bucket: impl Fn(DateTime<Utc>) -> String,
) {
    let Some(n) = n else { return };
    let mut seen: Vec<String> = Vec::new();
    for (l, r) in members.iter().zip(reasons.iter_mut()) {
        let b = bucket(time_of(l));
        if seen.len() == n {
            break;
        }
        if !seen.contains(&b) {
            r.push(format!("{rule} {b}"));
            seen.push(b);
        }
    }
}

/// The series a rule counts an archive in: its database (`series_of`), with its profile unless
/// grouped by database alone, or one series for everything. A full dump made without a profile
/// is of profile `full` (what a dump uses by default).
fn series_key(l: &Listed, a: &super::listing::ListedArchive, group_by: GroupBy) -> String {
    let db = series_of(&l.file, &a.database);
    match (group_by, a.profile.as_deref().or(a.full.then_some("full"))) {
        (GroupBy::DbProfile, Some(p)) => format!("{db} (profile {p})"),
        (GroupBy::DbProfile | GroupBy::Db, _) => db,
        (GroupBy::None, _) => "all".into(),
    }
}

/// Per database, its newest full backup that did not fail verification: no rule deletes it.
fn newest_full(listed: &[Listed]) -> std::collections::HashMap<&str, String> {
    let mut newest: BTreeMap<String, &Listed> = BTreeMap::new();
    for l in listed {
        let ListedState::Archive(a) = &l.state else { continue };
        let failed = a.last_verify.as_ref().is_some_and(|v| !v.ok);
        if !a.full || failed {
            continue;
        }
        let db = series_of(&l.file, &a.database);
        if newest.get(&db).is_none_or(|n| time_of(n) < time_of(l)) {
            newest.insert(db, l);
        }
    }
    newest.into_iter().map(|(db, l)| (l.file.as_str(), format!("newest full backup of {db}"))).collect()
}

/// The series an archive belongs to: its file name before a `_<YYYYMMDD>T…` timestamp (the
/// names `dump` gives, with a Supabase project's ref in them), else its database.
fn series_of(file: &str, database: &str) -> String {
    let bytes = file.as_bytes();
    for (i, _) in file.match_indices('_').rev() {
        let stamp = &bytes[i + 1..];
        if stamp.len() > 9 && stamp[..8].iter().all(u8::is_ascii_digit) && stamp[8] == b'T' {
            return file[..i].to_string();
        }
    }
    database.to_string()
}

#[cfg(test)]
mod tests {

    #[test]
    fn ages_parse_and_rules_read_from_a_config() {
        assert_eq!(parse_age("15d"), Ok(Duration::days(15)));
        assert_eq!(parse_age("30"), Ok(Duration::days(30)));
        assert_eq!(parse_age("36h"), Ok(Duration::hours(36)));
        assert_eq!(parse_age("90min"), Ok(Duration::minutes(90)));
        assert_eq!(parse_age("90m"), Ok(Duration::minutes(90)));
        assert_eq!(parse_age("45s"), Ok(Duration::seconds(45)));
        assert_eq!(parse_age("2 weeks"), Ok(Duration::weeks(2)));
        assert!(parse_age("0d").is_err() && parse_age("3 fortnights").is_err());
        let r: Retention = serde_json::from_str(r#"{"keep_last": 3, "max_age": "2w"}"#).unwrap();
        assert_eq!(r, Retention { keep_last: Some(3), max_age: Some(Duration::weeks(2)), ..Default::default() });
        let days: Retention = serde_json::from_str(r#"{"max_age": 30}"#).unwrap();
        assert_eq!(days.max_age, Some(Duration::days(30)));
        let bad = serde_json::from_str::<Retention>(r#"{"max_age": "soon"}"#).unwrap_err().to_string();
        assert!(bad.contains("'soon' is not an age"), "{bad}");
        assert!(serde_json::from_str::<Retention>(r#"{"keep_dayly": 3}"#).is_err());
    }

    use super::super::listing::{LastVerify, ListedArchive};
    use super::*;

    fn archive(file: &str, db: &str, time: &str, verified: Option<bool>) -> Listed {
        let t: DateTime<Utc> = time.parse().unwrap();
        Listed {
            file: file.into(),
            size: 100,
            modified: Some(t),
            state: ListedState::Archive(Box::new(ListedArchive {
                database: db.into(),
                server_version: "17".into(),
                profile: None,
                full: true,
                snapshot_time: t,
                seconds: 1.0,
                tables: 1,
                rows: 1,
                raw_bytes: 1,
                schema_items: 1,
                manifest_blake3: file.into(),
                last_verify: verified.map(|ok| LastVerify { ok, time: t, error: None }),
                info_file: None,
                encrypted: false,
            })),
        }
    }

    fn nightly(days: u32, verified_day: Option<u32>) -> Vec<Listed> {
        (1..=days)
            .map(|d| {
                let time = format!("2026-{:02}-{:02}T02:00:00Z", 9 + (d - 1) / 30, 1 + (d - 1) % 30);
                let file = format!("app_{}T020000.000Z.pgark", time[..10].replace('-', ""));
                archive(&file, "app", &time, (Some(d) == verified_day).then_some(true))
            })
            .collect()
    }

    fn kept(plan: &PrunePlan) -> Vec<&str> {
        plan.keep.iter().map(|k| k.file.as_str()).collect()
    }

    /// Daily full backups (profile `full`) and hourly partial ones (profile `minimal`) of app.
    fn mixed_profiles() -> Vec<Listed> {
        let mut listed = Vec::new();
        for d in 1..=10 {
            let time = format!("2026-11-{d:02}T02:00:00Z");
            let mut a = archive(&format!("app_202611{d:02}T020000.000Z.pgark"), "app", &time, None);
            if let ListedState::Archive(x) = &mut a.state {
                x.profile = Some("full".into());
            }
            listed.push(a);
            for h in 3..=20 {
                let time = format!("2026-11-{d:02}T{h:02}:00:00Z");
                let mut a = archive(&format!("app_202611{d:02}T{h:02}0000.000Z.pgark"), "app", &time, None);
                if let ListedState::Archive(x) = &mut a.state {
                    x.profile = Some("minimal".into());
                    x.full = false;
                }
                listed.push(a);
            }
        }
        listed
    }

    #[test]
    fn retention_counts_per_database_and_profile_and_never_deletes_the_newest_full_backup() {
        let now: DateTime<Utc> = "2026-11-11T00:00:00Z".parse().unwrap();
        let listed = mixed_profiles();
        let rules = Retention { keep_last: Some(3), ..Default::default() };
        let plan = plan(&listed, &rules, now).unwrap();
        // Each profile is a series of its own: three of each.
        assert_eq!(plan.keep.iter().filter(|k| k.series == "app (profile full)").count(), 3);
        assert_eq!(plan.keep.iter().filter(|k| k.series == "app (profile minimal)").count(), 3);
        assert_eq!(plan.keep.len(), 6);
        // One series for the database: the hourly partial dumps push every full one out of the
        // last three, but the newest full backup stays.
        let by_db = Retention { group_by: GroupBy::Db, ..rules.clone() };
        let plan = super::plan(&listed, &by_db, now).unwrap();
        let full = plan.keep.iter().find(|k| k.file == "app_20261110T020000.000Z.pgark").expect("newest full kept");
        assert_eq!(full.reasons, ["newest full backup of app"]);
        assert_eq!(plan.keep.len(), 4);
        // Whatever the age rule says.
        let aged = Retention { max_age: Some(Duration::hours(1)), group_by: GroupBy::None, ..Default::default() };
        let plan = super::plan(&listed, &aged, now).unwrap();
        assert!(kept(&plan).contains(&"app_20261110T020000.000Z.pgark"), "{:?}", kept(&plan));
        // A full backup that failed verification is not the one that is protected.
        let mut listed = listed;
        for l in &mut listed {
            if let ListedState::Archive(a) = &mut l.state {
                if l.file == "app_20261110T020000.000Z.pgark" {
                    a.last_verify = Some(LastVerify { ok: false, time: a.snapshot_time, error: Some("bad".into()) });
                }
            }
        }
        let plan = super::plan(&listed, &by_db, now).unwrap();
        let full = plan.keep.iter().find(|k| k.file == "app_20261109T020000.000Z.pgark").expect("older full kept");
        assert_eq!(full.reasons, ["newest full backup of app"]);
        assert!(!kept(&plan).contains(&"app_20261110T020000.000Z.pgark"));
    }

    #[test]
    fn groupings_parse_from_flags_and_config() {
        assert_eq!(GroupBy::parse("db,profile"), Ok(GroupBy::DbProfile));
        assert_eq!(GroupBy::parse("profile, db"), Ok(GroupBy::DbProfile));
        assert_eq!(GroupBy::parse("db"), Ok(GroupBy::Db));
        assert_eq!(GroupBy::parse("none"), Ok(GroupBy::None));
        assert!(GroupBy::parse("host").unwrap_err().contains("use db,profile, db or none"));
        let r: Retention = serde_json::from_str(r#"{"keep_last": 2, "group_by": "db"}"#).unwrap();
        assert_eq!(r.group_by, GroupBy::Db);
        assert!(!r.is_empty() && Retention { group_by: GroupBy::Db, ..Default::default() }.is_empty());
    }

    #[test]
    fn keep_rules_combine_and_say_why() {
        let now: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap();
        let listed = nightly(60, None);
        let rules = Retention { keep_last: Some(2), keep_weekly: Some(3), keep_monthly: Some(2), ..Default::default() };
        let plan = plan(&listed, &rules, now).unwrap();
        // last 2 (Oct 29, 30), weekly: Oct 30 (W44), Oct 25 (W43), Oct 18 (W42); monthly: Oct 30, Sep 30.
        assert_eq!(
            kept(&plan),
            [
                "app_20260930T020000.000Z.pgark",
                "app_20261018T020000.000Z.pgark",
                "app_20261025T020000.000Z.pgark",
                "app_20261029T020000.000Z.pgark",
                "app_20261030T020000.000Z.pgark"
            ]
        );
        let newest = plan.keep.last().unwrap();
        assert_eq!(newest.reasons, ["last 1", "weekly 2026-W44", "monthly 2026-10", "newest"]);
        assert_eq!(plan.delete.len(), 55);
        assert!(plan.delete.iter().all(|d| d.why == "no rule keeps it"));
    }

    #[test]
    fn max_age_never_takes_the_newest_or_the_newest_verified() {
        let now: DateTime<Utc> = "2026-12-31T00:00:00Z".parse().unwrap();
        let mut listed = nightly(10, Some(3));
        listed.push(archive("other_20260905T020000.000Z.pgark", "other", "2026-09-05T02:00:00Z", None));
        let rules = Retention { max_age: Some(Duration::days(15)), ..Default::default() };
        let plan = plan(&listed, &rules, now).unwrap();
        // Everything is older than 15 days: each series keeps its newest, and app its newest verified.
        assert_eq!(
            kept(&plan),
            ["app_20260903T020000.000Z.pgark", "other_20260905T020000.000Z.pgark", "app_20260910T020000.000Z.pgark"]
        );
        assert_eq!(plan.keep[0].reasons, ["newest verified"]);
        assert!(plan.delete.iter().all(|d| d.why == "older than --max-age"));
        assert!(plan.delete.iter().all(|d| d.series == "app (profile full)"));
    }

    #[test]
    fn no_rule_is_refused_and_other_files_are_left() {
        let now = Utc::now();
        assert!(plan(&nightly(2, None), &Retention::default(), now).is_err());
        let mut listed = nightly(2, None);
        listed.push(Listed {
            file: "notes.txt".into(),
            size: 1,
            modified: None,
            state: ListedState::Foreign { reason: "no pgark header".into() },
        });
        listed.push(Listed {
            file: "x.pgark.partial".into(),
            size: 1,
            modified: Some(now - Duration::days(2)),
            state: ListedState::Partial,
        });
        let plan = plan(&listed, &Retention { keep_last: Some(1), ..Default::default() }, now).unwrap();
        assert_eq!(plan.untouched, [("notes.txt".to_string(), "not written by pgark".to_string())]);
        assert_eq!(plan.stale_partials, ["x.pgark.partial"]);
        assert_eq!(plan.delete.len(), 1);
    }

    #[test]
    fn series_come_from_generated_names() {
        assert_eq!(series_of("proj_postgres_20261130T085404.994Z.pgark", "postgres"), "proj_postgres");
        assert_eq!(series_of("my_app_20261130T085404.994Z-2.pgark", "x"), "my_app");
        assert_eq!(series_of("monday.pgark", "app"), "app");
    }

    mod properties {
        use std::collections::{BTreeMap, BTreeSet};

        use chrono::{Datelike, Duration, NaiveDate, TimeZone};
        use proptest::prelude::*;

        use super::*;

        /// The window archives fall in: 150 days from mid-November of a year, so every window holds a
        /// year end, month ends and ISO weeks that straddle the year (2020 and 2026 end in week 53).
        const WINDOW_DAYS: i64 = 150;

        fn base(year: i32) -> DateTime<Utc> {
            Utc.with_ymd_and_hms(year, 11, 15, 0, 0, 0).unwrap()
        }

        /// Archives at distinct minutes of the window, in two series, some verified (ok or failed).
        fn archives(year: i32) -> impl Strategy<Value = Vec<Listed>> {
            let one = (0..WINDOW_DAYS * 24 * 60, 0..2usize, proptest::option::of(any::<bool>()));
            proptest::collection::vec(one, 1..60).prop_map(move |raw| {
                let base = base(year);
                let mut seen = BTreeSet::new();
                raw.into_iter()
                    .filter(|(minute, ..)| seen.insert(*minute))
                    .map(|(minute, series, verified)| {
                        let t = base + Duration::minutes(minute);
                        let file = format!("s{series}_{}.pgark", t.format("%Y%m%dT%H%M%S%.3fZ"));
                        archive(&file, &format!("db{series}"), &t.to_rfc3339(), verified)
                    })
                    .collect()
            })
        }

        fn rules() -> impl Strategy<Value = Retention> {
            let n = || proptest::option::of(0..12usize);
            (n(), n(), n(), n(), proptest::option::of(1..200i64))
                .prop_map(|(keep_last, keep_daily, keep_weekly, keep_monthly, days)| Retention {
                    keep_last,
                    keep_daily,
                    keep_weekly,
                    keep_monthly,
                    max_age: days.map(Duration::days),
                    group_by: GroupBy::default(),
                })
                .prop_filter("some rule", |r| !r.is_empty())
        }

        /// The newest archive of each of the `n` newest buckets that have one: an oracle written
        /// apart from `keep_buckets`, by grouping.
        fn by_bucket<K: Ord>(
            members: &[(DateTime<Utc>, String)],
            n: usize,
            key: impl Fn(NaiveDate) -> K,
        ) -> Vec<String> {
            let mut newest: BTreeMap<K, &(DateTime<Utc>, String)> = BTreeMap::new();
            for m in members {
                let e = newest.entry(key(m.0.date_naive())).or_insert(m);
                if m.0 > e.0 {
                    *e = m;
                }
            }
            newest.values().rev().take(n).map(|m| m.1.clone()).collect()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(400))]

            #[test]
            fn retention_keeps_what_its_rules_say_and_never_the_newest_valid(
                (year, listed) in prop_oneof![Just(2020), Just(2025), Just(2026)].prop_flat_map(|y| (Just(y), archives(y))),
                rules in rules(),
                days_after in 0..30i64,
            ) {
                let now = base(year) + Duration::days(WINDOW_DAYS + days_after);
                let plan = plan(&listed, &rules, now).unwrap();
                let kept: BTreeSet<&str> = plan.keep.iter().map(|k| k.file.as_str()).collect();
                let deleted: BTreeSet<&str> = plan.delete.iter().map(|d| d.file.as_str()).collect();
                // Every archive is either kept or deleted, never both.
                prop_assert_eq!(kept.len() + deleted.len(), listed.len());
                prop_assert!(kept.is_disjoint(&deleted));
                let too_old = |t: DateTime<Utc>| rules.max_age.is_some_and(|a| now - t > a);
                for series in ["db0", "db1"] {
                    let mut members: Vec<(DateTime<Utc>, String, bool, bool)> = listed
                        .iter()
                        .filter_map(|l| match &l.state {
                            ListedState::Archive(a) if a.database == series => {
                                let failed = a.last_verify.as_ref().is_some_and(|v| !v.ok);
                                Some((a.snapshot_time, l.file.clone(), verified_ok(l), failed))
                            }
                            _ => None,
                        })
                        .collect();
                    if members.is_empty() {
                        continue;
                    }
                    members.sort_by_key(|m| std::cmp::Reverse(m.0));
                    // The newest, and the newest that passed verify, always survive.
                    prop_assert!(kept.contains(members[0].1.as_str()));
                    if let Some(f) = members.iter().find(|m| !m.3) {
                        prop_assert!(kept.contains(f.1.as_str()), "newest full {} deleted", f.1);
                    }
                    if let Some(v) = members.iter().find(|m| m.2) {
                        prop_assert!(kept.contains(v.1.as_str()), "newest verified {} deleted", v.1);
                    }
                    let plain: Vec<(DateTime<Utc>, String)> = members.iter().map(|m| (m.0, m.1.clone())).collect();
                    let mut wanted: BTreeSet<String> = BTreeSet::new();
                    wanted.extend(plain.iter().take(rules.keep_last.unwrap_or(0)).map(|m| m.1.clone()));
                    wanted.extend(by_bucket(&plain, rules.keep_daily.unwrap_or(0), |d| d));
                    wanted.extend(by_bucket(&plain, rules.keep_weekly.unwrap_or(0), |d| {
                        (d.iso_week().year(), d.iso_week().week())
                    }));
                    wanted.extend(by_bucket(&plain, rules.keep_monthly.unwrap_or(0), |d| (d.year(), d.month())));
                    let keep_rules = rules.keep_last.is_some()
                        || rules.keep_daily.is_some()
                        || rules.keep_weekly.is_some()
                        || rules.keep_monthly.is_some();
                    // Every archive here is a full backup: the newest that did not fail
                    // verification is never deleted either.
                    let newest_full = members.iter().find(|m| !m.3).map(|m| m.1.clone());
                    for (i, (t, file, _, _)) in members.iter().enumerate() {
                        let safeguard = i == 0
                            || members.iter().find(|m| m.2).is_some_and(|v| &v.1 == file)
                            || newest_full.as_ref() == Some(file);
                        let by_rules = !too_old(*t) && (wanted.contains(file) || !keep_rules);
                        prop_assert_eq!(
                            kept.contains(file.as_str()),
                            safeguard || by_rules,
                            "{} (safeguard {}, wanted {}, too old {})",
                            file, safeguard, wanted.contains(file), too_old(*t)
                        );
                    }
                }
            }
        }
    }
}

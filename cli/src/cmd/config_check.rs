//! `pgark config check`: which file was read, every problem of it with its key path, and the
//! effective settings with where each comes from.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::config::{check_file, locate, Config, DEFAULT_PLACES};

/// Runs `pgark config check`: exit status 1 when the file has problems.
pub fn run(config: Option<PathBuf>) -> Result<ExitCode> {
    let Some(path) = locate(config.as_deref()) else {
        bail!(
            "no config file: give --config FILE, set PGARK_CONFIG, or create one of {}",
            DEFAULT_PLACES.map(|p| format!("./{p}")).join(", ")
        );
    };
    let how = match (&config, std::env::var_os("PGARK_CONFIG").filter(|v| !v.is_empty())) {
        (Some(_), _) => "--config",
        (None, Some(_)) => "$PGARK_CONFIG",
        (None, None) => "found in the current folder",
    };
    println!("read {} ({how})", path.display());
    let checked = check_file(&path)?;
    for n in &checked.notes {
        println!("{}: note: {n}", path.display());
    }
    let problems = checked.problems;
    if problems.is_empty() {
        print_effective(&checked.config, &path);
        println!("{}: ok", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    for p in &problems {
        println!("{}: {p}", path.display());
    }
    println!("{} problem(s)", problems.len());
    Ok(ExitCode::FAILURE)
}

/// The settings commands will use, each with where it comes from (flag, environment, the file,
/// or pgark's default).
fn print_effective(c: &Config, path: &Path) {
    let file = path.display().to_string();
    let from_env =
        |var: &str| std::env::var_os(var).filter(|v| !v.is_empty()).map(|v| v.to_string_lossy().into_owned());
    let line = |key: &str, value: String, source: &str| println!("  {key:<22} {value:<44} ({source})");
    println!("effective settings:");
    match (from_env("PGARK_BACKUP_DIR"), &c.backup_dir) {
        (Some(d), _) => line("backup_dir", d, "$PGARK_BACKUP_DIR"),
        (None, Some(d)) => line("backup_dir", d.display().to_string(), &file),
        (None, None) => line("backup_dir", "-".into(), "not set: give --backup-dir or -o"),
    }
    let connection = match (&c.connection.url, &c.connection.project_ref) {
        (Some(u), _) => Some(u.clone()),
        (None, Some(r)) => Some(format!("Supabase project {r}")),
        _ => None,
    };
    match (from_env("PGARK_DATABASE_URL").is_some(), connection) {
        (true, _) => line("connection", "(hidden)".into(), "$PGARK_DATABASE_URL"),
        (false, Some(c)) => line("connection", c, &file),
        (false, None) => line("connection", "-".into(), "not set: dump needs --db"),
    }
    let profile = c.profile.clone().unwrap_or_else(|| "full".into());
    line("profile", profile, if c.profile.is_some() { &file } else { "default" });
    for (name, p) in &c.profiles {
        let mut what = Vec::new();
        if !p.tables.is_empty() {
            what.push(format!("tables {}", p.tables.join(", ")));
        }
        for (on, t) in [(p.no_data, "no data"), (p.no_structure, "no structure"), (p.no_functions, "no functions")]
            .into_iter()
            .chain([(p.no_rls, "no rls"), (p.no_triggers, "no triggers"), (p.no_indexes, "no indexes")])
            .chain([(p.no_constraints, "no constraints"), (p.no_views, "no views"), (p.no_compress, "uncompressed")])
            .chain([(p.no_comments, "no comments"), (p.no_publications, "no publications")])
            .chain([(p.no_subscriptions, "no subscriptions")])
        {
            if on {
                what.push(t.to_string());
            }
        }
        let what = if what.is_empty() { "everything".to_string() } else { what.join(", ") };
        line(&format!("profiles.{name}"), what, &file);
    }
    let r = &c.retention;
    let retention = [
        r.keep_last.map(|n| format!("keep last {n}")),
        r.keep_daily.map(|n| format!("daily {n}")),
        r.keep_weekly.map(|n| format!("weekly {n}")),
        r.keep_monthly.map(|n| format!("monthly {n}")),
        r.max_age.map(|a| format!("max age {}d", a.num_days())),
    ];
    let retention: Vec<String> = retention.into_iter().flatten().collect();
    match retention.is_empty() {
        true => line("retention", "none (prune needs rules)".into(), "default"),
        false => line("retention", format!("{} per {}", retention.join(", "), r.group_by), &file),
    }
    for (name, s) in &c.schedules {
        line(&format!("schedules.{name}"), s.describe(), &file);
    }
    if let Some(w) = c.notifications.webhook.as_ref().filter(|w| w.enabled) {
        let when = [(w.on_success, "success"), (w.on_error, "errors and alerts")];
        let when: Vec<&str> = when.iter().filter(|(on, _)| *on).map(|(_, t)| *t).collect();
        line("notifications.webhook", format!("on {}", when.join(", ")), &file);
    }
    if let Some(e) = c.notifications.email.as_ref().filter(|e| e.enabled) {
        line(
            "notifications.email",
            format!("to {} via {}", e.to.join(", "), e.smtp_host.as_deref().unwrap_or("-")),
            &file,
        );
    }
    let a = &c.alerts;
    let max_age = a.max_age.unwrap_or(crate::config::DEFAULT_MAX_AGE);
    line("alerts.max_age", format!("{}h", max_age.num_hours()), if a.max_age.is_some() { &file } else { "default" });
    let late = a.late_after.unwrap_or(crate::config::DEFAULT_LATE_AFTER);
    line(
        "alerts.late_after",
        format!("{}m", late.num_minutes()),
        if a.late_after.is_some() { &file } else { "default" },
    );
    line("alerts.require_verified", a.require_verified.to_string(), if a.require_verified { &file } else { "default" });
}

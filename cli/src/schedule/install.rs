//! Installing the schedules for a scheduler outside pgark: a clearly marked block in the
//! user's crontab (the user's other entries are never touched), or systemd user timers. Each
//! entry runs `pgark schedule run NAME`, logging under the backup directory.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::config::Schedule;

/// The first and last lines of pgark's block in a crontab.
pub const BEGIN: &str =
    "# BEGIN pgark schedules (written by `pgark schedule install`; change them with `pgark schedule`)";
/// The block's last line.
pub const END: &str = "# END pgark schedules";

/// `'path'`, for a shell.
fn quote(p: &Path) -> String {
    format!("'{}'", p.to_string_lossy().replace('\'', "'\\''"))
}

/// The command a scheduler runs for schedule `name`.
fn run_command(exe: &Path, config: &Path, dir: &Path, name: &str) -> String {
    let log = dir.join(".pgark").join("logs").join(format!("{name}.log"));
    format!("{} schedule run {name} --config {} --log {}", quote(exe), quote(config), quote(&log))
}

/// The command that checks the directory and pushes its alerts (late runs included), every
/// quarter of an hour when notifications are configured.
fn check_command(exe: &Path, config: &Path, dir: &Path) -> String {
    let log = dir.join(".pgark").join("logs").join("check.log");
    format!("{} check --notify --config {} {} >> {} 2>&1", quote(exe), quote(config), quote(dir), quote(&log))
}

/// How often the installed check runs (cron, and systemd's OnCalendar).
const CHECK_CRON: &str = "*/15 * * * *";
const CHECK_CALENDAR: &str = "*:0/15";

/// The crontab block for the enabled `schedules` (each in its zone through `CRON_TZ`), and
/// with `watch` the check that pushes alerts.
pub fn cron_block(
    exe: &Path,
    config: &Path,
    dir: &Path,
    schedules: &BTreeMap<String, Schedule>,
    watch: bool,
) -> Result<String> {
    let mut lines = vec![BEGIN.to_string()];
    for (name, s) in schedules.iter().filter(|(_, s)| s.enabled) {
        // Each entry under its own zone (cronie and systemd-cron read CRON_TZ before each line).
        let zone = s.zone()?;
        let Some(tz) = zone.tz_name() else {
            bail!(
                "schedule {name}: cron takes zone names; the offset {} is not a whole number of hours: use a zone \
                 name (Europe/Berlin)",
                zone.name()
            );
        };
        lines.push(format!("CRON_TZ={tz}"));
        let expr = s.cron_expr()?;
        if expr.split_whitespace().count() != 5 {
            bail!("schedule {name}: cron takes five fields; '{expr}' (with seconds) runs only under the daemon");
        }
        lines.push(format!("{expr} {}", run_command(exe, config, dir, name)));
    }
    if watch {
        lines.push(format!("{CHECK_CRON} {}", check_command(exe, config, dir)));
    }
    lines.push(END.to_string());
    Ok(lines.join("\n") + "\n")
}

/// `crontab` with pgark's block replaced by `block` (or removed when `None`), the rest kept.
pub fn replace_block(crontab: &str, block: Option<&str>) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in crontab.lines() {
        match line {
            l if l == BEGIN => inside = true,
            l if l == END && inside => inside = false,
            _ if inside => {}
            l => {
                out.push_str(l);
                out.push('\n');
            }
        }
    }
    if let Some(b) = block {
        out.push_str(b);
    }
    out
}

/// The crontab program (`$PGARK_CRONTAB` names another, e.g. a wrapper).
fn crontab() -> Command {
    Command::new(std::env::var_os("PGARK_CRONTAB").unwrap_or_else(|| "crontab".into()))
}

/// The user's crontab (empty when there is none).
pub fn read_crontab() -> Result<String> {
    let out = crontab().arg("-l").output().context("running crontab -l (is cron installed?)")?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("no crontab") {
        return Ok(String::new());
    }
    bail!("crontab -l failed: {}", err.trim())
}

/// Installs `text` as the user's crontab.
pub fn write_crontab(text: &str) -> Result<()> {
    let mut child = crontab().arg("-").stdin(Stdio::piped()).spawn().context("running crontab -")?;
    child.stdin.take().expect("piped").write_all(text.as_bytes())?;
    let status = child.wait()?;
    if !status.success() {
        bail!("crontab - refused the new table");
    }
    Ok(())
}

/// systemd's `OnCalendar=` for a schedule (daily, weekly or monthly rules; UTC).
fn on_calendar(name: &str, s: &Schedule) -> Result<String> {
    if s.cron.is_some() {
        bail!("schedule {name}: a cron expression is not written as a systemd timer; use crontab (without --systemd)");
    }
    // systemd takes tz database names; a fixed offset other than UTC it does not.
    let zone = s.zone()?;
    let Some(zone) = zone.tz_name() else {
        bail!("schedule {name}: systemd timers take a zone name (Europe/Berlin), not the offset {}", zone.name())
    };
    let time = s.time.as_deref().unwrap_or("00:00");
    let day = s.day.as_deref().unwrap_or_default().to_ascii_lowercase();
    Ok(match s.every.as_deref() {
        Some("weekly") => format!("{} *-*-* {time}:00 {zone}", capitalize(&day[..3.min(day.len())])),
        Some("monthly") => format!("*-*-{:0>2} {time}:00 {zone}", day),
        _ => format!("*-*-* {time}:00 {zone}"),
    })
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// The folder of the user's systemd units.
pub fn unit_dir() -> Result<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .context("neither XDG_CONFIG_HOME nor HOME is set")?;
    Ok(base.join("systemd").join("user"))
}

/// Writes `pgark-NAME.service` and `.timer` for each enabled schedule into `units` (and with
/// `watch` `pgark-check`, which pushes alerts), removing the units of schedules no longer
/// enabled; returns the timers written.
pub fn write_units(
    units: &Path,
    exe: &Path,
    config: &Path,
    dir: &Path,
    schedules: &BTreeMap<String, Schedule>,
    watch: bool,
) -> Result<Vec<String>> {
    std::fs::create_dir_all(units).with_context(|| format!("creating {}", units.display()))?;
    remove_units(units)?;
    let mut timers = Vec::new();
    for (name, s) in schedules.iter().filter(|(_, s)| s.enabled) {
        let calendar = on_calendar(name, s)?;
        let service = format!(
            "[Unit]\nDescription=pgark scheduled backup {name}\n\n[Service]\nType=oneshot\nExecStart={}\n",
            run_command(exe, config, dir, name).replace('\'', "\"")
        );
        let timer = format!(
            "[Unit]\nDescription=pgark schedule {name}\n\n[Timer]\nOnCalendar={calendar}\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n"
        );
        crate::files::replace(&units.join(format!("pgark-{name}.service")), service)?;
        crate::files::replace(&units.join(format!("pgark-{name}.timer")), timer)?;
        timers.push(format!("pgark-{name}.timer"));
    }
    if watch {
        let command = check_command(exe, config, dir);
        // systemd logs what a service prints; the redirection is cron's.
        let command = command.split(" >> ").next().unwrap_or(&command).replace('\'', "\"");
        let service =
            format!("[Unit]\nDescription=pgark check and alerts\n\n[Service]\nType=oneshot\nExecStart={command}\n");
        let timer = format!(
            "[Unit]\nDescription=pgark check every 15 minutes\n\n[Timer]\nOnCalendar={CHECK_CALENDAR}\n\n[Install]\nWantedBy=timers.target\n"
        );
        crate::files::replace(&units.join("pgark-check.service"), service)?;
        crate::files::replace(&units.join("pgark-check.timer"), timer)?;
        timers.push("pgark-check.timer".into());
    }
    Ok(timers)
}

/// Removes every `pgark-*.service` and `pgark-*.timer` in `units`; returns them.
pub fn remove_units(units: &Path) -> Result<Vec<String>> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(units) else { return Ok(removed) };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("pgark-") && (name.ends_with(".service") || name.ends_with(".timer")) {
            std::fs::remove_file(e.path()).with_context(|| format!("removing {}", e.path().display()))?;
            removed.push(name);
        }
    }
    Ok(removed)
}

/// Opens `log` for appending, keeping it under 1 MiB: a larger one moves to `log.1` (and `.1`
/// to `.2`, `.2` to `.3`; older go).
pub fn rotating_log(log: &Path) -> Result<std::fs::File> {
    if let Some(parent) = log.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    if std::fs::metadata(log).is_ok_and(|m| m.len() > 1 << 20) {
        let numbered = |n: u32| PathBuf::from(format!("{}.{n}", log.display()));
        for n in (1..3).rev() {
            let _ = std::fs::rename(numbered(n), numbered(n + 1));
        }
        std::fs::rename(log, numbered(1)).with_context(|| format!("rotating {}", log.display()))?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))
}

/// The variables cron gives a job: its user's home and name, a plain PATH — none of the shell's.
const CRON_ENVIRONMENT: [&str; 4] = ["HOME", "USER", "LOGNAME", "PATH"];

/// Whether a scheduled dump would connect as cron runs it — without the shell's environment
/// (no PGPASSWORD, no PGARK_DATABASE_URL): tries `dump --dry-run` so, and says what is missing
/// and how to fix it when it does not.
pub fn as_cron_would(exe: &Path, config: &Path, cfg: &crate::config::Config) -> Option<String> {
    let mut command = Command::new(exe);
    command.args(["dump", "--dry-run", "-q", "--config"]).arg(config).env_clear();
    for var in CRON_ENVIRONMENT {
        if let Some(v) = std::env::var_os(var) {
            command.env(var, v);
        }
    }
    let out = command.stdout(Stdio::null()).stderr(Stdio::piped()).output().ok()?;
    if out.status.success() {
        return None;
    }
    let error = String::from_utf8_lossy(&out.stderr);
    let error = error.lines().rev().find(|l| l.starts_with("error:")).unwrap_or("").trim_start_matches("error: ");
    let mut fix = Vec::new();
    if cfg.connection.url.is_none() && cfg.connection.project_ref.is_none() {
        fix.push(if std::env::var_os("PGARK_DATABASE_URL").is_some() {
            "the connection comes from $PGARK_DATABASE_URL, which cron does not have: set [connection] url in the \
             config (no password in it)"
        } else {
            "the config names no database: set [connection] url (or projectRef)"
        });
    }
    if error.to_ascii_lowercase().contains("password") {
        fix.push(
            "cron has no PGPASSWORD: put the password in ~/.pgpass of the user cron runs as \
             (a line host:port:database:user:password, chmod 600), or use a service file",
        );
    }
    if std::env::var_os("PGPASSWORD").is_some() || std::env::var_os("SUPABASE_DB_PASSWORD").is_some() {
        fix.push("PGPASSWORD / SUPABASE_DB_PASSWORD are set in this shell only; cron will not see them");
    }
    Some(format!(
        "a scheduled dump would fail as cron runs it (without this shell's environment): {error}{}",
        fix.iter().map(|f| format!("\n  - {f}")).collect::<String>()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_block_replaces_itself_and_keeps_other_entries() {
        let mine = "MAILTO=me\n0 1 * * * /usr/local/bin/other-job\n";
        let block = format!("{BEGIN}\nCRON_TZ=UTC\n30 2 * * * pgark schedule run daily\n{END}\n");
        let once = replace_block(mine, Some(&block));
        let twice = replace_block(&once, Some(&block));
        assert_eq!(once, twice, "installing again changes nothing");
        assert!(once.starts_with(mine) && once.ends_with(&block));
        assert_eq!(replace_block(&once, None), mine);
    }

    #[test]
    fn timers_are_written_in_their_zone() {
        let s = |every: &str, time: &str, day: Option<&str>| Schedule {
            enabled: true,
            every: Some(every.into()),
            time: Some(time.into()),
            day: day.map(Into::into),
            timezone: Some("UTC".into()),
            ..Default::default()
        };
        assert_eq!(on_calendar("d", &s("daily", "02:30", None)).unwrap(), "*-*-* 02:30:00 UTC");
        assert_eq!(on_calendar("w", &s("weekly", "03:00", Some("sunday"))).unwrap(), "Sun *-*-* 03:00:00 UTC");
        assert_eq!(on_calendar("m", &s("monthly", "04:00", Some("1"))).unwrap(), "*-*-01 04:00:00 UTC");
        let berlin = Schedule { timezone: Some("Europe/Berlin".into()), ..s("daily", "02:30", None) };
        assert_eq!(on_calendar("b", &berlin).unwrap(), "*-*-* 02:30:00 Europe/Berlin");
        // Whole-hour offsets as the tz database's Etc zones (signs reversed); others refused.
        let plus_two = Schedule { timezone: Some("+02:00".into()), ..s("daily", "02:30", None) };
        assert_eq!(on_calendar("o", &plus_two).unwrap(), "*-*-* 02:30:00 Etc/GMT-2");
        assert!(on_calendar("o", &Schedule { timezone: Some("+05:30".into()), ..s("daily", "02:30", None) }).is_err());
    }
}

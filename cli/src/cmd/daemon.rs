//! `pgark daemon`: runs the schedules in-process, for containers without cron. One run at a time
//! (each run is `pgark schedule run NAME`, which also takes the backup directory's lock, so a
//! cron-started run never overlaps); SIGTERM/SIGINT stop the current run the way they stop a
//! dump (no partial archive at a final name) and end the daemon. A run missed while the daemon
//! was down runs once at start when it was due less than one period ago. `--listen ADDR`
//! serves `/healthz` (the `check` result: 200 or 503) and `/metrics` (Prometheus text).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::Utc;
use pgark_engine::{backup_metrics, check_backups, read_history, Record, RunKind, RunStatus};

use super::{interrupt_signal, Stop};
use crate::config::{locate, Config};

/// Runs `pgark daemon`.
pub async fn run(
    config: Option<PathBuf>,
    listen: Option<String>,
    max_age: Option<chrono::Duration>,
) -> Result<ExitCode> {
    let path = locate(config.as_deref()).context("no config file: the daemon runs the schedules of pgark.toml")?;
    let path = std::fs::canonicalize(&path)?;
    let cfg = Config::load(Some(&path))?;
    let dir = cfg.backup_dir_created(None)?;
    if !cfg.schedules.values().any(|s| s.enabled) {
        bail!("no schedule is enabled in {} (pgark schedule enable daily 02:30)", path.display());
    }
    let mut interrupt = interrupt_signal()?;
    if let Some(addr) = listen {
        let listener = TcpListener::bind(&addr).with_context(|| format!("listening on {addr}"))?;
        eprintln!("daemon: serving /healthz and /metrics on {addr}");
        let (dir, cfg) = (dir.clone(), cfg.clone());
        std::thread::spawn(move || serve(listener, &dir, &cfg, max_age));
    }
    let exe = std::env::current_exe()?;
    let logs = dir.join(".pgark").join("logs");
    // Runs are expected from now on (`check` reports the ones not done as late).
    let started = Utc::now();
    pgark_engine::append_history(&dir, &Record::new(RunKind::Schedule, RunStatus::Ok, started, started))?;
    let check_every = cfg.alerts.check_every.unwrap_or(crate::config::DEFAULT_CHECK_EVERY);
    let mut next_check = started;
    // Missed runs: due less than one period ago and not run since.
    let (history, _) = read_history(&dir)?;
    let now = Utc::now();
    let mut queue: Vec<String> = Vec::new();
    for (name, s) in cfg.schedules.iter().filter(|(_, s)| s.enabled) {
        let (prev, next) = (s.previous_run(now)?, s.next_run(now)?);
        let (profile, kind) = (s.profile.as_deref().unwrap_or("full"), s.task()?.run_kind());
        let ran_since = history.iter().any(|r| {
            r.kind == kind
                && r.started >= prev
                && (kind != RunKind::Dump || r.profile.as_deref().unwrap_or("full") == profile)
        });
        if !ran_since && now - prev < next - prev {
            eprintln!("daemon: schedule {name} missed its run at {prev}; running it now");
            queue.push(name.clone());
        }
    }
    loop {
        for name in std::mem::take(&mut queue) {
            match run_one(&exe, &path, &logs, &name, &mut interrupt).await? {
                Ok(code) => eprintln!("daemon: schedule {name} ended with exit status {code}"),
                Err(stop) => return stopped(stop),
            }
        }
        let now = Utc::now();
        if now >= next_check {
            // Alerts (late, low space, corrupt, a failed prune) pushed once per incident.
            let alerted = super::check::configured_rules(&cfg, &dir, now)
                .and_then(|rules| super::check::check_and_alert(&dir, &rules, &cfg, true, now));
            if let Err(e) = alerted {
                eprintln!("daemon: the check failed: {e:#}");
            }
            next_check = now + check_every;
        }
        let mut next: Vec<(chrono::DateTime<Utc>, String)> = cfg
            .schedules
            .iter()
            .filter(|(_, s)| s.enabled)
            .filter_map(|(n, s)| s.next_run(now).ok().map(|t| (t, n.clone())))
            .collect();
        next.sort();
        let Some(at) = next.first().map(|(t, _)| *t) else { bail!("no schedule has a next run") };
        let wake = at.min(next_check);
        let wait = (wake - now).to_std().unwrap_or_default();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {
                if wake == at {
                    queue.extend(next.into_iter().filter(|(t, _)| *t <= at).map(|(_, n)| n));
                }
            }
            stop = interrupt.recv() => return stopped(stop),
        }
    }
}

fn stopped(stop: Stop) -> Result<ExitCode> {
    eprintln!("daemon: {stop}: stopping");
    Ok(ExitCode::SUCCESS)
}

/// Runs `pgark schedule run NAME` and waits for it; a signal meanwhile is passed on to it (it
/// stops as a dump stops: no partial archive) and ends the daemon.
async fn run_one(
    exe: &Path,
    config: &Path,
    logs: &Path,
    name: &str,
    interrupt: &mut super::Interrupt,
) -> Result<std::result::Result<i32, Stop>> {
    let log = logs.join(format!("{name}.log"));
    // Its own process group: a signal reaches the run and the dump it started.
    let mut child = tokio::process::Command::new(exe)
        .args(["schedule", "run", name, "--config"])
        .arg(config)
        .arg("--log")
        .arg(&log)
        .process_group(0)
        .spawn()
        .context("starting pgark schedule run")?;
    tokio::select! {
        status = child.wait() => Ok(Ok(status?.code().unwrap_or(-1))),
        stop = interrupt.recv() => {
            if let Some(pid) = child.id() {
                // SAFETY: sends a signal to the process group of our own child.
                unsafe { libc::kill(-(pid as i32), libc::SIGTERM) };
            }
            let _ = child.wait().await;
            Ok(Err(stop))
        }
    }
}

/// Answers `/healthz` and `/metrics` (anything else: 404), one connection at a time.
fn serve(listener: TcpListener, dir: &Path, config: &Config, max_age: Option<chrono::Duration>) {
    for stream in listener.incoming().flatten() {
        let mut stream = stream;
        let mut first = String::new();
        if BufReader::new(&stream).read_line(&mut first).is_err() {
            continue;
        }
        let path = first.split_whitespace().nth(1).unwrap_or("/");
        let (status, body) = match path {
            "/healthz" => {
                let now = Utc::now();
                let health = super::check::configured_rules(config, dir, now).and_then(|mut rules| {
                    rules.max_age = max_age.or(rules.max_age);
                    Ok(check_backups(dir, &rules, now)?)
                });
                match health {
                    Ok(h) if h.exit_code() < 2 => ("200 OK", "ok\n".to_string()),
                    Ok(h) => ("503 Service Unavailable", h.problems.iter().map(|p| p.message.clone() + "\n").collect()),
                    Err(e) => ("503 Service Unavailable", format!("{e}\n")),
                }
            }
            "/metrics" => match backup_metrics(dir, Utc::now()) {
                Ok(m) => ("200 OK", m),
                Err(e) => ("500 Internal Server Error", format!("{e}\n")),
            },
            _ => ("404 Not Found", "not found\n".to_string()),
        };
        let _ = write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    }
}

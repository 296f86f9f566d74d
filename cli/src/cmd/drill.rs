//! `pgark drill`: prove an archive restores — into a scratch database the drill creates and
//! drops, every table compared with what the dump recorded. The result goes into the history of
//! the backup directory the archive is in, where `check --max-drill-age` looks for it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use chrono::Utc;
use clap::Args;
use pgark_engine::{
    Archive, ConnectOptions, DrillOptions, DrillReport, ListedState, Record, RunKind, RunStatus, Target,
};

use crate::progress::Bars;
use crate::units::secs;

/// `pgark drill` arguments.
#[derive(Args)]
pub struct DrillArgs {
    /// The archive, or a backup directory (its newest archive).
    pub archive: PathBuf,
    /// The server to drill on: a connection URL whose database is used only to create and drop the
    /// scratch database (a test server is best: the drill restores the whole archive there).
    /// Default: $PGARK_DRILL_URL, else drill_db in pgark.toml.
    #[arg(long, env = "PGARK_DRILL_URL", hide_env_values = true)]
    pub db: Option<String>,
    /// Config file (default: $PGARK_CONFIG, else ./pgark.toml if present).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Parallel connections for the restore and the read-back.
    #[arg(long, short, default_value_t = 2)]
    pub jobs: usize,
    /// The scratch database's name (default pgark_drill_<database>_<UTC time>); it must not exist.
    #[arg(long)]
    pub scratch: Option<String>,
    /// Keep the scratch database afterwards instead of dropping it.
    #[arg(long)]
    pub keep: bool,
    /// Create the roles the archive names that the server lacks (roles are cluster-wide: they stay).
    #[arg(long)]
    pub create_roles: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub keys: crate::args::KeyArgs,
}

/// The archive a drill path names: the file, or the newest archive of a backup directory.
fn archive_of(path: &Path) -> Result<PathBuf> {
    if !path.is_dir() {
        return Ok(path.to_path_buf());
    }
    let listed = pgark_engine::list_backups(path).with_context(|| format!("reading {}", path.display()))?;
    let newest = listed
        .iter()
        .filter_map(|l| match &l.state {
            ListedState::Archive(a) => Some((a.snapshot_time, &l.file)),
            _ => None,
        })
        .max();
    match newest {
        Some((_, file)) => Ok(path.join(file)),
        None => bail!("{} holds no readable pgark archive", path.display()),
    }
}

/// Runs `pgark drill`.
pub async fn run(args: DrillArgs, quiet: bool) -> Result<ExitCode> {
    let path = archive_of(&args.archive)?;
    let started = crate::clock::now();
    let config = match args.db {
        Some(_) => crate::config::Config::load_for_notices(args.config.as_deref())?,
        None => crate::config::Config::load(args.config.as_deref())?,
    };
    let url = match args.db.clone() {
        Some(url) => url,
        None => config.drill_url()?.context(
            "--db is required (or $PGARK_DRILL_URL, or drill_db in pgark.toml): the server to restore the drill onto",
        )?,
    };
    let server = crate::args::resolve(&ConnectOptions { url: Some(url), project_ref: None })?;
    let options = DrillOptions {
        jobs: args.jobs,
        scratch: args.scratch.clone(),
        keep: args.keep,
        create_roles: args.create_roles,
    };
    let keys = args.keys.or_config(args.config.as_deref())?;
    let (archive, result) = match keys.open_archive(&path, false) {
        Ok(archive) => {
            let archive = Arc::new(archive);
            let result = pgark_engine::drill(archive.clone(), &server, &options, Arc::new(Bars::new(quiet))).await;
            (Some(archive), result)
        }
        Err(e) => (None, Err(e)),
    };
    let record = record(&path, started, archive.as_deref(), &result);
    crate::notify::deliver(
        &config.notifications,
        &crate::notify::Message::of_run(&record),
        super::history_dir_of(&path),
    );
    let report = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).context("encoding the report")?);
    } else if !(report.ok() && crate::progress::is_quiet()) {
        print_report(&path, &server, &report);
    }
    Ok(if report.ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn print_report(path: &Path, server: &Target, r: &DrillReport) {
    for t in r.mismatches() {
        eprintln!(
            "mismatch: {}: {} rows dumped, {} restored, content {}",
            t.table, t.rows_expected, t.rows_found, t.content
        );
    }
    if let Some(e) = &r.error {
        eprintln!("drill failed: {e}");
    }
    let matched = r.tables.iter().filter(|t| t.ok()).count();
    let rows_only = r.tables.iter().filter(|t| t.content == "rows only").count();
    println!("drill of {} into the scratch database {}", path.display(), server.with_dbname(&r.scratch).describe());
    println!("  restore: {} rows in {}", r.rows, secs(std::time::Duration::from_secs_f64(r.restore_seconds)));
    println!(
        "  check:   {matched} of {} tables as dumped{} in {}",
        r.tables.len(),
        if rows_only > 0 {
            format!(" ({rows_only} by row count only: the archive has no row digests)")
        } else {
            String::new()
        },
        secs(std::time::Duration::from_secs_f64(r.check_seconds))
    );
    println!("  analyze: {}", secs(std::time::Duration::from_secs_f64(r.analyze_seconds)));
    println!("  scratch database {}", if r.dropped { "dropped" } else { "kept" });
    println!("{}", if r.ok() { "drill passed" } else { "DRILL FAILED" });
}

/// The drill's record, appended to the history of the backup directory the archive is in, if any.
fn record(
    path: &Path,
    started: chrono::DateTime<Utc>,
    archive: Option<&Archive>,
    result: &std::result::Result<DrillReport, pgark_engine::Error>,
) -> Record {
    let ok = result.as_ref().is_ok_and(DrillReport::ok);
    let mut r =
        Record::new(RunKind::Drill, if ok { RunStatus::Ok } else { RunStatus::Failed }, started, crate::clock::now());
    r.archive = path.file_name().map(|n| n.to_string_lossy().into_owned());
    r.manifest_blake3 = archive.map(Archive::manifest_blake3);
    r.database = archive.map(|a| a.manifest().database.clone());
    match result {
        Ok(report) => {
            r.rows = Some(report.rows);
            r.tables = Some(report.tables.len());
            r.error = report.error.clone().or_else(|| {
                let bad: Vec<String> = report.mismatches().map(|t| t.table.clone()).collect();
                (!bad.is_empty()).then(|| format!("tables not as dumped: {}", bad.join(", ")))
            });
        }
        Err(e) => r.error = Some(e.to_string()),
    }
    if let Some(dir) = super::history_dir_of(path) {
        if let Err(e) = pgark_engine::append_history(dir, &r) {
            eprintln!("warning: the drill was not recorded in the history: {e}");
        }
    }
    r
}

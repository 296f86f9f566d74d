//! `pgark init`: in one step what the old install script did — a commented config (or the
//! existing `backup-config.json` adopted), the backup directory (0700), a check that the database
//! answers and that every table can be read, a first dump and its verify, and the line that
//! installs the schedules.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use pgark_engine::ConnectOptions;

use crate::config::{locate, Config};

/// `pgark init` arguments.
#[derive(Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub conn: crate::args::ConnArgs,
    /// The config to write (default ./pgark.toml) — or the existing one to adopt
    /// (default: $PGARK_CONFIG, ./pgark.toml, ./backup-config.json, backups/mcp/config/backup-config.json).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Set up everything but make no first dump.
    #[arg(long)]
    pub no_dump: bool,
}

/// The config `init` writes: every section explained, the schedules and alerts on.
fn template(backup_dir: &Path, connection: &str) -> String {
    format!(
        r#"# pgark config, written by `pgark init`. Check it with `pgark config check`.

# Where dumps go; list, verify --all, prune, check and the schedules read it.
backup_dir = {backup_dir:?}

# The database dumps read. No password here: PGPASSWORD for one shell, ~/.pgpass for cron
# (host:port:database:user:password, chmod 600).
[connection]
{connection}

# What prune (and every scheduled run) keeps, per database and profile; the newest full
# backup of each database is never deleted.
[retention]
keep_daily = 7
keep_weekly = 4
keep_monthly = 6

# A dump every night at 02:00 (the machine's time zone), verified; install with
# `pgark schedule install` (cron) or run `pgark daemon`.
[schedules.daily]
enabled = true
every = "daily"
time = "02:00"
profile = "full"

# Every archive verified once a month.
[schedules.monthly-verify]
enabled = true
every = "monthly"
day = "1"
time = "05:00"
task = "verify"

# What `check` (and the alerts it pushes) hold the directory to.
[alerts]
require_verified = true
max_age = "26h"
late_after = "1h"

# Where failures and alerts go; `pgark notify test` tries them.
# [notifications.webhook]
# enabled = true
# url = "https://hooks.slack.com/services/…"
# on_error = true
"#
    )
}

/// Runs `pgark init`.
pub async fn run(args: InitArgs) -> Result<ExitCode> {
    let existing = locate(args.config.as_deref()).filter(|p| p.is_file());
    let path = match existing {
        Some(p) => {
            println!("using the existing config {}", p.display());
            p
        }
        None => write_config(&args)?,
    };
    let config = Config::load(Some(&path))?;
    let dir = config.backup_dir_created(None)?;
    println!("backup directory {} (mode 0700)", dir.display());
    let mut conn = args.conn.clone();
    conn.or(config.connection.options()?);
    let target = conn.target()?;
    let unreadable = unreadable_tables(&target, conn.project_ref.is_some()).await?;
    println!("connected to {}", target.describe());
    if !unreadable.is_empty() {
        bail!(
            "the role cannot read {} table(s) a dump needs: {} (GRANT SELECT on them, or leave them out with \
             exclude_tables in a profile)",
            unreadable.len(),
            unreadable.join(", ")
        );
    }
    println!("every table can be read");
    if !args.no_dump {
        // The first run as the scheduler makes it: dump, verify, prune, check.
        let me = std::env::current_exe().context("finding the pgark binary")?;
        let mut first = std::process::Command::new(me);
        first.args(["schedule", "run", "--config"]).arg(&path);
        if let Some(db) = &args.conn.db {
            first.env("PGARK_DATABASE_URL", db);
        }
        if !first.status().context("running the first dump")?.success() {
            bail!("the first dump or its verify failed (above); fix it and run pgark init again");
        }
        println!("first backup written and verified");
    }
    println!("next: pgark schedule install --config {}   (or run pgark daemon)", path.display());
    Ok(ExitCode::SUCCESS)
}

/// Writes the commented config; refuses a password in the URL (it would sit in the file).
fn write_config(args: &InitArgs) -> Result<PathBuf> {
    let path = args.config.clone().unwrap_or_else(|| PathBuf::from("pgark.toml"));
    let options = ConnectOptions { url: args.conn.db.clone(), project_ref: args.conn.project_ref.clone() };
    if options.holds_password() {
        bail!("the URL holds a password: pgark init does not write it into the config; give the URL without it and keep the password in PGPASSWORD or ~/.pgpass");
    }
    let connection = match (&args.conn.db, &args.conn.project_ref) {
        (Some(url), _) => format!("url = {url:?}"),
        (None, Some(r)) => format!("project_ref = {r:?}"),
        (None, None) => bail!("give the database: pgark init --db postgres://user@host/db (or --project-ref REF)"),
    };
    let backup_dir = Config::default().default_backup_dir().unwrap_or_else(|| PathBuf::from("backups"));
    crate::files::replace(&path, template(&backup_dir, &connection))?;
    println!("wrote {}", path.display());
    Ok(path)
}

/// The tables (and schemas) a dump would read that the connecting role cannot.
async fn unreadable_tables(target: &pgark_engine::Target, supabase: bool) -> Result<Vec<String>> {
    let client = target.connect().await?;
    let managed: Vec<String> = if supabase {
        pgark_engine::SUPABASE_MANAGED_SCHEMAS.iter().map(|s| s.to_string()).collect()
    } else {
        Vec::new()
    };
    let rows = client
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname)
               FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p', 'm')
                AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
                AND NOT n.nspname = ANY($1)
                AND NOT (pg_catalog.has_schema_privilege(n.oid, 'USAGE')
                         AND pg_catalog.has_table_privilege(c.oid, 'SELECT'))
              ORDER BY 1",
            &[&managed],
        )
        .await
        .context("listing the tables the role cannot read")?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

//! `pgark dump` (alias `backup`): one database into one archive, or `--dry-run` to print the plan.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use std::io::Write;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use clap::Args;
use pgark_engine::{
    dump, info_file_name, Archive, ArchiveWriter, Compression, CopyFormat, DumpOptions, Record, RunKind, RunStatus,
    INFO_FILE_HEADER,
};

use super::inspect::describe;
use super::interrupt_signal;
use crate::args::{ConnArgs, FilterArgs};
use crate::config;
use crate::progress::Bars;
use crate::units::{bytes, parse_size, parse_wait, secs};

/// `pgark dump` arguments.
#[derive(Args)]
pub struct DumpArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Profile: full, structure-only, data-only, minimal, or one named in pgark.toml.
    #[arg(long)]
    pub profile: Option<String>,
    /// Config file with named profiles (default: $PGARK_CONFIG, else ./pgark.toml if present).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Schema only: leave out table data and sequence values.
    #[arg(long)]
    pub no_data: bool,
    /// Data only: leave out the schema.
    #[arg(long, conflicts_with = "no_data")]
    pub no_structure: bool,
    #[command(flatten)]
    pub toggles: crate::args::KindToggles,
    /// Also record the definitions of the roles the schema names (attributes, memberships; never passwords).
    #[arg(long)]
    pub globals: bool,
    /// Leave out the schemas Supabase manages (auth, storage, realtime, …) but keep your own
    /// triggers and policies on their tables; the default with --project-ref.
    #[arg(long, conflicts_with = "include_managed")]
    pub skip_managed: bool,
    /// With --project-ref: dump the managed schemas too.
    #[arg(long)]
    pub include_managed: bool,
    /// Where the archive goes: a name ending in .pgark is the archive file; anything else is a
    /// backup directory to create `<db>_<UTC time>.pgark` in, created (mode 0700) when it does
    /// not exist yet. Default: --backup-dir, else $PGARK_BACKUP_DIR, else backup_dir in the config.
    #[arg(long, short, visible_alias = "dir")]
    pub output: Option<PathBuf>,
    /// Parallel connections.
    #[arg(long, short, default_value_t = 2)]
    pub jobs: usize,
    /// Target size of a chunk (heap + TOAST bytes), e.g. 64MiB.
    #[arg(long, default_value = "64MiB", value_parser = parse_size)]
    pub chunk_size: u64,
    /// zstd compression level. Binary streams are packed by column first, so higher levels gain
    /// little and cost much (pagila: 564 kB at 1, 489 kB at 19 for 7.5x the time) and have made
    /// a large table's archive bigger.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    pub level: i32,
    /// Store chunks uncompressed.
    #[arg(long, conflicts_with = "level")]
    pub no_compress: bool,
    /// COPY format: binary (smallest archives — packed by column — and fastest restores; used
    /// wherever portable) or text (PostgreSQL's text output: archives 1.5x (pagila) to 2.6x
    /// (demo) larger, restores slower).
    #[arg(long, default_value = "binary", value_parser = parse_copy_format)]
    pub copy_format: CopyFormat,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Leave ownership out of the archive (pg_dump's --no-owner at dump time): a restore makes
    /// the restoring user the owner, and needs none of the owning roles.
    #[arg(long)]
    pub no_owner: bool,
    /// Leave grants and default privileges out of the archive (pg_dump's --no-privileges).
    #[arg(long)]
    pub no_privileges: bool,
    /// Dump this table's definition but not its rows (an audit or log table; `name` or
    /// `schema.name`, wildcards; repeatable), as pg_dump's option.
    #[arg(long, value_name = "PATTERN")]
    pub exclude_table_data: Vec<String>,
    #[command(flatten)]
    pub encrypt: crate::args::EncryptArgs,
    /// Fail, naming the table and the process holding it, when a table's lock cannot be had within
    /// this time (500ms, 30s, 2min; a bare number is milliseconds). Default: wait as long as it takes.
    #[arg(long, value_parser = parse_wait, value_name = "DURATION")]
    pub lock_wait_timeout: Option<std::time::Duration>,
    /// Dump in this snapshot (an id from pg_export_snapshot() in a transaction you keep open until
    /// the dump ends, e.g. a replication slot's) instead of a new one, as pg_dump --snapshot.
    #[arg(long, value_name = "ID")]
    pub snapshot: Option<String>,
    /// Leave the options of user mappings out. Without it they are carried (a `password`
    /// option only into an encrypted archive: --encrypt-to, --passphrase-*).
    #[arg(long)]
    pub no_user_mapping_options: bool,
    /// Do not record the planner's statistics (pg_class estimates, pg_stats) of the dumped
    /// relations; a restore then runs ANALYZE instead.
    #[arg(long)]
    pub no_statistics: bool,
    /// Write `<archive>.txt` beside the archive: what it holds, the settings used, how to restore
    /// it, security notes. The default into a backup directory (`info_file = false` in the config
    /// turns it off there); with an archive file name only with this flag.
    #[arg(long, conflicts_with = "no_info_file")]
    pub info_file: bool,
    /// Write no info file.
    #[arg(long)]
    pub no_info_file: bool,
    /// Print the plan (tables, chunks, estimated bytes) and copy nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The schedule this dump runs for, recorded in the history (set by `schedule run`).
    #[arg(long, hide = true)]
    pub schedule: Option<String>,
}

fn parse_copy_format(s: &str) -> Result<CopyFormat, String> {
    match s {
        "binary" => Ok(CopyFormat::Binary),
        "text" => Ok(CopyFormat::Text),
        _ => Err(format!("unknown COPY format '{s}' (use binary or text)")),
    }
}

/// Runs `pgark dump`.
pub async fn run(mut args: DumpArgs, quiet: bool) -> Result<ExitCode> {
    let config = config::Config::load(args.config.as_deref())?;
    if args.profile.is_none() {
        args.profile = config.profile.clone();
    }
    // Only dump reads the configured database: a restore never defaults to it.
    args.conn.or(config.connection.options()?);
    let output = args.output.clone().or_else(|| config.default_backup_dir());
    if !args.dry_run && output.is_none() {
        bail!(
            "--output is required (or PGARK_BACKUP_DIR, or backup_dir in pgark.toml): an archive file or a \
             directory to create it in"
        );
    }
    // Registered before any file exists, so Ctrl-C always finds a handler.
    let mut interrupt = interrupt_signal()?;
    // One rule: a name ending in .pgark is an archive file; anything else is a backup directory,
    // created (0700) when it does not exist yet.
    if let Some(o) = output.as_deref().filter(|o| !args.dry_run && !is_archive_name(o)) {
        config::create_backup_dir(o)?;
    }
    // A directory is a backup directory: every run, however it ends (a bad URL or profile
    // included), is recorded in its history.
    let dir = output.as_deref().filter(|o| !args.dry_run && o.is_dir());
    let into_dir = dir.is_some();
    let history = History {
        dir: dir.map(Path::to_path_buf),
        profile: args.profile.clone(),
        schedule: args.schedule.clone(),
        started: crate::clock::now(),
        notifications: config.notifications.clone(),
    };
    let plan = match prepare(&args, &config).await {
        Ok(plan) => plan,
        Err((database, e)) => {
            history.failed(database.as_deref(), &format!("{e:#}"));
            return Err(e);
        }
    };
    if args.dry_run {
        print_dump_plan(&plan);
        return Ok(ExitCode::SUCCESS);
    }
    let output = output.expect("checked above");
    let name = match &args.conn.project_ref {
        Some(project) => format!("{project}_{}", plan.database),
        None => plan.database.clone(),
    };
    let first = dump::output_path(&output, &name, plan.snapshot_time);
    let folder = first.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    for stale in pgark_engine::remove_stale_partials(folder)? {
        eprintln!("removed {}, left by a dump that did not finish", stale.display());
    }
    // A generated name is taken by the first dump that starts it; another gets the next one.
    let writer = if output.is_dir() { ArchiveWriter::create_unique(&first) } else { ArchiveWriter::create(&first) };
    let writer = match writer {
        Ok(w) => w,
        Err(e) => {
            history.failed(Some(&plan.database), &e.to_string());
            return Err(e.into());
        }
    };
    let path = writer.path().to_path_buf();
    let database = plan.database.clone();
    let server_version = plan.server_version.clone();
    let schema_objects = plan.items.len();
    let result = tokio::select! {
        result = plan.execute_to(writer, Arc::new(Bars::new(quiet))) => result,
        signal = interrupt.recv() => {
            let _ = std::fs::remove_file(pgark_engine::partial_path(&path));
            history.record(RunStatus::Interrupted, |r| {
                r.database = Some(database.clone());
                r.error = Some(format!("stopped: {signal}"));
            });
            eprintln!("{signal}: no archive was written ({} does not exist)", path.display());
            std::process::exit(signal.exit_code());
        }
    };
    let summary = match result {
        Ok(summary) => summary,
        Err(e) => {
            history.failed(Some(&database), &e.to_string());
            return Err(e.into());
        }
    };
    history.record(RunStatus::Ok, |r| {
        r.archive = summary.path.file_name().map(|n| n.to_string_lossy().into_owned());
        r.database = Some(database.clone());
        r.server_version = Some(server_version.clone());
        r.tables = Some(summary.tables);
        r.rows = Some(summary.rows);
        r.raw_bytes = Some(summary.raw_bytes);
        r.stored_bytes = Some(summary.file_bytes);
        r.manifest_blake3 = Some(summary.manifest_blake3.clone());
    });
    // Into a backup directory the info file comes by default, as the old tool wrote one per run.
    let info_file = !args.no_info_file && (args.info_file || config.info_file.unwrap_or(into_dir));
    let quiet = crate::progress::is_quiet();
    if info_file {
        let info = write_info_file(&summary.path)
            .with_context(|| format!("{} was written, but its info file could not be", summary.path.display()))?;
        if !quiet {
            println!("wrote {}", info.display());
        }
    }
    if quiet {
        return Ok(ExitCode::SUCCESS);
    }
    let data = match summary.tables {
        0 => "no table data".to_string(),
        n => format!(
            "{n} tables with data ({} rows, {} chunks, {} of COPY data)",
            summary.rows,
            summary.chunks,
            bytes(summary.raw_bytes)
        ),
    };
    println!(
        "wrote {}: {schema_objects} schema objects, {data}; {} in {}",
        summary.path.display(),
        bytes(summary.file_bytes),
        secs(summary.elapsed)
    );
    Ok(ExitCode::SUCCESS)
}

/// Whether `-o` names an archive file (`….pgark`, not an existing folder) rather than a backup
/// directory.
fn is_archive_name(output: &Path) -> bool {
    output.extension().is_some_and(|x| x == "pgark") && !output.is_dir()
}

/// Writes `<archive>.txt` (atomically, never over an existing file): [`describe`]'s text,
/// partial restores and security notes.
fn write_info_file(archive_path: &Path) -> Result<PathBuf> {
    // An encrypted archive's info file says only what it shows without its key.
    let archive = Archive::open_locked(archive_path)?;
    let file = archive_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let m = archive.manifest();
    let globals = if archive.is_encrypted() {
        "Whether role definitions are included is encrypted too (--globals includes them)"
    } else if m.globals.is_empty() {
        "Role definitions are not included (dump with --globals to include them)"
    } else {
        "Role definitions are included, without passwords: set them after restoring the roles"
    };
    let text = format!(
        "{INFO_FILE_HEADER}\n\n{}\n\
         restore a part only:\n  \
         pgark restore {file} --list                                   # every statement, in order\n  \
         pgark restore {file} -t TABLE --create --db postgres://…/NEWDB # one table and what it needs\n  \
         pgark restore {file} --section pre-data --db …                # the schema without data and indexes\n\n\
         security notes:\n\
         - {}\n\
         - No password is stored in it. {globals}.\n\
         - Every chunk and the manifest are hashed (blake3; manifest {}): `pgark verify {file}`\n  \
         checks them without a database.\n\
         - A restore runs the archive's SQL (functions, triggers, defaults) as the restoring user:\n  \
         restore only archives you trust.\n",
        describe(Path::new(&file), &archive),
        if archive.is_encrypted() {
            "The archive is encrypted with age: its tables, schema and data need one of the identities (or the\n  \
             passphrase) it was encrypted to; keep those apart from the archive."
        } else {
            "The archive holds the data in the clear (compressed, not encrypted): keep it where only\n  \
             people allowed to read the database can read it (or dump with --encrypt-to)."
        },
        archive.manifest_blake3(),
    );
    let path = archive_path.with_file_name(info_file_name(&file));
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(folder)?;
    tmp.write_all(text.as_bytes())?;
    // As readable as the archive it describes.
    std::fs::set_permissions(tmp.path(), std::fs::metadata(archive_path)?.permissions())?;
    tmp.as_file().sync_all()?;
    tmp.persist_noclobber(&path).map_err(|e| e.error).with_context(|| format!("creating {}", path.display()))?;
    Ok(path)
}

/// The encryption the flags ask for, else the config's `[encryption]`.
fn encryption(args: &DumpArgs, config: &config::Config) -> Result<Option<pgark_engine::Encryption>> {
    match args.encrypt.encryption()? {
        Some(e) => Ok(Some(e)),
        None => match &config.encryption {
            Some(c) => c.encryption().context("[encryption] in the config"),
            None => Ok(None),
        },
    }
}

/// Resolves the target, applies the profile and flags, and plans the dump; an error comes with
/// the database it was for, when known.
async fn prepare(
    args: &DumpArgs,
    config: &config::Config,
) -> std::result::Result<dump::DumpPlan, (Option<String>, anyhow::Error)> {
    let target = args.conn.target().map_err(|e| (None, e))?;
    let database = Some(target.dbname().to_string());
    let mut options = DumpOptions {
        chunk_size: args.chunk_size,
        jobs: args.jobs,
        compression: if args.no_compress { Compression::None } else { Compression::Zstd { level: args.level } },
        filter: args.filter.clone().into(),
        globals: args.globals,
        copy_format: args.copy_format,
        lock_wait_timeout: args.lock_wait_timeout,
        snapshot: args.snapshot.clone(),
        no_user_mapping_options: args.no_user_mapping_options,
        statistics: !args.no_statistics,
        exclude_table_data: args.exclude_table_data.clone(),
        encryption: encryption(args, config).map_err(|e| (database.clone(), e))?,
        ..Default::default()
    };
    if args.skip_managed || (args.conn.project_ref.is_some() && !args.include_managed) {
        options.managed_schemas = pgark_engine::SUPABASE_MANAGED_SCHEMAS.iter().map(|s| s.to_string()).collect();
    }
    if let Some(profile) = &args.profile {
        config::apply_profile(profile, config, &mut options).map_err(|e| (database.clone(), e))?;
    }
    options.data &= !args.no_data;
    options.structure &= !args.no_structure;
    args.toggles.add_to(&mut options.exclude_kinds);
    config::leave_out([(args.no_owner, "owners"), (args.no_privileges, "privileges")], &mut options.exclude_kinds);
    dump::prepare(&target, &options).await.map_err(|e| (database, e.into()))
}

/// The history of the backup directory a dump writes into (none when it writes a named file).
/// Every run recorded there is also sent to the configured notification channels.
struct History {
    dir: Option<PathBuf>,
    profile: Option<String>,
    schedule: Option<String>,
    started: DateTime<Utc>,
    notifications: crate::config::Notifications,
}

impl History {
    fn failed(&self, database: Option<&str>, error: &str) {
        self.record(RunStatus::Failed, |r| {
            r.database = database.map(str::to_string);
            r.error = Some(error.to_string());
        });
    }

    /// Appends a record; a history that cannot be written is reported, never fatal to the dump.
    fn record(&self, status: RunStatus, fill: impl FnOnce(&mut Record)) {
        let Some(dir) = &self.dir else { return };
        let finished = crate::clock::now();
        let mut record = Record::new(RunKind::Dump, status, self.started, finished);
        record.profile = self.profile.clone();
        record.schedule = self.schedule.clone();
        fill(&mut record);
        if let Err(e) = pgark_engine::append_history(dir, &record) {
            eprintln!("warning: the run was not recorded in the history: {e}");
        }
        crate::notify::deliver(&self.notifications, &crate::notify::Message::of_run(&record), Some(dir));
    }
}

fn print_dump_plan(plan: &dump::DumpPlan) {
    println!(
        "dump plan for database {} (PostgreSQL {}), snapshot at {}",
        plan.database, plan.server_version, plan.snapshot_time
    );
    println!("{:<48} {:>10} {:>7} {:>12}  format", "table", "blocks", "chunks", "est. bytes");
    let mut tables: Vec<_> = plan.tables.iter().collect();
    tables.sort_by_key(|t| std::cmp::Reverse(t.table_bytes));
    for t in tables {
        println!(
            "{:<48} {:>10} {:>7} {:>12}  {}",
            t.display_name(),
            t.blocks,
            t.chunks.len(),
            bytes(t.table_bytes),
            t.format.sql()
        );
    }
    println!(
        "total: {} tables, {} chunks, about {} on disk; {} schema statements; {} jobs",
        plan.tables.len(),
        plan.chunk_count(),
        bytes(plan.estimated_bytes()),
        plan.items.len(),
        plan.options().jobs
    );
    print_requires(
        "objects that need objects this dump leaves out (a restore creates them only where the target has those):",
        &plan.items,
    );
}

/// Lists the items whose `requires` is not empty, under `heading`.
pub(crate) fn print_requires<'a>(heading: &str, items: impl IntoIterator<Item = &'a pgark_engine::DdlItem>) {
    let lines: Vec<String> = items.into_iter().filter_map(|i| i.requires_line()).collect();
    if !lines.is_empty() {
        println!("{heading}");
        for l in lines {
            println!("  {l}");
        }
    }
}

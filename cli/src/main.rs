//! `pgark`: fast, verifiable PostgreSQL backups in one archive file.

mod config;
mod demo;
mod inspect;
mod progress;
mod units;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use pgark_engine::{
    dump, restore, Archive, Compression, ConnectOptions, CopyFormat, DumpOptions, Filter, RestoreOptions, Section,
    Target,
};

use crate::progress::Bars;
use crate::units::{bytes, parse_size, secs};

#[derive(Parser)]
#[command(name = "pgark", version, about = "Fast, verifiable PostgreSQL backups in one archive file")]
struct Cli {
    /// No progress bars.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Dump a database into one .pgark archive.
    #[command(alias = "backup")]
    Dump(DumpArgs),
    /// Restore an archive into a database, in parallel.
    Restore(RestoreArgs),
    /// Check every hash in an archive, without a database.
    #[command(alias = "validate")]
    Verify {
        /// The archive.
        archive: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show what an archive holds and how to restore it.
    Inspect {
        /// The archive.
        archive: PathBuf,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Throwaway local PostgreSQL + sample data → dump → verify → restore → compare.
    Demo(demo::DemoArgs),
}

/// Where the database is.
#[derive(Args, Clone)]
struct ConnArgs {
    /// Connection URL (postgres://user@host:port/db?sslmode=verify-full&sslrootcert=ca.pem);
    /// PG* environment variables fill in what it leaves out.
    #[arg(long, env = "PGARK_DATABASE_URL", hide_env_values = true)]
    db: Option<String>,
    /// Supabase project ref (connects to db.REF.supabase.co; password from SUPABASE_DB_PASSWORD or PGPASSWORD).
    #[arg(long, conflicts_with = "db")]
    project_ref: Option<String>,
}

impl ConnArgs {
    fn target(&self) -> Result<Target> {
        Ok(Target::resolve(&ConnectOptions { url: self.db.clone(), project_ref: self.project_ref.clone() })?)
    }
}

/// Schema and table selection.
#[derive(Args, Clone, Default)]
struct FilterArgs {
    /// Only these schemas (repeatable; * and ? wildcards).
    #[arg(long = "schema", short = 'n', value_name = "PATTERN")]
    schemas: Vec<String>,
    /// Leave these schemas out.
    #[arg(long = "exclude-schema", short = 'N', value_name = "PATTERN")]
    exclude_schemas: Vec<String>,
    /// Only these tables (`name` or `schema.name`; repeatable; wildcards).
    #[arg(long = "table", short = 't', value_name = "PATTERN")]
    tables: Vec<String>,
    /// Leave these tables out.
    #[arg(long = "exclude-table", short = 'T', value_name = "PATTERN")]
    exclude_tables: Vec<String>,
}

impl From<FilterArgs> for Filter {
    fn from(f: FilterArgs) -> Filter {
        Filter {
            schemas: f.schemas,
            exclude_schemas: f.exclude_schemas,
            tables: f.tables,
            exclude_tables: f.exclude_tables,
        }
    }
}

#[derive(Args)]
struct DumpArgs {
    #[command(flatten)]
    conn: ConnArgs,
    /// Profile: full, structure-only, data-only, minimal, or one named in pgark.toml.
    #[arg(long)]
    profile: Option<String>,
    /// Config file with named profiles (default: $PGARK_CONFIG, else ./pgark.toml if present).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Schema only: leave out table data and sequence values.
    #[arg(long)]
    no_data: bool,
    /// Data only: leave out the schema.
    #[arg(long, conflicts_with = "no_data")]
    no_structure: bool,
    #[command(flatten)]
    toggles: config::KindToggles,
    /// Also record the definitions of the roles the schema names (attributes, memberships; never passwords).
    #[arg(long)]
    globals: bool,
    /// Leave out the schemas Supabase manages (auth, storage, realtime, …) but keep your own
    /// triggers and policies on their tables; the default with --project-ref.
    #[arg(long, conflicts_with = "include_managed")]
    skip_managed: bool,
    /// With --project-ref: dump the managed schemas too.
    #[arg(long)]
    include_managed: bool,
    /// Archive file, or a directory to create `<db>_<UTC time>.pgark` in.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Parallel connections.
    #[arg(long, short, default_value_t = 2)]
    jobs: usize,
    /// Target size of a chunk (heap + TOAST bytes), e.g. 64MiB.
    #[arg(long, default_value = "64MiB", value_parser = parse_size)]
    chunk_size: u64,
    /// zstd compression level.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    level: i32,
    /// Store chunks uncompressed.
    #[arg(long, conflicts_with = "level")]
    no_compress: bool,
    /// COPY format: binary (fastest restore; used wherever portable) or text (archives about a
    /// fifth smaller, restores somewhat slower).
    #[arg(long, default_value = "binary", value_parser = parse_copy_format)]
    copy_format: CopyFormat,
    #[command(flatten)]
    filter: FilterArgs,
    /// Print the plan (tables, chunks, estimated bytes) and copy nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Args)]
struct RestoreArgs {
    /// The archive.
    archive: PathBuf,
    #[command(flatten)]
    conn: ConnArgs,
    /// Parallel connections loading data (index and constraint builds run up to twice as many).
    #[arg(long, short, default_value_t = 2)]
    jobs: usize,
    /// Drop the archive's objects from the target before restoring.
    #[arg(long)]
    clean: bool,
    /// Create the target database first.
    #[arg(long)]
    create: bool,
    /// Only these sections (pre-data, data, post-data; repeatable).
    #[arg(long = "section", value_parser = parse_section)]
    sections: Vec<Section>,
    #[command(flatten)]
    filter: FilterArgs,
    #[command(flatten)]
    toggles: config::KindToggles,
    /// Leave ownership out: objects belong to the restoring user.
    #[arg(long)]
    no_owner: bool,
    /// Leave grants out.
    #[arg(long)]
    no_privileges: bool,
    /// Create roles the target cluster lacks (from the archive's --globals, else NOLOGIN).
    #[arg(long)]
    create_roles: bool,
    /// Load data with triggers and foreign keys off (superuser), for data-only restores into an existing schema.
    #[arg(long)]
    disable_triggers: bool,
    /// Print what would be restored and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// List the archive's statements (section, kind, name) that this restore would run.
    #[arg(long, conflicts_with = "dry_run")]
    list: bool,
}

fn parse_copy_format(s: &str) -> Result<CopyFormat, String> {
    match s {
        "binary" => Ok(CopyFormat::Binary),
        "text" => Ok(CopyFormat::Text),
        _ => Err(format!("unknown COPY format '{s}' (use binary or text)")),
    }
}

fn parse_section(s: &str) -> Result<Section, String> {
    match s {
        "pre-data" => Ok(Section::PreData),
        "data" => Ok(Section::Data),
        "post-data" => Ok(Section::PostData),
        _ => Err(format!("unknown section '{s}' (use pre-data, data or post-data)")),
    }
}

fn main() -> ExitCode {
    // Like other command-line tools, end quietly when the reader of our output goes away
    // (`pgark restore --list | head`) instead of failing to print.
    // SAFETY: restores the default disposition of SIGPIPE before any thread starts.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Dump(args) => run_dump(args, cli.quiet).await,
        Command::Restore(args) => run_restore(args, cli.quiet).await,
        Command::Verify { archive, json } => run_verify(&archive, json, cli.quiet),
        Command::Inspect { archive, json } => inspect::run(&archive, json),
        Command::Demo(args) => demo::run(args, cli.quiet).await,
    }
}

async fn run_dump(args: DumpArgs, quiet: bool) -> Result<ExitCode> {
    let target = args.conn.target()?;
    let mut options = DumpOptions {
        chunk_size: args.chunk_size,
        jobs: args.jobs,
        compression: if args.no_compress { Compression::None } else { Compression::Zstd { level: args.level } },
        filter: args.filter.into(),
        globals: args.globals,
        copy_format: args.copy_format,
        ..Default::default()
    };
    if args.skip_managed || (args.conn.project_ref.is_some() && !args.include_managed) {
        options.managed_schemas = pgark_engine::SUPABASE_MANAGED_SCHEMAS.iter().map(|s| s.to_string()).collect();
    }
    if let Some(profile) = &args.profile {
        let config = config::Config::load(args.config.as_deref())?;
        config::apply_profile(profile, &config, &mut options)?;
    }
    options.data &= !args.no_data;
    options.structure &= !args.no_structure;
    args.toggles.add_to(&mut options.exclude_kinds);
    if !args.dry_run && args.output.is_none() {
        bail!("--output is required: an archive file or a directory to create it in");
    }
    // Registered before any file exists, so Ctrl-C always finds a handler.
    let mut interrupt = interrupt_signal()?;
    let plan = dump::prepare(&target, &options).await?;
    if args.dry_run {
        print_dump_plan(&plan);
        return Ok(ExitCode::SUCCESS);
    }
    let path = dump::output_path(args.output.as_deref().expect("checked above"), &plan.database, plan.snapshot_time);
    let summary = tokio::select! {
        result = plan.execute(&path, Arc::new(Bars::new(quiet))) => result?,
        _ = interrupt.recv() => {
            let _ = std::fs::remove_file(pgark_engine::partial_path(&path));
            eprintln!("interrupted: no archive was written ({} does not exist)", path.display());
            std::process::exit(130);
        }
    };
    println!(
        "wrote {}: {} tables, {} rows, {} chunks, {} of COPY data in {} ({})",
        summary.path.display(),
        summary.tables,
        summary.rows,
        summary.chunks,
        bytes(summary.raw_bytes),
        bytes(summary.file_bytes),
        secs(summary.elapsed)
    );
    Ok(ExitCode::SUCCESS)
}

/// A SIGINT listener, registered at once.
fn interrupt_signal() -> Result<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).context("installing the Ctrl-C handler")
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
}

async fn run_restore(args: RestoreArgs, quiet: bool) -> Result<ExitCode> {
    let archive = Arc::new(Archive::open(&args.archive)?);
    let options = RestoreOptions {
        jobs: args.jobs,
        clean: args.clean,
        create: args.create,
        sections: args.sections,
        filter: args.filter.into(),
        exclude_kinds: {
            let mut kinds = Vec::new();
            args.toggles.add_to(&mut kinds);
            kinds
        },
        no_owner: args.no_owner,
        no_privileges: args.no_privileges,
        create_roles: args.create_roles,
        disable_triggers: args.disable_triggers,
    };
    let plan = restore::prepare(&archive, &options)?;
    if args.list {
        for i in plan.pre_data.iter().chain(&plan.data_items).chain(&plan.post_data) {
            println!("{:<9} {}", i.section.name(), i.label());
        }
        let m = archive.manifest();
        for &(t, c) in &plan.chunks {
            let table = &m.tables[t];
            println!("data      chunk {} of {} ({} rows)", c, table.display_name(), table.chunks[c].rows);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.dry_run {
        let m = archive.manifest();
        println!("restore plan for {} (database {}, {})", args.archive.display(), m.database, m.snapshot_time);
        println!("pre-data: {} statements", plan.pre_data.len());
        for i in &plan.pre_data {
            println!("  {}", i.label());
        }
        let raw: u64 = plan.chunks.iter().map(|&(t, c)| m.tables[t].chunks[c].raw_len).sum();
        println!(
            "data: {} tables, {} chunks, {} of COPY data; {} sequence values",
            plan.table_count(),
            plan.chunks.len(),
            bytes(raw),
            plan.data_items.len()
        );
        println!("post-data: {} statements", plan.post_data.len());
        for i in &plan.post_data {
            println!("  {}", i.label());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let target = args.conn.target()?;
    let mut interrupt = interrupt_signal()?;
    let summary = tokio::select! {
        result = plan.execute(archive, &target, Arc::new(Bars::new(quiet))) => result?,
        _ = interrupt.recv() => {
            eprintln!("interrupted: {} may be partially restored: drop it, or restore again with --clean", target.describe());
            std::process::exit(130);
        }
    };
    println!(
        "restored {} tables, {} rows ({} chunks, {}) and {} schema statements into {} in {}",
        summary.tables,
        summary.rows,
        summary.chunks,
        bytes(summary.raw_bytes),
        summary.statements,
        target.describe(),
        secs(summary.elapsed)
    );
    Ok(ExitCode::SUCCESS)
}

fn run_verify(path: &Path, json: bool, quiet: bool) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let archive = Archive::open(path)?;
    let report = pgark_engine::verify(&archive, &Bars::new(quiet || json));
    if json {
        println!("{}", serde_json::to_string_pretty(&report).context("encoding the report")?);
    } else {
        for p in &report.problems {
            eprintln!("corrupt: {p}");
        }
        let elapsed = started.elapsed();
        let status = if report.ok() { "ok" } else { "FAILED" };
        println!(
            "{status}: {} — {} chunks, {} rows, {} raw ({} stored) checked in {} ({}/s); {} problem(s)",
            path.display(),
            report.chunks,
            report.rows,
            bytes(report.raw_bytes),
            bytes(report.stored_bytes),
            secs(elapsed),
            bytes((report.raw_bytes as f64 / elapsed.as_secs_f64().max(1e-9)) as u64),
            report.problems.len()
        );
    }
    Ok(if report.ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

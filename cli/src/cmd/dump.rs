//! `pgark dump` (alias `backup`): one database into one archive, or `--dry-run` to print the plan.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Result};
use clap::Args;
use pgark_engine::{dump, Compression, CopyFormat, DumpOptions};

use super::interrupt_signal;
use crate::args::{ConnArgs, FilterArgs};
use crate::config;
use crate::progress::Bars;
use crate::units::{bytes, parse_size, secs};

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
    pub toggles: config::KindToggles,
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
    /// Archive file, or a directory to create `<db>_<UTC time>.pgark` in.
    #[arg(long, short)]
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
    /// Print the plan (tables, chunks, estimated bytes) and copy nothing.
    #[arg(long)]
    pub dry_run: bool,
}

fn parse_copy_format(s: &str) -> Result<CopyFormat, String> {
    match s {
        "binary" => Ok(CopyFormat::Binary),
        "text" => Ok(CopyFormat::Text),
        _ => Err(format!("unknown COPY format '{s}' (use binary or text)")),
    }
}

/// Runs `pgark dump`.
pub async fn run(args: DumpArgs, quiet: bool) -> Result<ExitCode> {
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
    let output = args.output.as_deref().expect("checked above");
    let name = match &args.conn.project_ref {
        Some(project) => format!("{project}_{}", plan.database),
        None => plan.database.clone(),
    };
    let path = dump::output_path(output, &name, plan.snapshot_time);
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    for stale in pgark_engine::remove_stale_partials(folder)? {
        eprintln!("removed {}, left by a dump that did not finish", stale.display());
    }
    let summary = tokio::select! {
        result = plan.execute(&path, Arc::new(Bars::new(quiet))) => result?,
        signal = interrupt.recv() => {
            let _ = std::fs::remove_file(pgark_engine::partial_path(&path));
            eprintln!("{signal}: no archive was written ({} does not exist)", path.display());
            std::process::exit(signal.exit_code());
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

//! `pgark restore`: an archive into a database, in parallel; `--list` and `--dry-run` print
//! what it would do without a database.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use clap::Args;
use pgark_engine::{restore, RestoreOptions};

use super::interrupt_signal;
use crate::args::{ConnArgs, SelectArgs};
use crate::progress::Bars;
use crate::units::{bytes, secs};

/// `pgark restore` arguments.
#[derive(Args)]
pub struct RestoreArgs {
    /// The archive.
    pub archive: PathBuf,
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub keys: crate::args::KeyArgs,
    /// Parallel connections loading data (index and constraint builds run up to twice as many).
    #[arg(long, short, default_value_t = 2)]
    pub jobs: usize,
    /// Drop the archive's objects from the target before restoring.
    #[arg(long)]
    pub clean: bool,
    /// pg_restore's --exit-on-error, accepted: pgark always stops at the first error (naming
    /// the statement or chunk and what was committed), never continuing past one.
    #[arg(long, short = 'e')]
    pub exit_on_error: bool,
    /// Create the target database first.
    #[arg(long)]
    pub create: bool,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Create roles the target cluster lacks (from the archive's --globals, else NOLOGIN).
    #[arg(long)]
    pub create_roles: bool,
    /// Load data with triggers and foreign keys off (superuser), for data-only restores into an existing schema.
    #[arg(long)]
    pub disable_triggers: bool,
    /// Do not check the archive's chunks before changing anything (for archives verified
    /// already; the check reads them once more, about 1.5 GB/s of COPY data per core).
    #[arg(long)]
    pub no_check: bool,
    /// Everything in one transaction on one connection (no parallelism): a failure leaves
    /// nothing behind, e.g. for data-only restores into a live database.
    #[arg(long)]
    pub single_transaction: bool,
    /// Do not give the target the archive's planner statistics (PostgreSQL 18 targets get them
    /// with pg_restore_relation_stats / pg_restore_attribute_stats: no table is read).
    #[arg(long)]
    pub no_statistics: bool,
    /// Do not run ANALYZE on the restored tables where statistics are not given (an older
    /// target, an archive without them, --no-statistics).
    #[arg(long)]
    pub no_analyze: bool,
    /// Print what would be restored and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// List the archive's statements (section, kind, name) that this restore would run.
    #[arg(long, conflicts_with = "dry_run")]
    pub list: bool,
}

/// Runs `pgark restore`.
pub async fn run(args: RestoreArgs, quiet: bool) -> Result<ExitCode> {
    let archive = Arc::new(args.keys.open(&args.archive)?);
    let options = RestoreOptions {
        jobs: args.jobs,
        clean: args.clean,
        create: args.create,
        create_roles: args.create_roles,
        disable_triggers: args.disable_triggers,
        skip_check: args.no_check,
        single_transaction: args.single_transaction,
        statistics: !args.no_statistics,
        analyze: !args.no_analyze,
        ..args.select.clone().options()
    };
    let plan = restore::prepare(&archive, &options)?;
    for notice in &plan.notices {
        eprintln!("notice: {notice}");
    }
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
        super::dump::print_requires(
            "created only where the target has what they need (else skipped with a warning):",
            plan.tentative(),
        );
        return Ok(ExitCode::SUCCESS);
    }
    let target = args.conn.target()?;
    let mut interrupt = interrupt_signal()?;
    let summary = tokio::select! {
        result = plan.execute(archive, &target, Arc::new(Bars::new(quiet))) => result?,
        signal = interrupt.recv() => {
            if args.create {
                eprintln!("{signal}: {}, created by this restore, may be partially restored: drop it", target.describe());
            } else {
                eprintln!(
                    "{signal}: {} may be partially restored (it existed before: what was committed stays); restore the rest, or everything again with --clean",
                    target.describe()
                );
            }
            std::process::exit(signal.exit_code());
        }
    };
    let quiet = crate::progress::is_quiet();
    if !quiet {
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
    }
    if let Some(stats) = summary.statistics.as_ref().filter(|_| !quiet) {
        println!("planner statistics: {stats}");
    }
    if !summary.skipped.is_empty() {
        eprintln!(
            "skipped {} objects whose needs are neither in the archive nor in the target (the warnings above name them)",
            summary.skipped.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

//! `pgark restore`: an archive into a database, in parallel; `--list` and `--dry-run` print
//! what it would do without a database.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use clap::Args;
use pgark_engine::{restore, Archive, RestoreOptions, Section};

use super::interrupt_signal;
use crate::args::{ConnArgs, FilterArgs};
use crate::config;
use crate::progress::Bars;
use crate::units::{bytes, secs};

/// `pgark restore` arguments.
#[derive(Args)]
pub struct RestoreArgs {
    /// The archive.
    pub archive: PathBuf,
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Parallel connections loading data (index and constraint builds run up to twice as many).
    #[arg(long, short, default_value_t = 2)]
    pub jobs: usize,
    /// Drop the archive's objects from the target before restoring.
    #[arg(long)]
    pub clean: bool,
    /// Create the target database first.
    #[arg(long)]
    pub create: bool,
    /// Only these sections (pre-data, data, post-data; repeatable).
    #[arg(long = "section", value_parser = parse_section)]
    pub sections: Vec<Section>,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub toggles: config::KindToggles,
    /// Leave ownership out: objects belong to the restoring user.
    #[arg(long)]
    pub no_owner: bool,
    /// Leave grants out.
    #[arg(long)]
    pub no_privileges: bool,
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
    /// With --table: also restore what the selected tables need (types, functions, schemas,
    /// extensions, sequences); into a database that exists, each only if missing. The default.
    #[arg(long, conflicts_with = "no_dependencies")]
    pub with_dependencies: bool,
    /// With --table: restore only the selected tables and what belongs to them (the target
    /// must have what they need).
    #[arg(long)]
    pub no_dependencies: bool,
    /// Everything in one transaction on one connection (no parallelism): a failure leaves
    /// nothing behind, e.g. for data-only restores into a live database.
    #[arg(long)]
    pub single_transaction: bool,
    /// Print what would be restored and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// List the archive's statements (section, kind, name) that this restore would run.
    #[arg(long, conflicts_with = "dry_run")]
    pub list: bool,
}

fn parse_section(s: &str) -> Result<Section, String> {
    match s {
        "pre-data" => Ok(Section::PreData),
        "data" => Ok(Section::Data),
        "post-data" => Ok(Section::PostData),
        _ => Err(format!("unknown section '{s}' (use pre-data, data or post-data)")),
    }
}

/// Runs `pgark restore`.
pub async fn run(args: RestoreArgs, quiet: bool) -> Result<ExitCode> {
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
        skip_check: args.no_check,
        single_transaction: args.single_transaction,
        dependencies: match (args.with_dependencies, args.no_dependencies) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
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

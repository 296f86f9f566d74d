//! `pgark demo`: a throwaway local PostgreSQL with a sample shop database, dumped, verified,
//! restored into a second database and compared table by table.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Args;
use pgark_engine::{
    dump, fingerprint_tables, restore, verify, Archive, Compression, ConnectOptions, DumpOptions, LocalCluster,
    RestoreOptions, Target,
};

use crate::progress::Bars;
use crate::units::{bytes, parse_size, secs};

/// The sample data, embedded so the demo runs from the binary alone.
const DEMO_SQL: &str = include_str!("../../../testdata/demo.sql");

#[derive(Args)]
pub struct DemoArgs {
    /// Parallel connections.
    #[arg(long, short, default_value_t = 2)]
    jobs: usize,
    /// Chunk size (small, so the demo shows tables split into several chunks).
    #[arg(long, default_value = "1MiB", value_parser = parse_size)]
    chunk_size: u64,
}

pub async fn run(args: DemoArgs, quiet: bool) -> Result<ExitCode> {
    println!("starting a throwaway PostgreSQL cluster …");
    let cluster = tokio::task::spawn_blocking(LocalCluster::start).await??;
    println!("  server binaries: {}, port {}", cluster.bin_dir().display(), cluster.port());
    let target = |db: &str| Target::resolve(&ConnectOptions { url: Some(cluster.url(db)), project_ref: None });
    let admin = target("postgres")?.connect().await?;
    admin.batch_execute("CREATE DATABASE demo_source").await.context("creating demo_source")?;
    let source = target("demo_source")?;
    let started = std::time::Instant::now();
    source.connect().await?.batch_execute(DEMO_SQL).await.context("loading the sample data")?;
    println!("  loaded the sample shop database in {}", secs(started.elapsed()));

    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let path = dir.path().join("demo.pgark");
    let options = DumpOptions {
        chunk_size: args.chunk_size,
        jobs: args.jobs,
        compression: Compression::Zstd { level: 1 },
        ..Default::default()
    };
    let plan = dump::prepare(&source, &options).await?;
    let summary = plan.execute(&path, Arc::new(Bars::new(quiet))).await?;
    println!(
        "dump:    {} tables, {} rows in {} chunks; {} of COPY data → {} archive in {}",
        summary.tables,
        summary.rows,
        summary.chunks,
        bytes(summary.raw_bytes),
        bytes(summary.file_bytes),
        secs(summary.elapsed)
    );

    let started = std::time::Instant::now();
    let archive = Arc::new(Archive::open(&path)?);
    let report = verify(&archive, &Bars::new(quiet));
    if !report.ok() {
        for p in &report.problems {
            eprintln!("corrupt: {p}");
        }
        bail!("verification failed");
    }
    println!("verify:  {} chunks, every hash and row count matches ({})", report.chunks, secs(started.elapsed()));

    let copy = target("demo_copy")?;
    let plan = restore::prepare(&archive, &RestoreOptions { jobs: args.jobs, create: true, ..Default::default() })?;
    let summary = plan.execute(archive.clone(), &copy, Arc::new(Bars::new(quiet))).await?;
    println!(
        "restore: {} tables, {} rows, {} schema statements into demo_copy in {}",
        summary.tables,
        summary.rows,
        summary.statements,
        secs(summary.elapsed)
    );

    let before = fingerprint_tables(&source.connect().await?).await?;
    let after = fingerprint_tables(&copy.connect().await?).await?;
    let mut same = true;
    for (table, fp) in &before {
        let status = match after.get(table) {
            Some(other) if other == fp => "same",
            Some(_) => "DIFFERENT",
            None => "MISSING",
        };
        same &= status == "same";
        println!("  {status:<9} {table:<24} {:>8} rows", fp.rows);
    }
    for table in after.keys().filter(|t| !before.contains_key(*t)) {
        same = false;
        println!("  EXTRA     {table}");
    }
    drop(cluster);
    if same {
        println!("compare: every table has the same rows and data hash in source and restored copy");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("compare: the restored copy differs from the source");
        Ok(ExitCode::FAILURE)
    }
}

//! `pgark`: fast, verifiable PostgreSQL backups in one archive file. This file parses the
//! command line and dispatches; each command lives in `cmd/`.

use pgark::{args, cmd, config, progress};

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "pgark",
    version,
    about = "Fast, verifiable PostgreSQL backups in one archive file",
    after_help = "Also accepted (the commands of the backup scripts pgark replaces): backup (dump), \
                  validate FILE (verify), clean [DAYS] [MAX] (prune --yes: deletes, per series, never \
                  the newest full backup), compare A B (diff), info (inspect), extract FILE [DIR], \
                  schedule setup (schedule install), schedule enable daily 02:30 full [DAY], \
                  schedule run PROFILE."
)]
struct Cli {
    /// No progress bars, and nothing on standard output when the command succeeds.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Log every stage, table and statement with a timestamp on stderr (instead of bars).
    #[arg(long, short, global = true, conflicts_with = "quiet")]
    verbose: bool,
    /// The backup directory: where dump writes without -o, what list, report, check, prune and
    /// verify --all read, where bare archive names are looked for (default: $PGARK_BACKUP_DIR,
    /// else backup_dir in the config).
    #[arg(long, global = true, value_name = "DIR")]
    backup_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Dump a database into one .pgark archive (also: backup).
    Dump(cmd::dump::DumpArgs),
    /// Restore an archive into a database, in parallel.
    Restore(cmd::restore::RestoreArgs),
    /// Check every hash in archives, without a database (also: validate).
    Verify {
        /// Archives, or folders whose .pgark files are all checked.
        #[arg(required_unless_present = "all")]
        archives: Vec<PathBuf>,
        /// Every archive of the backup directory (the one given, else backup_dir in pgark.toml).
        #[arg(long)]
        all: bool,
        /// Archives checked at once (each one's chunks are checked in parallel as well).
        #[arg(long, short, default_value_t = 1)]
        jobs: usize,
        #[command(flatten)]
        keys: args::KeyArgs,
        /// Config file (default: $PGARK_CONFIG, else ./pgark.toml if present).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Prove an archive restores: into a scratch database, every table compared with the dump, then dropped.
    Drill(cmd::drill::DrillArgs),
    /// Show what an archive holds and how to restore it (also: info).
    Inspect {
        /// The archive.
        archive: PathBuf,
        #[command(flatten)]
        keys: args::KeyArgs,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Turn an archive into a plain SQL script, or a directory of files, psql restores.
    Extract(cmd::extract::ExtractArgs),
    /// Print one table's rows from an archive, without a database.
    Cat {
        /// The archive.
        archive: PathBuf,
        #[command(flatten)]
        keys: args::KeyArgs,
        /// The table: schema.table, or a name only one schema has.
        table: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = cmd::cat::CatFormat::Text)]
        format: cmd::cat::CatFormat,
        /// At most this many rows.
        #[arg(long)]
        limit: Option<u64>,
        /// Only these columns, in this order (a,b,c).
        #[arg(long, value_delimiter = ',')]
        columns: Option<Vec<String>>,
    },
    /// List the backups of a backup directory, with their last verification.
    List {
        /// The directory (default: backup_dir in pgark.toml).
        dir: Option<PathBuf>,
        /// Config file (default: $PGARK_CONFIG, else ./pgark.toml if present).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sizes, compression, durations, success rates, free space and table growth of a backup directory.
    Report {
        /// The directory (default: backup_dir in pgark.toml).
        dir: Option<PathBuf>,
        /// Config file (default: $PGARK_CONFIG, else ./pgark.toml if present).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
        /// Also write the metrics in Prometheus text format to FILE (atomically; for
        /// node_exporter's textfile collector).
        #[arg(long, value_name = "FILE")]
        prometheus: Option<PathBuf>,
    },
    /// Is a backup directory healthy? Exit status 0 ok, 1 warning, 2 critical; --notify pushes alerts.
    Check(cmd::check::CheckArgs),
    /// What changed between two backups: schema items, sequence values, rows (also: compare).
    ///
    /// Exit status: 0 the same, 1 different, 2 trouble (an archive cannot be read).
    Diff {
        #[command(flatten)]
        keys: args::KeyArgs,
        /// The older archive.
        a: PathBuf,
        /// The newer archive.
        b: PathBuf,
        /// List unchanged tables too.
        #[arg(long)]
        all_tables: bool,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete old backups of a backup directory by retention rules (also: clean).
    Prune(cmd::prune::PruneArgs),
    /// Check the config file: every problem, with its key path.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Notifications: `notify test` sends a test message through each enabled channel.
    #[command(subcommand)]
    Notify(NotifyCommand),
    /// Run the schedules in-process (for containers without cron), one run at a time.
    Daemon {
        /// Serve /healthz and /metrics on this address (127.0.0.1:9187).
        #[arg(long)]
        listen: Option<String>,
        /// /healthz answers 503 when the newest backup is older than this (default: [alerts]
        /// max_age, else 26h); the other rules of [alerts] apply too.
        #[arg(long, value_parser = pgark_engine::parse_age)]
        max_age: Option<chrono::Duration>,
        /// Config file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Schedules: status, enable, disable, run, install (also: setup), remove.
    #[command(subcommand)]
    Schedule(cmd::schedule::ScheduleCommand),
    /// Set up backups in one step: a commented config (or the existing one), the backup directory,
    /// a check that every table can be read, a first dump and its verify.
    Init(cmd::init::InitArgs),
    /// Throwaway local PostgreSQL + sample data → dump → verify → restore → compare.
    Demo(cmd::demo::DemoArgs),
}

#[derive(Subcommand)]
enum NotifyCommand {
    /// Send a test message through each enabled channel and report each result.
    Test {
        /// Config file (default: $PGARK_CONFIG, else ./pgark.toml, else ./backup-config.json).
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate pgark.toml (or --config FILE, or $PGARK_CONFIG) and report every problem.
    Check {
        /// Config file (default: $PGARK_CONFIG, else ./pgark.toml).
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    // Like other command-line tools, end quietly when the reader of our output goes away
    // (`pgark restore --list | head`) instead of failing to print.
    // SAFETY: restores the default disposition of SIGPIPE before any thread starts.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    // A file-size limit (ulimit -f) reached while writing an archive is an error to report and
    // clean up after (EFBIG), not a signal that kills pgark with its partial file left behind.
    // SAFETY: as above.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    // A usage error exits with 64 (EX_USAGE), apart from check's 2 (critical); help and
    // --version with 0.
    let cli = match Cli::try_parse_from(with_aliases(std::env::args_os())) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { USAGE } else { 0 });
        }
    };
    if let Err(e) = pgark::clock::check() {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    progress::set_verbose(cli.verbose);
    progress::set_quiet(cli.quiet);
    if let Some(dir) = cli.backup_dir.clone() {
        config::set_backup_dir(dir);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The exit status of a command line pgark cannot parse (EX_USAGE of sysexits.h).
const USAGE: u8 = 64;

/// The original system's command names, as aliases: rewritten before parsing rather than declared
/// to clap, which would suggest them for unrelated words (`pgark list` → "validate").
const ALIASES: [(&str, &str); 5] =
    [("backup", "dump"), ("validate", "verify"), ("clean", "prune"), ("compare", "diff"), ("info", "inspect")];

/// `args` with the original system's command forms rewritten to pgark's: the first word that is
/// not an option replaced when it is an alias; `clean` deletes as the old tool did (`prune
/// --yes`, unless `--dry-run` asks for the plan only); `schedule setup` is `schedule install`.
fn with_aliases(args: impl Iterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = args.collect();
    // Words that are neither options nor the value of the one global option that takes one.
    let words: Vec<usize> = (1..args.len())
        .filter(|&i| !args[i].to_string_lossy().starts_with('-') && args[i - 1] != "--backup-dir")
        .collect();
    let Some(&first) = words.first() else { return args };
    let word = args[first].to_string_lossy().into_owned();
    if let Some((_, command)) = ALIASES.iter().find(|(alias, _)| *alias == word) {
        args[first] = (*command).into();
    }
    if word == "clean" && !args.iter().any(|a| a == "--dry-run" || a == "--yes") {
        args.push("--yes".into());
    }
    if let (true, Some(&second)) = (word == "schedule", words.get(1)) {
        if args[second] == "setup" {
            args[second] = "install".into();
        }
    }
    args
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Dump(args) => cmd::dump::run(args, cli.quiet).await,
        Command::Restore(mut args) => {
            args.archive = config::find_archive(args.archive, None);
            cmd::restore::run(args, cli.quiet).await
        }
        Command::Verify { mut archives, all, jobs, keys, config, json } => {
            if all && archives.len() <= 1 {
                archives = vec![config::backup_dir(archives.pop(), config.as_deref())?];
            } else if all {
                anyhow::bail!("--all takes one backup directory");
            }
            let notifications = config::Config::load_for_notices(config.as_deref())?.notifications;
            let archives: Vec<PathBuf> =
                archives.into_iter().map(|a| config::find_archive(a, config.as_deref())).collect();
            cmd::verify::run(&archives, &keys.or_config(config.as_deref())?, &notifications, jobs, json, cli.quiet)
        }
        Command::Drill(mut args) => {
            args.archive = config::find_archive(args.archive, args.config.as_deref());
            cmd::drill::run(args, cli.quiet).await
        }
        Command::Inspect { archive, keys, json } => {
            cmd::inspect::run(&config::find_archive(archive, None), &keys, json)
        }
        Command::Extract(mut args) => {
            args.archive = config::find_archive(args.archive, None);
            cmd::extract::run(args, cli.quiet)
        }
        Command::Cat { archive, keys, table, format, limit, columns } => {
            cmd::cat::run(&config::find_archive(archive, None), &keys, &table, format, limit, columns)
        }
        Command::List { dir, config, json } => cmd::list::run(&config::backup_dir(dir, config.as_deref())?, json),
        Command::Report { dir, config, json, prometheus } => {
            cmd::report::run(&config::backup_dir(dir, config.as_deref())?, json, prometheus.as_deref())
        }
        Command::Check(args) => cmd::check::run(args),
        Command::Diff { keys, a, b, all_tables, json } => {
            let (a, b) = (config::find_archive(a, None), config::find_archive(b, None));
            Ok(cmd::diff::run(&a, &b, &keys, json, all_tables))
        }
        Command::Prune(args) => cmd::prune::run(args),
        Command::Config(ConfigCommand::Check { config }) => cmd::config_check::run(config),
        Command::Schedule(command) => cmd::schedule::run(command),
        Command::Daemon { listen, max_age, config } => cmd::daemon::run(config, listen, max_age).await,
        Command::Notify(NotifyCommand::Test { config }) => cmd::notify::test(config),
        Command::Demo(args) => cmd::demo::run(args, cli.quiet).await,
        Command::Init(args) => cmd::init::run(args).await,
    }
}

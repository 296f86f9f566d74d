//! `pgark prune` (alias `clean`): retention for a backup directory, per series (database and
//! profile by default, `--group-by`); the newest full backup of each database that did not fail
//! verification is never deleted. Prints what each rule keeps and what would go, before
//! anything goes; deletes only with `--yes`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use pgark_engine::{list_backups, parse_age, plan_prune, GroupBy, PrunePlan, Retention};

use crate::config::Config;
use crate::units::bytes;

/// `pgark prune` arguments.
#[derive(Args)]
pub struct PruneArgs {
    /// The backup directory (default: backup_dir in pgark.toml), then optionally the original
    /// `clean [DAYS] [MAX]` form: DAYS as --max-age, MAX as --keep-last.
    #[arg(num_args = 0..=3)]
    pub args: Vec<String>,
    #[command(flatten)]
    pub rules: Retention,
    /// Delete (without it, prune only prints its plan).
    #[arg(long)]
    pub yes: bool,
    /// Print exactly what a run with --yes would delete, and delete nothing (the default
    /// without --yes; this flag says so explicitly).
    #[arg(long, conflicts_with = "yes")]
    pub dry_run: bool,
    /// Print the plan (and with --yes what was done) as JSON.
    #[arg(long)]
    pub json: bool,
    /// Config file (default: $PGARK_CONFIG, else ./pgark.toml if present).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Runs `pgark prune`.
pub fn run(args: PruneArgs) -> Result<ExitCode> {
    let config = Config::load(args.config.as_deref())?;
    let (dir, mut rules) = positional(&args.args)?;
    let dir = config.backup_dir_or(dir)?;
    rules.keep_last = args.rules.keep_last.or(rules.keep_last);
    rules.max_age = args.rules.max_age.or(rules.max_age);
    rules.keep_daily = args.rules.keep_daily;
    rules.keep_weekly = args.rules.keep_weekly;
    rules.keep_monthly = args.rules.keep_monthly;
    if rules.is_empty() {
        rules = config.retention.clone();
    }
    if args.rules.group_by != GroupBy::default() {
        rules.group_by = args.rules.group_by;
    }
    let plan = plan_prune(&list_backups(&dir)?, &rules, crate::clock::now())?;
    if args.json {
        let done = if args.yes { Some(plan.execute(&dir)?) } else { None };
        let value = serde_json::json!({"plan": plan, "done": done});
        println!("{}", serde_json::to_string_pretty(&value).context("encoding the plan")?);
        return Ok(ExitCode::SUCCESS);
    }
    // The plan is printed before anything is deleted.
    print_plan(&plan, args.yes);
    let done = if args.yes { Some(plan.execute(&dir)?) } else { None };
    match done {
        Some(done) => println!(
            "deleted {} archive(s), freed {}; removed {} stale partial file(s)",
            done.deleted.len(),
            bytes(done.freed_bytes),
            done.partials_removed.len()
        ),
        None if plan.delete.is_empty() && plan.stale_partials.is_empty() => println!("nothing to delete"),
        None => println!(
            "would delete {} archive(s) ({}) and {} stale partial file(s); run again with --yes to delete",
            plan.delete.len(),
            bytes(plan.delete.iter().map(|d| d.size).sum()),
            plan.stale_partials.len()
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// `[DIR] [DAYS] [MAX]`: the first word is the directory unless it is a number that names no
/// directory (the original `clean 30 10`).
fn positional(words: &[String]) -> Result<(Option<PathBuf>, Retention)> {
    let mut words = words.iter().peekable();
    let is_number = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit());
    let dir = match words.peek() {
        Some(w) if !is_number(w) || std::path::Path::new(w.as_str()).is_dir() => words.next().map(PathBuf::from),
        _ => None,
    };
    let mut rules = Retention::default();
    if let Some(days) = words.next() {
        rules.max_age = Some(parse_age(days).map_err(anyhow::Error::msg).context("DAYS")?);
    }
    if let Some(max) = words.next() {
        rules.keep_last = Some(max.parse().with_context(|| format!("MAX: '{max}' is not a number of backups"))?);
    }
    if let Some(extra) = words.next() {
        bail!("unexpected argument '{extra}' (prune [DIR] [DAYS] [MAX])");
    }
    Ok((dir, rules))
}

fn print_plan(plan: &PrunePlan, yes: bool) {
    let verb = if yes { "deleted" } else { "delete" };
    for k in &plan.keep {
        let (time, series) = (k.time.format("%Y-%m-%d %H:%M"), &k.series);
        println!("keep    {:<44} {time}  [{series}] {}", k.file, k.reasons.join(", "));
    }
    for d in &plan.delete {
        let (time, series) = (d.time.format("%Y-%m-%d %H:%M"), &d.series);
        println!("{verb:<7} {:<44} {time}  [{series}] {} ({})", d.file, d.why, bytes(d.size));
    }
    for p in &plan.stale_partials {
        println!("{verb:<7} {p:<44} a partial file older than a day (left if a dump still writes it)");
    }
    for (file, why) in &plan.untouched {
        println!("leave   {file:<44} {why}");
    }
}

//! `pgark extract ARCHIVE --format sql -o FILE`: an archive as a plain SQL script that psql
//! restores, with no pgark and no running database needed to make it. The output is written
//! to `FILE.partial` and takes its name only when complete; an existing file is never replaced.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use pgark_engine::{
    restore, write_directory, write_sql_script_with, write_table_files, Archive, RestoreOptions, RowFormat,
};

use crate::args::SelectArgs;
use crate::progress::Bars;

/// Formats `extract` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExtractFormat {
    /// One plain SQL script (like pg_dump -Fp) for `psql -f`.
    Sql,
    /// A directory: pre-data.sql, data files (COPY streams as stored), post-data.sql and a
    /// restore.sql that `\copy`s them in; carries every type.
    Dir,
    /// A directory with one CSV file (with a header row) per table.
    Csv,
    /// A directory with one JSON-lines file per table.
    Jsonl,
}

/// `pgark extract` arguments.
#[derive(Args)]
pub struct ExtractArgs {
    /// The archive.
    pub archive: PathBuf,
    /// The directory to create (the original `extract FILE [DIR]`): the same as `-o DIR`.
    #[arg(conflicts_with = "output")]
    pub dir: Option<PathBuf>,
    /// What to write (default: sql when the output's name ends in .sql, .sql.gz or .sql.zst or is
    /// `-`; else dir).
    #[arg(long, value_enum)]
    pub format: Option<ExtractFormat>,
    /// The file to write (`-` for standard output); for the directory formats, the directory to
    /// create (default: the archive's name without .pgark, in the current folder).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// With --format sql: rows as INSERT statements instead of COPY, with no psql meta-command,
    /// so the script runs in any SQL client (the Supabase dashboard's SQL editor). Slower to
    /// restore than COPY. The columns are always named.
    #[arg(long)]
    pub inserts: bool,
    /// As --inserts (pg_dump's name for INSERTs with column names, which pgark always writes).
    #[arg(long)]
    pub column_inserts: bool,
    /// Rows per INSERT statement (implies --inserts).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rows_per_insert: Option<u32>,
    /// Add ON CONFLICT DO NOTHING to each INSERT (needs --inserts, --column-inserts or
    /// --rows-per-insert).
    #[arg(long)]
    pub on_conflict_do_nothing: bool,
    /// Compress the output with gzip.
    #[arg(long, conflicts_with = "zstd")]
    pub gzip: bool,
    /// Compress the output with zstd.
    #[arg(long)]
    pub zstd: bool,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub keys: crate::args::KeyArgs,
}

impl ExtractArgs {
    /// The output (`-o`, the positional directory, else the archive's name without `.pgark`) and
    /// the format (given, else by the output's name).
    /// The INSERT options, when rows are to be INSERTs.
    fn inserts(&self) -> Result<Option<pgark_engine::InsertOptions>> {
        let on = self.inserts || self.column_inserts || self.rows_per_insert.is_some();
        if !on {
            if self.on_conflict_do_nothing {
                bail!("--on-conflict-do-nothing needs --inserts, --column-inserts or --rows-per-insert");
            }
            return Ok(None);
        }
        Ok(Some(pgark_engine::InsertOptions {
            rows_per_insert: self.rows_per_insert.unwrap_or(1) as usize,
            on_conflict_do_nothing: self.on_conflict_do_nothing,
        }))
    }

    fn target(&self) -> Result<(ExtractFormat, PathBuf)> {
        let output = match self.output.clone().or_else(|| self.dir.clone()) {
            Some(o) => o,
            None => {
                let stem = self.archive.file_stem().context("the archive has no file name")?;
                PathBuf::from(stem)
            }
        };
        let name = output.to_string_lossy();
        let sql = name == "-" || [".sql", ".sql.gz", ".sql.zst"].iter().any(|x| name.ends_with(x));
        let inserts = self.inserts || self.column_inserts || self.rows_per_insert.is_some();
        let format = self.format.unwrap_or(if sql || inserts { ExtractFormat::Sql } else { ExtractFormat::Dir });
        if inserts && format != ExtractFormat::Sql {
            bail!("--inserts writes a SQL script: use it with --format sql");
        }
        if format == ExtractFormat::Sql && self.dir.is_some() {
            bail!("--format sql writes one file: give it with -o FILE, not as a directory");
        }
        Ok((format, output))
    }
}

/// Runs `pgark extract`.
pub fn run(args: ExtractArgs, quiet: bool) -> Result<ExitCode> {
    let (format, output) = args.target()?;
    let inserts = args.inserts()?;
    let archive = args.keys.open(&args.archive)?;
    // The script goes into an empty database: what a restore with --create would run.
    let options = RestoreOptions { create: true, ..args.select.clone().options() };
    let plan = restore::prepare(&archive, &options)?;
    let tables: Vec<_> = plan.chunks.iter().map(|&(t, _)| archive.manifest().tables[t].clone()).collect();
    if let Some(warning) = pgark_engine::SourceFacts::of(archive.manifest()).money_warning(&tables) {
        eprintln!("warning: {warning}");
    }
    for notice in &plan.notices {
        eprintln!("notice: {notice}");
    }
    if format != ExtractFormat::Sql {
        return directory(&archive, &plan, &args, format, &output, quiet);
    }
    let to_stdout = output == Path::new("-");
    let bars = Bars::new(quiet || to_stdout);
    let (file, partial) =
        if to_stdout { (None, None) } else { create_partial(&output).map(|(f, p)| (Some(f), Some(p)))? };
    let sink: Box<dyn Write> = match file {
        Some(f) => Box::new(f),
        None => Box::new(std::io::stdout().lock()),
    };
    let result = (|| -> Result<pgark_engine::ScriptSummary> {
        let mut out = compressor(BufWriter::with_capacity(1 << 20, sink), args.gzip, args.zstd)?;
        let summary = write_sql_script_with(&archive, &plan, inserts.as_ref(), &mut *out, &bars)?;
        out.finish()?;
        Ok(summary)
    })();
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            if let Some(p) = &partial {
                let _ = std::fs::remove_file(p);
            }
            return Err(e);
        }
    };
    if let Some(partial) = partial {
        publish(&partial, &output)?;
        if !crate::progress::is_quiet() {
            eprintln!(
                "wrote {}: {} statements, {} tables, {} rows",
                output.display(),
                summary.statements,
                summary.tables,
                summary.rows
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--format dir|csv|jsonl`: written into `DIR.partial`, renamed to DIR when complete.
fn directory(
    archive: &Archive,
    plan: &restore::RestorePlan,
    args: &ExtractArgs,
    format: ExtractFormat,
    output: &Path,
    quiet: bool,
) -> Result<ExitCode> {
    if args.gzip || args.zstd {
        bail!("--gzip and --zstd are for --format sql");
    }
    let dir = output;
    if dir.exists() {
        bail!("{} already exists; pgark does not write into it (choose another name or delete it)", dir.display());
    }
    let mut partial = dir.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    // Its files hold the database's contents: the folder is its owner's only.
    std::os::unix::fs::DirBuilderExt::mode(&mut std::fs::DirBuilder::new(), 0o700)
        .create(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let bars = Bars::new(quiet);
    let written = match format {
        ExtractFormat::Csv => write_table_files(archive, plan, &partial, RowFormat::Csv, &bars),
        ExtractFormat::Jsonl => write_table_files(archive, plan, &partial, RowFormat::Jsonl, &bars),
        _ => write_directory(archive, plan, &partial, &bars),
    };
    let summary = match written {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&partial);
            return Err(e.into());
        }
    };
    if dir.exists() {
        let _ = std::fs::remove_dir_all(&partial);
        bail!("{} appeared while the extract ran; not replacing it", dir.display());
    }
    std::fs::rename(&partial, dir).with_context(|| format!("cannot name the output {}", dir.display()))?;
    if crate::progress::is_quiet() {
        return Ok(ExitCode::SUCCESS);
    }
    if format == ExtractFormat::Dir {
        eprintln!(
            "wrote {}: {} statements, {} tables, {} rows; restore with: cd {} && psql -X -v ON_ERROR_STOP=1 -d DATABASE -f restore.sql",
            dir.display(),
            summary.statements,
            summary.tables,
            summary.rows,
            dir.display()
        );
    } else {
        eprintln!("wrote {}: {} tables, {} rows", dir.display(), summary.tables, summary.rows);
    }
    Ok(ExitCode::SUCCESS)
}

/// A writer that finishes its compressed stream.
trait Finish: Write {
    fn finish(self: Box<Self>) -> Result<()>;
}

impl<W: Write> Finish for BufWriter<W> {
    fn finish(mut self: Box<Self>) -> Result<()> {
        self.flush().context("writing the output")?;
        let inner = self.into_inner().map_err(|e| e.into_error()).context("writing the output")?;
        drop(inner);
        Ok(())
    }
}

impl<W: Write> Finish for flate2::write::GzEncoder<W> {
    fn finish(self: Box<Self>) -> Result<()> {
        let mut inner = flate2::write::GzEncoder::finish(*self).context("writing the output")?;
        inner.flush().context("writing the output")
    }
}

impl<W: Write> Finish for zstd::stream::write::Encoder<'static, W> {
    fn finish(self: Box<Self>) -> Result<()> {
        let mut inner = zstd::stream::write::Encoder::finish(*self).context("writing the output")?;
        inner.flush().context("writing the output")
    }
}

fn compressor<W: Write + 'static>(w: W, gzip: bool, zstd: bool) -> Result<Box<dyn Finish>> {
    Ok(if gzip {
        Box::new(flate2::write::GzEncoder::new(w, flate2::Compression::default()))
    } else if zstd {
        Box::new(zstd::stream::write::Encoder::new(w, 3).context("starting zstd")?)
    } else {
        Box::new(BufWriter::new(w))
    })
}

/// `FILE.partial`, created exclusively; refuses when FILE exists.
fn create_partial(path: &Path) -> Result<(File, PathBuf)> {
    if path.exists() {
        bail!("{} already exists; pgark does not overwrite it (choose another name or delete it)", path.display());
    }
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    Ok((file, partial))
}

/// Gives the complete output its name, never over a file that appeared meanwhile.
fn publish(partial: &Path, path: &Path) -> Result<()> {
    std::fs::hard_link(partial, path)
        .or_else(|e| if path.exists() { Err(e) } else { std::fs::rename(partial, path) })
        .with_context(|| format!("cannot name the output {}", path.display()))?;
    let _ = std::fs::remove_file(partial);
    Ok(())
}

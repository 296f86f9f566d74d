//! `pgark-bench`: pgark side by side with pg_dump / pg_restore on one server, in one run.
//!
//! Builds the dataset from `../shared/bench/mixed.sql` on a throwaway cluster (or uses `--url`),
//! then alternates every tool `--runs` times and reports medians of wall time, client CPU time,
//! peak RSS and output size, and the ratio pgark / anchor, as markdown (or `--json`). A second,
//! TOAST-heavy database (`toast_heavy`: large text values stored EXTERNAL, most bytes in TOAST)
//! compares the restores where per-value work dominates.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use pgark_engine::LocalCluster;
use serde_json::json;

#[derive(Parser)]
#[command(about = "Compare pgark with pg_dump/pg_restore on the mixed benchmark dataset")]
struct Args {
    /// Dataset scale (1 ≈ 1 GB on disk).
    #[arg(long, default_value_t = 1)]
    scale: u32,
    /// Rounds; every tool runs once per round, alternating.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Parallel jobs for every tool.
    #[arg(long, short, default_value_t = 2)]
    jobs: usize,
    /// Use this server (its database must hold the dataset; a database `events_only` holding only
    /// bench.events and one `toast_heavy` made by `TOAST_HEAVY` add those comparisons) instead of
    /// a throwaway cluster.
    #[arg(long)]
    url: Option<String>,
    /// The dataset script.
    #[arg(long, default_value = "../shared/bench/mixed.sql")]
    dataset: PathBuf,
    /// Print JSON instead of a markdown table.
    #[arg(long)]
    json: bool,
}

/// One measured run of a command.
#[derive(Clone, Copy, Debug)]
struct Sample {
    wall: f64,
    cpu: f64,
    rss_mib: f64,
    bytes: u64,
}

/// Runs a command and measures it with `wait4` (wall time, user+system CPU, peak RSS).
/// `pgark restore -q -j JOBS --db URL` without the planner-statistics step (pg_restore, which it
/// is compared with, neither analyzes nor restores statistics; "ANALYZE after restore" is timed
/// on its own); the caller adds the archive.
fn pgark_restore_command(pgark: &Path, jobs: &str, url: &str) -> Command {
    let mut cmd = Command::new(pgark);
    cmd.args(["restore", "-q", "-j", jobs, "--no-statistics", "--no-analyze", "--db", url])
        .stdout(std::process::Stdio::null());
    cmd
}

fn measure(cmd: &mut Command) -> Result<Sample> {
    let started = Instant::now();
    let child = cmd.spawn().with_context(|| format!("starting {cmd:?}"))?;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; status and usage are valid out-pointers.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let wall = started.elapsed().as_secs_f64();
    if pid < 0 {
        bail!("wait4 failed for {cmd:?}");
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        bail!("{cmd:?} failed (status {status})");
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Sample {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        rss_mib: usage.ru_maxrss as f64 / 1024.0,
        bytes: 0,
    })
}

fn size_of(path: &Path) -> u64 {
    if path.is_dir() {
        std::fs::read_dir(path).map(|d| d.flatten().map(|e| size_of(&e.path())).sum()).unwrap_or(0)
    } else {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The TOAST-heavy database: 10,000 rows of 20 kB hex text per scale (200 MB), stored uncompressed
/// (`EXTERNAL`), so restoring it is writing TOAST; `SCALE` is replaced by the scale.
const TOAST_HEAVY: &str = "CREATE SCHEMA bench; \
    CREATE TABLE bench.docs (id bigint PRIMARY KEY, title text NOT NULL, body text); \
    ALTER TABLE bench.docs ALTER COLUMN body SET STORAGE EXTERNAL; \
    INSERT INTO bench.docs SELECT i, 'doc ' || i, \
      (SELECT pg_catalog.string_agg(md5(i::text || '.' || j::text), '') FROM generate_series(1, 640) j) \
    FROM generate_series(1, 10000 * SCALE) i;";

struct Conn {
    host: String,
    port: String,
    user: String,
    db: String,
}

impl Conn {
    fn url(&self, db: &str) -> String {
        format!("postgres://{}@{}:{}/{db}?sslmode=disable", self.user, self.host, self.port)
    }
    fn tool(&self, bin: &Path, name: &str) -> Command {
        let mut c = Command::new(bin.join(name));
        c.args(["-h", &self.host, "-p", &self.port, "-U", &self.user]);
        c
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    let bin = pgark_engine::find_server_binaries()?;
    let pgark = std::env::current_exe()?.with_file_name("pgark");
    if !pgark.is_file() {
        bail!("{} not found: run `cargo build --release -p pgark` first", pgark.display());
    }
    let _cluster;
    let conn = match &args.url {
        Some(url) => {
            let u = url::Url::parse(url).context("--url")?;
            Conn {
                host: u.host_str().unwrap_or("127.0.0.1").to_string(),
                port: u.port().unwrap_or(5432).to_string(),
                user: if u.username().is_empty() { "postgres".into() } else { u.username().to_string() },
                db: u.path().trim_start_matches('/').to_string(),
            }
        }
        None => {
            eprintln!("starting a throwaway cluster and loading {} (scale={}) …", args.dataset.display(), args.scale);
            let cluster = LocalCluster::start()?;
            let conn = Conn {
                host: "127.0.0.1".into(),
                port: cluster.port().to_string(),
                user: "postgres".into(),
                db: "mixed".into(),
            };
            run(conn.tool(&bin, "createdb").arg("mixed"))?;
            let started = Instant::now();
            run(conn
                .tool(&bin, "psql")
                .args(["-q", "-X", "-v", "ON_ERROR_STOP=1", "-v"])
                .arg(format!("scale={}", args.scale))
                .arg("-f")
                .arg(&args.dataset)
                .arg("mixed"))?;
            // A database holding only bench.events: a file-level copy, then drop the rest.
            run(conn.tool(&bin, "createdb").args(["-T", "mixed", "events_only"]))?;
            run(conn.tool(&bin, "psql").args([
                "-q",
                "-X",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                "ALTER TABLE bench.events DROP CONSTRAINT events_user_id_fkey; DROP TABLE bench.users; \
                 DO $$ DECLARE n int; BEGIN FOR n IN 1..300 LOOP \
                 EXECUTE format('DROP TABLE bench.small_%s', lpad(n::text, 3, '0')); END LOOP; END $$;",
                "events_only",
            ]))?;
            run(conn.tool(&bin, "createdb").arg("toast_heavy"))?;
            let toast = TOAST_HEAVY.replace("SCALE", &args.scale.to_string());
            run(conn.tool(&bin, "psql").args(["-q", "-X", "-v", "ON_ERROR_STOP=1", "-c", &toast, "toast_heavy"]))?;
            eprintln!("dataset ready in {:.0} s", started.elapsed().as_secs_f64());
            _cluster = cluster;
            conn
        }
    };
    // The throwaway cluster has a database holding only bench.events; with --url, when it exists.
    let exists = |db: &str| -> Result<bool> {
        let sql = format!("SELECT 1 FROM pg_database WHERE datname = '{db}'");
        let out = conn.tool(&bin, "psql").args(["-X", "-A", "-t", "-c", &sql, &conn.db]).output()?;
        Ok(String::from_utf8_lossy(&out.stdout).trim() == "1")
    };
    let has_events_only = args.url.is_none() || exists("events_only")?;
    let has_toast_heavy = args.url.is_none() || exists("toast_heavy")?;
    let jobs = args.jobs.to_string();
    let work = tempfile::tempdir()?;
    let w = |name: &str| work.path().join(name);
    let mut results: Vec<(&str, Vec<Sample>)> = Vec::new();
    let mut record = |name: &'static str, s: Sample| match results.iter_mut().find(|(n, _)| *n == name) {
        Some((_, v)) => v.push(s),
        None => results.push((name, vec![s])),
    };
    // An age key for the encrypted runs.
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let identity_file = w("bench-identity.txt");
    {
        use age::secrecy::ExposeSecret;
        std::fs::write(&identity_file, identity.to_string().expose_secret())?;
    }
    for round in 0..args.runs {
        eprintln!("round {} of {} …", round + 1, args.runs);
        for p in ["gz", "z0", "ev_gz", "a.pgark", "ev.pgark", "toast_gz", "toast.pgark", "pg.sql", "pgark.sql"] {
            let _ = std::fs::remove_dir_all(w(p));
            let _ = std::fs::remove_file(w(p));
        }
        let mut s = measure(conn.tool(&bin, "pg_dump").args(["-Fd", "-j", &jobs, "-f"]).arg(w("gz")).arg(&conn.db))?;
        s.bytes = size_of(&w("gz"));
        record("pg_dump -Fd (default compression)", s);
        let mut s =
            measure(conn.tool(&bin, "pg_dump").args(["-Fd", "-Z0", "-j", &jobs, "-f"]).arg(w("z0")).arg(&conn.db))?;
        s.bytes = size_of(&w("z0"));
        record("pg_dump -Fd -Z0", s);
        let mut s = measure(
            Command::new(&pgark)
                .args(["dump", "-q", "-j", &jobs, "--db", &conn.url(&conn.db), "-o"])
                .arg(w("a.pgark"))
                .stdout(std::process::Stdio::null()),
        )?;
        s.bytes = size_of(&w("a.pgark"));
        record("pgark dump", s);
        let s =
            measure(Command::new(&pgark).args(["verify", "-q"]).arg(w("a.pgark")).stdout(std::process::Stdio::null()))?;
        record("pgark verify", s);
        // Encryption's cost: the same dump and a restore of it, encrypted to an age key.
        let _ = std::fs::remove_file(w("enc.pgark"));
        let mut s = measure(
            Command::new(&pgark)
                .args(["dump", "-q", "-j", &jobs, "--db", &conn.url(&conn.db), "--encrypt-to", &recipient, "-o"])
                .arg(w("enc.pgark"))
                .stdout(std::process::Stdio::null()),
        )?;
        s.bytes = size_of(&w("enc.pgark"));
        record("pgark dump --encrypt-to", s);
        let s = measure(
            Command::new(&pgark)
                .args(["verify", "-q", "--identity"])
                .arg(&identity_file)
                .arg(w("enc.pgark"))
                .stdout(std::process::Stdio::null()),
        )?;
        record("pgark verify, encrypted", s);
        // Plain SQL out of a backup: pg_restore -f from pg_dump's directory, pgark extract.
        let mut s = measure(conn.tool(&bin, "pg_restore").arg("-f").arg(w("pg.sql")).arg(w("gz")))?;
        s.bytes = size_of(&w("pg.sql"));
        record("pg_restore -f (plain SQL from -Fd)", s);
        let mut s = measure(
            Command::new(&pgark)
                .args(["extract", "-q", "--format", "sql", "-o"])
                .arg(w("pgark.sql"))
                .arg(w("a.pgark"))
                .stderr(std::process::Stdio::null()),
        )?;
        s.bytes = size_of(&w("pgark.sql"));
        record("pgark extract --format sql", s);
        if has_events_only {
            let mut s = measure(
                conn.tool(&bin, "pg_dump").args(["-Fd", "-j", &jobs, "-f"]).arg(w("ev_gz")).arg("events_only"),
            )?;
            s.bytes = size_of(&w("ev_gz"));
            record("pg_dump -Fd, bench.events only", s);
            let mut s = measure(
                Command::new(&pgark)
                    .args(["dump", "-q", "-j", &jobs, "--db", &conn.url("events_only"), "-o"])
                    .arg(w("ev.pgark"))
                    .stdout(std::process::Stdio::null()),
            )?;
            s.bytes = size_of(&w("ev.pgark"));
            record("pgark dump, bench.events only", s);
        }
        for db in ["bench_r1", "bench_r2"] {
            run(conn.tool(&bin, "dropdb").args(["--if-exists", db]))?;
            run(conn.tool(&bin, "createdb").arg(db))?;
        }
        // Each restore starts from a clean server and page cache (no dirty buffers, checkpoint or
        // kernel writeback left by the previous one), and the two restores take turns going first.
        let checkpoint = || -> Result<()> {
            run(conn.tool(&bin, "psql").args(["-X", "-q", "-c", "CHECKPOINT", "bench_r1"]))?;
            // SAFETY: sync(2) takes no arguments and cannot fail.
            unsafe { libc::sync() };
            Ok(())
        };
        let pg_restore = || -> Result<Sample> {
            checkpoint()?;
            measure(conn.tool(&bin, "pg_restore").args(["-j", &jobs, "-d", "bench_r1"]).arg(w("gz")))
        };
        let pgark_restore = || -> Result<Sample> {
            checkpoint()?;
            measure(pgark_restore_command(&pgark, &jobs, &conn.url("bench_r2")).arg(w("a.pgark")))
        };
        if round % 2 == 0 {
            record("pg_restore", pg_restore()?);
            record("pgark restore", pgark_restore()?);
        } else {
            record("pgark restore", pgark_restore()?);
            record("pg_restore", pg_restore()?);
        }
        // What a restore's planner-statistics step costs where the server cannot import them
        // (before PostgreSQL 18): ANALYZE of the restored database.
        record(
            "ANALYZE after restore",
            measure(conn.tool(&bin, "psql").args(["-X", "-q", "-c", "ANALYZE", "bench_r2"]))?,
        );
        run(conn.tool(&bin, "dropdb").args(["--if-exists", "bench_r4"]))?;
        run(conn.tool(&bin, "createdb").arg("bench_r4"))?;
        checkpoint()?;
        let s = measure(
            pgark_restore_command(&pgark, &jobs, &conn.url("bench_r4"))
                .arg("--identity")
                .arg(&identity_file)
                .arg(w("enc.pgark")),
        )?;
        record("pgark restore, encrypted", s);
        if has_toast_heavy {
            toast_round(&conn, &bin, &pgark, &jobs, work.path(), round, &mut record)?;
        }
        // pgcopydb copies database to database: compare it with pgark dump + restore.
        if let Some(pgcopydb) = which("pgcopydb") {
            run(conn.tool(&bin, "dropdb").args(["--if-exists", "bench_r3"]))?;
            run(conn.tool(&bin, "createdb").arg("bench_r3"))?;
            let dir = w("pgcopydb");
            let _ = std::fs::remove_dir_all(&dir);
            let s = measure(
                Command::new(pgcopydb)
                    .args(["clone", "--source", &conn.url(&conn.db), "--target", &conn.url("bench_r3")])
                    .args(["--table-jobs", &jobs, "--index-jobs", &jobs, "--dir"])
                    .arg(&dir)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null()),
            )?;
            record("pgcopydb clone", s);
        }
    }
    let med = |name: &str| -> Option<(f64, f64, f64, f64)> {
        let v = &results.iter().find(|(n, _)| *n == name)?.1;
        Some((
            median(v.iter().map(|s| s.wall).collect()),
            median(v.iter().map(|s| s.cpu).collect()),
            median(v.iter().map(|s| s.rss_mib).collect()),
            median(v.iter().map(|s| s.bytes as f64).collect()),
        ))
    };
    let raw_bytes = {
        let archive = pgark_engine::Archive::open(&w("a.pgark"))?;
        archive.manifest().total_raw_bytes() as f64
    };
    let comparisons = [
        ("dump wall vs pg_dump -Fd", "pgark dump", "pg_dump -Fd (default compression)", 0),
        ("dump wall vs pg_dump -Fd -Z0", "pgark dump", "pg_dump -Fd -Z0", 0),
        (
            "bench.events only: dump wall vs pg_dump -Fd",
            "pgark dump, bench.events only",
            "pg_dump -Fd, bench.events only",
            0,
        ),
        ("restore wall vs pg_restore", "pgark restore", "pg_restore", 0),
        ("plain SQL wall vs pg_restore -f", "pgark extract --format sql", "pg_restore -f (plain SQL from -Fd)", 0),
        ("TOAST-heavy: restore wall vs pg_restore", "pgark restore, TOAST-heavy", "pg_restore, TOAST-heavy", 0),
        ("archive size vs pg_dump -Fd", "pgark dump", "pg_dump -Fd (default compression)", 3),
        ("encrypted dump wall vs pgark dump", "pgark dump --encrypt-to", "pgark dump", 0),
        ("encrypted restore wall vs pgark restore", "pgark restore, encrypted", "pgark restore", 0),
        ("encrypted verify wall vs pgark verify", "pgark verify, encrypted", "pgark verify", 0),
    ];
    // pgark dump + restore against pgcopydb's direct copy, when it ran.
    let pair = |a: &str, b: &str| Some(med(a)?.0 + med(b)?.0);
    let copy_ratio = pair("pgark dump", "pgark restore").zip(med("pgcopydb clone")).map(|(x, y)| x / y.0);
    if args.json {
        let tools: Vec<_> = results
            .iter()
            .map(|(n, _)| {
                let (wall, cpu, rss, bytes) = med(n).expect("recorded");
                json!({"tool": n, "wall_s": wall, "cpu_s": cpu, "peak_rss_mib": rss, "bytes": bytes})
            })
            .collect();
        let ratios: Vec<_> = comparisons
            .iter()
            .filter_map(|(label, a, b, i)| {
                let (x, y) = (med(a)?, med(b)?);
                let pick = |t: (f64, f64, f64, f64)| [t.0, t.1, t.2, t.3][*i];
                Some(json!({"measure": label, "ratio": pick(x) / pick(y)}))
            })
            .collect();
        let verify = med("pgark verify").map(|v| raw_bytes / v.0 / 1e9);
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"scale": args.scale, "jobs": args.jobs, "runs": args.runs, "tools": tools, "ratios": ratios, "verify_gb_per_s": verify})
            )?
        );
        return Ok(());
    }
    println!("scale={}, jobs={}, medians of {} runs, client-side CPU and peak RSS\n", args.scale, args.jobs, args.runs);
    println!("| tool | wall s | CPU s | peak RSS MiB | output MB |");
    println!("|---|---:|---:|---:|---:|");
    for (n, _) in &results {
        let (wall, cpu, rss, bytes) = med(n).expect("recorded");
        let out = if bytes > 0.0 { format!("{:.1}", bytes / 1e6) } else { "–".into() };
        println!("| {n} | {wall:.2} | {cpu:.2} | {rss:.0} | {out} |");
    }
    println!("\n| measure | ratio pgark / anchor |");
    println!("|---|---:|");
    for (label, a, b, i) in comparisons {
        if let (Some(x), Some(y)) = (med(a), med(b)) {
            let pick = |t: (f64, f64, f64, f64)| [t.0, t.1, t.2, t.3][i];
            println!("| {label} | {:.2}× |", pick(x) / pick(y));
        }
    }
    if let Some(v) = med("pgark verify") {
        println!("| verify throughput (raw bytes) | {:.2} GB/s |", raw_bytes / v.0 / 1e9);
    }
    match copy_ratio {
        Some(r) => println!("| dump + restore vs pgcopydb clone | {r:.2}× |"),
        None => println!("\n(pgcopydb not installed: `apt-get install pgcopydb` adds the clone comparison)"),
    }
    Ok(())
}

/// One round on the TOAST-heavy database: both dumps, then both restores after a checkpoint,
/// taking turns going first.
fn toast_round(
    conn: &Conn,
    bin: &Path,
    pgark: &Path,
    jobs: &str,
    work: &Path,
    round: usize,
    record: &mut dyn FnMut(&'static str, Sample),
) -> Result<()> {
    let (gz, archive) = (work.join("toast_gz"), work.join("toast.pgark"));
    let mut s = measure(conn.tool(bin, "pg_dump").args(["-Fd", "-j", jobs, "-f"]).arg(&gz).arg("toast_heavy"))?;
    s.bytes = size_of(&gz);
    record("pg_dump -Fd, TOAST-heavy", s);
    let mut s = measure(
        Command::new(pgark)
            .args(["dump", "-q", "-j", jobs, "--db", &conn.url("toast_heavy"), "-o"])
            .arg(&archive)
            .stdout(std::process::Stdio::null()),
    )?;
    s.bytes = size_of(&archive);
    record("pgark dump, TOAST-heavy", s);
    for db in ["bench_t1", "bench_t2"] {
        run(conn.tool(bin, "dropdb").args(["--if-exists", db]))?;
        run(conn.tool(bin, "createdb").arg(db))?;
    }
    let checkpoint = || -> Result<()> {
        run(conn.tool(bin, "psql").args(["-X", "-q", "-c", "CHECKPOINT", "bench_t1"]))?;
        // SAFETY: sync(2) takes no arguments and cannot fail.
        unsafe { libc::sync() };
        Ok(())
    };
    let pg_restore = || -> Result<Sample> {
        checkpoint()?;
        measure(conn.tool(bin, "pg_restore").args(["-j", jobs, "-d", "bench_t1"]).arg(&gz))
    };
    let pgark_restore = || -> Result<Sample> {
        checkpoint()?;
        measure(pgark_restore_command(pgark, jobs, &conn.url("bench_t2")).arg(&archive))
    };
    if round.is_multiple_of(2) {
        record("pg_restore, TOAST-heavy", pg_restore()?);
        record("pgark restore, TOAST-heavy", pgark_restore()?);
    } else {
        record("pgark restore, TOAST-heavy", pgark_restore()?);
        record("pg_restore, TOAST-heavy", pg_restore()?);
    }
    Ok(())
}

/// The path of `program` if it is on `$PATH`.
fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(program)).find(|p| p.is_file())
}

fn run(cmd: &mut Command) -> Result<()> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

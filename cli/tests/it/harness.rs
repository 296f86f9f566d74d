//! The test harness: a cluster started once per test binary (stopped at process exit), a fresh
//! database per test, fixture loading, fingerprints and schema dumps for comparisons.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use pgark_engine::{
    dump, fingerprint_tables, ident, literal, restore, Archive, ConnectOptions, DumpOptions, Fingerprint, LocalCluster,
    NoProgress, RestoreOptions, RestoreSummary, Target,
};

struct Shared {
    cluster: Mutex<Option<LocalCluster>>,
    port: u16,
    bin: PathBuf,
    major: u32,
}

static SHARED: OnceLock<Shared> = OnceLock::new();

extern "C" fn stop_cluster() {
    if let Some(s) = SHARED.get() {
        if let Ok(mut c) = s.cluster.lock() {
            c.take();
        }
    }
}

fn shared() -> &'static Shared {
    SHARED.get_or_init(|| {
        let cluster = LocalCluster::start().expect("starting the test cluster");
        // SAFETY: registers a plain function; the test binary exits through libc's exit.
        unsafe { libc::atexit(stop_cluster) };
        let major = major_of(cluster.bin_dir());
        Shared { port: cluster.port(), bin: cluster.bin_dir().to_path_buf(), major, cluster: Mutex::new(Some(cluster)) }
    })
}

/// The cluster's data directory (to edit pg_hba.conf, install certificates).
pub fn data_dir() -> PathBuf {
    shared().cluster.lock().unwrap().as_ref().expect("cluster running").data_dir()
}

/// A URL for database `db` on the test cluster.
pub fn url(db: &str) -> String {
    format!("postgres://postgres@127.0.0.1:{}/{db}?sslmode=disable", shared().port)
}

/// The server binaries' directory.
pub fn bin_dir() -> PathBuf {
    shared().bin.clone()
}

/// The test cluster's port.
pub fn port() -> u16 {
    shared().port
}

/// A connection target for database `db`.
pub fn target(db: &str) -> Target {
    Target::resolve(&ConnectOptions { url: Some(url(db)), project_ref: None }).unwrap()
}

/// Runs SQL on database `db`.
pub async fn exec(db: &str, sql: &str) {
    let c = target(db).connect().await.unwrap();
    c.batch_execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e:?}"));
}

/// A connected client.
pub async fn client(db: &str) -> tokio_postgres::Client {
    target(db).connect().await.unwrap()
}

/// The one value `sql` returns in database `db`.
pub async fn value<T: for<'a> tokio_postgres::types::FromSql<'a>>(db: &str, sql: &str) -> T {
    client(db).await.query_one(sql, &[]).await.unwrap_or_else(|e| panic!("{sql}: {e:?}")).get(0)
}

/// Creates an empty database `name` (dropping an old one).
pub async fn fresh_db(name: &str) -> String {
    exec("postgres", &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
    exec("postgres", &format!("CREATE DATABASE \"{name}\"")).await;
    name.to_string()
}

/// The major version of the server binaries in `bin` (`postgres --version`).
pub fn major_of(bin: &Path) -> u32 {
    let out = Command::new(bin.join("postgres")).arg("--version").output().expect("postgres --version");
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.split_whitespace().last().unwrap_or_default();
    version.split('.').next().and_then(|m| m.parse().ok()).unwrap_or_else(|| panic!("cannot read {text:?}"))
}

/// A fixture from testdata/, as the test cluster's version takes it.
pub fn fixture(name: &str) -> String {
    fixture_for(name, shared().major)
}

/// A fixture's lines for one major version: a line ending in `-- pgN+` needs version N or
/// later, one ending in `-- pg<N` an earlier one.
pub fn fixture_for(name: &str, major: u32) -> String {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata").join(name)).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        let keep = match line.rsplit_once("-- pg") {
            Some((_, rest)) if rest.starts_with('<') => rest[1..].trim().parse::<u32>().map_or(true, |n| major < n),
            Some((_, rest)) if rest.trim().ends_with('+') => {
                rest.trim().trim_end_matches('+').parse::<u32>().map_or(true, |n| major >= n)
            }
            _ => true,
        };
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Fingerprints of every table in `db`.
pub async fn fingerprints(db: &str) -> BTreeMap<String, Fingerprint> {
    fingerprint_tables(&client(db).await).await.unwrap()
}

/// `pg_dump --schema-only` of `db`, without the random `\restrict` lines.
pub fn schema_dump(db: &str) -> String {
    let pg_dump = [shared().bin.join("pg_dump"), PathBuf::from("pg_dump")]
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| "pg_dump".into());
    let out = Command::new(pg_dump)
        .args(["--schema-only", "-h", "127.0.0.1", "-p", &port().to_string(), "-U", "postgres", db])
        .output()
        .expect("running pg_dump");
    assert!(out.status.success(), "pg_dump: {}", String::from_utf8_lossy(&out.stderr));
    comparable(out.stdout)
}

/// pg_dump's output without the `\\restrict` lines, whose key is random per run.
pub fn comparable(pg_dump_output: Vec<u8>) -> String {
    String::from_utf8(pg_dump_output)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A login role that must give `password` over TCP (scram), created once per cluster.
pub async fn password_login_role(role: &str, password: &str) {
    exec(
        "postgres",
        &format!(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {0}) THEN
               CREATE ROLE {1} LOGIN PASSWORD {2}; END IF; END $$",
            literal(role),
            ident(role),
            literal(password)
        ),
    )
    .await;
    // Tests run in parallel: one edit of pg_hba.conf at a time.
    static HBA: Mutex<()> = Mutex::new(());
    let added = {
        let _one = HBA.lock().unwrap();
        let hba = data_dir().join("pg_hba.conf");
        let current = std::fs::read_to_string(&hba).unwrap();
        let line = format!("host all {role} 127.0.0.1/32 scram-sha-256\n");
        let added = !current.contains(&line);
        if added {
            std::fs::write(&hba, format!("{line}{current}")).unwrap();
        }
        added
    };
    if added {
        exec("postgres", "SELECT pg_reload_conf()").await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}

/// A temporary directory for archives.
pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Dumps `db` into `path` with `options`.
pub async fn dump_db(db: &str, path: &Path, options: &DumpOptions) -> dump::DumpSummary {
    let plan = dump::prepare(&target(db), options).await.unwrap();
    plan.execute(path, Arc::new(NoProgress)).await.unwrap()
}

/// Restores `path` into a new database `db`.
pub async fn restore_into(path: &Path, db: &str, options: &RestoreOptions) -> pgark_engine::Result<RestoreSummary> {
    let archive = Arc::new(Archive::open(path)?);
    let plan = restore::prepare(&archive, options)?;
    plan.execute(archive.clone(), &target(db), Arc::new(NoProgress)).await
}

/// Runs the SQL script `file` with psql in `db` (`-X`, stopping at the first error).
pub fn psql_file(db: &str, file: &Path, vars: &[&str]) {
    let psql =
        [bin_dir().join("psql"), PathBuf::from("/usr/bin/psql")].into_iter().find(|p| p.is_file()).expect("psql");
    let mut cmd = Command::new(psql);
    cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", &port().to_string(), "-U", "postgres"]);
    cmd.args(["-d", db]);
    for v in vars {
        cmd.args(["-v", v]);
    }
    let out = cmd.arg("-f").arg(file).output().unwrap();
    assert!(out.status.success(), "psql -f {}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
}

/// A new empty database `db`, and `archive` opened with the plan an extract makes of it.
async fn extract_plan(archive: &Path, db: &str) -> (Archive, restore::RestorePlan) {
    exec("postgres", &format!("DROP DATABASE IF EXISTS {db}")).await;
    exec("postgres", &format!("CREATE DATABASE {db}")).await;
    let a = Archive::open(archive).unwrap();
    let plan = restore::prepare(&a, &RestoreOptions { create: true, ..Default::default() }).unwrap();
    (a, plan)
}

/// Extracts `archive` as a plain SQL script and loads it with psql into a new database `db`.
pub async fn extract_and_load(archive: &Path, db: &str) {
    let (a, plan) = extract_plan(archive, db).await;
    let dir = tmp();
    let script = dir.path().join("extract.sql");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&script).unwrap());
    pgark_engine::write_sql_script(&a, &plan, &mut out, &NoProgress).unwrap();
    drop(out);
    psql_file(db, &script, &[]);
}

/// Extracts `archive` as a directory and runs its restore.sql with psql from inside it into a
/// new database `db`.
pub async fn extract_dir_and_load(archive: &Path, db: &str) {
    let (a, plan) = extract_plan(archive, db).await;
    let dir = tmp();
    pgark_engine::write_directory(&a, &plan, dir.path(), &NoProgress).unwrap();
    let psql =
        [bin_dir().join("psql"), PathBuf::from("/usr/bin/psql")].into_iter().find(|p| p.is_file()).expect("psql");
    let out = Command::new(psql)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", &port().to_string(), "-U", "postgres"])
        .args(["-d", db, "-f", "restore.sql"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "psql -f restore.sql: {}", String::from_utf8_lossy(&out.stderr));
}

/// The pgark binary with `args`.
pub fn pgark(args: &[&str]) -> std::process::Output {
    pgark_in(Path::new("."), args)
}

/// The pgark binary with `args`, run in `dir` (where it looks for its config file).
pub fn pgark_in(dir: &Path, args: &[&str]) -> std::process::Output {
    pgark_command(dir, args).output().unwrap()
}

/// The pgark binary with `args`, to run in `dir`, with none of pgark's environment variables
/// inherited from the test run; the caller adds its own and spawns it.
pub fn pgark_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pgark"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("PGARK_DATABASE_URL")
        .env_remove("PGARK_BACKUP_DIR")
        .env_remove("PGARK_CONFIG")
        // Schedules without a zone are in the machine's: UTC here, whatever the test machine's.
        .env("TZ", "UTC");
    command
}

/// The rows of a two-column query in `db`: a name and a value.
pub async fn pairs<T: for<'a> tokio_postgres::types::FromSql<'a>>(db: String, sql: &str) -> Vec<(String, T)> {
    client(&db).await.query(sql, &[]).await.unwrap().iter().map(|r| (r.get(0), r.get(1))).collect()
}

/// Every large object: oid, then owner, privileges, md5 of the contents and comment.
pub const LARGE_OBJECTS: &str =
    "SELECT m.oid::text, pg_get_userbyid(m.lomowner) || ' ' || coalesce(m.lomacl::text, '-') \
    || ' ' || md5(lo_get(m.oid)) || ' ' || coalesce(obj_description(m.oid, 'pg_largeobject'), '-') \
    FROM pg_largeobject_metadata m ORDER BY m.oid";

/// Asserts two databases hold the same schema and the same rows.
pub async fn assert_same(source: &str, copy: &str) {
    let (a, b) = (fingerprints(source).await, fingerprints(copy).await);
    assert!(!a.is_empty(), "no tables in {source}");
    assert_eq!(a, b, "table fingerprints differ between {source} and {copy}");
    let settings = |db: &str| {
        pairs::<String>(
            db.to_string(),
            "SELECT coalesce(r.rolname, ''), s.setconfig::text FROM pg_db_role_setting s LEFT JOIN pg_roles r ON r.oid = s.setrole \
             WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY 1",
        )
    };
    assert_eq!(settings(source).await, settings(copy).await, "database settings differ");
    let objects = |db: &str| pairs::<String>(db.to_string(), LARGE_OBJECTS);
    assert_eq!(objects(source).await, objects(copy).await, "large objects differ");
    assert_same_text(
        &schema_dump(source),
        &schema_dump(copy),
        &format!("pg_dump --schema-only of {source} and {copy}"),
    );
}

/// Asserts two schema dumps are equal, listing the lines only one of them has.
pub fn assert_same_text(a: &str, b: &str, what: &str) {
    if a != b {
        let diff: Vec<String> = a
            .lines()
            .filter(|l| !b.lines().any(|m| m == *l))
            .map(|l| format!("- {l}"))
            .chain(b.lines().filter(|l| !a.lines().any(|m| m == *l)).map(|l| format!("+ {l}")))
            .collect();
        if diff.is_empty() {
            // The same lines in another order or number: show where they part.
            let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
            let at = la.iter().zip(&lb).position(|(x, y)| x != y).unwrap_or(la.len().min(lb.len()));
            let from = at.saturating_sub(3);
            let part = |l: &[&str]| l[from.min(l.len())..(at + 8).min(l.len())].join("\n");
            panic!("{what} differ in order from line {at}:\n--- first:\n{}\n--- second:\n{}", part(&la), part(&lb));
        }
        panic!("{what} differ:\n{}", diff.join("\n"));
    }
}

/// A copy of `src` whose manifest was changed by `edit` (chunk bytes kept at their offsets).
pub fn with_manifest(src: &Path, dir: &Path, name: &str, edit: impl FnOnce(&mut pgark_engine::Manifest)) -> PathBuf {
    let archive = Archive::open(src).unwrap();
    let mut manifest = archive.manifest().clone();
    let end = manifest.tables.iter().flat_map(|t| &t.chunks).map(|c| c.offset + c.stored_len).max().unwrap();
    let bytes = std::fs::read(src).unwrap();
    let p = dir.join(name);
    let mut w = pgark_engine::ArchiveWriter::create(&p).unwrap();
    assert_eq!(w.append(&bytes[16..end as usize]).unwrap(), 16);
    edit(&mut manifest);
    w.finish(&manifest).unwrap();
    p
}

/// A crontab program that keeps the table in a file, as crontab(1) does for a user (there is no
/// cron daemon here): `$PGARK_CRONTAB` names it. Returns (the program, the table file).
pub fn fake_crontab(dir: &Path) -> (PathBuf, PathBuf) {
    let table = dir.join("crontab.table");
    let program = dir.join("crontab.sh");
    std::fs::write(
        &program,
        format!(
            "#!/bin/sh\ncase \"$1\" in\n  -l) [ -f '{t}' ] && exec cat '{t}'; echo 'no crontab for tester' >&2; exit 1;;\n  -) cat > '{t}';;\nesac\n",
            t = table.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&program, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    (program, table)
}

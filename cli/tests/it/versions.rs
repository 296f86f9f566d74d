//! Every supported server version: the object fixture round-trips on PostgreSQL 12 to 18 (and
//! pagila, in the `datasets` group), compared with pg_dump 18; archives restore into newer servers as
//! pg_dump's own output does (12→18, 15→17, 17→18) and into an older one (17→15) as the same
//! objects created there. The server binaries and pg_dump 18 come from `.ci/pg-versions`, which
//! runs here when something is missing (it downloads from the npm registry and PyPI once; the
//! files stay under target/pg).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use pgark_engine::{
    dump, fingerprint_tables, restore, Archive, ConnectOptions, DumpOptions, Fingerprint, LocalCluster, NoProgress,
    RestoreOptions, Target,
};

use crate::harness::{assert_same_text, comparable, fixture_for, tmp, LARGE_OBJECTS};

const MAJORS: [u32; 7] = [12, 13, 14, 15, 16, 17, 18];

/// Where `.ci/pg-versions` puts the servers (`<major>/bin`) and pg_dump 18.
fn versions_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let dir = root.join("target/pg");
        let complete = MAJORS.iter().all(|m| dir.join(format!("{m}/bin/postgres")).is_file())
            && client_bin(&dir).join("pg_dump").is_file();
        if !complete {
            let out = Command::new(root.join(".ci/pg-versions")).output().expect("running .ci/pg-versions");
            assert!(
                out.status.success(),
                ".ci/pg-versions failed (it fetches PostgreSQL 12 to 18 from the npm registry and pg_dump 18 from PyPI):\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        dir
    })
}

/// pg_dump 18 and psql 18, which read every supported server.
fn client_bin(dir: &Path) -> PathBuf {
    dir.join("client/pgserver/pginstall/bin")
}

/// A throwaway cluster of one major version.
pub(crate) struct Server {
    cluster: LocalCluster,
    major: u32,
}

impl Server {
    pub(crate) fn start(major: u32) -> Server {
        let bin = versions_dir().join(format!("{major}/bin"));
        let cluster = LocalCluster::start_with(&bin).unwrap_or_else(|e| panic!("starting PostgreSQL {major}: {e}"));
        Server { cluster, major }
    }

    pub(crate) fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}?sslmode=disable", self.cluster.port())
    }

    fn target(&self, db: &str) -> Target {
        Target::resolve(&ConnectOptions { url: Some(self.url(db)), project_ref: None }).unwrap()
    }

    pub(crate) async fn exec(&self, db: &str, sql: &str) {
        let c = self.target(db).connect().await.unwrap();
        c.batch_execute(sql).await.unwrap_or_else(|e| panic!("PostgreSQL {}: {e:?}", self.major));
    }

    /// A new database loaded with the object fixture as this version takes it (a line ending in
    /// `-- pgN+` needs version N, `-- pg<N` an older one), without the passwords of its user
    /// mapping and subscription (which no archive holds).
    async fn objects(&self, db: &str) {
        self.exec("postgres", &format!("CREATE DATABASE {db}")).await;
        self.exec(db, &fixture_for("objects.sql", self.major)).await;
        self.exec(db, "ALTER USER MAPPING FOR fx_reader SERVER fx_server OPTIONS (DROP password)").await;
        self.exec(db, "ALTER SUBSCRIPTION fx_sub CONNECTION 'host=example.invalid dbname=nowhere user=fx_reader'")
            .await;
    }

    /// Runs psql 18 on `db` with `args`, stopping at the first error.
    pub(crate) fn psql(&self, db: &str, args: &[&str]) {
        let out = Command::new(client_bin(versions_dir()).join("psql"))
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &self.url(db)])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "psql on PostgreSQL {}: {}", self.major, String::from_utf8_lossy(&out.stderr));
    }

    /// pg_dump 18's output for `db` (`-s`: schema only), without the random `\restrict` lines.
    fn pg_dump(&self, db: &str, args: &[&str]) -> String {
        let out =
            Command::new(client_bin(versions_dir()).join("pg_dump")).args(args).arg(self.url(db)).output().unwrap();
        assert!(out.status.success(), "pg_dump on PostgreSQL {}: {}", self.major, String::from_utf8_lossy(&out.stderr));
        comparable(out.stdout)
    }

    async fn fingerprints(&self, db: &str) -> BTreeMap<String, Fingerprint> {
        fingerprint_tables(&self.target(db).connect().await.unwrap()).await.unwrap()
    }

    /// Every large object, as `harness::LARGE_OBJECTS` describes it.
    async fn large_objects(&self, db: &str) -> Vec<(String, String)> {
        let c = self.target(db).connect().await.unwrap();
        c.query(LARGE_OBJECTS, &[]).await.unwrap().iter().map(|r| (r.get(0), r.get(1))).collect()
    }

    pub(crate) async fn dump(&self, db: &str, path: &Path) {
        let plan =
            dump::prepare(&self.target(db), &DumpOptions { jobs: 3, chunk_size: 64 << 10, ..Default::default() })
                .await
                .unwrap_or_else(|e| panic!("dump on PostgreSQL {}: {e}", self.major));
        plan.execute(path, Arc::new(NoProgress)).await.unwrap();
    }

    pub(crate) async fn restore(&self, path: &Path, db: &str) {
        self.restore_with(path, db, 3).await
    }

    /// Restores with `--create --create-roles` and `jobs` connections.
    async fn restore_with(&self, path: &Path, db: &str, jobs: usize) {
        let archive = Arc::new(Archive::open(path).unwrap());
        let options = RestoreOptions { jobs, create: true, create_roles: true, ..Default::default() };
        let plan = restore::prepare(&archive, &options).unwrap();
        if let Err(e) = plan.execute(archive.clone(), &self.target(db), Arc::new(NoProgress)).await {
            panic!("restore into PostgreSQL {}: {e}", self.major);
        }
    }
}

/// Asserts `a` on `sa` and `b` on `sb` hold the same rows and the same schema (pg_dump 18).
pub(crate) async fn assert_same(sa: &Server, a: &str, sb: &Server, b: &str) {
    let what = format!("PostgreSQL {} {a} and PostgreSQL {} {b}", sa.major, sb.major);
    let (fa, fb) = (sa.fingerprints(a).await, sb.fingerprints(b).await);
    assert!(!fa.is_empty(), "no tables in {a}");
    assert_eq!(fa, fb, "table fingerprints of {what} differ");
    assert_eq!(sa.large_objects(a).await, sb.large_objects(b).await, "large objects of {what} differ");
    assert_same_text(&sa.pg_dump(a, &["-s"]), &sb.pg_dump(b, &["-s"]), &format!("pg_dump --schema-only of {what}"));
}

/// The object fixture, dumped and restored on one server version (the `datasets` group adds
/// pagila on every version).
async fn round_trips_on(major: u32) {
    let s = Server::start(major);
    let dir = tmp();
    s.objects("objects").await;
    let path = dir.path().join("objects.pgark");
    s.dump("objects", &path).await;
    s.restore(&path, "objects_copy").await;
    assert_same(&s, "objects", &s, "objects_copy").await;

    // The objects that failed to restore or came back different before (issue 20), restored
    // three times with two jobs: parallel post-data must give the same result every time.
    s.exec("postgres", "CREATE DATABASE restorability").await;
    s.exec("restorability", &fixture_for("restorability.sql", major)).await;
    let path = dir.path().join("restorability.pgark");
    s.dump("restorability", &path).await;
    for round in 0..3 {
        let copy = format!("restorability_{round}");
        s.restore_with(&path, &copy, 2).await;
        assert_same(&s, "restorability", &s, &copy).await;
    }
}

/// One test per server version, each running `$run(major)`.
macro_rules! on_every_major {
    ($run:path; $($name:ident: $major:expr,)*) => {$(
        #[tokio::test]
        async fn $name() {
            $run($major).await;
        }
    )*};
}
#[cfg(feature = "datasets")]
pub(crate) use on_every_major;

on_every_major! {
    round_trips_on;
    objects_round_trip_on_postgres_12: 12,
    objects_round_trip_on_postgres_13: 13,
    objects_round_trip_on_postgres_14: 14,
    objects_round_trip_on_postgres_15: 15,
    objects_round_trip_on_postgres_16: 16,
    objects_round_trip_on_postgres_17: 17,
    objects_round_trip_on_postgres_18: 18,
}

/// An archive of `from` restored into `to` equals pg_dump 18's plain output of the same
/// database loaded there with psql (the way pg_dump supports upgrades).
async fn upgrade(from: &Server, to: &Server) {
    let dir = tmp();
    let path = dir.path().join("objects.pgark");
    from.dump("objects", &path).await;
    let name = format!("from_{}", from.major);
    to.restore(&path, &name).await;
    let plain = dir.path().join("objects.sql");
    std::fs::write(&plain, from.pg_dump("objects", &[])).unwrap();
    let oracle = format!("pg_dump_from_{}", from.major);
    to.exec("postgres", &format!("CREATE DATABASE {oracle}")).await;
    to.psql(&oracle, &["-f", plain.to_str().unwrap()]);
    assert_same(to, &oracle, to, &name).await;
}

#[tokio::test]
async fn archives_restore_into_newer_servers_as_pg_dump_output_does() {
    let servers: BTreeMap<u32, Server> = [12, 15, 17, 18].into_iter().map(|m| (m, Server::start(m))).collect();
    for s in servers.values() {
        s.objects("objects").await;
    }
    for (from, to) in [(12, 18), (15, 17), (17, 18)] {
        upgrade(&servers[&from], &servers[&to]).await;
    }
}

#[tokio::test]
async fn an_archive_of_17_restores_into_15_as_the_same_objects_created_there() {
    let (new, old) = (Server::start(17), Server::start(15));
    new.objects("objects").await;
    old.objects("objects").await;
    let dir = tmp();
    let path = dir.path().join("objects.pgark");
    new.dump("objects", &path).await;
    old.restore(&path, "from_17").await;
    // The rows are the source's (each load of the fixture stamps its own times) …
    assert_eq!(new.fingerprints("objects").await, old.fingerprints("from_17").await, "rows of 17 restored into 15");
    assert_eq!(new.large_objects("objects").await, old.large_objects("from_17").await, "large objects, 17 into 15");
    // … and the objects are those the fixture creates on 15 itself.
    assert_same_text(&old.pg_dump("objects", &["-s"]), &old.pg_dump("from_17", &["-s"]), "pg_dump of 15 and 17 → 15");
}

/// Builds testdata/label_provider.c against pg_dump 18's server headers (the headers expect an
/// `xlocale.h`, which glibc does not have: a stub includes `locale.h`); returns the module.
fn label_provider() -> PathBuf {
    let dir = versions_dir().join("label");
    let module = dir.join("pgark_test_label.so");
    std::fs::create_dir_all(dir.join("inc")).unwrap();
    std::fs::write(dir.join("inc/xlocale.h"), "#include <locale.h>\n").unwrap();
    let headers =
        Command::new(client_bin(versions_dir()).join("pg_config")).arg("--includedir-server").output().unwrap();
    let out = Command::new("gcc")
        .args(["-shared", "-fPIC", "-O2", "-I"])
        .arg(dir.join("inc"))
        .arg("-I")
        .arg(String::from_utf8_lossy(&headers.stdout).trim())
        .arg("-o")
        .arg(&module)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/label_provider.c"))
        .output()
        .expect("gcc");
    assert!(out.status.success(), "building the label provider: {}", String::from_utf8_lossy(&out.stderr));
    // The server runs as another user when the tests run as root.
    use std::os::unix::fs::PermissionsExt;
    for p in [&dir, &module] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    module
}

#[tokio::test]
async fn security_labels_round_trip_where_a_provider_is_loaded() {
    let module = label_provider();
    let s = Server::start(18);
    s.exec("postgres", &format!("ALTER ROLE postgres SET session_preload_libraries = '{}'", module.display())).await;
    s.exec("postgres", "CREATE DATABASE labels").await;
    s.exec(
        "labels",
        "CREATE SCHEMA app; CREATE TABLE app.t (id int PRIMARY KEY, secret text);
         CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
         INSERT INTO app.t VALUES (1, 'x');
         SECURITY LABEL FOR pgark_test ON SCHEMA app IS 'schema label';
         SECURITY LABEL FOR pgark_test ON TABLE app.t IS 'table label';
         SECURITY LABEL FOR pgark_test ON COLUMN app.t.secret IS 'column ''label''';
         SECURITY LABEL FOR pgark_test ON FUNCTION app.f() IS 'function label';",
    )
    .await;
    let dir = tmp();
    let path = dir.path().join("labels.pgark");
    s.dump("labels", &path).await;
    let archive = Archive::open(&path).unwrap();
    let labels_in_archive = archive.manifest().items.iter().filter(|i| i.kind.name() == "security-label").count();
    assert_eq!(labels_in_archive, 4);
    s.restore(&path, "labels_copy").await;
    assert_same(&s, "labels", &s, "labels_copy").await;
    let labels = |db: &'static str| {
        let target = s.target(db);
        async move {
            let c = target.connect().await.unwrap();
            let rows = c.query("SELECT provider || ': ' || label FROM pg_seclabels ORDER BY 1", &[]).await.unwrap();
            rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>()
        }
    };
    let (a, b) = (labels("labels").await, labels("labels_copy").await);
    assert_eq!(a.len(), 4, "{a:?}");
    assert_eq!(a, b);

    // Without the provider the schema transaction stops at the first label, and the database
    // this restore created is dropped again.
    let bare = Server::start(18);
    let archive = Arc::new(Archive::open(&path).unwrap());
    let options = RestoreOptions { create: true, ..Default::default() };
    let plan = restore::prepare(&archive, &options).unwrap();
    let err = plan.execute(archive.clone(), &bare.target("labels"), Arc::new(NoProgress)).await.unwrap_err();
    let err = err.to_string();
    // It names the object, what it depended on, and what became of the target.
    assert!(err.contains("security-label of") && err.contains("(it needs ") && err.contains("was dropped"), "{err}");
    let c = bare.target("postgres").connect().await.unwrap();
    let left = c.query("SELECT 1 FROM pg_database WHERE datname = 'labels'", &[]).await.unwrap();
    assert!(left.is_empty(), "the database made by the failed restore is gone");
}

/// `EXPLAIN (COSTS OFF)` of a join whose plan depends on the columns' statistics.
async fn join_plan(s: &Server, db: &str) -> String {
    let c = s.target(db).connect().await.unwrap();
    let rows = c
        .query("EXPLAIN (COSTS OFF) SELECT * FROM app.big b JOIN app.small s USING (cat) WHERE b.cat > 1 AND s.name <> 'z'", &[])
        .await
        .unwrap();
    rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>().join("\n")
}

/// A restored database plans like the source right away: PostgreSQL 18 is given the archive's
/// statistics (identical `pg_stats`, nothing read), 15 analyzes the restored tables.
#[tokio::test]
async fn a_restored_database_plans_like_the_source_before_any_traffic() {
    for (major, how) in [(18, "statistics given"), (15, "analyzed")] {
        let s = Server::start(major);
        s.exec("postgres", "CREATE DATABASE stats").await;
        s.exec(
            "stats",
            "CREATE SCHEMA app; CREATE TABLE app.big (id int PRIMARY KEY, cat int, pad text);
             INSERT INTO app.big SELECT i, CASE WHEN i % 100 = 0 THEN i ELSE 1 END, repeat('x', 40) FROM generate_series(1, 20000) i;
             CREATE INDEX big_cat ON app.big (cat);
             CREATE TABLE app.small (cat int, name text);
             INSERT INTO app.small SELECT i * 100, 'n' || i FROM generate_series(1, 50) i;
             ALTER TABLE app.big ALTER COLUMN cat SET STATISTICS 200;
             ANALYZE;",
        )
        .await;
        let dir = tmp();
        let path = dir.path().join("stats.pgark");
        s.dump("stats", &path).await;
        let archive = Arc::new(Archive::open(&path).unwrap());
        assert!(!archive.manifest().planner_stats.is_empty(), "the archive holds statistics");
        let options = RestoreOptions { create: true, ..Default::default() };
        let plan = restore::prepare(&archive, &options).unwrap();
        let summary = plan.execute(archive.clone(), &s.target("stats_copy"), Arc::new(NoProgress)).await.unwrap();
        let done = summary.statistics.unwrap_or_default();
        assert!(done.starts_with(how), "PostgreSQL {major}: {done}");
        assert_eq!(join_plan(&s, "stats").await, join_plan(&s, "stats_copy").await, "plans on PostgreSQL {major}");
        let stats = |db: &'static str| {
            let target = s.target(db);
            async move {
                let c = target.connect().await.unwrap();
                let sql = "SELECT attname::text || ' ' || null_frac || ' ' || n_distinct || ' ' || coalesce(most_common_vals::text, '') \
                           || ' ' || coalesce(histogram_bounds::text, '') FROM pg_stats WHERE schemaname = 'app' ORDER BY tablename, attname";
                c.query(sql, &[]).await.unwrap().iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>()
            }
        };
        let (a, b) = (stats("stats").await, stats("stats_copy").await);
        assert!(!b.is_empty(), "PostgreSQL {major}: no statistics after the restore");
        if major >= 18 {
            assert_eq!(a, b, "pg_stats of source and copy");
        }
    }
}

//! A throwaway PostgreSQL cluster from the local server binaries, for `pgark demo` and the
//! tests: `initdb` into a temporary directory, `pg_ctl start` on a free loopback port, removed
//! on drop. As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::error::{Error, Result};

/// A running temporary cluster.
#[derive(Debug)]
pub struct LocalCluster {
    dir: Option<tempfile::TempDir>,
    bin: PathBuf,
    port: u16,
    run_as: Option<String>,
    running: bool,
    /// The server options it was started with.
    opts: String,
}

/// Finds the directory holding `initdb` and `pg_ctl`: `$PGARK_PG_BIN`, the newest
/// `/usr/lib/postgresql/*/bin`, `pg_config --bindir`, then `$PATH`.
pub fn find_server_binaries() -> Result<PathBuf> {
    let has = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Ok(d) = std::env::var("PGARK_PG_BIN") {
        let d = PathBuf::from(d);
        return if has(&d) {
            Ok(d)
        } else {
            Err(Error::Cluster(format!("PGARK_PG_BIN={} holds no initdb/pg_ctl", d.display())))
        };
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            has(&bin).then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let d = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has(&d) {
            return Ok(d);
        }
    }
    for d in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        if has(&d) {
            return Ok(d);
        }
    }
    Err(Error::Cluster(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; install them (Debian/Ubuntu: apt-get install postgresql) or set PGARK_PG_BIN"
            .into(),
    ))
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| Error::Cluster(format!("no free port: {e}")))?;
    Ok(l.local_addr().map_err(|e| Error::Cluster(e.to_string()))?.port())
}

impl LocalCluster {
    /// Creates and starts a cluster from the server binaries `find_server_binaries` finds
    /// (trust authentication, loopback only, fsync off).
    pub fn start() -> Result<LocalCluster> {
        Self::start_with(&find_server_binaries()?)
    }

    /// Creates and starts a cluster from the server binaries in `bin` (`initdb`, `pg_ctl`).
    pub fn start_with(bin: &Path) -> Result<LocalCluster> {
        let bin = bin.to_path_buf();
        let dir =
            tempfile::Builder::new().prefix("pgark-cluster-").tempdir().map_err(|e| Error::Cluster(e.to_string()))?;
        let run_as = if is_root() { Some("postgres".to_string()) } else { None };
        if let Some(user) = &run_as {
            let out = Command::new("id").args(["-u", user]).output().map_err(|e| Error::Cluster(e.to_string()))?;
            let uid: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().map_err(|_| {
                Error::Cluster(format!(
                    "running as root needs the '{user}' user to run the server (it comes with the postgresql package)"
                ))
            })?;
            let gid = {
                let out = Command::new("id").args(["-g", user]).output().map_err(|e| Error::Cluster(e.to_string()))?;
                String::from_utf8_lossy(&out.stdout).trim().parse::<u32>().ok()
            };
            std::os::unix::fs::chown(dir.path(), Some(uid), gid).map_err(|e| Error::Cluster(format!("chown: {e}")))?;
        }
        let mut cluster = LocalCluster { dir: Some(dir), bin, port: 0, run_as, running: false, opts: String::new() };
        let data = cluster.data_dir();
        cluster.run(
            "initdb",
            &["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C", "-D", path_str(&data)?],
        )?;
        let mut last_error = String::new();
        for _ in 0..5 {
            cluster.port = free_port()?;
            let opts = format!(
                "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                cluster.port,
                path_str(cluster.dir())?
            );
            let log = cluster.dir().join("server.log");
            cluster.opts = opts.clone();
            match cluster
                .run("pg_ctl", &["-D", path_str(&data)?, "-l", path_str(&log)?, "-o", &opts, "-w", "-t", "60", "start"])
            {
                Ok(_) => {
                    cluster.running = true;
                    return Ok(cluster);
                }
                Err(e) => last_error = format!("{e}\n{}", std::fs::read_to_string(&log).unwrap_or_default()),
            }
        }
        Err(Error::Cluster(format!("the server did not start: {last_error}")))
    }

    fn dir(&self) -> &Path {
        self.dir.as_ref().expect("cluster directory").path()
    }

    /// The cluster's data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir().join("data")
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<Output> {
        let exe = self.bin.join(program);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        cmd.args(args).current_dir(self.dir());
        let out = cmd.output().map_err(|e| Error::Cluster(format!("cannot run {}: {e}", exe.display())))?;
        if !out.status.success() {
            return Err(Error::Cluster(format!(
                "{program} failed: {}{}",
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(&out.stdout)
            )));
        }
        Ok(out)
    }

    /// The TCP port the server listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory with the server binaries used.
    pub fn bin_dir(&self) -> &Path {
        &self.bin
    }

    /// A URL for database `db` as the superuser `postgres`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}?sslmode=disable", self.port)
    }

    /// Restarts the server (fast shutdown: every session is ended) with the same settings, after
    /// it has been down for `down` (none: at once).
    pub fn restart(&self, down: std::time::Duration) -> Result<()> {
        let data = self.data_dir();
        let log = self.dir().join("server.log");
        self.run("pg_ctl", &["-D", path_str(&data)?, "-m", "fast", "-w", "-t", "60", "stop"])?;
        std::thread::sleep(down);
        self.run(
            "pg_ctl",
            &["-D", path_str(&data)?, "-l", path_str(&log)?, "-o", &self.opts, "-w", "-t", "60", "start"],
        )
        .map(|_| ())
    }

    /// Stops the server (fast shutdown) and removes its files.
    pub fn stop(&mut self) {
        if self.running {
            let data = self.data_dir();
            if let Some(d) = data.to_str() {
                let _ = self.run("pg_ctl", &["-D", d, "-m", "immediate", "-w", "stop"]);
            }
            self.running = false;
        }
        self.dir.take();
    }
}

fn path_str(p: &Path) -> Result<&str> {
    p.to_str().ok_or_else(|| Error::Cluster(format!("path is not UTF-8: {}", p.display())))
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

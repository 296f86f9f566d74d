//! Connection settings: libpq-style URLs, PG* environment variables, Supabase project refs,
//! the `sslmode` in force (TLS itself is set up in `tls.rs`), single connections and pools.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Hook;
use deadpool_postgres::{HookError, Manager, ManagerConfig, Pool, PoolError, RecyclingMethod};
use serde::{Deserialize, Serialize};
use tokio_postgres::config::Host;
use tokio_postgres::Client;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::pgpass::{self, Lookup};
use super::session::{self, Role};
use super::tls::tls_config;
use crate::error::{describe_pg_error, Error, Result};

/// Where to connect: a URL, the PG* environment, or a Supabase project.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConnectOptions {
    /// A libpq connection URL (`postgres://user@host:port/db?sslmode=…`) or `key=value` string.
    pub url: Option<String>,
    /// A Supabase project ref: connects to `db.<ref>.supabase.co:5432` as `postgres` over TLS.
    pub project_ref: Option<String>,
}

impl ConnectOptions {
    /// Whether the URL carries a password (`user:pw@`, `?password=`, `password=` in key=value
    /// form), which a config file must not: passwords belong in the environment or the
    /// password file.
    pub fn holds_password(&self) -> bool {
        let Some(url) = &self.url else { return false };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return match url::Url::parse(url) {
                Ok(u) => u.password().is_some() || u.query_pairs().any(|(k, _)| k == "password"),
                // Unparsable: assume the worst rather than store it.
                Err(_) => url.contains(':') && url.contains('@'),
            };
        }
        url.split_whitespace().any(|w| w.starts_with("password="))
    }
}

/// How TLS is used, as libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Never use TLS.
    Disable,
    /// Try TLS, fall back to plain text; no certificate check.
    Prefer,
    /// Require TLS; check the certificate only if a root certificate file is given.
    Require,
    /// Require TLS and a certificate chain to a trusted root; the host name is not checked.
    VerifyCa,
    /// Require TLS, a trusted chain, and a certificate naming the host.
    VerifyFull,
}

impl FromStr for SslMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(Error::Config(format!(
                    "unknown sslmode '{other}' (use disable, prefer, require, verify-ca or verify-full)"
                )))
            }
        })
    }
}

/// A resolved connection target: settings, TLS and a printable name without secrets.
#[derive(Clone)]
pub struct Target {
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    ssl_mode: SslMode,
    root_cert: Option<PathBuf>,
    /// Why the password file was not used, said when a login fails.
    password_note: Option<String>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Looks a variable up in the environment; empty counts as unset.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Target {
    /// Resolves options plus the PG* environment (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`,
    /// `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`) into a target.
    pub fn resolve(opts: &ConnectOptions) -> Result<Target> {
        match (&opts.url, &opts.project_ref) {
            (Some(_), Some(_)) => {
                Err(Error::Config("give either a database URL or a Supabase project ref, not both".into()))
            }
            (None, Some(r)) => Self::supabase(r),
            (url, None) => Self::from_url(url.as_deref().unwrap_or("")),
        }
    }

    fn supabase(project_ref: &str) -> Result<Target> {
        if project_ref.is_empty() || !project_ref.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) {
            return Err(Error::Config(format!(
                "'{project_ref}' is not a Supabase project ref (lowercase letters and digits)"
            )));
        }
        let host = format!("db.{project_ref}.supabase.co");
        let from_file = || match pgpass::lookup(&host, 5432, "postgres", "postgres") {
            Lookup::Found(p) => Some(p),
            _ => None,
        };
        let password = env("SUPABASE_DB_PASSWORD").or_else(|| env("PGPASSWORD")).or_else(from_file).ok_or_else(|| {
            Error::Config(
                "a Supabase project needs its database password in SUPABASE_DB_PASSWORD, PGPASSWORD or the password file"
                    .into(),
            )
        })?;
        let mut config = tokio_postgres::Config::new();
        config.host(&host).port(5432).user("postgres").dbname("postgres").password(password);
        let root_cert = env("PGSSLROOTCERT").map(PathBuf::from);
        let mode = match env("PGSSLMODE") {
            Some(m) => m.parse()?,
            None => SslMode::Require,
        };
        if mode == SslMode::Disable || mode == SslMode::Prefer {
            return Err(Error::Config("Supabase connections require TLS: use sslmode require or stronger".into()));
        }
        Self::build(config, mode, root_cert)
    }

    fn from_url(url: &str) -> Result<Target> {
        let mut ssl_mode = None;
        let mut root_cert = None;
        let rest = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut parsed =
                url::Url::parse(url).map_err(|e| Error::Config(format!("cannot parse the database URL: {e}")))?;
            let mut kept = Vec::new();
            for (k, v) in parsed.query_pairs() {
                match &*k {
                    "sslmode" => ssl_mode = Some(v.parse::<SslMode>()?),
                    "sslrootcert" => root_cert = Some(PathBuf::from(&*v)),
                    _ => kept.push((k.into_owned(), v.into_owned())),
                }
            }
            if kept.is_empty() {
                parsed.set_query(None);
            } else {
                parsed.query_pairs_mut().clear().extend_pairs(kept);
            }
            parsed.to_string()
        } else {
            let mut kept = Vec::new();
            for word in url.split_whitespace() {
                match word.split_once('=') {
                    Some(("sslmode", v)) => ssl_mode = Some(v.parse::<SslMode>()?),
                    Some(("sslrootcert", v)) => root_cert = Some(PathBuf::from(v)),
                    _ => kept.push(word),
                }
            }
            kept.join(" ")
        };
        let mut config = if rest.trim().is_empty() {
            tokio_postgres::Config::new()
        } else {
            // tokio-postgres's own message can quote the whole string, password included.
            tokio_postgres::Config::from_str(&rest).map_err(|_| {
                Error::Config("cannot parse the database URL (expected postgres://user@host:port/dbname)".into())
            })?
        };
        if config.get_hosts().is_empty() {
            match env("PGHOST") {
                Some(h) => {
                    for host in h.split(',') {
                        config.host(host);
                    }
                }
                None if Path::new("/var/run/postgresql").is_dir() => {
                    config.host_path("/var/run/postgresql");
                }
                None => {
                    config.host("localhost");
                }
            }
        }
        if config.get_ports().is_empty() {
            let port = match env("PGPORT") {
                Some(p) => p.parse::<u16>().map_err(|_| Error::Config(format!("PGPORT '{p}' is not a port number")))?,
                None => 5432,
            };
            config.port(port);
        }
        if config.get_user().is_none() {
            let user = env("PGUSER").or_else(|| env("USER")).unwrap_or_else(|| "postgres".into());
            config.user(user);
        }
        if config.get_dbname().is_none() {
            let db = env("PGDATABASE").unwrap_or_else(|| config.get_user().unwrap_or("postgres").to_string());
            config.dbname(db);
        }
        if config.get_password().is_none() {
            if let Some(p) = env("PGPASSWORD") {
                config.password(p);
            }
        }
        let mut note = None;
        if config.get_password().is_none() {
            let host = match config.get_hosts().first() {
                Some(Host::Tcp(h)) => h.clone(),
                _ => "localhost".into(),
            };
            let port = config.get_ports().first().copied().unwrap_or(5432);
            let (db, user) = (config.get_dbname().unwrap_or(""), config.get_user().unwrap_or(""));
            match pgpass::lookup(&host, port, db, user) {
                Lookup::Found(p) => {
                    config.password(p);
                }
                Lookup::Ignored(why) => note = Some(why),
                Lookup::None => {}
            }
        }
        let ssl_mode = match ssl_mode {
            Some(m) => m,
            None => match env("PGSSLMODE") {
                Some(m) => m.parse()?,
                None => SslMode::Prefer,
            },
        };
        let root_cert = root_cert.or_else(|| env("PGSSLROOTCERT").map(PathBuf::from));
        let mut target = Self::build(config, ssl_mode, root_cert)?;
        target.password_note = note;
        Ok(target)
    }

    fn build(mut config: tokio_postgres::Config, ssl_mode: SslMode, root_cert: Option<PathBuf>) -> Result<Target> {
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(30));
        }
        config.application_name("pgark");
        config.ssl_mode(match ssl_mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        });
        let tls = MakeRustlsConnect::new(tls_config(ssl_mode, root_cert.as_deref())?);
        Ok(Target { config, tls, ssl_mode, root_cert, password_note: None })
    }

    /// The same server with another database name (for `--create` and the demo).
    pub fn with_dbname(&self, dbname: &str) -> Target {
        let mut t = self.clone();
        t.config.dbname(dbname);
        t
    }

    /// The database name this target connects to.
    pub fn dbname(&self) -> &str {
        self.config.get_dbname().unwrap_or("postgres")
    }

    /// The TLS mode in force.
    pub fn ssl_mode(&self) -> SslMode {
        self.ssl_mode
    }

    /// What is weak about this connection's security, for a warning: a server reached over the
    /// network (not loopback, not a Unix socket) without encryption, or without checking who
    /// answers. `None` when the connection is local or verified.
    pub fn tls_warning(&self) -> Option<String> {
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(_)) | None => return None,
        };
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
            || host.trim_matches(|c| c == '[' || c == ']').parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        if loopback {
            return None;
        }
        let fix = if host.ends_with(".supabase.co") || host.ends_with(".supabase.com") {
            "use sslmode=verify-full with sslrootcert= Supabase's CA file (PGSSLMODE=verify-full PGSSLROOTCERT=prod-ca-2021.crt for --project-ref)"
        } else {
            "use sslmode=verify-full (with sslrootcert=FILE for a private CA)"
        };
        let what = match self.ssl_mode {
            SslMode::Disable => "is not encrypted (sslmode=disable): passwords and data cross the network in clear",
            SslMode::Prefer => {
                "may not be encrypted and does not check the server's certificate (sslmode=prefer): anyone between \
                 can read or pose as the server"
            }
            SslMode::Require if self.root_cert.is_none() => {
                "is encrypted but does not check the server's certificate (sslmode=require): anyone between can pose \
                 as the server"
            }
            _ => return None,
        };
        Some(format!("the connection to {host} {what}; {fix}"))
    }

    /// `user@host:port/db` — never the password.
    pub fn describe(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        format!("{}@{}:{}/{}", self.config.get_user().unwrap_or(""), host, port, self.dbname())
    }

    /// Opens one connection and drives it on the current runtime.
    pub async fn connect(&self) -> Result<Client> {
        let (client, conn) = self.config.connect(self.tls.clone()).await.map_err(|e| self.connect_error(&e))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(client)
    }

    /// A pool of at most `size` connections, each set up for `role` when it is opened.
    pub(crate) fn pool(&self, size: usize, role: Role) -> Result<Pool> {
        let mgr = Manager::from_config(
            self.config.clone(),
            self.tls.clone(),
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let setup = Arc::new(session::setup_sql(role));
        Pool::builder(mgr)
            .max_size(size.max(1))
            .post_create(Hook::async_fn(move |client, _| {
                let setup = setup.clone();
                Box::pin(async move { client.batch_execute(&setup).await.map_err(HookError::Backend) })
            }))
            .build()
            .map_err(|e| Error::Config(format!("cannot build the connection pool: {e}")))
    }

    /// Takes a connection from a pool, with a clear error on failure.
    pub(crate) async fn pooled(&self, pool: &Pool) -> Result<deadpool_postgres::Object> {
        pool.get().await.map_err(|e| match e {
            PoolError::Backend(e) => self.connect_error(&e),
            PoolError::PostCreateHook(HookError::Backend(e)) => Error::db("preparing the session", &e),
            other => Error::Connect { target: self.describe(), reason: other.to_string() },
        })
    }

    fn connect_error(&self, e: &tokio_postgres::Error) -> Error {
        let reason = match e.as_db_error().map(|d| d.code().code()) {
            Some("28P01") | Some("28000") => {
                let mut r = format!(
                    "authentication failed for user \"{}\" ({})",
                    self.config.get_user().unwrap_or(""),
                    describe_pg_error(e)
                );
                if let Some(note) = &self.password_note {
                    r.push_str(&format!("; {note}"));
                }
                r
            }
            Some("3D000") => format!("database \"{}\" does not exist", self.dbname()),
            _ if self.config.get_password().is_none() && self.password_note.is_some() => {
                format!("{} ({})", describe_pg_error(e), self.password_note.as_deref().unwrap_or_default())
            }
            _ => {
                let mut r = describe_pg_error(e);
                if self.root_cert.is_some() || matches!(self.ssl_mode, SslMode::VerifyCa | SslMode::VerifyFull) {
                    r.push_str(&format!(" (sslmode {:?})", self.ssl_mode).to_lowercase());
                }
                r
            }
        };
        Error::Connect { target: self.describe(), reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_with_verify_modes_is_accepted_and_password_hidden() {
        let t = Target::resolve(&ConnectOptions {
            url: Some("postgres://alice:s3cret@db.example.com:6543/app?sslmode=verify-full&application_name=x".into()),
            project_ref: None,
        })
        .unwrap();
        assert_eq!(t.ssl_mode(), SslMode::VerifyFull);
        assert_eq!(t.tls_warning(), None);
        assert_eq!(t.describe(), "alice@db.example.com:6543/app");
        assert!(!format!("{t:?}").contains("s3cret"));
    }

    #[test]
    fn bad_inputs_name_the_problem() {
        let e =
            Target::resolve(&ConnectOptions { url: Some("postgres://a@h/db?sslmode=bogus".into()), project_ref: None })
                .unwrap_err();
        assert!(e.to_string().contains("sslmode 'bogus'"), "{e}");
        let e =
            Target::resolve(&ConnectOptions { url: Some("postgres://a:pw@h:notaport/db".into()), project_ref: None })
                .unwrap_err();
        assert!(!e.to_string().contains("pw"), "{e}");
        let e = Target::resolve(&ConnectOptions { url: None, project_ref: Some("Bad_Ref".into()) }).unwrap_err();
        assert!(e.to_string().contains("Bad_Ref"), "{e}");
        let e = Target::resolve(&ConnectOptions {
            url: Some("postgres://a@h/db?sslmode=verify-ca&sslrootcert=/nonexistent/root.crt".into()),
            project_ref: None,
        })
        .unwrap_err();
        assert!(e.to_string().contains("/nonexistent/root.crt"), "{e}");
    }

    #[test]
    fn weak_tls_to_remote_hosts_is_warned_about() {
        let warn = |url: &str| {
            Target::resolve(&ConnectOptions { url: Some(url.into()), project_ref: None }).unwrap().tls_warning()
        };
        for local in ["postgres://a@127.0.0.1/db?sslmode=disable", "postgres://a@localhost/db", "postgres://a@[::1]/db"]
        {
            assert_eq!(warn(local), None, "{local}");
        }
        let w = warn("postgres://a:pw@db.example.com/db?sslmode=disable").unwrap();
        assert!(w.contains("db.example.com is not encrypted") && !w.contains("pw"), "{w}");
        assert!(warn("postgres://a@10.0.0.5/db").unwrap().contains("(sslmode=prefer)"));
        assert!(warn("postgres://a@db.example.com/db?sslmode=require").unwrap().contains("does not check"));
        assert!(warn("postgres://a@db.abc.supabase.co/db?sslmode=require").unwrap().contains("Supabase's CA file"));
        assert_eq!(warn("postgres://a@db.example.com/db?sslmode=verify-full"), None);
    }
}

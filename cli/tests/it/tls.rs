//! TLS through rustls against the test server with its own CA: every sslmode, and sslrootcert.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::Duration;

use pgark_engine::{ConnectOptions, Target};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};

use crate::harness::*;

struct Certs {
    _dir: tempfile::TempDir,
    ca: PathBuf,
    other_ca: PathBuf,
}

fn make_ca() -> (rcgen::Certificate, KeyPair) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, "pgark test CA");
    let key = KeyPair::generate().unwrap();
    (params.self_signed(&key).unwrap(), key)
}

/// Turns TLS on for the shared cluster (once), with a certificate for `localhost` only.
async fn certs() -> &'static Certs {
    static CERTS: tokio::sync::OnceCell<Certs> = tokio::sync::OnceCell::const_new();
    CERTS
        .get_or_init(|| async {
            let (ca, ca_key) = make_ca();
            let key = KeyPair::generate().unwrap();
            let server =
                CertificateParams::new(vec!["localhost".to_string()]).unwrap().signed_by(&key, &ca, &ca_key).unwrap();
            let data = data_dir();
            let meta = std::fs::metadata(&data).unwrap();
            let (crt_path, key_path) = (data.join("test-server.crt"), data.join("test-server.key"));
            std::fs::write(&crt_path, server.pem()).unwrap();
            std::fs::write(&key_path, key.serialize_pem()).unwrap();
            for p in [&crt_path, &key_path] {
                std::os::unix::fs::chown(p, Some(meta.uid()), Some(meta.gid())).unwrap();
                std::fs::set_permissions(p, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
            }
            // ALTER SYSTEM refuses to run in a multi-statement string: one statement each.
            exec("postgres", &format!("ALTER SYSTEM SET ssl_cert_file = '{}'", crt_path.display())).await;
            exec("postgres", &format!("ALTER SYSTEM SET ssl_key_file = '{}'", key_path.display())).await;
            exec("postgres", "ALTER SYSTEM SET ssl = on").await;
            exec("postgres", "SELECT pg_reload_conf()").await;
            for _ in 0..50 {
                let on: String = client("postgres").await.query_one("SHOW ssl", &[]).await.unwrap().get(0);
                if on == "on" {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let dir = tmp();
            let ca_path = dir.path().join("ca.pem");
            std::fs::write(&ca_path, ca.pem()).unwrap();
            let other_path = dir.path().join("other-ca.pem");
            std::fs::write(&other_path, make_ca().0.pem()).unwrap();
            Certs { _dir: dir, ca: ca_path, other_ca: other_path }
        })
        .await
}

async fn try_tls(url: String) -> Result<bool, String> {
    let target = Target::resolve(&ConnectOptions { url: Some(url), project_ref: None }).map_err(|e| e.to_string())?;
    let c = target.connect().await.map_err(|e| e.to_string())?;
    let row = c.query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).await.unwrap();
    Ok(row.get(0))
}

#[tokio::test]
async fn every_sslmode_behaves_like_libpq() {
    let certs = certs().await;
    let p = port();
    let ca = certs.ca.display();
    let other = certs.other_ca.display();
    // Encrypted without a root file: no certificate check (libpq's require/prefer).
    assert_eq!(try_tls(format!("postgres://postgres@127.0.0.1:{p}/postgres?sslmode=require")).await, Ok(true));
    assert_eq!(try_tls(format!("postgres://postgres@127.0.0.1:{p}/postgres?sslmode=prefer")).await, Ok(true));
    assert_eq!(try_tls(format!("postgres://postgres@127.0.0.1:{p}/postgres?sslmode=disable")).await, Ok(false));
    // verify-full: right CA and right name.
    assert_eq!(
        try_tls(format!("postgres://postgres@localhost:{p}/postgres?sslmode=verify-full&sslrootcert={ca}")).await,
        Ok(true)
    );
    // The certificate names localhost, not 127.0.0.1: verify-full refuses, verify-ca accepts.
    let err = try_tls(format!("postgres://postgres@127.0.0.1:{p}/postgres?sslmode=verify-full&sslrootcert={ca}"))
        .await
        .unwrap_err();
    assert!(err.contains("cannot connect") && err.contains("certificate"), "{err}");
    assert_eq!(
        try_tls(format!("postgres://postgres@127.0.0.1:{p}/postgres?sslmode=verify-ca&sslrootcert={ca}")).await,
        Ok(true)
    );
    // A CA that did not sign the server certificate fails both verifying modes, and require with a root file.
    for mode in ["verify-ca", "verify-full", "require"] {
        let err = try_tls(format!("postgres://postgres@localhost:{p}/postgres?sslmode={mode}&sslrootcert={other}"))
            .await
            .unwrap_err();
        assert!(err.contains("certificate"), "{mode}: {err}");
    }
    // Key=value strings and PGSSLROOTCERT-style settings go through the same path.
    assert_eq!(
        try_tls(format!("host=localhost port={p} user=postgres dbname=postgres sslmode=verify-full sslrootcert={ca}"))
            .await,
        Ok(true)
    );
}

#[tokio::test]
async fn a_dump_and_restore_over_verified_tls() {
    let certs = certs().await;
    let db = fresh_db("tls_rt").await;
    exec(&db, "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, md5(i::text) FROM generate_series(1, 20000) i;").await;
    let dir = tmp();
    let path = dir.path().join("tls.pgark");
    let p = port();
    let src = format!("postgres://postgres@localhost:{p}/{db}?sslmode=verify-full&sslrootcert={}", certs.ca.display());
    let out = pgark(&["dump", "--db", &src, "-o", path.to_str().unwrap(), "--jobs", "2", "--chunk-size", "128KiB"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    exec("postgres", "DROP DATABASE IF EXISTS tls_rt_copy").await;
    let dst =
        format!("postgres://postgres@localhost:{p}/tls_rt_copy?sslmode=verify-full&sslrootcert={}", certs.ca.display());
    let out = pgark(&["restore", path.to_str().unwrap(), "--db", &dst, "--create"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_same(&db, "tls_rt_copy").await;
}

/// A connection crossing the network unencrypted or unverified is warned about (before anything
/// else is said about it); local ones are not.
#[tokio::test]
async fn weak_tls_to_a_remote_host_is_warned_about() {
    let out = pgark(&["dump", "--dry-run", "--db", "postgres://u:hidden-pw@no-such-host.invalid/db?sslmode=disable"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.starts_with("warning: the connection to no-such-host.invalid is not encrypted (sslmode=disable)"),
        "{stderr}"
    );
    assert!(!stderr.contains("hidden-pw"), "{stderr}");
    let out = pgark(&["drill", "missing.pgark", "--db", "postgres://u@no-such-host.invalid/db?sslmode=require"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("does not check the server's certificate (sslmode=require)"), "{stderr}");
    let db = fresh_db("tls_warn_local").await;
    let out = pgark(&["dump", "--dry-run", "--db", &url(&db)]);
    assert!(out.status.success() && !String::from_utf8_lossy(&out.stderr).contains("warning"), "local: no warning");
}

//! Encryption at rest: archives encrypted with age to recipients or a passphrase round-trip
//! through dump → verify (with and without the key) → restore, extract and cat with the key;
//! nothing of the data or the schema is readable without it; a changed byte is caught either way.

use std::path::{Path, PathBuf};

use age::secrecy::ExposeSecret;

use crate::harness::*;

const SECRET_VALUE: &str = "salary-of-the-ceo-4242";

/// An application database whose table and values must not be readable in its archive.
async fn payroll_db(name: &str) -> String {
    let db = fresh_db(name).await;
    exec(
        &db,
        &format!(
            "DO $$ BEGIN CREATE ROLE enc_owner; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
             CREATE SCHEMA hr AUTHORIZATION enc_owner;
             SET ROLE enc_owner;
             CREATE TABLE hr.payroll_confidential (id int PRIMARY KEY, who text, note text, amount numeric);
             INSERT INTO hr.payroll_confidential
               SELECT i, 'employee ' || i, CASE WHEN i = 77 THEN '{SECRET_VALUE}' ELSE md5(i::text) END, i * 100.5
               FROM generate_series(1, 30000) i;
             CREATE INDEX payroll_who ON hr.payroll_confidential (who);
             RESET ROLE;
             SELECT lo_from_bytea(0, 'an encrypted large object');"
        ),
    )
    .await;
    db
}

/// A new age identity file in `dir`; returns (its path, its recipient).
fn identity(dir: &Path, name: &str) -> (PathBuf, String) {
    let id = age::x25519::Identity::generate();
    let path = dir.join(name);
    std::fs::write(&path, format!("# created for a test\n{}\n", id.to_string().expose_secret())).unwrap();
    (path, id.to_public().to_string())
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn ok(out: &std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn an_archive_encrypted_to_recipients_round_trips_and_hides_everything_without_the_key() {
    let db = payroll_db("enc_src").await;
    let dir = tmp();
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let (alice, alice_r) = identity(dir.path(), "alice.txt");
    let (bob, bob_r) = identity(dir.path(), "bob.txt");
    let (mallory, _) = identity(dir.path(), "mallory.txt");
    let archive = backups.join("payroll.pgark");
    let a = archive.to_str().unwrap();
    let out = pgark(&[
        "dump",
        "-q",
        "--db",
        &url(&db),
        "-o",
        a,
        "--encrypt-to",
        &alice_r,
        "--encrypt-to",
        &bob_r,
        "--info-file",
        "--chunk-size",
        "256KiB",
    ]);
    ok(&out, "dump");

    // Nothing of the data or the schema is in the file, nor in its info file.
    let bytes = std::fs::read(&archive).unwrap();
    for secret in [SECRET_VALUE, "payroll_confidential", "employee 1", "enc_owner", "payroll_who"] {
        assert!(!contains(&bytes, secret), "{secret} is readable in the encrypted archive");
    }
    let info = std::fs::read_to_string(backups.join("payroll.pgark.txt")).unwrap();
    assert!(!info.contains("payroll_confidential") && info.contains("encrypted with age"), "{info}");

    // Without the key: what list, report, inspect and verify show.
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&pgark(&["list", backups.to_str().unwrap(), "--json"]), "list")).unwrap();
    let entry = listed.as_array().unwrap().iter().find(|e| e["file"] == "payroll.pgark").unwrap();
    assert_eq!((entry["state"].as_str(), entry["encrypted"].as_bool()), (Some("archive"), Some(true)), "{entry}");
    assert_eq!(entry["database"], "enc_src");
    assert_eq!(entry["rows"], 30000 + 1, "rows are public: {entry}");
    let text = ok(&pgark(&["inspect", a]), "inspect without key");
    assert!(
        text.contains("encrypted:   with age, to ") && text.contains(&alice_r) && !text.contains("payroll_conf"),
        "{text}"
    );
    let text = ok(&pgark(&["verify", a]), "verify without key");
    assert!(text.contains("without its key every stored byte was checked"), "{text}");
    let out = pgark(&["restore", a, "--db", &url("enc_nokey"), "--create"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("encrypted (to ") && err.contains("--identity FILE"), "{err}");
    let out = pgark(&["cat", a, "hr.payroll_confidential", "--identity", mallory.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("none of the keys given"), "{err}");

    // With either key: everything.
    let text = ok(&pgark(&["verify", a, "--identity", bob.to_str().unwrap()]), "verify with key");
    assert!(text.starts_with("ok: ") && text.contains("30001 rows"), "{text}");
    let text = ok(&pgark(&["inspect", a, "-i", alice.to_str().unwrap()]), "inspect with key");
    assert!(text.contains("hr.payroll_confidential"), "{text}");
    let text = ok(&pgark(&["cat", a, "hr.payroll_confidential", "-i", alice.to_str().unwrap()]), "cat");
    assert!(text.contains(SECRET_VALUE), "cat shows the rows");
    exec("postgres", "DROP DATABASE IF EXISTS enc_copy WITH (FORCE)").await;
    ok(&pgark(&["restore", "-q", a, "--db", &url("enc_copy"), "--create", "-i", bob.to_str().unwrap()]), "restore");
    assert_same(&db, "enc_copy").await;
    let sql = dir.path().join("out.sql");
    ok(
        &pgark(&["extract", a, "--format", "sql", "-o", sql.to_str().unwrap(), "-i", alice.to_str().unwrap()]),
        "extract",
    );
    assert!(std::fs::read_to_string(&sql).unwrap().contains(SECRET_VALUE));
    let report =
        ok(&pgark(&["drill", "-q", a, "--db", &url("postgres"), "-i", alice.to_str().unwrap(), "--json"]), "drill");
    assert!(report.contains("\"content\": \"match\""), "{report}");

    // A changed byte in a chunk: caught without the key (outer hash) and with it.
    let mut changed = bytes.clone();
    changed[4096] ^= 0x20;
    let bad = dir.path().join("changed.pgark");
    std::fs::write(&bad, &changed).unwrap();
    let out = pgark(&["verify", bad.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && said.contains("encrypted chunk") && said.contains("blake3"), "{said}");
    let out = pgark(&["verify", bad.to_str().unwrap(), "-i", alice.to_str().unwrap()]);
    assert!(!out.status.success(), "with the key too");
}

#[tokio::test]
async fn an_archive_encrypted_with_a_passphrase_opens_only_with_it() {
    let db = payroll_db("enc_pass").await;
    let dir = tmp();
    let archive = dir.path().join("p.pgark");
    let a = archive.to_str().unwrap();
    let out =
        pgark_command(Path::new("."), &["dump", "-q", "--db", &url(&db), "-o", a, "--passphrase-env", "BACKUP_PASS"])
            .env("BACKUP_PASS", "correct horse battery staple")
            .output()
            .unwrap();
    ok(&out, "dump with a passphrase");
    assert!(!contains(&std::fs::read(&archive).unwrap(), "correct horse"), "the passphrase is not stored");
    let good = dir.path().join("pass.txt");
    std::fs::write(&good, "correct horse battery staple\n").unwrap();
    let wrong = dir.path().join("wrong.txt");
    std::fs::write(&wrong, "incorrect horse\n").unwrap();
    let out = pgark(&["verify", a, "--passphrase-file", wrong.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("wrong passphrase"), "{err}{}", String::from_utf8_lossy(&out.stdout));
    exec("postgres", "DROP DATABASE IF EXISTS enc_pass_copy WITH (FORCE)").await;
    let out = pgark(&[
        "restore",
        "-q",
        a,
        "--db",
        &url("enc_pass_copy"),
        "--create",
        "--passphrase-file",
        good.to_str().unwrap(),
    ]);
    ok(&out, "restore with the passphrase");
    assert_same(&db, "enc_pass_copy").await;
    // Bad encryption settings are refused before anything is written.
    let out = pgark(&[
        "dump",
        "-q",
        "--db",
        &url(&db),
        "-o",
        dir.path().join("x.pgark").to_str().unwrap(),
        "--encrypt-to",
        "age1notakey",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("'age1notakey' is not an age recipient"), "{err}");
    let out = pgark_command(
        Path::new("."),
        &[
            "dump",
            "-q",
            "--db",
            &url(&db),
            "-o",
            dir.path().join("y.pgark").to_str().unwrap(),
            "--passphrase-env",
            "NOT_SET_ANYWHERE",
        ],
    )
    .env_remove("NOT_SET_ANYWHERE")
    .output()
    .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("NOT_SET_ANYWHERE is not set"));
    assert!(!dir.path().join("x.pgark").exists() && !dir.path().join("y.pgark").exists());
}

/// `[encryption]` in pgark.toml encrypts dumps that give no encryption flag (scheduled ones);
/// its problems are config problems.
#[tokio::test]
async fn the_config_encrypts_scheduled_dumps() {
    let db = payroll_db("enc_config").await;
    let dir = tmp();
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let (key, recipient) = identity(dir.path(), "key.txt");
    std::fs::write(dir.path().join("recipients.txt"), format!("# ops\n{recipient}\n")).unwrap();
    std::fs::write(
        dir.path().join("pgark.toml"),
        format!(
            "backup_dir = {:?}\ndrill_db = \"{}\"\n[connection]\nurl = \"{}\"\n\
             [encryption]\nrecipients_file = \"recipients.txt\"\nidentity_file = \"key.txt\"\n\
             [schedules.nightly]\nenabled = true\nevery = \"daily\"\ntime = \"01:00\"\ndrill = true\n",
            backups.to_str().unwrap(),
            url("postgres"),
            url(&db)
        ),
    )
    .unwrap();
    ok(&pgark_in(dir.path(), &["config", "check"]), "config check");
    let said = ok(&pgark_in(dir.path(), &["schedule", "run", "nightly"]), "schedule run");
    assert!(!said.contains("without its key"), "{said}");
    // The scheduled verify and drill opened the archive with the config's identity file.
    let history = std::fs::read_to_string(pgark_engine::history_path(&backups)).unwrap();
    let runs: Vec<serde_json::Value> = history.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kinds: Vec<String> = runs.iter().map(|r| format!("{} {}", r["kind"], r["status"])).collect();
    assert_eq!(kinds, ["\"dump\" \"ok\"", "\"verify\" \"ok\"", "\"drill\" \"ok\""], "{history}");
    assert!(runs[1]["rows"].as_u64().unwrap() > 0, "the verify checked the data (rows): {history}");
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&pgark_in(dir.path(), &["list", "--json"]), "list")).unwrap();
    let archives: Vec<&serde_json::Value> =
        listed.as_array().unwrap().iter().filter(|e| e["state"] == "archive").collect();
    assert_eq!(archives.len(), 1, "{listed}");
    assert_eq!(archives[0]["encrypted"], true, "{listed}");
    let file = backups.join(archives[0]["file"].as_str().unwrap());
    let text = ok(
        &pgark(&[
            "cat",
            file.to_str().unwrap(),
            "hr.payroll_confidential",
            "--limit",
            "1",
            "-i",
            key.to_str().unwrap(),
        ]),
        "cat",
    );
    assert!(text.starts_with("1\temployee 1\t"), "{text}");

    std::fs::write(
        dir.path().join("pgark.toml"),
        format!(
            "backup_dir = {:?}\n[encryption]\nrecipients = [\"age1bad\"]\npasphrase_file = \"x\"\n",
            backups.to_str().unwrap()
        ),
    )
    .unwrap();
    let out = pgark_in(dir.path(), &["config", "check"]);
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success() && said.contains("pasphrase_file"), "{said}");
}

/// The options of a user mapping as the server has them.
async fn mapping_options(db: &str) -> Vec<String> {
    let row =
        client(db).await.query_one("SELECT coalesce(umoptions, '{}')::text[] FROM pg_user_mapping", &[]).await.unwrap();
    row.get(0)
}

#[tokio::test]
async fn user_mapping_passwords_travel_only_in_encrypted_archives() {
    let db = fresh_db("enc_mapping").await;
    exec(
        &db,
        "DO $$ BEGIN CREATE ROLE enc_remote_user NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
         CREATE FOREIGN DATA WRAPPER enc_fdw; CREATE SERVER enc_server FOREIGN DATA WRAPPER enc_fdw;
         CREATE USER MAPPING FOR enc_remote_user SERVER enc_server OPTIONS (user 'remote', password 'mapping-pw-4711');
         CREATE TABLE t (id int); INSERT INTO t VALUES (1);",
    )
    .await;
    let dir = tmp();
    let (plain, sealed, bare) =
        (dir.path().join("plain.pgark"), dir.path().join("sealed.pgark"), dir.path().join("bare.pgark"));

    // Not encrypted: every option but the password, which the dump says it left out.
    let out = pgark(&["dump", "-q", "--db", &url(&db), "-o", plain.to_str().unwrap()]);
    ok(&out, "plain dump");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the password of user mapping for enc_remote_user on server enc_server is left out"), "{err}");
    assert!(!contains(&std::fs::read(&plain).unwrap(), "mapping-pw-4711"));
    exec("postgres", "DROP DATABASE IF EXISTS enc_mapping_plain WITH (FORCE)").await;
    ok(&pgark(&["restore", "-q", plain.to_str().unwrap(), "--db", &url("enc_mapping_plain"), "--create"]), "restore");
    assert_eq!(mapping_options("enc_mapping_plain").await, ["user=remote"]);

    // Encrypted: the password too, and nowhere in the file's bytes.
    let out = pgark_command(
        Path::new("."),
        &["dump", "-q", "--db", &url(&db), "-o", sealed.to_str().unwrap(), "--passphrase-env", "BACKUP_PASS"],
    )
    .env("BACKUP_PASS", "mapping test passphrase")
    .output()
    .unwrap();
    ok(&out, "encrypted dump");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("left out"), "{err}");
    assert!(!contains(&std::fs::read(&sealed).unwrap(), "mapping-pw-4711"));
    let pass = dir.path().join("pass.txt");
    std::fs::write(&pass, "mapping test passphrase\n").unwrap();
    exec("postgres", "DROP DATABASE IF EXISTS enc_mapping_sealed WITH (FORCE)").await;
    let args = ["restore", "-q", sealed.to_str().unwrap(), "--create", "--passphrase-file", pass.to_str().unwrap()];
    ok(&pgark(&[&args[..], &["--db", &url("enc_mapping_sealed")]].concat()), "restore of the encrypted archive");
    assert_eq!(mapping_options("enc_mapping_sealed").await, ["user=remote", "password=mapping-pw-4711"]);

    // --no-user-mapping-options: the mapping alone.
    let out = pgark(&["dump", "-q", "--db", &url(&db), "-o", bare.to_str().unwrap(), "--no-user-mapping-options"]);
    ok(&out, "dump without mapping options");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("left out"), "{err}");
    exec("postgres", "DROP DATABASE IF EXISTS enc_mapping_bare WITH (FORCE)").await;
    ok(&pgark(&["restore", "-q", bare.to_str().unwrap(), "--db", &url("enc_mapping_bare"), "--create"]), "restore");
    assert!(mapping_options("enc_mapping_bare").await.is_empty());
}

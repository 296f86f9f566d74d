//! Damaged, truncated and foreign archives: clear errors naming what is wrong, never a panic.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use pgark_engine::{verify, Archive, DumpOptions, Layout, NoProgress, RestoreOptions};

use crate::harness::*;

/// One good archive of the demo database (several tables, several chunks), made once.
async fn good_archive() -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let path = DIR.get_or_init(tmp).path().join("good.pgark");
    static MADE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    MADE.get_or_init(|| async {
        let db = fresh_db("arch_src").await;
        exec(&db, &fixture("demo.sql")).await;
        dump_db(&db, &path, &DumpOptions { chunk_size: 1 << 20, ..Default::default() }).await;
    })
    .await;
    path
}

fn copy_with(src: &Path, dir: &Path, name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = std::fs::read(src).unwrap();
    edit(&mut bytes);
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[tokio::test]
async fn a_chunk_failing_its_raw_hash_is_never_committed() {
    // Chunks are streamed to the server while they are unpacked and hashed; the COPY must be
    // committed only after the whole stream matched. A wrong raw hash in an otherwise intact
    // archive shows whether anything of the chunk was loaded.
    let good = good_archive().await;
    let archive = Archive::open(&good).unwrap();
    let m = archive.manifest();
    // The largest chunk is the first one restore loads (one job: nothing is loaded before it).
    let (t, c) = (0..m.tables.len())
        .flat_map(|t| (0..m.tables[t].chunks.len()).map(move |c| (t, c)))
        .min_by_key(|&(t, c)| std::cmp::Reverse(m.tables[t].chunks[c].raw_len))
        .unwrap();
    let table = &m.tables[t];
    assert!(table.chunks[c].rows > 0 && table.layout == Layout::Columns);
    let dir = tmp();
    let bad = with_manifest(&good, dir.path(), "raw_hash.pgark", |m| {
        m.tables[t].chunks[c].raw_blake3 = "00".repeat(32);
    });
    let report = verify(&Archive::open(&bad).unwrap(), &NoProgress);
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(report.problems[0].to_string().contains("does not match its blake3 hash"));

    // Without the check before the restore, the load itself refuses the chunk.
    let target = fresh_db("arch_raw_hash_restore").await;
    let opts = RestoreOptions { jobs: 1, skip_check: true, ..Default::default() };
    let err = restore_into(&bad, &target, &opts).await.unwrap_err().to_string();
    let name = table.display_name();
    assert!(err.contains(&format!("table {name}, chunk {c}")) && err.contains("stopped after"), "{err}");
    let sql = format!("SELECT count(*) FROM {}", pgark_engine::qualified(&table.schema, &table.name));
    let rows: i64 = client(&target).await.query_one(&sql, &[]).await.unwrap().get(0);
    assert_eq!(rows, 0, "rows of the damaged chunk were committed");
}

#[tokio::test]
async fn verify_names_the_table_and_chunk_of_a_flipped_byte() {
    let good = good_archive().await;
    let archive = Archive::open(&good).unwrap();
    let report = verify(&archive, &NoProgress);
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.rows, archive.manifest().total_rows());

    let table = archive.manifest().tables.iter().find(|t| t.chunks.len() > 1).unwrap();
    let chunk = &table.chunks[1];
    let dir = tmp();
    let bad =
        copy_with(&good, dir.path(), "flipped.pgark", |b| b[(chunk.offset + chunk.stored_len / 2) as usize] ^= 0x40);
    let report = verify(&Archive::open(&bad).unwrap(), &NoProgress);
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    let msg = report.problems[0].to_string();
    assert!(msg.contains(&format!("table {}, chunk 1 (offset {})", table.display_name(), chunk.offset)), "{msg}");
    assert!(msg.contains("blake3"), "{msg}");

    // The CLI says the same and exits non-zero.
    let out = pgark(&["verify", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&table.display_name()) && stderr.contains("chunk 1"), "{stderr}");
    assert!(pgark(&["verify", good.to_str().unwrap()]).status.success());
    // The original system's name still works, and is not suggested for unrelated words.
    assert!(pgark(&["-q", "validate", good.to_str().unwrap()]).status.success());
    assert!(!String::from_utf8_lossy(&pgark(&["list"]).stderr).contains("validate"));
    // Several archives, or a folder of them: one line each and a summary; failing if any fails.
    let out = pgark(&["verify", "-q", good.to_str().unwrap(), bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 archive(s) checked: 1 ok, 1 failed"));
    std::fs::copy(&good, dir.path().join("good.pgark")).unwrap();
    let out = pgark(&["verify", "-q", "--json", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let oks: Vec<bool> = reports.as_array().unwrap().iter().map(|r| r["ok"].as_bool().unwrap()).collect();
    assert_eq!(oks, [false, true], "flipped.pgark, good.pgark in name order");

    // Restore checks every chunk before changing anything.
    let target = fresh_db("arch_flipped_restore").await;
    let err = restore_into(&bad, &target, &RestoreOptions::default()).await.unwrap_err().to_string();
    assert!(err.contains("chunk 1") && err.contains("nothing was changed"), "{err}");
    let tables: i64 = client(&target)
        .await
        .query_one(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'shop'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(tables, 0, "a damaged archive changed the target");
    // With --create, no database is made either.
    exec("postgres", "DROP DATABASE IF EXISTS arch_flipped_new").await;
    let out = pgark(&["restore", "-q", bad.to_str().unwrap(), "--db", &url("arch_flipped_new"), "--create"]);
    assert!(!out.status.success());
    let made =
        client("postgres").await.query("SELECT 1 FROM pg_database WHERE datname = 'arch_flipped_new'", &[]).await;
    assert!(made.unwrap().is_empty());
}

#[tokio::test]
async fn a_flipped_manifest_byte_is_reported_as_manifest_corruption() {
    let good = good_archive().await;
    let len = std::fs::metadata(&good).unwrap().len() as usize;
    let dir = tmp();
    // The manifest ends right before the 72-byte footer.
    let bad = copy_with(&good, dir.path(), "manifest.pgark", |b| b[len - 72 - 10] ^= 1);
    let err = Archive::open(&bad).unwrap_err().to_string();
    assert!(err.contains("manifest is corrupt"), "{err}");
    let out = pgark(&["verify", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("manifest is corrupt"));
}

#[tokio::test]
async fn truncated_empty_and_foreign_files_are_errors_not_panics() {
    let good = good_archive().await;
    let bytes = std::fs::read(&good).unwrap();
    let dir = tmp();
    let mut cases: Vec<(String, Vec<u8>, &str)> = vec![
        ("empty".into(), vec![], "empty file"),
        ("tiny".into(), b"PG".to_vec(), "not a pgark archive"),
        ("text".into(), b"-- PostgreSQL database dump\nCREATE TABLE x ();\n".repeat(10), "it is a plain SQL script"),
        ("custom".into(), [&b"PGDMP\x01\x0e\x00"[..], &[0; 64]].concat(), "it is a pg_dump custom-format archive"),
        ("age".into(), b"age-encryption.org/v1\n-> X25519 abc\n".repeat(3), "it is an age-encrypted file"),
        ("gzip".into(), [&[0x1f, 0x8b, 8, 0][..], &[0; 60]].concat(), "it is a gzip-compressed file"),
        ("header-only".into(), bytes[..16].to_vec(), "no footer"),
    ];
    for cut in [17, 100, bytes.len() / 2, bytes.len() - 73, bytes.len() - 1] {
        cases.push((format!("cut-{cut}"), bytes[..cut].to_vec(), "footer"));
    }
    let mut future = bytes.clone();
    future[8] = 9;
    cases.push(("future".into(), future, "format version 9 is not supported"));
    let mut seed = 0x2545F4914F6CDD1Du64;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect();
    cases.push(("noise".into(), noise, "not a pgark archive"));
    for (name, content, expected) in cases {
        let p = dir.path().join(&name);
        std::fs::write(&p, &content).unwrap();
        let err = Archive::open(&p).expect_err(&name).to_string();
        assert!(err.contains(expected), "{name}: {err}");
        assert!(err.contains(&*p.to_string_lossy()), "{name}: the error names the file: {err}");
        let db = url("postgres");
        for args in [vec!["verify"], vec!["inspect"], vec!["restore", "--db", &db]] {
            let cmd = args[0];
            let out = pgark(&[&args[..], &[p.to_str().unwrap()]].concat());
            assert_eq!(out.status.code(), Some(1), "{cmd} {name}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.starts_with("error: ") && !stderr.contains("panicked"), "{cmd} {name}: {stderr}");
        }
    }
    let missing = pgark(&["verify", "/nonexistent/x.pgark"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/x.pgark"));
}

#[tokio::test]
async fn output_cut_short_by_its_reader_is_not_a_panic() {
    use std::io::BufRead;
    // A listing far longer than a pipe holds (64 KiB), so the writer meets the closed pipe.
    let db = fresh_db("arch_many").await;
    exec(&db, "DO $$ BEGIN FOR i IN 1..1500 LOOP EXECUTE format('CREATE TABLE t_%s (id int PRIMARY KEY)', i); END LOOP; END $$").await;
    let dir = tmp();
    let path = dir.path().join("many.pgark");
    dump_db(&db, &path, &DumpOptions { data: false, ..Default::default() }).await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pgark"))
        .args(["restore", path.to_str().unwrap(), "--list"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with("pre-data"), "{first}");
    let out = child.wait_with_output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn inspect_describes_the_archive() {
    let good = good_archive().await;
    let out = pgark(&["inspect", good.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "database:    arch_src",
        "shop.order_items",
        "120000",
        "pgark restore",
        "zstd level 1, 4 of 4 tables packed by column",
        "(archive format 2)",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let out = pgark(&["inspect", "--json", good.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["totals"]["rows"], 202000);
    assert_eq!(v["totals"]["tables"], 4);
    assert_eq!(v["format_version"], 2);
    assert!(v["tables"].as_array().unwrap().iter().all(|t| t["layout"] == "columns"));
}

#[tokio::test]
async fn archives_of_format_1_still_verify_and_restore() {
    // testdata/format1.pgark was written by pgark's first archive format (plain COPY streams in
    // the zstd frames) from testdata/format1.sql.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/format1.pgark");
    assert_eq!(std::fs::read(&path).unwrap()[8..12], 1u32.to_le_bytes());
    let archive = Archive::open(&path).unwrap();
    assert!(archive.manifest().tables.iter().all(|t| t.layout == Layout::Rows));
    let report = verify(&archive, &NoProgress);
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.rows, 3500);
    assert_eq!(archive.format_version(), 1);
    let out = pgark(&["inspect", path.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("(archive format 1)"));

    let source = fresh_db("format1_src").await;
    exec(&source, &fixture("format1.sql")).await;
    let copy = fresh_db("format1_copy").await;
    restore_into(&path, &copy, &RestoreOptions { jobs: 2, ..Default::default() }).await.unwrap();
    assert_same(&source, &copy).await;
}

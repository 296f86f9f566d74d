//! `extract` and `cat` through the binary: a script psql loads, compressed scripts, stdout,
//! never over an existing file; one table's rows as COPY text or CSV, limited and projected,
//! and the CSV loads back to the same rows.

use crate::harness::*;

fn run(args: &[&str]) -> std::process::Output {
    let out = pgark(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

#[tokio::test]
async fn extract_and_cat_read_an_archive_without_a_database() {
    let db = fresh_db("ex_src").await;
    exec(
        &db,
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ex_app') THEN CREATE ROLE ex_app; END IF; END $$;
         CREATE SCHEMA shop AUTHORIZATION ex_app;
         SET ROLE ex_app;
         CREATE TABLE shop.\"Orders\" (id int PRIMARY KEY, note text, tags text[], paid numeric(10,2), at timestamptz);
         INSERT INTO shop.\"Orders\" SELECT i, CASE WHEN i % 7 = 0 THEN NULL WHEN i % 5 = 0 THEN '' ELSE 'n, \"' || i || E'\\n' END,
           ARRAY['a', NULL, 'b c'], i * 1.25, '2026-01-01'::timestamptz + i * interval '1 hour' FROM generate_series(1, 500) i;
         CREATE INDEX orders_at ON shop.\"Orders\" (at);
         RESET ROLE;",
    )
    .await;
    let dir = tmp();
    let archive = dir.path().join("shop.pgark");
    let archive_s = archive.to_str().unwrap();
    run(&["dump", "-q", "--db", &url(&db), "-o", archive_s]);

    // A plain script, then psql: the same schema and rows.
    let script = dir.path().join("shop.sql");
    let out = run(&["extract", archive_s, "--format", "sql", "-o", script.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("500 rows"), "{}", String::from_utf8_lossy(&out.stderr));
    let plain = format!("{db}_sql");
    exec("postgres", &format!("DROP DATABASE IF EXISTS {plain}")).await;
    exec("postgres", &format!("CREATE DATABASE {plain}")).await;
    psql_file(&plain, &script, &[]);
    assert_same(&db, &plain).await;
    // An archive dumped in text COPY format needs no decoding: the same.
    let text_archive = dir.path().join("shop-text.pgark");
    run(&["dump", "-q", "--db", &url(&db), "-o", text_archive.to_str().unwrap(), "--copy-format", "text"]);
    extract_and_load(&text_archive, &plain).await;
    assert_same(&db, &plain).await;
    // Never over an existing file; nothing partial left.
    let again = pgark(&["extract", archive_s, "--format", "sql", "-o", script.to_str().unwrap()]);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert!(!dir.path().join("shop.sql.partial").exists());
    // Compressed, to stdout, and selective: the same statements.
    let zst = dir.path().join("shop.sql.zst");
    run(&["extract", archive_s, "--format", "sql", "-o", zst.to_str().unwrap(), "--zstd"]);
    let unpacked = zstd::decode_all(std::fs::File::open(&zst).unwrap()).unwrap();
    assert_eq!(unpacked, std::fs::read(&script).unwrap());
    let stdout =
        run(&["extract", archive_s, "--format", "sql", "-o", "-", "--section", "pre-data", "--no-owner"]).stdout;
    let text = String::from_utf8(stdout).unwrap();
    assert!(text.contains("CREATE TABLE \"shop\".\"Orders\"") && !text.contains("COPY ") && !text.contains("OWNER TO"));

    // The directory form, by the binary: complete files under the final name, never into an
    // existing directory.
    let tree = dir.path().join("shop.d");
    run(&["extract", archive_s, "--format", "dir", "-o", tree.to_str().unwrap(), "-q"]);
    for f in ["pre-data.sql", "post-data.sql", "restore.sql", "README.txt", "data/00000-00000.bin"] {
        assert!(tree.join(f).is_file(), "{f}");
    }
    assert!(!dir.path().join("shop.d.partial").exists());
    let again = pgark(&["extract", archive_s, "--format", "dir", "-o", tree.to_str().unwrap()]);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let gz = pgark(&["extract", archive_s, "--format", "dir", "-o", dir.path().join("x").to_str().unwrap(), "--gzip"]);
    assert!(!gz.status.success() && !dir.path().join("x").exists());

    // cat: COPY text equal to the server's own, limited, projected, CSV.
    let out = run(&["cat", archive_s, "shop.Orders"]);
    let client = client(&db).await;
    client.batch_execute("SET TimeZone = 'UTC'; SET extra_float_digits = 3").await.unwrap();
    let server: Vec<String> = client
        .query("SELECT t::text FROM shop.\"Orders\" t ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let lines: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 500);
    assert_eq!(server.len(), 500);
    assert!(lines[0].starts_with("1\tn, \"1\\n\t{a,NULL,\"b c\"}\t1.25\t2026-01-01 01:00:00+00"), "{}", lines[0]);
    let limited = run(&["cat", archive_s, "Orders", "--limit", "3", "--columns", "paid,id"]).stdout;
    assert_eq!(String::from_utf8(limited).unwrap(), "1.25\t1\n2.50\t2\n3.75\t3\n");
    let csv = run(&["cat", archive_s, "Orders", "--format", "csv"]).stdout;
    let csv_path = dir.path().join("orders.csv");
    std::fs::write(&csv_path, &csv).unwrap();
    exec(&db, "CREATE TABLE shop.orders_back (LIKE shop.\"Orders\")").await;
    client
        .batch_execute(&format!("COPY shop.orders_back FROM '{}' (FORMAT csv, HEADER true)", csv_path.display()))
        .await
        .unwrap_or_else(|e| panic!("loading the CSV: {e:?}"));
    let differ: i64 = client
        .query_one(
            "SELECT count(*) FROM ((TABLE shop.\"Orders\" EXCEPT ALL TABLE shop.orders_back) \
             UNION ALL (TABLE shop.orders_back EXCEPT ALL TABLE shop.\"Orders\")) d",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(differ, 0, "the CSV loads back to the same rows (NULL and empty strings apart)");
    let nulls: i64 =
        client.query_one("SELECT count(*) FROM shop.orders_back WHERE note IS NULL", &[]).await.unwrap().get(0);
    assert_eq!(nulls, 71);

    let block = run(&["cat", archive_s, "Orders", "--format", "sql", "--limit", "2", "--columns", "id,paid"]).stdout;
    assert_eq!(
        String::from_utf8(block).unwrap(),
        "COPY \"shop\".\"Orders\" (\"id\", \"paid\") FROM STDIN (FORMAT text);\n1\t1.25\n2\t2.50\n\\.\n"
    );

    let out = pgark(&["cat", archive_s, "nope"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no data for a table nope"));
    let out = pgark(&["cat", archive_s, "Orders", "--columns", "id,nope"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("has no column nope"));
}

/// `cat` of an 8M-row table streams: the process's peak memory stays far below the size of what
/// it writes.
#[tokio::test]
async fn cat_of_a_large_table_runs_in_bounded_memory() {
    let db = fresh_db("ex_big").await;
    exec(&db, "CREATE TABLE big AS SELECT i AS id, i % 1000 AS k, 'row ' || (i % 97) AS label FROM generate_series(1, 8000000) i")
        .await;
    // Sizes known (relpages), so the table is cut into chunks: memory holds one chunk's
    // compressed frame at a time, not the table's.
    exec(&db, "ANALYZE big").await;
    let dir = tmp();
    let archive = dir.path().join("big.pgark");
    run(&["dump", "-q", "--db", &url(&db), "-o", archive.to_str().unwrap(), "--chunk-size", "16MiB"]);
    assert!(pgark_engine::Archive::open(&archive).unwrap().manifest().tables[0].chunks.len() >= 16);
    let out_path = dir.path().join("big.txt");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pgark"))
        .args(["cat", archive.to_str().unwrap(), "big"])
        .stdout(std::fs::File::create(&out_path).unwrap())
        .spawn()
        .unwrap();
    // The high-water mark of its own memory since exec (VmHWM): rusage's maxrss would count
    // the test process's image the child was forked from.
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            if let Some(kib) = text.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
                let kib: u64 = kib.trim().trim_end_matches("kB").trim().parse().unwrap();
                peak = peak.max(kib * 1024);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    assert!(status.success());
    assert!(peak > 0, "the child's memory was read");
    let written = std::fs::metadata(&out_path).unwrap().len();
    assert!(written > 140 << 20, "{written} bytes written");
    // Whatever the binary and its libraries take, far less than the rows written.
    assert!(peak < 64 << 20, "peak memory {peak} bytes for {written} bytes of rows");
}

#[tokio::test]
async fn an_insert_script_runs_through_a_client_without_copy_and_gives_the_same_data() {
    let db = fresh_db("ex_ins").await;
    exec(&db, &fixture("types.sql")).await;
    exec(
        &db,
        "CREATE TABLE odd (id int PRIMARY KEY, t text, b bytea, j jsonb, a text[], g int GENERATED ALWAYS AS (id * 2) STORED);
         INSERT INTO odd (id, t, b, j, a) VALUES
           (1, E'it''s a \\\\ back\\nslash\\tand tab', '\\x00ff27', '{\"k\": \"v''\"}', ARRAY['x', NULL, 'y z']),
           (2, NULL, NULL, NULL, NULL), (3, '', '', '[]', '{}');
         SELECT lo_from_bytea(0, 'large object bytes with '' quote');",
    )
    .await;
    let dir = tmp();
    let archive = dir.path().join("ins.pgark");
    run(&["dump", "-q", "--db", &url(&db), "-o", archive.to_str().unwrap()]);
    let script = dir.path().join("ins.sql");
    let archive_s = archive.to_str().unwrap();
    run(&[
        "extract",
        archive_s,
        "--inserts",
        "--rows-per-insert",
        "3",
        "--on-conflict-do-nothing",
        "-o",
        script.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(
        text.contains("INSERT INTO \"public\".\"odd\" (\"id\", \"t\", \"b\", \"j\", \"a\") VALUES"),
        "generated g is left out"
    );
    assert!(text.contains(" ON CONFLICT DO NOTHING;"));
    assert!(!text.lines().any(|l| l.starts_with("COPY ") || l.starts_with('\\')), "no COPY, no psql meta-command");
    // A client that cannot run COPY: one simple-query batch.
    let copy = format!("{db}_copy");
    exec("postgres", &format!("DROP DATABASE IF EXISTS {copy}")).await;
    exec("postgres", &format!("CREATE DATABASE {copy}")).await;
    client(&copy).await.batch_execute(&text).await.unwrap();
    assert_same(&db, &copy).await;
    let lo: Vec<u8> = value(&copy, "SELECT lo_get(oid) FROM pg_largeobject_metadata").await;
    assert_eq!(lo, b"large object bytes with ' quote");
    // The INSERT options belong to SQL scripts.
    let out = pgark(&["extract", archive_s, "--format", "csv", "--inserts", "-o", "x"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--format sql"));
    let out = pgark(&["extract", archive_s, "--on-conflict-do-nothing", "-o", "y.sql"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("needs --inserts"));
}

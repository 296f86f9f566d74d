//! Dump → restore → compare, against the real server.

use std::sync::Arc;

use pgark_engine::{dump, Archive, Compression, CopyFormat, DumpOptions, Filter, NoProgress, RestoreOptions};

use crate::harness::*;

#[tokio::test]
async fn types_fixture_round_trips_exactly() {
    let db = fresh_db("rt_types").await;
    exec(&db, &fixture("types.sql")).await;
    let dir = tmp();
    let path = dir.path().join("types.pgark");
    let options = DumpOptions { jobs: 3, chunk_size: 256 << 10, ..Default::default() };
    let summary = dump_db(&db, &path, &options).await;
    assert!(summary.chunks > summary.tables, "the TOAST-heavy table should be split");

    let archive = Archive::open(&path).unwrap();
    let m = archive.manifest();
    let table = |name: &str| m.tables.iter().find(|t| t.name == name).unwrap();
    // Arrays of user types and composites embed type oids in binary form: those go as text.
    assert_eq!(table("arrays").format, CopyFormat::Text);
    assert_eq!(table("scalars").format, CopyFormat::Binary);
    assert!(table("blobs").chunks.len() >= 3, "blobs: {} chunks", table("blobs").chunks.len());
    assert_eq!(table("generated").columns, vec!["id", "w", "h"], "generated columns are not copied");
    assert_eq!(table("dropped").columns, vec!["id", "kept"]);
    assert_eq!(table("empty_table").rows(), 0);
    assert_eq!(table("no_columns").rows(), 3);
    assert!(m.tables.iter().all(|t| t.name != "measure"), "a partitioned parent has no data of its own");

    let copy = fresh_db("rt_types_copy").await;
    let restored = restore_into(&path, &copy, &RestoreOptions { jobs: 3, ..Default::default() }).await.unwrap();
    assert_eq!(restored.rows, summary.rows);
    assert_same(&db, &copy).await;
    // Sequence values and identity continue where the source stopped.
    let c = client(&copy).await;
    let next: i64 = c.query_one("SELECT nextval('public.free_seq')", &[]).await.unwrap().get(0);
    assert_eq!(next, 110);
    let id: i32 =
        c.query_one("INSERT INTO public.generated (w, h) VALUES (1, 1) RETURNING id", &[]).await.unwrap().get(0);
    assert_eq!(id, 101);
}

#[tokio::test]
async fn one_table_in_many_chunks_restores_identically() {
    let db = fresh_db("rt_chunks").await;
    exec(
        &db,
        "CREATE TABLE big (id bigint PRIMARY KEY, v text, n numeric);
         INSERT INTO big SELECT i, md5(i::text), i / 7.0 FROM generate_series(1, 100000) i;
         DELETE FROM big WHERE id % 10 = 0;",
    )
    .await;
    let dir = tmp();
    let path = dir.path().join("big.pgark");
    let summary = dump_db(&db, &path, &DumpOptions { jobs: 4, chunk_size: 512 << 10, ..Default::default() }).await;
    let archive = Archive::open(&path).unwrap();
    let big = &archive.manifest().tables[0];
    assert!(big.chunks.len() >= 4, "{} chunks", big.chunks.len());
    assert_eq!(big.rows(), 90000);
    assert!(big.chunks.iter().all(|c| c.rows > 0));
    assert_eq!(big.chunks.last().unwrap().end_block, None, "the last range is open-ended");

    let copy = fresh_db("rt_chunks_copy").await;
    let restored = restore_into(&path, &copy, &RestoreOptions { jobs: 4, ..Default::default() }).await.unwrap();
    assert_eq!(restored.chunks, big.chunks.len());
    assert_eq!(restored.rows, summary.rows);
    assert_same(&db, &copy).await;
}

#[tokio::test]
async fn rows_written_during_a_dump_are_not_in_it() {
    let db = fresh_db("rt_snapshot").await;
    exec(
        &db,
        "CREATE TABLE acct (id int PRIMARY KEY, balance int NOT NULL);
         INSERT INTO acct SELECT i, 100 FROM generate_series(1, 50000) i;
         CREATE TABLE audit (id serial PRIMARY KEY, what text);",
    )
    .await;
    let before = fingerprints(&db).await;
    let options = DumpOptions { jobs: 3, chunk_size: 128 << 10, ..Default::default() };
    // The snapshot is taken by prepare; everything another session commits afterwards must be
    // invisible to every chunk, whichever worker copies it.
    let plan = dump::prepare(&target(&db), &options).await.unwrap();
    assert!(plan.chunk_count() >= 4);
    exec(
        &db,
        "INSERT INTO acct SELECT i, 1 FROM generate_series(50001, 60000) i;
         UPDATE acct SET balance = balance - 1 WHERE id % 3 = 0;
         DELETE FROM acct WHERE id % 7 = 0;
         INSERT INTO audit (what) SELECT 'late' FROM generate_series(1, 100);",
    )
    .await;
    let dir = tmp();
    let path = dir.path().join("snap.pgark");
    plan.execute(&path, Arc::new(NoProgress)).await.unwrap();
    assert_ne!(fingerprints(&db).await, before, "the source did change");

    let copy = fresh_db("rt_snapshot_copy").await;
    restore_into(&path, &copy, &RestoreOptions::default()).await.unwrap();
    assert_eq!(fingerprints(&copy).await, before);
}

#[tokio::test]
async fn demo_database_round_trips_uncompressed_and_filtered() {
    let db = fresh_db("rt_demo").await;
    exec(&db, &fixture("demo.sql")).await;
    let dir = tmp();
    let path = dir.path().join("demo.pgark");
    dump_db(&db, &path, &DumpOptions { compression: Compression::None, chunk_size: 1 << 20, ..Default::default() })
        .await;
    let archive = Archive::open(&path).unwrap();
    let t = &archive.manifest().tables[0];
    assert!(t.chunks.iter().all(|c| c.stored_len == c.raw_len && c.stored_blake3 == c.raw_blake3));
    let copy = fresh_db("rt_demo_copy").await;
    restore_into(&path, &copy, &RestoreOptions { jobs: 3, ..Default::default() }).await.unwrap();
    assert_same(&db, &copy).await;
    // What `--copy-format`'s help says: binary streams packed by column make smaller archives
    // than text COPY output.
    let size = |format: CopyFormat, name: &str| {
        let path = dir.path().join(name);
        let db = db.clone();
        async move {
            dump_db(&db, &path, &DumpOptions { copy_format: format, ..Default::default() }).await;
            std::fs::metadata(&path).unwrap().len()
        }
    };
    let (binary, text) = (size(CopyFormat::Binary, "b.pgark").await, size(CopyFormat::Text, "t.pgark").await);
    assert!(text > binary * 3 / 2, "text {text} vs binary {binary}");

    // --copy-format text: every table in text, same result.
    let text = dir.path().join("text.pgark");
    dump_db(&db, &text, &DumpOptions { copy_format: CopyFormat::Text, chunk_size: 1 << 20, ..Default::default() })
        .await;
    assert!(Archive::open(&text).unwrap().manifest().tables.iter().all(|t| t.format == CopyFormat::Text));
    let copy = fresh_db("rt_demo_text").await;
    restore_into(&text, &copy, &RestoreOptions { jobs: 3, ..Default::default() }).await.unwrap();
    assert_same(&db, &copy).await;

    // --table keeps just the chosen tables (and their schema's types), nothing else.
    let filtered = dir.path().join("filtered.pgark");
    let filter = Filter { tables: vec!["shop.cust*".into(), "products".into()], ..Default::default() };
    dump_db(&db, &filtered, &DumpOptions { filter, ..Default::default() }).await;
    let archive = Archive::open(&filtered).unwrap();
    let names: Vec<_> = archive.manifest().tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["customers", "products"]);
    assert!(archive.manifest().items.iter().all(|i| i.table.as_deref() != Some("orders") && i.name != "orders"));
    let copy = fresh_db("rt_demo_filtered").await;
    restore_into(&filtered, &copy, &RestoreOptions::default()).await.unwrap();
    let fp = fingerprints(&copy).await;
    assert_eq!(fp.keys().collect::<Vec<_>>(), ["shop.customers", "shop.products"]);
    assert_eq!(fp["shop.customers"], fingerprints(&db).await["shop.customers"]);
}

/// Records every progress event.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<pgark_engine::Event>>);

impl pgark_engine::Progress for Recorder {
    fn event(&self, event: pgark_engine::Event) {
        self.0.lock().unwrap().push(event);
    }
}

impl Recorder {
    /// The Advance amounts of `stage`, and the Detail texts seen in it.
    fn stage(&self, stage: pgark_engine::Stage) -> (Vec<u64>, Vec<String>) {
        use pgark_engine::Event;
        let (mut amounts, mut details, mut inside) = (Vec::new(), Vec::new(), false);
        for e in self.0.lock().unwrap().iter() {
            match e {
                Event::Begin { stage: s, .. } => inside = *s == stage,
                Event::Advance { amount } if inside => amounts.push(*amount),
                Event::Detail { text } if inside => details.push(text.clone()),
                Event::End => inside = false,
                _ => {}
            }
        }
        (amounts, details)
    }
}

#[tokio::test]
async fn progress_moves_while_a_chunk_streams_and_names_the_work() {
    use std::sync::Arc;
    let db = fresh_db("rt_progress").await;
    exec(&db, "CREATE TABLE big (id int PRIMARY KEY, v text); INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 100000) g;")
        .await;
    let dir = tmp();
    let path = dir.path().join("p.pgark");
    let options = DumpOptions { chunk_size: 1 << 30, jobs: 1, ..Default::default() };
    let recorder = Arc::new(Recorder::default());
    let plan = dump::prepare(&target(&db), &options).await.unwrap();
    let summary = plan.execute(&path, recorder.clone()).await.unwrap();
    let (amounts, details) = recorder.stage(pgark_engine::Stage::Dump);
    assert_eq!(summary.chunks, 1);
    assert!(amounts.len() >= 3, "one chunk of {} bytes moved the bar {} times", summary.raw_bytes, amounts.len());
    assert_eq!(amounts.iter().sum::<u64>(), summary.raw_bytes, "the bar counts COPY bytes, as the final line");
    assert!(details.contains(&"public.big".to_string()), "{details:?}");

    let recorder = Arc::new(Recorder::default());
    exec("postgres", "DROP DATABASE IF EXISTS rt_progress_copy").await;
    let archive = Arc::new(Archive::open(&path).unwrap());
    let plan =
        pgark_engine::restore::prepare(&archive, &RestoreOptions { create: true, ..Default::default() }).unwrap();
    plan.execute(archive.clone(), &target("rt_progress_copy"), recorder.clone()).await.unwrap();
    let (amounts, details) = recorder.stage(pgark_engine::Stage::Load);
    assert!(amounts.len() >= 3 && amounts.iter().sum::<u64>() == summary.raw_bytes, "{amounts:?}");
    assert!(details.contains(&"public.big".to_string()), "{details:?}");
    let (_, details) = recorder.stage(pgark_engine::Stage::PostData);
    assert!(details.iter().any(|d| d.contains("big_pkey")), "{details:?}");
}

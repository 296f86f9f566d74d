//! Micro-benchmarks of the engine's hot paths, without a database:
//! sealing chunks (row count + blake3 + column packing + zstd), verifying an archive, the restore read path
//! (hash + decompress + count), and manifest encode/decode.
//!
//!     cargo bench -p pgark-benches

use std::hint::black_box;

use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pgark_engine::{
    seal, verify, Archive, ArchiveWriter, ChunkEntry, Compression, CopyFormat, DdlItem, DumpOptions, DumpSettings,
    Kind, Layout, Manifest, NoProgress, Section, TableEntry,
};

/// A binary COPY stream shaped like `bench.events` rows (ids, enum, timestamp, numeric, text[],
/// jsonb-ish text, note), deterministic and about as compressible.
fn copy_stream(rows: u64) -> Vec<u8> {
    let mut v = b"PGCOPY\n\xff\r\n\0".to_vec();
    v.extend_from_slice(&0i32.to_be_bytes());
    v.extend_from_slice(&0i32.to_be_bytes());
    let field = |v: &mut Vec<u8>, b: &[u8]| {
        v.extend_from_slice(&(b.len() as i32).to_be_bytes());
        v.extend_from_slice(b);
    };
    for i in 0..rows {
        v.extend_from_slice(&8i16.to_be_bytes());
        field(&mut v, &i.to_be_bytes());
        field(&mut v, &((i * 7919) % 200_000).to_be_bytes());
        field(&mut v, ["view", "click", "purchase", "refund", "signup"][(i % 5) as usize].as_bytes());
        field(&mut v, &(757_382_400_000_000 + i as i64 * 3_000_000).to_be_bytes());
        field(&mut v, &[0, 2, 0, 0, 0, 0, 0, 2, (i % 100) as u8, 0, (i % 97) as u8, 0]);
        field(&mut v, format!("t{}|t{}", i % 13, i % 29).as_bytes());
        field(
            &mut v,
            format!(
                "{{\"ms\": {}, \"ok\": {}, \"page\": \"/p/{}\", \"ref\": \"{:012x}\"}}",
                i % 5000,
                i % 17 != 0,
                i % 997,
                i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16
            )
            .as_bytes(),
        );
        if i % 3 == 0 {
            field(
                &mut v,
                format!("{:016x}", i.wrapping_mul(0xD6E8_FEB8_6659_FD93)).repeat(1 + (i % 4) as usize).as_bytes(),
            );
        } else {
            v.extend_from_slice(&(-1i32).to_be_bytes());
        }
    }
    v.extend_from_slice(&(-1i16).to_be_bytes());
    v
}

fn bench_seal(c: &mut Criterion) {
    let raw = copy_stream(200_000);
    let mut g = c.benchmark_group("seal");
    g.throughput(Throughput::Bytes(raw.len() as u64));
    g.sample_size(10);
    let zstd1 = Compression::Zstd { level: 1 };
    for (name, layout, compression) in [
        ("zstd-1-columns", Layout::Columns, zstd1),
        ("zstd-1-rows", Layout::Rows, zstd1),
        ("none", Layout::Rows, Compression::None),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| black_box(seal(CopyFormat::Binary, layout, raw.clone(), compression).unwrap()))
        });
    }
    g.finish();
}

/// An archive of `chunks` chunks of the synthetic stream, written through the real writer.
fn archive(dir: &std::path::Path, chunks: usize) -> Archive {
    let path = dir.join("bench.pgark");
    let raw = copy_stream(100_000);
    let mut writer = ArchiveWriter::create(&path).unwrap();
    let mut entries = Vec::new();
    for index in 0..chunks {
        let s = seal(CopyFormat::Binary, Layout::Columns, raw.clone(), Compression::Zstd { level: 1 }).unwrap();
        let offset = writer.append(&s.stored).unwrap();
        entries.push(s.entry(index as u32, 0, None, offset));
    }
    let mut m = manifest(1, 0);
    m.tables[0].chunks = entries;
    writer.finish(&m).unwrap();
    Archive::open(&path).unwrap()
}

fn manifest(tables: usize, items: usize) -> Manifest {
    Manifest {
        tool_version: "bench".into(),
        database: "bench".into(),
        server_version: "15".into(),
        server_version_num: 150000,
        encoding: "UTF8".into(),
            lc_monetary: None,
        snapshot_time: Utc::now(),
        finished_time: Utc::now(),
        settings: DumpSettings::from(&DumpOptions::default()),
        items: (0..items)
            .map(|i| DdlItem {
                section: Section::PreData,
                kind: Kind::Table,
                schema: Some("bench".into()),
                name: format!("small_{i:03}"),
                table: None,
                sql: format!("CREATE TABLE bench.small_{i:03} (id integer NOT NULL, label text NOT NULL, val numeric, at timestamp with time zone);"),
                drop: Some(format!("DROP TABLE IF EXISTS bench.small_{i:03} CASCADE;")),
                touches: vec![format!("bench.small_{i:03}")],
                shared: false,
                of_kind: None,
                roles: vec!["postgres".into()],
                variants: Vec::new(),
                needs: Vec::new(),
                requires: Vec::new(),
            })
            .collect(),
        tables: (0..tables)
            .map(|t| TableEntry {
                schema: "bench".into(),
                name: format!("small_{t:03}"),
                columns: vec!["id".into(), "label".into(), "val".into(), "at".into()],
                format: CopyFormat::Binary,
                layout: Layout::Columns,
                contents: Default::default(),
                column_types: vec![],
                chunks: (0..3)
                    .map(|c| ChunkEntry {
                        index: c,
                        first_block: c as u64 * 100,
                        end_block: Some(c as u64 * 100 + 100),
                        offset: 16 + c as u64 * 1000,
                        stored_len: 1000,
                        raw_len: 5000,
                        rows: 50,
                        raw_blake3: "ab".repeat(32),
                        stored_blake3: "cd".repeat(32),
                        row_digest: Some("ef".repeat(16)),
                    })
                    .collect(),
            })
            .collect(),
        roles: vec!["postgres".into()],
        globals: vec![],
        planner_stats: vec![],
    }
}

fn bench_archive(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let a = archive(dir.path(), 8);
    let raw = a.manifest().total_raw_bytes();
    let mut g = c.benchmark_group("archive");
    g.throughput(Throughput::Bytes(raw));
    g.sample_size(10);
    g.bench_function("verify", |b| b.iter(|| assert!(verify(&a, &NoProgress).ok())));
    let t = &a.manifest().tables[0];
    g.throughput(Throughput::Bytes(t.chunks[0].raw_len));
    // What a restore worker's reader does: decompress, unpack, hash and count, hand pieces over.
    g.bench_function("restore-read-chunk", |b| {
        b.iter(|| {
            a.stream_chunk(t, &t.chunks[0], &mut |piece| {
                black_box(piece);
                Ok(())
            })
            .unwrap()
        })
    });
    g.finish();
}

fn bench_manifest(c: &mut Criterion) {
    let m = manifest(300, 1200);
    let json = serde_json::to_vec(&m).unwrap();
    let mut g = c.benchmark_group("manifest");
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.bench_function("encode", |b| b.iter(|| black_box(serde_json::to_vec(&m).unwrap())));
    g.bench_function("decode", |b| b.iter(|| black_box(serde_json::from_slice::<Manifest>(&json).unwrap())));
    g.finish();
}

criterion_group!(benches, bench_seal, bench_archive, bench_manifest);
criterion_main!(benches);

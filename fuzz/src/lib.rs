//! Fuzz targets for everything pgark reads from outside: archive files, the two config formats
//! and connection URLs. Each target takes arbitrary bytes and must never panic (nor hang, nor
//! allocate without bound); errors are the expected outcome. The libFuzzer binaries in
//! `fuzz_targets/` call these functions, and so does the stable test suite (`tests/corpus.rs`),
//! which replays the kept corpus and random inputs on every `cargo test`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use pgark_engine::{
    verify, write_rows, Archive, ArchiveWriter, ConnectOptions, Manifest, NoProgress, RowFormat, RowOptions,
    SourceFacts, Target,
};

/// A private folder for the files the targets write (archives must be files: they are mapped).
fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary folder")).path()
}

fn next_path(ext: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    scratch().join(format!("input-{}.{ext}", N.fetch_add(1, Ordering::Relaxed)))
}

/// Everything a reader does with an archive that opened: verify it, and decode every table's
/// rows in each output format.
fn exercise(archive: &Archive) {
    let report = verify(archive, &NoProgress);
    let _ = report.ok();
    let m = archive.manifest();
    for table in &m.tables {
        for format in [RowFormat::Text, RowFormat::Csv, RowFormat::Jsonl] {
            let options = RowOptions { format: Some(format), limit: Some(10_000), columns: None, header: true };
            let _ = write_rows(archive, table, SourceFacts::of(m), &options, &mut std::io::sink());
        }
    }
}

/// An archive file as it is on disk: header, frames, manifest, footer — every check of `open`
/// (magic, versions, footer, manifest hash and JSON), then verify and decoding.
pub fn archive_bytes(data: &[u8]) {
    let path = next_path("pgark");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Ok(archive) = Archive::open(&path) {
        exercise(&archive);
    }
    if let Ok(archive) = Archive::open_locked(&path) {
        let _ = verify(&archive, &NoProgress);
    }
    let _ = std::fs::remove_file(&path);
}

/// An archive's parts: `u32 LE` length, the manifest as plain JSON, then the data area. The
/// target writes a well-formed archive of them with every stored hash made to match, so what
/// lies behind the hash checks is reached: the manifest's layout checks, decompression, column
/// unpacking, COPY parsing, row counting and the decoder, on arbitrary chunk bytes and tables.
pub fn archive_parts(data: &[u8]) {
    let Some((manifest, area)) = split_parts(data) else { return };
    let Ok(mut manifest) = serde_json::from_slice::<Manifest>(manifest) else { return };
    // Stored hashes that match whatever bytes the manifest points at.
    let header = 16u64;
    for t in &mut manifest.tables {
        for c in &mut t.chunks {
            let start = c.offset.checked_sub(header).map(|s| s as usize);
            let end = start.and_then(|s| s.checked_add(c.stored_len as usize));
            if let (Some(s), Some(e)) = (start, end) {
                if e <= area.len() {
                    c.stored_blake3 = blake3_hex(&area[s..e]);
                }
            }
        }
    }
    let path = next_path("pgark");
    let written = (|| -> pgark_engine::Result<()> {
        let mut writer = ArchiveWriter::create(&path)?;
        writer.append(area)?;
        writer.finish(&manifest)?;
        Ok(())
    })();
    if written.is_ok() {
        if let Ok(archive) = Archive::open(&path) {
            exercise(&archive);
        }
    }
    let _ = std::fs::remove_file(&path);
}

fn split_parts(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = u32::from_le_bytes(data.get(..4)?.try_into().ok()?) as usize;
    let rest = &data[4..];
    (len <= rest.len()).then(|| rest.split_at(len))
}

/// The parts form of a real archive (for seeding the `archive_parts` corpus).
pub fn parts_of(archive: &Path) -> Option<Vec<u8>> {
    let opened = Archive::open(archive).ok()?;
    let bytes = std::fs::read(archive).ok()?;
    let json = serde_json::to_vec(opened.manifest()).ok()?;
    let end =
        opened.manifest().tables.iter().flat_map(|t| &t.chunks).map(|c| c.offset + c.stored_len).max().unwrap_or(16);
    let mut out = (json.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(&json);
    out.extend_from_slice(&bytes[16..end as usize]);
    Some(out)
}

fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// A raw COPY stream in both formats, fed in pieces of every size: row counting, digests and
/// the structure checks.
pub fn copy_stream(data: &[u8]) {
    for format in [pgark_engine::CopyFormat::Binary, pgark_engine::CopyFormat::Text] {
        for piece in [1, 7, 4096] {
            let mut counter = pgark_engine::RowCounter::digesting(format);
            let fed = data.chunks(piece).try_for_each(|p| counter.feed(p));
            let _ = counter.digest();
            if fed.is_ok() {
                let _ = counter.finish();
            }
        }
    }
}

/// pgark.toml: every key, type and value check (`config check`).
pub fn config_toml(data: &[u8]) {
    let path = next_path("toml");
    if std::fs::File::create(&path).and_then(|mut f| f.write_all(data)).is_ok() {
        let _ = pgark::config::check_file(&path);
        let _ = pgark::config::Config::load(Some(&path));
    }
    let _ = std::fs::remove_file(&path);
}

/// The original system's backup-config.json.
pub fn config_json(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = pgark::config::json::read(&text);
}

/// Connection URLs and libpq key=value strings: parsing, the password check, the printable
/// name and the TLS warning.
pub fn connection_url(data: &[u8]) {
    let url = String::from_utf8_lossy(data).into_owned();
    let options = ConnectOptions { url: Some(url), project_ref: None };
    let _ = options.holds_password();
    if let Ok(target) = Target::resolve(&options) {
        let _ = target.describe();
        let _ = target.tls_warning();
        let _ = target.with_dbname("x").dbname().len();
    }
}

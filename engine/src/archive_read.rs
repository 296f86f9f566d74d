//! Reading an archive: the file is mapped with memmap2; opening reads only the header, footer and
//! manifest; chunks are checked against their hashes whenever they are read.

use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::{Advice, Mmap, UncheckedAdvice};

use crate::archive::{Footer, FOOTER_LEN, FORMAT_VERSION, HEADER_LEN, MAGIC};
use crate::copy_format::RowCounter;
use crate::error::{Error, Result};
use crate::manifest::{ChunkEntry, Compression, Manifest, TableEntry};

/// Largest manifest a reader accepts (raw JSON), so a damaged length cannot exhaust memory.
const MAX_MANIFEST: u64 = 1 << 31;

/// An open, structurally valid archive.
pub struct Archive {
    path: PathBuf,
    map: Mmap,
    manifest: Manifest,
    manifest_offset: u64,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive").field("path", &self.path).finish()
    }
}

impl Archive {
    /// Opens an archive and checks header, footer and manifest hash.
    pub fn open(path: &Path) -> Result<Archive> {
        let bad = |reason: String| Error::Archive { path: path.to_path_buf(), reason };
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let meta = file.metadata().map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            return Err(bad("is a directory, not a pgark archive".into()));
        }
        let len = meta.len();
        if len == 0 {
            return Err(bad("empty file, not a pgark archive".into()));
        }
        if len < HEADER_LEN as u64 {
            return Err(bad(format!("only {len} bytes: not a pgark archive (or truncated)")));
        }
        // SAFETY: the map is read-only; pgark never maps a file it is writing, and the length is
        // checked against the metadata before any access.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        if map.len() as u64 != len {
            return Err(bad("file changed size while being opened".into()));
        }
        // Chunks are read front to back; let the kernel read ahead.
        let _ = map.advise(Advice::Sequential);
        if &map[..8] != MAGIC {
            return Err(bad("not a pgark archive (wrong magic bytes)".into()));
        }
        let version = u32::from_le_bytes(map[8..12].try_into().expect("4 bytes"));
        if version != FORMAT_VERSION {
            return Err(bad(format!(
                "archive format version {version} is not supported by this pgark (reads version {FORMAT_VERSION}); use a matching pgark release"
            )));
        }
        if len < (HEADER_LEN + FOOTER_LEN) as u64 {
            return Err(bad("truncated: no footer (the dump did not finish)".into()));
        }
        let footer_bytes: &[u8; FOOTER_LEN] = map[map.len() - FOOTER_LEN..].try_into().expect("footer length");
        let footer = Footer::decode(footer_bytes)
            .ok_or_else(|| bad("truncated or damaged: no footer at the end (the dump did not finish?)".into()))?;
        if footer.version != version {
            return Err(bad(format!("footer version {} differs from header version {version}", footer.version)));
        }
        let end = len - FOOTER_LEN as u64;
        if footer.manifest_offset < HEADER_LEN as u64
            || footer.manifest_offset.checked_add(footer.manifest_len) != Some(end)
        {
            return Err(bad("damaged footer: the manifest position does not fit the file".into()));
        }
        if footer.manifest_raw_len > MAX_MANIFEST {
            return Err(bad(format!("damaged footer: manifest size {} is implausible", footer.manifest_raw_len)));
        }
        let stored = &map[footer.manifest_offset as usize..end as usize];
        if blake3::hash(stored).as_bytes() != &footer.manifest_blake3 {
            return Err(bad(format!(
                "manifest is corrupt (blake3 mismatch over bytes {}..{})",
                footer.manifest_offset, end
            )));
        }
        let json = zstd::bulk::decompress(stored, footer.manifest_raw_len as usize)
            .map_err(|e| bad(format!("manifest cannot be decompressed: {e}")))?;
        let manifest: Manifest =
            serde_json::from_slice(&json).map_err(|e| bad(format!("manifest cannot be parsed: {e}")))?;
        let archive = Archive { path: path.to_path_buf(), map, manifest, manifest_offset: footer.manifest_offset };
        archive.check_layout()?;
        Ok(archive)
    }

    /// Every chunk must lie between the header and the manifest.
    fn check_layout(&self) -> Result<()> {
        for t in &self.manifest.tables {
            for c in &t.chunks {
                let end = c.offset.checked_add(c.stored_len);
                if c.offset < HEADER_LEN as u64 || end.is_none_or(|e| e > self.manifest_offset) {
                    return Err(self.chunk_error(t, c, "manifest places the chunk outside the data area".into()));
                }
            }
        }
        Ok(())
    }

    /// The archive's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Size of the file in bytes.
    pub fn file_len(&self) -> u64 {
        self.map.len() as u64
    }

    fn chunk_error(&self, table: &TableEntry, chunk: &ChunkEntry, reason: String) -> Error {
        Error::Chunk {
            path: self.path.clone(),
            table: table.display_name(),
            chunk: chunk.index,
            offset: chunk.offset,
            reason,
        }
    }

    /// Drops a chunk's pages from this process once read, so memory does not grow with the
    /// archive's size (they stay in the page cache).
    fn release(&self, offset: u64, len: u64) {
        // SAFETY: the map is a read-only shared file mapping; MADV_DONTNEED only unmaps the
        // pages, and any later access faults the same file contents back in.
        let _ = unsafe { self.map.unchecked_advise_range(UncheckedAdvice::DontNeed, offset as usize, len as usize) };
    }

    /// Reads one chunk, checks both hashes and the row count, and returns the raw COPY stream.
    pub fn read_chunk(&self, table: &TableEntry, chunk: &ChunkEntry) -> Result<Vec<u8>> {
        let stored = self.stored(table, chunk)?;
        let raw = match self.manifest.settings.compression {
            Compression::None => stored.to_vec(),
            Compression::Zstd { .. } => {
                // Allocate what the frame itself declares, and only if the manifest agrees.
                match zstd::zstd_safe::get_frame_content_size(stored) {
                    Ok(Some(n)) if n == chunk.raw_len => {}
                    _ => {
                        return Err(self.chunk_error(
                            table,
                            chunk,
                            "the frame's content size is missing or differs from the manifest".into(),
                        ))
                    }
                }
                zstd::bulk::decompress(stored, chunk.raw_len as usize)
                    .map_err(|e| self.chunk_error(table, chunk, format!("cannot decompress: {e}")))?
            }
        };
        self.release(chunk.offset, chunk.stored_len);
        let mut check = RawCheck::new(table.format);
        check.feed(&raw);
        self.finish_check(table, chunk, check)?;
        Ok(raw)
    }

    /// Checks one chunk like [`Archive::read_chunk`] without keeping it: the frame is
    /// decompressed in small pieces that are hashed and counted while in cache. Returns the rows.
    pub fn check_chunk(&self, table: &TableEntry, chunk: &ChunkEntry) -> Result<u64> {
        let stored = self.stored(table, chunk)?;
        let mut check = RawCheck::new(table.format);
        match self.manifest.settings.compression {
            Compression::None => check.feed(stored),
            Compression::Zstd { .. } => {
                let mut decoder = zstd::stream::read::Decoder::with_buffer(stored)
                    .map_err(|e| self.chunk_error(table, chunk, format!("cannot decompress: {e}")))?;
                let mut buf = vec![0u8; 128 << 10];
                loop {
                    let n = std::io::Read::read(&mut decoder, &mut buf)
                        .map_err(|e| self.chunk_error(table, chunk, format!("cannot decompress: {e}")))?;
                    if n == 0 {
                        break;
                    }
                    check.feed(&buf[..n]);
                    if check.len > chunk.raw_len {
                        break; // longer than recorded: reported below
                    }
                }
            }
        }
        self.release(chunk.offset, chunk.stored_len);
        self.finish_check(table, chunk, check)
    }

    /// The stored frame, after checking its hash.
    fn stored(&self, table: &TableEntry, chunk: &ChunkEntry) -> Result<&[u8]> {
        let stored = &self.map[chunk.offset as usize..(chunk.offset + chunk.stored_len) as usize];
        if blake3::hash(stored).to_hex().as_str() != chunk.stored_blake3 {
            self.release(chunk.offset, chunk.stored_len);
            return Err(self.chunk_error(table, chunk, "stored bytes do not match their blake3 hash".into()));
        }
        Ok(stored)
    }

    /// Compares what was seen of the raw stream with the manifest; returns the rows.
    fn finish_check(&self, table: &TableEntry, chunk: &ChunkEntry, check: RawCheck) -> Result<u64> {
        if check.len != chunk.raw_len {
            return Err(self.chunk_error(
                table,
                chunk,
                format!("{} raw bytes, manifest says {}", check.len, chunk.raw_len),
            ));
        }
        if check.hasher.finalize().to_hex().as_str() != chunk.raw_blake3 {
            return Err(self.chunk_error(table, chunk, "raw COPY data does not match its blake3 hash".into()));
        }
        let rows = match check.counter.and_then(RowCounter::finish) {
            Ok(rows) => rows,
            Err(e) => return Err(self.chunk_error(table, chunk, format!("malformed COPY data: {e}"))),
        };
        if rows != chunk.rows {
            return Err(self.chunk_error(table, chunk, format!("{rows} rows, manifest says {}", chunk.rows)));
        }
        Ok(rows)
    }
}

/// What is checked of a raw COPY stream as it goes by: length, blake3, structure and rows.
struct RawCheck {
    len: u64,
    hasher: blake3::Hasher,
    counter: std::result::Result<RowCounter, String>,
}

impl RawCheck {
    fn new(format: crate::copy_format::CopyFormat) -> RawCheck {
        RawCheck { len: 0, hasher: blake3::Hasher::new(), counter: Ok(RowCounter::new(format)) }
    }

    fn feed(&mut self, piece: &[u8]) {
        self.len += piece.len() as u64;
        self.hasher.update(piece);
        if let Ok(c) = &mut self.counter {
            if let Err(e) = c.feed(piece) {
                self.counter = Err(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive_write::ArchiveWriter;
    use crate::copy_format::CopyFormat;
    use crate::manifest::DumpSettings;
    use crate::plan::ChunkRange;

    fn one_chunk_archive(dir: &Path, raw_len_claim: Option<u64>) -> Archive {
        let mut raw = b"PGCOPY\n\xff\r\n\0".to_vec();
        raw.extend_from_slice(&[0; 8]);
        for i in 0..1000i32 {
            raw.extend_from_slice(&1i16.to_be_bytes());
            raw.extend_from_slice(&4i32.to_be_bytes());
            raw.extend_from_slice(&i.to_be_bytes());
        }
        raw.extend_from_slice(&(-1i16).to_be_bytes());
        let sealed = crate::compress::seal(CopyFormat::Binary, raw, Compression::Zstd { level: 1 }).unwrap();
        let path = dir.join("a.pgark");
        let mut w = ArchiveWriter::create(&path).unwrap();
        let offset = w.append(&sealed.stored).unwrap();
        let mut entry = sealed.entry(0, &ChunkRange { first_block: 0, end_block: None, estimated_bytes: 0 }, offset);
        if let Some(claim) = raw_len_claim {
            entry.raw_len = claim;
        }
        let now = chrono::Utc::now();
        let manifest = Manifest {
            tool_version: "test".into(),
            database: "t".into(),
            server_version: "15".into(),
            server_version_num: 150000,
            encoding: "UTF8".into(),
            snapshot_time: now,
            finished_time: now,
            settings: DumpSettings::from(&crate::dump_impl::DumpOptions::default()),
            items: vec![],
            tables: vec![TableEntry {
                schema: "s".into(),
                name: "t".into(),
                columns: vec!["i".into()],
                format: CopyFormat::Binary,
                chunks: vec![entry],
            }],
            roles: vec![],
            globals: vec![],
        };
        w.finish(&manifest).unwrap();
        Archive::open(&path).unwrap()
    }

    #[test]
    fn a_manifest_claiming_a_huge_chunk_is_refused_before_allocating() {
        let dir = tempfile::tempdir().unwrap();
        let good = one_chunk_archive(dir.path(), None);
        let t = &good.manifest().tables[0];
        assert_eq!(good.read_chunk(t, &t.chunks[0]).unwrap().len() as u64, t.chunks[0].raw_len);
        assert_eq!(good.check_chunk(t, &t.chunks[0]).unwrap(), 1000);

        let dir = tempfile::tempdir().unwrap();
        let bad = one_chunk_archive(dir.path(), Some(1 << 40));
        let t = &bad.manifest().tables[0];
        let err = bad.read_chunk(t, &t.chunks[0]).unwrap_err().to_string();
        assert!(err.contains("content size"), "{err}");
        assert!(bad.check_chunk(t, &t.chunks[0]).is_err());
    }
}

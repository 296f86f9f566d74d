//! Reading an archive: the file is mapped with memmap2; opening reads only the header, footer and
//! manifest; chunks are checked against their hashes whenever they are read.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use memmap2::{Advice, Mmap, UncheckedAdvice};

use super::columns;
use super::copy_format::RowCounter;
use super::crypt::{ArchiveKey, Keys};
use super::envelope::{Envelope, Frame, PublicInfo};
use super::format::{Footer, ENCRYPTED_VERSION, FOOTER_LEN, FORMAT_VERSION, HEADER_LEN, MAGIC};
use super::manifest::{ChunkEntry, Compression, Layout, Manifest, TableEntry};
use crate::error::{Error, Result};

/// Size of the pieces a chunk is handed over in.
const PIECE: usize = 1 << 20;

/// Largest manifest a reader accepts (raw JSON), so a damaged length cannot exhaust memory.
const MAX_MANIFEST: u64 = 1 << 31;

/// An open, structurally valid archive.
pub struct Archive {
    path: PathBuf,
    version: u32,
    map: Mmap,
    manifest: Manifest,
    manifest_offset: u64,
    manifest_blake3: [u8; 32],
    /// For an encrypted archive: its envelope, and its key once unlocked.
    sealing: Option<Sealing>,
}

/// What an encrypted archive adds.
struct Sealing {
    envelope: Envelope,
    key: Option<ArchiveKey>,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive").field("path", &self.path).finish()
    }
}

impl Archive {
    /// Whether the file at `path` starts with a pgark archive's header (nothing else checked):
    /// how backup directories tell archives from other files, whatever their names.
    pub fn has_header(path: &Path) -> bool {
        let mut head = [0u8; 8];
        File::open(path).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head)).is_ok() && &head == MAGIC
    }

    /// Opens an archive and checks header, footer and manifest hash; a file of another kind that
    /// people mistake for a backup (pg_dump's formats, compressed or encrypted files) is named.
    /// An encrypted archive needs [`Archive::open_with`].
    pub fn open(path: &Path) -> Result<Archive> {
        Self::open_inner(path, None, false)
    }

    /// Opens an archive; an encrypted one is unlocked with `keys`.
    pub fn open_with(path: &Path, keys: &Keys) -> Result<Archive> {
        Self::open_inner(path, Some(keys).filter(|k| !k.is_empty()), false)
    }

    /// Opens an archive for what can be known without its key: an encrypted archive opens
    /// locked, with only its public facts (see [`Archive::public_info`]) and its frames' hashes.
    pub fn open_locked(path: &Path) -> Result<Archive> {
        Self::open_inner(path, None, true)
    }

    /// Opens `path`: an encrypted archive with `keys`, else locked when `locked_ok`.
    fn open_inner(path: &Path, keys: Option<&Keys>, locked_ok: bool) -> Result<Archive> {
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
            let what = other_format(&map).map(|w| format!(": it is {w}")).unwrap_or_default();
            return Err(bad(format!("not a pgark archive (wrong magic bytes){what}")));
        }
        let version = u32::from_le_bytes(map[8..12].try_into().expect("4 bytes"));
        if !(1..=FORMAT_VERSION).contains(&version) {
            return Err(bad(format!(
                "archive format version {version} is not supported by this pgark (reads versions 1 to {FORMAT_VERSION}); use a newer pgark release"
            )));
        }
        if map[12..HEADER_LEN].iter().any(|&b| b != 0) {
            return Err(bad("damaged header: its reserved bytes are not zero".into()));
        }
        if len < (HEADER_LEN + FOOTER_LEN) as u64 {
            return Err(bad("truncated: no footer (the dump did not finish)".into()));
        }
        let footer_bytes: &[u8; FOOTER_LEN] = map[map.len() - FOOTER_LEN..].try_into().expect("footer length");
        let footer = Footer::decode(footer_bytes)
            .ok_or_else(|| bad("truncated or damaged: no footer at the end (the dump did not finish?)".into()))?;
        if footer_bytes[60..64].iter().any(|&b| b != 0) {
            return Err(bad("damaged footer: its reserved bytes are not zero".into()));
        }
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
        if json.len() as u64 != footer.manifest_raw_len {
            return Err(bad(format!(
                "damaged footer: the manifest is {} bytes, the footer says {}",
                json.len(),
                footer.manifest_raw_len
            )));
        }
        let mut archive = Archive {
            path: path.to_path_buf(),
            version,
            map,
            manifest: Manifest::placeholder(),
            manifest_offset: footer.manifest_offset,
            manifest_blake3: footer.manifest_blake3,
            sealing: None,
        };
        if version == ENCRYPTED_VERSION {
            let envelope: Envelope =
                serde_json::from_slice(&json).map_err(|e| bad(format!("envelope cannot be parsed: {e}")))?;
            archive.unlock(envelope, keys, locked_ok)?;
        } else {
            archive.manifest =
                serde_json::from_slice(&json).map_err(|e| bad(format!("manifest cannot be parsed: {e}")))?;
        }
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

    /// A frame of the data area, after checking its place and hash.
    fn frame(&self, f: &Frame, what: &str) -> Result<&[u8]> {
        let bytes = self.placed(f).ok_or_else(|| Error::Archive {
            path: self.path.clone(),
            reason: format!("damaged envelope: {what} lies outside the data area"),
        })?;
        if blake3::hash(bytes).to_hex().as_str() != f.blake3 {
            return Err(Error::Archive {
                path: self.path.clone(),
                reason: format!("{what} at offset {} does not match its blake3 hash", f.offset),
            });
        }
        Ok(bytes)
    }

    /// A frame's bytes, when it lies between the header and the manifest.
    fn placed(&self, f: &Frame) -> Option<&[u8]> {
        let end =
            f.offset.checked_add(f.len).filter(|&e| f.offset >= HEADER_LEN as u64 && e <= self.manifest_offset)?;
        Some(&self.map[f.offset as usize..end as usize])
    }

    /// Reads an encrypted archive's envelope: with keys, its key and manifest; without, only
    /// its public facts (when `locked_ok`).
    fn unlock(&mut self, envelope: Envelope, keys: Option<&Keys>, locked_ok: bool) -> Result<()> {
        let bad = |reason: String| Error::Archive { path: self.path.clone(), reason };
        let Some(keys) = keys else {
            if !locked_ok {
                return Err(bad(format!(
                    "encrypted (to {}): give --identity FILE, or the passphrase (--passphrase-env VAR or \
                     --passphrase-file FILE); verify, list and report work without",
                    envelope.public.recipients.join(", ")
                )));
            }
            for (i, f) in envelope.chunks.iter().enumerate() {
                if self.placed(f).is_none() {
                    return Err(bad(format!("damaged envelope: encrypted chunk {i} lies outside the data area")));
                }
            }
            self.manifest = envelope.locked_manifest();
            self.sealing = Some(Sealing { envelope, key: None });
            return Ok(());
        };
        let key = ArchiveKey::unwrap(self.frame(&envelope.key, "the encrypted archive key")?, keys)
            .map_err(|e| bad(format!("encrypted archive: {e}")))?;
        let sealed = self.frame(&envelope.manifest, "the encrypted manifest")?;
        let packed = key.open(sealed).map_err(|e| bad(format!("the encrypted manifest: {e}")))?;
        if envelope.manifest_raw_len > MAX_MANIFEST {
            return Err(bad(format!("damaged envelope: manifest size {} is implausible", envelope.manifest_raw_len)));
        }
        let json = zstd::bulk::decompress(&packed, envelope.manifest_raw_len as usize)
            .map_err(|e| bad(format!("manifest cannot be decompressed: {e}")))?;
        let manifest: Manifest =
            serde_json::from_slice(&json).map_err(|e| bad(format!("manifest cannot be parsed: {e}")))?;
        if Envelope::frames_of(&manifest) != envelope.chunks {
            return Err(bad("the envelope's chunk list differs from the encrypted manifest's".into()));
        }
        self.manifest = manifest;
        self.sealing = Some(Sealing { envelope, key: Some(key) });
        Ok(())
    }

    /// Whether the archive is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.sealing.is_some()
    }

    /// Whether it is encrypted and was opened without its key ([`Archive::open_locked`]): its
    /// manifest then holds only the public facts, no tables and no schema.
    pub fn is_locked(&self) -> bool {
        self.sealing.as_ref().is_some_and(|s| s.key.is_none())
    }

    /// What an encrypted archive shows without its key.
    pub fn public_info(&self) -> Option<&PublicInfo> {
        self.sealing.as_ref().map(|s| &s.envelope.public)
    }

    /// A locked archive's chunk frames (place and hash), for checking without the key.
    pub(crate) fn locked_frames(&self) -> Option<&[Frame]> {
        self.sealing.as_ref().filter(|s| s.key.is_none()).map(|s| &s.envelope.chunks[..])
    }

    /// Checks one frame of a locked archive (number `index`) against its hash.
    pub(crate) fn check_frame(&self, index: usize, f: &Frame) -> Result<()> {
        let r = self.frame(f, &format!("encrypted chunk {index}")).map(|_| ());
        self.release(f.offset, f.len);
        r
    }

    /// The archive's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The archive format version it was written in.
    pub fn format_version(&self) -> u32 {
        self.version
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// blake3 of the stored manifest (hex), which identifies the dump.
    pub fn manifest_blake3(&self) -> String {
        blake3::Hash::from(self.manifest_blake3).to_hex().to_string()
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

    /// Checks one chunk without keeping it; returns its rows.
    pub fn check_chunk(&self, table: &TableEntry, chunk: &ChunkEntry) -> Result<u64> {
        self.stream_chunk(table, chunk, &mut |_| Ok(()))
    }

    /// Reads one chunk and hands its raw COPY stream to `emit` in pieces of about a MiB, each
    /// hashed and row-counted while in cache; returns the rows once the whole stream matched the
    /// manifest (length, blake3, structure, rows). The stored bytes' hash is checked first. A
    /// consumer that acts on pieces must wait for this result before committing anything.
    pub fn stream_chunk(
        &self,
        table: &TableEntry,
        chunk: &ChunkEntry,
        emit: &mut dyn FnMut(Vec<u8>) -> std::result::Result<(), String>,
    ) -> Result<u64> {
        let stored = self.stored(table, chunk)?;
        let opened;
        let stored: &[u8] = match self.sealing.as_ref().map(|s| s.key.as_ref()) {
            None => stored,
            Some(Some(key)) => {
                opened = key.open(stored).map_err(|e| self.chunk_error(table, chunk, e))?;
                &opened
            }
            Some(None) => return Err(self.chunk_error(table, chunk, "the archive is encrypted and locked".into())),
        };
        // Rows-layout streams are parsed to count their rows; column packing yields well-formed
        // streams by construction and counts their rows itself.
        let mut check = RawCheck::new(table.format, table.layout == Layout::Rows);
        let mut pass = |piece: Vec<u8>| {
            check.feed(&piece);
            if check.len > chunk.raw_len {
                return Err(format!("more than the manifest's {} raw bytes", chunk.raw_len));
            }
            emit(piece)
        };
        let streamed = match self.manifest.settings.compression {
            Compression::None => unpack(table.layout, &mut &stored[..], chunk.raw_len, &mut pass),
            Compression::Zstd { .. } => match zstd::stream::read::Decoder::with_buffer(stored) {
                Ok(mut decoder) => unpack(table.layout, &mut decoder, chunk.raw_len, &mut pass),
                Err(e) => Err(format!("cannot decompress: {e}")),
            },
        };
        self.release(chunk.offset, chunk.stored_len);
        let unpacked_rows = streamed.map_err(|e| self.chunk_error(table, chunk, e))?;
        self.finish_check(table, chunk, check, unpacked_rows)
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
    fn finish_check(
        &self,
        table: &TableEntry,
        chunk: &ChunkEntry,
        check: RawCheck,
        unpacked_rows: Option<u64>,
    ) -> Result<u64> {
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
        let rows = match (unpacked_rows, check.counter.map(|c| c.and_then(RowCounter::finish))) {
            (_, Some(Err(e))) => return Err(self.chunk_error(table, chunk, format!("malformed COPY data: {e}"))),
            (_, Some(Ok(rows))) | (Some(rows), None) => rows,
            (None, None) => return Err(Error::Internal("a chunk's rows were not counted".into())),
        };
        if rows != chunk.rows {
            return Err(self.chunk_error(table, chunk, format!("{rows} rows, manifest says {}", chunk.rows)));
        }
        Ok(rows)
    }
}

/// Turns a chunk's stored stream (decompressed) back into the raw COPY stream, in pieces;
/// returns the rows when the layout counts them.
fn unpack(
    layout: Layout,
    r: &mut dyn Read,
    limit: u64,
    emit: &mut dyn FnMut(Vec<u8>) -> std::result::Result<(), String>,
) -> std::result::Result<Option<u64>, String> {
    match layout {
        Layout::Columns => columns::unpack(r, limit, emit).map(Some).map_err(|e| format!("cannot unpack: {e}")),
        Layout::Rows => loop {
            let mut piece = Vec::with_capacity(PIECE);
            let n = r.take(PIECE as u64).read_to_end(&mut piece).map_err(|e| format!("cannot decompress: {e}"))?;
            if n == 0 {
                return Ok(None);
            }
            emit(piece)?;
        },
    }
}

/// What is checked of a raw COPY stream as it goes by: length, blake3, and (when asked)
/// structure and rows.
struct RawCheck {
    len: u64,
    hasher: blake3::Hasher,
    counter: Option<std::result::Result<RowCounter, String>>,
}

impl RawCheck {
    fn new(format: super::copy_format::CopyFormat, count_rows: bool) -> RawCheck {
        RawCheck { len: 0, hasher: blake3::Hasher::new(), counter: count_rows.then(|| Ok(RowCounter::new(format))) }
    }

    fn feed(&mut self, piece: &[u8]) {
        self.len += piece.len() as u64;
        self.hasher.update(piece);
        if let Some(Ok(c)) = &mut self.counter {
            if let Err(e) = c.feed(piece) {
                self.counter = Some(Err(e));
            }
        }
    }
}

/// What a file that is not a pgark archive looks like it is, by its first bytes.
fn other_format(head: &[u8]) -> Option<&'static str> {
    let starts = |m: &[u8]| head.starts_with(m);
    let text = String::from_utf8_lossy(&head[..head.len().min(4096)]);
    Some(if starts(b"PGDMP") {
        "a pg_dump custom-format archive (restore it with pg_restore)"
    } else if starts(b"age-encryption.org/v1") || starts(b"-----BEGIN AGE ENCRYPTED FILE-----") {
        "an age-encrypted file (decrypt it with age first)"
    } else if starts(&[0x1f, 0x8b]) {
        "a gzip-compressed file (decompress it first)"
    } else if starts(&[0x28, 0xb5, 0x2f, 0xfd]) {
        "a zstd-compressed file (decompress it first)"
    } else if starts(b"PK\x03\x04") {
        "a zip file"
    } else if head.len() > 262 && &head[257..262] == b"ustar" {
        "a tar archive (pg_dump --format tar is restored with pg_restore)"
    } else if text.contains("PostgreSQL database dump") || text.contains("CREATE TABLE") || text.starts_with("--") {
        "a plain SQL script (run it with psql -f)"
    } else {
        return None;
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::copy_format::CopyFormat;
    use crate::archive::manifest::DumpSettings;
    use crate::archive::writer::ArchiveWriter;

    fn one_chunk_archive(dir: &Path, layout: Layout, raw_len_claim: Option<u64>) -> Archive {
        let mut raw = b"PGCOPY\n\xff\r\n\0".to_vec();
        raw.extend_from_slice(&[0; 8]);
        for i in 0..1000i32 {
            raw.extend_from_slice(&1i16.to_be_bytes());
            raw.extend_from_slice(&4i32.to_be_bytes());
            raw.extend_from_slice(&i.to_be_bytes());
        }
        raw.extend_from_slice(&(-1i16).to_be_bytes());
        let sealed =
            crate::archive::seal::seal(CopyFormat::Binary, layout, raw, Compression::Zstd { level: 1 }).unwrap();
        let path = dir.join("a.pgark");
        let mut w = ArchiveWriter::create(&path).unwrap();
        let offset = w.append(&sealed.stored).unwrap();
        let mut entry = sealed.entry(0, 0, None, offset);
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
            lc_monetary: None,
            snapshot_time: now,
            finished_time: now,
            settings: DumpSettings {
                chunk_size: 1 << 20,
                jobs: 1,
                compression: Compression::Zstd { level: 1 },
                schemas: vec![],
                exclude_schemas: vec![],
                tables: vec![],
                exclude_tables: vec![],
                profile: None,
                data: true,
                structure: true,
                exclude_kinds: vec![],
                managed_schemas: vec![],
                exclude_table_data: vec![],
            },
            items: vec![],
            tables: vec![TableEntry {
                schema: "s".into(),
                name: "t".into(),
                columns: vec!["i".into()],
                format: CopyFormat::Binary,
                layout,
                chunks: vec![entry],
                contents: Default::default(),
                column_types: vec![],
            }],
            roles: vec![],
            globals: vec![],
            planner_stats: vec![],
        };
        w.finish(&manifest).unwrap();
        Archive::open(&path).unwrap()
    }

    #[test]
    fn a_manifest_claiming_another_raw_length_is_refused_before_passing_it() {
        for layout in [Layout::Rows, Layout::Columns] {
            let dir = tempfile::tempdir().unwrap();
            let good = one_chunk_archive(dir.path(), layout, None);
            let t = &good.manifest().tables[0];
            let raw_len = t.chunks[0].raw_len;
            let mut raw = Vec::new();
            good.stream_chunk(t, &t.chunks[0], &mut |piece| {
                raw.extend_from_slice(&piece);
                Ok(())
            })
            .unwrap();
            assert_eq!(raw.len() as u64, raw_len);
            assert_eq!(good.check_chunk(t, &t.chunks[0]).unwrap(), 1000);

            for claim in [1 << 40, raw_len - 1, 100] {
                let dir = tempfile::tempdir().unwrap();
                let bad = one_chunk_archive(dir.path(), layout, Some(claim));
                let t = &bad.manifest().tables[0];
                let mut seen = 0u64;
                let err = bad
                    .stream_chunk(t, &t.chunks[0], &mut |piece| {
                        seen += piece.len() as u64;
                        Ok(())
                    })
                    .unwrap_err()
                    .to_string();
                assert!(err.contains("raw") || err.contains("length"), "{layout:?} {claim}: {err}");
                assert!(seen <= claim, "{layout:?} {claim}: {seen} bytes handed over");
            }
        }
    }

    mod any_byte {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(300))]

            /// Any single changed byte, anywhere in an archive, is caught: opening refuses it
            /// (header, footer, manifest) or verify names the table and chunk.
            #[test]
            fn every_single_byte_change_is_detected(at in any::<prop::sample::Index>(), flip in 1u8..=255, columns in any::<bool>()) {
                let dir = tempfile::tempdir().unwrap();
                let layout = if columns { Layout::Columns } else { Layout::Rows };
                let good = one_chunk_archive(dir.path(), layout, None);
                let mut bytes = std::fs::read(good.path()).unwrap();
                let i = at.index(bytes.len());
                bytes[i] ^= flip;
                let bad = dir.path().join("bad.pgark");
                std::fs::write(&bad, &bytes).unwrap();
                match Archive::open(&bad) {
                    Err(e) => prop_assert!(e.to_string().contains("bad.pgark"), "{e}"),
                    Ok(archive) => {
                        let report = crate::verify::verify(&archive, &crate::progress::NoProgress);
                        prop_assert!(!report.ok(), "byte {i} of {} changed and not detected", bytes.len());
                        let problem = report.problems[0].to_string();
                        prop_assert!(problem.contains("table s.t, chunk 0"), "{problem}");
                    }
                }
            }
        }
    }
}

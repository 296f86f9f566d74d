//! Sealing a chunk: check and count its rows, hash it, pack it (see `columns`), compress it as
//! one independent zstd frame, hash the frame — all while the COPY stream arrives, so a chunk is
//! never held whole in memory, only its compressed frame.

use zstd::zstd_safe::{self, zstd_sys::ZSTD_EndDirective, CCtx, CParameter, InBuffer, OutBuffer};

use super::columns::Packer;
use super::copy_format::{CopyFormat, RowCounter};
use super::manifest::{ChunkEntry, Compression, Layout};
use super::row_digest::RowDigest;

/// A chunk ready to be written: stored bytes and what the manifest records of it.
#[derive(Debug)]
pub struct Sealed {
    /// The bytes to store (a zstd frame, or the raw stream).
    pub stored: Vec<u8>,
    /// Length of the raw COPY stream.
    pub raw_len: u64,
    /// Rows in the stream.
    pub rows: u64,
    /// blake3 of the raw stream.
    pub raw_blake3: blake3::Hash,
    /// blake3 of the stored bytes.
    pub stored_blake3: blake3::Hash,
    /// The order-independent digest of the rows.
    pub row_digest: RowDigest,
}

impl Sealed {
    /// The same chunk with its stored bytes sealed to an archive key (an age file) and hashed
    /// as stored.
    pub(crate) fn encrypt(mut self, key: &super::crypt::ArchiveKey) -> std::result::Result<Sealed, String> {
        self.stored = key.seal(&self.stored)?;
        self.stored_blake3 = blake3::hash(&self.stored);
        Ok(self)
    }

    /// The manifest entry for chunk `index`, written at `offset`, covering heap blocks
    /// `[first_block, end_block)` (to the end of the table when `end_block` is `None`).
    pub fn entry(&self, index: u32, first_block: u64, end_block: Option<u64>, offset: u64) -> ChunkEntry {
        ChunkEntry {
            index,
            first_block,
            end_block,
            offset,
            stored_len: self.stored.len() as u64,
            raw_len: self.raw_len,
            rows: self.rows,
            raw_blake3: self.raw_blake3.to_hex().to_string(),
            stored_blake3: self.stored_blake3.to_hex().to_string(),
            row_digest: Some(self.row_digest.to_string()),
        }
    }
}

fn zstd_error(code: usize) -> String {
    format!("zstd: {}", zstd_safe::get_error_name(code))
}

/// Where sealed bytes go: one zstd frame compressed as they come, or kept as they are.
struct Frame {
    ctx: Option<CCtx<'static>>,
    bytes: Vec<u8>,
    failed: Option<usize>,
}

impl Frame {
    fn new(compression: Compression) -> Result<Frame, String> {
        let ctx = match compression {
            Compression::None => None,
            Compression::Zstd { level } => {
                let mut ctx = CCtx::create();
                ctx.set_parameter(CParameter::CompressionLevel(level)).map_err(zstd_error)?;
                Some(ctx)
            }
        };
        Ok(Frame { ctx, bytes: Vec::new(), failed: None })
    }

    fn step(&mut self, input: &mut InBuffer, end: ZSTD_EndDirective) -> Result<usize, usize> {
        let ctx = self.ctx.as_mut().expect("only compressed frames step");
        self.bytes.reserve(CCtx::out_size());
        let pos = self.bytes.len();
        ctx.compress_stream2(&mut OutBuffer::around_pos(&mut self.bytes, pos), input, end)
    }

    fn write(&mut self, piece: &[u8]) {
        if self.ctx.is_none() {
            self.bytes.extend_from_slice(piece);
            return;
        }
        let mut input = InBuffer::around(piece);
        while self.failed.is_none() && input.pos() < piece.len() {
            if let Err(code) = self.step(&mut input, ZSTD_EndDirective::ZSTD_e_continue) {
                self.failed = Some(code);
            }
        }
    }

    fn end(mut self) -> Result<Vec<u8>, String> {
        if let Some(code) = self.failed {
            return Err(zstd_error(code));
        }
        if self.ctx.is_some() {
            while self.step(&mut InBuffer::around(&[]), ZSTD_EndDirective::ZSTD_e_end).map_err(zstd_error)? != 0 {}
        }
        Ok(self.bytes)
    }
}

/// How the stream is checked and counted as it goes by.
enum Parse {
    /// Packed by column, which checks and counts.
    Columns(Packer),
    /// Stored as rows, counted alongside.
    Rows(RowCounter),
}

/// Seals one chunk as its COPY stream arrives, in pieces of any size: memory holds about one
/// column group and the stored bytes, not the raw stream.
pub struct Sealer {
    parse: Parse,
    frame: Frame,
    hasher: blake3::Hasher,
    raw_len: u64,
    /// Stored bytes are the raw stream, so both hashes are one.
    stored_is_raw: bool,
}

impl Sealer {
    /// A sealer for a stream in `format`, stored in `layout` with `compression`.
    pub fn new(format: CopyFormat, layout: Layout, compression: Compression) -> Result<Sealer, String> {
        let parse = match (layout, format) {
            (Layout::Columns, CopyFormat::Binary) => Parse::Columns(Packer::default()),
            (Layout::Columns, CopyFormat::Text) => {
                return Err("only binary COPY streams can be packed by column".into())
            }
            (Layout::Rows, _) => Parse::Rows(RowCounter::digesting(format)),
        };
        Ok(Sealer {
            parse,
            frame: Frame::new(compression)?,
            hasher: blake3::Hasher::new(),
            raw_len: 0,
            stored_is_raw: layout == Layout::Rows && compression == Compression::None,
        })
    }

    /// Takes the next piece of the raw stream.
    pub fn feed(&mut self, piece: &[u8]) -> Result<(), String> {
        self.hasher.update(piece);
        self.raw_len += piece.len() as u64;
        let frame = &mut self.frame;
        match &mut self.parse {
            Parse::Columns(p) => p.feed(piece, &mut |b| frame.write(b)).map_err(malformed),
            Parse::Rows(counter) => {
                counter.feed(piece).map_err(malformed)?;
                frame.write(piece);
                Ok(())
            }
        }
    }

    /// Ends the stream: checks it is complete and returns the sealed chunk.
    pub fn finish(self) -> Result<Sealed, String> {
        let mut frame = self.frame;
        let (rows, row_digest) = match self.parse {
            Parse::Columns(p) => p.finish(&mut |b| frame.write(b)),
            Parse::Rows(counter) => {
                let digest = counter.digest().unwrap_or_default();
                counter.finish().map(|rows| (rows, digest))
            }
        }
        .map_err(malformed)?;
        let stored = frame.end()?;
        let raw_blake3 = self.hasher.finalize();
        let stored_blake3 = if self.stored_is_raw { raw_blake3 } else { blake3::hash(&stored) };
        Ok(Sealed { stored, raw_len: self.raw_len, rows, raw_blake3, stored_blake3, row_digest })
    }
}

fn malformed(e: String) -> String {
    format!("server sent a malformed COPY stream: {e}")
}

/// Checks, hashes, packs and compresses one whole raw COPY stream.
pub fn seal(format: CopyFormat, layout: Layout, raw: Vec<u8>, compression: Compression) -> Result<Sealed, String> {
    let mut sealer = Sealer::new(format, layout, compression)?;
    sealer.feed(&raw)?;
    drop(raw);
    sealer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::copy_format::tests::binary;

    #[test]
    fn a_stream_sealed_in_pieces_unpacks_to_itself_with_the_same_hashes() {
        let values: Vec<[u8; 8]> = (0..300_000i64).map(|i| i.to_be_bytes()).collect();
        let rows: Vec<Vec<Option<&[u8]>>> =
            values.iter().map(|v| vec![Some(&v[..]), Some(&b"some text"[..]), None]).collect();
        let rows: Vec<&[Option<&[u8]>]> = rows.iter().map(|r| &r[..]).collect();
        let raw = binary(&rows);
        let zstd = Compression::Zstd { level: 1 };
        for (layout, compression) in [(Layout::Columns, zstd), (Layout::Rows, zstd), (Layout::Rows, Compression::None)]
        {
            let whole = seal(CopyFormat::Binary, layout, raw.clone(), compression).unwrap();
            let mut sealer = Sealer::new(CopyFormat::Binary, layout, compression).unwrap();
            for piece in raw.chunks(333_333) {
                sealer.feed(piece).unwrap();
            }
            let pieces = sealer.finish().unwrap();
            assert_eq!((pieces.rows, pieces.raw_len, pieces.raw_blake3), (300_000, raw.len() as u64, whole.raw_blake3));
            assert_eq!(pieces.stored_blake3, blake3::hash(&pieces.stored));
            let stored = match compression {
                Compression::None => pieces.stored.clone(),
                Compression::Zstd { .. } => zstd::decode_all(&pieces.stored[..]).unwrap(),
            };
            let back = match layout {
                Layout::Rows => stored,
                Layout::Columns => {
                    let mut back = Vec::new();
                    crate::archive::columns::unpack(&mut &stored[..], raw.len() as u64, &mut |v| {
                        back.extend_from_slice(&v);
                        Ok(())
                    })
                    .unwrap();
                    back
                }
            };
            assert!(back == raw, "{layout:?} {compression:?}");
        }
        let mut cut = Sealer::new(CopyFormat::Binary, Layout::Columns, zstd).unwrap();
        cut.feed(&raw[..raw.len() - 1]).unwrap();
        assert!(cut.finish().unwrap_err().contains("malformed"));
        assert!(Sealer::new(CopyFormat::Text, Layout::Columns, zstd).is_err());
    }
}

//! Sealing a chunk: count its rows (which checks the stream), hash it, compress it as one
//! independent zstd frame, hash the frame. Runs on rayon threads, each reusing its zstd context.

use std::cell::RefCell;

use crate::copy_format::{count_rows, CopyFormat};
use crate::manifest::Compression;

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
}

impl Sealed {
    /// The manifest entry for this chunk, written at `offset`, covering `range`.
    pub fn entry(&self, index: u32, range: &crate::plan::ChunkRange, offset: u64) -> crate::manifest::ChunkEntry {
        crate::manifest::ChunkEntry {
            index,
            first_block: range.first_block,
            end_block: range.end_block,
            offset,
            stored_len: self.stored.len() as u64,
            raw_len: self.raw_len,
            rows: self.rows,
            raw_blake3: self.raw_blake3.to_hex().to_string(),
            stored_blake3: self.stored_blake3.to_hex().to_string(),
        }
    }
}

thread_local! {
    static COMPRESSOR: RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> = const { RefCell::new(None) };
}

fn zstd_compress(level: i32, raw: &[u8]) -> std::io::Result<Vec<u8>> {
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|(l, _)| *l != level) {
            *slot = Some((level, zstd::bulk::Compressor::new(level)?));
        }
        let (_, ctx) = slot.as_mut().expect("compressor set above");
        ctx.compress(raw)
    })
}

/// Checks, hashes and compresses one raw COPY stream.
pub fn seal(format: CopyFormat, raw: Vec<u8>, compression: Compression) -> Result<Sealed, String> {
    let rows = count_rows(format, &raw).map_err(|e| format!("server sent a malformed COPY stream: {e}"))?;
    let raw_blake3 = blake3::hash(&raw);
    let raw_len = raw.len() as u64;
    let (stored, stored_blake3) = match compression {
        Compression::None => (raw, raw_blake3),
        Compression::Zstd { level } => {
            let stored = zstd_compress(level, &raw).map_err(|e| format!("zstd: {e}"))?;
            drop(raw);
            let h = blake3::hash(&stored);
            (stored, h)
        }
    };
    Ok(Sealed { stored, raw_len, rows, raw_blake3, stored_blake3 })
}

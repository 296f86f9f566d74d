//! Sealing a chunk: check and count its rows, hash it, pack it (see `columns`), compress it as
//! one independent zstd frame, hash the frame. Runs on rayon threads, each reusing its zstd
//! context; the frame is compressed as it is packed, so no second copy of the chunk is made.

use std::cell::RefCell;

use zstd::zstd_safe::{self, zstd_sys::ZSTD_EndDirective, CCtx, CParameter, InBuffer, OutBuffer, ResetDirective};

use crate::columns;
use crate::copy_format::{count_rows, CopyFormat};
use crate::manifest::{Compression, Layout};

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
    static CONTEXT: RefCell<Option<CCtx<'static>>> = const { RefCell::new(None) };
}

fn zstd_error(code: usize) -> String {
    format!("zstd: {}", zstd_safe::get_error_name(code))
}

/// Compresses what `produce` hands over, piece by piece, into one zstd frame; returns the frame
/// and what `produce` returned.
fn zstd_frame<T>(
    level: i32,
    capacity: usize,
    produce: impl FnOnce(&mut dyn FnMut(&[u8])) -> Result<T, String>,
) -> Result<(Vec<u8>, T), String> {
    CONTEXT.with(|cell| {
        let mut slot = cell.borrow_mut();
        let ctx = slot.get_or_insert_with(CCtx::create);
        ctx.reset(ResetDirective::SessionOnly).map_err(zstd_error)?;
        ctx.set_parameter(CParameter::CompressionLevel(level)).map_err(zstd_error)?;
        let mut frame = Vec::with_capacity(capacity);
        let mut failed = None;
        let step = |ctx: &mut CCtx, input: &mut InBuffer, frame: &mut Vec<u8>, end| -> Result<usize, usize> {
            frame.reserve(zstd_safe::CCtx::out_size());
            let pos = frame.len();
            let mut out = OutBuffer::around_pos(frame, pos);
            ctx.compress_stream2(&mut out, input, end)
        };
        let value = produce(&mut |piece: &[u8]| {
            let mut input = InBuffer::around(piece);
            while failed.is_none() && input.pos() < piece.len() {
                if let Err(code) = step(ctx, &mut input, &mut frame, ZSTD_EndDirective::ZSTD_e_continue) {
                    failed = Some(code);
                }
            }
        })?;
        if let Some(code) = failed {
            return Err(zstd_error(code));
        }
        loop {
            match step(ctx, &mut InBuffer::around(&[]), &mut frame, ZSTD_EndDirective::ZSTD_e_end) {
                Ok(0) => break,
                Ok(_) => {}
                Err(code) => return Err(zstd_error(code)),
            }
        }
        Ok((frame, value))
    })
}

/// Checks, hashes, packs and compresses one raw COPY stream.
pub fn seal(format: CopyFormat, layout: Layout, raw: Vec<u8>, compression: Compression) -> Result<Sealed, String> {
    let malformed = |e: String| format!("server sent a malformed COPY stream: {e}");
    let raw_blake3 = blake3::hash(&raw);
    let raw_len = raw.len() as u64;
    let produce = |out: &mut dyn FnMut(&[u8])| match layout {
        Layout::Rows => {
            let rows = count_rows(format, &raw).map_err(malformed)?;
            out(&raw);
            Ok(rows)
        }
        Layout::Columns if format == CopyFormat::Binary => columns::pack(&raw, out).map_err(malformed),
        Layout::Columns => Err("only binary COPY streams can be packed by column".into()),
    };
    let (stored, rows) = match compression {
        Compression::Zstd { level } => zstd_frame(level, raw.len() / 4, produce)?,
        Compression::None if layout == Layout::Rows => {
            let rows = count_rows(format, &raw).map_err(malformed)?;
            (raw, rows)
        }
        Compression::None => {
            let mut packed = Vec::with_capacity(raw.len());
            let rows = produce(&mut |piece| packed.extend_from_slice(piece))?;
            (packed, rows)
        }
    };
    let stored_blake3 =
        if compression == Compression::None && layout == Layout::Rows { raw_blake3 } else { blake3::hash(&stored) };
    Ok(Sealed { stored, raw_len, rows, raw_blake3, stored_blake3 })
}

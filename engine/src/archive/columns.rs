//! Column packing: a binary COPY stream rearranged column by column before compression, and back.
//!
//! A binary COPY stream interleaves every row's fields. Stored as it is, zstd sees a timestamp
//! next to a jsonb document next to an id; grouped by column, values of one kind sit together,
//! and fixed-width values are byte-shuffled (all first bytes, then all second bytes, …) so the
//! slowly changing high bytes of ids and timestamps become long runs. On the benchmark's main
//! table this makes the zstd frame less than half the size, and compressing it faster.
//!
//! The packing is lossless and the archive's hashes are of the original stream, so restore and
//! verify check exactly the bytes the server sent. Groups hold about [`GROUP_BYTES`] of rows, so
//! unpacking needs only one group in memory, whatever the chunk's size.
//!
//! ```text
//! packed  := header_len u32, COPY header (signature, flags, extension), group*, 0 u32
//! group   := rows u32 (> 0), fields u16, stride u8 per field (0: as is; 2/4/8/16: shuffled),
//!            lengths i32 BE per field per row (field by field, -1 = NULL),
//!            data per field (non-NULL values, concatenated; shuffled by its stride)
//! ```
//! All integers of the packing itself are little-endian; lengths keep the COPY stream's bytes.

use std::io::Read;

use super::copy_format::BINARY_SIGNATURE;
use super::row_digest::RowDigest;

/// Raw bytes of rows gathered into one group (a single larger row makes a larger group).
pub const GROUP_BYTES: usize = 1 << 20;

/// Strides that fixed-width values are shuffled by (int2, int4/float4/date, int8/float8/
/// timestamps, uuid/interval).
const STRIDES: [usize; 4] = [2, 4, 8, 16];

/// Packs a binary COPY stream that arrives in pieces of any size: rows are gathered until a
/// group is full, so it holds about a group (or one larger row) whatever the stream's length.
#[derive(Default)]
pub struct Packer {
    /// Bytes received and not packed yet, from `pos`.
    pending: Vec<u8>,
    pos: usize,
    header_done: bool,
    trailer_seen: bool,
    rows: u64,
    group: Group,
    /// The digest of the rows packed so far.
    digest: RowDigest,
}

impl Packer {
    /// Takes the next piece of the stream; packs every full group.
    pub fn feed(&mut self, piece: &[u8], out: &mut dyn FnMut(&[u8])) -> Result<(), String> {
        if self.trailer_seen && !piece.is_empty() {
            return Err(format!("{} bytes after the binary COPY trailer", piece.len()));
        }
        self.pending.extend_from_slice(piece);
        self.pack_groups(out, false)
    }

    /// Packs the rest once the stream has ended; returns its row count and [`RowDigest`].
    pub fn finish(mut self, out: &mut dyn FnMut(&[u8])) -> Result<(u64, RowDigest), String> {
        self.pack_groups(out, true)?;
        if !self.trailer_seen {
            return Err(format!("binary COPY stream ends without a trailer after {} rows", self.rows));
        }
        Ok((self.rows, self.digest))
    }

    fn pack_groups(&mut self, out: &mut dyn FnMut(&[u8]), last: bool) -> Result<(), String> {
        let raw = &self.pending;
        if !self.header_done {
            if raw.len() < 19 {
                return if last { Err("binary COPY stream has no PGCOPY header".into()) } else { Ok(()) };
            }
            if &raw[..11] != BINARY_SIGNATURE {
                return Err("binary COPY stream has no PGCOPY header".into());
            }
            let ext = i32::from_be_bytes(raw[15..19].try_into().expect("4 bytes"));
            let Some(header_len) = usize::try_from(ext).ok().and_then(|e| e.checked_add(19)) else {
                return Err("bad header extension length".into());
            };
            if raw.len() < header_len {
                return if last { Err("binary COPY stream ends inside its header".into()) } else { Ok(()) };
            }
            out(&(header_len as u32).to_le_bytes());
            out(&raw[..header_len]);
            self.pos = header_len;
            self.header_done = true;
        }
        while !self.trailer_seen && (last || raw.len() - self.pos >= GROUP_BYTES) {
            let Some(n) = be_i16(raw, self.pos) else {
                if last {
                    return Err(format!("binary COPY stream ends without a trailer after {} rows", self.rows));
                }
                break;
            };
            if n == -1 {
                if self.pos + 2 != raw.len() {
                    return Err(format!("{} bytes after the binary COPY trailer", raw.len() - self.pos - 2));
                }
                out(&0u32.to_le_bytes());
                self.pos += 2;
                self.trailer_seen = true;
                break;
            }
            if n < 0 {
                return Err(format!("row {}: bad field count {n}", self.rows));
            }
            let (pos, complete) = self.group.gather(raw, self.pos, n as usize, self.rows, last, &mut self.digest)?;
            if self.group.rows > 0 {
                self.pos = pos;
                self.rows += u64::from(self.group.rows);
                self.group.write(out);
            }
            if !complete {
                break; // a row continues in the next piece
            }
        }
        self.pending.drain(..self.pos);
        self.pos = 0;
        Ok(())
    }
}

fn be_i16(raw: &[u8], pos: usize) -> Option<i16> {
    Some(i16::from_be_bytes(raw.get(pos..pos + 2)?.try_into().ok()?))
}

fn be_i32(raw: &[u8], pos: usize) -> Option<i32> {
    Some(i32::from_be_bytes(raw.get(pos..pos + 4)?.try_into().ok()?))
}

/// One group being packed; its buffers are reused from group to group.
#[derive(Default)]
struct Group {
    rows: u32,
    /// Per field: the lengths as they appear in the stream (4 bytes each).
    lengths: Vec<Vec<u8>>,
    /// Per field: the non-NULL values' bytes.
    data: Vec<Vec<u8>>,
    shuffled: Vec<u8>,
}

impl Group {
    /// Gathers rows of `fields` fields from `pos` until the group is full, the field count
    /// changes or the trailer comes; returns the position after them, and false when it stopped
    /// at a row that is not all there yet (an error if `last`). Each whole row is added to
    /// `digest`.
    fn gather(
        &mut self,
        raw: &[u8],
        mut pos: usize,
        fields: usize,
        rows_before: u64,
        last: bool,
        digest: &mut RowDigest,
    ) -> Result<(usize, bool), String> {
        self.lengths.resize_with(fields, Vec::new);
        self.data.resize_with(fields, Vec::new);
        self.lengths.truncate(fields);
        self.data.truncate(fields);
        for v in self.lengths.iter_mut().chain(self.data.iter_mut()) {
            v.clear();
        }
        self.rows = 0;
        let start = pos;
        while pos - start < GROUP_BYTES && self.rows < u32::MAX && be_i16(raw, pos) == Some(fields as i16) {
            let row_start = pos;
            pos += 2;
            let row = rows_before + u64::from(self.rows);
            for f in 0..fields {
                let value = be_i32(raw, pos).and_then(|len| match len {
                    -1 => Some(Ok((len, &raw[..0]))),
                    0.. => raw.get(pos + 4..pos + 4 + len as usize).map(|v| Ok((len, v))),
                    _ => Some(Err(format!("row {row}: bad field length {len}"))),
                });
                let Some(value) = value else {
                    if last {
                        return Err(format!("binary COPY stream ends inside row {row}"));
                    }
                    self.forget_partial_row(f);
                    return Ok((row_start, false));
                };
                let (len, value) = value?;
                self.lengths[f].extend_from_slice(&raw[pos..pos + 4]);
                self.data[f].extend_from_slice(value);
                pos += 4 + len.max(0) as usize;
            }
            digest.add_row(&raw[row_start..pos]);
            self.rows += 1;
        }
        Ok((pos, true))
    }

    /// Takes back the first `fields` fields of a row that is not all there yet.
    fn forget_partial_row(&mut self, fields: usize) {
        for f in 0..fields {
            let at = self.lengths[f].len() - 4;
            let len = i32::from_be_bytes(self.lengths[f][at..].try_into().expect("4 bytes"));
            self.lengths[f].truncate(at);
            let keep = self.data[f].len() - len.max(0) as usize;
            self.data[f].truncate(keep);
        }
    }

    fn write(&mut self, out: &mut dyn FnMut(&[u8])) {
        let fields = self.lengths.len();
        let mut head = Vec::with_capacity(6 + fields);
        head.extend_from_slice(&self.rows.to_le_bytes());
        head.extend_from_slice(&(fields as u16).to_le_bytes());
        let strides: Vec<usize> = self.lengths.iter().map(|l| stride_of(l)).collect();
        head.extend(strides.iter().map(|&s| s as u8));
        out(&head);
        for l in &self.lengths {
            out(l);
        }
        for (d, &stride) in self.data.iter().zip(&strides) {
            if stride == 0 {
                out(d);
            } else {
                self.shuffled.resize(d.len(), 0);
                shuffle(d, &mut self.shuffled, stride);
                out(&self.shuffled);
            }
        }
    }
}

/// The stride a field's values are shuffled by: every non-NULL value has that width (and there
/// is at least one), else 0.
fn stride_of(lengths: &[u8]) -> usize {
    let mut width = None;
    for l in lengths.chunks_exact(4) {
        let len = i32::from_be_bytes(l.try_into().expect("4 bytes"));
        if len == -1 {
            continue;
        }
        match width {
            None => width = Some(len),
            Some(w) if w == len => {}
            Some(_) => return 0,
        }
    }
    match width {
        Some(w) if STRIDES.contains(&(w as usize)) => w as usize,
        _ => 0,
    }
}

/// Byte `b` of value `j` goes to `to[b * count + j]`.
fn shuffle(from: &[u8], to: &mut [u8], stride: usize) {
    let count = from.len() / stride;
    for (j, value) in from.chunks_exact(stride).enumerate() {
        for (b, &byte) in value.iter().enumerate() {
            to[b * count + j] = byte;
        }
    }
}

/// Reads exactly `n` bytes; the buffer grows only as bytes actually arrive, so a damaged count
/// cannot allocate more than the input holds.
fn read_n(r: &mut dyn Read, n: u64, what: &str) -> Result<Vec<u8>, String> {
    let mut v = Vec::with_capacity(n.min(1 << 22) as usize);
    r.take(n).read_to_end(&mut v).map_err(|e| format!("cannot read {what}: {e}"))?;
    if v.len() as u64 != n {
        return Err(format!("packed data ends inside {what}"));
    }
    Ok(v)
}

fn read_array<const N: usize>(r: &mut dyn Read, what: &str) -> Result<[u8; N], String> {
    let mut b = [0u8; N];
    r.read_exact(&mut b).map_err(|e| format!("packed data ends inside {what} ({e})"))?;
    Ok(b)
}

/// Unpacks what a [`Packer`] made, read from `r`, handing the original COPY stream to `emit` a
/// group at a time; returns the row count. `limit` is the raw length the stream may have; a group
/// that would pass it is refused before its data is read. The stream is well formed by
/// construction (counts and lengths come from the packing), so it needs no second parse.
pub fn unpack(
    r: &mut dyn Read,
    limit: u64,
    emit: &mut dyn FnMut(Vec<u8>) -> Result<(), String>,
) -> Result<u64, String> {
    let header_len = u32::from_le_bytes(read_array(r, "the header")?) as u64;
    if !(19..=limit).contains(&header_len) {
        return Err(format!("implausible COPY header length {header_len}"));
    }
    let header = read_n(r, header_len, "the header")?;
    if &header[..11] != BINARY_SIGNATURE {
        return Err("the packed COPY header has no PGCOPY signature".into());
    }
    let mut produced = header_len;
    let mut rows_total = 0u64;
    emit(header)?;
    loop {
        let rows = u32::from_le_bytes(read_array(r, "a group header")?) as usize;
        if rows == 0 {
            break;
        }
        let fields = u16::from_le_bytes(read_array(r, "a group header")?) as usize;
        if fields > i16::MAX as usize {
            return Err(format!("{fields} fields per row"));
        }
        let strides = read_n(r, fields as u64, "a group header")?;
        let length_bytes = rows as u64 * fields as u64 * 4;
        // Each row adds its field count (2 bytes) and its lengths to the raw stream.
        let bare = rows as u64 * 2 + length_bytes;
        if produced + bare > limit {
            return Err(format!("a group of {rows} rows would pass the chunk's raw length"));
        }
        let lengths = read_n(r, length_bytes, "field lengths")?;
        let mut columns = Vec::with_capacity(fields);
        let mut data_len = 0u64;
        for (f, lengths) in lengths.chunks_exact(rows * 4).enumerate() {
            let stride = strides[f] as usize;
            if stride != 0 && !STRIDES.contains(&stride) {
                return Err(format!("unknown stride {stride}"));
            }
            let mut size = 0u64;
            for l in lengths.chunks_exact(4) {
                let len = i32::from_be_bytes(l.try_into().expect("4 bytes"));
                if len < -1 || (stride != 0 && len != -1 && len as usize != stride) {
                    return Err(format!("field length {len} does not fit the packing"));
                }
                size += len.max(0) as u64;
            }
            let count = if stride == 0 { 0 } else { (size / stride as u64) as usize };
            columns.push(Column { lengths, start: data_len as usize, stride, count, next: 0 });
            data_len += size;
        }
        if produced + bare + data_len > limit {
            return Err(format!("a group of {rows} rows would pass the chunk's raw length"));
        }
        let data = read_n(r, data_len, "field data")?;
        let mut out = vec![0u8; (bare + data_len) as usize];
        let mut o = 0;
        let field_count = (fields as i16).to_be_bytes();
        for row in 0..rows {
            out[o..o + 2].copy_from_slice(&field_count);
            o += 2;
            for c in columns.iter_mut() {
                let l: [u8; 4] = c.lengths[row * 4..row * 4 + 4].try_into().expect("4 bytes");
                out[o..o + 4].copy_from_slice(&l);
                o += 4;
                let len = i32::from_be_bytes(l);
                if len > 0 {
                    o += c.value_into(&data, &mut out[o..o + len as usize]);
                }
            }
        }
        produced += bare + data_len;
        rows_total += rows as u64;
        emit(out)?;
    }
    if produced + 2 > limit {
        return Err("the trailer would pass the chunk's raw length".into());
    }
    emit(vec![0xff, 0xff])?;
    let mut extra = [0u8; 1];
    match r.read(&mut extra) {
        Ok(0) => Ok(rows_total),
        Ok(_) => Err("bytes after the packed data's end".into()),
        Err(e) => Err(format!("cannot read past the packed data's end: {e}")),
    }
}

/// One field of a group being unpacked.
struct Column<'a> {
    /// Its lengths, 4 bytes per row.
    lengths: &'a [u8],
    /// Where its values start in the group's data.
    start: usize,
    /// 0, or the width its values were shuffled by.
    stride: usize,
    /// Non-NULL values (when shuffled).
    count: usize,
    /// The next value: its index when shuffled, else its byte offset.
    next: usize,
}

impl Column<'_> {
    /// Copies the next value into `to` (exactly its length); returns that length.
    fn value_into(&mut self, data: &[u8], to: &mut [u8]) -> usize {
        if self.stride == 0 {
            let at = self.start + self.next;
            to.copy_from_slice(&data[at..at + to.len()]);
            self.next += to.len();
        } else {
            // Byte b of value j was stored at b * count + j.
            let base = &data[self.start..self.start + self.stride * self.count];
            for (b, byte) in to.iter_mut().enumerate() {
                *byte = base[b * self.count + self.next];
            }
            self.next += 1;
        }
        to.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::copy_format::tests::binary;

    /// Packs a complete stream.
    fn pack(raw: &[u8], out: &mut dyn FnMut(&[u8])) -> Result<u64, String> {
        let mut packer = Packer::default();
        packer.feed(raw, out)?;
        packer.finish(out).map(|(rows, _)| rows)
    }

    fn round_trip(raw: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let mut packed = Vec::new();
        pack(raw, &mut |b| packed.extend_from_slice(b)).unwrap();
        let mut back = Vec::new();
        let rows = unpack(&mut &packed[..], raw.len() as u64, &mut |v| {
            back.extend_from_slice(&v);
            Ok(())
        })
        .unwrap();
        assert_eq!(
            Ok(rows),
            crate::archive::copy_format::tests::count_rows(crate::archive::copy_format::CopyFormat::Binary, raw)
        );
        (packed, back)
    }

    #[test]
    fn packing_round_trips_nulls_widths_and_field_count_changes() {
        let raw = binary(&[
            &[Some(&1i64.to_be_bytes()), None, Some(b"text"), Some(b"")],
            &[Some(&2i64.to_be_bytes()), Some(&[1, 2, 3, 4]), None, Some(b"x")],
            &[None, Some(&[5, 6, 7, 8]), Some(b""), None],
            &[Some(b"ab")],
            &[],
        ]);
        let (_, back) = round_trip(&raw);
        assert_eq!(back, raw);
        let empty = binary(&[]);
        assert_eq!(round_trip(&empty).1, empty);
    }

    #[test]
    fn groups_split_large_streams_and_shuffle_fixed_widths() {
        let rows: Vec<[u8; 8]> = (0..200_000i64).map(|i| (1_000_000 + i).to_be_bytes()).collect();
        let refs: Vec<Vec<Option<&[u8]>>> =
            rows.iter().enumerate().map(|(i, v)| vec![Some(&v[..]), (i % 3 == 0).then_some(&b"note"[..])]).collect();
        let refs: Vec<&[Option<&[u8]>]> = refs.iter().map(|r| &r[..]).collect();
        let raw = binary(&refs);
        assert!(raw.len() > 2 * GROUP_BYTES);
        let (packed, back) = round_trip(&raw);
        assert_eq!(back, raw);
        // The shuffled ids: the high bytes are constant runs.
        let plain = zstd::bulk::compress(&raw, 1).unwrap().len();
        let columns = zstd::bulk::compress(&packed, 1).unwrap().len();
        assert!(columns * 2 < plain, "packed {columns} vs plain {plain}");
    }

    #[test]
    fn streams_fed_in_pieces_of_any_size_pack_the_same() {
        let rows: Vec<Vec<u8>> = (0..30_000u32).map(|i| vec![b'x'; (i % 97) as usize]).collect();
        let refs: Vec<Vec<Option<&[u8]>>> = rows
            .iter()
            .enumerate()
            .map(|(i, v)| vec![Some(&v[..]), (i % 5 != 0).then_some(&b"abcdefgh"[..])])
            .collect();
        let refs: Vec<&[Option<&[u8]>]> = refs.iter().map(|r| &r[..]).collect();
        let raw = binary(&refs);
        let mut whole = Vec::new();
        let rows = pack(&raw, &mut |b| whole.extend_from_slice(b)).unwrap();
        assert_eq!(rows, 30_000);
        for piece in [1, 7, 4096, GROUP_BYTES - 3, GROUP_BYTES + 5, raw.len()] {
            let mut packer = Packer::default();
            let mut packed = Vec::new();
            for p in raw.chunks(piece) {
                packer.feed(p, &mut |b| packed.extend_from_slice(b)).unwrap();
            }
            // Rows are digested as the row-by-row counter digests them, wherever groups are cut.
            let mut counter = crate::archive::RowCounter::digesting(crate::archive::CopyFormat::Binary);
            counter.feed(&raw).unwrap();
            let digest = counter.digest().unwrap();
            assert_eq!(packer.finish(&mut |b| packed.extend_from_slice(b)), Ok((30_000, digest)), "pieces of {piece}");
            // Groups may be cut elsewhere; the stream unpacked from them is the same.
            let mut back = Vec::new();
            unpack(&mut &packed[..], raw.len() as u64, &mut |v| {
                back.extend_from_slice(&v);
                Ok(())
            })
            .unwrap();
            assert!(back == raw, "pieces of {piece}");
        }
    }

    #[test]
    fn a_row_larger_than_a_group_arriving_in_small_pieces_is_kept_whole() {
        let big = vec![7u8; 3 * GROUP_BYTES + 11];
        let raw = binary(&[&[Some(b"a"), Some(&big)], &[Some(b"b"), None], &[Some(b"c"), Some(&big[..5])]]);
        let mut packer = Packer::default();
        let mut packed = Vec::new();
        for p in raw.chunks(64 << 10) {
            packer.feed(p, &mut |b| packed.extend_from_slice(b)).unwrap();
            // Never more than the row being gathered and one piece are held.
            assert!(packer.pending.len() <= big.len() + 2 * (64 << 10), "{}", packer.pending.len());
        }
        assert_eq!(packer.finish(&mut |b| packed.extend_from_slice(b)).map(|r| r.0), Ok(3));
        let mut back = Vec::new();
        let rows = unpack(&mut &packed[..], raw.len() as u64, &mut |v| {
            back.extend_from_slice(&v);
            Ok(())
        });
        assert_eq!(rows, Ok(3));
        assert!(back == raw);
    }

    #[test]
    fn damaged_streams_are_refused_without_panicking() {
        let raw = binary(&[&[Some(b"abcd"), None], &[Some(b"efgh"), Some(b"ij")]]);
        for cut in 0..raw.len() - 1 {
            assert!(pack(&raw[..cut], &mut |_| {}).is_err(), "cut at {cut}");
        }
        let mut packed = Vec::new();
        pack(&raw, &mut |b| packed.extend_from_slice(b)).unwrap();
        let sink = &mut |_: Vec<u8>| Ok(());
        for cut in 0..packed.len() {
            assert!(unpack(&mut &packed[..cut], 1 << 20, sink).is_err(), "cut at {cut}");
        }
        for i in 0..packed.len() {
            for bit in [0x01, 0x80] {
                let mut bad = packed.clone();
                bad[i] ^= bit;
                let mut out = Vec::new();
                let ok = unpack(&mut &bad[..], 1 << 20, &mut |v| {
                    out.extend_from_slice(&v);
                    Ok(())
                });
                // A flipped bit is either refused or yields a different stream (caught by the hash).
                assert!(ok.is_err() || out != raw, "byte {i} bit {bit}");
            }
        }
        assert!(unpack(&mut &packed[..], raw.len() as u64 - 1, sink).is_err());
    }
}

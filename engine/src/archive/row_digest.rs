//! Row digests: an order-independent hash of a set of rows, so two dumps of the same table
//! compare equal however they were split into chunks and in whatever order the rows came.
//!
//! A row's hash is the 128-bit XXH3 of its bytes in the COPY stream (binary: field count and
//! fields, as sent; text: the line with its newline). The digest of a set of rows is the sum of
//! their hashes modulo 2^128, so a chunk's digest is computed as its stream goes by and a
//! table's is the sum of its chunks'. A sum (not an xor) counts duplicate rows: two equal rows
//! do not cancel. XXH3 rather than blake3 because it runs once per row (blake3 made dumps of
//! narrow tables 40% slower): the digest tells changed data from unchanged, it is not the
//! archive's integrity check — that is blake3 of each stream.

use std::fmt;

use xxhash_rust::xxh3::{xxh3_128, Xxh3Default};

/// The digest of a multiset of rows: the sum of their 128-bit hashes mod 2^128.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowDigest(u128);

impl RowDigest {
    /// Adds one row, given whole.
    pub fn add_row(&mut self, row: &[u8]) {
        self.0 = self.0.wrapping_add(xxh3_128(row));
    }

    /// Adds the rows another digest stands for.
    pub fn merge(&mut self, other: &RowDigest) {
        self.0 = self.0.wrapping_add(other.0);
    }

    /// Reads the 32 hex digits [`RowDigest`]'s `Display` writes.
    pub fn from_hex(hex: &str) -> Option<RowDigest> {
        if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u128::from_str_radix(hex, 16).ok().map(RowDigest)
    }
}

impl fmt::Display for RowDigest {
    /// 32 hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

/// Rows up to this size are gathered and hashed in one call (many small `update`s of a
/// streaming hasher cost more than the copy); longer ones stream.
const GATHER: usize = 64 << 10;

/// Hashes rows that arrive in pieces: bytes are fed as they go by, each row ended explicitly.
#[derive(Default)]
pub struct RowHasher {
    /// The current row while it is short.
    gathered: Vec<u8>,
    /// The current row once it is long.
    streaming: Option<Box<Xxh3Default>>,
    /// The digest of the rows ended so far.
    pub digest: RowDigest,
}

impl fmt::Debug for RowHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RowHasher").field("digest", &self.digest).finish_non_exhaustive()
    }
}

impl RowHasher {
    /// Bytes of the current row.
    pub fn update(&mut self, bytes: &[u8]) {
        if self.streaming.is_none() && self.gathered.len() + bytes.len() <= GATHER {
            self.gathered.extend_from_slice(bytes);
            return;
        }
        let row = self.streaming.get_or_insert_with(|| {
            let mut h = Box::new(Xxh3Default::new());
            h.update(&self.gathered);
            h
        });
        row.update(bytes);
    }

    /// Ends the current row: adds its hash to the digest.
    pub fn end_row(&mut self) {
        let hash = match self.streaming.take() {
            Some(row) => row.digest128(),
            None => xxh3_128(&self.gathered),
        };
        self.digest.0 = self.digest.0.wrapping_add(hash);
        self.gathered.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_grouping_do_not_matter_but_duplicates_do() {
        let mut rows: Vec<Vec<u8>> = (0..50u32).map(|i| format!("row {i}").into_bytes()).collect();
        rows.push(vec![b'x'; 5000]); // longer than the streaming hasher's buffer
        rows.push(vec![b'y'; GATHER + 5]); // streamed
        let mut forward = RowDigest::default();
        rows.iter().for_each(|r| forward.add_row(r));
        let (mut a, mut b) = (RowDigest::default(), RowDigest::default());
        for (i, r) in rows.iter().enumerate().rev() {
            if i % 3 == 0 { &mut a } else { &mut b }.add_row(r);
        }
        a.merge(&b);
        assert_eq!(a, forward);
        let mut twice = forward;
        twice.add_row(&rows[7]);
        assert_ne!(twice, forward);
        let mut pieces = RowHasher::default();
        for r in &rows {
            for p in r.chunks(if r.len() > GATHER { 4096 } else { 7 }) {
                pieces.update(p);
            }
            pieces.end_row();
        }
        assert_eq!(pieces.digest, forward);
        assert_eq!(RowDigest::from_hex(&forward.to_string()), Some(forward));
        assert_eq!(RowDigest::from_hex("xyz"), None);
        assert_eq!(RowDigest::from_hex(&"+1".repeat(16)), None);
    }

    #[test]
    fn sums_wrap() {
        let mut d = RowDigest(u128::MAX);
        d.merge(&RowDigest(2));
        assert_eq!(d, RowDigest(1));
    }
}

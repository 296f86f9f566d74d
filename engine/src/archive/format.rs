//! The fixed parts of an archive: magic bytes, format versions, the header and the footer
//! (the byte layout is drawn in the module overview, `archive/mod.rs`).

/// First bytes of every archive.
pub const MAGIC: &[u8; 8] = b"PGARK\r\n\x1a";
/// Last bytes of every complete archive.
pub const END_MAGIC: &[u8; 8] = b"PGARKEND";
/// The newest format version this build writes (it reads this one and every earlier one).
/// Version 2 added the column layout of chunks (`Layout::Columns`); version 3 large objects'
/// contents (`Contents::LargeObjects`), which a reader of version 2 would try to load as a
/// table; version 4 encryption (`envelope.rs`). An archive without large objects or
/// encryption is still written as version 2.
pub const FORMAT_VERSION: u32 = 4;

/// The version of encrypted archives.
pub(crate) const ENCRYPTED_VERSION: u32 = 4;

/// The version an archive with this manifest is written in: the oldest that can read it.
pub(crate) fn version_for(manifest: &super::manifest::Manifest, encrypted: bool) -> u32 {
    if encrypted {
        ENCRYPTED_VERSION
    } else if manifest.tables.iter().any(|t| t.contents != super::manifest::Contents::Rows) {
        3
    } else {
        2
    }
}
/// Header length.
pub const HEADER_LEN: usize = 16;
/// Footer length.
pub const FOOTER_LEN: usize = 72;

/// The archive header's bytes, at version 2 (`ArchiveWriter::finish` sets the version the
/// manifest needs).
pub(crate) fn header() -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..8].copy_from_slice(MAGIC);
    h[8..12].copy_from_slice(&2u32.to_le_bytes());
    h
}

/// Where the manifest is and how to check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Footer {
    pub manifest_offset: u64,
    pub manifest_len: u64,
    pub manifest_raw_len: u64,
    pub manifest_blake3: [u8; 32],
    pub version: u32,
}

impl Footer {
    pub fn encode(&self) -> [u8; FOOTER_LEN] {
        let mut f = [0u8; FOOTER_LEN];
        f[0..8].copy_from_slice(&self.manifest_offset.to_le_bytes());
        f[8..16].copy_from_slice(&self.manifest_len.to_le_bytes());
        f[16..24].copy_from_slice(&self.manifest_raw_len.to_le_bytes());
        f[24..56].copy_from_slice(&self.manifest_blake3);
        f[56..60].copy_from_slice(&self.version.to_le_bytes());
        f[64..72].copy_from_slice(END_MAGIC);
        f
    }

    /// Decodes a footer; `None` when the end magic is missing.
    pub fn decode(f: &[u8; FOOTER_LEN]) -> Option<Footer> {
        if &f[64..72] != END_MAGIC {
            return None;
        }
        let u64_at = |i: usize| u64::from_le_bytes(f[i..i + 8].try_into().expect("8 bytes"));
        Some(Footer {
            manifest_offset: u64_at(0),
            manifest_len: u64_at(8),
            manifest_raw_len: u64_at(16),
            manifest_blake3: f[24..56].try_into().expect("32 bytes"),
            version: u32::from_le_bytes(f[56..60].try_into().expect("4 bytes")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footer_round_trips() {
        let f = Footer {
            manifest_offset: 123,
            manifest_len: 456,
            manifest_raw_len: 789,
            manifest_blake3: [7; 32],
            version: FORMAT_VERSION,
        };
        assert_eq!(Footer::decode(&f.encode()), Some(f));
        let mut bad = f.encode();
        bad[70] ^= 1;
        assert_eq!(Footer::decode(&bad), None);
    }
}

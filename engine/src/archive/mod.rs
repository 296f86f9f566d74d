//! The archive: one `.pgark` file holding a dump's chunks and its manifest.
//!
//! This layer knows bytes, hashes and the manifest's plain data, nothing of catalogs or
//! servers. The dump hands it raw COPY streams ([`Sealer`] packs, hashes and compresses them
//! as they arrive; [`ArchiveWriter`] appends the frames, then the manifest and footer, and
//! renames `.partial` to the final name); restore and verify read it back through [`Archive`],
//! which checks every hash while it streams a chunk out.
//!
//! ```text
//! header   16 B   magic "PGARK\r\n\x1a", format version (u32 LE), flags (u32 LE, 0)
//! chunks          one frame per chunk (zstd frame or raw COPY bytes), any order; a binary
//!                 COPY stream is packed column by column before compression (`columns.rs`)
//! manifest        zstd-compressed JSON (`Manifest`)
//! footer   72 B   manifest offset, stored length, raw length (u64 LE each),
//!                 blake3 of the stored manifest (32 B), format version, flags (u32 LE),
//!                 end magic "PGARKEND"
//! ```
//!
//! Files: `format.rs` (header, footer, versions), `manifest.rs` (what an archive records),
//! `copy_format.rs` (COPY stream formats, row counting), `columns.rs` (column packing),
//! `seal.rs` (hash + pack + compress one chunk), `writer.rs`, `reader.rs`.

mod column_types;
mod columns;
mod copy_format;
mod crypt;
mod envelope;
mod format;
mod kind;
mod manifest;
mod reader;
mod row_digest;
mod seal;
mod writer;

pub use column_types::{ColumnType, Shape};
pub(crate) use copy_format::BINARY_SIGNATURE;
pub use copy_format::{CopyFormat, RowCounter};
pub(crate) use crypt::ArchiveKey;
pub use crypt::{Encryption, Keys};
pub use envelope::PublicInfo;
pub use format::{FORMAT_VERSION, MAGIC};
pub use kind::{Kind, Section};
pub use manifest::{
    ChunkEntry, ColumnStats, Compression, Contents, DdlItem, DumpSettings, Layout, Manifest, RelationStats, RoleDef,
    TableEntry, LARGE_OBJECT_PIECE,
};
pub use reader::Archive;
pub use row_digest::RowDigest;
pub use seal::{seal, Sealed, Sealer};
pub use writer::{partial_path, remove_partial_if_stale, remove_stale_partials, ArchiveWriter};

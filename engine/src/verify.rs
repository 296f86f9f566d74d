//! Verifying an archive without a database: every chunk is re-hashed (stored and raw bytes),
//! decompressed and its rows counted, in parallel on rayon.

use rayon::prelude::*;
use serde::Serialize;

use crate::archive::Archive;
use crate::error::Error;
use crate::progress::{Event, Progress, Stage};

/// What `verify` found.
#[derive(Debug, Default, Serialize)]
pub struct VerifyReport {
    /// Chunks checked.
    pub chunks: usize,
    /// Raw bytes checked.
    pub raw_bytes: u64,
    /// Stored bytes checked.
    pub stored_bytes: u64,
    /// Rows counted.
    pub rows: u64,
    /// Every chunk that failed, with the table, chunk and offset it concerns.
    #[serde(serialize_with = "as_strings")]
    pub problems: Vec<Error>,
    /// An encrypted archive checked without its key: every stored byte was checked against its
    /// hash, but the data could not be decrypted (rows and raw bytes are the archive's own count).
    pub without_key: bool,
}

fn as_strings<S: serde::Serializer>(v: &[Error], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|e| e.to_string()))
}

impl VerifyReport {
    /// Whether every chunk checked out.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks every chunk of an open archive (header, footer and manifest were checked on open).
/// An encrypted archive opened without its key gets the outer check: every frame's hash.
pub fn verify(archive: &Archive, progress: &dyn Progress) -> VerifyReport {
    if let Some(frames) = archive.locked_frames() {
        progress.event(Event::Begin { stage: Stage::Verify, total: frames.iter().map(|f| f.len).sum(), bytes: true });
        let problems: Vec<Error> = frames
            .par_iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let r = archive.check_frame(i, f);
                progress.event(Event::Advance { amount: f.len });
                r.err()
            })
            .collect();
        progress.event(Event::End);
        let public = archive.public_info().expect("a locked archive is encrypted");
        return VerifyReport {
            chunks: frames.len(),
            raw_bytes: public.raw_bytes,
            stored_bytes: frames.iter().map(|f| f.len).sum(),
            rows: public.rows,
            problems,
            without_key: true,
        };
    }
    let m = archive.manifest();
    let work: Vec<_> = m.tables.iter().flat_map(|t| t.chunks.iter().map(move |c| (t, c))).collect();
    progress.event(Event::Begin { stage: Stage::Verify, total: m.total_stored_bytes(), bytes: true });
    let results: Vec<Result<u64, Error>> = work
        .par_iter()
        .map(|(t, c)| {
            let r = archive.check_chunk(t, c);
            progress.event(Event::Advance { amount: c.stored_len });
            r
        })
        .collect();
    progress.event(Event::End);
    let mut report = VerifyReport::default();
    for ((_, c), r) in work.iter().zip(results) {
        report.chunks += 1;
        report.raw_bytes += c.raw_len;
        report.stored_bytes += c.stored_len;
        match r {
            Ok(rows) => report.rows += rows,
            Err(e) => report.problems.push(e),
        }
    }
    report
}

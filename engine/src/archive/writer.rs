//! Writing an archive: frames are appended to `<path>.partial` (created exclusively and locked
//! while it is written); `finish` adds the manifest and footer, fsyncs and links it to the final
//! name, which never replaces a file already there. A writer dropped before `finish` removes its
//! partial file; a killed process leaves only the `.partial` file, never one at the final path,
//! and the next dump into that folder removes it (`remove_stale_partials`).

use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use super::crypt::{ArchiveKey, Encryption};
use super::envelope::{Envelope, Frame};
use super::format::{header, version_for, Footer, HEADER_LEN};
use super::manifest::Manifest;
use crate::error::{Error, Result};

/// An archive being written.
pub struct ArchiveWriter {
    path: PathBuf,
    partial: PathBuf,
    file: Option<File>,
    offset: u64,
}

/// The partial path for a final path: `x.pgark` → `x.pgark.partial`.
pub fn partial_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".partial");
    PathBuf::from(s)
}

/// Takes the exclusive lock a writer holds on its partial file; false when another holds it.
fn lock(file: &File) -> bool {
    // SAFETY: flock on a file descriptor this process owns; no memory is passed.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

/// Removes the `.partial` files in `dir` that no running pgark is writing (left by a dump that
/// was killed); returns them.
pub fn remove_stale_partials(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(_) => return Ok(removed),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.to_string_lossy().ends_with(".pgark.partial") && remove_partial_if_stale(&path)? {
            removed.push(path);
        }
    }
    Ok(removed)
}

/// Removes one `.partial` file unless a running pgark holds its lock; says whether it did.
pub fn remove_partial_if_stale(path: &Path) -> Result<bool> {
    match File::open(path) {
        Ok(file) if lock(&file) => {
            std::fs::remove_file(path).map_err(|e| Error::io(path, e))?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Why an archive cannot be created at `path` (a folder that does not exist, a name that is a
/// folder), before any file is touched.
fn check_destination(path: &Path) -> Result<()> {
    let text = path.to_string_lossy();
    if text.ends_with('/') || path.is_dir() {
        let why = if path.is_dir() { "it is a folder, not a file name" } else { "the folder does not exist" };
        return Err(Error::Refused(format!("cannot create the archive in {}: {why}", path.display())));
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(Error::Refused(format!(
            "cannot create the archive {}: the folder {} does not exist",
            path.display(),
            parent.display()
        )));
    }
    if path.exists() {
        return Err(Error::Refused(format!(
            "{} already exists; pgark never overwrites a backup (choose another name or delete it)",
            path.display()
        )));
    }
    Ok(())
}

/// Why a partial file could not be made.
enum Busy {
    /// Another running dump writes it.
    Held,
    /// Anything else.
    Failed(Error),
}

/// Creates `partial` exclusively, already locked: the file is made under a private name, locked,
/// then hard-linked to `partial` (which fails if a file is there), so no other dump can ever see
/// it unlocked and take it for a leftover. A leftover no running dump holds is replaced.
fn create_partial(partial: &Path) -> std::result::Result<File, Busy> {
    let failed = |e: std::io::Error| Busy::Failed(Error::io(partial, e));
    let dir = partial.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let private = tempfile::Builder::new().prefix(".pgark-new-").tempfile_in(dir).map_err(failed)?;
    if !lock(private.as_file()) {
        return Err(Busy::Failed(Error::Internal("cannot lock a file just created".into())));
    }
    for _ in 0..2 {
        match std::fs::hard_link(private.path(), partial) {
            Ok(()) => return Ok(private.into_file()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let held = File::open(partial).map(|f| !lock(&f)).unwrap_or(false);
                if held {
                    return Err(Busy::Held);
                }
                match std::fs::remove_file(partial) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(failed(e)),
                }
            }
            // File systems without hard links: create in place, then lock.
            Err(_) => {
                drop(private);
                let file = crate::files::create_private(partial).map_err(failed)?;
                return if lock(&file) { Ok(file) } else { Err(Busy::Held) };
            }
        }
    }
    Err(Busy::Held)
}

fn held_message(partial: &Path) -> Error {
    Error::Refused(format!("{} is being written by another pgark dump", partial.display()))
}

impl ArchiveWriter {
    /// Starts `path.partial`; refuses when `path` already exists or its folder does not, or
    /// another dump writes it.
    pub fn create(path: &Path) -> Result<ArchiveWriter> {
        check_destination(path)?;
        let partial = partial_path(path);
        match create_partial(&partial) {
            Ok(file) => Self::start(path, partial, file),
            Err(Busy::Held) => Err(held_message(&partial)),
            Err(Busy::Failed(e)) => Err(e),
        }
    }

    /// Starts an archive at `first`, or at the first of `first-2`, `first-3`, … that is free
    /// (no file, no dump writing it): for generated names, so dumps started at the same
    /// moment into one folder each get their own.
    pub fn create_unique(first: &Path) -> Result<ArchiveWriter> {
        let stem = first.to_string_lossy().trim_end_matches(".pgark").to_string();
        for n in 1..10_000 {
            let path = if n == 1 { first.to_path_buf() } else { PathBuf::from(format!("{stem}-{n}.pgark")) };
            if path.exists() {
                continue;
            }
            check_destination(&path)?;
            let partial = partial_path(&path);
            match create_partial(&partial) {
                Ok(file) => return Self::start(&path, partial, file),
                Err(Busy::Held) => continue,
                Err(Busy::Failed(e)) => return Err(e),
            }
        }
        Err(held_message(&partial_path(first)))
    }

    fn start(path: &Path, partial: PathBuf, mut file: File) -> Result<ArchiveWriter> {
        file.write_all(&header()).map_err(|e| Error::io(&partial, e))?;
        Ok(ArchiveWriter { path: path.to_path_buf(), partial, file: Some(file), offset: HEADER_LEN as u64 })
    }

    /// The final path the archive gets.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one chunk frame and returns its offset.
    pub fn append(&mut self, frame: &[u8]) -> Result<u64> {
        let offset = self.offset;
        let file = self.file.as_mut().expect("writer used after finish");
        file.write_all(frame).map_err(|e| Error::io(&self.partial, e))?;
        self.offset += frame.len() as u64;
        Ok(offset)
    }

    /// Writes manifest and footer, fsyncs, renames to the final path; returns the file size and
    /// the stored manifest's hash (which identifies the dump).
    pub fn finish(self, manifest: &Manifest) -> Result<(u64, blake3::Hash)> {
        let json = serde_json::to_vec(manifest).expect("manifest serializes");
        self.close(&json, version_for(manifest, false))
    }

    /// [`finish`](Self::finish) for an archive whose chunks were sealed to `key`: the manifest
    /// goes in encrypted to `key`, the key encrypted to `to`, and the public envelope last.
    pub(crate) fn finish_encrypted(
        mut self,
        manifest: &Manifest,
        key: &ArchiveKey,
        to: &Encryption,
    ) -> Result<(u64, blake3::Hash)> {
        let frame = |w: &mut ArchiveWriter, bytes: Vec<u8>| -> Result<Frame> {
            let blake3 = blake3::hash(&bytes).to_hex().to_string();
            Ok(Frame { offset: w.append(&bytes)?, len: bytes.len() as u64, blake3 })
        };
        let wrapped = key.wrap(to)?;
        let key_frame = frame(&mut self, wrapped)?;
        let json = serde_json::to_vec(manifest).expect("manifest serializes");
        let packed = zstd::bulk::compress(&json, 3).map_err(|e| Error::io(&self.partial, e))?;
        let sealed = key.seal(&packed).map_err(Error::Internal)?;
        let manifest_frame = frame(&mut self, sealed)?;
        let envelope = Envelope {
            public: Envelope::public(manifest, to.described()),
            key: key_frame,
            manifest: manifest_frame,
            manifest_raw_len: json.len() as u64,
            chunks: Envelope::frames_of(manifest),
        };
        let json = serde_json::to_vec(&envelope).expect("envelope serializes");
        self.close(&json, version_for(manifest, true))
    }

    /// Appends the manifest region (`json`, compressed) and the footer, then makes the file final.
    fn close(mut self, json: &[u8], version: u32) -> Result<(u64, blake3::Hash)> {
        let stored = zstd::bulk::compress(json, 3).map_err(|e| Error::io(&self.partial, e))?;
        let manifest_blake3 = blake3::hash(&stored);
        let footer = Footer {
            manifest_offset: self.offset,
            manifest_len: stored.len() as u64,
            manifest_raw_len: json.len() as u64,
            manifest_blake3: *manifest_blake3.as_bytes(),
            version,
        };
        self.append(&stored)?;
        self.append(&footer.encode())?;
        let file = self.file.take().expect("writer used after finish");
        // The header says the same version as the footer.
        std::os::unix::fs::FileExt::write_at(&file, &footer.version.to_le_bytes(), 8)
            .map_err(|e| Error::io(&self.partial, e))?;
        file.sync_all().map_err(|e| Error::io(&self.partial, e))?;
        // The lock is held (the file stays open) until the partial name is gone. A link never
        // replaces a file already there (rename would): the final name appears only if it was
        // free, atomically.
        match std::fs::hard_link(&self.partial, &self.path) {
            Ok(()) => std::fs::remove_file(&self.partial).map_err(|e| Error::io(&self.partial, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::Refused(format!(
                    "{} appeared while the dump ran; not overwriting it",
                    self.path.display()
                )));
            }
            // File systems without hard links: check, then rename.
            Err(_) if !self.path.exists() => {
                std::fs::rename(&self.partial, &self.path).map_err(|e| Error::io(&self.path, e))?
            }
            Err(e) => return Err(Error::io(&self.path, e)),
        }
        drop(file);
        if let Some(dir) = self.path.parent() {
            let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok((self.offset, manifest_blake3))
    }
}

impl Drop for ArchiveWriter {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumps_started_at_once_on_one_generated_name_each_get_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("app_20261130T100000.000Z.pgark");
        let writers: Vec<ArchiveWriter> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8).map(|_| s.spawn(|| ArchiveWriter::create_unique(&first).unwrap())).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut paths: Vec<&Path> = writers.iter().map(|w| w.path()).collect();
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), 8, "{paths:?}");
        // Every partial file is locked from the moment it has its name: none is taken for a leftover.
        assert!(remove_stale_partials(dir.path()).unwrap().is_empty());
        assert!(ArchiveWriter::create(&first).is_err(), "a name being written is refused");
        // No private file is left behind.
        let names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        assert!(names.iter().all(|n| n.ends_with(".pgark.partial")), "{names:?}");
        drop(writers);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "dropped writers remove their partial files");
        // A leftover nobody holds is replaced.
        std::fs::write(partial_path(&first), b"PGARK").unwrap();
        let w = ArchiveWriter::create_unique(&first).unwrap();
        assert_eq!(w.path(), first);
    }
}

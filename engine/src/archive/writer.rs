//! Writing an archive: frames are appended to `<path>.partial` (created exclusively and locked
//! while it is written); `finish` adds the manifest and footer, fsyncs and links it to the final
//! name, which never replaces a file already there. A writer dropped before `finish` removes its
//! partial file; a killed process leaves only the `.partial` file, never one at the final path,
//! and the next dump into that folder removes it (`remove_stale_partials`).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

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

/// Creates `partial` exclusively and locks it; a leftover no running dump holds is replaced.
fn create_partial(partial: &Path) -> Result<File> {
    let open = || OpenOptions::new().write(true).create_new(true).open(partial);
    let file = match open() {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let held = File::open(partial).map(|f| !lock(&f)).unwrap_or(false);
            if held {
                return Err(Error::Refused(format!("{} is being written by another pgark dump", partial.display())));
            }
            std::fs::remove_file(partial).map_err(|e| Error::io(partial, e))?;
            open()
        }
        other => other,
    }
    .map_err(|e| Error::io(partial, e))?;
    if !lock(&file) {
        return Err(Error::Refused(format!("{} is being written by another pgark dump", partial.display())));
    }
    Ok(file)
}

impl ArchiveWriter {
    /// Starts `path.partial`; refuses when `path` already exists or its folder does not.
    pub fn create(path: &Path) -> Result<ArchiveWriter> {
        check_destination(path)?;
        let partial = partial_path(path);
        let mut file = create_partial(&partial)?;
        file.write_all(&header()).map_err(|e| Error::io(&partial, e))?;
        Ok(ArchiveWriter { path: path.to_path_buf(), partial, file: Some(file), offset: HEADER_LEN as u64 })
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
    pub fn finish(mut self, manifest: &Manifest) -> Result<(u64, blake3::Hash)> {
        let json = serde_json::to_vec(manifest).expect("manifest serializes");
        let stored = zstd::bulk::compress(&json, 3).map_err(|e| Error::io(&self.partial, e))?;
        let manifest_blake3 = blake3::hash(&stored);
        let footer = Footer {
            manifest_offset: self.offset,
            manifest_len: stored.len() as u64,
            manifest_raw_len: json.len() as u64,
            manifest_blake3: *manifest_blake3.as_bytes(),
            version: version_for(manifest),
        };
        self.append(&stored)?;
        self.append(&footer.encode())?;
        let file = self.file.take().expect("writer used after finish");
        // The header says the same version as the footer.
        std::os::unix::fs::FileExt::write_at(&file, &footer.version.to_le_bytes(), 8)
            .map_err(|e| Error::io(&self.partial, e))?;
        file.sync_all().map_err(|e| Error::io(&self.partial, e))?;
        drop(file);
        // A link never replaces a file already there (rename would): the final name appears only
        // if it was free, atomically.
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

//! Writing an archive: frames are appended to `<path>.partial`; `finish` adds the manifest and
//! footer, fsyncs and renames. A writer dropped before `finish` removes its partial file, and a
//! killed process leaves only the `.partial` file, never one at the final path.

use std::fs::{File, OpenOptions};
use std::io::Write;
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

impl ArchiveWriter {
    /// Starts `path.partial`; refuses when `path` already exists.
    pub fn create(path: &Path) -> Result<ArchiveWriter> {
        if path.exists() {
            return Err(Error::Refused(format!(
                "{} already exists; pgark never overwrites a backup (choose another name or delete it)",
                path.display()
            )));
        }
        let partial = partial_path(path);
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&partial)
            .map_err(|e| Error::io(&partial, e))?;
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

    /// Writes manifest and footer, fsyncs, renames to the final path; returns the file size.
    pub fn finish(mut self, manifest: &Manifest) -> Result<u64> {
        let json = serde_json::to_vec(manifest).expect("manifest serializes");
        let stored = zstd::bulk::compress(&json, 3).map_err(|e| Error::io(&self.partial, e))?;
        let footer = Footer {
            manifest_offset: self.offset,
            manifest_len: stored.len() as u64,
            manifest_raw_len: json.len() as u64,
            manifest_blake3: *blake3::hash(&stored).as_bytes(),
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
        if self.path.exists() {
            return Err(Error::Refused(format!(
                "{} appeared while the dump ran; not overwriting it",
                self.path.display()
            )));
        }
        std::fs::rename(&self.partial, &self.path).map_err(|e| Error::io(&self.path, e))?;
        if let Some(dir) = self.path.parent() {
            let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(self.offset)
    }
}

impl Drop for ArchiveWriter {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

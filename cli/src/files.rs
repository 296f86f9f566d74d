//! Writing a file whole or not at all: through `NAME.partial` in the same folder, renamed over
//! the old one when complete (readers never see half a file); and the locks a backup directory's
//! scheduled runs and alerts take.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// `<dir>/.pgark`, where a backup directory keeps its history, locks and alert state.
pub fn meta_dir(dir: &Path) -> PathBuf {
    pgark_engine::history_path(dir).parent().map(Path::to_path_buf).unwrap_or_else(|| dir.join(".pgark"))
}

/// An exclusive lock on `<dir>/.pgark/NAME` (a file created when missing), held until the file
/// is dropped: waited for with `wait`, else `None` when another process holds it.
pub fn lock(dir: &Path, name: &str, wait: bool) -> Result<Option<std::fs::File>> {
    use std::os::fd::AsRawFd;
    let meta = meta_dir(dir);
    std::fs::create_dir_all(&meta).with_context(|| format!("creating {}", meta.display()))?;
    let path = meta.join(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    let how = if wait { libc::LOCK_EX } else { libc::LOCK_EX | libc::LOCK_NB };
    // SAFETY: flock on a descriptor this process owns; no memory is passed.
    if unsafe { libc::flock(file.as_raw_fd(), how) } == 0 {
        return Ok(Some(file));
    }
    let error = std::io::Error::last_os_error();
    match error.kind() {
        std::io::ErrorKind::WouldBlock if !wait => Ok(None),
        _ => Err(error).with_context(|| format!("locking {}", path.display())),
    }
}

/// Replaces (or creates) `path` with `contents`, atomically.
pub fn replace(path: &Path, contents: impl AsRef<[u8]>) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, contents).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))
}

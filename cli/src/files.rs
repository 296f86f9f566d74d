//! Writing a file whole or not at all: through `NAME.partial` in the same folder, renamed over
//! the old one when complete (readers never see half a file).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Replaces (or creates) `path` with `contents`, atomically.
pub fn replace(path: &Path, contents: impl AsRef<[u8]>) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, contents).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))
}

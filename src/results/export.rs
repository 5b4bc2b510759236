//! Writing results files: created before the long run (a bad path fails at once),
//! rewritten through a temporary file and a rename after every case, so a reader
//! never sees half a file and a crash never loses finished cases.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::Results;

pub struct JsonExport {
    path: PathBuf,
}

impl JsonExport {
    /// Checks the destination by writing the (empty) document there now.
    pub fn create(path: &Path, results: &Results) -> anyhow::Result<Self> {
        let export = Self {
            path: path.to_path_buf(),
        };
        export.write(results)?;
        Ok(export)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn write(&self, results: &Results) -> anyhow::Result<()> {
        write_atomically(&self.path, &serde_json::to_vec_pretty(results)?)
    }
}

/// Writes `bytes` to a unique temporary file beside `path`, then renames it into place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".nvviz-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| {
            format!(
                "cannot write in {} (create it or choose another path)",
                dir.display()
            )
        })?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        super::write_atomically(&path, b"one").unwrap();
        super::write_atomically(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn missing_directory_is_a_clear_error() {
        let err = super::write_atomically(std::path::Path::new("/nonexistent-dir/r.json"), b"x")
            .unwrap_err();
        assert!(
            err.to_string().contains("cannot write in /nonexistent-dir"),
            "{err}"
        );
    }
}

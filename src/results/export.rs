//! Writing results files: created before the long run (a bad path fails at once),
//! rewritten through a temporary file and a rename after every case, so a reader
//! never sees half a file and a crash never loses finished cases.

use std::path::{Path, PathBuf};

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
        crate::atomic_file::write_atomically(&self.path, &serde_json::to_vec_pretty(results)?)
    }
}

//! Named baselines (`bench --save-baseline NAME`, `--baseline NAME`): where
//! they live and how one is read back.

use std::path::PathBuf;

use crate::report::LoadError;
use crate::results::Results;

/// Why a named baseline cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("baseline name '{0}' must be a plain name like 'main' (no slashes)")]
    Name(String),
    #[error("baseline '{name}': {cause} (save one with --save-baseline {name})")]
    Unreadable { name: String, cause: LoadError },
}

/// Where baseline `name` lives: $NVVIZ_BASELINE_DIR, else .nvviz-bench/baselines/.
pub fn path(name: &str) -> Result<PathBuf, BaselineError> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(BaselineError::Name(name.to_string()));
    }
    let dir = std::env::var_os("NVVIZ_BASELINE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".nvviz-bench/baselines"));
    Ok(dir.join(format!("{name}.json")))
}

/// Baseline `name`: its file and results, or why it cannot be read.
pub fn load(name: &str) -> Result<(PathBuf, Results), BaselineError> {
    let path = path(name)?;
    let mut loaded = crate::report::load(std::slice::from_ref(&path)).map_err(|cause| {
        BaselineError::Unreadable {
            name: name.to_string(),
            cause,
        }
    })?;
    Ok((path, loaded.remove(0).results))
}

//! Named baselines (`bench --save-baseline NAME`, `--baseline NAME`): where
//! they live and how one is read back.

use std::path::PathBuf;

use anyhow::bail;

use crate::results::Results;

/// Where baseline `name` lives: $NVVIZ_BASELINE_DIR, else .nvviz-bench/baselines/.
pub fn path(name: &str) -> anyhow::Result<PathBuf> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        bail!("baseline name '{name}' must be a plain name like 'main' (no slashes)");
    }
    let dir = std::env::var_os("NVVIZ_BASELINE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".nvviz-bench/baselines"));
    Ok(dir.join(format!("{name}.json")))
}

/// Baseline `name`: its file and results, or why it cannot be read.
pub fn load(name: &str) -> anyhow::Result<(PathBuf, Results)> {
    let path = path(name)?;
    let mut loaded = crate::report::load(std::slice::from_ref(&path)).map_err(|e| {
        anyhow::anyhow!("baseline '{name}': {e:#} (save one with --save-baseline {name})")
    })?;
    Ok((path, loaded.remove(0).results))
}

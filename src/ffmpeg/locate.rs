//! Finding the ffmpeg binary: `--ffmpeg PATH`, then `$NVVIZ_FFMPEG`, then `PATH`.
//! Never a download: a tool that fetches binaries at run time breaks offline CI.

use std::env;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::results::failure::EncodeFailure;

/// Environment variable that points at the ffmpeg binary to use.
pub const FFMPEG_ENV: &str = "NVVIZ_FFMPEG";

/// Where the chosen binary came from, so reports can say why this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FfmpegSource {
    Flag,
    Env,
    Path,
}

#[derive(Debug, Clone, Serialize)]
pub struct FfmpegBinary {
    pub path: PathBuf,
    pub source: FfmpegSource,
}

/// Resolves the ffmpeg binary, or says exactly where we looked.
pub fn locate(flag: Option<&Path>) -> Result<FfmpegBinary, EncodeFailure> {
    if let Some(path) = flag {
        return checked(path.to_path_buf(), FfmpegSource::Flag, "--ffmpeg");
    }
    if let Some(value) = env::var_os(FFMPEG_ENV).filter(|v| !v.is_empty()) {
        return checked(PathBuf::from(value), FfmpegSource::Env, FFMPEG_ENV);
    }
    match find_in_path("ffmpeg") {
        Some(path) => Ok(FfmpegBinary {
            path,
            source: FfmpegSource::Path,
        }),
        None => Err(EncodeFailure::FfmpegNotFound {
            searched: format!("--ffmpeg, ${FFMPEG_ENV}, PATH"),
        }),
    }
}

fn checked(path: PathBuf, source: FfmpegSource, via: &str) -> Result<FfmpegBinary, EncodeFailure> {
    // A bare name given by the user ("ffmpeg-nvenc") is looked up in PATH like a shell would.
    let resolved = if path.components().count() == 1 && !path.exists() {
        find_in_path(&path.to_string_lossy())
    } else {
        Some(path.clone())
    };
    match resolved {
        Some(p) if is_executable(&p) => Ok(FfmpegBinary { path: p, source }),
        Some(p) if p.exists() => Err(EncodeFailure::FfmpegNotExecutable {
            path: p.display().to_string(),
        }),
        _ => Err(EncodeFailure::FfmpegNotFound {
            searched: format!("{} (from {via})", path.display()),
        }),
    }
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let paths = env::var_os("PATH")?;
    env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn flag_pointing_to_missing_file_is_not_found() {
        let err = locate(Some(Path::new("/nonexistent/ffmpeg"))).unwrap_err();
        assert!(
            matches!(err, EncodeFailure::FfmpegNotFound { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn flag_pointing_to_non_executable_file_is_reported_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ffmpeg");
        std::fs::write(&file, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = locate(Some(&file)).unwrap_err();
        assert!(
            matches!(err, EncodeFailure::FfmpegNotExecutable { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn flag_pointing_to_executable_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ffmpeg");
        std::fs::write(&file, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        let found = locate(Some(&file)).unwrap();
        assert_eq!(found.path, file);
        assert_eq!(found.source, FfmpegSource::Flag);
    }
}

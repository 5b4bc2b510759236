//! Files that appear whole or not at all: written to a unique temporary name
//! beside the destination, then renamed into place.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Why an output cannot be written where it was asked: each says what to do,
/// and the system's own error where there is one (in the message itself, so
/// that a caller printing it alone loses nothing).
#[derive(Debug, thiserror::Error)]
pub enum OutputFileError {
    #[error("{} exists and is not a regular file: choose a file path", .0.display())]
    NotAFile(PathBuf),
    #[error("{}: the file name is {len} bytes, more than the {max} its file system allows: choose a shorter name", path.display())]
    NameTooLong {
        path: PathBuf,
        len: usize,
        max: usize,
    },
    #[error("{flag} {} is the input {input}: choose another path", output.display())]
    IsAnInput {
        flag: String,
        output: PathBuf,
        input: String,
    },
    #[error("cannot write in {} (create it or choose another path): {cause}", dir.display())]
    Directory { dir: PathBuf, cause: std::io::Error },
    #[error("writing {}: {cause}", path.display())]
    Write {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("cannot replace {}: {cause}", path.display())]
    Replace {
        path: PathBuf,
        cause: std::io::Error,
    },
}

/// The directory a file at `path` goes in ("." for a bare name).
pub fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes `bytes` to a unique temporary file beside `path`, then renames it into place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), OutputFileError> {
    check_destination(path)?;
    let dir = parent_dir(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(&crate::scratch::hidden_prefix("write"))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|cause| OutputFileError::Directory {
            dir: dir.to_path_buf(),
            cause,
        })?;
    let writing = |cause| OutputFileError::Write {
        path: path.to_path_buf(),
        cause,
    };
    // tempfile creates 0600; the file we are replacing it with is an ordinary
    // output, readable as the user's umask says (as `>` in a shell would make it).
    use std::os::unix::fs::PermissionsExt;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o666 & !umask()))
        .map_err(writing)?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(writing)?;
    tmp.persist(path).map_err(|e| OutputFileError::Replace {
        path: path.to_path_buf(),
        cause: e.error,
    })?;
    Ok(())
}

/// This process's umask, from /proc (reading it with umask(2) would change it
/// for every thread for a moment); 022 where /proc does not say.
pub fn umask() -> u32 {
    crate::process::self_status("Umask")
        .and_then(|v| u32::from_str_radix(&v, 8).ok())
        .unwrap_or(0o022)
}

/// Refuses an output path that names one of the inputs: writing there would
/// destroy the file being read. Inputs and outputs are named by their flags.
pub fn refuse_overwriting(
    inputs: &[(&str, Option<&Path>)],
    outputs: &[(&str, PathBuf)],
) -> Result<(), OutputFileError> {
    for (input_name, input) in inputs {
        let Some(input) = input.and_then(|p| std::fs::canonicalize(p).ok()) else {
            continue;
        };
        for (flag, output) in outputs {
            if std::fs::canonicalize(output).ok().as_ref() == Some(&input) {
                return Err(OutputFileError::IsAnInput {
                    flag: flag.to_string(),
                    output: output.clone(),
                    input: input_name.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// Whether `path` can take an output at all, checked before any work is done
/// for it: not a device node or directory (a rename would replace /dev/full
/// with our file), and a name its file system can hold (else a long encode
/// would end unable to name its result).
pub fn check_destination(path: &Path) -> Result<(), OutputFileError> {
    if let Ok(m) = std::fs::metadata(path) {
        if !m.is_file() {
            return Err(OutputFileError::NotAFile(path.to_path_buf()));
        }
    }
    let len = path.file_name().map_or(0, |n| n.len());
    let max = name_max(parent_dir(path));
    if len > max {
        return Err(OutputFileError::NameTooLong {
            path: path.to_path_buf(),
            len,
            max,
        });
    }
    Ok(())
}

/// The longest file name `dir`'s file system takes (255 where it cannot say).
fn name_max(dir: &Path) -> usize {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return 255;
    };
    // SAFETY: a NUL-terminated path and a zeroed statvfs for the call to fill.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } == 0 && st.f_namemax > 0 {
        st.f_namemax as usize
    } else {
        255
    }
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
    fn a_name_the_file_system_cannot_hold_is_refused_before_any_work() {
        let dir = tempfile::tempdir().unwrap();
        let long = dir.path().join(format!("{}.mp4", "a".repeat(300)));
        let err = super::check_destination(&long).unwrap_err().to_string();
        assert!(err.contains("304 bytes, more than the 255"), "{err}");
        assert!(super::check_destination(&dir.path().join("ok.mp4")).is_ok());
        assert!(super::check_destination(dir.path()).is_err());
    }

    #[test]
    fn missing_directory_is_a_clear_error() {
        let err = super::write_atomically(std::path::Path::new("/nonexistent-dir/r.json"), b"x")
            .unwrap_err();
        assert!(
            matches!(err, super::OutputFileError::Directory { .. }),
            "{err:?}"
        );
        // The system's reason is in the message itself, not only a source a
        // caller printing the error alone would drop.
        let message = err.to_string();
        assert!(
            message.contains("cannot write in /nonexistent-dir"),
            "{message}"
        );
        assert!(message.contains("No such file or directory"), "{message}");
    }
}

//! Reading an input that must be a file: a FIFO would block forever (and
//! ignore Ctrl-C while blocked in `open`), `/dev/zero` would be read until
//! memory runs out. Only regular files are read, and only up to a bound.

use std::io::Read;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {what} {path}: {error}")]
    Io {
        what: &'static str,
        path: String,
        error: std::io::Error,
    },
    #[error("{what} {path} is not a regular file (a FIFO, device or directory): give a file")]
    NotRegular { what: &'static str, path: String },
    #[error("{what} {path} is larger than {limit_mib} MiB: not a {what} this tool wrote or reads")]
    TooLarge {
        what: &'static str,
        path: String,
        limit_mib: u64,
    },
    #[error("{what} {path} is not UTF-8 text")]
    NotText { what: &'static str, path: String },
}

/// The text of `path`, which must be a regular file of at most `limit` bytes.
pub fn read_text(path: &Path, what: &'static str, limit: u64) -> Result<String, InputError> {
    let shown = path.display().to_string();
    // stat before open: opening a FIFO for reading blocks until a writer comes.
    let meta = std::fs::metadata(path).map_err(|error| InputError::Io {
        what,
        path: shown.clone(),
        error,
    })?;
    if !meta.is_file() {
        return Err(InputError::NotRegular { what, path: shown });
    }
    let too_large = || InputError::TooLarge {
        what,
        path: shown.clone(),
        limit_mib: limit >> 20,
    };
    if meta.len() > limit {
        return Err(too_large());
    }
    let file = std::fs::File::open(path).map_err(|error| InputError::Io {
        what,
        path: shown.clone(),
        error,
    })?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| InputError::Io {
            what,
            path: shown.clone(),
            error,
        })?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|_| InputError::NotText { what, path: shown })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bounded_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("d.json");
        std::fs::write(&ok, "{}").unwrap();
        assert_eq!(read_text(&ok, "detections file", 10).unwrap(), "{}");
        assert!(matches!(
            read_text(&ok, "detections file", 1),
            Err(InputError::TooLarge { .. })
        ));
        assert!(matches!(
            read_text(dir.path(), "detections file", 10),
            Err(InputError::NotRegular { .. })
        ));
        assert!(matches!(
            read_text(Path::new("/dev/zero"), "detections file", 10),
            Err(InputError::NotRegular { .. })
        ));
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            read_text(&fifo, "detections file", 10),
            Err(InputError::NotRegular { .. })
        ));
    }
}

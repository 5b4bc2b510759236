//! Files that appear whole or not at all: written to a unique temporary name
//! beside the destination, then renamed into place.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// The directory a file at `path` goes in ("." for a bare name).
pub fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes `bytes` to a unique temporary file beside `path`, then renames it into place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    check_destination(path)?;
    let dir = parent_dir(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(&crate::scratch::hidden_prefix("write"))
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| {
            format!(
                "cannot write in {} (create it or choose another path)",
                dir.display()
            )
        })?;
    // tempfile creates 0600; the file we are replacing it with is an ordinary
    // output, readable as the user's umask says (as `>` in a shell would make it).
    use std::os::unix::fs::PermissionsExt;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o666 & !umask()))
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

/// This process's umask, from /proc (reading it with umask(2) would change it
/// for every thread for a moment); 022 where /proc does not say.
pub fn umask() -> u32 {
    crate::process::self_status("Umask")
        .and_then(|v| u32::from_str_radix(&v, 8).ok())
        .unwrap_or(0o022)
}

/// Whether `path` can take an output at all, checked before any work is done
/// for it: not a device node or directory (a rename would replace /dev/full
/// with our file), and a name its file system can hold (else a long encode
/// would end unable to name its result).
/// Refuses an output path that names one of the inputs: writing there would
/// destroy the file being read. Inputs and outputs are named by their flags.
pub fn refuse_overwriting(
    inputs: &[(&str, Option<&Path>)],
    outputs: &[(&str, std::path::PathBuf)],
) -> anyhow::Result<()> {
    for (input_name, input) in inputs {
        let Some(input) = input.and_then(|p| std::fs::canonicalize(p).ok()) else {
            continue;
        };
        for (flag, output) in outputs {
            if std::fs::canonicalize(output).ok().as_ref() == Some(&input) {
                anyhow::bail!(
                    "{flag} {} is the input {input_name}: choose another path",
                    output.display()
                );
            }
        }
    }
    Ok(())
}

pub fn check_destination(path: &Path) -> anyhow::Result<()> {
    if let Ok(m) = std::fs::metadata(path) {
        if !m.is_file() {
            anyhow::bail!(
                "{} exists and is not a regular file: choose a file path",
                path.display()
            );
        }
    }
    let name_len = path.file_name().map_or(0, |n| n.len());
    let dir = parent_dir(path);
    let max = name_max(dir);
    if name_len > max {
        anyhow::bail!(
            "{}: the file name is {name_len} bytes, more than the {max} its file system allows: choose a shorter name",
            path.display()
        );
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
            err.to_string().contains("cannot write in /nonexistent-dir"),
            "{err}"
        );
    }
}

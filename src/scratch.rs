//! Temporary files and directories, each named by the PID of the run that made
//! it: `nvviz-KIND-PID-XXXXXX` in the system's temp dir, and
//! `.nvviz-KIND-PID-XXXXXX.EXT` beside an output (a render's video before its
//! rename, a bench case's kept output, an atomic write). A run that ends
//! normally removes its own; a run killed outright (SIGKILL, power loss)
//! cannot, so later runs sweep for names whose PID is gone and remove them:
//! the temp dir at start-up (`sweep_dead_runs`), an output directory before a
//! run writes there (`sweep_dead_runs_in`).

use std::path::{Path, PathBuf};

const PREFIX: &str = "nvviz-";

fn prefix(kind: &str) -> String {
    format!("{PREFIX}{kind}-{}-", std::process::id())
}

/// A directory removed when dropped.
pub fn dir(kind: &str) -> std::io::Result<tempfile::TempDir> {
    tempfile::Builder::new().prefix(&prefix(kind)).tempdir()
}

/// A file removed when dropped.
pub fn file(kind: &str, suffix: &str) -> std::io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(&prefix(kind))
        .suffix(suffix)
        .tempfile()
}

/// A file beside an output, `DIR/.nvviz-KIND-PID-XXXXXX.SUFFIX`, created with an
/// output's permissions and removed when the path is dropped (unless persisted).
pub fn beside(dir: &Path, kind: &str, suffix: &str) -> std::io::Result<tempfile::TempPath> {
    Ok(tempfile::Builder::new()
        .prefix(&hidden_prefix(kind))
        .suffix(suffix)
        .permissions(output_permissions())
        .tempfile_in(dir)?
        .into_temp_path())
}

/// What an output file is created with: rw for everyone, less the umask (the
/// kernel applies it at creation), as a shell's `>` does.
pub fn output_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o666)
}

/// `.nvviz-KIND-PID-`: the start of a file's name beside an output.
pub fn hidden_prefix(kind: &str) -> String {
    format!(".{}", prefix(kind))
}

/// The PID a scratch name carries (`nvviz-ring-1234-abc.raw` → 1234,
/// `.nvviz-render-1234-abc.mp4` → 1234).
fn owner(name: &str) -> Option<i32> {
    let name = name.strip_prefix('.').unwrap_or(name);
    let rest = name.strip_prefix(PREFIX)?;
    let (_, rest) = rest.split_once('-')?;
    let (pid, _) = rest.split_once('-')?;
    pid.parse().ok()
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Removes scratch files and directories of runs that are no longer running;
/// returns what it removed. Errors are ignored: another run may race us.
pub fn sweep_dead_runs() -> Vec<PathBuf> {
    sweep_in(&std::env::temp_dir())
}

/// The same, in an output directory: the hidden partial files of killed
/// renders and benches there (`.nvviz-case-PID-…`).
pub fn sweep_dead_runs_in(dir: &Path) -> Vec<PathBuf> {
    sweep_in(dir)
}

fn sweep_in(dir: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return removed;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(owner) else {
            continue;
        };
        if pid <= 0 || pid == std::process::id() as i32 || alive(pid) {
            continue;
        }
        let path = entry.path();
        let gone = match entry.file_type() {
            Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path).is_ok(),
            Ok(_) => std::fs::remove_file(&path).is_ok(),
            Err(_) => false,
        };
        if gone {
            removed.push(path);
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_pid_and_dead_runs_are_swept() {
        assert_eq!(owner("nvviz-ring-1234-abc.raw"), Some(1234));
        assert_eq!(owner("nvviz-bench-77-x"), Some(77));
        assert_eq!(owner("other-1-2"), None);
        let root = tempfile::tempdir().unwrap();
        // A PID that cannot be running: beyond the kernel's pid_max.
        let dead = root.path().join("nvviz-bench-2147483000-abc");
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(dead.join("ring.raw"), b"x").unwrap();
        let mine = root
            .path()
            .join(format!("nvviz-bench-{}-abc", std::process::id()));
        std::fs::create_dir(&mine).unwrap();
        let init = root.path().join("nvviz-ring-1-abc.raw");
        std::fs::write(&init, b"x").unwrap();
        let removed = sweep_in(root.path());
        assert_eq!(removed, vec![dead.clone()]);
        assert!(!dead.exists() && mine.exists() && init.exists());
    }

    #[test]
    fn partial_outputs_beside_the_output_carry_the_pid_and_are_swept() {
        let root = tempfile::tempdir().unwrap();
        let live = beside(root.path(), "render", ".mp4").unwrap();
        let name = live.file_name().unwrap().to_str().unwrap().to_string();
        assert!(
            name.starts_with(&format!(".nvviz-render-{}-", std::process::id())),
            "{name}"
        );
        assert_eq!(owner(&name), Some(std::process::id() as i32));
        let dead = root.path().join(".nvviz-case-2147483000-abc.mp4");
        std::fs::write(&dead, b"x").unwrap();
        let user = root.path().join("video.mp4");
        std::fs::write(&user, b"x").unwrap();
        assert_eq!(sweep_dead_runs_in(root.path()), vec![dead.clone()]);
        assert!(!dead.exists() && live.exists() && user.exists());
    }
}

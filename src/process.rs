//! Running short-lived helper commands (`ffmpeg -version`, `-encoders`, …) with a
//! deadline: a probe must never hang doctor, and must never leave a child behind.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Captured {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ChildError {
    #[error("could not start {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("{program} did not finish within {seconds:.1} s and was killed")]
    Timeout { program: String, seconds: f64 },
    /// Ctrl-C or SIGTERM came while waiting: the child was killed and reaped.
    #[error("interrupted")]
    Interrupted,
}

/// A field of this process's `/proc/self/status` ("VmHWM", "Umask"), its value trimmed.
pub fn self_status(field: &str) -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| {
        l.strip_prefix(field)?
            .strip_prefix(':')
            .map(|v| v.trim().to_string())
    })
}

/// Makes `command` a supervised child: the leader of its own process group (so
/// Ctrl-C handling and kills reach it and anything it forks) and killed by the
/// kernel when this process dies, however it dies — SIGKILL included — through
/// `PR_SET_PDEATHSIG`. The signal is tied to the spawning *thread*, so a child
/// must be reaped by the thread that spawned it (every spawn here is owned by a
/// guard that kills and reaps it in the same scope).
pub fn supervise(command: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: getpid is async-signal-safe and has no preconditions.
    let parent = unsafe { libc::getpid() };
    command.process_group(0);
    // SAFETY: the closure runs in the forked child before exec and calls only
    // async-signal-safe functions (prctl, getppid, _exit).
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl: then no signal
            // will ever come, so go now.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    command
}

/// Runs `command` to completion, killing it if it outlives `timeout`.
pub fn run_with_timeout(command: &mut Command, timeout: Duration) -> Result<Captured, ChildError> {
    let program = command.get_program().to_string_lossy().into_owned();
    let mut child = supervise(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| ChildError::Spawn {
            program: program.clone(),
            source,
        })?;
    // Drain both pipes on their own threads: a full pipe would stall the child.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = match wait_deadline(&mut child, timeout) {
        Some(status) => status,
        None => {
            kill_group_and_reap(&mut child);
            if crate::interrupt::requested() {
                return Err(ChildError::Interrupted);
            }
            return Err(ChildError::Timeout {
                program,
                seconds: timeout.as_secs_f64(),
            });
        }
    };
    Ok(Captured {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// Polls until the child exits, the deadline passes or Ctrl-C/SIGTERM comes
/// (`None` for the last two: the caller kills it).
pub fn wait_deadline(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    let mut nap = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() >= deadline || crate::interrupt::requested() => return None,
            Ok(None) => {
                thread::sleep(nap);
                nap = (nap * 2).min(Duration::from_millis(20));
            }
            Err(_) => return None,
        }
    }
}

/// Kills the child's process group (it was spawned as the group's leader, so this
/// also reaches anything it forked) and reaps the child: no zombie, no orphan.
pub fn kill_group_and_reap(child: &mut Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: plain syscall on a group id we created; failure (already gone) is fine.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_output() {
        let out = run_with_timeout(
            Command::new("sh").args(["-c", "echo out; echo err >&2"]),
            Duration::from_secs(5),
        )
        .unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, "out\n");
        assert_eq!(out.stderr, "err\n");
    }

    #[test]
    fn kills_a_hanging_child() {
        let err = run_with_timeout(Command::new("sleep").arg("30"), Duration::from_millis(100))
            .unwrap_err();
        assert!(matches!(err, ChildError::Timeout { .. }), "{err}");
    }

    #[test]
    fn missing_program_is_a_spawn_error() {
        let err = run_with_timeout(
            &mut Command::new("/nonexistent/prog"),
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(matches!(err, ChildError::Spawn { .. }));
    }
}

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

/// Waits up to `timeout_ms` for `fd` to be ready for `events` (a closed
/// other end counts as ready: reading it says so).
pub fn ready(fd: &impl std::os::fd::AsRawFd, events: libc::c_short, timeout_ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd for the duration of the call.
    unsafe { libc::poll(&mut p, 1, timeout_ms) > 0 }
}

/// A deadline given in seconds is not one (`--write-timeout`, `--trial-timeout`, …).
#[derive(Debug, thiserror::Error)]
#[error("must be a number of seconds between 0 and 3600 (got {0})")]
pub struct SecondsError(String);

/// A deadline flag's value: seconds, more than 0 and at most an hour (the
/// command line's value parser for every timeout).
pub fn parse_seconds(text: &str) -> Result<Duration, SecondsError> {
    match text.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= 3600.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(SecondsError(text.to_string())),
    }
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
    kill_group(child);
    let _ = child.kill();
    let _ = child.wait();
}

/// SIGKILL to the child's process group (it leads it).
fn kill_group(child: &Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: plain syscall on a group id we created; failure (already gone) is fine.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// `kill_group_and_reap`, keeping what the child used (a decoder stopped
/// once its frames were read: its CPU time is the decode's cost).
pub fn kill_group_reaped(child: &mut Child) -> Option<Reaped> {
    kill_group(child);
    wait_reaped(child, Instant::now() + Duration::from_secs(5))
}

/// A command line of the user's, run by `sh -c` in `dir` and supervised like
/// every child (its own process group, killed with us). Its stdin is a pipe
/// when `stdin_piped` (raw frames are written there), else empty; `progress`,
/// the write end of a pipe, becomes its file descriptor 3; stdout is
/// discarded and stderr piped (the caller drains it).
pub fn spawn_shell(
    line: &str,
    dir: &std::path::Path,
    stdin_piped: bool,
    progress: Option<std::os::fd::OwnedFd>,
    env: &[(&str, String)],
) -> Result<Child, ChildError> {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(line)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k, v)));
    supervise(&mut command)
        .stdin(if stdin_piped {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(fd) = progress.as_ref().map(AsRawFd::as_raw_fd) {
        // SAFETY: runs in the forked child before exec; dup2 and fcntl are
        // async-signal-safe. fd 3 is made a copy of the pipe without
        // close-on-exec (the original keeps it, and closes at exec).
        unsafe {
            command.pre_exec(move || {
                let ok = if fd == 3 {
                    libc::fcntl(3, libc::F_SETFD, 0) != -1
                } else {
                    libc::dup2(fd, 3) != -1
                };
                if ok {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
    }
    let child = command.spawn().map_err(|source| ChildError::Spawn {
        program: "sh".into(),
        source,
    })?;
    drop(progress);
    Ok(child)
}

/// A child reaped with what it and the descendants it waited for used.
#[derive(Debug, Clone, Copy)]
pub struct Reaped {
    pub status: ExitStatus,
    pub user_s: f64,
    pub sys_s: f64,
    /// The largest resident set of any one process of the tree (KiB).
    pub max_rss_kib: i64,
}

/// Waits for the child until `deadline` or Ctrl-C/SIGTERM (`None`: the caller
/// kills it), reaping it with its resource usage (`wait4`).
pub fn wait_reaped(child: &Child, deadline: Instant) -> Option<Reaped> {
    use std::os::unix::process::ExitStatusExt;
    let pid = i32::try_from(child.id()).ok()?;
    let mut nap = Duration::from_millis(1);
    loop {
        let mut status = 0;
        // SAFETY: an all-zero rusage is a valid value for the kernel to fill.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: plain syscall on our own child's pid with valid out-pointers.
        let got = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if got == pid {
            let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
            return Some(Reaped {
                status: ExitStatus::from_raw(status),
                user_s: secs(usage.ru_utime),
                sys_s: secs(usage.ru_stime),
                max_rss_kib: usage.ru_maxrss,
            });
        }
        if got < 0 || Instant::now() >= deadline || crate::interrupt::requested() {
            return None;
        }
        thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(20));
    }
}

/// Processes of the group `leader` led that are still running (after the
/// leader was reaped: what it left behind), each killed. 0 when none was left.
pub fn kill_leftovers(leader: u32) -> usize {
    let Ok(pgid) = i32::try_from(leader) else {
        return 0;
    };
    let members = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        // SAFETY: getpgid has no preconditions; a vanished pid returns -1.
        .filter(|&pid| pid != pgid && unsafe { libc::getpgid(pid) } == pgid)
        .count();
    // SAFETY: plain signal to a process group we created.
    unsafe { libc::kill(-pgid, libc::SIGKILL) };
    members
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

    #[test]
    fn seconds_are_checked() {
        assert!(parse_seconds("NaN").is_err());
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("3601").is_err());
        assert!(parse_seconds("soon").is_err());
        assert_eq!(parse_seconds("2").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_seconds("0.5").unwrap(), Duration::from_millis(500));
    }

    use super::*;

    #[test]
    fn a_pipe_is_ready_when_it_has_bytes_or_has_ended() {
        let mut child = Command::new("sh")
            .args(["-c", "read go; echo frame; read end"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        assert!(!ready(&stdout, libc::POLLIN, 0), "nothing written yet");
        use std::io::Write;
        writeln!(stdin, "go").unwrap();
        assert!(ready(&stdout, libc::POLLIN, 10_000), "a line came");
        drop(stdin);
        child.wait().unwrap();
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "frame\n");
        assert!(ready(&stdout, libc::POLLIN, 0), "its end is ready too");
    }

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

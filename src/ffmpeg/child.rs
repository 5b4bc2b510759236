//! A supervised ffmpeg child: spawned through ffmpeg-sidecar in its own process
//! group, stderr drained continuously on its own thread (a full stderr pipe stalls
//! ffmpeg), every wait bounded, and killed and reaped on drop, so no ffmpeg is
//! ever left behind.

use std::path::Path;
use std::process::{ChildStdin, ExitStatus};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ffmpeg_sidecar::child::FfmpegChild;
use ffmpeg_sidecar::command::FfmpegCommand;
use ffmpeg_sidecar::event::{FfmpegEvent, FfmpegProgress};
use ffmpeg_sidecar::log_parser::FfmpegLogParser;

use super::failure::ExitInfo;
use crate::process;
use crate::results::failure::EncodeFailure;

/// stderr lines kept in memory: the start (stream setup) and the most recent.
const KEPT_HEAD_LINES: usize = 64;
const KEPT_TAIL_LINES: usize = 256;

/// What the stderr thread has seen so far.
#[derive(Debug, Default)]
pub struct StderrLog {
    head: Vec<String>,
    tail: std::collections::VecDeque<String>,
    dropped: usize,
    pub last_progress: Option<FfmpegProgress>,
    /// When ffmpeg first reported a frame done.
    pub first_frame_at: Option<Instant>,
    /// When each progress line came and the frames it reported done (the
    /// first `KEPT_MARKS`): a steady rate after the start-up.
    pub marks: Vec<(Instant, u64)>,
}

const KEPT_MARKS: usize = 100_000;

impl StderrLog {
    fn push(&mut self, line: String) {
        if self.head.len() < KEPT_HEAD_LINES {
            self.head.push(line);
            return;
        }
        if self.tail.len() == KEPT_TAIL_LINES {
            self.tail.pop_front();
            self.dropped += 1;
        }
        self.tail.push_back(line);
    }

    /// Lines kept, in order (a long run keeps its first and last lines).
    pub fn lines(&self) -> Vec<String> {
        self.head.iter().chain(self.tail.iter()).cloned().collect()
    }
}

pub struct FfmpegProcess {
    child: FfmpegChild,
    started: Instant,
    log: Arc<Mutex<StderrLog>>,
    reader: Option<JoinHandle<()>>,
    reaped: bool,
}

impl FfmpegProcess {
    /// Spawns `binary` with `args` (everything after the program name).
    pub fn spawn(binary: &Path, args: &[String]) -> Result<Self, EncodeFailure> {
        Self::spawn_env(binary, args, None)
    }

    /// `spawn` with one environment variable set for the child.
    pub fn spawn_env(
        binary: &Path,
        args: &[String],
        env: Option<&(&str, String)>,
    ) -> Result<Self, EncodeFailure> {
        let mut command = FfmpegCommand::new_with_path(binary);
        command.args(args);
        if let Some((key, value)) = env {
            command.as_inner_mut().env(key, value);
        }
        // Own process group, and killed with us however we end (SIGKILL too).
        crate::process::supervise(command.as_inner_mut());
        let mut child = command.spawn().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => EncodeFailure::FfmpegNotFound {
                searched: binary.display().to_string(),
            },
            std::io::ErrorKind::PermissionDenied => EncodeFailure::FfmpegNotExecutable {
                path: binary.display().to_string(),
            },
            _ => EncodeFailure::FfmpegUnusable {
                detail: format!("could not start {}: {e}", binary.display()),
            },
        })?;
        let log = Arc::new(Mutex::new(StderrLog::default()));
        let reader = child.take_stderr().map(|stderr| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || drain_stderr(stderr, &log))
        });
        Ok(Self {
            child,
            started: Instant::now(),
            log,
            reader,
            reaped: false,
        })
    }

    /// ffmpeg's stdout, for commands that write raw frames there (decoding).
    pub fn take_stdout(&mut self) -> Option<std::process::ChildStdout> {
        self.child.take_stdout()
    }

    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.child.take_stdin()
    }

    pub fn pid(&mut self) -> u32 {
        self.child.as_inner().id()
    }

    /// Waits for exit; past `timeout` ffmpeg is killed and `Timeout` returned.
    pub fn wait(&mut self, timeout: Duration) -> Result<ExitStatus, EncodeFailure> {
        match process::wait_deadline(self.child.as_inner_mut(), timeout) {
            Some(status) => {
                self.reaped = true;
                self.join_reader();
                Ok(status)
            }
            None => {
                self.kill();
                Err(if crate::interrupt::requested() {
                    EncodeFailure::Interrupted
                } else {
                    EncodeFailure::Timeout {
                        seconds: timeout.as_secs_f64(),
                    }
                })
            }
        }
    }

    /// Kills ffmpeg's whole process group and reaps it.
    pub fn kill(&mut self) {
        if !self.reaped {
            process::kill_group_and_reap(self.child.as_inner_mut());
            self.reaped = true;
        }
        self.join_reader();
    }

    /// Kills ffmpeg's process group and reaps it with what it used (None
    /// where it was reaped already).
    pub fn kill_reaped(&mut self) -> Option<process::Reaped> {
        if self.reaped {
            return None;
        }
        let reaped = process::kill_group_reaped(self.child.as_inner_mut());
        self.reaped = true;
        self.join_reader();
        reaped
    }

    pub fn stderr_lines(&self) -> Vec<String> {
        self.log.lock().map(|l| l.lines()).unwrap_or_default()
    }

    pub fn last_progress(&self) -> Option<FfmpegProgress> {
        self.log.lock().ok().and_then(|l| l.last_progress.clone())
    }

    /// ffmpeg's progress lines so far: when each came, frames done.
    pub fn progress_marks(&self) -> Vec<(Instant, u64)> {
        self.log.lock().map(|l| l.marks.clone()).unwrap_or_default()
    }

    /// From spawn to ffmpeg's first progress line with a frame done (as fine as
    /// its `-stats_period`).
    pub fn first_frame_after_start(&self) -> Option<Duration> {
        let at = self.log.lock().ok()?.first_frame_at?;
        Some(at.saturating_duration_since(self.started))
    }

    fn join_reader(&mut self) {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl Drop for FfmpegProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn exit_info(status: &ExitStatus) -> ExitInfo {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitInfo::Code(code),
        (None, Some(signal)) => ExitInfo::Signal(signal),
        (None, None) => ExitInfo::Code(-1),
    }
}

/// Reads stderr to EOF with sidecar's parser. We drive the parser ourselves rather
/// than through `FfmpegChild::iter()`: on a line it cannot parse that iterator's
/// thread stops reading, which would leave ffmpeg blocked on a full pipe.
fn drain_stderr(stderr: std::process::ChildStderr, log: &Mutex<StderrLog>) {
    let mut parser = FfmpegLogParser::new(stderr);
    loop {
        let event = parser.parse_next_event();
        let Ok(mut log) = log.lock() else { return };
        match event {
            Ok(FfmpegEvent::LogEOF) => return,
            Ok(FfmpegEvent::Progress(progress)) => {
                if progress.frame > 0 && log.first_frame_at.is_none() {
                    log.first_frame_at = Some(Instant::now());
                }
                if log.marks.len() < KEPT_MARKS {
                    log.marks.push((Instant::now(), u64::from(progress.frame)));
                }
                log.push(progress.raw_log_message.clone());
                log.last_progress = Some(progress);
            }
            Ok(event) => {
                if let Some(line) = event_line(event) {
                    log.push(line);
                }
            }
            // Unparseable line: keep going. A read error means the pipe is gone.
            Err(e) if e.downcast_ref::<std::io::Error>().is_some() => return,
            Err(e) => log.push(e.to_string()),
        }
    }
}

fn event_line(event: FfmpegEvent) -> Option<String> {
    match event {
        FfmpegEvent::ParsedVersion(x) => Some(x.raw_log_message),
        FfmpegEvent::ParsedConfiguration(x) => Some(x.raw_log_message),
        FfmpegEvent::ParsedStreamMapping(x) => Some(x),
        FfmpegEvent::ParsedInput(x) => Some(x.raw_log_message),
        FfmpegEvent::ParsedOutput(x) => Some(x.raw_log_message),
        FfmpegEvent::ParsedInputStream(x) | FfmpegEvent::ParsedOutputStream(x) => {
            Some(x.raw_log_message)
        }
        FfmpegEvent::ParsedDuration(x) => Some(x.raw_log_message),
        FfmpegEvent::Log(_, x) | FfmpegEvent::Error(x) => Some(x),
        FfmpegEvent::Progress(x) => Some(x.raw_log_message),
        FfmpegEvent::LogEOF
        | FfmpegEvent::OutputFrame(_)
        | FfmpegEvent::OutputChunk(_)
        | FfmpegEvent::Done => None,
    }
}

//! The guide's NVENC visualizer sink: raw frames into an ffmpeg child's stdin.
//! ffmpeg's stderr is drained on its own thread (in `FfmpegProcess`); a watchdog
//! kills ffmpeg when one write blocks longer than the deadline, so a hung
//! encoder becomes a `timeout`, never a hung benchmark.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ChildStdin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{FrameSink, SinkOutput};
use crate::ffmpeg::args::{pipe_args, shell_line, EncodeSettings, RawInput};
use crate::ffmpeg::child::{exit_info, FfmpegProcess};
use crate::ffmpeg::failure::{classify, last_lines};
use crate::ffmpeg::EncodeFailure;
use crate::frame::Frame;
use crate::pixfmt::PixFmt;

pub struct FfmpegPipeSink {
    process: FfmpegProcess,
    stdin: Option<ChildStdin>,
    encoder: String,
    command: String,
    output: PathBuf,
    frames_written: u64,
    finish_timeout: Duration,
    watchdog: Watchdog,
    pix_fmt: PixFmt,
}

impl FfmpegPipeSink {
    pub fn spawn(
        binary: &Path,
        input: &RawInput,
        settings: &EncodeSettings,
        output: &Path,
        write_timeout: Duration,
    ) -> Result<Self, EncodeFailure> {
        // Progress every 50 ms (not 500): time to the first encoded frame is measured from it.
        let mut args: Vec<String> = vec!["-stats_period".into(), "0.05".into()];
        args.extend(pipe_args(input, settings, output));
        let mut process = FfmpegProcess::spawn(binary, &args)?;
        let stdin = process.take_stdin();
        if let Some(stdin) = &stdin {
            enlarge_pipe(stdin, input.frame_bytes());
        }
        let watchdog = Watchdog::start(process.pid(), write_timeout);
        Ok(Self {
            process,
            stdin,
            encoder: settings.encoder.clone(),
            command: shell_line(binary, &args),
            output: output.to_path_buf(),
            frames_written: 0,
            finish_timeout: write_timeout.max(Duration::from_secs(30)),
            watchdog,
            pix_fmt: settings.pix_fmt,
        })
    }

    pub fn command(&self) -> &str {
        &self.command
    }

    /// ffmpeg is gone or stuck: wait for it briefly, then name the cause.
    fn failure(&mut self, pipe_broke: bool) -> EncodeFailure {
        if self.watchdog.fired() {
            self.process.kill();
            return EncodeFailure::Timeout {
                seconds: self.watchdog.timeout.as_secs_f64(),
            };
        }
        let status = self.process.wait(Duration::from_secs(5));
        let lines = self.process.stderr_lines();
        match status {
            Ok(status) => classify(
                &lines,
                &exit_info(&status),
                pipe_broke.then_some(self.frames_written),
            ),
            Err(_) => EncodeFailure::BrokenPipe {
                frames_written: self.frames_written,
                last_lines: last_lines(&lines),
            },
        }
    }
}

impl FrameSink for FfmpegPipeSink {
    fn label(&self) -> String {
        format!("ffmpeg:{}", self.encoder)
    }

    fn pix_fmt(&self) -> PixFmt {
        self.pix_fmt
    }

    fn write(&mut self, _frame: &Frame, wire: &[u8]) -> Result<(), EncodeFailure> {
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(self.failure(true));
        };
        self.watchdog.arm();
        let result = stdin.write_all(wire);
        self.watchdog.disarm();
        match result {
            Ok(()) => {
                self.frames_written += 1;
                Ok(())
            }
            Err(_) => {
                self.stdin = None;
                Err(self.failure(true))
            }
        }
    }

    fn finish(mut self: Box<Self>) -> Result<SinkOutput, EncodeFailure> {
        // Closing stdin is ffmpeg's end-of-input: it flushes the encoder and writes the trailer.
        drop(self.stdin.take());
        let status = self.process.wait(self.finish_timeout)?;
        let lines = self.process.stderr_lines();
        if !status.success() {
            return Err(classify(&lines, &exit_info(&status), None));
        }
        Ok(SinkOutput {
            path: (self.output != Path::new(crate::ffmpeg::args::DISCARD))
                .then(|| self.output.clone()),
            command: Some(self.command.clone()),
            stderr_tail: last_lines(&lines),
            first_frame_s: self
                .process
                .first_frame_after_start()
                .map(|d| d.as_secs_f64()),
        })
    }
}

/// Asks for a pipe that holds a whole frame (Linux's default is 64 KiB: a 6 MB
/// frame is a hundred wake-ups of ffmpeg). Unprivileged users get up to
/// /proc/sys/fs/pipe-max-size (1 MiB by default); failures leave the default.
fn enlarge_pipe(stdin: &ChildStdin, frame_bytes: usize) {
    use std::os::fd::AsRawFd;
    for size in [frame_bytes.clamp(1 << 16, 8 << 20), 1 << 20] {
        // SAFETY: F_SETPIPE_SZ on a pipe fd we own; no memory is passed.
        if unsafe { libc::fcntl(stdin.as_raw_fd(), libc::F_SETPIPE_SZ, size as libc::c_int) } > 0 {
            return;
        }
    }
}

/// Kills ffmpeg's process group when a write stays blocked past the deadline.
struct Watchdog {
    started: Instant,
    /// Nanoseconds since `started` when the current write began; 0 when idle.
    write_began: Arc<AtomicU64>,
    fired: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    timeout: Duration,
}

impl Watchdog {
    fn start(pid: u32, timeout: Duration) -> Self {
        let started = Instant::now();
        let write_began = Arc::new(AtomicU64::new(0));
        let fired = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let (write_began, fired, stop) = (write_began.clone(), fired.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(50));
                    let began = write_began.load(Ordering::Relaxed);
                    if began != 0
                        && started.elapsed().as_nanos() as u64 - began > timeout.as_nanos() as u64
                    {
                        fired.store(true, Ordering::Relaxed);
                        // SAFETY: signal to the process group we created for this ffmpeg.
                        unsafe {
                            libc::kill(-(pid as i32), libc::SIGKILL);
                        }
                        return;
                    }
                }
            });
        }
        Self {
            started,
            write_began,
            fired,
            stop,
            timeout,
        }
    }

    fn arm(&self) {
        let now = self.started.elapsed().as_nanos().max(1) as u64;
        self.write_began.store(now, Ordering::Relaxed);
    }

    fn disarm(&self) {
        self.write_began.store(0, Ordering::Relaxed);
    }

    fn fired(&self) -> bool {
        self.fired.load(Ordering::Relaxed)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

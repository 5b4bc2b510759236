//! The guide's NVENC visualizer sink: raw frames into an ffmpeg child's stdin.
//! ffmpeg's stderr is drained on its own thread (in `FfmpegProcess`); a watchdog
//! kills ffmpeg when one write blocks longer than the deadline, so a hung
//! encoder becomes a `timeout`, never a hung benchmark.
//!
//! Frames cross the pipe by `write(2)` (a kernel copy) or `vmsplice(2)` (the
//! pipe takes references to the frame's pages, no copy). With vmsplice a buffer
//! must not be rewritten while the reader can still see it: the pipe holds at
//! most `capacity / page` page references in FIFO order and each frame takes at
//! least `frame_bytes / page` of them, so once that many frames have been
//! written after it, a frame's pages have all been read. [`FrameSink::held`]
//! says how many: the engines keep those buffers out of reuse.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ChildStdin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{FrameSink, SinkOutput};
use crate::ffmpeg::args::{copy_args, pipe_args, shell_line, EncodeSettings, RawInput};
use crate::ffmpeg::child::{exit_info, FfmpegProcess};
use crate::ffmpeg::failure::{classify, last_lines};
use crate::ffmpeg::EncodeFailure;
use crate::frame::Frame;
use crate::pixfmt::PixFmt;
pub use crate::results::PipeOptions;
use crate::results::{PipeFacts, PipeSize, PipeWrite};

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
    pipe: PipeFacts,
}

impl FfmpegPipeSink {
    /// The guide's sink: frames encoded by `settings.encoder` into `output`.
    pub fn spawn(
        binary: &Path,
        input: &RawInput,
        settings: &EncodeSettings,
        output: &Path,
        write_timeout: Duration,
        pipe: PipeOptions,
    ) -> Result<Self, EncodeFailure> {
        let args = pipe_args(input, settings, output);
        let mut sink = Self::start(binary, args, input, output, write_timeout, pipe)?;
        sink.encoder = settings.encoder.clone();
        Ok(sink)
    }

    /// The pipe's ceiling: frames passed on unencoded (`-c:v copy`), discarded
    /// for `DISCARD`, else written raw to `output`.
    pub fn spawn_copy(
        binary: &Path,
        input: &RawInput,
        output: &Path,
        write_timeout: Duration,
        pipe: PipeOptions,
    ) -> Result<Self, EncodeFailure> {
        Self::start(
            binary,
            copy_args(input, output),
            input,
            output,
            write_timeout,
            pipe,
        )
    }

    fn start(
        binary: &Path,
        args: Vec<String>,
        input: &RawInput,
        output: &Path,
        write_timeout: Duration,
        options: PipeOptions,
    ) -> Result<Self, EncodeFailure> {
        // Progress every 50 ms (not 500): time to the first encoded frame is measured from it.
        let args: Vec<String> = ["-stats_period", "0.05"]
            .map(String::from)
            .into_iter()
            .chain(args)
            .collect();
        let mut process = FfmpegProcess::spawn(binary, &args)?;
        let stdin = process.take_stdin();
        let frame_bytes = input.frame_bytes();
        let wanted = match options.size {
            PipeSize::KernelDefault => None,
            PipeSize::Frames(n) => Some(frame_bytes as u64 * u64::from(n.max(1))),
        };
        let bytes = stdin.as_ref().map_or(0, |s| size_pipe(s, wanted));
        let pipe = PipeFacts {
            write: options.write,
            bytes,
            wanted_bytes: wanted,
            frames_held: 0,
        };
        let pipe = match options.write {
            PipeWrite::Vmsplice => match frames_held(bytes, frame_bytes, page_size()) {
                Some(held) => PipeFacts {
                    frames_held: held,
                    ..pipe
                },
                // Frames under a page gain nothing from page references.
                None => PipeFacts {
                    write: PipeWrite::Write,
                    ..pipe
                },
            },
            PipeWrite::Write => pipe,
        };
        let watchdog = Watchdog::start(process.pid(), write_timeout);
        Ok(Self {
            process,
            stdin,
            encoder: "copy".into(),
            command: shell_line(binary, &args),
            output: output.to_path_buf(),
            frames_written: 0,
            finish_timeout: write_timeout.max(Duration::from_secs(30)),
            watchdog,
            pix_fmt: input.pix_fmt,
            pipe,
        })
    }

    /// How frames cross this sink's pipe.
    pub fn pipe(&self) -> PipeFacts {
        self.pipe
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

    fn held(&self) -> usize {
        self.pipe.frames_held as usize
    }

    fn write(&mut self, _frame: &Frame, wire: &[u8]) -> Result<(), EncodeFailure> {
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(self.failure(true));
        };
        self.watchdog.arm();
        let result = match self.pipe.write {
            PipeWrite::Write => stdin.write_all(wire),
            PipeWrite::Vmsplice => vmsplice_all(stdin, wire),
        };
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
            pipe: Some(self.pipe),
            frames_done: self.process.last_progress().map(|p| u64::from(p.frame)),
        })
    }
}

/// Hands all of `data` to the pipe as page references (blocking while it is full).
fn vmsplice_all(stdin: &ChildStdin, mut data: &[u8]) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    while !data.is_empty() {
        let iov = libc::iovec {
            iov_base: data.as_ptr() as *mut libc::c_void,
            iov_len: data.len(),
        };
        // SAFETY: one iovec over memory we borrow for the call; the kernel takes
        // page references, and the engines keep the buffer unchanged until the
        // reader has consumed it (`FrameSink::held`).
        let n = unsafe { libc::vmsplice(stdin.as_raw_fd(), &iov, 1, 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        data = &data[n as usize..];
    }
    Ok(())
}

/// Frames whose pages a pipe of `pipe_bytes` may still hold after they were
/// written by vmsplice: the pipe has `pipe_bytes / page` slots, one page
/// reference each, in FIFO order; a frame fills at least `frame_bytes / page` of
/// them. One more for safety. None when a frame is under a page.
pub fn frames_held(pipe_bytes: u64, frame_bytes: usize, page: usize) -> Option<u32> {
    let slots = pipe_bytes / page as u64;
    let per_frame = (frame_bytes / page) as u64;
    if per_frame == 0 || slots == 0 {
        return None;
    }
    Some(slots.div_ceil(per_frame) as u32 + 1)
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(page).unwrap_or(4096).max(1)
}

/// Asks for a pipe of `wanted` bytes, if any (Linux's default is 64 KiB: a 6 MB frame
/// is a hundred wake-ups of ffmpeg); returns the capacity the kernel gave
/// (F_GETPIPE_SZ). Without root the most is /proc/sys/fs/pipe-max-size (1 MiB
/// by default), which is tried next; a failure leaves the default.
fn size_pipe(stdin: &ChildStdin, wanted: Option<u64>) -> u64 {
    use std::os::fd::AsRawFd;
    let fd = stdin.as_raw_fd();
    if let Some(wanted) = wanted {
        ask_pipe_size(fd, wanted);
    }
    // SAFETY: F_GETPIPE_SZ on a pipe fd we own.
    let got = unsafe { libc::fcntl(fd, libc::F_GETPIPE_SZ) };
    u64::try_from(got).unwrap_or(0)
}

fn ask_pipe_size(fd: std::os::fd::RawFd, wanted: u64) {
    let max = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(1 << 20);
    // The kernel's limit for F_SETPIPE_SZ is an int; 256 MiB is plenty.
    for size in [wanted.clamp(1 << 16, 256 << 20), max.min(256 << 20)] {
        // SAFETY: F_SETPIPE_SZ on a pipe fd we own; no memory is passed.
        if unsafe { libc::fcntl(fd, libc::F_SETPIPE_SZ, size as libc::c_int) } > 0 {
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

#[cfg(test)]
mod tests {
    use super::frames_held;

    #[test]
    fn held_frames_cover_every_page_the_pipe_can_hold() {
        // 1080p bgr24 (1519 pages) in a 1 MiB pipe (256 slots): 1 frame + 1.
        assert_eq!(frames_held(1 << 20, 1920 * 1080 * 3, 4096), Some(2));
        // 4 frames of pipe: 4 (+1).
        let frame = 1920 * 1080 * 3 / 2;
        let pipe = (4 * frame as u64).next_power_of_two();
        let held = frames_held(pipe, frame, 4096).unwrap();
        assert!(u64::from(held - 1) * (frame as u64 / 4096) >= pipe / 4096);
        // A frame straddling pages takes more slots, never fewer: the bound holds.
        assert_eq!(frames_held(65536, 8192, 4096), Some(9));
        assert_eq!(frames_held(65536, 100, 4096), None);
    }
}

//! How raw frames enter a pipe to ffmpeg: write(2), where the kernel copies
//! each frame into the pipe, or vmsplice(2), where the pipe takes references to
//! the frame's pages and nothing is copied; and how large the pipe is.
//!
//! With vmsplice a buffer must not be rewritten while the reader can still see
//! it: the pipe holds at most `capacity / page` page references in FIFO order and
//! each frame takes at least `frame_bytes / page` of them, so once that many
//! frames have been written after it, a frame's pages have all been read.
//! [`PipeWriter::frames_held`] says how many: the engines keep those buffers
//! out of reuse (`FrameSink::held`).

use std::io::Write;
use std::process::ChildStdin;

use crate::results::{PipeFacts, PipeOptions, PipeSize, PipeWrite};

pub struct PipeWriter {
    stdin: ChildStdin,
    facts: PipeFacts,
}

impl PipeWriter {
    /// Sizes the pipe as `options` asks (the kernel may give less) and picks the
    /// write method (vmsplice only for frames of at least a page).
    pub fn new(stdin: ChildStdin, frame_bytes: usize, options: PipeOptions) -> Self {
        let wanted = match options.size {
            PipeSize::KernelDefault => None,
            PipeSize::Frames(n) => Some(frame_bytes as u64 * u64::from(n.max(1))),
        };
        let bytes = size_pipe(&stdin, wanted);
        let facts = PipeFacts {
            write: options.write,
            bytes,
            wanted_bytes: wanted,
            frames_held: 0,
        };
        let facts = match options.write {
            PipeWrite::Vmsplice => match frames_held(bytes, frame_bytes, page_size()) {
                Some(held) => PipeFacts {
                    frames_held: held,
                    ..facts
                },
                // Frames under a page gain nothing from page references.
                None => PipeFacts {
                    write: PipeWrite::Write,
                    ..facts
                },
            },
            PipeWrite::Write => facts,
        };
        Self { stdin, facts }
    }

    /// What was asked and what the kernel gave.
    pub fn facts(&self) -> PipeFacts {
        self.facts
    }

    /// Frames the reader may still see after they were written.
    pub fn frames_held(&self) -> usize {
        self.facts.frames_held as usize
    }

    /// Hands one frame to the pipe (blocking while it is full). With vmsplice
    /// the caller must leave `wire` unchanged until `frames_held()` more frames
    /// have been written after it.
    pub fn write_frame(&mut self, wire: &[u8]) -> std::io::Result<()> {
        match self.facts.write {
            PipeWrite::Write => self.stdin.write_all(wire),
            PipeWrite::Vmsplice => vmsplice_all(&self.stdin, wire),
        }
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

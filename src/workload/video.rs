//! A user's video as raw BGR24 frames: decoded by ffmpeg into a pipe
//! (`ffmpeg::decode`), or by OpenCV's VideoCapture as the guide's demo does.
//! What the file holds is asked in `ffmpeg::probe_file`.

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context};

use crate::ffmpeg::child::FfmpegProcess;
use crate::ffmpeg::decode::DecodeOn;
use crate::frame::Frame;
use crate::pixfmt::PixFmt;
use crate::results::decode::{DecodeRun, Decoder};

#[cfg(feature = "opencv")]
use crate::ffmpeg::probe_file::VideoStreamInfo;

pub struct VideoReader {
    process: FfmpegProcess,
    on: DecodeOn,
    /// NVDEC's frames: nv12 as they come, the matrix to read them with, and
    /// the time spent converting them here.
    nv12: Option<Nv12In>,
    stdout: std::process::ChildStdout,
    frames_read: u64,
}

/// The demo's window of a video (`start`, `duration` in ms; -1: to the end),
/// as frame numbers of a `frames`-frame video at `fps`: OpenCV's seek to
/// `start` lands on the nearest frame (half up: 1,049 ms at 10 fps is frame
/// 10, 1,050 is 11 — measured with cv2 4.6), and frames are read while their
/// time is at most `start + duration`. Returns the first frame and how many.
pub fn window(
    start_ms: u64,
    duration_ms: i64,
    fps: f64,
    frames: u64,
) -> Result<(u64, u64), WindowError> {
    let per_ms = fps / 1000.0;
    let first = (start_ms as f64 * per_ms + 0.5).floor() as u64;
    if first >= frames {
        return Err(WindowError::PastTheEnd {
            start_ms,
            frames,
            seconds: frames as f64 / fps,
        });
    }
    let end = match duration_ms {
        -1 => frames,
        d => {
            // The last frame whose time is within the window (a hair of slack for float time).
            let last = ((start_ms as f64 + d as f64) * per_ms + 1e-9).floor() as u64;
            last.saturating_add(1).min(frames)
        }
    };
    if end <= first {
        return Err(WindowError::Empty {
            start_ms,
            duration_ms,
            first,
            at_ms: first as f64 / per_ms,
        });
    }
    Ok((first, end - first))
}

/// A `--start`/`--duration` window that holds no frame of the video.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WindowError {
    #[error("--start {start_ms} is past the end: the video has {frames} frames ({seconds:.3} s); start earlier")]
    PastTheEnd {
        start_ms: u64,
        frames: u64,
        seconds: f64,
    },
    #[error("--duration {duration_ms} from --start {start_ms} holds no frame (frame {first} is at {at_ms:.1} ms): lengthen it")]
    Empty {
        start_ms: u64,
        duration_ms: i64,
        first: u64,
        at_ms: f64,
    },
}

/// Where ffmpeg seeks to start at frame `first`: half a frame before it, so
/// that frame is the first kept whatever the rounding of its timestamp.
pub fn seek_seconds(first: u64, fps: f64) -> Option<f64> {
    (first > 0).then(|| (first as f64 - 0.5) / fps)
}

struct Nv12In {
    buf: Vec<u8>,
    bt709: bool,
    converting: std::time::Duration,
}

impl VideoReader {
    pub fn open(
        ffmpeg: &Path,
        path: &Path,
        width: u32,
        height: u32,
        seek: Option<f64>,
        on: DecodeOn,
        bt709: bool,
    ) -> anyhow::Result<Self> {
        let mut process = crate::ffmpeg::decode::frames(ffmpeg, path, (width, height), seek, on)
            .map_err(|e| anyhow::anyhow!("decoding {}: {e}", path.display()))?;
        let stdout = process
            .take_stdout()
            .context("ffmpeg's stdout is not piped")?;
        let nv12 = (on.pix_fmt() == PixFmt::Nv12).then(|| Nv12In {
            buf: vec![0; PixFmt::Nv12.frame_bytes(width, height)],
            bt709,
            converting: std::time::Duration::ZERO,
        });
        Ok(Self {
            process,
            on,
            nv12,
            stdout,
            frames_read: 0,
        })
    }

    /// Stops the decoder (it may be ahead, or the video longer than the run)
    /// and says what it used per frame handed over.
    pub fn finish(&mut self) -> Option<DecodeRun> {
        let reaped = self.process.kill_reaped()?;
        (self.frames_read > 0).then(|| DecodeRun {
            decoder: match self.on {
                DecodeOn::Cpu => Decoder::Ffmpeg,
                DecodeOn::Nvdec(_) => Decoder::Nvdec,
            },
            frames: self.frames_read,
            cpu_ms_per_frame: (reaped.user_s + reaped.sys_s) * 1000.0 / self.frames_read as f64,
            convert_ms_per_frame: self
                .nv12
                .as_ref()
                .map(|n| n.converting.as_secs_f64() * 1000.0 / self.frames_read as f64),
        })
    }

    /// Waits until the decoder has its first frame to give (or has ended):
    /// what a run does before its clock starts.
    pub fn ready(&self) {
        while !crate::process::ready(&self.stdout, libc::POLLIN, 50) {
            if crate::interrupt::requested() {
                return;
            }
        }
    }

    pub fn read_into(&mut self, frame: &mut Frame) -> anyhow::Result<bool> {
        let Some(nv12) = self.nv12.as_mut() else {
            return read_frame(
                &mut self.stdout,
                &mut frame.data,
                &self.process,
                &mut self.frames_read,
            );
        };
        if !read_frame(
            &mut self.stdout,
            &mut nv12.buf,
            &self.process,
            &mut self.frames_read,
        )? {
            return Ok(false);
        }
        let t = std::time::Instant::now();
        crate::pixfmt::nv12_to_bgr(
            &nv12.buf,
            frame.width,
            frame.height,
            nv12.bt709,
            &mut frame.data,
        );
        nv12.converting += t.elapsed();
        Ok(true)
    }
}

/// One whole frame of `buf.len()` bytes from the decoder's stdout; false at
/// its end, an error where it ends mid-frame.
fn read_frame(
    stdout: &mut std::process::ChildStdout,
    buf: &mut [u8],
    process: &FfmpegProcess,
    frames_read: &mut u64,
) -> anyhow::Result<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        match stdout.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e).context("reading decoded frames"),
        }
    }
    if filled == 0 {
        return Ok(false);
    }
    if filled < buf.len() {
        let last = process.stderr_lines().last().cloned().unwrap_or_default();
        bail!(
            "the video ended mid-frame after {frames_read} frames (truncated or corrupt input: {last})"
        );
    }
    *frames_read += 1;
    Ok(true)
}

/// The guide's demo reads frames with cv2.VideoCapture; this does the same.
#[cfg(feature = "opencv")]
pub struct OpenCvReader {
    capture: opencv::videoio::VideoCapture,
    mat: opencv::core::Mat,
    rotated: opencv::core::Mat,
    resized: opencv::core::Mat,
    size: opencv::core::Size,
    /// The display matrix's turn, applied here as ffmpeg and players do.
    rotate: Option<i32>,
}

#[cfg(feature = "opencv")]
/// OpenCV's rotate flag for a display matrix's clockwise turn in degrees
/// (`CAP_PROP_ORIENTATION_META` as 4.5 and 4.7+ report it), as ffmpeg's
/// autorotate turns the frame.
fn rotate_flag(clockwise: i32) -> Option<i32> {
    match clockwise.rem_euclid(360) {
        90 => Some(opencv::core::ROTATE_90_CLOCKWISE),
        180 => Some(opencv::core::ROTATE_180),
        270 => Some(opencv::core::ROTATE_90_COUNTERCLOCKWISE),
        _ => None,
    }
}

#[cfg(feature = "opencv")]
/// `CAP_PROP_ORIENTATION_META` as the other versions report it: OpenCV 4.6.x
/// alone reports the opposite turn (opencv/opencv#22088), so its own
/// autorotation turns ±90° videos upside down.
fn true_orientation(meta: i32, major: i32, minor: i32) -> i32 {
    if (major, minor) == (4, 6) {
        (360 - meta).rem_euclid(360)
    } else {
        meta.rem_euclid(360)
    }
}

#[cfg(feature = "opencv")]
impl OpenCvReader {
    pub fn open(path: &Path, width: u32, height: u32, start_ms: u64) -> anyhow::Result<Self> {
        use opencv::prelude::*;
        let mut capture = opencv::videoio::VideoCapture::from_file(path, opencv::videoio::CAP_ANY)?;
        if !capture.is_opened()? {
            bail!("OpenCV cannot open {}", path.display());
        }
        // One rule for rotated videos, the same frames as ffmpeg's decoder and
        // players give, whatever this OpenCV does by default (4.6 turns ±90°
        // the wrong way, 4.11 not at all): OpenCV's own turn off, ours on.
        // Only the FFmpeg backend knows orientation (GStreamer asserts, loudly).
        let ffmpeg_backend = capture
            .get_backend_name()
            .is_ok_and(|name| name.eq_ignore_ascii_case("FFMPEG"));
        let meta = if ffmpeg_backend {
            let _ = capture.set(opencv::videoio::CAP_PROP_ORIENTATION_AUTO, 0.0);
            capture
                .get(opencv::videoio::CAP_PROP_ORIENTATION_META)
                .unwrap_or(0.0)
                .round() as i32
        } else {
            0
        };
        let rotate = rotate_flag(true_orientation(
            meta,
            opencv::core::get_version_major(),
            opencv::core::get_version_minor(),
        ));
        // The demo's `vid.set(cv2.CAP_PROP_POS_MSEC, self.start)`.
        if start_ms > 0 && !capture.set(opencv::videoio::CAP_PROP_POS_MSEC, start_ms as f64)? {
            bail!("OpenCV cannot seek {} to {start_ms} ms", path.display());
        }
        Ok(Self {
            capture,
            mat: opencv::core::Mat::default(),
            rotated: opencv::core::Mat::default(),
            resized: opencv::core::Mat::default(),
            size: opencv::core::Size::new(width as i32, height as i32),
            rotate,
        })
    }

    /// What the video holds as this reader gives it (rotated as players show
    /// it), and how many frames it reads before the end or the first damage:
    /// the demo's own way to know a video, for a machine without ffmpeg.
    pub fn probe(path: &Path) -> anyhow::Result<(VideoStreamInfo, u64)> {
        use opencv::prelude::*;
        let mut reader = Self::open(path, 0, 0, 0)?;
        let fps = reader
            .capture
            .get(opencv::videoio::CAP_PROP_FPS)
            .unwrap_or(0.0);
        let codec = reader
            .capture
            .get_backend_name()
            .unwrap_or_else(|_| "opencv".into());
        let (mut width, mut height, mut frames) = (0, 0, 0u64);
        while reader.capture.read(&mut reader.mat)? && !reader.mat.empty() {
            if frames == 0 {
                let size = match reader.rotate {
                    Some(flag) => {
                        opencv::core::rotate(&reader.mat, &mut reader.rotated, flag)?;
                        reader.rotated.size()?
                    }
                    None => reader.mat.size()?,
                };
                (width, height) = (size.width as u32, size.height as u32);
            }
            frames += 1;
        }
        let stream = VideoStreamInfo {
            codec: format!("read by OpenCV ({codec})"),
            width,
            height,
            fps,
            duration_seconds: (fps > 0.0).then(|| frames as f64 / fps),
            variable_frame_rate: false,
            pix_fmt: None,
            written_by: None,
            color: Default::default(),
        };
        Ok((stream, frames))
    }

    pub fn read_into(&mut self, frame: &mut Frame) -> anyhow::Result<bool> {
        use opencv::prelude::*;
        if !self.capture.read(&mut self.mat)? || self.mat.empty() {
            return Ok(false);
        }
        let decoded = match self.rotate {
            Some(flag) => {
                opencv::core::rotate(&self.mat, &mut self.rotated, flag)?;
                &self.rotated
            }
            None => &self.mat,
        };
        let src = if decoded.size()? == self.size {
            decoded
        } else {
            opencv::imgproc::resize(
                decoded,
                &mut self.resized,
                self.size,
                0.0,
                0.0,
                opencv::imgproc::INTER_LINEAR,
            )?;
            &self.resized
        };
        let bytes = src.data_bytes()?;
        if bytes.len() != frame.data.len() {
            bail!(
                "OpenCV decoded {} bytes for a {}x{} BGR frame",
                bytes.len(),
                frame.width,
                frame.height
            );
        }
        frame.data.copy_from_slice(bytes);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_where_opencv_seeks_and_reads() {
        // Measured with cv2 4.6 on OpenCV's vtest.avi (10 fps, 795 frames).
        assert_eq!(window(1000, 500, 10.0, 795), Ok((10, 6)));
        assert_eq!(window(1049, -1, 10.0, 795), Ok((10, 785)));
        assert_eq!(window(1050, -1, 10.0, 795), Ok((11, 784)));
        assert_eq!(window(0, -1, 10.0, 795), Ok((0, 795)));
        // Past the end, and a duration too short to hold a frame.
        assert!(window(80_000, -1, 10.0, 795)
            .unwrap_err()
            .to_string()
            .contains("past the end"));
        assert!(window(1060, 10, 10.0, 795)
            .unwrap_err()
            .to_string()
            .contains("holds no frame"));
        // A window running past the end stops at the last frame.
        assert_eq!(window(79_000, 5_000, 10.0, 795), Ok((790, 5)));
        // 29.97 fps: frame 1 is at 33.37 ms.
        assert_eq!(window(0, 33, 30_000.0 / 1001.0, 100), Ok((0, 1)));
        assert_eq!(window(0, 34, 30_000.0 / 1001.0, 100), Ok((0, 2)));
    }

    #[cfg(feature = "opencv")]
    #[test]
    fn opencv_4_6_alone_reports_the_opposite_turn() {
        assert_eq!(true_orientation(270, 4, 6), 90);
        assert_eq!(true_orientation(90, 4, 6), 270);
        assert_eq!(true_orientation(180, 4, 6), 180);
        assert_eq!(true_orientation(0, 4, 6), 0);
        assert_eq!(true_orientation(90, 4, 5), 90);
        assert_eq!(true_orientation(90, 4, 10), 90);
        assert_eq!(rotate_flag(90), Some(opencv::core::ROTATE_90_CLOCKWISE));
        assert_eq!(
            rotate_flag(-90),
            Some(opencv::core::ROTATE_90_COUNTERCLOCKWISE)
        );
        assert_eq!(rotate_flag(180), Some(opencv::core::ROTATE_180));
        assert_eq!(rotate_flag(0), None);
    }

    #[test]
    fn ffmpeg_seeks_half_a_frame_early() {
        assert_eq!(seek_seconds(0, 30.0), None);
        assert_eq!(seek_seconds(30, 30.0), Some(29.5 / 30.0));
    }
}

//! A user's video as raw BGR24 frames: decoded by ffmpeg into a pipe
//! (`ffmpeg::decode`), or by OpenCV's VideoCapture as the guide's demo does.
//! What the file holds is asked in `ffmpeg::probe_file`.

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context};

use crate::ffmpeg::child::FfmpegProcess;
use crate::frame::Frame;

pub use crate::ffmpeg::probe_file::{count_frames, decodable_frames, probe, VideoStreamInfo};

pub struct VideoReader {
    process: FfmpegProcess,
    stdout: std::process::ChildStdout,
    frames_read: u64,
}

impl VideoReader {
    pub fn open(ffmpeg: &Path, path: &Path, width: u32, height: u32) -> anyhow::Result<Self> {
        let mut process = crate::ffmpeg::decode::bgr24_frames(ffmpeg, path, width, height)
            .map_err(|e| anyhow::anyhow!("decoding {}: {e}", path.display()))?;
        let stdout = process
            .take_stdout()
            .context("ffmpeg's stdout is not piped")?;
        Ok(Self {
            process,
            stdout,
            frames_read: 0,
        })
    }

    pub fn read_into(&mut self, frame: &mut Frame) -> anyhow::Result<bool> {
        let mut filled = 0;
        while filled < frame.data.len() {
            match self.stdout.read(&mut frame.data[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e).context("reading decoded frames"),
            }
        }
        if filled == 0 {
            return Ok(false);
        }
        if filled < frame.data.len() {
            let last = self
                .process
                .stderr_lines()
                .last()
                .cloned()
                .unwrap_or_default();
            bail!(
                "the video ended mid-frame after {} frames (truncated or corrupt input: {last})",
                self.frames_read
            );
        }
        self.frames_read += 1;
        Ok(true)
    }
}

/// The guide's demo reads frames with cv2.VideoCapture; this does the same.
#[cfg(feature = "opencv")]
pub struct OpenCvReader {
    capture: opencv::videoio::VideoCapture,
    mat: opencv::core::Mat,
    resized: opencv::core::Mat,
    size: opencv::core::Size,
}

#[cfg(feature = "opencv")]
impl OpenCvReader {
    pub fn open(path: &Path, width: u32, height: u32) -> anyhow::Result<Self> {
        use opencv::prelude::*;
        let capture = opencv::videoio::VideoCapture::from_file(path, opencv::videoio::CAP_ANY)?;
        if !capture.is_opened()? {
            bail!("OpenCV cannot open {}", path.display());
        }
        Ok(Self {
            capture,
            mat: opencv::core::Mat::default(),
            resized: opencv::core::Mat::default(),
            size: opencv::core::Size::new(width as i32, height as i32),
        })
    }

    pub fn read_into(&mut self, frame: &mut Frame) -> anyhow::Result<bool> {
        use opencv::prelude::*;
        if !self.capture.read(&mut self.mat)? || self.mat.empty() {
            return Ok(false);
        }
        let src = if self.mat.size()? == self.size {
            &self.mat
        } else {
            opencv::imgproc::resize(
                &self.mat,
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

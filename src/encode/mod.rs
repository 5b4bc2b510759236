//! Encoder sinks: where annotated frames go. One trait, as the guide's
//! visualizers are interchangeable writers.

pub mod fallback;
pub mod ffmpeg_pipe;
pub mod null;
#[cfg(feature = "opencv")]
pub mod opencv_writer;
pub mod pipe_writer;

pub mod verify;

use std::path::PathBuf;

use serde::Serialize;

use crate::frame::Frame;
use crate::results::failure::EncodeFailure;

/// Accepts frames in order, then finishes the file.
pub trait FrameSink {
    /// What this sink is, for results ("ffmpeg:libx264", "opencv:mp4v", "null").
    fn label(&self) -> String;
    /// Takes one frame: `wire` is the frame in `pix_fmt()` (`frame.data` itself for bgr24).
    fn write(&mut self, frame: &Frame, wire: &[u8]) -> Result<(), EncodeFailure>;
    /// The format this sink wants on its wire (OpenCV's writer and the null sink take BGR).
    fn pix_fmt(&self) -> crate::pixfmt::PixFmt {
        crate::pixfmt::PixFmt::Bgr24
    }
    /// Frames the reader may still see after they were written (vmsplice'd
    /// pages): the newest `held()` buffers must not be rewritten yet.
    fn held(&self) -> usize {
        0
    }
    /// Flushes and closes; for ffmpeg, waits for it to exit.
    fn finish(self: Box<Self>) -> Result<SinkOutput, EncodeFailure>;
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SinkOutput {
    pub path: Option<PathBuf>,
    /// The exact command line, for ffmpeg sinks.
    pub command: Option<String>,
    /// ffmpeg's last stderr lines (kept for the record, shown with -v).
    pub stderr_tail: Vec<String>,
    /// From the encoder's start to its first frame done, where the sink can tell.
    pub first_frame_s: Option<f64>,
    /// How the frames crossed the pipe (ffmpeg pipe sinks).
    pub pipe: Option<crate::results::PipeFacts>,
    /// Frames ffmpeg reported done in its last progress line (ffmpeg pipe sinks).
    pub frames_done: Option<u64>,
    /// The writer that wrote, where the sink chose it when it opened (the
    /// demo's OpenCV fallback: `opencv-mp4v`, else `opencv-XVID` into `.avi`).
    pub writer: Option<String>,
}
